/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QUIC client Initial inspection: IETF QUIC v1 (RFC 9000/9001), v2 (RFC
 * 9369) and draft-29..34, whose Initial protection uses keys anyone can
 * derive from the Destination Connection ID, and Google QUIC (Q0xx), whose
 * early versions send the CHLO in clear.  Pure function over one datagram.
 */
#ifndef PEERGATE_QUIC_H
#define PEERGATE_QUIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PG_QUIC_SNI_MAX 256

enum pg_quic_kind {
	PG_QUIC_NONE = 0,   /* not QUIC as far as one datagram can tell */
	PG_QUIC_LONG,       /* a long header of a known version, not (or not
			       decryptably) a client Initial */
	PG_QUIC_INITIAL,    /* a client Initial whose protection came off */
	PG_QUIC_GQUIC,      /* Google QUIC with a version tag */
};

struct pg_quic_info {
	uint32_t version;
	/* IETF Initial: the ClientHello continues in a later datagram and
	 * the SNI was not in this one. */
	bool hello_incomplete;
	/* gQUIC: a well-formed CHLO was found in clear. */
	bool chlo;
	/* The server name, copied out of the decrypted CRYPTO data (IETF)
	 * or found in the CHLO (gQUIC); NUL-terminated, "" when none. */
	char sni[PG_QUIC_SNI_MAX];
	size_t sni_len;
	/* gQUIC only: the same name inside the datagram itself. */
	const uint8_t *sni_in_dgram;
};

/* Looks at the first packet of a client datagram (and the Initial packets
 * coalesced after it).  Every length is checked; the work is bounded by
 * the datagram size. */
enum pg_quic_kind pg_quic_inspect(const uint8_t *dgram, size_t len,
				  struct pg_quic_info *info);

#endif
