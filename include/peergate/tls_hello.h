/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * TLS ClientHello parsing shared by the TLS detector (handshake bytes spread
 * over TLS records in a TCP stream) and the QUIC detector (handshake bytes
 * from decrypted CRYPTO frames).  Pure functions over bytes.
 */
#ifndef PEERGATE_TLS_HELLO_H
#define PEERGATE_TLS_HELLO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One contiguous piece of a handshake message, in order.  A ClientHello may
 * be cut into several TLS records (large post-quantum key shares, or on
 * purpose by DPI-evasion tools), so the parser reads across pieces. */
struct pg_tls_frag {
	const uint8_t *p;
	size_t len;
};

enum pg_hello_status {
	PG_HELLO_NOT = 0,  /* these bytes cannot be a ClientHello */
	PG_HELLO_PARTIAL,  /* consistent so far; more bytes are needed */
	PG_HELLO_DONE,     /* parsed up to the SNI, or to the end */
};

struct pg_hello_info {
	const uint8_t *sni;  /* into one of the fragments; NULL when absent */
	size_t sni_len;
	bool sni_split;      /* an SNI exists but straddles two fragments */
	bool complete;       /* the whole message was checked */
};

/* Parses a ClientHello handshake message (starting at the msg_type byte)
 * given as frags[0..nfrags).  Every length is checked against the message
 * and the bytes available.  Stops early, with PG_HELLO_DONE, once the
 * server_name extension has been read. */
enum pg_hello_status pg_tls_client_hello(const struct pg_tls_frag *frags,
					 size_t nfrags,
					 struct pg_hello_info *info);

/* Finds a well-formed server_name extension (type 0, nested lengths that
 * agree, host_name entry with host-name characters) anywhere in p[0..n).
 * For a piece of a ClientHello whose start is missing, e.g. the second
 * QUIC Initial packet of a split ClientHello. */
bool pg_tls_scan_sni(const uint8_t *p, size_t n, const uint8_t **sni,
		     size_t *sni_len);

#endif
