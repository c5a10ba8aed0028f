/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "peergate/packet.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

/* IPv6 extension headers we walk over to reach the transport header. */
static bool ipv6_is_extension(uint8_t next)
{
	switch (next) {
	case 0:   /* hop-by-hop */
	case 43:  /* routing */
	case 44:  /* fragment */
	case 60:  /* destination options */
	case 51:  /* authentication header */
	case 135: /* mobility */
		return true;
	default:
		return false;
	}
}

static enum pg_parse_status parse_l4(const uint8_t *l4, size_t len,
				     uint8_t proto, struct pg_packet *out)
{
	out->l4proto = proto;
	if (proto == IPPROTO_TCP) {
		if (len < 20)
			return PG_PARSE_MALFORMED;
		size_t hlen = (size_t)(l4[12] >> 4) * 4;
		if (hlen < 20 || hlen > len)
			return PG_PARSE_MALFORMED;
		out->sport = pg_be16(l4);
		out->dport = pg_be16(l4 + 2);
		out->tcp_seq = pg_be32(l4 + 4);
		out->tcp_ack = pg_be32(l4 + 8);
		out->tcp_flags = l4[13];
		out->payload = l4 + hlen;
		out->payload_len = len - hlen;
		return PG_PARSE_OK;
	}
	if (proto == IPPROTO_UDP) {
		if (len < 8)
			return PG_PARSE_MALFORMED;
		size_t ulen = pg_be16(l4 + 4);
		/* A UDP length of 0 is legal for IPv6 jumbograms only; a length
		 * beyond the IP payload means truncation. */
		if (ulen < 8 || ulen > len)
			return PG_PARSE_MALFORMED;
		out->sport = pg_be16(l4);
		out->dport = pg_be16(l4 + 2);
		out->payload = l4 + 8;
		out->payload_len = ulen - 8;
		return PG_PARSE_OK;
	}
	return PG_PARSE_OTHER_L4;
}

static enum pg_parse_status parse_ipv4(const uint8_t *buf, size_t len,
				       struct pg_packet *out)
{
	if (len < 20)
		return PG_PARSE_MALFORMED;
	size_t ihl = (size_t)(buf[0] & 0x0f) * 4;
	size_t total = pg_be16(buf + 2);
	if (ihl < 20 || total < ihl || total > len)
		return PG_PARSE_MALFORMED;
	out->family = 4;
	out->ip_len = total;
	memcpy(out->src, buf + 12, 4);
	memcpy(out->dst, buf + 16, 4);
	uint16_t frag = pg_be16(buf + 6);
	if (frag & 0x1fff)
		return PG_PARSE_FRAGMENT;
	/* A first fragment (MF set, offset 0) still carries the L4 header; the
	 * payload is only the part in this fragment. */
	return parse_l4(buf + ihl, total - ihl, buf[9], out);
}

static enum pg_parse_status parse_ipv6(const uint8_t *buf, size_t len,
				       struct pg_packet *out)
{
	if (len < 40)
		return PG_PARSE_MALFORMED;
	size_t plen = pg_be16(buf + 4);
	if (40 + plen > len)
		return PG_PARSE_MALFORMED;
	out->family = 6;
	out->ip_len = 40 + plen;
	memcpy(out->src, buf + 8, 16);
	memcpy(out->dst, buf + 24, 16);

	uint8_t next = buf[6];
	size_t off = 40, end = 40 + plen;
	/* Bounded walk; see PG_IPV6_MAX_EXT_HEADERS. */
	for (int hops = 0; ipv6_is_extension(next); hops++) {
		if (hops >= PG_IPV6_MAX_EXT_HEADERS)
			return PG_PARSE_TOO_DEEP;
		if (off + 8 > end)
			return PG_PARSE_MALFORMED;
		const uint8_t *h = buf + off;
		size_t hlen;
		if (next == 44) {
			hlen = 8;
			if (pg_be16(h + 2) & 0xfff8)
				return PG_PARSE_FRAGMENT;
		} else if (next == 51) {
			hlen = ((size_t)h[1] + 2) * 4;
		} else {
			hlen = ((size_t)h[1] + 1) * 8;
		}
		if (off + hlen > end)
			return PG_PARSE_MALFORMED;
		next = h[0];
		off += hlen;
	}
	return parse_l4(buf + off, end - off, next, out);
}

enum pg_parse_status pg_packet_parse(const uint8_t *buf, size_t len,
				     struct pg_packet *out)
{
	memset(out, 0, sizeof(*out));
	if (len < 1)
		return PG_PARSE_MALFORMED;
	switch (buf[0] >> 4) {
	case 4:
		return parse_ipv4(buf, len, out);
	case 6:
		return parse_ipv6(buf, len, out);
	default:
		return PG_PARSE_NOT_IP;
	}
}

void pg_format_endpoint(uint8_t family, const uint8_t *addr, uint16_t port,
			char *buf, size_t buflen)
{
	char a[INET6_ADDRSTRLEN] = "?";

	if (family == 6) {
		inet_ntop(AF_INET6, addr, a, sizeof(a));
		snprintf(buf, buflen, "[%s]:%u", a, port);
	} else {
		inet_ntop(AF_INET, addr, a, sizeof(a));
		snprintf(buf, buflen, "%s:%u", a, port);
	}
}
