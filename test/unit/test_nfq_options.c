/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Copyright (C) 2025 The peergate authors
 *
 * The NFQUEUE module's options against the real kernel path: GSO, a short
 * copy range, a small socket buffer and the queue's maximum length, each
 * on a queue of its own.  Root only; the namespace, the nft table and the
 * sockets are in nfq_test_util.h.  The verdicts are test_nfq.c.
 */
#include "nfq_test_util.h"

#include <netinet/udp.h>

/* NFQA_CFG_F_GSO: a UDP GSO send (one skb of 4 segments) reaches the queue
 * as one packet when GSO is on, as 4 segments when it is off.  Its
 * checksum is not ready (CSUMNOTREADY); accepting it must still deliver. */
static void test_gso(int rx, struct tctx *c, bool gso)
{
	struct pg_nfq_config cfg;
	struct pg_nfq *q;
	uint8_t buf[4000];
	int seg = 1000, tx;
	uint32_t tag = gso ? 10 : 11;
	struct rx_result r;

	pg_nfq_config_defaults(&cfg);
	cfg.queue_num = QNUM;
	cfg.gso = gso;
	q = open_q(&cfg);
	CHECK(q != NULL);
	if (!q)
		return;
	tx = udp_sender();
	for (int i = 0; i < 4; i++) {
		memset(buf + i * seg, 'x', (size_t)seg);
		put_hdr(buf + i * seg, tag, (uint32_t)i);
	}
	CHECK(setsockopt(tx, SOL_UDP, UDP_SEGMENT, &seg, sizeof(seg)) == 0);
	CHECK(send(tx, buf, sizeof(buf), 0) == (ssize_t)sizeof(buf));
	answer(c, PG_NFQ_ACCEPT, PG_MARK_NONE);
	pump(q, c);
	r = rx_collect(rx, tag, 4, NULL, 0);
	printf("GSO %s: one 4x%d UDP GSO send reached the queue as %u packet(s), "
	       "last %zu bytes; %u datagrams delivered\n", gso ? "on " : "off",
	       seg, c->calls, c->len, r.got);
	if (gso) {
		CHECK(c->calls == 1);
		CHECK(c->len == 20 + 8 + sizeof(buf));
	} else {
		CHECK(c->calls == 4);
		CHECK(c->len == 20 + 8 + (size_t)seg);
	}
	CHECK(r.got == 4);
	CHECK(r.last_len == (size_t)seg);
	close(tx);
	pg_nfq_close(q);
}

/* copy_range shorter than the packet: NFQA_CAP_LEN gives the real length
 * and the copy is counted as truncated; the packet itself is unharmed. */
static void test_truncated(int rx, struct tctx *c)
{
	struct pg_nfq_config cfg;
	struct pg_nfq_stats s;
	struct pg_nfq *q;
	int tx;

	pg_nfq_config_defaults(&cfg);
	cfg.queue_num = QNUM;
	cfg.copy_range = 24;
	q = open_q(&cfg);
	CHECK(q != NULL);
	if (!q)
		return;
	tx = udp_sender();
	answer(c, PG_NFQ_ACCEPT, PG_MARK_NONE);
	send_n(tx, 16, 0, 1);
	pump(q, c);
	pg_nfq_get_stats(q, &s);
	CHECK(c->calls == 1);
	CHECK(c->len == 24);
	CHECK(c->orig_len == 20 + 8 + HDR_LEN);
	CHECK(s.truncated == 1);
	CHECK(rx_collect(rx, 16, 1, NULL, 0).last_len == HDR_LEN);
	close(tx);
	pg_nfq_close(q);
}

/* A socket buffer too small for the burst: the kernel reports ENOBUFS,
 * which is counted and not fatal; with FAIL_OPEN the packets it could not
 * hand us are accepted, so every datagram still arrives. */
static void test_enobufs(int rx, struct tctx *c)
{
	struct pg_nfq_config cfg;
	struct pg_nfq_stats s;
	struct pump_result p;
	struct rx_result r;
	struct pg_nfq *q;
	int tx;

	pg_nfq_config_defaults(&cfg);
	cfg.queue_num = QNUM;
	cfg.rcvbuf = 4096;
	cfg.fail_open = true;
	q = open_q(&cfg);
	CHECK(q != NULL);
	if (!q)
		return;
	tx = udp_sender();
	answer(c, PG_NFQ_ACCEPT, PG_MARK_NONE);
	send_n(tx, 12, 0, 200);
	p = pump(q, c);
	r = rx_collect(rx, 12, 200, NULL, 0);
	pg_nfq_get_stats(q, &s);
	printf("small rcvbuf + FAIL_OPEN: 200 sent, %u queued to us, enobufs %llu, "
	       "%u delivered\n", c->calls, (unsigned long long)s.enobufs, r.got);
	CHECK(p.fatal == 0);
	CHECK(s.enobufs >= 1);
	CHECK(c->calls < 200);
	CHECK(s.received == s.verdicts);
	CHECK(r.got == 200);
	close(tx);
	pg_nfq_close(q);
}

/* queue_maxlen and FAIL_OPEN: past maxlen the kernel drops, or accepts when
 * FAIL_OPEN was taken. */
static void test_maxlen(int rx, struct tctx *c, bool fail_open)
{
	struct pg_nfq_config cfg;
	struct rx_result r;
	struct pg_nfq *q;
	uint32_t tag = fail_open ? 13 : 14;
	int tx;

	pg_nfq_config_defaults(&cfg);
	cfg.queue_num = QNUM;
	cfg.queue_maxlen = 8;
	cfg.fail_open = fail_open;
	q = open_q(&cfg);
	CHECK(q != NULL);
	if (!q)
		return;
	tx = udp_sender();
	answer(c, PG_NFQ_ACCEPT, PG_MARK_NONE);
	send_n(tx, tag, 0, 50);
	pump(q, c);
	r = rx_collect(rx, tag, fail_open ? 50 : 8, NULL, 0);
	printf("maxlen 8, FAIL_OPEN %s: 50 sent, %u queued, %u delivered\n",
	       fail_open ? "on " : "off", c->calls, r.got);
	CHECK(c->calls == 8);
	CHECK(r.got == (fail_open ? 50u : 8u));
	close(tx);
	pg_nfq_close(q);
}

int main(void)
{
	struct tctx c;
	int rx, rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	memset(&c, 0, sizeof(c));
	rc = nfq_test_setup("test_nfq_options", &rx);
	if (rc >= 0)
		return rc;

	test_gso(rx, &c, true);
	test_gso(rx, &c, false);
	test_truncated(rx, &c);
	test_enobufs(rx, &c);
	test_maxlen(rx, &c, false);
	test_maxlen(rx, &c, true);

	close(rx);
	return pg_test_summary("test_nfq_options");
}
