/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `peergatectl rules show`: table inet peergate read back over netlink and
 * printed in nft-like text, or as one JSON object.
 */
#include "peergate/nft_show.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/xt_NFQUEUE.h>

#include "config.h"
#include "keys.h"
#include "netlink.h"
#include "peergate/json.h"
#include "peergate/nft_table.h"
#include "read.h"
#include "seterr.h"

/* The new end of a string after snprintf wrote n more bytes at off. */
static size_t str_advance(size_t off, int n, size_t len)
{
	if (n < 0)
		return off;
	return (size_t)n < len - off ? off + (size_t)n : len - 1;
}

/* ---- rendering rules back into nft-like text ---- */

enum regkind {
	RK_NONE, RK_MARK, RK_L4PROTO, RK_NFPROTO, RK_PORT, RK_ADDR4, RK_ADDR6,
	RK_RAW,
};

struct render {
	char text[512];
	size_t len;
	char reg[128];            /* what register 1 holds, as text */
	enum regkind kind;
	unsigned prefix;          /* address prefix from a bitwise mask */
	bool masked;              /* a bitwise changed the register */
	uint8_t l4proto, nfproto; /* the last protocol matched, for names */
	int queue_kind;           /* -1, or the pg_nft_queue_kind seen */
	/* The rule's loads so far (32-bit register index, length, text), so
	 * that a lookup reading several consecutive registers prints as the
	 * concatenation `a . b . c`. */
	struct {
		unsigned at, len;
		char text[48];
	} loads[12];
	size_t nloads;
};

__attribute__((format(printf, 2, 3)))
static void r_put(struct render *rd, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (rd->len >= sizeof(rd->text) - 1)
		return;
	if (rd->len)
		rd->text[rd->len++] = ' ';
	va_start(ap, fmt);
	n = vsnprintf(rd->text + rd->len, sizeof(rd->text) - rd->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		rd->len += (size_t)n < sizeof(rd->text) - rd->len ? (size_t)n
								   : sizeof(rd->text) - 1 - rd->len;
}

static uint32_t get_u32_data(const struct nftnl_expr *e, uint16_t attr)
{
	uint32_t len = 0, v = 0;
	const void *d = nftnl_expr_get(e, attr, &len);

	if (d)
		memcpy(&v, d, len < sizeof(v) ? len : sizeof(v));
	return v;
}

/* Copies text into the register description, cut if too long. */
static void r_settext(struct render *rd, const char *text)
{
	size_t n = strlen(text);

	if (n >= sizeof(rd->reg))
		n = sizeof(rd->reg) - 1;
	memcpy(rd->reg, text, n);
	rd->reg[n] = '\0';
}

static void r_reg(struct render *rd, const char *text, enum regkind kind)
{
	r_settext(rd, text);
	rd->kind = kind;
	rd->prefix = 0;
	rd->masked = false;
}

/* Registers as 32-bit slots: NFT_REG_1..4 are 16 bytes wide and share
 * their storage with NFT_REG32_00..15 (NFT_REG_1 is NFT_REG32_00-03). */
static unsigned reg32_of(uint32_t reg)
{
	return reg <= NFT_REG_4 ? reg * 4u : reg - NFT_REG32_00 + 4u;
}

/* Records the load just described by r_reg (its text is rd->reg). */
static void r_note_load(struct render *rd, uint32_t dreg, uint32_t len)
{
	const size_t cap = sizeof(rd->loads) / sizeof(rd->loads[0]);
	size_t n = strlen(rd->reg);
	char *t;

	if (rd->nloads == cap)
		return;
	t = rd->loads[rd->nloads].text;
	if (n >= sizeof(rd->loads[0].text))
		n = sizeof(rd->loads[0].text) - 1;     /* cut, as r_settext does */
	memcpy(t, rd->reg, n);
	t[n] = '\0';
	rd->loads[rd->nloads].at = reg32_of(dreg);
	rd->loads[rd->nloads].len = len;
	rd->nloads++;
}

/* The text of what a lookup from sreg reads: the last load into sreg,
 * then each later load into the register right after the previous one.
 * A single field prints as the register's own text (which may carry a
 * mask). */
static void r_concat(const struct render *rd, uint32_t sreg, char *out,
		     size_t outlen)
{
	size_t i = rd->nloads, off, fields = 1;
	unsigned next;

	snprintf(out, outlen, "%s", rd->reg);
	while (i > 0 && rd->loads[i - 1].at != reg32_of(sreg))
		i--;
	if (i == 0)
		return;
	i--;
	off = str_advance(0, snprintf(out, outlen, "%s", rd->loads[i].text), outlen);
	next = rd->loads[i].at + (rd->loads[i].len + 3) / 4;
	for (size_t j = i + 1; j < rd->nloads; j++) {
		if (rd->loads[j].at != next)
			continue;
		off = str_advance(off, snprintf(out + off, outlen - off, " . %s",
						rd->loads[j].text), outlen);
		next = rd->loads[j].at + (rd->loads[j].len + 3) / 4;
		fields++;
	}
	if (fields == 1)
		snprintf(out, outlen, "%s", rd->reg);
}

static const char *l4_name(uint8_t p)
{
	return p == IPPROTO_TCP ? "tcp" : p == IPPROTO_UDP ? "udp" : NULL;
}

static void r_payload(struct render *rd, const struct nftnl_expr *e)
{
	uint32_t base = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_BASE);
	uint32_t off = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET);
	uint32_t len = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_LEN);
	char t[64];

	if (base == NFT_PAYLOAD_TRANSPORT_HEADER && len == 1 && off == 13 &&
	    rd->l4proto == IPPROTO_TCP) {
		r_reg(rd, "tcp flags", RK_RAW);
	} else if (base == NFT_PAYLOAD_TRANSPORT_HEADER && len == 2 && (off == 0 || off == 2)) {
		const char *p = l4_name(rd->l4proto);

		snprintf(t, sizeof(t), "%s %s", p ? p : "th", off ? "dport" : "sport");
		r_reg(rd, t, RK_PORT);
	} else if (base == NFT_PAYLOAD_NETWORK_HEADER && rd->nfproto == NFPROTO_IPV4 &&
		   (off == 12 || off == 16) && len <= 4) {
		r_reg(rd, off == 12 ? "ip saddr" : "ip daddr", RK_ADDR4);
		rd->prefix = len * 8;
	} else if (base == NFT_PAYLOAD_NETWORK_HEADER && rd->nfproto == NFPROTO_IPV6 &&
		   (off == 8 || off == 24) && len <= 16) {
		r_reg(rd, off == 8 ? "ip6 saddr" : "ip6 daddr", RK_ADDR6);
		rd->prefix = len * 8;
	} else {
		snprintf(t, sizeof(t), "@%s,%u,%u",
			 base == NFT_PAYLOAD_NETWORK_HEADER ? "nh" :
			 base == NFT_PAYLOAD_TRANSPORT_HEADER ? "th" :
			 base == NFT_PAYLOAD_INNER_HEADER ? "ih" : "ll",
			 off * 8, len * 8);
		r_reg(rd, t, RK_RAW);
	}
	r_note_load(rd, nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_DREG), len);
}

