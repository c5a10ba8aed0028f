/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The messages of an NFQUEUE socket, apart from the socket: pure functions
 * over one received datagram.  The receive path in nfq.c reads every
 * datagram through them, and the fuzz target feeds them arbitrary bytes, so
 * both run the same parser.
 */
#ifndef PEERGATE_NFQ_MSG_H
#define PEERGATE_NFQ_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "peergate/nfq.h"

enum pg_nfq_msg_kind {
	PG_NFQ_MSG_PACKET,          /* a packet message: pkt is filled in */
	PG_NFQ_MSG_PACKET_ID,       /* a packet message that does not parse
				       (malformed or cut short), but whose
				       packet id was found: pkt.id only */
	PG_NFQ_MSG_PACKET_NO_ID,    /* a packet message without a readable
				       id: no verdict is possible */
	PG_NFQ_MSG_ERROR,           /* NLMSG_ERROR: seq and error */
	PG_NFQ_MSG_OTHER,           /* anything else; ignored */
};

struct pg_nfq_msg {
	enum pg_nfq_msg_kind kind;
	struct pg_nfq_packet pkt;   /* points into the datagram */
	uint32_t seq;               /* ERROR: the sequence number it answers */
	int error;                  /* ERROR: 0 (an ACK) or a negative errno */
};

/* Walks the messages of one datagram of len bytes; trunc is the
 * MSG_TRUNC of the receive (then only the first message is looked at,
 * since the rest is missing).  The walk never reads outside buf. */
struct pg_nfq_rx {
	const uint8_t *next;
	size_t left;
	bool trunc;
};

void pg_nfq_rx_start(struct pg_nfq_rx *rx, const void *buf, size_t len,
		     bool trunc);
/* Fills *m with the next message; false at the end of the datagram. */
bool pg_nfq_rx_next(struct pg_nfq_rx *rx, struct pg_nfq_msg *m);

#endif
