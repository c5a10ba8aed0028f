/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Longest-prefix match over IPv4 and IPv6 prefixes: one binary trie per
 * family, so a lookup reads at most 32 or 128 bits whatever the number of
 * prefixes (vendor address ranges run to thousands).
 */
#ifndef PEERGATE_PREFIX_TABLE_H
#define PEERGATE_PREFIX_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "peergate/policy.h"

struct pg_prefix_table;

struct pg_prefix_table *pg_prefix_table_create(void);
void pg_prefix_table_destroy(struct pg_prefix_table *t);

/* Adds p with value; a prefix added again keeps its first value (returns
 * true).  False on an invalid prefix or when out of memory. */
bool pg_prefix_table_add(struct pg_prefix_table *t, const struct pg_prefix *p,
			 uint32_t value);

/* The value of the longest prefix holding addr (4 or 16 bytes, per family)
 * and, when len is not NULL, that prefix's length; false when none does. */
bool pg_prefix_table_lookup(const struct pg_prefix_table *t, uint8_t family,
			    const uint8_t *addr, uint32_t *value, uint8_t *len);

/* Prefixes held. */
size_t pg_prefix_table_count(const struct pg_prefix_table *t);

#endif
