/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The turns of a TCP conversation: how many in-order bytes each side sent
 * before the other answered.  Counted by the engine (core) as a stream is
 * reassembled, read by the handshake-shape checks (src/detect/shape.c).
 */
#ifndef PEERGATE_TURNS_H
#define PEERGATE_TURNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The first turns of a TCP flow seen from its SYN: len[i] is the in-order
 * payload one side sent before the other side's next payload byte.
 * client_first: turn 0 is the client's (the SYN sender's). */
#define PG_TURNS_MAX 4
struct pg_turns {
	uint8_t count;            /* turns seen, at most PG_TURNS_MAX */
	bool client_first;
	uint32_t len[PG_TURNS_MAX]; /* the last turn may still grow */
};

/* Adds n in-order payload bytes of one side (client: true for the SYN
 * sender) to the turn count.  Bytes past PG_TURNS_MAX turns are not
 * counted. */
void pg_turns_add(struct pg_turns *t, bool client, size_t n);

#endif
