/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The SYNs of connections whose first payload has not reached the daemon
 * yet.  The table logs a new connection's SYN (nflog.h) instead of
 * queueing it; the daemon keeps the SYN here and hands it to the engine
 * just before the connection's first queued packet, so the engine sees
 * the same packets in the same order as when SYNs were queued: the SYN
 * anchors the client's stream at its first byte (segments sent out of
 * order before it cannot pose as the stream's start), says which side is
 * the client, and decides flows that a SYN decides (an expected peer, a
 * learned address).
 *
 * Bounded: a fixed number of slots, one SYN per slot, chosen by a keyed
 * hash of the connection; a SYN that lands on a taken slot replaces what
 * was there (counted).  A connection whose SYN was replaced or lost is read
 * from its first payload on, as one the daemon joined mid-way.
 * Not thread-safe: the daemon holds one lock around it and its socket.
 */
#ifndef PEERGATE_SYN_TABLE_H
#define PEERGATE_SYN_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "peergate/packet.h"

/* The longest SYN kept: IPv6 with a few extension headers, or IPv4 with
 * options, and a TCP header with every option (60 bytes). */
#define PG_SYN_MAX 192

struct pg_syn_table;

struct pg_syn_table_stats {
	uint64_t kept;      /* SYNs put in */
	uint64_t replaced;  /* of those, over another connection's SYN */
	uint64_t refused;   /* logged packets that were not a SYN to keep */
	uint64_t taken;     /* handed to the engine */
	uint64_t stale;     /* found too old to trust, dropped */
};

/* slots: rounded up to a power of two, at least 64.  A SYN older than
 * max_age_ms when its connection's first payload comes is not used.
 * hash_key: mixed into the slot hash, so that a sender who does not know
 * it cannot aim its SYNs at another connection's slot (the daemon draws
 * it at random; tests may pass 0). */
struct pg_syn_table *pg_syn_table_create(uint32_t slots, uint32_t max_age_ms,
					 uint64_t hash_key);
void pg_syn_table_destroy(struct pg_syn_table *t);

/* Keeps ip (a whole IPv4/IPv6 TCP segment with SYN and without ACK, no
 * payload) as its connection's SYN, seen at now_ms.  Anything else is
 * refused (returns -1). */
int pg_syn_table_put(struct pg_syn_table *t, const uint8_t *ip, size_t len, uint64_t now_ms);

/* Takes out the SYN kept for the connection of p, whichever way p goes:
 * copies it into buf (cap >= PG_SYN_MAX) and returns its length; 0 when
 * none is kept, or it is older than max_age_ms. */
size_t pg_syn_table_take(struct pg_syn_table *t, const struct pg_packet *p, uint64_t now_ms,
			 uint8_t *buf, size_t cap);

void pg_syn_table_get_stats(const struct pg_syn_table *t, struct pg_syn_table_stats *out);

#endif
