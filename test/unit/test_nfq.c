/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Copyright (C) 2025 The peergate authors
 *
 * The NFQUEUE module against the real kernel path: the verdicts, the
 * conntrack-mark offload and the counters on one queue.  Root only; the
 * namespace, the nft table and the sockets are in nfq_test_util.h.  The
 * queue's options (GSO, copy range, buffer size, maximum length) are
 * test_nfq_options.c.
 */
#include "nfq_test_util.h"

#include <linux/if_ether.h>

#define BURST 2000

static struct pg_nfq_verdict verdict_of(enum pg_nfq_verdict_kind kind,
					enum pg_mark_code code)
{
	struct pg_nfq_verdict v = { kind, pg_mark_value(MASK, code),
				    pg_mark_value(MASK, code) };
	return v;
}

/* /proc/config.gz as ground truth: 1 = set, 0 = not set, -1 = unknown. */
static int kernel_config(const char *sym)
{
	char line[256], on[128], off[128];
	FILE *f = popen("zcat /proc/config.gz 2>/dev/null", "r");
	int ret = -1;

	if (!f)
		return -1;
	snprintf(on, sizeof(on), "%s=y", sym);
	snprintf(off, sizeof(off), "# %s is not set", sym);
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, on, strlen(on)))
			ret = 1;
		else if (!strncmp(line, off, strlen(off)))
			ret = 0;
	}
	pclose(f);
	return ret;
}

/* ---- scenarios --------------------------------------------------------- */

static void test_defaults(void)
{
	struct pg_nfq_config cfg;

	memset(&cfg, 0xab, sizeof(cfg));
	pg_nfq_config_defaults(&cfg);
	CHECK(cfg.queue_num == 0);
	CHECK(cfg.queue_maxlen == 4096);
	CHECK(cfg.copy_range == 0xffff);
	CHECK(cfg.rcvbuf == 8u << 20);
	CHECK(cfg.batch_max == 64);
	CHECK(cfg.gso);
}

/* (1) what the callback sees; (2) ACCEPT delivers */
static void test_accept(struct pg_nfq *q, int rx, struct tctx *c)
{
	int tx = udp_sender();
	struct pump_result p;
	struct rx_result r;

	answer(c, PG_NFQ_ACCEPT, PG_MARK_NONE);
	send_n(tx, 1, 0, 1);
	p = pump(q, c);
	CHECK(p.fatal == 0);
	CHECK(p.handled == 1);
	CHECK(c->calls == 1);
	CHECK(c->parsed);
	CHECK(c->tag == 1 && c->idx == 0);
	CHECK(c->hw == ETH_P_IP);
	CHECK(c->hook == NF_INET_LOCAL_OUT);
	CHECK(c->len == 20 + 8 + HDR_LEN);
	CHECK(c->orig_len == c->len);
	CHECK(c->mark == 0);
	r = rx_collect(rx, 1, 1, NULL, 0);
	CHECK(r.got == 1);
	CHECK(r.last_len == HDR_LEN);
	close(tx);
}

/* (3) DROP drops that packet, and only that one */
static void test_drop(struct pg_nfq *q, int rx, struct tctx *c)
{
	int tx = udp_sender();
	struct rx_result r;

	answer(c, PG_NFQ_DROP, PG_MARK_NONE);
	send_n(tx, 2, 0, 3);
	pump(q, c);
	CHECK(c->calls == 3);
	r = rx_collect(rx, 2, 0, NULL, 0);
	CHECK(r.got == 0);

	/* A drop stamps nothing: the flow is still inspected. */
	answer(c, PG_NFQ_ACCEPT, PG_MARK_NONE);
	send_n(tx, 2, 3, 1);
	pump(q, c);
	CHECK(c->calls == 1);
	r = rx_collect(rx, 2, 1, NULL, 0);
	CHECK(r.got == 1);
	close(tx);
}

/* (4a) NF_REPEAT + ACCEPT mark on the first packet: the packet passes and
 * the rest of the flow never reaches the queue (the offload). */