static void r_bitwise(struct render *rd, const struct nftnl_expr *e)
{
	uint32_t mlen = 0, xlen = 0;
	const uint8_t *mask = nftnl_expr_get(e, NFTNL_EXPR_BITWISE_MASK, &mlen);
	char t[160];

	(void)nftnl_expr_get(e, NFTNL_EXPR_BITWISE_XOR, &xlen);

	if ((rd->kind == RK_ADDR4 || rd->kind == RK_ADDR6) && mask) {
		unsigned bits = 0;

		for (uint32_t i = 0; i < mlen; i++)
			bits += (unsigned)__builtin_popcount(mask[i]);
		rd->prefix = bits;
		return;
	}
	if (mlen == 4 && xlen == 4) {
		uint32_t m = get_u32_data(e, NFTNL_EXPR_BITWISE_MASK);
		uint32_t x = get_u32_data(e, NFTNL_EXPR_BITWISE_XOR);

		if (x == 0)
			snprintf(t, sizeof(t), "%s & 0x%08" PRIx32, rd->reg, m);
		else if ((m & x) == 0)
			snprintf(t, sizeof(t), "%s & 0x%08" PRIx32 " | 0x%08" PRIx32,
				 rd->reg, m, x);
		else
			snprintf(t, sizeof(t), "(%s & 0x%08" PRIx32 ") ^ 0x%08" PRIx32,
				 rd->reg, m, x);
		r_settext(rd, t);
		return;
	}
	if (mask && mlen <= 4) {
		size_t l = (size_t)snprintf(t, sizeof(t), "%s & 0x", rd->reg);

		for (uint32_t i = 0; i < mlen && l + 3 < sizeof(t); i++)
			l += (size_t)snprintf(t + l, sizeof(t) - l, "%02x", mask[i]);
	} else {
		snprintf(t, sizeof(t), "%s & <mask>", rd->reg);
	}
	rd->masked = true;
	r_settext(rd, t);
}

