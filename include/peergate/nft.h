/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The nftables helper.  peergate owns exactly one table, `inet peergate`,
 * and never touches any other.  The whole table is (re)built in one netlink
 * batch, so the kernel swaps it atomically.
 *
 * Chain layout (per hook chosen in the policy), in this order:
 *   1. packet mark has a verdict code  -> copy it into the ct mark
 *   2. ct mark code ACCEPT             -> accept
 *   3. ct mark code BLOCK              -> TCP: reject with tcp reset; else drop
 *      ct mark code DROP               -> drop
 *   4. exception prefixes (allow)      -> accept
 *   5. per-(system, feature, proto) port sets -> counter, drop
 *   6. everything else                 -> NFQUEUE (native `queue`, or the xt
 *                                         NFQUEUE target via nft_compat)
 */
#ifndef PEERGATE_NFT_H
#define PEERGATE_NFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "peergate/policy.h"
#include "peergate/taxonomy.h"

#define PG_NFT_TABLE "peergate"

struct pg_nft_range {
	uint16_t lo, hi;
};

/* One kernel-side port block: a named set and a named counter, both called
 * "<system>_<feature>_<tcp|udp>" (dashes in feature names become '_'). */
struct pg_nft_portset {
	enum pg_system system;
	enum pg_feature feature;
	uint8_t l4proto;
	size_t count;
	struct pg_nft_range ranges[16];
};

struct pg_nft_config {
	unsigned hooks;                 /* enum pg_hook bits */
	uint16_t queue_first;
	uint16_t queue_count;           /* >1: fanout over a range */
	bool queue_bypass;              /* accept when nobody listens (fail-open) */
	uint32_t mark_mask;             /* see mark.h */
	bool tcp_reset;                 /* BLOCK on TCP answers with a reset */
	const struct pg_nft_portset *sets;
	size_t nsets;
	const struct pg_prefix *allow;  /* exception prefixes, never queued */
	size_t nallow;
};

enum pg_nft_queue_kind {
	PG_NFT_QUEUE_NATIVE = 0,        /* nft `queue` expression */
	PG_NFT_QUEUE_COMPAT,            /* xt NFQUEUE v3 through nft_compat */
};

const char *pg_nft_queue_kind_name(enum pg_nft_queue_kind k);

/* Builds the port sets the policy asks for: for every blocked feature of a
 * system whose `ports` is on, the `block` entries of the port table.
 * Returns the number of sets written to out (at most max). */
size_t pg_nft_portsets_from_policy(const struct pg_policy *p,
				   struct pg_nft_portset *out, size_t max);

/* Fills cfg from the policy (sets must have room for the port sets). */
void pg_nft_config_from_policy(const struct pg_policy *p,
			       struct pg_nft_config *cfg,
			       struct pg_nft_portset *sets, size_t max_sets);

/* Replaces the table with one built from cfg, in one batch: the native queue
 * expression is tried first, then the compat target.  On failure returns -1
 * and writes a message naming the object the kernel refused into err. */
int pg_nft_apply(const struct pg_nft_config *cfg,
		 enum pg_nft_queue_kind *used, char *err, size_t errlen);

/* Deletes the table (no error when it does not exist). */
int pg_nft_flush(char *err, size_t errlen);

/* A named counter of the table, as read from the kernel. */
struct pg_nft_counter {
	char name[64];
	uint64_t packets, bytes;
};

/* Reads the table's named counters; returns how many (<= max), -1 when the
 * table does not exist or on error. */
int pg_nft_counters(struct pg_nft_counter *out, size_t max, char *err,
		    size_t errlen);

/* Prints the table (chains, rules in nft-like syntax, sets, counters, and
 * which queue kind is in use) to out, or as one JSON object. */
int pg_nft_show(FILE *out, bool json, char *err, size_t errlen);

#endif
