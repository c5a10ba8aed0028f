/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The NFQUEUE socket: libmnl + the nfq_nlmsg_* API.  It receives packets,
 * hands each to a callback, and sends exactly one verdict per packet, several
 * verdict messages per sendmsg.
 */
#ifndef PEERGATE_NFQ_H
#define PEERGATE_NFQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pg_nfq;

struct pg_nfq_config {
	uint16_t queue_num;
	uint32_t queue_maxlen;      /* kernel queue length (default 4096) */
	uint32_t copy_range;        /* bytes of each packet copied (default 0xffff) */
	bool fail_open;             /* NFQA_CFG_F_FAIL_OPEN: accept when the queue is full */
	bool gso;                   /* NFQA_CFG_F_GSO */
	uint32_t rcvbuf;            /* socket receive buffer (default 8 MiB) */
	unsigned batch_max;         /* packets received per process() call */
};

void pg_nfq_config_defaults(struct pg_nfq_config *cfg);

struct pg_nfq_packet {
	uint32_t id;
	uint16_t hw_protocol;       /* ETH_P_IP / ETH_P_IPV6, host order */
	uint8_t hook;
	const uint8_t *data;        /* from the IP header */
	size_t len;                 /* bytes copied */
	size_t orig_len;            /* the packet's real length (>= len) */
	uint32_t mark;
	bool has_ct;                /* NFQA_CT was present */
	uint32_t ct_mark;           /* when has_ct */
};

enum pg_nfq_verdict_kind {
	PG_NFQ_ACCEPT = 0,          /* NF_ACCEPT, mark untouched */
	PG_NFQ_DROP,                /* NF_DROP */
	PG_NFQ_REPEAT_MARK,         /* NF_REPEAT with packet mark = mark */
	PG_NFQ_ACCEPT_CTMARK,       /* NF_ACCEPT with NFQA_CT/CTA_MARK = ct_mark
				       (only when pg_nfq_has_ct() is true) */
};

struct pg_nfq_verdict {
	enum pg_nfq_verdict_kind kind;
	uint32_t mark;
	uint32_t ct_mark;
};

/* The callback fills *v.  If it does not (or returns false), the packet is
 * accepted and counted as a verdict error. */
typedef bool (*pg_nfq_cb)(void *ctx, const struct pg_nfq_packet *pkt,
			  struct pg_nfq_verdict *v);

struct pg_nfq_stats {
	uint64_t received;
	uint64_t verdicts;
	uint64_t verdict_errors;    /* callback failed; accepted instead */
	uint64_t send_errors;
	uint64_t enobufs;           /* kernel dropped messages to us */
	uint64_t truncated;         /* copy shorter than the packet */
};

/* Binds the queue and configures it.  Returns NULL with a message in err. */
struct pg_nfq *pg_nfq_open(const struct pg_nfq_config *cfg, char *err,
			   size_t errlen);
void pg_nfq_close(struct pg_nfq *q);

int pg_nfq_fd(const struct pg_nfq *q);

/* True when the kernel accepted NFQA_CFG_F_CONNTRACK, so verdicts can carry
 * a ct mark (CONFIG_NETFILTER_NETLINK_GLUE_CT). */
bool pg_nfq_has_ct(const struct pg_nfq *q);

/* Receives what is pending (blocking for the first message only when
 * block is true), calls cb for each packet, and sends the verdicts.  Returns
 * the number of packets handled, 0 when nothing was pending, -1 on a fatal
 * socket error (ENOBUFS is counted, not fatal). */
int pg_nfq_process(struct pg_nfq *q, bool block, pg_nfq_cb cb, void *ctx);

void pg_nfq_get_stats(const struct pg_nfq *q, struct pg_nfq_stats *out);

#endif
