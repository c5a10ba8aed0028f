/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "expr.h"

#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <libnftnl/expr.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/xt_NFQUEUE.h>

void pgnft_rule_start(struct rule *ru, const char *chain)
{
	ru->oom = false;
	ru->r = nftnl_rule_alloc();
	if (!ru->r) {
		ru->oom = true;
		return;
	}
	nftnl_rule_set_u32(ru->r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	if (nftnl_rule_set_str(ru->r, NFTNL_RULE_TABLE, PG_NFT_TABLE) < 0 ||
	    nftnl_rule_set_str(ru->r, NFTNL_RULE_CHAIN, chain) < 0)
		ru->oom = true;
}

static struct nftnl_expr *rule_expr(struct rule *ru, const char *name)
{
	struct nftnl_expr *e;

	if (ru->oom)
		return NULL;
	e = nftnl_expr_alloc(name);
	if (!e) {
		ru->oom = true;
		return NULL;
	}
	nftnl_rule_add_expr(ru->r, e);    /* the rule owns it from here */
	return e;
}

static void rule_data(struct rule *ru, struct nftnl_expr *e, uint16_t attr,
		      const void *data, uint32_t len)
{
	if (e && nftnl_expr_set(e, attr, data, len) < 0)
		ru->oom = true;
}

void e_meta_load_reg(struct rule *ru, uint32_t key, uint32_t dreg)
{
	struct nftnl_expr *e = rule_expr(ru, "meta");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
}

void e_meta_load(struct rule *ru, uint32_t key)
{
	e_meta_load_reg(ru, key, NFT_REG_1);
}

void e_ct_load(struct rule *ru, uint32_t key)
{
	struct nftnl_expr *e = rule_expr(ru, "ct");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
}

void e_ct_set(struct rule *ru, uint32_t key)
{
	struct nftnl_expr *e = rule_expr(ru, "ct");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_SREG, NFT_REG_1);
}

void e_meta_set(struct rule *ru, uint32_t key)
{
	struct nftnl_expr *e = rule_expr(ru, "meta");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_SREG, NFT_REG_1);
}

void e_bitwise(struct rule *ru, uint32_t len, const void *mask,
	       const void *xor)
{
	struct nftnl_expr *e = rule_expr(ru, "bitwise");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
	rule_data(ru, e, NFTNL_EXPR_BITWISE_MASK, mask, len);
	rule_data(ru, e, NFTNL_EXPR_BITWISE_XOR, xor, len);
}

void e_bitwise_u32(struct rule *ru, uint32_t mask, uint32_t xor)
{
	e_bitwise(ru, sizeof(uint32_t), &mask, &xor);
}

void e_cmp(struct rule *ru, uint32_t op, const void *data, uint32_t len)
{
	struct nftnl_expr *e = rule_expr(ru, "cmp");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	rule_data(ru, e, NFTNL_EXPR_CMP_DATA, data, len);
}

void e_cmp_u8(struct rule *ru, uint8_t v)
{
	e_cmp(ru, NFT_CMP_EQ, &v, sizeof(v));
}

void e_cmp_u32(struct rule *ru, uint32_t v)
{
	e_cmp(ru, NFT_CMP_EQ, &v, sizeof(v));
}

void e_payload_reg(struct rule *ru, uint32_t base, uint32_t offset,
		   uint32_t len, uint32_t dreg)
{
	struct nftnl_expr *e = rule_expr(ru, "payload");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
}

void e_payload(struct rule *ru, uint32_t base, uint32_t offset,
	       uint32_t len)
{
	e_payload_reg(ru, base, offset, len, NFT_REG_1);
}

void e_lookup(struct rule *ru, const char *set, uint32_t set_id)
{
	struct nftnl_expr *e = rule_expr(ru, "lookup");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
	if (nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set) < 0)
		ru->oom = true;
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, set_id);
}

void e_counter(struct rule *ru)
{
	(void)rule_expr(ru, "counter");
}

void e_counter_ref(struct rule *ru, const char *name)
{
	struct nftnl_expr *e = rule_expr(ru, "objref");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_OBJREF_IMM_TYPE, NFT_OBJECT_COUNTER);
	if (nftnl_expr_set_str(e, NFTNL_EXPR_OBJREF_IMM_NAME, name) < 0)
		ru->oom = true;
}

void e_limit_per_second(struct rule *ru, uint32_t rate, uint32_t burst)
{
	struct nftnl_expr *e = rule_expr(ru, "limit");

	if (!e)
		return;
	nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_RATE, rate);
	nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_UNIT, 1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_BURST, burst);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_TYPE, NFT_LIMIT_PKTS);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_FLAGS, 0);
}

void e_log(struct rule *ru, const char *prefix, uint32_t level)
{
	struct nftnl_expr *e = rule_expr(ru, "log");

	if (!e)
		return;
	if (nftnl_expr_set_str(e, NFTNL_EXPR_LOG_PREFIX, prefix) < 0)
		ru->oom = true;
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOG_LEVEL, level);
}

void e_log_group(struct rule *ru, uint16_t group, uint32_t snaplen)
{
	struct nftnl_expr *e = rule_expr(ru, "log");

	if (!e)
		return;
	nftnl_expr_set_u16(e, NFTNL_EXPR_LOG_GROUP, group);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOG_SNAPLEN, snaplen);
	/* Sent while the packet is in the hook: see nflog.h. */
	nftnl_expr_set_u16(e, NFTNL_EXPR_LOG_QTHRESHOLD, 1);
}

