/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Copyright (C) 2025 The peergate authors
 *
 * What the NFQUEUE tests against the real kernel path share (test_nfq.c,
 * test_nfq_options.c).  The test moves itself into a private network
 * namespace (nothing touches the host), builds a small nft table there
 * with libnftnl, and sends real UDP datagrams over loopback:
 *
 *   table inet pgnfqtest {
 *     chain out { type filter hook output priority 0; policy accept;
 *       meta mark & M != 0 ct mark set meta mark & M
 *       ct mark & M == ACCEPT accept
 *       ct mark & M == BLOCK drop
 *       meta nfproto ipv4 meta l4proto udp udp dport PORT queue num Q bypass
 *     }                                   (the xt NFQUEUE v3 target, compat)
 *   }
 *
 * (built by nfq_test_table.h); here are the namespace, the sockets, the
 * datagrams' tags and the queue callback the scenarios answer with.
 */
#ifndef PEERGATE_TEST_NFQ_TEST_UTIL_H
#define PEERGATE_TEST_NFQ_TEST_UTIL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "check.h"
#include "nfq_test_table.h"

#include "peergate/mark.h"
#include "peergate/nfq.h"
#include "peergate/packet.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* How long "nothing arrives" is watched for.  Loopback delivery normally
 * happens inside the verdict's sendmsg, so this is generous. */
#define QUIET_MS 150
/* How long expected datagrams may take (a loaded CI machine may defer the
 * softirq that delivers them). */
#define PATIENCE_MS 2000

/* ---- namespace and sockets --------------------------------------------- */

static inline int lo_up(void)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int ret = -1;

	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		goto out;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		goto out;
	ret = 0;
out:
	close(fd);
	return ret;
}

static inline struct sockaddr_in lo_addr(uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sa;
}