static void r_cmp(struct render *rd, const struct nftnl_expr *e)
{
	static const char *const ops[] = {"==", "!=", "<", "<=", ">", ">="};
	uint32_t op = nftnl_expr_get_u32(e, NFTNL_EXPR_CMP_OP);
	uint32_t len = 0;
	const uint8_t *d = nftnl_expr_get(e, NFTNL_EXPR_CMP_DATA, &len);
	const char *ops_ = op < 6 ? ops[op] : "?";
	/* nft leaves out "==" for plain selectors */
	const char *shown_op = op == NFT_CMP_EQ && rd->kind != RK_MARK &&
			       !(rd->masked && rd->kind == RK_RAW) ? "" : ops_;
	char v[INET6_ADDRSTRLEN + 8] = "?";

	if (!d)
		return;
	switch (rd->kind) {
	case RK_MARK:
		snprintf(v, sizeof(v), "0x%08" PRIx32, get_u32_data(e, NFTNL_EXPR_CMP_DATA));
		break;
	case RK_L4PROTO:
		rd->l4proto = d[0];
		if (l4_name(d[0]))
			snprintf(v, sizeof(v), "%s", l4_name(d[0]));
		else
			snprintf(v, sizeof(v), "%u", d[0]);
		break;
	case RK_NFPROTO:
		rd->nfproto = d[0];
		snprintf(v, sizeof(v), "%s", d[0] == NFPROTO_IPV4 ? "ipv4" :
			 d[0] == NFPROTO_IPV6 ? "ipv6" : "?");
		break;
	case RK_PORT:
		if (len == 2)
			snprintf(v, sizeof(v), "%u", (unsigned)(d[0] << 8 | d[1]));
		break;
	case RK_ADDR4:
	case RK_ADDR6: {
		uint8_t a[16] = {0};
		bool v4 = rd->kind == RK_ADDR4;
		unsigned full = v4 ? 32 : 128;

		memcpy(a, d, len < sizeof(a) ? len : sizeof(a));
		inet_ntop(v4 ? AF_INET : AF_INET6, a, v, sizeof(v));
		if (rd->prefix < full) {
			size_t l = strlen(v);

			snprintf(v + l, sizeof(v) - l, "/%u", rd->prefix);
		}
		break;
	}
	default: {
		size_t l = 0;

		l += (size_t)snprintf(v, sizeof(v), "0x");
		for (uint32_t i = 0; i < len && l + 3 < sizeof(v); i++)
			l += (size_t)snprintf(v + l, sizeof(v) - l, "%02x", d[i]);
		break;
	}
	}
	if (shown_op[0])
		r_put(rd, "%s %s %s", rd->reg, shown_op, v);
	else
		r_put(rd, "%s %s", rd->reg, v);
}

static void r_queue(struct render *rd, uint16_t num, uint16_t total,
		    uint16_t flags, const char *how)
{
	char range[32];

	if (total > 1)
		snprintf(range, sizeof(range), "%u-%u", num, num + total - 1);
	else
		snprintf(range, sizeof(range), "%u", num);
	r_put(rd, "queue num %s%s%s%s%s", range,
	      flags & NFT_QUEUE_FLAG_BYPASS ? " bypass" : "",
	      (flags & NFT_QUEUE_FLAG_CPU_FANOUT) && (flags & NFT_QUEUE_FLAG_BYPASS) ? "," : "",
	      flags & NFT_QUEUE_FLAG_CPU_FANOUT ? (flags & NFT_QUEUE_FLAG_BYPASS ? "fanout" : " fanout") : "",
	      how);
}

