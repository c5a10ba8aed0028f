/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "objects.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/object.h>
#include <libnftnl/set.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "config.h"
#include "keys.h"

/* The attribute that names the table has the same number in table,
 * chain, rule, set and object messages. */
_Static_assert((int)NFTA_TABLE_NAME == (int)NFTA_CHAIN_TABLE &&
	       (int)NFTA_TABLE_NAME == (int)NFTA_RULE_TABLE &&
	       (int)NFTA_TABLE_NAME == (int)NFTA_SET_TABLE &&
	       (int)NFTA_TABLE_NAME == (int)NFTA_OBJ_TABLE, "table attributes differ");

/* A message that names no more than our table, the object's name (in
 * attribute name_attr; none for the table itself, or for all the rules of
 * the table) and a stateful object's type (objtype, 0 for the others):
 * the table, and the deletes.  Built with libmnl: libnftnl would send the
 * same attributes. */
static int named_msg(struct batch *b, uint16_t type, uint16_t flags,
		     uint16_t name_attr, const char *name, uint32_t objtype,
		     const char *what)
{
	struct nlmsghdr *nlh = pgnft_batch_msg(b, type, flags, false, "%s", what);

	if (!nlh)
		return -1;
	mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, PG_NFT_TABLE);
	if (name)
		mnl_attr_put_strz(nlh, name_attr, name);
	if (objtype)
		mnl_attr_put_u32(nlh, NFTA_OBJ_TYPE, htonl(objtype));
	pgnft_batch_close(b);
	return 0;
}

int pgnft_add_table_msg(struct batch *b, uint16_t type, uint16_t flags,
			const char *what)
{
	return named_msg(b, type, flags, 0, NULL, 0, what);
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

/* NEWSET of a named set: its key (nft type and length in bytes), the ID
 * that lookups in the same batch use, its flags and its size (0: none). */
static int add_set_msg(struct batch *b, const char *name, uint32_t key_type,
		       uint32_t key_len, uint32_t set_id, uint32_t flags,
		       uint32_t size)
{
	struct nftnl_set *s = nftnl_set_alloc();
	struct nlmsghdr *nlh;
	int ret = -1;

	if (!s || nftnl_set_set_str(s, NFTNL_SET_TABLE, PG_NFT_TABLE) < 0 ||
	    nftnl_set_set_str(s, NFTNL_SET_NAME, name) < 0)
		goto out;
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, key_type);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, key_len);
	nftnl_set_set_u32(s, NFTNL_SET_ID, set_id);
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, flags);
	if (size)
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

/* The elements of port set `name` for the disjoint, sorted ranges r: in an
 * interval set [lo, hi] is a start element lo and an end element hi + 1
 * (none for a range reaching 65535); otherwise one element per port. */
static int add_range_elems(struct batch *b, const char *name, uint32_t set_id,
			   const struct pg_nft_range *r, size_t n, bool interval)
{
	struct nftnl_set *el = NULL;
	struct nlmsghdr *nlh;
	int ret = -1;

	if (!n)
		return 0;
	el = nftnl_set_alloc();
	if (!el || nftnl_set_set_str(el, NFTNL_SET_TABLE, PG_NFT_TABLE) < 0 ||
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
	if (el)
		nftnl_set_free(el);
	return ret;
}

/* The set (interval only when a range needs it) and its elements. */
int pgnft_add_port_set(struct batch *b, const struct pg_nft_portset *ps,
		       const char *name, uint32_t set_id)
{
	struct pg_nft_range r[16];
	size_t n = pgnft_merge_ranges(ps, r);
	bool interval = false;

	for (size_t i = 0; i < n; i++)
		interval |= r[i].lo != r[i].hi;
	if (add_set_msg(b, name, PG_NFT_TYPE_INET_SERVICE, sizeof(uint16_t), set_id,
			interval ? NFT_SET_INTERVAL : 0, 0) < 0)
		return -1;
	return add_range_elems(b, name, set_id, r, n, interval);
}

/* The union of the ports of cfg's port sets of one protocol, as one
 * interval set: their ranges merged (the kernel refuses overlapping
 * intervals, and the port sets may overlap one another). */
int pgnft_add_port_union(struct batch *b, const struct pg_nft_config *cfg, uint8_t l4proto,
			 const char *name, uint32_t set_id)
{
	struct pg_nft_range *r = calloc(cfg->nsets ? cfg->nsets : 1, sizeof(cfg->sets[0].ranges));
	size_t n = 0;
	int ret = -1;

	if (!r || add_set_msg(b, name, PG_NFT_TYPE_INET_SERVICE, sizeof(uint16_t), set_id,
			      NFT_SET_INTERVAL, 0) < 0)
		goto out;
	for (size_t i = 0; i < cfg->nsets; i++) {
		const struct pg_nft_portset *ps = &cfg->sets[i];

		for (size_t k = 0; ps->l4proto == l4proto && k < ps->count; k++)
			r[n++] = ps->ranges[k];
	}
	ret = add_range_elems(b, name, set_id, r, pgnft_merge_range_list(r, n), true);
out:
	free(r);
	return ret;
}

/* A blocked-flow set: a hash (no intervals) of 5-tuples whose elements
 * carry their own timeout, bounded by size.  It starts empty; the daemon
 * fills it through pg_nft_dyn_block. */
int pgnft_add_flow_set(struct batch *b, const char *name, bool v6,
		       uint32_t size, uint32_t set_id)
{
	return add_set_msg(b, name, pgnft_flow_key_type(v6),
			   PG_NFT_FLOW_KEY_LEN(v6 ? 16u : 4u), set_id, NFT_SET_TIMEOUT,
			   size);
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
	return named_msg(b, NFT_MSG_DELRULE, 0, 0, NULL, 0,
			 "delete of the rules of table inet " PG_NFT_TABLE);
}

int pgnft_del_chain(struct batch *b, const char *name)
{
	char what[112];

	snprintf(what, sizeof(what), "delete of chain %s", name);
	return named_msg(b, NFT_MSG_DELCHAIN, 0, NFTA_CHAIN_NAME, name, 0, what);
}

int pgnft_del_set(struct batch *b, const char *name)
{
	char what[112];

	snprintf(what, sizeof(what), "delete of set %s", name);
	return named_msg(b, NFT_MSG_DELSET, 0, NFTA_SET_NAME, name, 0, what);
}

int pgnft_del_obj(struct batch *b, const char *name, uint32_t type)
{
	char what[112];

	snprintf(what, sizeof(what), "delete of %s %s",
		 type == NFT_OBJECT_COUNTER ? "counter" : "object", name);
	return named_msg(b, NFT_MSG_DELOBJ, 0, NFTA_OBJ_NAME, name, type, what);
}
