/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Soulseek detector on shared/corpus/soulseek/ws_SoulSeekRoom.cap (peers
 * calling back 213.122.214.127:10010 on the distributed network), on
 * Login and PeerInit messages built to the protocol documentation, and
 * near misses.
 */
#include "detect_harness.h"

static const struct pg_detector *const slsk = &pg_detector_soulseek;

/* 68.50.188.156:4207: PierceFireWall (token 8), then the distributed
 * messages branch level (1) and branch root ("vanou"). */
#define SLSK_PIERCE "050000000008000000"
#define SLSK_LEVEL "050000000401000000"
#define SLSK_ROOT "0a000000050500000076616e6f75"
/* 194.12.243.114:3217, after its PierceFireWall: a distributed search
 * request from "noginafx", token 0x210, query "hey is dee dee home". */
#define SLSK_SEARCH                                                          \
	"2c0000000331000000080000006e6f67696e616678100200001300000068657920" \
	"6973206465652064656520686f6d65"

/* PeerInit: user "alice", type P, token 1. */
#define SLSK_PEERINIT_P "130000000105000000616c6963650100000050" "01000000"
/* Login: user "alice", password "secret", version 160, 32 hex digits
 * where the MD5 of name and password goes, minor version 1. */
#define SLSK_LOGIN                                                          \
	"43000000" "01000000" "05000000616c696365" "06000000736563726574"   \
	"a0000000" "20000000"                                                \
	"3462393662646239393930393931356337653135343366353830393731343861"  \
	"01000000"

static void test_openings(void)
{
	struct pg_run r;

	const struct pg_step pierce[] = {C2S_HEX(SLSK_PIERCE),
					 C2S_HEX(SLSK_LEVEL SLSK_ROOT)};
	EXPECT_CLASS("pierce + distributed", slsk, TCP, 4207, 10010, pierce,
		     PG_SYS_SOULSEEK, PG_FEAT_NETWORK, PG_CONF_STRONG, 1);
	const struct pg_step search[] = {C2S_HEX(SLSK_PIERCE SLSK_SEARCH)};
	EXPECT_CLASS("pierce + search", slsk, TCP, 3217, 10010, search,
		     PG_SYS_SOULSEEK, PG_FEAT_NETWORK, PG_CONF_STRONG, 0);
	/* PierceFireWall then a peer message: GetSharedFileList. */
	const struct pg_step shares[] = {C2S_HEX(SLSK_PIERCE "0400000004000000")};
	EXPECT_CLASS("pierce + peer message", slsk, TCP, 4207, 2234, shares,
		     PG_SYS_SOULSEEK, PG_FEAT_DOWNLOAD, PG_CONF_STRONG, 0);

	const struct pg_step peer_init[] = {C2S_HEX(SLSK_PEERINIT_P)};
	EXPECT_CLASS("peer init P", slsk, TCP, 50000, 2234, peer_init,
		     PG_SYS_SOULSEEK, PG_FEAT_DOWNLOAD, PG_CONF_STRONG, 0);
	const struct pg_step peer_init_d[] = {
		C2S_HEX("130000000105000000616c696365010000004401000000")};
	EXPECT_CLASS("peer init D", slsk, TCP, 50000, 2234, peer_init_d,
		     PG_SYS_SOULSEEK, PG_FEAT_NETWORK, PG_CONF_STRONG, 0);
	const struct pg_step login[] = {C2S_HEX(SLSK_LOGIN)};
	EXPECT_CLASS("login", slsk, TCP, 50000, 2242, login, PG_SYS_SOULSEEK,
		     PG_FEAT_NETWORK, PG_CONF_STRONG, 0);

	/* Cut after the PierceFireWall, or inside a message: wait. */
	const struct pg_step alone[] = {C2S_HEX(SLSK_PIERCE)};
	EXPECT_STATUS("pierce alone", slsk, TCP, 4207, 10010, alone,
		      PG_DETECT_MAYBE);
	const struct pg_step half[] = {C2S_HEX("130000000105000000616c")};
	EXPECT_STATUS("half a peer init", slsk, TCP, 50000, 2234, half,
		      PG_DETECT_MAYBE);
	/* Joined midway, a few packets of anything are given the benefit of
	 * the doubt; from the handshake they are not. */
	const struct pg_step junk[] = {C2S_HEX("0900000004010000")};
	pg_run_detector(slsk, TCP, 50000, 2234, junk, 1, &r);
	CHECK(r.status == PG_DETECT_MAYBE);
	EXPECT_NO("junk from start", slsk, TCP, 50000, 2234, junk);
}

static void test_near_misses(void)
{
	/* PierceFireWall followed by a message no code fixes the length of
	 * (branch level with a 4-byte body too many). */
	const struct pg_step pierce_junk[] = {
		C2S_HEX(SLSK_PIERCE "090000000401000000deadbeef")};
	EXPECT_NO("pierce + junk", slsk, TCP, 4207, 10010, pierce_junk);
	/* PeerInit with connection type X, and with a length one too long. */
	const struct pg_step type_x[] = {
		C2S_HEX("130000000105000000616c696365010000005801000000")};
	EXPECT_NO("peer init type X", slsk, TCP, 50000, 2234, type_x);
	const struct pg_step long_init[] = {
		C2S_HEX("140000000105000000616c69636501000000500100000000")};
	EXPECT_NO("peer init length", slsk, TCP, 50000, 2234, long_init);
	/* Login whose hash is not hex digits. */
	char bad_login[] = SLSK_LOGIN;
	char *h = strstr(bad_login, "34623936");
	CHECK(h != NULL);
	if (h)
		memcpy(h, "7a", 2); /* 'z' */
	const struct pg_step bad_hash[] = {C2S_HEX(bad_login)};
	EXPECT_NO("login hash", slsk, TCP, 50000, 2242, bad_hash);
	/* Other protocols. */
	const struct pg_step get[] = {C2S_TXT("GET / HTTP/1.1\r\nHost: a\r\n\r\n")};
	EXPECT_NO("http", slsk, TCP, 50000, 80, get);
	const struct pg_step tls[] = {C2S_HEX("16030100cf010000cb0303")};
	EXPECT_NO("tls", slsk, TCP, 50000, 443, tls);
	const struct pg_step banner[] = {S2C_TXT("SSH-2.0-OpenSSH_9.2\r\n")};
	EXPECT_NO("server first", slsk, TCP, 50000, 22, banner);
}

int main(void)
{
	test_openings();
	test_near_misses();
	return pg_test_summary("test_detect_soulseek");
}