static int render_expr(struct nftnl_expr *e, void *data)
{
	struct render *rd = data;
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);

	if (!name)
		return 0;
	if (strcmp(name, "meta") == 0) {
		uint32_t key = nftnl_expr_get_u32(e, NFTNL_EXPR_META_KEY);

		if (nftnl_expr_is_set(e, NFTNL_EXPR_META_SREG)) {
			r_put(rd, "meta %s set %s", key == NFT_META_MARK ? "mark" : "?", rd->reg);
		} else {
			uint32_t dreg = nftnl_expr_get_u32(e, NFTNL_EXPR_META_DREG);

			if (key == NFT_META_MARK) {
				r_reg(rd, "meta mark", RK_MARK);
			} else if (key == NFT_META_L4PROTO) {
				r_reg(rd, "meta l4proto", RK_L4PROTO);
			} else if (key == NFT_META_NFPROTO) {
				r_reg(rd, "meta nfproto", RK_NFPROTO);
			} else {
				char t[32];

				snprintf(t, sizeof(t), "meta key %u", key);
				r_reg(rd, t, RK_RAW);
			}
			r_note_load(rd, dreg, key == NFT_META_L4PROTO ||
					      key == NFT_META_NFPROTO ? 1 : 4);
		}
	} else if (strcmp(name, "ct") == 0) {
		uint32_t key = nftnl_expr_get_u32(e, NFTNL_EXPR_CT_KEY);
		const char *k = key == NFT_CT_MARK ? "mark" : key == NFT_CT_STATE ? "state" : "key";
		char load[16];

		if (nftnl_expr_is_set(e, NFTNL_EXPR_CT_SREG)) {
			r_put(rd, "ct %s set %s", k, rd->reg);
		} else {
			snprintf(load, sizeof(load), "ct %s", k);
			r_reg(rd, load, RK_MARK);
			r_note_load(rd, nftnl_expr_get_u32(e, NFTNL_EXPR_CT_DREG), 4);
		}
	} else if (strcmp(name, "payload") == 0) {
		r_payload(rd, e);
	} else if (strcmp(name, "bitwise") == 0) {
		r_bitwise(rd, e);
	} else if (strcmp(name, "cmp") == 0) {
		r_cmp(rd, e);
	} else if (strcmp(name, "lookup") == 0) {
		const char *set = nftnl_expr_get_str(e, NFTNL_EXPR_LOOKUP_SET);
		char what[256];

		r_concat(rd, nftnl_expr_get_u32(e, NFTNL_EXPR_LOOKUP_SREG), what, sizeof(what));
		r_put(rd, "%s @%s", what, set ? set : "?");
	} else if (strcmp(name, "counter") == 0) {
		r_put(rd, "counter packets %" PRIu64 " bytes %" PRIu64,
		      nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_PACKETS),
		      nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_BYTES));
	} else if (strcmp(name, "objref") == 0) {
		const char *n = nftnl_expr_get_str(e, NFTNL_EXPR_OBJREF_IMM_NAME);

		r_put(rd, "%s name \"%s\"",
		      nftnl_expr_get_u32(e, NFTNL_EXPR_OBJREF_IMM_TYPE) == NFT_OBJECT_COUNTER ?
		      "counter" : "objref", n ? n : "?");
	} else if (strcmp(name, "immediate") == 0) {
		if (nftnl_expr_is_set(e, NFTNL_EXPR_IMM_VERDICT)) {
			int v = (int)nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_VERDICT);
			const char *to = nftnl_expr_is_set(e, NFTNL_EXPR_IMM_CHAIN) ?
					 nftnl_expr_get_str(e, NFTNL_EXPR_IMM_CHAIN) : NULL;

			if (v == NFT_JUMP || v == NFT_GOTO)
				r_put(rd, "%s %s", v == NFT_JUMP ? "jump" : "goto", to ? to : "?");
			else
				r_put(rd, "%s", v == NF_ACCEPT ? "accept" : v == NF_DROP ? "drop" :
				      v == NFT_CONTINUE ? "continue" : v == NFT_RETURN ? "return" :
				      "verdict");
		}
	} else if (strcmp(name, "reject") == 0) {
		r_put(rd, "%s", nftnl_expr_get_u32(e, NFTNL_EXPR_REJECT_TYPE) == NFT_REJECT_TCP_RST ?
		      "reject with tcp reset" : "reject");
	} else if (strcmp(name, "queue") == 0) {
		r_queue(rd, nftnl_expr_get_u16(e, NFTNL_EXPR_QUEUE_NUM),
			nftnl_expr_get_u16(e, NFTNL_EXPR_QUEUE_TOTAL),
			nftnl_expr_get_u16(e, NFTNL_EXPR_QUEUE_FLAGS), "");
		rd->queue_kind = PG_NFT_QUEUE_NATIVE;
	} else if (strcmp(name, "target") == 0) {
		const char *tg = nftnl_expr_get_str(e, NFTNL_EXPR_TG_NAME);
		uint32_t len = 0;
		const void *info = nftnl_expr_get(e, NFTNL_EXPR_TG_INFO, &len);

		if (tg && strcmp(tg, "NFQUEUE") == 0 && info &&
		    len >= sizeof(struct xt_NFQ_info_v3) &&
		    nftnl_expr_get_u32(e, NFTNL_EXPR_TG_REV) == 3) {
			struct xt_NFQ_info_v3 q;

			memcpy(&q, info, sizeof(q));
			r_queue(rd, q.queuenum, q.queues_total, q.flags, " (xt NFQUEUE)");
			rd->queue_kind = PG_NFT_QUEUE_COMPAT;
		} else {
			r_put(rd, "xt target \"%s\"", tg ? tg : "?");
		}
	} else {
		r_put(rd, "<%s>", name);
	}
	return 0;
}

