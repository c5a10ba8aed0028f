/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "objects.h"

#include <arpa/inet.h>
#include <stdlib.h>

#include <libnftnl/chain.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "config.h"
#include "keys.h"

int pgnft_add_table_msg(struct batch *b, uint16_t type, uint16_t flags,
			const char *what)
{
	struct nftnl_table *t = nftnl_table_alloc();
	struct nlmsghdr *nlh;
	int ret = -1;

	if (!t || nftnl_table_set_str(t, NFTNL_TABLE_NAME, PG_NFT_TABLE) < 0)
		goto out;
	nlh = pgnft_batch_msg(b, type, flags, false, "%s", what);
	if (!nlh)
		goto out;
	nftnl_table_nlmsg_build_payload(nlh, t);
	pgnft_batch_close(b);
	ret = 0;
out:
	if (t)
		nftnl_table_free(t);
	return ret;
}

int pgnft_add_counter_obj(struct batch *b, const char *name)
{
	struct nftnl_obj *o = nftnl_obj_alloc();
	struct nlmsghdr *nlh;
	int ret = -1;

	if (!o)
		goto out;
	nftnl_obj_set_str(o, NFTNL_OBJ_TABLE, PG_NFT_TABLE);
	nftnl_obj_set_str(o, NFTNL_OBJ_NAME, name);
	nftnl_obj_set_u32(o, NFTNL_OBJ_TYPE, NFT_OBJECT_COUNTER);
	if (!nftnl_obj_get_str(o, NFTNL_OBJ_NAME))
		goto out;
	nlh = pgnft_batch_msg(b, NFT_MSG_NEWOBJ, NLM_F_CREATE | NLM_F_EXCL, false,
			      "counter %s", name);
	if (!nlh)
		goto out;
	nftnl_obj_nlmsg_build_payload(nlh, o);
	pgnft_batch_close(b);
	ret = 0;
out:
	if (o)
		nftnl_obj_free(o);
	return ret;
}

static int set_elem_add(struct nftnl_set *s, uint16_t port, bool end)
{
	struct nftnl_set_elem *e = nftnl_set_elem_alloc();
	uint16_t key = htons(port);
	int ret = -1;

	if (!e || nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, &key, sizeof(key)) < 0)
		goto out;
	if (end)
		nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_FLAGS, NFT_SET_ELEM_INTERVAL_END);
	nftnl_set_elem_add(s, e);          /* the set owns it from here */
	e = NULL;
	ret = 0;
out:
	if (e)
		nftnl_set_elem_free(e);
	return ret;
}

/* The set (interval only when a range needs it) and its elements: an
 * interval [lo, hi] is a start element lo and an end element hi + 1, and
 * a range reaching 65535 has no end element. */
int pgnft_add_port_set(struct batch *b, const struct pg_nft_portset *ps,
		       const char *name, uint32_t set_id)
{
	struct pg_nft_range r[16];
	struct nftnl_set *s = NULL, *el = NULL;
	struct nlmsghdr *nlh;
	size_t n = pgnft_merge_ranges(ps, r);
	bool interval = false;
	int ret = -1;

	for (size_t i = 0; i < n; i++)
		interval |= r[i].lo != r[i].hi;

	s = nftnl_set_alloc();
	if (!s)
		goto out;
	if (nftnl_set_set_str(s, NFTNL_SET_TABLE, PG_NFT_TABLE) < 0 ||
	    nftnl_set_set_str(s, NFTNL_SET_NAME, name) < 0)
		goto out;
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, PG_NFT_TYPE_INET_SERVICE);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, sizeof(uint16_t));
	nftnl_set_set_u32(s, NFTNL_SET_ID, set_id);
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, interval ? NFT_SET_INTERVAL : 0);
	nlh = pgnft_batch_msg(b, NFT_MSG_NEWSET, NLM_F_CREATE | NLM_F_EXCL, false,
			      "set %s", name);
	if (!nlh)
		goto out;
	nftnl_set_nlmsg_build_payload(nlh, s);
	pgnft_batch_close(b);

	if (!n) {
		ret = 0;
		goto out;
	}
	el = nftnl_set_alloc();
	if (!el)
		goto out;
	if (nftnl_set_set_str(el, NFTNL_SET_TABLE, PG_NFT_TABLE) < 0 ||
	    nftnl_set_set_str(el, NFTNL_SET_NAME, name) < 0)
		goto out;
	nftnl_set_set_u32(el, NFTNL_SET_ID, set_id);
	for (size_t i = 0; i < n; i++) {
		if (set_elem_add(el, r[i].lo, false) < 0)
			goto out;
		if (interval && r[i].hi != UINT16_MAX &&
		    set_elem_add(el, (uint16_t)(r[i].hi + 1), true) < 0)
			goto out;
	}
	nlh = pgnft_batch_msg(b, NFT_MSG_NEWSETELEM, NLM_F_CREATE | NLM_F_EXCL, false,
			      "elements of set %s", name);
	if (!nlh)
		goto out;
	nftnl_set_elems_nlmsg_build_payload(nlh, el);
	pgnft_batch_close(b);
	ret = 0;
out:
	if (s)
		nftnl_set_free(s);
	if (el)
		nftnl_set_free(el);
	return ret;
}

