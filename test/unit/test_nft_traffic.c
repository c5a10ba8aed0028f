/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Real traffic on lo through the nftables table, against the real kernel:
 * port blocks, ct marks, blocked flows (pg_nft_dyn_block) and inspect
 * prefixes.  Needs root; everything runs in a private network namespace
 * made at start-up, so the host's ruleset is never touched.  The table
 * itself (install, update, show) is test_nft.c.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "nft_test_util.h"
#include "peergate/mark.h"
#include "peergate/nft_dyn.h"
#include "peergate/nft_show.h"
#include "peergate/nft_table.h"
#include "peergate/policy.h"

/* ---- real traffic on lo, hook output ---- */

static int udp_bound(uint16_t port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		abort();
	return fd;
}

static int udp_send(int fd, uint16_t port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};

	return sendto(fd, "peergate", 8, 0, (struct sockaddr *)&a, sizeof(a)) == 8 ? 0 : -errno;
}

static bool udp_got(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	char b[64];

	if (poll(&p, 1, 300) != 1)
		return false;
	return recv(fd, b, sizeof(b), 0) > 0;
}

static void set_mark(int fd, uint32_t mark)
{
	if (setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) < 0)
		abort();
}

static uint64_t counter_packets(const char *name)
{
	struct pg_nft_counter c[16];
	char err[256];
	int n = pg_nft_counters(c, 16, err, sizeof(err));

	for (int i = 0; i < n; i++) {
		if (strcmp(c[i].name, name) == 0)
			return c[i].packets;
	}
	return UINT64_MAX;
}

/* The port block drops in the kernel (a local sender sees EPERM); another
 * port goes to the queue, where nobody listens: bypass lets it through. */
static void traffic_port_block(int tx, int rx1, int rx2)
{
	int rc = udp_send(tx, 40001);

	CHECK(rc == -EPERM);
	CHECK(!udp_got(rx1));
	CHECK(counter_packets("msn_voice_video_udp") == 1);
	CHECK(udp_send(tx, 40002) == 0);
	CHECK(udp_got(rx2));
	CHECK(counter_packets("msn_voice_video_udp") == 1);
}

/* A packet stamped DROP (the NF_REPEAT path) sets the ct mark, and the
 * flow's later, unstamped packets are dropped by the ct mark. */
static void traffic_ct_mark_drop(int tx2, int rx3)
{
	/* The flow's first packet passes (and so its conntrack entry is
	 * confirmed; a mark on an entry whose first packet is dropped dies
	 * with it). */
	CHECK(udp_send(tx2, 40003) == 0);
	CHECK(udp_got(rx3));
	set_mark(tx2, pg_mark_value(M, PG_MARK_DROP));
	CHECK(udp_send(tx2, 40003) == -EPERM);
	set_mark(tx2, 0);
	CHECK(udp_send(tx2, 40003) == -EPERM);
	CHECK(udp_send(tx2, 40003) == -EPERM);
	CHECK(!udp_got(rx3));
}

/* Other tools' ct mark bits survive the copy: a table of "theirs" sets
 * bit 0 before us and checks the full ct mark after us. */
static void traffic_other_mark_bits(int tx3, int rx4)
{
	CHECK(sh("nft add table inet pgaux && "
		 "nft add chain inet pgaux early '{ type filter hook output priority -10; }' && "
		 "nft add chain inet pgaux late '{ type filter hook output priority 10; }' && "
		 "nft add rule inet pgaux early udp dport 40004 ct mark set ct mark or 0x1 && "
		 "nft add counter inet pgaux kept && "
		 "nft add rule inet pgaux late udp dport 40004 ct mark 0x01000001 counter name kept") == 0);
	set_mark(tx3, pg_mark_value(M, PG_MARK_ACCEPT));
	CHECK(udp_send(tx3, 40004) == 0);
	set_mark(tx3, 0);
	CHECK(udp_send(tx3, 40004) == 0);
	CHECK(udp_got(rx4));
	char *aux = run("nft list counter inet pgaux kept", NULL);
	CHECK_HAS(aux, "packets 2 ");
	free(aux);
	sh("nft delete table inet pgaux");
}

