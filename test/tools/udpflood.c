/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * udpflood: numbered UDP datagrams at a steady rate, and a receiver that
 * counts which of them arrived, for the reload-under-traffic test.
 *
 *   udpflood recv ADDR PORT IDLE_MS
 *       Prints "listening" once bound, then counts distinct sequence
 *       numbers until nothing came for IDLE_MS (at most 30 s before the
 *       first datagram).  Prints one JSON line: received (distinct
 *       sequence numbers), highest (the highest one seen, -1 for none),
 *       missing_below_highest with first_missing (-1 when none), duplicates,
 *       and rcvbuf_drops (datagrams the receiving socket itself dropped,
 *       from SO_RXQ_OVFL: a loss that is the receiver's, not the router's).
 *
 *   udpflood send ADDR PORT RATE FLOWS MAX_SECONDS
 *       Sends datagrams numbered from 0 at RATE per second until SIGTERM
 *       or SIGINT (or MAX_SECONDS), datagram i from the (i % FLOWS)-th of
 *       FLOWS sockets, each on its own source port: FLOWS flows that share
 *       the datagrams.  Prints one JSON line: sent (datagrams the kernel
 *       took), send_errors (numbers refused by sendto, never on the wire),
 *       seconds, rate.
 *
 * A datagram is a 4-byte big-endian sequence number and a fixed filler of
 * printable text.  The sender keeps its schedule on the monotonic clock
 * and catches up after a late wake-up, but never by more than
 * MAX_BURST datagrams at once (a longer stall lowers the rate instead of
 * flooding the router's backlog).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef SO_RXQ_OVFL
#define SO_RXQ_OVFL 40
#endif

enum {
	PAYLOAD_LEN = 64,
	MAX_BURST = 64,
	RECV_BATCH = 64,
	FIRST_WAIT_MS = 30000,
	MAX_FLOWS = 4096,
};

/* Sequence numbers the receiver can tell apart (a bitmap of 2 MiB): at
 * 20,000 datagrams a second, 14 minutes. */
#define MAX_SEQ (16u << 20)

static const char filler[] = "peergate reload test: numbered datagram, nothing to classify.";
_Static_assert(sizeof(filler) >= PAYLOAD_LEN - 4, "the filler fills the datagram");

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int parse_addr(const char *a, const char *p, struct sockaddr_storage *ss,
		      socklen_t *len)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	long port = strtol(p, NULL, 10);

	memset(ss, 0, sizeof(*ss));
	if (port < 0 || port > 65535)
		return -1;
	if (inet_pton(AF_INET, a, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		*len = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, a, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*s6);
		return 0;
	}
	return -1;
}

static void big_buffer(int fd, int opt_force, int opt)
{
	int v = 16 << 20;

	if (setsockopt(fd, SOL_SOCKET, opt_force, &v, sizeof(v)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, opt, &v, sizeof(v));
}

/* ---- receiver ---- */

struct tally {
	uint8_t *seen;            /* one bit per sequence number below MAX_SEQ */
	uint64_t received, duplicates, out_of_range;
	long highest;             /* -1: nothing yet */
	uint32_t rcvbuf_drops;    /* the socket's drop counter, last value */
};

static void tally_one(struct tally *t, const uint8_t *d, size_t len)
{
	uint32_t seq;

	if (len < 4) {
		t->out_of_range++;
		return;
	}
	seq = (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3];
	if (seq >= MAX_SEQ) {
		t->out_of_range++;
		return;
	}
	if (t->seen[seq / 8] & (1u << (seq % 8))) {
		t->duplicates++;
		return;
	}
	t->seen[seq / 8] |= (uint8_t)(1u << (seq % 8));
	t->received++;
	if ((long)seq > t->highest)
		t->highest = (long)seq;
}

static void tally_drops(struct tally *t, struct msghdr *mh)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL &&
		    c->cmsg_len >= CMSG_LEN(sizeof(uint32_t)))
			memcpy(&t->rcvbuf_drops, CMSG_DATA(c), sizeof(uint32_t));
	}
}

static int run_recv(const struct sockaddr_storage *ss, socklen_t sslen, int idle_ms)
{
	struct rx {
		uint8_t data[2048];
		char ctl[CMSG_SPACE(sizeof(uint32_t))];
	} *bufs = calloc(RECV_BATCH, sizeof(*bufs));
	struct mmsghdr msgs[RECV_BATCH];
	struct iovec iov[RECV_BATCH];
	struct tally t = {.highest = -1};
	uint64_t missing = 0;
	long first_missing = -1;
	int fd = -1, one = 1, ret = 1;

	t.seen = calloc(MAX_SEQ / 8, 1);
	if (!t.seen || !bufs) {
		fprintf(stderr, "udpflood recv: out of memory\n");
		goto out;
	}
	fd = socket(ss->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (const struct sockaddr *)ss, sslen) < 0) {
		perror("udpflood recv: bind");
		goto out;
	}
	big_buffer(fd, SO_RCVBUFFORCE, SO_RCVBUF);
	(void)setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one));
	printf("listening\n");
	fflush(stdout);

	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int pr = poll(&p, 1, t.highest >= 0 ? idle_ms : FIRST_WAIT_MS);
		int n;

		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			break;
		for (int i = 0; i < RECV_BATCH; i++) {
			iov[i].iov_base = bufs[i].data;
			iov[i].iov_len = sizeof(bufs[i].data);
			memset(&msgs[i], 0, sizeof(msgs[i]));
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			msgs[i].msg_hdr.msg_control = bufs[i].ctl;
			msgs[i].msg_hdr.msg_controllen = sizeof(bufs[i].ctl);
		}
		n = recvmmsg(fd, msgs, RECV_BATCH, MSG_DONTWAIT, NULL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0) {
			perror("udpflood recv");
			goto out;
		}
		for (int i = 0; i < n; i++) {
			tally_one(&t, bufs[i].data, msgs[i].msg_len);
			tally_drops(&t, &msgs[i].msg_hdr);
		}
	}
	for (long s = 0; s < t.highest; s++) {
		if (t.seen[s / 8] & (1u << (s % 8)))
			continue;
		if (first_missing < 0)
			first_missing = s;
		missing++;
	}
	printf("{\"received\":%llu,\"highest\":%ld,\"missing_below_highest\":%llu,"
	       "\"first_missing\":%ld,\"duplicates\":%llu,\"out_of_range\":%llu,"
	       "\"rcvbuf_drops\":%u}\n",
	       (unsigned long long)t.received, t.highest, (unsigned long long)missing,
	       first_missing, (unsigned long long)t.duplicates,
	       (unsigned long long)t.out_of_range, t.rcvbuf_drops);
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	free(t.seen);
	free(bufs);
	return ret;
}