/* A blocked-flow set: a hash (no intervals) of 5-tuples whose elements
 * carry their own timeout, bounded by size.  It starts empty; the daemon
 * fills it through pg_nft_dyn_block. */
int pgnft_add_flow_set(struct batch *b, const char *name, bool v6,
		       uint32_t size, uint32_t set_id)
{
	struct nftnl_set *s = nftnl_set_alloc();
	struct nlmsghdr *nlh;
	int ret = -1;

	if (!s || nftnl_set_set_str(s, NFTNL_SET_TABLE, PG_NFT_TABLE) < 0 ||
	    nftnl_set_set_str(s, NFTNL_SET_NAME, name) < 0)
		goto out;
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, pgnft_flow_key_type(v6));
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, PG_NFT_FLOW_KEY_LEN(v6 ? 16u : 4u));
	nftnl_set_set_u32(s, NFTNL_SET_ID, set_id);
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_TIMEOUT);
	nftnl_set_set_u32(s, NFTNL_SET_DESC_SIZE, size);
	nlh = pgnft_batch_msg(b, NFT_MSG_NEWSET, NLM_F_CREATE | NLM_F_EXCL, false,
			      "set %s", name);
	if (!nlh)
		goto out;
	nftnl_set_nlmsg_build_payload(nlh, s);
	pgnft_batch_close(b);
	ret = 0;
out:
	if (s)
		nftnl_set_free(s);
	return ret;
}

int pgnft_add_chain(struct batch *b, const char *name, bool base,
		    uint32_t hooknum)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	struct nlmsghdr *nlh;
	int ret = -1;

	if (!c)
		goto out;
	if (nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, PG_NFT_TABLE) < 0 ||
	    nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name) < 0)
		goto out;
	if (base) {
		if (nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, "filter") < 0)
			goto out;
		nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, hooknum);
		nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, 0);
		nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	}
	nlh = pgnft_batch_msg(b, NFT_MSG_NEWCHAIN, NLM_F_CREATE | NLM_F_EXCL, false,
			      "chain %s", name);
	if (!nlh)
		goto out;
	nftnl_chain_nlmsg_build_payload(nlh, c);
	pgnft_batch_close(b);
	ret = 0;
out:
	if (c)
		nftnl_chain_free(c);
	return ret;
}

int pgnft_del_all_rules(struct batch *b)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct nlmsghdr *nlh;
	int ret = -1;

	if (!r || nftnl_rule_set_str(r, NFTNL_RULE_TABLE, PG_NFT_TABLE) < 0)
		goto out;
	nlh = pgnft_batch_msg(b, NFT_MSG_DELRULE, 0, false,
			      "delete of the rules of table inet " PG_NFT_TABLE);
	if (!nlh)
		goto out;
	nftnl_rule_nlmsg_build_payload(nlh, r);
	pgnft_batch_close(b);
	ret = 0;
out:
	if (r)
		nftnl_rule_free(r);
	return ret;
}

int pgnft_del_chain(struct batch *b, const char *name)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	struct nlmsghdr *nlh;
	int ret = -1;

	if (!c || nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, PG_NFT_TABLE) < 0 ||
	    nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name) < 0)
		goto out;
	nlh = pgnft_batch_msg(b, NFT_MSG_DELCHAIN, 0, false, "delete of chain %s", name);
	if (!nlh)
		goto out;
	nftnl_chain_nlmsg_build_payload(nlh, c);
	pgnft_batch_close(b);
	ret = 0;
out:
	if (c)
		nftnl_chain_free(c);
	return ret;
}

int pgnft_del_set(struct batch *b, const char *name)
{
	struct nftnl_set *s = nftnl_set_alloc();
	struct nlmsghdr *nlh;
	int ret = -1;

	if (!s || nftnl_set_set_str(s, NFTNL_SET_TABLE, PG_NFT_TABLE) < 0 ||
	    nftnl_set_set_str(s, NFTNL_SET_NAME, name) < 0)
		goto out;
	nlh = pgnft_batch_msg(b, NFT_MSG_DELSET, 0, false, "delete of set %s", name);
	if (!nlh)
		goto out;
	nftnl_set_nlmsg_build_payload(nlh, s);
	pgnft_batch_close(b);
	ret = 0;
out:
	if (s)
		nftnl_set_free(s);
	return ret;
}

int pgnft_del_obj(struct batch *b, const char *name, uint32_t type)
{
	struct nftnl_obj *o = nftnl_obj_alloc();
	struct nlmsghdr *nlh;
	int ret = -1;

	if (!o)
		goto out;
	nftnl_obj_set_str(o, NFTNL_OBJ_TABLE, PG_NFT_TABLE);
	nftnl_obj_set_str(o, NFTNL_OBJ_NAME, name);
	nftnl_obj_set_u32(o, NFTNL_OBJ_TYPE, type);
	if (!nftnl_obj_get_str(o, NFTNL_OBJ_NAME))
		goto out;
	nlh = pgnft_batch_msg(b, NFT_MSG_DELOBJ, 0, false, "delete of %s %s",
			      type == NFT_OBJECT_COUNTER ? "counter" : "object", name);
	if (!nlh)
		goto out;
	nftnl_obj_nlmsg_build_payload(nlh, o);
	pgnft_batch_close(b);
	ret = 0;
out:
	if (o)
		nftnl_obj_free(o);
	return ret;
}
