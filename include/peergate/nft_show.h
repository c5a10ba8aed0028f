/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reading table inet peergate back: its named counters (for stats) and
 * the whole table as text or JSON (for `peergatectl rules show`).
 */
#ifndef PEERGATE_NFT_SHOW_H
#define PEERGATE_NFT_SHOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* A named counter of the table, as read from the kernel. */
struct pg_nft_counter {
	char name[64];
	uint64_t packets, bytes;
};

/* Reads the table's named counters; returns how many (<= max), -1 when the
 * table does not exist or on error. */
int pg_nft_counters(struct pg_nft_counter *out, size_t max, char *err,
		    size_t errlen);

/* What the kernel holds of the table now: whether it exists, and how many
 * chains and rules it has (a flushed table has chains but no rules). */
struct pg_nft_table_state {
	bool present;
	unsigned chains, rules;
};

/* Reads st from the kernel; -1 with a message when it cannot be asked. */
int pg_nft_table_state(struct pg_nft_table_state *st, char *err, size_t errlen);

/* Prints the table as nft does (libnftables: `nft list table inet
 * peergate`, or with json `nft -j ...`), without handles, and in text with
 * a comment line saying which queue kind is in use.  Queue rules that hold
 * the xt NFQUEUE target, which nft cannot print, show the statement nft
 * prints for the same native queue, marked "xt NFQUEUE target (nft_compat)"
 * (an nft comment in text, the rule's "comment" in JSON).  -1 with a
 * message when the table does not exist or cannot be read. */
int pg_nft_show(FILE *out, bool json, char *err, size_t errlen);

#endif