static void render_rule(struct nftnl_rule *r, struct render *rd)
{
	int qk = rd->queue_kind;

	memset(rd, 0, sizeof(*rd));
	rd->queue_kind = qk;
	nftnl_expr_foreach(r, render_expr, rd);
}

/* ---- the show command ---- */

static const char *hook_name(uint32_t hooknum)
{
	for (size_t h = 0; h < PG_NFT_NHOOKS; h++) {
		if (pg_nft_hooks[h].hooknum == hooknum)
			return pg_nft_hooks[h].name;
	}
	return "?";
}

/* Everything show needs, read in one go. */
struct snapshot {
	struct replies chains, rules, sets, counters;
	struct replies *elems;    /* one per set message, in order */
	size_t nelems;
};

static void snapshot_free(struct snapshot *s)
{
	free(s->chains.buf);
	free(s->rules.buf);
	free(s->sets.buf);
	free(s->counters.buf);
	for (size_t i = 0; i < s->nelems; i++)
		free(s->elems[i].buf);
	free(s->elems);
}

static int dump_elems(struct mnl_socket *nl, const char *set, struct replies *r,
		      char *err, size_t errlen)
{
	char buf[512];
	struct nftnl_set *s = nftnl_set_alloc();
	struct nlmsghdr *nlh;
	int kerr, ret = -1;

	if (!s || nftnl_set_set_str(s, NFTNL_SET_TABLE, PG_NFT_TABLE) < 0 ||
	    nftnl_set_set_str(s, NFTNL_SET_NAME, set) < 0) {
		pg_seterr(err, errlen, "out of memory");
		goto out;
	}
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM, NFPROTO_INET, NLM_F_DUMP,
				    (uint32_t)time(NULL));
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	if (pgnft_nl_request(nl, nlh, r, &kerr) < 0) {
		pg_seterr(err, errlen, "cannot read the elements of set %s: %s", set,
			  strerror(kerr));
		goto out;
	}
	ret = 0;
out:
	if (s)
		nftnl_set_free(s);
	return ret;
}

static int snapshot_read(struct mnl_socket *nl, struct snapshot *s, char *err,
			 size_t errlen)
{
	size_t nsets = 0;
	int ret = -1;

	if (pgnft_table_exists(nl, err, errlen) < 0 ||
	    pgnft_dump_simple(nl, NFT_MSG_GETCHAIN, &s->chains, "chains", err, errlen) < 0 ||
	    pgnft_dump_simple(nl, NFT_MSG_GETRULE, &s->rules, "rules", err, errlen) < 0 ||
	    pgnft_dump_simple(nl, NFT_MSG_GETSET, &s->sets, "sets", err, errlen) < 0 ||
	    pgnft_dump_objs(nl, NFT_OBJECT_COUNTER, &s->counters, err, errlen) < 0)
		goto out;
	for_each_reply(nlh, &s->sets, rem)
		nsets++;
	s->elems = calloc(nsets ? nsets : 1, sizeof(*s->elems));
	if (!s->elems) {
		pg_seterr(err, errlen, "out of memory");
		goto out;
	}
	for_each_reply(nlh, &s->sets, rem) {
		struct nftnl_set *set = nftnl_set_alloc();
		const char *name;
		int rc = -1;

		if (set && nftnl_set_nlmsg_parse(nlh, set) == 0 &&
		    (name = nftnl_set_get_str(set, NFTNL_SET_NAME)) != NULL)
			rc = pgnft_table_is_ours(nftnl_set_get_str(set, NFTNL_SET_TABLE)) ?
			     dump_elems(nl, name, &s->elems[s->nelems], err, errlen) : 0;
		else
			pg_seterr(err, errlen, "cannot parse a set of table inet " PG_NFT_TABLE);
		s->nelems++;
		if (set)
			nftnl_set_free(set);
		if (rc < 0)
			goto out;
	}
	ret = 0;
out:
	return ret;
}

/* Element keys of one set in key order, with their interval-end flags. */
struct elem {
	uint16_t key;
	bool end;
};

static int elem_cmp(const void *a, const void *b)
{
	const struct elem *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return (int)x->end - (int)y->end;
}

static int collect_elem(struct nftnl_set_elem *e, void *data)
{
	struct { struct elem *v; size_t n, cap; } *acc = data;
	uint32_t len = 0;
	const uint8_t *k = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len);

	if (!k || len != 2 || acc->n == acc->cap)
		return 0;
	acc->v[acc->n].key = (uint16_t)(k[0] << 8 | k[1]);
	acc->v[acc->n].end = nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_FLAGS) &&
			     (nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_FLAGS) &
			      NFT_SET_ELEM_INTERVAL_END);
	acc->n++;
	return 0;
}

