/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Sources named by an eD2k server's answers (ed2kpeers.c): the real
 * OP_FOUNDSOURCES_OBFU answer of test/captures/emule_obfuscated_amule_5555_server.pcap,
 * behind the OP_IDCHANGE that came before it; OP_FOUNDSOURCES with a low
 * and a high ID; answers cut short; bytes that are not eD2k.
 */
#include <stdbool.h>

#include "check.h"
#include "peergate/ed2kpeers.h"
#include "peer_sink.h"

/* OP_IDCHANGE (0x40), then OP_FOUNDSOURCES_OBFU (0x44): file hash, one
 * source 10.231.2.2:5555 with obfuscation options 0x87 and its user hash. */
static const char REAL[] =
	"e309000000400ae7010200000000"
	"e32900000044d02d53ac7e882a141f1d9c9de2a36231010ae70202b31587"
	"660a38e03f0e19d9165b06e3a2466f26";

static void test_real_answer(void)
{
	uint8_t b[128];
	size_t n = pg_hex(REAL, b, sizeof(b));
	struct seen s = {0};

	CHECK(pg_ed2kpeers_server(b, n, collect, &s) == 1);
	CHECK(s.n == 1 && has4(&s, 0, 10, 231, 2, 2, 5555, PG_FEAT_DOWNLOAD));
	/* the answer alone, and cut inside the last source's user hash: the
	 * address and port are complete, the options byte says a hash follows
	 * that is not all there */
	memset(&s, 0, sizeof(s));
	CHECK(pg_ed2kpeers_server(b + 14, n - 14, collect, &s) == 1);
	memset(&s, 0, sizeof(s));
	CHECK(pg_ed2kpeers_server(b + 14, n - 14 - 5, collect, &s) == 0);
	/* cut inside the source: nothing */
	memset(&s, 0, sizeof(s));
	CHECK(pg_ed2kpeers_server(b + 14, 6 + 16 + 1 + 3, collect, &s) == 0);
}

/* OP_FOUNDSOURCES (0x42): a low ID (a firewalled client: 0x00001234),
 * then 192.0.2.7:4662, then a source without the obfuscation byte. */
static void test_plain_answer(void)
{
	uint8_t b[128];
	size_t n = pg_hex("e3 24000000 42" "00112233445566778899aabbccddeeff" "03"
			  "34120000 3612" "c0000207 3612" "c6336401 e803",
			  b, sizeof(b));
	struct seen s = {0};

	CHECK(n == 6 + 0x23);
	CHECK(pg_ed2kpeers_server(b, n, collect, &s) == 2);
	CHECK(has4(&s, 0, 192, 0, 2, 7, 4662, PG_FEAT_DOWNLOAD) &&
	      has4(&s, 1, 198, 51, 100, 1, 1000, PG_FEAT_DOWNLOAD));
}

/* Not eD2k, or other answers: nothing. */
static void test_not_sources(void)
{
	uint8_t b[64];
	struct seen s = {0};
	size_t n = pg_hex("e3 05000000 38 68656c6c", b, sizeof(b)); /* OP_SERVERMESSAGE */

	CHECK(pg_ed2kpeers_server(b, n, collect, &s) == 0);
	n = pg_hex("c5 24000000 42" "00112233445566778899aabbccddeeff" "01" "c0000207 3612",
		   b, sizeof(b)); /* eMule's extended protocol byte: not a server answer */
	CHECK(pg_ed2kpeers_server(b, n, collect, &s) == 0);
	n = pg_hex("e3 00000000 42", b, sizeof(b)); /* a size of 0 */
	CHECK(pg_ed2kpeers_server(b, n, collect, &s) == 0);
	n = pg_hex("e3 ffffff7f 42" "00112233445566778899aabbccddeeff" "01" "c0000207 3612",
		   b, sizeof(b)); /* an absurd size */
	CHECK(pg_ed2kpeers_server(b, n, collect, &s) == 0);
	CHECK(pg_ed2kpeers_server(b, 0, collect, &s) == 0);
	CHECK(s.n == 0);
}

int main(void)
{
	test_real_answer();
	test_plain_answer();
	test_not_sources();
	return pg_test_summary("test_ed2kpeers");
}
