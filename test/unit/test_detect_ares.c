/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Ares detector: supernode prelogins from shared/corpus (two Ares clients
 * beside the labelled traffic: manolito/ws_Manolito2.cap and
 * fasttrack/ws_SkypeIRC.cap), a chat-room login built to the cb0t/sb0t
 * notes, and near misses.
 */
#include "detect_harness.h"

static const struct pg_detector *const ares = &pg_detector_ares;

/* ws_Manolito2.cap, 81.131.67.131:1864 -> 67.82.5.227:32398: the prelogin
 * and the supernode's 21-byte PRELOGIN_OK (type 51). */
#define ARES_PRELOGIN "03005a040305"
#define ARES_OK "1500331e106d2511721b666f77a95b0e07e05f81d4d835e1"
/* ws_SkypeIRC.cap, 192.168.1.2:1630 -> 69.205.247.140:9908: the prelogin
 * as the Ares sources write it, answered by type 60 (the first 19 of 138
 * bytes). */
#define ARES_PRELOGIN_2 "03005a060605"
#define ARES_NOCRYPT "87003c6a515edc162241820aabfcf9ccafa9b9"

/* A chat login (type 2): GUID, 0x0102 files, a byte, data port 5555,
 * supernode 192.0.2.9:3306, four bytes, "alice", "Ares 2.1.7", local
 * 10.0.0.2, external 192.0.2.1, five status bytes. */
#define ARES_CHAT_LOGIN                                                      \
	"3d0002" "00112233445566778899aabbccddeeff" "0201" "00" "b315"          \
	"c0000209" "ea0c" "00000000" "616c69636500" "4172657320322e312e3700"  \
	"0a000002" "c0000201" "0100050000"
/* The room's answer: type 3, "alice", "lobby". */
#define ARES_CHAT_ACK "0c0003616c69636500" "6c6f62627900"

static void test_prelogin(void)
{
	struct pg_run r;

	const struct pg_step ok[] = {C2S_HEX(ARES_PRELOGIN), S2C_HEX(ARES_OK)};
	pg_run_detector(ares, TCP, 1864, 32398, ok, 1, &r);
	CHECK(r.status == PG_DETECT_MATCH && r.result.confidence == PG_CONF_WEAK);
	pg_run_all(ares, TCP, 1864, 32398, ok, 2, &r);
	CHECK(r.result.system == PG_SYS_ARES &&
	      r.result.feature == PG_FEAT_NETWORK &&
	      r.result.confidence == PG_CONF_STRONG && r.matched_at == 1);
	const struct pg_step nocrypt[] = {C2S_HEX(ARES_PRELOGIN_2),
					  S2C_HEX(ARES_NOCRYPT)};
	pg_run_all(ares, TCP, 1630, 9908, nocrypt, 2, &r);
	CHECK(r.result.system == PG_SYS_ARES && r.result.confidence == PG_CONF_STRONG);

	/* Near misses: an answer of another type; a seventh byte before the
	 * answer; the marker byte changed; cut short. */
	const struct pg_step other_answer[] = {C2S_HEX(ARES_PRELOGIN),
					       S2C_HEX("150032" "1e106d2511721b")};
	pg_run_all(ares, TCP, 1864, 32398, other_answer, 2, &r);
	CHECK(r.status == PG_DETECT_NO && r.result.confidence == PG_CONF_WEAK);
	const struct pg_step seven[] = {C2S_HEX(ARES_PRELOGIN "00")};
	EXPECT_NO("seven bytes", ares, TCP, 1864, 32398, seven);
	const struct pg_step marker[] = {C2S_HEX("03005a040306")};
	EXPECT_NO("marker", ares, TCP, 1864, 32398, marker);
	const struct pg_step cut[] = {C2S_HEX("03005a04")};
	EXPECT_STATUS("cut", ares, TCP, 1864, 32398, cut, PG_DETECT_MAYBE);
}

static void test_chat(void)
{
	struct pg_run r;

	const struct pg_step login[] = {C2S_HEX(ARES_CHAT_LOGIN),
					S2C_HEX(ARES_CHAT_ACK)};
	pg_run_detector(ares, TCP, 50000, 54321, login, 1, &r);
	CHECK(r.status == PG_DETECT_MATCH && r.result.feature == PG_FEAT_CHAT &&
	      r.result.confidence == PG_CONF_WEAK);
	pg_run_all(ares, TCP, 50000, 54321, login, 2, &r);
	CHECK(r.result.system == PG_SYS_ARES && r.result.feature == PG_FEAT_CHAT &&
	      r.result.confidence == PG_CONF_STRONG);

	/* The user name not terminated where the version should start: a
	 * control byte inside it. */
	char bad[] = ARES_CHAT_LOGIN;
	char *name = strstr(bad, "616c696365");
	CHECK(name != NULL);
	if (name)
		memcpy(name, "01", 2);
	const struct pg_step bad_name[] = {C2S_HEX(bad)};
	EXPECT_NO("control byte in name", ares, TCP, 50000, 54321, bad_name);
	/* TLS 1.0 records open 16 03 01: a 790-byte type-1 message, longer
	 * than any chat login. */
	const struct pg_step tls[] = {C2S_HEX("16030100cf010000cb0303")};
	EXPECT_NO("tls", ares, TCP, 50000, 443, tls);
	const struct pg_step get[] = {C2S_TXT("GET / HTTP/1.1\r\nHost: a\r\n\r\n")};
	EXPECT_NO("http", ares, TCP, 50000, 80, get);
	const struct pg_step banner[] = {S2C_TXT("SSH-2.0-OpenSSH_9.2\r\n")};
	EXPECT_NO("server first", ares, TCP, 50000, 22, banner);
}

int main(void)
{
	test_prelogin();
	test_chat();
	return pg_test_summary("test_detect_ares");
}