static inline int udp_receiver(void)
{
	struct sockaddr_in sa = lo_addr(PORT);
	int big = 32 << 20;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -1;
	/* The whole burst lands here before we read any of it. */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A new sender socket is a new flow (fresh ephemeral source port). */
static inline int udp_sender(void)
{
	struct sockaddr_in sa = lo_addr(PORT);
	int big = 32 << 20;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	/* A queued datagram still counts against its sender's buffer, so a
	 * burst that waits in the queue would block send() otherwise. */
	setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Datagram payload: "PGNQ", a per-scenario tag and an index, big endian. */
#define HDR_LEN 12

static inline void put_hdr(uint8_t *p, uint32_t tag, uint32_t idx)
{
	uint32_t t = htonl(tag), i = htonl(idx);
	memcpy(p, "PGNQ", 4);
	memcpy(p + 4, &t, 4);
	memcpy(p + 8, &i, 4);
}

static inline bool get_hdr(const uint8_t *p, size_t len, uint32_t *tag, uint32_t *idx)
{
	if (len < HDR_LEN || memcmp(p, "PGNQ", 4) != 0)
		return false;
	*tag = pg_be32(p + 4);
	*idx = pg_be32(p + 8);
	return true;
}

static inline void send_n(int fd, uint32_t tag, uint32_t first, uint32_t n)
{
	uint8_t p[HDR_LEN];

	for (uint32_t i = first; i < first + n; i++) {
		put_hdr(p, tag, i);
		/* EPERM is the kernel dropping it in OUTPUT: expected in
		 * the block scenarios. */
		if (send(fd, p, sizeof(p), 0) != (ssize_t)sizeof(p) &&
		    errno != EPERM)
			perror("send");
	}
}

static inline double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

struct rx_result {
	unsigned got;       /* datagrams with the tag */
	unsigned dups;      /* an index seen twice */
	unsigned stray;     /* other tags: leftovers of an earlier scenario */
	size_t last_len;
};

/* Reads datagrams of one tag until `expect` arrived (then also what is
 * immediately behind them), or until nothing came for PATIENCE_MS; with
 * expect == 0, watches for QUIET_MS.  seen, if given, counts per index
 * (n entries). */
static inline struct rx_result rx_collect(int fd, uint32_t tag, unsigned expect,
					  uint8_t *seen, size_t n)
{
	struct rx_result r = { 0 };
	uint8_t buf[2048];

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int wait = !expect ? QUIET_MS : r.got >= expect ? 0 : PATIENCE_MS;
		ssize_t len;
		uint32_t t, i;

		if (poll(&pfd, 1, wait) <= 0)
			break;
		while ((len = recv(fd, buf, sizeof(buf), 0)) >= 0) {
			if (!get_hdr(buf, (size_t)len, &t, &i) || t != tag) {
				r.stray++;
				continue;
			}
			r.got++;
			r.last_len = (size_t)len;
			if (seen && i < n && ++seen[i] > 1)
				r.dups++;
		}
	}
	/* A datagram of an earlier scenario arriving late: delivered more
	 * than once, or long after its verdict. */
	CHECK(r.stray == 0);
	return r;
}

/* ---- the callback ------------------------------------------------------ */

enum answer { ANS_VERDICT, ANS_FAIL, ANS_UNSET };

struct tctx {
	enum answer how;
	struct pg_nfq_verdict v;
	/* When set, packets from index `switch_at` on get v2 instead. */
	uint32_t switch_at;
	struct pg_nfq_verdict v2;

	unsigned calls;
	unsigned long total;  /* every call, never reset */
	unsigned foreign;   /* not a datagram of ours */
	unsigned dups;
	uint8_t *seen;
	size_t nseen;
	/* the last packet */
	uint32_t tag, idx, mark;
	uint16_t hw;
	uint8_t hook;
	size_t len, orig_len;
	bool parsed;
	bool has_ct;
};

static inline bool cb(void *opaque, const struct pg_nfq_packet *pkt,
		      struct pg_nfq_verdict *v)
{
	struct tctx *c = opaque;
	struct pg_packet pp;
	struct in_addr lo = { htonl(INADDR_LOOPBACK) };

	c->calls++;
	c->total++;
	c->hw = pkt->hw_protocol;
	c->hook = pkt->hook;
	c->len = pkt->len;
	c->orig_len = pkt->orig_len;
	c->mark = pkt->mark;
	c->has_ct = pkt->has_ct;
	c->parsed = pg_packet_parse(pkt->data, pkt->len, &pp) == PG_PARSE_OK &&
		    pp.family == 4 && pp.l4proto == IPPROTO_UDP &&
		    pp.dport == PORT && memcmp(pp.dst, &lo, 4) == 0 &&
		    get_hdr(pp.payload, pp.payload_len, &c->tag, &c->idx);
	if (!c->parsed)
		c->foreign++;
	else if (c->seen && c->idx < c->nseen && ++c->seen[c->idx] > 1)
		c->dups++;

	switch (c->how) {
	case ANS_FAIL:
		return false;
	case ANS_UNSET:
		return true;
	case ANS_VERDICT:
		break;
	}
	*v = (c->switch_at && c->parsed && c->idx >= c->switch_at) ? c->v2 : c->v;
	return true;
}

static inline void answer(struct tctx *c, enum pg_nfq_verdict_kind kind,
			  enum pg_mark_code code)
{
	c->how = ANS_VERDICT;
	c->switch_at = 0;
	c->v.kind = kind;
	c->v.mark = pg_mark_value(MASK, code);
	c->v.ct_mark = pg_mark_value(MASK, code);
	c->calls = 0;
	c->foreign = 0;
	c->dups = 0;
	c->seen = NULL;
	c->nseen = 0;
}


/* Processes until the queue socket is empty; counts calls that returned
 * -1 and the largest batch. */
struct pump_result {
	unsigned handled, calls, fatal, max_batch;
};

static inline struct pump_result pump(struct pg_nfq *q, struct tctx *c)
{
	struct pump_result r = { 0 };
	int n;

	while ((n = pg_nfq_process(q, false, cb, c)) != 0) {
		if (n < 0) {
			r.fatal++;
			break;
		}
		r.calls++;
		r.handled += (unsigned)n;
		if ((unsigned)n > r.max_batch)
			r.max_batch = (unsigned)n;
	}
	return r;
}


static inline struct pg_nfq *open_q(const struct pg_nfq_config *cfg)
{
	char err[256] = "";
	struct pg_nfq *q = pg_nfq_open(cfg, err, sizeof(err));

	if (!q)
		fprintf(stderr, "pg_nfq_open: %s\n", err);
	return q;
}

/* Moves the test into a private network namespace with the queueing
 * table, and binds the receiving socket.  Returns -1 when ready (*rx
 * set), else the exit code to leave with (77: skipped). */
static inline int nfq_test_setup(const char *name, int *rx)
{
	if (geteuid() != 0) {
		printf("%s: SKIP: needs root (a private network namespace, "
		       "nftables and NFQUEUE)\n", name);
		return 77;
	}
	if (unshare(CLONE_NEWNET) < 0) {
		printf("%s: SKIP: unshare(CLONE_NEWNET): %s\n", name,
		       strerror(errno));
		return 77;
	}
	if (lo_up() < 0 || install_table() < 0) {
		fprintf(stderr, "%s: cannot set up the namespace\n", name);
		return 1;
	}
	*rx = udp_receiver();
	if (*rx < 0) {
		perror("receiver");
		return 1;
	}
	return -1;
}

#endif