static void test_repeat_accept(struct pg_nfq *q, int rx, struct tctx *c)
{
	int tx = udp_sender();
	struct rx_result r;

	answer(c, PG_NFQ_REPEAT_MARK, PG_MARK_ACCEPT);
	send_n(tx, 3, 0, 1);
	pump(q, c);
	CHECK(c->calls == 1);
	r = rx_collect(rx, 3, 1, NULL, 0);
	CHECK(r.got == 1);

	c->calls = 0;
	send_n(tx, 3, 1, 20);
	CHECK(pg_nfq_process(q, false, cb, c) == 0);
	CHECK(c->calls == 0);
	r = rx_collect(rx, 3, 20, NULL, 0);
	CHECK(r.got == 20);
	printf("offload: ACCEPT stamp on packet 1, then 20 datagrams: %u queued, "
	       "%u delivered\n", c->calls, r.got);
	close(tx);
}

/* (4b) NF_REPEAT + BLOCK mark once the flow's conntrack entry is
 * confirmed (an earlier packet passed): this packet and every later one are
 * dropped by the kernel without reaching the queue.  Packet 2 is sent only
 * after packet 1's verdict: while packet 1 waits in the queue its conntrack
 * entry is unconfirmed, and packet 2 would get an entry of its own. */
static void test_repeat_block(struct pg_nfq *q, int rx, struct tctx *c)
{
	int tx = udp_sender();
	struct rx_result r;

	answer(c, PG_NFQ_ACCEPT, PG_MARK_NONE);
	c->switch_at = 1;
	c->v2 = verdict_of(PG_NFQ_REPEAT_MARK, PG_MARK_BLOCK);
	send_n(tx, 4, 0, 1);
	pump(q, c);
	send_n(tx, 4, 1, 1);
	pump(q, c);
	CHECK(c->calls == 2);
	r = rx_collect(rx, 4, 1, NULL, 0);
	CHECK(r.got == 1);

	c->calls = 0;
	send_n(tx, 4, 2, 10);
	CHECK(pg_nfq_process(q, false, cb, c) == 0);
	CHECK(c->calls == 0);
	r = rx_collect(rx, 4, 0, NULL, 0);
	CHECK(r.got == 0);
	printf("offload: BLOCK stamp on packet 2, then 10 datagrams: %u queued, "
	       "%u delivered\n", c->calls, r.got);
	close(tx);
}

/* A measurement, not a requirement of the module: a BLOCK stamp on the
 * very first packet of a flow.  The packet is dropped while its conntrack
 * entry is still unconfirmed, so the entry (and its mark) is freed with it,
 * and the next packet starts a new entry and is queued again. */
static void test_block_first(struct pg_nfq *q, int rx, struct tctx *c)
{
	int tx = udp_sender();
	struct rx_result r;
	unsigned requeued;

	answer(c, PG_NFQ_REPEAT_MARK, PG_MARK_BLOCK);
	send_n(tx, 5, 0, 1);
	pump(q, c);
	CHECK(c->calls == 1);

	answer(c, PG_NFQ_DROP, PG_MARK_NONE);
	send_n(tx, 5, 1, 3);
	pump(q, c);
	requeued = c->calls;
	r = rx_collect(rx, 5, 0, NULL, 0);
	CHECK(r.got == 0);
	printf("NOTE: BLOCK stamp on a flow's first packet (unconfirmed conntrack): "
	       "%u of 3 later datagrams reached the queue again (%s)\n", requeued,
	       requeued ? "stamp lost with the dropped entry" : "stamp kept");
	close(tx);
}

/* A measurement: the flow is decided on its second packet, but both were
 * queued before the first verdict (a client sending back-to-back).  The
 * second packet then carries its own unconfirmed conntrack entry, and the
 * stamp is on that entry, which loses the clash with the first packet's
 * confirmed one. */
static void test_stamp_in_flight(struct pg_nfq *q, int rx, struct tctx *c)
{
	int tx = udp_sender();
	struct rx_result r;
	unsigned later;

	answer(c, PG_NFQ_ACCEPT, PG_MARK_NONE);
	c->switch_at = 1;
	c->v2 = verdict_of(PG_NFQ_REPEAT_MARK, PG_MARK_ACCEPT);
	send_n(tx, 15, 0, 2);
	pump(q, c);
	CHECK(c->calls == 2);
	c->calls = 0;
	send_n(tx, 15, 2, 5);
	pump(q, c);
	later = c->calls;
	r = rx_collect(rx, 15, 7, NULL, 0);
	CHECK(r.got == 7);
	printf("NOTE: ACCEPT stamp on packet 2 while packet 1 was still queued: "
	       "%u of 5 later datagrams reached the queue (%s)\n", later,
	       later ? "stamp lost in the conntrack clash" : "stamp kept");
	close(tx);
}

