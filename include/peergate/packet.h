/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Layer 3/4 parsing.  No allocation: a parsed packet points into the
 * buffer it was given, which must outlive it.
 */
#ifndef PEERGATE_PACKET_H
#define PEERGATE_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* TCP flag bits as they stand in byte 13 of the TCP header. */
enum {
	PG_TCP_FIN = 0x01,
	PG_TCP_SYN = 0x02,
	PG_TCP_RST = 0x04,
	PG_TCP_PSH = 0x08,
	PG_TCP_ACK = 0x10,
};

enum pg_parse_status {
	PG_PARSE_OK = 0,
	PG_PARSE_MALFORMED,   /* truncated or inconsistent headers */
	PG_PARSE_FRAGMENT,    /* a non-first fragment: no L4 header to read */
	PG_PARSE_OTHER_L4,    /* valid IP, but neither TCP nor UDP */
	PG_PARSE_NOT_IP,      /* the version nibble is neither 4 nor 6 */
	PG_PARSE_TOO_DEEP,    /* IPv6 with more extension headers than
			       * PG_IPV6_MAX_EXT_HEADERS: not inspected, and
			       * the caller applies its fail policy */
};

/* How many IPv6 extension headers the parser walks before it gives up.
 * RFC 8200 expects at most a handful (each type once, destination options
 * twice); 32 leaves room for anything legitimate, and a longer chain is
 * an evasion attempt that the fail policy settles (see pg_engine). */
#define PG_IPV6_MAX_EXT_HEADERS 32

struct pg_packet {
	uint8_t family;       /* 4 or 6 */
	uint8_t l4proto;      /* IPPROTO_TCP or IPPROTO_UDP */
	uint8_t tcp_flags;
	uint8_t src[16];      /* IPv4 addresses use the first 4 bytes, the
				 rest zero (the flow table relies on it) */
	uint8_t dst[16];
	uint16_t sport, dport;
	uint32_t tcp_seq;
	uint32_t tcp_ack;     /* valid with PG_TCP_ACK */
	const uint8_t *payload;
	size_t payload_len;
	size_t ip_len;        /* the whole IP packet as the headers state it */
};

/* Parses an IP packet starting at buf.  Trailing bytes beyond the IP total
 * length (Ethernet padding) are ignored. */
enum pg_parse_status pg_packet_parse(const uint8_t *buf, size_t len,
				     struct pg_packet *out);

/* Formats "addr:port" (IPv6 as "[addr]:port") into buf. */
void pg_format_endpoint(uint8_t family, const uint8_t *addr, uint16_t port,
			char *buf, size_t buflen);

/* Big-endian readers; callers check bounds first. */
static inline uint16_t pg_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t pg_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline uint16_t pg_le16(const uint8_t *p)
{
	return (uint16_t)(p[1] << 8 | p[0]);
}

static inline uint32_t pg_le32(const uint8_t *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[1] << 8 | p[0];
}

#endif
