/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The rules of the table's chains (private to src/net/nft): the steps of a
 * base chain, in the order of nft_table.h and the README's chain diagram,
 * and the regular chain `exceptions`.
 */
#ifndef PEERGATE_NET_NFT_CHAIN_H
#define PEERGATE_NET_NFT_CHAIN_H

#include <stdbool.h>

#include "netlink.h"
#include "peergate/nft_table.h"

/* Appends the rules of base chain `chain` to the batch; -1 when out of
 * memory. */
int pgnft_add_chain_rules(struct batch *b, const struct pg_nft_config *cfg,
			  const char *chain, enum pg_nft_queue_kind kind);

/* The regular chain `exceptions` and its rules, when cfg has allow
 * prefixes (else nothing).  kept: the chain is there already (emptied
 * earlier in the batch), so only its rules are added. */
int pgnft_add_exceptions(struct batch *b, const struct pg_nft_config *cfg,
			 bool kept);

/* The regular chain `port_blocks` and its rules, when cfg has port sets
 * (else nothing); kept as for pgnft_add_exceptions. */
int pgnft_add_port_blocks(struct batch *b, const struct pg_nft_config *cfg, bool kept);

#endif
