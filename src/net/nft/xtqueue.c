/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "xtqueue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/xt_NFQUEUE.h>

#include "peergate/nft_table.h"
#include "peergate/seterr.h"
#include "read.h"

/* What one rule's expressions say about queueing. */
struct rule_scan {
	struct xtqueue_rules *q;
	uint64_t handle;
	bool oom;
};

static int xtqueue_add(struct xtqueue_rules *q, const struct xtqueue_rule *r)
{
	struct xtqueue_rule *n = realloc(q->v, (q->n + 1) * sizeof(*n));

	if (!n)
		return -1;
	q->v = n;
	q->v[q->n++] = *r;
	return 0;
}

static int scan_expr(struct nftnl_expr *e, void *data)
{
	struct rule_scan *rs = data;
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);
	const char *tg;
	struct xt_NFQ_info_v3 info;
	struct xtqueue_rule r;
	const void *blob;
	uint32_t len = 0;

	if (!name)
		return 0;
	if (strcmp(name, "queue") == 0) {
		rs->q->kind = PG_NFT_QUEUE_NATIVE;
		return 0;
	}
	if (strcmp(name, "target") != 0)
		return 0;
	tg = nftnl_expr_get_str(e, NFTNL_EXPR_TG_NAME);
	blob = nftnl_expr_get(e, NFTNL_EXPR_TG_INFO, &len);
	if (!tg || strcmp(tg, "NFQUEUE") != 0 || !blob || len < sizeof(info) ||
	    nftnl_expr_get_u32(e, NFTNL_EXPR_TG_REV) != 3)
		return 0;
	memcpy(&info, blob, sizeof(info));
	r = (struct xtqueue_rule){
		.handle = rs->handle, .num = info.queuenum, .total = info.queues_total,
		.bypass = info.flags & NFQ_FLAG_BYPASS,
		.fanout = info.flags & NFQ_FLAG_CPU_FANOUT,
	};
	rs->q->kind = PG_NFT_QUEUE_COMPAT;
	if (xtqueue_add(rs->q, &r) < 0)
		rs->oom = true;
	return 0;
}

int pgnft_xtqueue_read(struct mnl_socket *nl, struct xtqueue_rules *q,
		       char *err, size_t errlen)
{
	struct replies rules = {0};
	int ret = -1;

	memset(q, 0, sizeof(*q));
	q->kind = -1;
	if (pgnft_table_exists(nl, err, errlen) < 0 ||
	    pgnft_dump_simple(nl, NFT_MSG_GETRULE, &rules, "rules", err, errlen) < 0)
		goto out;
	for_each_reply(nlh, &rules, rem) {
		struct nftnl_rule *r = nftnl_rule_alloc();
		struct rule_scan rs = {.q = q};

		if (r && nftnl_rule_nlmsg_parse(nlh, r) == 0 &&
		    pgnft_table_is_ours(nftnl_rule_get_str(r, NFTNL_RULE_TABLE))) {
			rs.handle = nftnl_rule_get_u64(r, NFTNL_RULE_HANDLE);
			nftnl_expr_foreach(r, scan_expr, &rs);
		}
		if (r)
			nftnl_rule_free(r);
		if (!r || rs.oom) {
			pg_seterr(err, errlen, "out of memory while reading the rules of table inet "
				  PG_NFT_TABLE);
			goto out;
		}
	}
	ret = 0;
out:
	free(rules.buf);
	return ret;
}

void pgnft_xtqueue_free(struct xtqueue_rules *q)
{
	free(q->v);
	memset(q, 0, sizeof(*q));
}

const struct xtqueue_rule *pgnft_xtqueue_find(const struct xtqueue_rules *q,
					      uint64_t handle)
{
	for (size_t i = 0; i < q->n; i++) {
		if (q->v[i].handle == handle)
			return &q->v[i];
	}
	return NULL;
}

void pgnft_xtqueue_text(const struct xtqueue_rule *r, char *buf, size_t len)
{
	char to[16];

	if (r->total > 1)
		snprintf(to, sizeof(to), "%u-%u", r->num, r->num + r->total - 1u);
	else
		snprintf(to, sizeof(to), "%u", r->num);
	snprintf(buf, len, "queue%s%s%s%s to %s",
		 r->bypass || r->fanout ? " flags " : "", r->bypass ? "bypass" : "",
		 r->bypass && r->fanout ? "," : "", r->fanout ? "fanout" : "", to);
}

json_t *pgnft_xtqueue_json(const struct xtqueue_rule *r)
{
	json_t *num, *flags = json_array(), *q = NULL, *ret = NULL;

	if (r->total > 1)
		num = json_pack("{s:[i,i]}", "range", (int)r->num,
				(int)(r->num + r->total - 1u));
	else
		num = json_integer(r->num);
	if (!num || !flags ||
	    (r->bypass && json_array_append_new(flags, json_string("bypass")) < 0) ||
	    (r->fanout && json_array_append_new(flags, json_string("fanout")) < 0))
		goto out;
	/* nft leaves "flags" out when there are none. */
	if (json_array_size(flags))
		q = json_pack("{s:O,s:O}", "num", num, "flags", flags);
	else
		q = json_pack("{s:O}", "num", num);
	if (!q)
		goto out;
	ret = json_pack("{s:o}", "queue", q);
	q = NULL;                 /* json_pack took it, also when it failed */
out:
	json_decref(num);
	json_decref(flags);
	json_decref(q);
	return ret;
}
