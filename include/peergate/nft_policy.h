/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The policy bridge: from a policy snapshot to the table's configuration
 * (nft_table.h).
 */
#ifndef PEERGATE_NFT_POLICY_H
#define PEERGATE_NFT_POLICY_H

#include <stddef.h>

#include "peergate/nft_table.h"
#include "peergate/policy.h"

/* Builds the port sets the policy asks for: for every blocked feature of a
 * system whose `ports` is on, the `block` entries of the port table.
 * Returns the number of sets written to out (at most max). */
size_t pg_nft_portsets_from_policy(const struct pg_policy *p,
				   struct pg_nft_portset *out, size_t max);

/* Fills cfg from the policy (sets must have room for the port sets). */
void pg_nft_config_from_policy(const struct pg_policy *p,
			       struct pg_nft_config *cfg,
			       struct pg_nft_portset *sets, size_t max_sets);

#endif
