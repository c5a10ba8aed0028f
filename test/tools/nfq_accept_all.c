/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nfq_accept_all: the baseline of the inline benchmark.  It installs the
 * same table peergated does (table inet peergate, forward hook, every
 * undecided packet to the queue) with no port sets, binds the queue with the
 * project's NFQUEUE code (src/net/nfq.c, same batching as the daemon), and
 * accepts every packet without stamping a mark, so nothing is ever offloaded
 * to the kernel: every forwarded packet makes the trip to user space.
 *
 * With --offload it stamps the accept code on every packet it gets, as
 * peergated stamps a decided flow (NF_REPEAT with the packet mark, which
 * the table copies into the ct mark): each flow then costs the trip of its
 * first queued packet only.  That is the floor of the inline benchmark: a
 * classifier that decides every flow on its first packet, for free.
 *
 * Usage: nfq_accept_all [--queue N] [--offload]
 *                                        (root; SIGTERM/SIGINT stop it and
 *                                         remove the table)
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peergate/mark.h"
#include "peergate/nfq.h"
#include "peergate/nft_table.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

struct counts {
	unsigned long long packets;
	bool offload;
};

static bool accept_all(void *ctx, const struct pg_nfq_packet *pkt, struct pg_nfq_verdict *v)
{
	struct counts *n = ctx;
	n->packets++;
	if (!n->offload) {
		v->kind = PG_NFQ_ACCEPT;
		return true;
	}
	v->kind = PG_NFQ_REPEAT_MARK;
	v->mark = (pkt->mark & ~PG_MARK_DEFAULT_MASK) |
		  pg_mark_value(PG_MARK_DEFAULT_MASK, PG_MARK_ACCEPT);
	return true;
}

int main(int argc, char **argv)
{
	struct pg_nfq_config qc;
	struct pg_nft_config nc;
	enum pg_nft_queue_kind kind;
	char err[512];
	struct counts counts = {0};
	int ret = 1;

	pg_nfq_config_defaults(&qc);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--queue") && i + 1 < argc) {
			qc.queue_num = (uint16_t)atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--offload")) {
			counts.offload = true;
		} else {
			fprintf(stderr, "usage: nfq_accept_all [--queue N] [--offload]\n");
			return 2;
		}
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;   /* no SA_RESTART: recv returns EINTR */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	qc.fail_open = true;
	struct pg_nfq *q = pg_nfq_open(&qc, err, sizeof(err));
	if (!q) {
		fprintf(stderr, "nfq_accept_all: queue %u: %s\n", qc.queue_num, err);
		return 1;
	}
	memset(&nc, 0, sizeof(nc));
	nc.hooks = PG_HOOK_FORWARD;
	nc.queue_first = qc.queue_num;
	nc.queue_count = 1;
	nc.queue_bypass = true;
	nc.mark_mask = PG_MARK_DEFAULT_MASK;
	nc.tcp_reset = true;
	if (pg_nft_apply(&nc, &kind, err, sizeof(err)) < 0) {
		fprintf(stderr, "nfq_accept_all: %s\n", err);
		pg_nfq_close(q);
		return 1;
	}
	fprintf(stderr, "nfq_accept_all: queue %u (%s), accepting everything%s\n", qc.queue_num,
		pg_nft_queue_kind_name(kind), counts.offload ? ", offloading each flow" : "");
	while (!stop) {
		if (pg_nfq_process(q, true, accept_all, &counts) < 0 && errno != EINTR) {
			fprintf(stderr, "nfq_accept_all: %s\n", strerror(errno));
			goto out;
		}
	}
	ret = 0;
out:
	if (pg_nft_flush(err, sizeof(err)) < 0)
		fprintf(stderr, "nfq_accept_all: %s\n", err);
	struct pg_nfq_stats st;
	pg_nfq_get_stats(q, &st);
	fprintf(stderr, "nfq_accept_all: %llu packets, %llu verdicts, %llu enobufs\n", counts.packets,
		(unsigned long long)st.verdicts, (unsigned long long)st.enobufs);
	pg_nfq_close(q);
	return ret;
}
