/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "read.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libnftnl/common.h>
#include <libnftnl/object.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "peergate/nft_show.h"
#include "peergate/nft_table.h"
#include "peergate/seterr.h"

int pgnft_table_lookup(struct mnl_socket *nl, bool *exists, char *err,
		       size_t errlen)
{
	char buf[512];
	struct nftnl_table *t = nftnl_table_alloc();
	struct replies r = {0};
	struct nlmsghdr *nlh;
	int kerr, rc, ret = -1;

	*exists = false;
	if (!t || nftnl_table_set_str(t, NFTNL_TABLE_NAME, PG_NFT_TABLE) < 0) {
		pg_seterr(err, errlen, "out of memory");
		goto out;
	}
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETTABLE, NFPROTO_INET, NLM_F_ACK,
				    (uint32_t)time(NULL));
	nftnl_table_nlmsg_build_payload(nlh, t);
	rc = pgnft_nl_request(nl, nlh, &r, &kerr);
	if (rc < 0 && kerr != ENOENT) {
		pg_seterr(err, errlen, "cannot read table inet " PG_NFT_TABLE ": %s%s",
			  strerror(kerr), pgnft_errno_hint(kerr, true));
		goto out;
	}
	*exists = rc == 0;
	ret = 0;
out:
	free(r.buf);
	if (t)
		nftnl_table_free(t);
	return ret;
}

int pgnft_table_exists(struct mnl_socket *nl, char *err, size_t errlen)
{
	bool exists;

	if (pgnft_table_lookup(nl, &exists, err, errlen) < 0)
		return -1;
	if (!exists) {
		pg_seterr(err, errlen, "table inet " PG_NFT_TABLE " does not exist");
		return -1;
	}
	return 0;
}

int pgnft_dump_simple(struct mnl_socket *nl, uint16_t type, struct replies *r,
		      const char *what, char *err, size_t errlen)
{
	char buf[512];
	struct nlmsghdr *nlh;
	int kerr;

	nlh = nftnl_nlmsg_build_hdr(buf, type, NFPROTO_INET, NLM_F_DUMP,
				    (uint32_t)time(NULL));
	/* The same attribute (number 1) names the table in chain, rule and
	 * set requests, and the kernel filters the dump by it. */
	mnl_attr_put_strz(nlh, NFTA_CHAIN_TABLE, PG_NFT_TABLE);
	if (pgnft_nl_request(nl, nlh, r, &kerr) < 0) {
		pg_seterr(err, errlen, "cannot read the %s of table inet " PG_NFT_TABLE ": %s",
			  what, strerror(kerr));
		return -1;
	}
	return 0;
}

int pgnft_dump_objs(struct mnl_socket *nl, uint32_t type, struct replies *r,
		    char *err, size_t errlen)
{
	char buf[512];
	struct nftnl_obj *o = nftnl_obj_alloc();
	struct nlmsghdr *nlh;
	int kerr, ret = -1;

	if (!o) {
		pg_seterr(err, errlen, "out of memory");
		goto out;
	}
	nftnl_obj_set_str(o, NFTNL_OBJ_TABLE, PG_NFT_TABLE);
	if (type != NFT_OBJECT_UNSPEC)
		nftnl_obj_set_u32(o, NFTNL_OBJ_TYPE, type);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETOBJ, NFPROTO_INET, NLM_F_DUMP,
				    (uint32_t)time(NULL));
	nftnl_obj_nlmsg_build_payload(nlh, o);
	if (pgnft_nl_request(nl, nlh, r, &kerr) < 0) {
		pg_seterr(err, errlen, "cannot read the %s of table inet " PG_NFT_TABLE ": %s",
			  type == NFT_OBJECT_COUNTER ? "counters" : "objects", strerror(kerr));
		goto out;
	}
	ret = 0;
out:
	if (o)
		nftnl_obj_free(o);
	return ret;
}

bool pgnft_table_is_ours(const char *table)
{
	return table && strcmp(table, PG_NFT_TABLE) == 0;
}

/* Parses one counter object of our table into c; false for others. */
static bool parse_counter(const struct nlmsghdr *nlh, struct pg_nft_counter *c)
{
	struct nftnl_obj *o = nftnl_obj_alloc();
	const char *table, *name;
	bool ok = false;

	if (!o || nftnl_obj_nlmsg_parse(nlh, o) < 0)
		goto out;
	table = nftnl_obj_get_str(o, NFTNL_OBJ_TABLE);
	name = nftnl_obj_get_str(o, NFTNL_OBJ_NAME);
	if (!table || !name || strcmp(table, PG_NFT_TABLE) != 0 ||
	    nftnl_obj_get_u32(o, NFTNL_OBJ_TYPE) != NFT_OBJECT_COUNTER)
		goto out;
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->packets = nftnl_obj_get_u64(o, NFTNL_OBJ_CTR_PKTS);
	c->bytes = nftnl_obj_get_u64(o, NFTNL_OBJ_CTR_BYTES);
	ok = true;
out:
	if (o)
		nftnl_obj_free(o);
	return ok;
}

int pg_nft_counters(struct pg_nft_counter *out, size_t max, char *err,
		    size_t errlen)
{
	struct mnl_socket *nl = NULL;
	struct replies r = {0};
	int ret = -1, n = 0;

	nl = pgnft_nl_open(err, errlen);
	if (!nl || pgnft_table_exists(nl, err, errlen) < 0 ||
	    pgnft_dump_objs(nl, NFT_OBJECT_COUNTER, &r, err, errlen) < 0)
		goto out;
	for_each_reply(nlh, &r, rem) {
		struct pg_nft_counter c;

		if ((size_t)n < max && n < INT_MAX && parse_counter(nlh, &c))
			out[n++] = c;
	}
	ret = n;
out:
	free(r.buf);
	if (nl)
		mnl_socket_close(nl);
	return ret;
}

/* Messages of one type in a dump of our table. */
static unsigned count_replies(const struct replies *r, uint16_t type)
{
	unsigned n = 0;

	for_each_reply(nlh, r, rem) {
		if (NFNL_MSG_TYPE(nlh->nlmsg_type) == type)
			n++;
	}
	return n;
}

int pg_nft_table_state(struct pg_nft_table_state *st, char *err, size_t errlen)
{
	struct mnl_socket *nl = NULL;
	struct replies chains = {0}, rules = {0};
	int ret = -1;

	memset(st, 0, sizeof(*st));
	nl = pgnft_nl_open(err, errlen);
	if (!nl || pgnft_table_lookup(nl, &st->present, err, errlen) < 0)
		goto out;
	if (st->present &&
	    (pgnft_dump_simple(nl, NFT_MSG_GETCHAIN, &chains, "chains", err, errlen) < 0 ||
	     pgnft_dump_simple(nl, NFT_MSG_GETRULE, &rules, "rules", err, errlen) < 0))
		goto out;
	st->chains = count_replies(&chains, NFT_MSG_NEWCHAIN);
	st->rules = count_replies(&rules, NFT_MSG_NEWRULE);
	ret = 0;
out:
	free(chains.buf);
	free(rules.buf);
	if (nl)
		mnl_socket_close(nl);
	return ret;
}
