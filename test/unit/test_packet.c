/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "check.h"
#include "peergate/linklayer.h"
#include "peergate/packet.h"

#include <netinet/in.h>

/* IPv4/TCP SYN+payload "hi", 10.0.0.1:1234 -> 10.0.0.2:5190 */
static const char *v4_tcp =
	"45 00 00 2a 00 01 00 00 40 06 00 00 0a 00 00 01 0a 00 00 02"
	"04 d2 14 46 00 00 00 64 00 00 00 00 50 18 20 00 00 00 00 00"
	"68 69";

static void test_ipv4_tcp(void)
{
	uint8_t b[128];
	struct pg_packet p;
	size_t n = pg_hex(v4_tcp, b, sizeof(b));
	CHECK(pg_packet_parse(b, n, &p) == PG_PARSE_OK);
	CHECK(p.family == 4 && p.l4proto == IPPROTO_TCP);
	CHECK(p.sport == 1234 && p.dport == 5190);
	CHECK(p.tcp_seq == 100);
	CHECK(p.payload_len == 2 && p.payload[0] == 'h');
	CHECK(p.tcp_flags == (PG_TCP_PSH | PG_TCP_ACK));

	/* Ethernet padding beyond the IP total length is not payload */
	uint8_t padded[128];
	memcpy(padded, b, n);
	memset(padded + n, 0xee, 10);
	CHECK(pg_packet_parse(padded, n + 10, &p) == PG_PARSE_OK && p.payload_len == 2);

	/* every truncation is reported, never read past */
	for (size_t cut = 0; cut < n; cut++)
		CHECK(pg_packet_parse(b, cut, &p) == PG_PARSE_MALFORMED);

	/* a data offset beyond the segment */
	uint8_t bad[128];
	memcpy(bad, b, n);
	bad[32] = 0xf0;
	CHECK(pg_packet_parse(bad, n, &p) == PG_PARSE_MALFORMED);
	/* IHL below 5 */
	memcpy(bad, b, n);
	bad[0] = 0x44;
	CHECK(pg_packet_parse(bad, n, &p) == PG_PARSE_MALFORMED);
}

static void test_ipv4_fragments(void)
{
	uint8_t b[128];
	struct pg_packet p;
	size_t n = pg_hex(v4_tcp, b, sizeof(b));
	b[6] = 0x00; /* offset 8 bytes: a non-first fragment */
	b[7] = 0x01;
	CHECK(pg_packet_parse(b, n, &p) == PG_PARSE_FRAGMENT);
	b[6] = 0x20; /* MF set, offset 0: first fragment, still parsed */
	b[7] = 0x00;
	CHECK(pg_packet_parse(b, n, &p) == PG_PARSE_OK);
}

/* IPv6 with hop-by-hop and destination-options headers, then UDP 53 */
static const char *v6_udp_ext =
	"60 00 00 00 00 1c 00 40"
	"20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01"
	"20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 02"
	"3c 00 01 04 00 00 00 00"      /* hop-by-hop -> dstopts, 8 bytes */
	"11 00 01 04 00 00 00 00"      /* dstopts -> UDP, 8 bytes */
	"c0 01 00 35 00 0c 00 00 ab cd ef 01";

static void test_ipv6_ext(void)
{
	uint8_t b[128];
	struct pg_packet p;
	size_t n = pg_hex(v6_udp_ext, b, sizeof(b));
	CHECK(pg_packet_parse(b, n, &p) == PG_PARSE_OK);
	CHECK(p.family == 6 && p.l4proto == IPPROTO_UDP);
	CHECK(p.sport == 0xc001 && p.dport == 53);
	CHECK(p.payload_len == 4 && p.payload[0] == 0xab);
	char ep[64];
	pg_format_endpoint(6, p.src, p.sport, ep, sizeof(ep));
	CHECK_STR(ep, "[2001:db8::1]:49153");
	for (size_t cut = 0; cut < n; cut++)
		CHECK(pg_packet_parse(b, cut, &p) == PG_PARSE_MALFORMED);
}

/* IPv6 with N destination-options headers (8 bytes each), then UDP 53
 * with 4 payload bytes. */
static size_t v6_dstopts_chain(uint8_t *b, size_t room, unsigned n)
{
	size_t len = 40 + 8 * (size_t)n + 12;
	if (len > room)
		return 0;
	memset(b, 0, len);
	b[0] = 0x60;
	b[4] = (uint8_t)((len - 40) >> 8);
	b[5] = (uint8_t)(len - 40);
	b[6] = n ? 60 : 17;
	b[7] = 64;
	for (unsigned i = 0; i < n; i++) {
		uint8_t *h = b + 40 + 8 * i;
		h[0] = i + 1 < n ? 60 : 17;
		h[2] = 1;  /* PadN, 4 bytes */
		h[3] = 4;
	}
	uint8_t *u = b + 40 + 8 * (size_t)n;
	u[0] = 0xc0; u[1] = 0x01; u[3] = 53; u[5] = 12;
	u[8] = 0xab;
	return len;
}

