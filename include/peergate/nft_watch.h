/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Watching table inet peergate for losses: a netlink socket subscribed to
 * the nftables event group (NFNLGRP_NFTABLES), which the kernel feeds with
 * one message per object every committed batch creates or deletes, then
 * one NEWGEN message naming the process that committed it.  Nothing is
 * polled: the socket wakes the daemon's loop only when some program changes
 * the ruleset.
 *
 * What counts as a loss: a deleted table, chain, rule, set or named counter
 * of our table.  New objects, and set elements (the blocked-flow sets come
 * and go with every blocked flow and expire on their own), are no loss.
 * Changes committed by this process (its own applies and reloads, which
 * delete the old rules and sets they replace) are ignored, so that putting
 * the table back does not look like another loss.
 */
#ifndef PEERGATE_NFT_WATCH_H
#define PEERGATE_NFT_WATCH_H

#include <stddef.h>

/* What another program did to the table since the last drain (bits). */
enum pg_nft_loss {
	PG_NFT_LOSS_TABLE = 1u << 0,    /* the table was deleted */
	PG_NFT_LOSS_CHAIN = 1u << 1,    /* a chain was deleted */
	PG_NFT_LOSS_RULES = 1u << 2,    /* rules were deleted (a chain or the table flushed) */
	PG_NFT_LOSS_SETS = 1u << 3,     /* a set or a named counter was deleted */
	/* The socket overflowed (a large ruleset changed at once) and events
	 * were lost: whether the table was touched is unknown. */
	PG_NFT_LOSS_UNKNOWN = 1u << 4,
};

struct pg_nft_watch;

/* Opens the event socket (non-blocking).  NULL with a message on failure
 * (no CAP_NET_ADMIN is needed to listen, but nf_tables must exist). */
struct pg_nft_watch *pg_nft_watch_open(char *err, size_t errlen);
void pg_nft_watch_close(struct pg_nft_watch *w);

/* The descriptor to poll for POLLIN. */
int pg_nft_watch_fd(const struct pg_nft_watch *w);

/* Reads every pending event without blocking and sets *lost to the
 * enum pg_nft_loss bits of the batches other processes committed since the
 * last call (0: our table was not touched).  Events of a batch whose NEWGEN
 * has not arrived yet are kept for the next call.  Returns 0, or -1 with a
 * message when the socket failed. */
int pg_nft_watch_drain(struct pg_nft_watch *w, unsigned *lost, char *err, size_t errlen);

/* Says what the bits mean, the gravest first: "table deleted", "chain
 * deleted", "rules flushed", "set or counter deleted", "events lost". */
const char *pg_nft_loss_describe(unsigned lost);

#endif
