/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Copyright (C) 2025 The peergate authors
 *
 * The NFQUEUE tests' nft table, built with libnftnl in one transaction
 * (see nfq_test_util.h for what it holds).  It lives here on purpose: the
 * product's nft.c is a separate module and these tests must not depend
 * on it.
 */
#ifndef PEERGATE_TEST_NFQ_TEST_TABLE_H
#define PEERGATE_TEST_NFQ_TEST_TABLE_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "peergate/mark.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/xt_NFQUEUE.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>

#define QNUM 7
#define PORT 47000
#define MASK PG_MARK_DEFAULT_MASK
#define TABLE "pgnfqtest"
#define CHAIN "out"

/* ---- a tiny nft table builder ------------------------------------------ */

static inline void add_expr(struct nftnl_rule *r, struct nftnl_expr *e)
{
	nftnl_rule_add_expr(r, e); /* the rule owns e from here */
}

static inline void x_meta(struct nftnl_rule *r, uint32_t key)
{
	struct nftnl_expr *e = nftnl_expr_alloc("meta");
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
	add_expr(r, e);
}

static inline void x_ct_load(struct nftnl_rule *r, uint32_t key)
{
	struct nftnl_expr *e = nftnl_expr_alloc("ct");
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	add_expr(r, e);
}

static inline void x_ct_set(struct nftnl_rule *r, uint32_t key)
{
	struct nftnl_expr *e = nftnl_expr_alloc("ct");
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_SREG, NFT_REG_1);
	add_expr(r, e);
}

/* reg1 = reg1 & mask (marks sit in registers in host order) */
static inline void x_and(struct nftnl_rule *r, uint32_t mask)
{
	struct nftnl_expr *e = nftnl_expr_alloc("bitwise");
	uint32_t zero = 0;
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, sizeof(mask));
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, &mask, sizeof(mask));
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, &zero, sizeof(zero));
	add_expr(r, e);
}

static inline void x_cmp(struct nftnl_rule *r, uint32_t op, const void *data,
			 uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("cmp");
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
	add_expr(r, e);
}

static inline void x_verdict(struct nftnl_rule *r, uint32_t verdict)
{
	struct nftnl_expr *e = nftnl_expr_alloc("immediate");
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, verdict);
	add_expr(r, e);
}

static inline void x_payload(struct nftnl_rule *r, uint32_t base, uint32_t off,
			     uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("payload");
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
	add_expr(r, e);
}

/* The kernel here has no native `queue` (CONFIG_NFT_QUEUE); the xt target
 * through nft_compat does the same job. */
static inline void x_nfqueue(struct nftnl_rule *r, uint16_t qnum)
{
	struct nftnl_expr *e = nftnl_expr_alloc("target");
	struct xt_NFQ_info_v3 *info = calloc(1, sizeof(*info));

	if (!info)
		abort();
	info->queuenum = qnum;
	info->queues_total = 1;
	/* Accept while no queue is bound (between scenarios, after close). */
	info->flags = NFQ_FLAG_BYPASS;
	nftnl_expr_set_str(e, NFTNL_EXPR_TG_NAME, "NFQUEUE");
	nftnl_expr_set_u32(e, NFTNL_EXPR_TG_REV, 3);
	nftnl_expr_set(e, NFTNL_EXPR_TG_INFO, info, sizeof(*info)); /* owned */
	add_expr(r, e);
}

static inline struct nftnl_rule *new_rule(void)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, TABLE);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, CHAIN);
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	return r;
}

static inline void put_rule(struct mnl_nlmsg_batch *b, struct nftnl_rule *r,
			    uint32_t *seq)
{
	struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(
		mnl_nlmsg_batch_current(b), NFT_MSG_NEWRULE, NFPROTO_INET,
		NLM_F_APPEND | NLM_F_CREATE | NLM_F_ACK, (*seq)++);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_rule_free(r);
	mnl_nlmsg_batch_next(b);
}

static inline void put_table_and_chain(struct mnl_nlmsg_batch *b, uint32_t *seq)
{
	struct nftnl_table *t = nftnl_table_alloc();
	struct nftnl_chain *c = nftnl_chain_alloc();
	struct nlmsghdr *nlh;

	nftnl_table_set_str(t, NFTNL_TABLE_NAME, TABLE);
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
	nlh = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(b), NFT_MSG_NEWTABLE,
				    NFPROTO_INET, NLM_F_CREATE | NLM_F_ACK, (*seq)++);
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	mnl_nlmsg_batch_next(b);

	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, TABLE);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, CHAIN);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, "filter");
	nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, NF_INET_LOCAL_OUT);
	nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, 0);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	nlh = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(b), NFT_MSG_NEWCHAIN,
				    NFPROTO_INET, NLM_F_CREATE | NLM_F_ACK, (*seq)++);
	nftnl_chain_nlmsg_build_payload(nlh, c);
	nftnl_chain_free(c);
	mnl_nlmsg_batch_next(b);
}

