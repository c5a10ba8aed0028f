/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Installing and removing table inet peergate: the table is built with
 * libnftnl and sent to the kernel as one nfnetlink batch over libmnl.
 * Over an existing table the batch is an update in place (see
 * build_apply): the base chains stay, because deleting one unregisters its
 * hook and the kernel then drops every packet queued from it.  A kernel
 * without the native `queue` expression refuses the queue rules, and only
 * them, with ENOENT; the batch is then sent again with the xt NFQUEUE
 * target through nft_compat.
 */
#include <netinet/in.h>

#include "peergate/nft_table.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <linux/netfilter/nf_tables.h>

#include "chain.h"
#include "config.h"
#include "existing.h"
#include "netlink.h"
#include "objects.h"
#include "peergate/seterr.h"

/* The table updated in place, in one batch that the kernel commits whole
 * or not at all: the table is created if missing (NLM_F_CREATE without
 * EXCL leaves an existing one alone), the old contents that ex lists are
 * emptied, and the new contents added, base chains only where they are
 * not kept.  A kept base chain gets its new rules without its hook ever
 * being unregistered, so packets waiting in the queue survive the reload
 * and meet the new rules when they come back (NF_REPEAT).  With no table
 * (ex->table false) the batch is the same as a first install. */
static int build_apply(struct batch *b, const struct pg_nft_config *cfg,
		       const struct existing *ex, enum pg_nft_queue_kind kind)
{
	int ret = -1;

	if (pgnft_batch_begin(b) < 0 ||
	    pgnft_add_table_msg(b, NFT_MSG_NEWTABLE, NLM_F_CREATE, "table inet " PG_NFT_TABLE) < 0)
		goto out;
	if (ex->table && pgnft_clear_old(b, cfg, ex) < 0)
		goto out;
	for (size_t i = 0; i < cfg->nsets; i++) {
		char name[64];

		if (pgnft_portset_name(&cfg->sets[i], name, sizeof(name)) < 0 ||
		    pgnft_add_counter_obj(b, name) < 0 ||
		    pgnft_add_port_set(b, &cfg->sets[i], name, (uint32_t)i + 1) < 0)
			goto out;
	}
	for (int v6 = 0; v6 <= 1; v6++) {
		const char *name = v6 ? PG_NFT_BLOCKED6 : PG_NFT_BLOCKED4;

		if (pgnft_add_counter_obj(b, name) < 0 ||
		    pgnft_add_flow_set(b, name, v6, cfg->blocked_size ? cfg->blocked_size :
				       PG_NFT_BLOCKED_SIZE, pgnft_blocked_set_id(cfg, v6)) < 0)
			goto out;
	}
	for (int udp = 0; udp <= 1; udp++) {
		uint8_t proto = udp ? IPPROTO_UDP : IPPROTO_TCP;

		if (pgnft_has_port_sets(cfg, proto) &&
		    pgnft_add_port_union(b, cfg, proto, udp ? PG_NFT_PORTS_UDP : PG_NFT_PORTS_TCP,
					 pgnft_port_union_set_id(cfg, proto)) < 0)
			goto out;
	}
	/* Before the base chains, whose rules jump to them. */
	if (pgnft_add_exceptions(b, cfg, pgnft_chain_name_kept(cfg, ex, PG_NFT_EXCEPTIONS_CHAIN)) < 0 ||
	    pgnft_add_port_blocks(b, cfg, pgnft_chain_name_kept(cfg, ex, PG_NFT_PORT_BLOCKS_CHAIN)) < 0)
		goto out;
	for (size_t h = 0; h < PG_NFT_NHOOKS; h++) {
		const char *name = pg_nft_hooks[h].name;

		if (!(cfg->hooks & pg_nft_hooks[h].bit))
			continue;
		if ((!pgnft_chain_name_kept(cfg, ex, name) &&
		     pgnft_add_chain(b, name, true, pg_nft_hooks[h].hooknum) < 0) ||
		    pgnft_add_chain_rules(b, cfg, name, kind) < 0)
			goto out;
	}
	if (pgnft_batch_end(b) < 0)
		goto out;
	ret = 0;
out:
	return ret;
}