/* (5) the ct glue: detection, and what ACCEPT_CTMARK does accordingly */
static void test_ct(struct pg_nfq *q, int rx, struct tctx *c,
		    struct pg_nfq_stats *before)
{
	int cfg = kernel_config("CONFIG_NETFILTER_NETLINK_GLUE_CT");
	bool has = pg_nfq_has_ct(q);
	int tx = udp_sender();
	struct pg_nfq_stats s;
	struct rx_result r;

	printf("ct glue: pg_nfq_has_ct() = %s; /proc/config.gz "
	       "CONFIG_NETFILTER_NETLINK_GLUE_CT = %s\n", has ? "true" : "false",
	       cfg < 0 ? "unknown" : cfg ? "y" : "not set");
	if (cfg >= 0)
		CHECK(has == (cfg == 1));

	answer(c, PG_NFQ_ACCEPT_CTMARK, PG_MARK_ACCEPT);
	send_n(tx, 6, 0, 1);
	pump(q, c);
	CHECK(c->calls == 1);
	CHECK(c->has_ct == has);
	r = rx_collect(rx, 6, 1, NULL, 0);
	CHECK(r.got == 1);
	pg_nfq_get_stats(q, &s);
	if (has) {
		/* The verdict stamped the ct mark: the flow is offloaded. */
		CHECK(s.verdict_errors == before->verdict_errors);
		c->calls = 0;
		send_n(tx, 6, 1, 5);
		pump(q, c);
		CHECK(c->calls == 0);
		CHECK(rx_collect(rx, 6, 5, NULL, 0).got == 5);
	} else {
		/* Cannot be honoured: accepted and counted as an error. */
		CHECK(s.verdict_errors == before->verdict_errors + 1);
	}
	close(tx);
}

/* (7) a failing callback, or one that leaves v unset: the packet is still
 * accepted, exactly once, and counted. */
static void test_fail_open_cb(struct pg_nfq *q, int rx, struct tctx *c)
{
	int tx = udp_sender();
	struct pg_nfq_stats a, b;
	struct rx_result r;

	pg_nfq_get_stats(q, &a);
	answer(c, PG_NFQ_DROP, PG_MARK_NONE);
	c->how = ANS_FAIL;
	send_n(tx, 7, 0, 2);
	pump(q, c);
	c->how = ANS_UNSET;
	send_n(tx, 7, 2, 2);
	pump(q, c);
	CHECK(c->calls == 4);
	r = rx_collect(rx, 7, 4, NULL, 0);
	CHECK(r.got == 4);
	pg_nfq_get_stats(q, &b);
	CHECK(b.verdict_errors == a.verdict_errors + 4);
	CHECK(b.received == a.received + 4);
	CHECK(b.verdicts == a.verdicts + 4);
	close(tx);
}

/* A burst larger than one batch: every packet seen once, verdicted once,
 * delivered once. */
static void test_burst(struct pg_nfq *q, int rx, struct tctx *c)
{
	static uint8_t seen_cb[BURST], seen_rx[BURST];
	int tx = udp_sender();
	struct pg_nfq_stats a, b;
	struct pump_result p;
	struct rx_result r;
	double t0, t1;

	pg_nfq_get_stats(q, &a);
	answer(c, PG_NFQ_ACCEPT, PG_MARK_NONE);
	c->seen = seen_cb;
	c->nseen = BURST;
	send_n(tx, 8, 0, BURST);
	t0 = now_ms();
	p = pump(q, c);
	t1 = now_ms();
	r = rx_collect(rx, 8, BURST, seen_rx, BURST);
	pg_nfq_get_stats(q, &b);

	CHECK(p.fatal == 0);
	CHECK(p.handled == BURST);
	CHECK(c->calls == BURST);
	CHECK(c->dups == 0);
	CHECK(c->foreign == 0);
	CHECK(p.max_batch == 64);
	CHECK(p.calls >= BURST / 64);
	CHECK(r.got == BURST);
	CHECK(r.dups == 0);
	CHECK(b.received - a.received == BURST);
	CHECK(b.verdicts - a.verdicts == BURST);
	CHECK(b.send_errors == a.send_errors);
	CHECK(b.enobufs == a.enobufs);
	printf("burst: %u datagrams in %u process() calls (max %u per call), "
	       "%.1f ms, %u delivered\n", p.handled, p.calls, p.max_batch,
	       t1 - t0, r.got);
	c->seen = NULL;
	close(tx);
}