static inline void put_rules(struct mnl_nlmsg_batch *b, uint32_t *seq)
{
	uint32_t zero = 0, accept = pg_mark_value(MASK, PG_MARK_ACCEPT);
	uint32_t block = pg_mark_value(MASK, PG_MARK_BLOCK);
	uint8_t nfproto = NFPROTO_IPV4, l4 = IPPROTO_UDP;
	uint16_t dport = htons(PORT);
	struct nftnl_rule *r;

	/* meta mark & M != 0 ct mark set meta mark & M */
	r = new_rule();
	x_meta(r, NFT_META_MARK);
	x_and(r, MASK);
	x_cmp(r, NFT_CMP_NEQ, &zero, sizeof(zero));
	x_ct_set(r, NFT_CT_MARK);
	put_rule(b, r, seq);

	/* ct mark & M == ACCEPT accept */
	r = new_rule();
	x_ct_load(r, NFT_CT_MARK);
	x_and(r, MASK);
	x_cmp(r, NFT_CMP_EQ, &accept, sizeof(accept));
	x_verdict(r, NF_ACCEPT);
	put_rule(b, r, seq);

	/* ct mark & M == BLOCK drop */
	r = new_rule();
	x_ct_load(r, NFT_CT_MARK);
	x_and(r, MASK);
	x_cmp(r, NFT_CMP_EQ, &block, sizeof(block));
	x_verdict(r, NF_DROP);
	put_rule(b, r, seq);

	/* meta nfproto ipv4 meta l4proto udp udp dport PORT queue */
	r = new_rule();
	x_meta(r, NFT_META_NFPROTO);
	x_cmp(r, NFT_CMP_EQ, &nfproto, sizeof(nfproto));
	x_meta(r, NFT_META_L4PROTO);
	x_cmp(r, NFT_CMP_EQ, &l4, sizeof(l4));
	x_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);
	x_cmp(r, NFT_CMP_EQ, &dport, sizeof(dport));
	x_nfqueue(r, QNUM);
	put_rule(b, r, seq);
}

/* Reads the kernel's answers until `want` ACKs came; 0, or -1 when one
 * message was refused or nothing came. */
static inline int wait_acks(struct mnl_socket *nl, uint32_t want)
{
	uint32_t acks = 0;

	while (acks < want) {
		char rbuf[MNL_SOCKET_BUFFER_SIZE];
		ssize_t n = mnl_socket_recvfrom(nl, rbuf, sizeof(rbuf));
		int left = (int)n;
		struct nlmsghdr *nlh;

		if (n < 0) {
			perror("nft recv");
			return -1;
		}
		for (nlh = (struct nlmsghdr *)rbuf; mnl_nlmsg_ok(nlh, left);
		     nlh = mnl_nlmsg_next(nlh, &left)) {
			const struct nlmsgerr *e;

			if (nlh->nlmsg_type != NLMSG_ERROR)
				continue;
			e = mnl_nlmsg_get_payload(nlh);
			acks++;
			if (e->error) {
				fprintf(stderr, "nft: message seq %u refused: %s\n",
					nlh->nlmsg_seq, strerror(-e->error));
				return -1;
			}
		}
	}
	return 0;
}

/* Sends the batch and waits for its `want` ACKs; 0 or -1. */
static inline int send_batch(struct mnl_nlmsg_batch *b, uint32_t want)
{
	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
	struct timeval tv = { .tv_sec = 2 };
	int ret = -1;

	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("nft socket");
		goto out;
	}
	setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &tv,
		   sizeof(tv));
	if (mnl_socket_sendto(nl, mnl_nlmsg_batch_head(b),
			      mnl_nlmsg_batch_size(b)) < 0) {
		perror("nft sendto");
		goto out;
	}
	ret = wait_acks(nl, want);
out:
	if (nl)
		mnl_socket_close(nl);
	return ret;
}

/* Builds the table in one transaction; returns 0 or -1 with a message. */
static inline int install_table(void)
{
	static char buf[64 * 1024];
	struct mnl_nlmsg_batch *b;
	uint32_t seq = 1, want;
	int ret;

	b = mnl_nlmsg_batch_start(buf, sizeof(buf) / 2);
	nftnl_batch_begin(mnl_nlmsg_batch_current(b), seq++);
	mnl_nlmsg_batch_next(b);
	want = seq;
	put_table_and_chain(b, &seq);
	put_rules(b, &seq);
	nftnl_batch_end(mnl_nlmsg_batch_current(b), seq);
	mnl_nlmsg_batch_next(b);
	want = seq - want; /* messages with NLM_F_ACK */
	ret = send_batch(b, want);
	mnl_nlmsg_batch_stop(b);
	return ret;
}

#endif
