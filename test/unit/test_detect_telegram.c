/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Telegram detector.  UDP call relays: shared/corpus/telegram/
 * ndpi_telegram.pcap.  The corpus has no MTProto-over-TCP payload (the one
 * TCP flow to 149.154.167.91 in teams/ndpi_teams.pcap carries none), so the
 * TCP cases are built to core.telegram.org/mtproto/mtproto-transports: the
 * unencrypted req_pq message is the documentation's own example, and the
 * obfuscated2 init blocks were encrypted with `openssl enc -aes-256-ctr`
 * keyed from their bytes 8..39 / IV 40..55 as the transport prescribes.
 */
#include "detect_harness.h"

static const struct pg_detector *const tg = &pg_detector_telegram;

/* auth_key_id 0, message_id 0x51e57ac42770964a, length 20, req_pq, nonce */
#define REQ_PQ "00000000000000004a967027c47ae55114000000789746603e0549828cca27e966b301a48fece2fc"
/* Obfuscated2 init: the 56 clear bytes and 8 encrypted ones, inner tag
 * EF EF EF EF (abridged), DC 2. */
#define OBF_PLAIN "5f3c1a9be2d4477080c1e93a5b6d2f115f3c1a9be2d4477080c1e93a5b6d2f11" \
		  "5f3c1a9be2d4477080c1e93a5b6d2f115f3c1a9be2d44770"

/* The unencrypted transports (abridged, intermediate, padded, full) and
 * an encrypted abridged message. */
static void tcp_transports(void)
{
	struct pg_run r;
	const struct pg_step abridged[] = {C2S_HEX("ef0a" REQ_PQ)};
	check_class("abridged req_pq", tg, TCP, 40000, 443, abridged, 1,
		    PG_SYS_TELEGRAM, PG_FEAT_IM, PG_CONF_STRONG,
		    PG_CONF_CERTAIN, -1, &r);
	/* The marker alone waits for the packet. */
	const struct pg_step split[] = {C2S_HEX("ef"), C2S_HEX("0a" REQ_PQ)};
	pg_run_detector(tg, TCP, 40000, 443, split, 1, &r);
	CHECK(r.status == PG_DETECT_MAYBE);
	check_class("abridged split", tg, TCP, 40000, 443, split, 2,
		    PG_SYS_TELEGRAM, PG_FEAT_IM, PG_CONF_STRONG,
		    PG_CONF_CERTAIN, -1, &r);
	const struct pg_step inter[] = {C2S_HEX("eeeeeeee28000000" REQ_PQ)};
	check_class("intermediate", tg, TCP, 40000, 443, inter, 1,
		    PG_SYS_TELEGRAM, PG_FEAT_IM, PG_CONF_STRONG,
		    PG_CONF_CERTAIN, -1, &r);
	const struct pg_step padded[] = {C2S_HEX("dddddddd2d000000" REQ_PQ "a1b2c3d4e5")};
	check_class("padded intermediate", tg, TCP, 40000, 443, padded, 1,
		    PG_SYS_TELEGRAM, PG_FEAT_IM, PG_CONF_STRONG,
		    PG_CONF_CERTAIN, -1, &r);
	const struct pg_step full[] = {C2S_HEX("3400000000000000" REQ_PQ "aca5e60f")};
	check_class("full with crc", tg, TCP, 40000, 443, full, 1,
		    PG_SYS_TELEGRAM, PG_FEAT_IM, PG_CONF_CERTAIN,
		    PG_CONF_CERTAIN, -1, &r);
	/* Encrypted abridged message (existing key): framing only, WEAK. */
	const struct pg_step enc[] = {C2S_HEX(
		"ef0e" "1122334455667788" "00112233445566778899aabbccddeeff"
		"0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0")};
	check_class("abridged encrypted", tg, TCP, 40000, 443, enc, 1,
		    PG_SYS_TELEGRAM, PG_FEAT_IM, PG_CONF_WEAK, PG_CONF_CERTAIN,
		    -1, &r);
	CHECK(r.result.confidence < PG_CONF_DECIDE);
}