/* A TCP flow stamped BLOCK is answered with a reset. */
static void traffic_tcp_reset(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(40005),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct timeval tv = {.tv_sec = 3};
	int ls = socket(AF_INET, SOCK_STREAM, 0), cs = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1, rc;

	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	CHECK(bind(ls, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(ls, 4) == 0);
	setsockopt(cs, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	set_mark(cs, pg_mark_value(M, PG_MARK_BLOCK));
	rc = connect(cs, (struct sockaddr *)&a, sizeof(a)) == 0 ? 0 : errno;
	printf("tcp connect stamped BLOCK: %s\n", rc ? strerror(rc) : "connected");
	CHECK(rc == ECONNREFUSED);
	close(cs);
	close(ls);
}

static void test_traffic(void)
{
	static const struct pg_nft_portset sets[] = {
		{PG_SYS_MSN, PG_FEAT_VOICE_VIDEO, IPPROTO_UDP, 1, {{40001, 40001}}, ""},
	};
	struct pg_nft_config c = {
		.hooks = PG_HOOK_OUTPUT, .queue_first = 0, .queue_count = 1,
		.queue_bypass = true, .mark_mask = M, .tcp_reset = true,
		.sets = sets, .nsets = 1,
	};
	enum pg_nft_queue_kind k;
	char err[512] = "";
	int rx1, rx2, rx3, rx4, tx, tx2, tx3;

	CHECK(pg_nft_apply(&c, &k, err, sizeof(err)) == 0);
	rx1 = udp_bound(40001);
	rx2 = udp_bound(40002);
	rx3 = udp_bound(40003);
	rx4 = udp_bound(40004);
	tx = socket(AF_INET, SOCK_DGRAM, 0);
	tx2 = socket(AF_INET, SOCK_DGRAM, 0);
	tx3 = socket(AF_INET, SOCK_DGRAM, 0);

	traffic_port_block(tx, rx1, rx2);
	traffic_ct_mark_drop(tx2, rx3);
	traffic_other_mark_bits(tx3, rx4);
	traffic_tcp_reset();
	char *text = run("nft list chain inet peergate output", NULL);
	printf("---- after traffic ----\n%s--------\n", text);
	free(text);

	close(rx1);
	close(rx2);
	close(rx3);
	close(rx4);
	close(tx);
	close(tx2);
	close(tx3);
}

/* ---- blocked flows (pg_nft_dyn_block) and inspect prefixes ---- */

/* A UDP socket bound to addr:port (IPv4 or IPv6 text). */
static int udp_at(const char *addr, uint16_t port)
{
	struct sockaddr_storage ss = {0};
	socklen_t len;
	int fd, one = 1;

	if (strchr(addr, ':')) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		if (inet_pton(AF_INET6, addr, &a->sin6_addr) != 1)
			abort();
		len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		if (inet_pton(AF_INET, addr, &a->sin_addr) != 1)
			abort();
		len = sizeof(*a);
	}
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (fd < 0)
		abort();
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
		fprintf(stderr, "bind %s:%u: %s\n", addr, port, strerror(errno));
		abort();
	}
	return fd;
}

/* Sends one datagram to addr:port: 0, or -errno (EPERM: dropped by a
 * rule of the output hook). */
static int udp_to(int fd, const char *addr, uint16_t port)
{
	struct sockaddr_storage ss = {0};
	socklen_t len;

	if (strchr(addr, ':')) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		inet_pton(AF_INET6, addr, &a->sin6_addr);
		len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		inet_pton(AF_INET, addr, &a->sin_addr);
		len = sizeof(*a);
	}
	return sendto(fd, "peergate", 8, 0, (struct sockaddr *)&ss, len) == 8 ? 0 : -errno;
}

static const uint8_t *a4(const char *text, uint8_t buf[4])
{
	if (inet_pton(AF_INET, text, buf) != 1)
		abort();
	return buf;
}