void e_verdict(struct rule *ru, int verdict)
{
	struct nftnl_expr *e = rule_expr(ru, "immediate");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)verdict);
}

void e_jump(struct rule *ru, const char *chain)
{
	struct nftnl_expr *e = rule_expr(ru, "immediate");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)NFT_JUMP);
	if (nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, chain) < 0)
		ru->oom = true;
}

void e_reject_tcp_reset(struct rule *ru)
{
	struct nftnl_expr *e = rule_expr(ru, "reject");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_REJECT_TYPE, NFT_REJECT_TCP_RST);
	nftnl_expr_set_u8(e, NFTNL_EXPR_REJECT_CODE, 0);
}

void pgnft_rule_start_ct_code(struct rule *ru, const char *chain, uint32_t mask,
			      uint32_t value)
{
	pgnft_rule_start(ru, chain);
	e_ct_load(ru, NFT_CT_MARK);
	e_bitwise_u32(ru, mask, 0);
	e_cmp_u32(ru, value);
}

void pgnft_rule_start_mark_code(struct rule *ru, const char *chain, uint32_t mask,
				uint32_t value)
{
	pgnft_rule_start(ru, chain);
	e_meta_load(ru, NFT_META_MARK);
	e_bitwise_u32(ru, mask, 0);
	e_cmp_u32(ru, value);
}

void e_is_tcp(struct rule *ru)
{
	uint8_t tcp = IPPROTO_TCP;

	e_meta_load(ru, NFT_META_L4PROTO);
	e_cmp(ru, NFT_CMP_EQ, &tcp, sizeof(tcp));
}

void e_tcp_flags_cmp(struct rule *ru, uint8_t bits, uint32_t op, uint8_t value)
{
	uint8_t zero = 0;

	e_payload(ru, NFT_PAYLOAD_TRANSPORT_HEADER, 13, 1);
	e_bitwise(ru, 1, &bits, &zero);
	e_cmp(ru, op, &value, sizeof(value));
}

void e_tcp_flags(struct rule *ru, uint8_t bits, uint32_t op)
{
	e_tcp_flags_cmp(ru, bits, op, 0);
}

/* A range of queues without CPU fanout: the kernel picks the queue by its
 * flow hash (nfqueue_hash), which orders the two addresses before hashing
 * them with the protocol, IPv4 and IPv6 alike, so both directions of a
 * flow reach the same queue, and so the same peergated worker, whose
 * engine alone holds that flow.  Ports are not hashed: all flows between
 * one pair of hosts share a queue (test/e2e_workers.sh checks the
 * symmetry on the real kernel path). */
void e_queue(struct rule *ru, const struct pg_nft_config *cfg,
	     enum pg_nft_queue_kind kind)
{
	uint16_t total = cfg->queue_count ? cfg->queue_count : 1;
	uint16_t flags = cfg->queue_bypass ? NFT_QUEUE_FLAG_BYPASS : 0;
	struct nftnl_expr *e;

	if (kind == PG_NFT_QUEUE_NATIVE) {
		e = rule_expr(ru, "queue");
		if (!e)
			return;
		nftnl_expr_set_u16(e, NFTNL_EXPR_QUEUE_NUM, cfg->queue_first);
		nftnl_expr_set_u16(e, NFTNL_EXPR_QUEUE_TOTAL, total);
		nftnl_expr_set_u16(e, NFTNL_EXPR_QUEUE_FLAGS, flags);
	} else {
		/* libnftnl takes ownership of the info blob (it frees it with
		 * the expression) and sends it padded to XT_ALIGN, so hand it
		 * a zeroed heap buffer of the aligned size. */
		struct xt_NFQ_info_v3 *info;

		e = rule_expr(ru, "target");
		if (!e)
			return;
		info = calloc(1, 8);
		if (!info) {
			ru->oom = true;
			return;
		}
		info->queuenum = cfg->queue_first;
		info->queues_total = total;
		info->flags = cfg->queue_bypass ? NFQ_FLAG_BYPASS : 0;
		if (nftnl_expr_set_str(e, NFTNL_EXPR_TG_NAME, "NFQUEUE") < 0)
			ru->oom = true;
		nftnl_expr_set_u32(e, NFTNL_EXPR_TG_REV, 3);
		if (nftnl_expr_set(e, NFTNL_EXPR_TG_INFO, info, sizeof(*info)) < 0) {
			free(info);
			ru->oom = true;
		}
	}
}

int pgnft_rule_emit(struct batch *b, struct rule *ru, bool queue,
		    const char *fmt, ...)
{
	struct nlmsghdr *nlh;
	char what[112];
	va_list ap;
	int ret = -1;

	if (ru->oom)
		goto out;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	nlh = pgnft_batch_msg(b, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, queue,
			      "%s", what);
	if (!nlh)
		goto out;
	nftnl_rule_nlmsg_build_payload(nlh, ru->r);
	pgnft_batch_close(b);
	ret = 0;
out:
	if (ru->r)
		nftnl_rule_free(ru->r);
	ru->r = NULL;
	return ret;
}
