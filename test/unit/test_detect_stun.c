/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * STUN detector and its attribution: WhatsApp calls
 * (whatsapp/ndpi_whatsapp_voice_and_message.pcap), Teams
 * (teams/ndpi_teams.pcap), Skype (skype/ndpi_skype-conference-call.pcap),
 * REALM-based attribution, plain STUN, near misses and negative bytes.
 */
#include "detect_harness.h"

static const struct pg_detector *const st = &pg_detector_stun;

/* ndpi_whatsapp_voice_and_message.pcap frame 26: Allocate with attribute
 * 0x4000 (unpadded, body length 0x6a). */
#define WA_ALLOCATE \
	"0003006a2112a4420000d160e0ec785eac996a6c400000660100b2f3a431734fd3adf65555" \
	"afde4c4643a213e87912e8459735685561ac67357fc456daf3234f93fcac0b22c19fa9f4d9" \
	"685c8b484f4c4f06ca62c415a187cdeb3a8ebbdc5a977ca86c9aa09b81c632b045f14b51b4" \
	"0509664cd6b0dc4cca87bc0545adcd"

static void test_apps(void)
{
	struct pg_run r;
	const struct pg_step wa[] = {C2S_HEX(WA_ALLOCATE)};
	check_class("whatsapp allocate", st, UDP, 53620, 3478, wa, 1,
		    PG_SYS_WHATSAPP, PG_FEAT_VOICE_VIDEO, PG_CONF_STRONG,
		    PG_CONF_CERTAIN, -1, &r);
	/* Frame 27: the relay's answer with 0x4002. */
	const struct pg_step wa_resp[] = {S2C_HEX(
		"010300182112a4420000d160e0ec785eac996a6c002000080001f3939eb0cf1e40020008"
		"0000014d9ac2cebb")};
	check_class("whatsapp answer", st, UDP, 53620, 3478, wa_resp, 1,
		    PG_SYS_WHATSAPP, PG_FEAT_VOICE_VIDEO, PG_CONF_STRONG,
		    PG_CONF_CERTAIN, -1, &r);
	/* Frame 88: WhatsApp's own message type 0x0800. */
	char wa800[sizeof(WA_ALLOCATE)];
	memcpy(wa800, WA_ALLOCATE, sizeof(WA_ALLOCATE));
	memcpy(wa800, "0800", 4);
	const struct pg_step wa8[] = {C2S_HEX(wa800)};
	check_class("whatsapp type 0x0800", st, UDP, 53620, 3478, wa8, 1,
		    PG_SYS_WHATSAPP, PG_FEAT_VOICE_VIDEO, PG_CONF_STRONG,
		    PG_CONF_CERTAIN, -1, &r);

	/* ndpi_teams.pcap frame 1238: Allocate with the MS-TURN cookie
	 * attribute, 0x8037, 0x8055. */
	const struct pg_step teams[] = {C2S_HEX(
		"000300302112a442b2343f6e67f41d58acba639f000f000472c64bc680370004000000"
		"02800800040000000680060004000000010010000400002ee08055000400020002")};
	check_class("teams allocate", st, UDP, 50016, 3478, teams, 1,
		    PG_SYS_TEAMS, PG_FEAT_VOICE_VIDEO, PG_CONF_STRONG,
		    PG_CONF_CERTAIN, -1, &r);

	/* ndpi_teams.pcap frame 1250: MS-TURN Allocate with REALM, NONCE and
	 * USERNAME left unpadded (body length 0xc2). */
	const struct pg_step teams_unpadded[] = {C2S_HEX(
		"000300c22112a442222fefc7f3924bd1b99727e4000f000472c64bc680370004000000"
		"02800800040000000680060004000000010010000400002ee08055000400020002809500"
		"087f20c4dd4f848dfa00140014024ecbf8827a60d65306debfa77d87d14402dd5d001500"
		"0a227274636d6564696122000600380200002490a0dbdb01d6194de21537bfc992a00332"
		"731af1bedc569ae83bd5ab00000000bf71b276c97813a8ddefeb5cbc793a277a4ce63c00"
		"0800207e44e6521f4710a5540f6290a67d69f95fa8f2f071c7a858a17775c39fdb730d")};
	check_class("teams unpadded allocate", st, UDP, 50016, 3478,
		    teams_unpadded, 1, PG_SYS_TEAMS, PG_FEAT_VOICE_VIDEO,
		    PG_CONF_STRONG, PG_CONF_CERTAIN, -1, &r);

	/* ndpi_skype-conference-call.pcap frame 1: ICE binding with the
	 * MS-ICE2 attributes 0x8054 and 0x8070. */
	const struct pg_step skype[] = {C2S_HEX(
		"000100542112a442c55a4fdfde0c325e304c60c700060009677070653a7a57796b0000"
		"00002400046efffeff802a00080000000000bf43178054000131000000807000040000"
		"000300080014c3926666385c09a134e40a0c6c2ef3061a8b62ab802800041fb59b6b")};
	check_class("skype binding", st, UDP, 49282, 60642, skype, 1,
		    PG_SYS_SKYPE, PG_FEAT_VOICE_VIDEO, PG_CONF_STRONG,
		    PG_CONF_CERTAIN, -1, &r);

	/* A plain binding request waits for its answer; here the TURN 401
	 * answer carries REALM "signal.org" (RFC 8656 layout). */
	const struct pg_step signal[] = {
		C2S_HEX("000100002112a442b7e7a701bc34d686fa87dfae"),
		S2C_HEX("011300102112a442b7e7a701bc34d686fa87dfae"
			"0014000a7369676e616c2e6f72670000"),
	};
	pg_run_detector(st, UDP, 40000, 3478, signal, 1, &r);
	CHECK(r.status == PG_DETECT_MAYBE);
	check_class("signal realm", st, UDP, 40000, 3478, signal, 2,
		    PG_SYS_SIGNAL, PG_FEAT_VOICE_VIDEO, PG_CONF_STRONG,
		    PG_CONF_CERTAIN, -1, &r);
	CHECK(r.matched_at == 1);
	const struct pg_step tgr[] = {C2S_HEX(
		"000300102112a442b7e7a701bc34d686fa87dfae"
		"0014000c74656c656772616d2e6f7267")};
	check_class("telegram realm", st, UDP, 40000, 3478, tgr, 1,
		    PG_SYS_TELEGRAM, PG_FEAT_VOICE_VIDEO, PG_CONF_STRONG,
		    PG_CONF_CERTAIN, -1, &r);
}