/* Writes "4443, 13324-13325" for one set's element dump. */
static void format_elems(const struct replies *r, bool interval, char *out,
			 size_t outlen)
{
	struct elem v[256];
	struct { struct elem *v; size_t n, cap; } acc = {v, 0, 256};
	size_t off = 0;

	out[0] = '\0';
	for_each_reply(nlh, r, rem) {
		struct nftnl_set *s = nftnl_set_alloc();

		if (s && nftnl_set_elems_nlmsg_parse(nlh, s) == 0)
			nftnl_set_elem_foreach(s, collect_elem, &acc);
		if (s)
			nftnl_set_free(s);
	}
	qsort(v, acc.n, sizeof(v[0]), elem_cmp);
	for (size_t i = 0; i < acc.n && off + 16 < outlen; i++) {
		unsigned lo = v[i].key, hi = lo;
		int n;

		if (v[i].end)
			continue;      /* an end without a start before it */
		if (interval) {
			if (i + 1 < acc.n && v[i + 1].end) {
				hi = v[i + 1].key - 1u;
				i++;
			} else {
				hi = UINT16_MAX;
			}
		}
		if (hi != lo)
			n = snprintf(out + off, outlen - off, "%s%u-%u", off ? ", " : "", lo, hi);
		else
			n = snprintf(out + off, outlen - off, "%s%u", off ? ", " : "", lo);
		if (n > 0)
			off += (size_t)n;
	}
}

/* "ipv4_addr . inet_proto . ..." for a set's key type. */
static void set_type_text(uint32_t type, char *out, size_t outlen)
{
	const uint32_t mask = (1u << PG_NFT_TYPE_BITS) - 1;
	uint32_t field[32 / PG_NFT_TYPE_BITS + 1];
	size_t n = 0, off = 0;

	out[0] = '\0';
	do {
		field[n++] = type & mask;
		type >>= PG_NFT_TYPE_BITS;
	} while (type && n < sizeof(field) / sizeof(field[0]));
	/* The first field sits in the highest bits. */
	while (n-- > 0) {
		const char *name = field[n] == PG_NFT_TYPE_IPADDR ? "ipv4_addr" :
				   field[n] == PG_NFT_TYPE_IP6ADDR ? "ipv6_addr" :
				   field[n] == PG_NFT_TYPE_INET_PROTO ? "inet_proto" :
				   field[n] == PG_NFT_TYPE_INET_SERVICE ? "inet_service" : NULL;
		int w = name ? snprintf(out + off, outlen - off, "%s%s", off ? " . " : "", name)
			     : snprintf(out + off, outlen - off, "%stype %" PRIu32,
					off ? " . " : "", field[n]);

		off = str_advance(off, w, outlen);
	}
}

/* "120s" or "1500ms". */
static void duration_text(uint64_t ms, char *out, size_t outlen)
{
	if (ms % 1000 == 0)
		snprintf(out, outlen, "%" PRIu64 "s", ms / 1000);
	else
		snprintf(out, outlen, "%" PRIu64 "ms", ms);
}

struct flow_elems {
	char *out;
	size_t outlen, off;
	size_t n, shown;
	bool full;
};

/* Room kept at the end of the text for the "(N in all)" note. */
#define PG_NFT_ELEMS_NOTE 40

