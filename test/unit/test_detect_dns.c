/* SPDX-License-Identifier: GPL-2.0-or-later */
/* DNS detector: UDP and TCP on 53, mDNS, and DNS-shaped bytes elsewhere. */
#include <netinet/in.h>

#include "detect_harness.h"

static struct pg_run run;

static enum pg_detect_status go(uint8_t proto, uint16_t cport, uint16_t sport,
				const struct pg_step *s, size_t n)
{
	return pg_run_detector(&pg_detector_dns, proto, cport, sport, s, n, &run);
}

int main(void)
{
	/* negative/ndpi_dns.pcap: AAAA query on UDP 53 */
	const struct pg_step q[] = {{PG_DIR_C2S,
		"bc1f0100000100000000000003777777076578616d706c6503636f6d00001c0001", NULL}};
	CHECK(go(IPPROTO_UDP, 32795, 53, q, 1) == PG_DETECT_MATCH);
	CHECK(run.result.system == PG_SYS_DNS);
	CHECK(run.result.confidence == PG_CONF_STRONG);

	/* The same query on another port: a complete, host-name message is
	 * a weak hint only. */
	CHECK(go(IPPROTO_UDP, 32795, 40000, q, 1) == PG_DETECT_MATCH);
	CHECK(run.result.confidence == PG_CONF_WEAK);

	/* negative/arkime_dns-tcp.pcap stream 1: TCP query with length
	 * prefix, the prefix arriving alone first. */
	const struct pg_step t[] = {{PG_DIR_C2S, "0019", NULL},
				    {PG_DIR_C2S, "e2ec0100000100000000000003616f6c03636f6d0000010001", NULL}};
	CHECK(go(IPPROTO_TCP, 49343, 53, t, 2) == PG_DETECT_MATCH);
	CHECK(run.matched_at == 1);

	/* gnutella/ndpi_gnutella.pcap frame 21: mDNS announcement, no
	 * question, AAAA and A answers with the cache-flush class bit clear */
	const struct pg_step m[] = {{PG_DIR_C2S,
		"0000840000000002000000000b4d534544474557494e3130056c6f63616c00001c0001"
		"0000003c0010fe80000000000000c50d519f96a4e108c00c000100010000003c0004"
		"0a00020f", NULL}};
	CHECK(go(IPPROTO_UDP, 5353, 5353, m, 1) == PG_DETECT_MATCH);
	CHECK(run.result.confidence == PG_CONF_DECIDE);

	/* Near misses.  DNSCrypt on UDP/443
	 * (negative/ndpi_dnscrypt_skype_false_positive.pcapng) */
	const struct pg_step dc[] = {{PG_DIR_C2S,
		"d31b02042ac406f3497e6993424b0a16c06e75586651bb4a47b500e1d021af661e16c5", NULL}};
	CHECK(go(IPPROTO_UDP, 46858, 443, dc, 1) == PG_DETECT_NO);
	/* Trailing junk after a query off port 53 */
	const struct pg_step tj[] = {{PG_DIR_C2S,
		"bc1f0100000100000000000003777777076578616d706c6503636f6d00001c0001ff", NULL}};
	CHECK(go(IPPROTO_UDP, 1, 40000, tj, 1) == PG_DETECT_NO);
	/* Query carrying answers */
	const struct pg_step qa[] = {{PG_DIR_C2S,
		"bc1f0100000100010000000003777777076578616d706c6503636f6d00001c0001", NULL}};
	CHECK(go(IPPROTO_UDP, 1, 53, qa, 1) == PG_DETECT_NO);
	/* Z bit set */
	const struct pg_step z[] = {{PG_DIR_C2S,
		"bc1f0140000100000000000003777777076578616d706c6503636f6d00001c0001", NULL}};
	CHECK(go(IPPROTO_UDP, 1, 53, z, 1) == PG_DETECT_NO);
	/* HTTP on TCP: the "length" 0x4745 is far too long off port 53 */
	const struct pg_step h[] = {{PG_DIR_C2S, NULL, "GET / HTTP/1.1\r\n"}};
	CHECK(go(IPPROTO_TCP, 1, 80, h, 1) == PG_DETECT_NO);
	/* BitTorrent UDP tracker connect (16 bytes) */
	const struct pg_step bt[] = {{PG_DIR_C2S, "0000041727101980000000000000abcd", NULL}};
	CHECK(go(IPPROTO_UDP, 1, 6969, bt, 1) == PG_DETECT_NO);
	return pg_test_summary("test_detect_dns");
}
