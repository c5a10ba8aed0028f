/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What an apply finds in the table, and how it empties what the new table
 * does not keep (private to src/net/nft).
 */
#ifndef PEERGATE_NET_NFT_EXISTING_H
#define PEERGATE_NET_NFT_EXISTING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/netfilter/nf_tables.h>

#include "netlink.h"
#include "peergate/nft_table.h"

/* What the table holds before an apply, as far as the batch needs to
 * know: which chains (and their hooks), sets and stateful objects exist. */
struct existing_chain {
	char name[NFT_NAME_MAXLEN];
	bool base;
	uint32_t hooknum, policy;
	int32_t prio;
	char type[16];
};

struct existing_obj {
	char name[NFT_NAME_MAXLEN];
	uint32_t type;            /* NFT_OBJECT_*; unused for sets */
};

struct existing {
	bool table;
	struct existing_chain *chains;
	struct existing_obj *sets, *objs;
	size_t nchains, nsets, nobjs;
};

/* Reads which chains, sets and objects the table has now; an absent table
 * is not an error (ex->table false, nothing listed).  Between this read and
 * the batch another program may change the table; the batch then fails as
 * a whole (ENOENT, EEXIST) and changes nothing. */
int pgnft_existing_read(struct mnl_socket *nl, struct existing *ex, char *err,
			size_t errlen);
void pgnft_existing_free(struct existing *ex);

/* Whether the chain called name is there and the new table keeps it. */
bool pgnft_chain_name_kept(const struct pg_nft_config *cfg,
			   const struct existing *ex, const char *name);

/* Appends the deletes of what the new table does not keep. */
int pgnft_clear_old(struct batch *b, const struct pg_nft_config *cfg,
		    const struct existing *ex);

#endif