static int collect_flow_elem(struct nftnl_set_elem *e, void *data)
{
	struct flow_elems *fe = data;
	uint32_t len = 0;
	const uint8_t *k = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len);
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN], p[8], t[200], tmo[64] = "";
	size_t alen, tl;

	if (!k || (len != PG_NFT_FLOW_KEY_LEN(4u) && len != PG_NFT_FLOW_KEY_LEN(16u)))
		return 0;
	fe->n++;
	if (fe->full)
		return 0;
	alen = len == PG_NFT_FLOW_KEY_LEN(4u) ? 4 : 16;
	inet_ntop(alen == 4 ? AF_INET : AF_INET6, k, a, sizeof(a));
	inet_ntop(alen == 4 ? AF_INET : AF_INET6, k + alen + 8, b, sizeof(b));
	if (l4_name(k[alen]))
		snprintf(p, sizeof(p), "%s", l4_name(k[alen]));
	else
		snprintf(p, sizeof(p), "%u", k[alen]);
	if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_TIMEOUT)) {
		char d1[24], d2[24] = "";

		duration_text(nftnl_set_elem_get_u64(e, NFTNL_SET_ELEM_TIMEOUT), d1, sizeof(d1));
		if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_EXPIRATION))
			duration_text(nftnl_set_elem_get_u64(e, NFTNL_SET_ELEM_EXPIRATION),
				      d2, sizeof(d2));
		snprintf(tmo, sizeof(tmo), " timeout %s%s%s", d1, d2[0] ? " expires " : "", d2);
	}
	snprintf(t, sizeof(t), "%s . %s . %u . %s . %u%s", a, p,
		 (unsigned)(k[alen + 4] << 8 | k[alen + 5]), b,
		 (unsigned)(k[2 * alen + 8] << 8 | k[2 * alen + 9]), tmo);
	tl = strlen(t);
	if (fe->off + tl + 2 + PG_NFT_ELEMS_NOTE >= fe->outlen) {
		fe->full = true;
		return 0;
	}
	fe->off = str_advance(fe->off, snprintf(fe->out + fe->off, fe->outlen - fe->off,
						"%s%s", fe->off ? ", " : "", t), fe->outlen);
	fe->shown++;
	return 0;
}

/* The elements of a blocked-flow set, as many as fit in out. */
static void format_flow_elems(const struct replies *r, char *out, size_t outlen)
{
	struct flow_elems fe = {.out = out, .outlen = outlen};

	out[0] = '\0';
	if (outlen <= PG_NFT_ELEMS_NOTE)
		return;
	for_each_reply(nlh, r, rem) {
		struct nftnl_set *s = nftnl_set_alloc();

		if (s && nftnl_set_elems_nlmsg_parse(nlh, s) == 0)
			nftnl_set_elem_foreach(s, collect_flow_elem, &fe);
		if (s)
			nftnl_set_free(s);
	}
	if (fe.shown < fe.n)
		snprintf(out + fe.off, outlen - fe.off, "%s... (%zu in all)",
			 fe.off ? ", " : "", fe.n);
}

/* Scans all rules once for the queue kind in use. */
static int snapshot_queue_kind(const struct snapshot *s)
{
	struct render rd = {.queue_kind = -1};

	for_each_reply(nlh, &s->rules, rem) {
		struct nftnl_rule *r = nftnl_rule_alloc();

		if (r && nftnl_rule_nlmsg_parse(nlh, r) == 0 &&
		    pgnft_table_is_ours(nftnl_rule_get_str(r, NFTNL_RULE_TABLE)))
			render_rule(r, &rd);
		if (r)
			nftnl_rule_free(r);
	}
	return rd.queue_kind;
}