int pg_nft_apply(const struct pg_nft_config *cfg,
		 enum pg_nft_queue_kind *used, char *err, size_t errlen)
{
	static const enum pg_nft_queue_kind kinds[] = {
		PG_NFT_QUEUE_NATIVE, PG_NFT_QUEUE_COMPAT,
	};
	struct mnl_socket *nl = NULL;
	struct existing ex = {0};
	struct batch b = {0};
	char native_err[256] = "";
	int ret = -1;

	if (!cfg) {
		pg_seterr(err, errlen, "no configuration");
		goto out;
	}
	if (pgnft_config_validate(cfg, err, errlen) < 0)
		goto out;
	nl = pgnft_nl_open(err, errlen);
	if (!nl)
		goto out;
	/* Read once: a refused batch changes nothing, so the compat attempt
	 * starts from the same table. */
	if (pgnft_existing_read(nl, &ex, err, errlen) < 0)
		goto out;
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		int rc;

		pgnft_batch_reset(&b, (uint32_t)time(NULL) + (uint32_t)k * 0x100000u);
		if (build_apply(&b, cfg, &ex, kinds[k]) < 0) {
			pg_seterr(err, errlen, "out of memory while building the nftables batch");
			goto out;
		}
		rc = pgnft_batch_talk(nl, &b, err, errlen);
		if (rc < 0)
			goto out;
		if (rc == 0) {
			if (used)
				*used = kinds[k];
			/* Success leaves err empty, or says why the fallback was
			 * taken, for the caller's log. */
			if (native_err[0])
				pg_seterr(err, errlen,
					  "native queue expression refused (%s); using the xt NFQUEUE target",
					  native_err);
			else
				pg_seterr(err, errlen, "%s", "");
			ret = 0;
			goto out;
		}
		if (kinds[k] == PG_NFT_QUEUE_NATIVE && pgnft_batch_only_queue_missing(&b)) {
			/* Remembered for the report should compat fail too. */
			pgnft_batch_describe(&b, "", native_err, sizeof(native_err));
			continue;
		}
		pgnft_batch_describe(&b, "cannot install table inet " PG_NFT_TABLE ": ", err, errlen);
		if (native_err[0] && err && errlen) {
			size_t l = strlen(err);

			snprintf(err + l, errlen - l, " (native queue failed before: %s)",
				 native_err);
		}
		goto out;
	}
out:
	pgnft_existing_free(&ex);
	pgnft_batch_free(&b);
	if (nl)
		mnl_socket_close(nl);
	return ret;
}

int pg_nft_flush(char *err, size_t errlen)
{
	bool existed;

	return pg_nft_delete(&existed, err, errlen);
}

int pg_nft_delete(bool *existed, char *err, size_t errlen)
{
	struct mnl_socket *nl = NULL;
	struct batch b = {0};
	int ret = -1, rc;

	*existed = false;
	nl = pgnft_nl_open(err, errlen);
	if (!nl)
		goto out;
	pgnft_batch_reset(&b, (uint32_t)time(NULL));
	/* The delete alone: the kernel's ENOENT answers "was there one" in
	 * the same step that removes it. */
	if (pgnft_batch_begin(&b) < 0 ||
	    pgnft_add_table_msg(&b, NFT_MSG_DELTABLE, 0, "table inet " PG_NFT_TABLE) < 0 ||
	    pgnft_batch_end(&b) < 0) {
		pg_seterr(err, errlen, "out of memory while building the nftables batch");
		goto out;
	}
	rc = pgnft_batch_talk(nl, &b, err, errlen);
	if (rc < 0)
		goto out;
	if (rc > 0 && !b.head_err && b.nobjs == 1 && b.objs[0].status == ENOENT) {
		ret = 0;
		goto out;
	}
	if (rc > 0) {
		pgnft_batch_describe(&b, "cannot remove table inet " PG_NFT_TABLE ": ", err, errlen);
		goto out;
	}
	*existed = true;
	ret = 0;
out:
	pgnft_batch_free(&b);
	if (nl)
		mnl_socket_close(nl);
	return ret;
}