/* Obfuscated2 inits, each inner tag. */
static void tcp_obfuscated2(void)
{
	struct pg_run r;
	const struct pg_step obf[] = {C2S_HEX(OBF_PLAIN "63f14309318561bc")};
	check_class("obfuscated2 abridged", tg, TCP, 40000, 443, obf, 1,
		    PG_SYS_TELEGRAM, PG_FEAT_IM, PG_CONF_STRONG,
		    PG_CONF_CERTAIN, -1, &r);
	const struct pg_step obf_i[] = {C2S_HEX(OBF_PLAIN "62f04208318561bc")};
	check_class("obfuscated2 intermediate", tg, TCP, 40000, 443, obf_i, 1,
		    PG_SYS_TELEGRAM, PG_FEAT_IM, PG_CONF_STRONG,
		    PG_CONF_CERTAIN, -1, &r);
	/* The same init with the padded-intermediate tag DD DD DD DD inside
	 * (the keystream bytes 8c 1e ac e6 that the two above share). */
	const struct pg_step obf_p[] = {C2S_HEX(OBF_PLAIN "51c3713b318561bc")};
	check_class("obfuscated2 padded intermediate", tg, TCP, 40000, 443,
		    obf_p, 1, PG_SYS_TELEGRAM, PG_FEAT_IM, PG_CONF_STRONG,
		    PG_CONF_CERTAIN, -1, &r);
	/* An IV whose counter carries into the next byte. */
	const struct pg_step obf_c[] = {C2S_HEX(
		"5f3c1a9be2d4477080c1e93a5b6d2f115f3c1a9be2d4477080c1e93a5b6d2f11"
		"5f3c1a9be2d4477000112233445566778899aabbccddeefe4a9bf84f534f6010")};
	check_class("obfuscated2 counter carry", tg, TCP, 40000, 443, obf_c, 1,
		    PG_SYS_TELEGRAM, PG_FEAT_IM, PG_CONF_STRONG,
		    PG_CONF_CERTAIN, -1, &r);
}

static void tcp_near_misses(void)
{
	/* Near misses: an init whose inner tag decrypts to 11 22 33 44; a
	 * full-transport packet with a bad CRC; an intermediate length that
	 * does not match; an abridged unencrypted message with the wrong
	 * length field. */
	const struct pg_step obf_bad[] = {C2S_HEX(OBF_PLAIN "9d3c9fa2318561bc")};
	check_status("obfuscated2 bad tag", tg, TCP, 40000, 443, obf_bad, 1,
		     PG_DETECT_NO);
	const struct pg_step full_bad[] = {C2S_HEX("3400000000000000" REQ_PQ "aca5e60e")};
	/* (short of 64 bytes it could still become an obfuscated2 init) */
	check_no_match("full bad crc", tg, TCP, 40000, 443, full_bad, 1);
	const struct pg_step inter_bad[] = {C2S_HEX("eeeeeeee29000000" REQ_PQ "00")};
	check_no_match("intermediate length off", tg, TCP, 40000, 443,
		       inter_bad, 1);
	const struct pg_step abr_bad[] = {C2S_HEX(
		"ef0a00000000000000004a967027c47ae55115000000789746603e0549828cca27e966b301a48fece2fc")};
	check_status("abridged wrong msg length", tg, TCP, 40000, 443, abr_bad,
		     1, PG_DETECT_NO);
}