static void show_chain(FILE *out, bool json, const struct snapshot *s,
		       struct nftnl_chain *c, bool first)
{
	const char *name = nftnl_chain_get_str(c, NFTNL_CHAIN_NAME);
	const char *type = nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE);
	bool base = nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM);
	const char *hook = base ? hook_name(nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM)) : "";
	int prio = base ? nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO) : 0;
	const char *policy = base && nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY) == NF_DROP ?
			     "drop" : "accept";
	bool firstrule = true;

	if (!name)
		return;
	if (json) {
		fprintf(out, "%s{\"name\":", first ? "" : ",");
		pg_json_string(out, name);
		if (base)
			fprintf(out, ",\"type\":\"%s\",\"hook\":\"%s\",\"priority\":%d,\"policy\":\"%s\"",
				type ? type : "filter", hook, prio, policy);
		fprintf(out, ",\"rules\":[");
	} else {
		fprintf(out, "\tchain %s {\n", name);
		if (base)
			fprintf(out, "\t\ttype %s hook %s priority %d; policy %s;\n",
				type ? type : "filter", hook, prio, policy);
	}
	for_each_reply(nlh, &s->rules, rem) {
		struct nftnl_rule *r = nftnl_rule_alloc();
		struct render rd = {.queue_kind = -1};
		const char *rc;

		if (r && nftnl_rule_nlmsg_parse(nlh, r) == 0 &&
		    pgnft_table_is_ours(nftnl_rule_get_str(r, NFTNL_RULE_TABLE)) &&
		    (rc = nftnl_rule_get_str(r, NFTNL_RULE_CHAIN)) != NULL &&
		    strcmp(rc, name) == 0) {
			render_rule(r, &rd);
			if (json) {
				if (!firstrule)
					fputc(',', out);
				pg_json_string(out, rd.text);
			} else {
				fprintf(out, "\t\t%s\n", rd.text);
			}
			firstrule = false;
		}
		if (r)
			nftnl_rule_free(r);
	}
	fputs(json ? "]}" : "\t}\n", out);
}
int pg_nft_show(FILE *out, bool json, char *err, size_t errlen)
{
	struct mnl_socket *nl = NULL;
	struct snapshot s = {0};
	const char *kind;
	bool first;
	size_t si = 0;
	int ret = -1, qk;

	nl = pgnft_nl_open(err, errlen);
	if (!nl || snapshot_read(nl, &s, err, errlen) < 0)
		goto out;
	qk = snapshot_queue_kind(&s);
	kind = qk < 0 ? "none" : pg_nft_queue_kind_name((enum pg_nft_queue_kind)qk);

	if (json)
		fprintf(out, "{\"family\":\"inet\",\"table\":\"%s\",\"queue_kind\":\"%s\",\"chains\":[",
			PG_NFT_TABLE, kind);
	else
		fprintf(out, "table inet %s {\n\t# queue: %s%s\n", PG_NFT_TABLE, kind,
			qk == PG_NFT_QUEUE_COMPAT ? " (xt NFQUEUE target through nft_compat)" :
			qk == PG_NFT_QUEUE_NATIVE ? " (nft queue expression)" : "");

	first = true;
	for_each_reply(nlh, &s.chains, rem) {
		struct nftnl_chain *c = nftnl_chain_alloc();

		if (c && nftnl_chain_nlmsg_parse(nlh, c) == 0 &&
		    pgnft_table_is_ours(nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE))) {
			show_chain(out, json, &s, c, first);
			first = false;
		}
		if (c)
			nftnl_chain_free(c);
	}

	fputs(json ? "],\"sets\":[" : "", out);
	first = true;
	for_each_reply(nlh, &s.sets, rem) {
		struct nftnl_set *set = nftnl_set_alloc();
		const char *name;
		char elems[2048];

		if (set && nftnl_set_nlmsg_parse(nlh, set) == 0 &&
		    (name = nftnl_set_get_str(set, NFTNL_SET_NAME)) != NULL && si < s.nelems &&
		    pgnft_table_is_ours(nftnl_set_get_str(set, NFTNL_SET_TABLE))) {
			uint32_t flags = nftnl_set_get_u32(set, NFTNL_SET_FLAGS);
			uint32_t ktype = nftnl_set_get_u32(set, NFTNL_SET_KEY_TYPE);
			uint32_t size = nftnl_set_is_set(set, NFTNL_SET_DESC_SIZE) ?
					nftnl_set_get_u32(set, NFTNL_SET_DESC_SIZE) : 0;
			bool interval = flags & NFT_SET_INTERVAL, timeout = flags & NFT_SET_TIMEOUT;
			char type[160], sz[32] = "";

			set_type_text(ktype, type, sizeof(type));
			if (ktype == PG_NFT_TYPE_INET_SERVICE)
				format_elems(&s.elems[si], interval, elems, sizeof(elems));
			else
				format_flow_elems(&s.elems[si], elems, sizeof(elems));
			if (size)
				snprintf(sz, sizeof(sz), " size %" PRIu32 ";", size);
			if (json) {
				fprintf(out, "%s{\"name\":", first ? "" : ",");
				pg_json_string(out, name);
				fprintf(out, ",\"type\":");
				pg_json_string(out, type);
				fprintf(out, ",\"interval\":%s,\"timeout\":%s,\"size\":%" PRIu32 ",\"elements\":",
					interval ? "true" : "false", timeout ? "true" : "false", size);
				pg_json_string(out, elems);
				fputc('}', out);
			} else {
				fprintf(out, "\tset %s { type %s;%s%s elements = { %s } }\n",
					name, type, sz, interval ? " flags interval;" :
					timeout ? " flags timeout;" : "", elems);
			}
			first = false;
		}
		si++;
		if (set)
			nftnl_set_free(set);
	}

	fputs(json ? "],\"counters\":[" : "", out);
	first = true;
	for_each_reply(nlh, &s.counters, rem) {
		struct pg_nft_counter c;

		if (!pgnft_parse_counter(nlh, &c))
			continue;
		if (json) {
			fprintf(out, "%s{\"name\":", first ? "" : ",");
			pg_json_string(out, c.name);
			fprintf(out, ",\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64 "}",
				c.packets, c.bytes);
		} else {
			fprintf(out, "\tcounter %s { packets %" PRIu64 " bytes %" PRIu64 " }\n",
				c.name, c.packets, c.bytes);
		}
		first = false;
	}
	fputs(json ? "]}\n" : "}\n", out);
	ret = 0;
out:
	snapshot_free(&s);
	if (nl)
		mnl_socket_close(nl);
	return ret;
}