static void test_plain(void)
{
	struct pg_run r;
	/* The layout of the RFC 5769 2.1/2.2 samples (SOFTWARE, PRIORITY,
	 * ICE-CONTROLLED, USERNAME, MESSAGE-INTEGRITY, FINGERPRINT; then
	 * SOFTWARE, XOR-MAPPED-ADDRESS, MESSAGE-INTEGRITY, FINGERPRINT):
	 * ordinary STUN once the answer is in, and media after the checks
	 * does not change that. */
	const struct pg_step rfc5769[] = {
		C2S_HEX("000100582112a442b7e7a701bc34d686fa87dfae802200105354554e207465737420"
			"636c69656e74002400046e0001ff80290008932ff9b151263b36000600096576746a"
			"3a68367659202020000800149aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a28028"
			"0004e57a3bcf"),
		S2C_HEX("0101003c2112a442b7e7a701bc34d686fa87dfae8022000b7465737420766563746f"
			"7220002000080001a147e112a643000800142b91f599fd9e90c38c7489f92af9ba53"
			"f06be7d780280004c07d4c96"),
		C2S_HEX("80e0a1b2c3d4e5f60102030405060708"),
	};
	pg_run_detector(st, UDP, 40000, 3478, rfc5769, 1, &r);
	CHECK(r.status == PG_DETECT_MAYBE);
	check_class("rfc5769 exchange", st, UDP, 40000, 3478, rfc5769, 3,
		    PG_SYS_STUN, PG_FEAT_ANY, PG_CONF_WEAK, PG_CONF_CERTAIN, -1,
		    &r);
	CHECK(r.matched_at == 1 && r.result.confidence < PG_CONF_DECIDE);
	/* A request repeated without an answer is plain STUN too. */
	const struct pg_step unanswered[] = {
		C2S_HEX("000100002112a442b7e7a701bc34d686fa87dfae"),
		C2S_HEX("000100002112a442b7e7a701bc34d686fa87dfae"),
		C2S_HEX("000100002112a442b7e7a701bc34d686fa87dfae"),
	};
	check_class("unanswered requests", st, UDP, 40000, 3478, unanswered, 3,
		    PG_SYS_STUN, PG_FEAT_ANY, PG_CONF_WEAK, PG_CONF_CERTAIN, -1,
		    &r);
	CHECK(r.matched_at == 2);
	/* TCP: TURN over TCP, the Teams allocate as the first bytes. */
	const struct pg_step tcp[] = {C2S_HEX(
		"000300302112a442b2343f6e67f41d58acba639f000f000472c64bc680370004000000"
		"02800800040000000680060004000000010010000400002ee08055000400020002")};
	check_class("teams over tcp", st, TCP, 50016, 443, tcp, 1, PG_SYS_TEAMS,
		    PG_FEAT_VOICE_VIDEO, PG_CONF_STRONG, PG_CONF_CERTAIN, -1,
		    &r);
	/* Classic RFC 3489 binding request with CHANGE-REQUEST, and the
	 * answer with MAPPED-ADDRESS (no cookie). */
	const struct pg_step classic[] = {
		C2S_HEX("000100080123456789abcdef0123456789abcdef0003000400000000"),
		S2C_HEX("0101000c0123456789abcdef0123456789abcdef000100080001a147c0000201"),
	};
	check_class("classic binding", st, UDP, 40000, 3478, classic, 2,
		    PG_SYS_STUN, PG_FEAT_ANY, 1, PG_CONF_CERTAIN, -1, &r);
}

