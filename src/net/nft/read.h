/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reading table inet peergate back over netlink (private to src/net/nft):
 * whether it exists, and dumps of its chains, rules, sets and stateful
 * objects.  read.c also reads the named counters for stats
 * (pg_nft_counters, nft_show.h), which need no rendering.
 */
#ifndef PEERGATE_NET_NFT_READ_H
#define PEERGATE_NET_NFT_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netlink.h"

/* Sets *exists; returns -1 with a message only when the kernel could not
 * be asked (no permission, no nf_tables). */
int pgnft_table_lookup(struct mnl_socket *nl, bool *exists, char *err,
		       size_t errlen);

/* 0 when our table exists, else -1 with a message. */
int pgnft_table_exists(struct mnl_socket *nl, char *err, size_t errlen);

/* A dump of the table's chains (NFT_MSG_GETCHAIN), rules or sets; what
 * names them in the error message. */
int pgnft_dump_simple(struct mnl_socket *nl, uint16_t type, struct replies *r,
		      const char *what, char *err, size_t errlen);

/* GETOBJ dump of the table's stateful objects of one type, or of all
 * types (NFT_OBJECT_UNSPEC). */
int pgnft_dump_objs(struct mnl_socket *nl, uint32_t type, struct replies *r,
		    char *err, size_t errlen);

/* Dumps are filtered by table in the request; this guards against a
 * kernel that ignores the filter. */
bool pgnft_table_is_ours(const char *table);

#endif
