/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The table's configuration as the builders need it (private to
 * src/net/nft): the hooks, the names of port sets, their merged ranges,
 * the set IDs that tie lookups to sets, and the check that a
 * configuration can be built at all.
 */
#ifndef PEERGATE_NET_NFT_CONFIG_H
#define PEERGATE_NET_NFT_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "peergate/nft_table.h"

/* A base chain per hook, named after it. */
struct pg_nft_hook {
	unsigned bit;             /* enum pg_hook */
	const char *name;
	uint32_t hooknum;         /* NF_INET_* */
};

#define PG_NFT_NHOOKS 3
extern const struct pg_nft_hook pg_nft_hooks[PG_NFT_NHOOKS];

/* "<system>_<feature>_<tcp|udp>", with anything but [a-z0-9_] as '_'
 * (feature names have dashes, which nft would need quoted); -1 when it
 * does not fit in len. */
int pgnft_portset_name(const struct pg_nft_portset *s, char *buf, size_t len);

/* Sorts a set's ranges and merges overlapping and adjacent ones: the
 * kernel's interval sets refuse overlaps (EEXIST), and `nft` merges the
 * same way, so what `nft list` shows matches what was meant. */
size_t pgnft_merge_ranges(const struct pg_nft_portset *s, struct pg_nft_range out[16]);
/* The same over any list, in place: returns how many ranges are left. */
size_t pgnft_merge_range_list(struct pg_nft_range *r, size_t count);

/* The set IDs tie lookups to sets created in the same batch: port set i
 * is i + 1, and the blocked-flow sets follow. */
uint32_t pgnft_blocked_set_id(const struct pg_nft_config *cfg, bool v6);
/* The union sets of the port sets' TCP or UDP ports come after those. */
uint32_t pgnft_port_union_set_id(const struct pg_nft_config *cfg, uint8_t l4proto);
/* True when some port set of cfg is of protocol l4proto. */
bool pgnft_has_port_sets(const struct pg_nft_config *cfg, uint8_t l4proto);

/* 0 when cfg can be built, else -1 with a message naming what is wrong. */
int pgnft_config_validate(const struct pg_nft_config *cfg, char *err, size_t errlen);

#endif