static void test_near_misses(void)
{
	/* Body length one word too long for the datagram. */
	const struct pg_step badlen[] = {C2S_HEX(
		"0001005c2112a442b7e7a701bc34d686fa87dfae802200105354554e207465737420"
		"636c69656e74002400046e0001ff80290008932ff9b151263b36000600096576746a"
		"3a68367659202020000800149aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a28028"
		"0004e57a3bcf")};
	check_status("stun bad length", st, UDP, 40000, 3478, badlen, 1,
		     PG_DETECT_NO);
	/* An attribute running past the body. */
	const struct pg_step overrun[] = {C2S_HEX(
		"000100082112a442b7e7a701bc34d686fa87dfae0024000c6e0001ff")};
	check_status("attribute overrun", st, UDP, 40000, 3478, overrun, 1,
		     PG_DETECT_NO);
	/* Top bits set (RTP/DTLS territory). */
	const struct pg_step top[] = {C2S_HEX(
		"800100002112a442b7e7a701bc34d686fa87dfae")};
	check_status("top bits", st, UDP, 40000, 3478, top, 1, PG_DETECT_NO);
	/* No cookie and an odd type: not classic STUN. */
	const struct pg_step nocookie[] = {C2S_HEX(
		"0003000801234567890abcdef0123456789abcde0003000400000000")};
	check_status("no cookie, allocate", st, UDP, 40000, 3478, nocookie, 1,
		     PG_DETECT_NO);
	/* negative/ndpi_dns.pcap, negative/ndpi_quic.pcap (first 80 bytes) */
	const struct pg_step dns[] = {C2S_HEX(
		"bc1f0100000100000000000003777777076578616d706c6503636f6d00001c0001")};
	check_status("dns", st, UDP, 32795, 53, dns, 1, PG_DETECT_NO);
	const struct pg_step dnsr[] = {S2C_HEX(
		"dca28180000100000000000003777777016c06676f6f676c6503636f6d00001c0001")};
	check_status("dns response", st, UDP, 32795, 53, dnsr, 1, PG_DETECT_NO);
	const struct pg_step quic[] = {C2S_HEX(
		"0db2de5df14f5545eb51303234013b6e8986f83cf3b7a6ab5d0501a001000443484c4f"
		"180000005041440087010000534e49009601000053544b00d001000056455200d40100"
		"0043435300e40100004e")};
	check_status("gquic", st, UDP, 57833, 443, quic, 1, PG_DETECT_NO);
	const struct pg_step tls[] = {C2S_HEX("1603010200010001fc03034355d402c1")};
	check_status("tls", st, TCP, 62510, 443, tls, 1, PG_DETECT_NO);
}

int main(void)
{
	test_apps();
	test_plain();
	test_near_misses();
	return pg_test_summary("test_detect_stun");
}