static void tcp_negatives(void)
{
	/* Negatives: TLS ClientHello (negative/arkime_tls13.pcap, first 80
	 * bytes), SSH banner, a server talking first. */
	const struct pg_step tls[] = {C2S_HEX(
		"1603010200010001fc03034355d402c132771a9386b6e9994ae37069e0621af504c266"
		"73b1343843c21d8d0000264a4a130113021303c02bc02fc02cc030cca9cca8cc14cc13"
		"c013c014009c009d002f0035")};
	check_status("tls", tg, TCP, 62510, 443, tls, 1, PG_DETECT_NO);
	const struct pg_step ssh[] = {C2S_TXT("SSH-2.0-OpenSSH_5.3\r\n")};
	check_status("ssh client", tg, TCP, 61672, 22, ssh, 1, PG_DETECT_NO);
	const struct pg_step smtp[] = {S2C_TXT("220 pigeon.eyrie.af.mil ESMTP\r\n")};
	check_status("server first", tg, TCP, 2127, 25, smtp, 1, PG_DETECT_NO);
}

static void test_tcp(void)
{
	tcp_transports();
	tcp_obfuscated2();
	tcp_near_misses();
	tcp_negatives();
}

static void test_udp(void)
{
	struct pg_run r;
	/* ndpi_telegram.pcap: request to the reflector 91.108.8.7:521 and
	 * its 72-byte answer. */
	const struct pg_step refl[] = {
		C2S_HEX("dc4c00291565b7acbc236da9eda0d597fffffffffffffffffffffffffeffffff"
			"28f946112601a2f0"),
		S2C_HEX("dc4c00291565b7acbc236da9eda0d597ffffffffffffffffffffffffc77215c0"
			"60dab25e28f946112601a2f000000000000000000000ffff570bcdc3"),
	};
	check_class("reflector request", tg, UDP, 23174, 521, refl, 1,
		    PG_SYS_TELEGRAM, PG_FEAT_VOICE_VIDEO, PG_CONF_STRONG,
		    PG_CONF_CERTAIN, -1, &r);
	const struct pg_step answer[] = {
		S2C_HEX("dc4c00291565b7acbc236da9eda0d597ffffffffffffffffffffffffc77215c0"
			"60dab25e28f946112601a2f000000000000000000000ffff570bcdc3"),
	};
	check_class("reflector answer", tg, UDP, 23174, 521, answer, 1,
		    PG_SYS_TELEGRAM, PG_FEAT_VOICE_VIDEO, PG_CONF_STRONG,
		    PG_CONF_CERTAIN, -1, &r);
	/* Later packets of the call (104 bytes, cut to 48): the peer tag in
	 * both directions is a weak sign. */
	const struct pg_step media[] = {
		C2S_HEX("dc4c00291565b7acbc236da9eda0d597295db319aa6e715c08ea3127d4ab4681"
			"201dc5c96795e99f711cfe26a7dbfd66"),
		S2C_HEX("dc4c00291565b7acbc236da9eda0d597592e46c3eb5bd2847e7cd8cd020b8522"
			"556709b8c9d1889d177c2ba7e5e09713"),
	};
	check_class("relay media", tg, UDP, 23174, 521, media, 2,
		    PG_SYS_TELEGRAM, PG_FEAT_VOICE_VIDEO, PG_CONF_WEAK,
		    PG_CONF_CERTAIN, -1, &r);
	CHECK(r.result.confidence < PG_CONF_DECIDE);

	/* Near misses: eleven 0xFF bytes; an all-0xFF tag. */
	const struct pg_step eleven[] = {C2S_HEX(
		"dc4c00291565b7acbc236da9eda0d597ffffffffffffffffffffff00feffffff"
		"28f946112601a2f0")};
	check_no_match("eleven ff", tg, UDP, 23174, 521, eleven, 1);
	const struct pg_step allff[] = {C2S_HEX(
		"ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
		"28f946112601a2f0")};
	check_no_match("all ff", tg, UDP, 23174, 521, allff, 1);
	/* negative/ndpi_dns.pcap */
	const struct pg_step dns[] = {C2S_HEX(
		"bc1f0100000100000000000003777777076578616d706c6503636f6d00001c0001")};
	check_no_match("dns", tg, UDP, 32795, 53, dns, 1);
}

int main(void)
{
	test_tcp();
	test_udp();
	return pg_test_summary("test_detect_telegram");
}
