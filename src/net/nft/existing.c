/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "existing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libnftnl/chain.h>
#include <libnftnl/object.h>
#include <libnftnl/set.h>
#include <linux/netfilter.h>

#include "config.h"
#include "objects.h"
#include "peergate/seterr.h"
#include "read.h"

/* A chain of the current table that the new one keeps as it is: a base
 * chain on the hook its name stands for, with our type, priority and
 * policy, when the new configuration still hooks there; the exceptions
 * chain, as a regular chain, when there are still allow prefixes.  Only
 * a kept base chain keeps its netfilter hook registered; deleting one
 * makes the kernel drop every packet queued from that hook. */
static bool chain_kept(const struct pg_nft_config *cfg,
		       const struct existing_chain *c)
{
	if (!c->base)
		return (cfg->nallow && strcmp(c->name, PG_NFT_EXCEPTIONS_CHAIN) == 0) ||
		       (cfg->nsets && strcmp(c->name, PG_NFT_PORT_BLOCKS_CHAIN) == 0);
	for (size_t h = 0; h < PG_NFT_NHOOKS; h++) {
		if (strcmp(c->name, pg_nft_hooks[h].name) == 0)
			return (cfg->hooks & pg_nft_hooks[h].bit) &&
			       c->hooknum == pg_nft_hooks[h].hooknum && c->prio == 0 &&
			       c->policy == NF_ACCEPT && strcmp(c->type, "filter") == 0;
	}
	return false;
}

bool pgnft_chain_name_kept(const struct pg_nft_config *cfg,
			   const struct existing *ex, const char *name)
{
	for (size_t i = 0; i < ex->nchains; i++) {
		if (strcmp(ex->chains[i].name, name) == 0)
			return chain_kept(cfg, &ex->chains[i]);
	}
	return false;
}

/* Empties what the new table does not keep: all rules first (they hold
 * the references that would make the other deletes fail with EBUSY), then
 * the chains that are not kept, every set and every object.
 *
 * The blocked-flow sets go too, with their elements, and come back empty:
 * after a reload the daemon re-decides flows whose system's action
 * changed (it clears their ct marks), and a flow left in blocked4/6 would
 * stay dropped in the kernel even when the new policy allows it.  A flow
 * that is still blocked meets the daemon again on its next packet and is
 * put back.  The port sets and the named counters are replaced as well,
 * so the counters restart from zero, as they did when the whole table was
 * rebuilt. */
int pgnft_clear_old(struct batch *b, const struct pg_nft_config *cfg,
		    const struct existing *ex)
{
	int ret = -1;

	if (pgnft_del_all_rules(b) < 0)
		goto out;
	for (size_t i = 0; i < ex->nchains; i++) {
		if (!chain_kept(cfg, &ex->chains[i]) && pgnft_del_chain(b, ex->chains[i].name) < 0)
			goto out;
	}
	for (size_t i = 0; i < ex->nsets; i++) {
		if (pgnft_del_set(b, ex->sets[i].name) < 0)
			goto out;
	}
	for (size_t i = 0; i < ex->nobjs; i++) {
		if (pgnft_del_obj(b, ex->objs[i].name, ex->objs[i].type) < 0)
			goto out;
	}
	ret = 0;
out:
	return ret;
}

void pgnft_existing_free(struct existing *ex)
{
	free(ex->chains);
	free(ex->sets);
	free(ex->objs);
	memset(ex, 0, sizeof(*ex));
}

static size_t count_replies(const struct replies *r)
{
	size_t n = 0;

	for_each_reply(nlh, r, rem)
		n++;
	return n;
}

/* Copies a name the kernel gave; false when there is none. */
static bool copy_name(char dst[NFT_NAME_MAXLEN], const char *src)
{
	if (!src)
		return false;
	snprintf(dst, NFT_NAME_MAXLEN, "%s", src);
	return true;
}

