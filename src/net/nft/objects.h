/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The table's objects as batch messages (private to src/net/nft): the
 * table, named counters, port sets with their elements, blocked-flow sets
 * and chains, and the deletes an update in place needs.  Each returns 0,
 * or -1 when out of memory.
 */
#ifndef PEERGATE_NET_NFT_OBJECTS_H
#define PEERGATE_NET_NFT_OBJECTS_H

#include <stdbool.h>
#include <stdint.h>

#include "netlink.h"
#include "peergate/nft_table.h"

/* NEWTABLE or DELTABLE of table inet peergate; what names it in reports. */
int pgnft_add_table_msg(struct batch *b, uint16_t type, uint16_t flags,
			const char *what);

int pgnft_add_counter_obj(struct batch *b, const char *name);

/* The set (interval only when a range needs it) and its elements. */
int pgnft_add_port_set(struct batch *b, const struct pg_nft_portset *ps,
		       const char *name, uint32_t set_id);

/* The union of the ports of cfg's port sets of protocol l4proto, as one
 * interval set (the prefilter of chain port_blocks). */
int pgnft_add_port_union(struct batch *b, const struct pg_nft_config *cfg, uint8_t l4proto,
			 const char *name, uint32_t set_id);

/* A blocked-flow set of size elements, empty. */
int pgnft_add_flow_set(struct batch *b, const char *name, bool v6,
		       uint32_t size, uint32_t set_id);

/* A base chain on hooknum, or (base false) a regular chain that is only
 * entered by a jump. */
int pgnft_add_chain(struct batch *b, const char *name, bool base,
		    uint32_t hooknum);

/* DELRULE naming only the table: every rule of every chain in it. */
int pgnft_del_all_rules(struct batch *b);
int pgnft_del_chain(struct batch *b, const char *name);
int pgnft_del_set(struct batch *b, const char *name);
/* A stateful object of type (NFT_OBJECT_*). */
int pgnft_del_obj(struct batch *b, const char *name, uint32_t type);

#endif