/* ---- sender ---- */

/* Room for FLOWS sockets besides stdio. */
static void raise_fd_limit(unsigned flows)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < flows + 16) {
		rl.rlim_cur = rl.rlim_max < flows + 16 ? rl.rlim_max : flows + 16;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* A signalfd for SIGTERM and SIGINT, which are blocked from here on, so
 * that a stop request is read between two datagrams. */
static int stop_fd(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

static bool stop_requested(int sfd)
{
	struct signalfd_siginfo si;

	return read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si);
}

static int run_send(const struct sockaddr_storage *ss, socklen_t sslen,
		    double rate, unsigned flows, double max_seconds)
{
	uint8_t payload[PAYLOAD_LEN];
	int *fds = calloc(flows, sizeof(*fds));
	uint64_t sent = 0, errors = 0;
	uint32_t next = 0;
	double t0, start, el;
	unsigned opened = 0;
	int sfd = -1, ret = 1;

	if (!fds) {
		fprintf(stderr, "udpflood send: out of memory\n");
		goto out;
	}
	sfd = stop_fd();
	if (sfd < 0) {
		perror("udpflood send: signalfd");
		goto out;
	}
	raise_fd_limit(flows);
	for (; opened < flows; opened++) {
		fds[opened] = socket(ss->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fds[opened] < 0) {
			perror("udpflood send: socket");
			goto out;
		}
		big_buffer(fds[opened], SO_SNDBUFFORCE, SO_SNDBUF);
	}
	memcpy(payload + 4, filler, sizeof(payload) - 4);
	start = t0 = now_s();
	while (next < MAX_SEQ && now_s() - start < max_seconds && !stop_requested(sfd)) {
		double due = (now_s() - t0) * rate;
		struct timespec nap = {0, 500000};

		if (due - next > MAX_BURST)
			t0 += (due - next - MAX_BURST) / rate;   /* lost time stays lost */
		while (next < MAX_SEQ && next < (uint32_t)((now_s() - t0) * rate)) {
			payload[0] = (uint8_t)(next >> 24);
			payload[1] = (uint8_t)(next >> 16);
			payload[2] = (uint8_t)(next >> 8);
			payload[3] = (uint8_t)next;
			if (sendto(fds[next % flows], payload, sizeof(payload), 0,
				   (const struct sockaddr *)ss, sslen) == (ssize_t)sizeof(payload))
				sent++;
			else
				errors++;
			next++;
		}
		nanosleep(&nap, NULL);
	}
	el = now_s() - start;
	printf("{\"sent\":%llu,\"send_errors\":%llu,\"seconds\":%.2f,\"rate\":%.0f}\n",
	       (unsigned long long)sent, (unsigned long long)errors, el,
	       el > 0 ? (double)sent / el : 0.0);
	ret = sent ? 0 : 1;
out:
	for (unsigned i = 0; i < opened; i++)
		close(fds[i]);
	if (sfd >= 0)
		close(sfd);
	free(fds);
	return ret;
}

int main(int argc, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t sslen;

	if (argc == 5 && !strcmp(argv[1], "recv") &&
	    parse_addr(argv[2], argv[3], &ss, &sslen) == 0) {
		long idle = strtol(argv[4], NULL, 10);

		if (idle > 0 && idle <= 600000)
			return run_recv(&ss, sslen, (int)idle);
	}
	if (argc == 7 && !strcmp(argv[1], "send") &&
	    parse_addr(argv[2], argv[3], &ss, &sslen) == 0) {
		double rate = strtod(argv[4], NULL), secs = strtod(argv[6], NULL);
		long flows = strtol(argv[5], NULL, 10);

		if (rate >= 1 && rate <= 10e6 && flows > 0 && flows <= MAX_FLOWS &&
		    secs > 0 && secs <= 3600)
			return run_send(&ss, sslen, rate, (unsigned)flows, secs);
	}
	fprintf(stderr, "usage: udpflood recv ADDR PORT IDLE_MS\n"
			"       udpflood send ADDR PORT RATE FLOWS MAX_SECONDS\n");
	return 2;
}