/* Chains up to the documented limit are walked; a longer one is reported
 * as such (the gateway applies its fail policy), never as malformed. */
static void test_ipv6_long_chains(void)
{
	uint8_t b[40 + 8 * 64 + 12];
	struct pg_packet p;
	size_t n;

	for (unsigned hdrs = 0; hdrs <= PG_IPV6_MAX_EXT_HEADERS; hdrs++) {
		n = v6_dstopts_chain(b, sizeof(b), hdrs);
		CHECK(pg_packet_parse(b, n, &p) == PG_PARSE_OK && p.dport == 53 &&
		      p.payload_len == 4 && p.payload[0] == 0xab);
	}
	n = v6_dstopts_chain(b, sizeof(b), PG_IPV6_MAX_EXT_HEADERS + 1);
	CHECK(pg_packet_parse(b, n, &p) == PG_PARSE_TOO_DEEP);
	n = v6_dstopts_chain(b, sizeof(b), 64);
	CHECK(pg_packet_parse(b, n, &p) == PG_PARSE_TOO_DEEP);
	/* a truncated chain is still malformed */
	n = v6_dstopts_chain(b, sizeof(b), 12);
	CHECK(pg_packet_parse(b, 40 + 8 * 6 + 4, &p) == PG_PARSE_MALFORMED);
}

static void test_ipv6_fragment(void)
{
	uint8_t b[128];
	struct pg_packet p;
	size_t n = pg_hex("60 00 00 00 00 10 2c 40"
			  "20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01"
			  "20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 02"
			  "11 00 00 08 00 00 00 01" /* fragment hdr, offset 1 */
			  "00 00 00 00 00 00 00 00", b, sizeof(b));
	CHECK(pg_packet_parse(b, n, &p) == PG_PARSE_FRAGMENT);
}

static void test_other(void)
{
	uint8_t b[64] = {0x45, 0, 0, 20, 0, 0, 0, 0, 64, 1 /* ICMP */};
	struct pg_packet p;
	CHECK(pg_packet_parse(b, 20, &p) == PG_PARSE_OTHER_L4);
	b[0] = 0x25;
	CHECK(pg_packet_parse(b, 20, &p) == PG_PARSE_NOT_IP);
	CHECK(pg_packet_parse(b, 0, &p) == PG_PARSE_MALFORMED);
	/* UDP length beyond the datagram */
	uint8_t u[64];
	size_t n = pg_hex("45 00 00 1e 00 00 00 00 40 11 00 00 01 02 03 04 05 06 07 08"
			  "00 35 00 35 00 20 00 00 aa bb", u, sizeof(u));
	CHECK(pg_packet_parse(u, n, &p) == PG_PARSE_MALFORMED);
}

static void test_linklayer(void)
{
	uint8_t f[128], ipb[128];
	const uint8_t *ip;
	size_t ip_len, n = pg_hex(v4_tcp, ipb, sizeof(ipb));

	/* Ethernet + 802.1Q */
	memset(f, 0, 12);
	f[12] = 0x81; f[13] = 0x00; f[14] = 0; f[15] = 5; f[16] = 0x08; f[17] = 0x00;
	memcpy(f + 18, ipb, n);
	CHECK(pg_link_to_ip(PG_DLT_EN10MB, f, 18 + n, &ip, &ip_len) && ip == f + 18 && ip_len == n);
	/* PPPoE session carrying IPv4 */
	f[12] = 0x88; f[13] = 0x64;
	uint8_t pppoe[8] = {0x11, 0, 0, 1, 0, 0, 0x00, 0x21};
	memcpy(f + 14, pppoe, 8);
	memcpy(f + 22, ipb, n);
	CHECK(pg_link_to_ip(PG_DLT_EN10MB, f, 22 + n, &ip, &ip_len) && ip == f + 22);
	/* ARP is not IP */
	f[12] = 0x08; f[13] = 0x06;
	CHECK(!pg_link_to_ip(PG_DLT_EN10MB, f, 60, &ip, &ip_len));
	/* Linux cooked v1: protocol at 14 */
	memset(f, 0, 16);
	f[14] = 0x86; f[15] = 0xdd;
	f[16] = 0x60;
	CHECK(pg_link_to_ip(PG_DLT_LINUX_SLL, f, 60, &ip, &ip_len) && ip == f + 16);
	/* BSD loopback: family word in host order, then IP */
	uint8_t lo[64] = {2, 0, 0, 0, 0x45};
	CHECK(pg_link_to_ip(PG_DLT_NULL, lo, 40, &ip, &ip_len) && ip == lo + 4);
	CHECK(!pg_link_to_ip(PG_DLT_EN10MB, f, 10, &ip, &ip_len));
	CHECK(!pg_dlt_supported(105));
}

int main(void)
{
	test_ipv4_tcp();
	test_ipv4_fragments();
	test_ipv6_ext();
	test_ipv6_long_chains();
	test_ipv6_fragment();
	test_other();
	test_linklayer();
	return pg_test_summary("test_packet");
}