static void test_block_timeout(struct pg_nfq *q, struct tctx *c)
{
	double t0 = now_ms(), dt;
	int n = pg_nfq_process(q, true, cb, c);

	dt = now_ms() - t0;
	CHECK(n == 0);
	CHECK(dt > 500 && dt < 3000);
	printf("idle blocking process(): returned %d after %.0f ms\n", n, dt);
}

static void test_second_bind(void)
{
	struct pg_nfq_config cfg;
	char err[256] = "";
	struct pg_nfq *q2;

	pg_nfq_config_defaults(&cfg);
	cfg.queue_num = QNUM;
	q2 = pg_nfq_open(&cfg, err, sizeof(err));
	CHECK(q2 == NULL);
	CHECK(strstr(err, "queue 7") != NULL);
	printf("second bind of queue %d: %s\n", QNUM, err);
	pg_nfq_close(q2);
}

/* Packets still pending at close are accepted, not dropped. */
static void test_close_drains(struct pg_nfq *q, int rx)
{
	int tx = udp_sender();

	send_n(tx, 9, 0, 3);
	pg_nfq_close(q);
	CHECK(rx_collect(rx, 9, 3, NULL, 0).got == 3);
	close(tx);
}

/* (6) the counters: one verdict per packet received, none refused by the
 * kernel (a refused verdict, e.g. a second one for the same id, would come
 * back as an error and count as send_error).  One more process() collects
 * any such late error. */
static void check_stats(struct pg_nfq *q, struct tctx *c,
			const struct pg_nfq_stats *s0)
{
	struct pg_nfq_stats s;

	pg_nfq_process(q, false, cb, c);
	pg_nfq_get_stats(q, &s);
	printf("stats: received %llu verdicts %llu verdict_errors %llu "
	       "send_errors %llu enobufs %llu truncated %llu\n",
	       (unsigned long long)s.received, (unsigned long long)s.verdicts,
	       (unsigned long long)s.verdict_errors,
	       (unsigned long long)s.send_errors,
	       (unsigned long long)s.enobufs, (unsigned long long)s.truncated);
	CHECK(s.received == s.verdicts);
	CHECK(s.received - s0->received == c->total);
	CHECK(s.send_errors == 0);
	CHECK(s.enobufs == 0);
	CHECK(s.truncated == 0);
	CHECK(s.verdict_errors ==
	      (pg_nfq_has_ct(q) ? 0u : 1u) + 4u);
}

int main(void)
{
	struct pg_nfq_config cfg;
	struct pg_nfq_stats s0, s;
	struct tctx c;
	struct pg_nfq *q;
	int rx, rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	memset(&c, 0, sizeof(c));
	test_defaults();

	rc = nfq_test_setup("test_nfq", &rx);
	if (rc >= 0)
		return rc;
	pg_nfq_config_defaults(&cfg);
	cfg.queue_num = QNUM;
	q = open_q(&cfg);
	CHECK(q != NULL);
	if (!q)
		return pg_test_summary("test_nfq");
	pg_nfq_get_stats(q, &s0);
	CHECK(pg_nfq_fd(q) >= 0);

	test_accept(q, rx, &c);
	test_drop(q, rx, &c);
	test_repeat_accept(q, rx, &c);
	test_repeat_block(q, rx, &c);
	test_block_first(q, rx, &c);
	test_stamp_in_flight(q, rx, &c);
	pg_nfq_get_stats(q, &s);
	test_ct(q, rx, &c, &s);
	test_fail_open_cb(q, rx, &c);
	test_burst(q, rx, &c);
	test_block_timeout(q, &c);
	test_second_bind();
	check_stats(q, &c, &s0);
	test_close_drains(q, rx);

	close(rx);
	return pg_test_summary("test_nfq");
}