static const uint8_t *a6(const char *text, uint8_t buf[16])
{
	if (inet_pton(AF_INET6, text, buf) != 1)
		abort();
	return buf;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Base config for the traffic tests: output hook, queue with bypass (so
 * whatever reaches the queue passes, nobody listens). */
static void output_config(struct pg_nft_config *c, const struct pg_nft_portset *sets,
			  size_t nsets)
{
	memset(c, 0, sizeof(*c));
	c->hooks = PG_HOOK_OUTPUT;
	c->queue_count = 1;
	c->queue_bypass = true;
	c->mark_mask = M;
	c->tcp_reset = true;
	c->sets = sets;
	c->nsets = nsets;
}

/* The sockets the blocked-flow test sends and receives with. */
struct dyn_socks {
	int rx, rx6, tx, tx2, tx6, tx6b;
};

/* A UDP flow, both directions, with a timeout; and a TCP flow in the
 * same set. */
static void dyn_add_flows(struct pg_nft_dyn *d, const uint8_t lo4[4])
{
	char err[512] = "";
	char *text;
	int rc;

	rc = pg_nft_dyn_block(d, 4, IPPROTO_UDP, lo4, 41001, lo4, 40021, 60000, err, sizeof(err));
	CHECK(rc == 0);
	if (rc)
		fprintf(stderr, "dyn block: %s\n", err);
	/* Again: already there is not an error. */
	CHECK(pg_nft_dyn_block(d, 4, IPPROTO_UDP, lo4, 41001, lo4, 40021, 60000, err, sizeof(err)) == 0);
	/* A TCP flow shares the set. */
	CHECK(pg_nft_dyn_block(d, 4, IPPROTO_TCP, lo4, 41003, lo4, 40022, 60000, err, sizeof(err)) == 0);
	text = run("nft list set inet peergate blocked4", NULL);
	printf("---- nft list set inet peergate blocked4 ----\n%s--------\n", text);
	CHECK_HAS(text, "127.0.0.1 . udp . 41001 . 127.0.0.1 . 40021 timeout 1m expires ");
	CHECK_HAS(text, "127.0.0.1 . udp . 40021 . 127.0.0.1 . 41001 timeout 1m expires ");
	CHECK_HAS(text, "127.0.0.1 . tcp . 41003 . 127.0.0.1 . 40022 timeout 1m expires ");
	CHECK_HAS(text, "127.0.0.1 . tcp . 40022 . 127.0.0.1 . 41003 timeout 1m expires ");
	CHECK(count(text, " . 127.0.0.1 . ") == 4);
	free(text);
}

/* Real datagrams: the blocked 5-tuple is dropped and counted, the reverse
 * direction too, and another source port is another flow. */
static void dyn_udp_drops(struct dyn_socks *s)
{
	s->rx = udp_at("127.0.0.1", 40021);
	s->tx = udp_at("127.0.0.1", 41001);
	s->tx2 = udp_at("127.0.0.1", 41002);
	CHECK(udp_to(s->tx, "127.0.0.1", 40021) == -EPERM);
	CHECK(udp_to(s->tx, "127.0.0.1", 40021) == -EPERM);
	CHECK(!udp_got(s->rx));
	CHECK(counter_packets("blocked4") == 2);
	CHECK(udp_to(s->rx, "127.0.0.1", 41001) == -EPERM);
	CHECK(!udp_got(s->tx));
	CHECK(counter_packets("blocked4") == 3);
	/* Another flow: queued, and with nobody listening the bypass lets it
	 * through. */
	CHECK(udp_to(s->tx2, "127.0.0.1", 40021) == 0);
	CHECK(udp_got(s->rx));
	CHECK(counter_packets("blocked4") == 3);
}

/* The TCP flow: its SYN never leaves (connect does not complete). */
static void dyn_tcp_syn(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(41003),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct sockaddr_in to = a;
	int ls = socket(AF_INET, SOCK_STREAM, 0);
	int cs = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	int one = 1, rc;
	struct pollfd p = {.fd = cs, .events = POLLOUT};

	to.sin_port = htons(40022);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(cs, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	CHECK(bind(ls, (struct sockaddr *)&to, sizeof(to)) == 0 && listen(ls, 4) == 0);
	CHECK(bind(cs, (struct sockaddr *)&a, sizeof(a)) == 0);
	rc = connect(cs, (struct sockaddr *)&to, sizeof(to));
	CHECK(rc < 0 && (errno == EINPROGRESS || errno == EPERM));
	CHECK(poll(&p, 1, 300) == 0);
	CHECK(counter_packets("blocked4") >= 4);
	close(cs);
	close(ls);
}

/* IPv6 flows go to blocked6. */
static void dyn_ipv6(struct pg_nft_dyn *d, const uint8_t lo6[16], struct dyn_socks *s)
{
	char err[512] = "";
	char *text;

	CHECK(pg_nft_dyn_block(d, 6, IPPROTO_UDP, lo6, 41004, lo6, 40023, 60000, err, sizeof(err)) == 0);
	text = run("nft list set inet peergate blocked6", NULL);
	CHECK_HAS(text, "::1 . udp . 41004 . ::1 . 40023 timeout 1m expires ");
	CHECK_HAS(text, "::1 . udp . 40023 . ::1 . 41004 timeout 1m expires ");
	free(text);
	s->rx6 = udp_at("::1", 40023);
	s->tx6 = udp_at("::1", 41004);
	s->tx6b = udp_at("::1", 41006);
	CHECK(udp_to(s->tx6, "::1", 40023) == -EPERM);
	CHECK(!udp_got(s->rx6));
	CHECK(counter_packets("blocked6") == 1);
	CHECK(udp_to(s->tx6b, "::1", 40023) == 0);
	CHECK(udp_got(s->rx6));
	CHECK(counter_packets("blocked6") == 1);
	/* An IPv4 element never matches IPv6 and the other way round. */
	CHECK(counter_packets("blocked4") >= 4);
}

/* Our own view of the table shows the elements. */
static void dyn_show(void)
{
	char err[512] = "";
	char *sb = NULL;
	size_t sl = 0;
	FILE *f = open_memstream(&sb, &sl);

	CHECK(pg_nft_show(f, false, err, sizeof(err)) == 0);
	fclose(f);
	CHECK_HAS(sb, "127.0.0.1 . udp . 41001 . 127.0.0.1 . 40021 timeout 1m expires ");
	CHECK_HAS(sb, "::1 . udp . 40023 . ::1 . 41004 timeout 1m expires ");
	free(sb);
}

/* Expiry: a 1 s element goes away by itself, and the flow passes again
 * (to the queue, then bypass); adding a flow again restarts its clock. */
static void dyn_expiry(struct pg_nft_dyn *d, const uint8_t lo4[4], const struct dyn_socks *s)
{
	char err[512] = "";
	char *text;

	CHECK(pg_nft_dyn_block(d, 4, IPPROTO_UDP, lo4, 41002, lo4, 40021, 1000, err, sizeof(err)) == 0);
	text = run("nft list set inet peergate blocked4", NULL);
	CHECK_HAS(text, "127.0.0.1 . udp . 41002 . 127.0.0.1 . 40021 timeout 1s expires ");
	free(text);
	CHECK(udp_to(s->tx2, "127.0.0.1", 40021) == -EPERM);
	usleep(2100 * 1000);
	text = run("nft list set inet peergate blocked4", NULL);
	CHECK(!strstr(text, "41002"));
	CHECK_HAS(text, "127.0.0.1 . udp . 41001 . 127.0.0.1 . 40021");
	free(text);
	CHECK(udp_to(s->tx2, "127.0.0.1", 40021) == 0);
	CHECK(udp_got(s->rx));
	/* 1.3 s after the first add of a 1 s element, it is still there
	 * because of the second. */
	CHECK(pg_nft_dyn_block(d, 4, IPPROTO_UDP, lo4, 41002, lo4, 40021, 1000, err, sizeof(err)) == 0);
	usleep(700 * 1000);
	CHECK(pg_nft_dyn_block(d, 4, IPPROTO_UDP, lo4, 41002, lo4, 40021, 1000, err, sizeof(err)) == 0);
	usleep(600 * 1000);
	CHECK(udp_to(s->tx2, "127.0.0.1", 40021) == -EPERM);
	usleep(1500 * 1000);
	CHECK(udp_to(s->tx2, "127.0.0.1", 40021) == 0);
	CHECK(udp_got(s->rx));
}

/* Bad arguments touch nothing. */
static void dyn_bad_args(struct pg_nft_dyn *d, const uint8_t lo4[4])
{
	char err[512] = "";

	errno = 0;
	CHECK(pg_nft_dyn_block(d, 5, IPPROTO_UDP, lo4, 1, lo4, 2, 1000, err, sizeof(err)) < 0 && errno == EINVAL);
	CHECK(pg_nft_dyn_block(d, 4, IPPROTO_ICMP, lo4, 1, lo4, 2, 1000, err, sizeof(err)) < 0 && errno == EINVAL);
	CHECK(pg_nft_dyn_block(d, 4, IPPROTO_UDP, lo4, 1, lo4, 2, 0, err, sizeof(err)) < 0 && errno == EINVAL);
	CHECK(pg_nft_dyn_block(NULL, 4, IPPROTO_UDP, lo4, 1, lo4, 2, 1000, err, sizeof(err)) < 0);
	CHECK_HAS(err, "bad arguments");
}

/* Per-call cost: distinct flows, so each call really adds. */
static void dyn_call_cost(struct pg_nft_dyn *d)
{
	enum { N = 3000 };
	uint64_t *ns = calloc(N, sizeof(*ns));
	uint8_t src[4] = {10, 9, 0, 0}, dst[4] = {192, 0, 2, 1};
	char err[512] = "";
	int fails = 0;

	if (!ns)
		abort();
	for (int i = 0; i < N; i++) {
		uint64_t t0;

		src[2] = (uint8_t)(i >> 8);
		src[3] = (uint8_t)i;
		t0 = mono_ns();
		fails += pg_nft_dyn_block(d, 4, IPPROTO_UDP, src, (uint16_t)(1024 + i), dst,
					  6881, 60000, err, sizeof(err)) != 0;
		ns[i] = mono_ns() - t0;
	}
	CHECK(fails == 0);
	qsort(ns, N, sizeof(*ns), cmp_u64);
	printf("pg_nft_dyn_block: %d calls, median %.1f us, p90 %.1f us, p99 %.1f us, max %.1f us\n",
	       N, ns[N / 2] / 1e3, ns[N * 9 / 10] / 1e3, ns[N * 99 / 100] / 1e3, ns[N - 1] / 1e3);
	/* Far above what a real call costs; only catches a call that waits
	 * for a timeout. */
	CHECK(ns[N / 2] < 50 * 1000 * 1000);
	free(ns);
}

/* The table gone: an error (the handle works again once the table is
 * back; the daemon keeps it across reloads). */
static void dyn_table_gone(struct pg_nft_dyn *d, const uint8_t lo4[4])
{
	char err[512] = "";

	CHECK(pg_nft_flush(err, sizeof(err)) == 0);
	errno = 0;
	CHECK(pg_nft_dyn_block(d, 4, IPPROTO_UDP, lo4, 41001, lo4, 40021, 1000, err, sizeof(err)) < 0);
	CHECK(errno == ENOENT);
	printf("table gone: %s\n", err);
	CHECK_HAS(err, "set blocked4 of table inet peergate does not exist");
}

/* A full set refuses, and refuses both elements of the flow; an apply
 * over the table starts both blocked-flow sets empty. */
static void dyn_set_full(struct pg_nft_dyn *d, struct pg_nft_config *c,
			 const uint8_t lo4[4], const uint8_t lo6[16])
{
	enum pg_nft_queue_kind k;
	char err[512] = "";
	char *text;

	c->blocked_size = 4;
	CHECK(pg_nft_apply(c, &k, err, sizeof(err)) == 0);
	CHECK(pg_nft_dyn_block(d, 4, IPPROTO_UDP, lo4, 1, lo4, 2, 60000, err, sizeof(err)) == 0);
	CHECK(pg_nft_dyn_block(d, 4, IPPROTO_UDP, lo4, 3, lo4, 4, 60000, err, sizeof(err)) == 0);
	errno = 0;
	CHECK(pg_nft_dyn_block(d, 4, IPPROTO_UDP, lo4, 5, lo4, 6, 60000, err, sizeof(err)) < 0);
	CHECK(errno == ENFILE);
	printf("set full: %s\n", err);
	CHECK_HAS(err, "set blocked4 is full");
	text = run("nft list set inet peergate blocked4", NULL);
	CHECK_HAS(text, "size 4");
	CHECK(count(text, " . 127.0.0.1 . ") == 4);
	CHECK(!strstr(text, ". 5 ."));
	free(text);
	/* The v6 set has its own room. */
	CHECK(pg_nft_dyn_block(d, 6, IPPROTO_UDP, lo6, 5, lo6, 6, 60000, err, sizeof(err)) == 0);
	/* The daemon re-decides flows after a reload; see pgnft_clear_old in
	 * src/net/nft/existing.c. */
	CHECK(pg_nft_apply(c, &k, err, sizeof(err)) == 0);
	text = run("nft list table inet peergate", NULL);
	CHECK(!strstr(text, "127.0.0.1 .") && !strstr(text, "::1 ."));
	CHECK_HAS(text, "size 4");
	free(text);
}

/* Expired elements give their room back (the kernel's set garbage
 * collection), so a full set recovers by itself. */
static void dyn_full_set_recovers(struct pg_nft_dyn *d, const uint8_t lo4[4])
{
	char err[512] = "";
	int tries = 0;

	CHECK(pg_nft_dyn_block(d, 4, IPPROTO_UDP, lo4, 1, lo4, 2, 1000, err, sizeof(err)) == 0);
	CHECK(pg_nft_dyn_block(d, 4, IPPROTO_UDP, lo4, 3, lo4, 4, 1000, err, sizeof(err)) == 0);
	CHECK(pg_nft_dyn_block(d, 4, IPPROTO_UDP, lo4, 5, lo4, 6, 1000, err, sizeof(err)) < 0);
	/* Expiry after 1 s, then up to a GC interval or two. */
	usleep(1000 * 1000);
	while (pg_nft_dyn_block(d, 4, IPPROTO_UDP, lo4, 5, lo4, 6, 1000, err,
				sizeof(err)) < 0 && errno == ENFILE && tries < 40) {
		usleep(100 * 1000);
		tries++;
	}
	printf("full set took a flow again %d ms after its elements expired\n", tries * 100);
	CHECK(tries < 40);
}

static void test_dyn_block(void)
{
	struct pg_nft_config c;
	enum pg_nft_queue_kind k;
	char err[512] = "";
	uint8_t lo4[4], lo6[16];
	struct pg_nft_dyn *d;
	struct dyn_socks s;

	output_config(&c, NULL, 0);
	CHECK(pg_nft_apply(&c, &k, err, sizeof(err)) == 0);
	d = pg_nft_dyn_open(err, sizeof(err));
	CHECK(d != NULL);
	if (!d) {
		fprintf(stderr, "pg_nft_dyn_open: %s\n", err);
		return;
	}
	a4("127.0.0.1", lo4);
	a6("::1", lo6);

	dyn_add_flows(d, lo4);
	dyn_udp_drops(&s);
	dyn_tcp_syn();
	dyn_ipv6(d, lo6, &s);
	dyn_show();
	dyn_expiry(d, lo4, &s);
	dyn_bad_args(d, lo4);
	dyn_call_cost(d);
	dyn_table_gone(d, lo4);
	dyn_set_full(d, &c, lo4, lo6);
	dyn_full_set_recovers(d, lo4);

	pg_nft_dyn_close(d);
	pg_nft_dyn_close(NULL);
	close(s.rx);
	close(s.rx6);
	close(s.tx);
	close(s.tx2);
	close(s.tx6);
	close(s.tx6b);
	CHECK(pg_nft_flush(err, sizeof(err)) == 0);
}

/* An address in both an allow and an inspect prefix is not accepted by
 * the exceptions: it reaches the port sets (and the queue).  A port-set
 * block makes that visible without a queue consumer. */
static void test_inspect_beats_allow(void)
{
	static const struct pg_nft_portset sets[] = {
		{PG_SYS_MSN, PG_FEAT_VOICE_VIDEO, IPPROTO_UDP, 1, {{40031, 40031}}, ""},
	};
	struct pg_prefix allow[2] = {prefix("127.0.0.0/8"), prefix("::1/128")};
	struct pg_prefix inspect[1] = {prefix("127.0.0.3/32")};
	struct pg_nft_config c;
	enum pg_nft_queue_kind k;
	char err[512] = "";
	char *text;
	int rx2, rx3, tx2, tx3;

	output_config(&c, sets, 1);
	c.allow = allow;
	c.nallow = 2;

	/* Without inspect: allowed addresses pass the port block. */
	CHECK(pg_nft_apply(&c, &k, err, sizeof(err)) == 0);
	rx2 = udp_at("127.0.0.2", 40031);
	rx3 = udp_at("127.0.0.3", 40031);
	tx2 = udp_at("127.0.0.2", 0);
	tx3 = udp_at("127.0.0.3", 0);
	CHECK(udp_to(tx3, "127.0.0.3", 40031) == 0);
	CHECK(udp_got(rx3));
	CHECK(counter_packets("msn_voice_video_udp") == 0);

	/* With inspect: 127.0.0.3, on either end, goes on to the port sets. */
	c.inspect = inspect;
	c.ninspect = 1;
	CHECK(pg_nft_apply(&c, &k, err, sizeof(err)) == 0);
	text = run("nft list chain inet peergate exceptions", NULL);
	printf("---- exceptions with inspect ----\n%s--------\n", text);
	CHECK_HAS(text, "\t\tip saddr 127.0.0.3 return\n\t\tip daddr 127.0.0.3 return\n"
		  "\t\tip saddr 127.0.0.0/8 accept\n\t\tip daddr 127.0.0.0/8 accept\n"
		  "\t\tip6 saddr ::1 accept\n\t\tip6 daddr ::1 accept\n");
	free(text);
	CHECK(udp_to(tx3, "127.0.0.3", 40031) == -EPERM);     /* both ends */
	CHECK(!udp_got(rx3));
	CHECK(counter_packets("msn_voice_video_udp") == 1);
	CHECK(udp_to(tx2, "127.0.0.3", 40031) == -EPERM);     /* daddr only */
	CHECK(udp_to(tx3, "127.0.0.2", 40031) == -EPERM);     /* saddr only */
	CHECK(!udp_got(rx2) && !udp_got(rx3));
	CHECK(counter_packets("msn_voice_video_udp") == 3);
	/* Other allowed addresses are still accepted before the port sets. */
	CHECK(udp_to(tx2, "127.0.0.2", 40031) == 0);
	CHECK(udp_got(rx2));
	CHECK(counter_packets("msn_voice_video_udp") == 3);
	{
		char *sb = NULL;
		size_t sl = 0;
		FILE *f = open_memstream(&sb, &sl);

		CHECK(pg_nft_show(f, false, err, sizeof(err)) == 0);
		fclose(f);
		CHECK_HAS(sb, "\t\tip saddr 127.0.0.3 return\n");
		free(sb);
	}

	/* Inspect prefixes without allow prefixes: nothing to override, no
	 * chain. */
	c.nallow = 0;
	CHECK(pg_nft_apply(&c, &k, err, sizeof(err)) == 0);
	text = run("nft list table inet peergate", NULL);
	CHECK(!strstr(text, "exceptions") && !strstr(text, "127.0.0.3"));
	free(text);

	/* A bad inspect prefix is refused like a bad allow prefix. */
	inspect[0].len = 33;
	c.nallow = 2;
	CHECK(pg_nft_apply(&c, &k, err, sizeof(err)) < 0);
	CHECK_HAS(err, "inspect prefix 0: family 4 / length 33");

	close(rx2);
	close(rx3);
	close(tx2);
	close(tx3);
	CHECK(pg_nft_flush(err, sizeof(err)) == 0);
}

int main(void)
{
	int rc = nft_test_enter_netns("test_nft_traffic");

	if (rc >= 0)
		return rc;
	test_traffic();
	test_dyn_block();
	test_inspect_beats_allow();
	return pg_test_summary("test_nft_traffic");
}
