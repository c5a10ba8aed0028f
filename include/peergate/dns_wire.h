/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * DNS wire-format helpers (RFC 1035 §4) shared by the answer parser
 * (src/core/dns.c) and the DNS detector.  Pure functions over bytes.
 */
#ifndef PEERGATE_DNS_WIRE_H
#define PEERGATE_DNS_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest dotted name plus its NUL. */
#define PG_DNS_NAME_MAX 256

/* Reads the (possibly compressed) name at msg[off].  Returns the offset just
 * past the name's bytes at off (a pointer counts as its two bytes), or 0
 * when the name is malformed: a label or pointer running past len, a
 * pointer that does not point backwards, too many pointers, a name longer
 * than 255 octets.  When out is not NULL the name is written there dotted,
 * lower-case and NUL-terminated ("" for the root); out_size must be at
 * least PG_DNS_NAME_MAX.  With hostname_chars, labels must consist of
 * letters, digits, '-' and '_'. */
size_t pg_dns_read_name(const uint8_t *msg, size_t len, size_t off,
			char *out, size_t out_size, bool hostname_chars);

enum {
	/* Labels must look like host names (a DNS message on a port that
	 * is not DNS's has to earn its match). */
	PG_DNS_CHECK_HOSTNAMES = 1u << 0,
	/* The message may be cut short at len (TCP, still arriving):
	 * everything present must parse, records may be missing. */
	PG_DNS_CHECK_PARTIAL = 1u << 1,
	/* mDNS / LLMNR rules: no question needed in announcements; the top
	 * bit of the class is the cache-flush / unicast-response flag. */
	PG_DNS_CHECK_MDNS = 1u << 2,
};

/* Checks that msg[0..len) is one well-formed DNS message: header fields
 * that real resolvers and servers use, every question and record parses,
 * and (unless PG_DNS_CHECK_PARTIAL) the records end exactly at len.  Sets
 * *is_response from the QR bit. */
bool pg_dns_message_ok(const uint8_t *msg, size_t len, unsigned flags,
		       bool *is_response);

#endif