static int existing_chains(const struct replies *r, struct existing *ex)
{
	ex->chains = calloc(count_replies(r) + 1, sizeof(*ex->chains));
	if (!ex->chains)
		return -1;
	for_each_reply(nlh, r, rem) {
		struct nftnl_chain *c = nftnl_chain_alloc();
		struct existing_chain *ec = &ex->chains[ex->nchains];

		if (!c)
			return -1;
		/* A chain bound to a rule (NFT_CHAIN_BINDING) goes with its
		 * rule; peergate makes none. */
		if (nftnl_chain_nlmsg_parse(nlh, c) == 0 &&
		    pgnft_table_is_ours(nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE)) &&
		    !(nftnl_chain_is_set(c, NFTNL_CHAIN_FLAGS) &&
		      (nftnl_chain_get_u32(c, NFTNL_CHAIN_FLAGS) & NFT_CHAIN_BINDING)) &&
		    copy_name(ec->name, nftnl_chain_get_str(c, NFTNL_CHAIN_NAME))) {
			ec->base = nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM);
			if (ec->base) {
				const char *type = nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE);

				ec->hooknum = nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM);
				ec->prio = nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO);
				ec->policy = nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY);
				snprintf(ec->type, sizeof(ec->type), "%s", type ? type : "");
			}
			ex->nchains++;
		}
		nftnl_chain_free(c);
	}
	return 0;
}

static int existing_sets(const struct replies *r, struct existing *ex)
{
	ex->sets = calloc(count_replies(r) + 1, sizeof(*ex->sets));
	if (!ex->sets)
		return -1;
	for_each_reply(nlh, r, rem) {
		struct nftnl_set *s = nftnl_set_alloc();

		if (!s)
			return -1;
		/* Anonymous sets belong to the rule that made them. */
		if (nftnl_set_nlmsg_parse(nlh, s) == 0 &&
		    pgnft_table_is_ours(nftnl_set_get_str(s, NFTNL_SET_TABLE)) &&
		    !(nftnl_set_get_u32(s, NFTNL_SET_FLAGS) & NFT_SET_ANONYMOUS) &&
		    copy_name(ex->sets[ex->nsets].name, nftnl_set_get_str(s, NFTNL_SET_NAME)))
			ex->nsets++;
		nftnl_set_free(s);
	}
	return 0;
}

static int existing_objs(const struct replies *r, struct existing *ex)
{
	ex->objs = calloc(count_replies(r) + 1, sizeof(*ex->objs));
	if (!ex->objs)
		return -1;
	for_each_reply(nlh, r, rem) {
		struct nftnl_obj *o = nftnl_obj_alloc();

		if (!o)
			return -1;
		if (nftnl_obj_nlmsg_parse(nlh, o) == 0 &&
		    pgnft_table_is_ours(nftnl_obj_get_str(o, NFTNL_OBJ_TABLE)) &&
		    copy_name(ex->objs[ex->nobjs].name, nftnl_obj_get_str(o, NFTNL_OBJ_NAME))) {
			ex->objs[ex->nobjs].type = nftnl_obj_get_u32(o, NFTNL_OBJ_TYPE);
			ex->nobjs++;
		}
		nftnl_obj_free(o);
	}
	return 0;
}

int pgnft_existing_read(struct mnl_socket *nl, struct existing *ex, char *err,
			size_t errlen)
{
	struct replies chains = {0}, sets = {0}, objs = {0};
	int ret = -1;

	memset(ex, 0, sizeof(*ex));
	if (pgnft_table_lookup(nl, &ex->table, err, errlen) < 0)
		goto out;
	if (!ex->table) {
		ret = 0;
		goto out;
	}
	if (pgnft_dump_simple(nl, NFT_MSG_GETCHAIN, &chains, "chains", err, errlen) < 0 ||
	    pgnft_dump_simple(nl, NFT_MSG_GETSET, &sets, "sets", err, errlen) < 0 ||
	    pgnft_dump_objs(nl, NFT_OBJECT_UNSPEC, &objs, err, errlen) < 0)
		goto out;
	if (existing_chains(&chains, ex) < 0 || existing_sets(&sets, ex) < 0 ||
	    existing_objs(&objs, ex) < 0) {
		pg_seterr(err, errlen, "out of memory while reading table inet " PG_NFT_TABLE);
		goto out;
	}
	ret = 0;
out:
	free(chains.buf);
	free(sets.buf);
	free(objs.buf);
	return ret;
}
