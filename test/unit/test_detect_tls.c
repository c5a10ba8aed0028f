/* SPDX-License-Identifier: GPL-2.0-or-later */
/* TLS detector and ClientHello parser, on ClientHellos from the corpus. */
#include <netinet/in.h>

#include "detect_harness.h"
#include "peergate/tls_hello.h"

/* socks/arkime_socks-https-example.pcap, tcp.stream 2 (inside a SOCKS4a
 * tunnel): 120-byte TLS 1.0 ClientHello, SNI www.example.com at the end. */
#define CH_EXAMPLE                                                            \
	"16030100730100006f0301529cbffbd7cefc629d6c34c6e18c3017d7592c4319115bc3" \
	"1a497c1bf6bed4fc00002e00390038003500160013000a00330032002f009a009900" \
	"96000500040015001200090014001100080006000300ff0100001800000014001200" \
	"000f7777772e6578616d706c652e636f6d"

/* negative/ndpi_http_ipv6.pcap, tcp.stream 3: ClientHello to www.ntop.org
 * with SNI first among the extensions. */
#define CH_NTOP                                                               \
	"16030100cf010000cb030372a7b8955891f5317d8662bdfa03c6c4a53174f4afb27ff0" \
	"211f329e7b23161d000020cc14cc13cc15c02bc02f009ec00ac0140039c009c013003" \
	"3009c0035002f000a01000082ff0100010000000011000f00000c7777772e6e746f70" \
	"2e6f72670017000000230000000d001600140601060305010503040104030301030302" \
	"01020300050005010000000033740000001200000010001d001b08687474702f312e31" \
	"08737064792f332e310568322d313402683275500000000b00020100000a0006000400" \
	"170018"

/* negative/ndpi_chrome.pcap, tcp.stream 0: the server's TLS 1.3
 * ServerHello record. */
#define SH_CHROME                                                             \
	"160303007a020000760303bde1e9fe06132c1da4440c7a1761fbf245676f09ff1efc08" \
	"2abb5f147115e650207094dfde2fae965e90337a4b4c5c840b86caabaca5ab87a6e290" \
	"440145ae7629130200002e002b0002030400330024001d0020232131aa29442dc2c135" \
	"ef23f856e6990d455f6d39b9a991e0710e2daf6a3421"

static struct pg_run run;

static enum pg_detect_status go(const struct pg_step *steps, size_t n)
{
	return pg_run_detector(&pg_detector_tls, IPPROTO_TCP, 53555, 443,
			       steps, n, &run);
}

/* Hex of s[from..to) as a new string in buf. */
static const char *slice(const char *hex, size_t from, size_t to, char *buf)
{
	memcpy(buf, hex + 2 * from, 2 * (to - from));
	buf[2 * (to - from)] = '\0';
	return buf;
}

static void test_whole_hello(void)
{
	const struct pg_step s1[] = {{PG_DIR_C2S, CH_EXAMPLE, NULL}};
	CHECK(go(s1, 1) == PG_DETECT_MATCH);
	CHECK(run.result.system == PG_SYS_TLS);
	CHECK(run.result.confidence == PG_CONF_DECIDE);
	CHECK(pg_run_host_is(&run, "www.example.com"));

	const struct pg_step s2[] = {{PG_DIR_C2S, CH_NTOP, NULL}};
	CHECK(go(s2, 1) == PG_DETECT_MATCH);
	CHECK(pg_run_host_is(&run, "www.ntop.org"));
}

static void test_segments(void)
{
	/* The same hello in three TCP segments: 3 bytes, 57 bytes, the rest. */
	static char a[16], b[200], c[400];
	size_t total = strlen(CH_EXAMPLE) / 2;
	const struct pg_step s[] = {
		{PG_DIR_C2S, slice(CH_EXAMPLE, 0, 3, a), NULL},
		{PG_DIR_C2S, slice(CH_EXAMPLE, 3, 60, b), NULL},
		{PG_DIR_C2S, slice(CH_EXAMPLE, 60, total, c), NULL},
	};
	CHECK(go(s, 3) == PG_DETECT_MATCH);
	CHECK(run.matched_at == 2);
	CHECK(pg_run_host_is(&run, "www.example.com"));

	/* Only the first two segments: still waiting. */
	CHECK(go(s, 2) == PG_DETECT_MAYBE);
}

static void test_records(void)
{
	/* The ClientHello of CH_EXAMPLE re-framed into two records split at
	 * handshake offset 50 (before the extensions), as DPI-evasion tools
	 * do.  Built from the corpus bytes. */
	static const char *hs =
		"0100006f0301529cbffbd7cefc629d6c34c6e18c3017d7592c4319115bc3"
		"1a497c1bf6bed4fc00002e00390038003500160013000a00330032002f009a009900"
		"96000500040015001200090014001100080006000300ff0100001800000014001200"
		"000f7777772e6578616d706c652e636f6d";
	char p1[128], p2[256], rec[600];
	size_t hl = strlen(hs) / 2;

	snprintf(rec, sizeof(rec), "1603010032%s1603010%03zx%s", slice(hs, 0, 50, p1),
		 hl - 50, slice(hs, 50, hl, p2));
	const struct pg_step s[] = {{PG_DIR_C2S, rec, NULL}};
	CHECK(go(s, 1) == PG_DETECT_MATCH);
	CHECK(pg_run_host_is(&run, "www.example.com"));

	/* Split inside the host name: still TLS, but no name to point at. */
	snprintf(rec, sizeof(rec), "16030100%02zx%s1603010%03zx%s", hl - 5,
		 slice(hs, 0, hl - 5, p2), (size_t)5, slice(hs, hl - 5, hl, p1));
	const struct pg_step s2[] = {{PG_DIR_C2S, rec, NULL}};
	CHECK(go(s2, 1) == PG_DETECT_MATCH);
	CHECK(run.result.system == PG_SYS_TLS);
	CHECK(run.result.host == NULL);
}

static void test_server_hello_only(void)
{
	/* Capture started after the ClientHello left. */
	const struct pg_step s[] = {{PG_DIR_S2C, SH_CHROME, NULL}};
	CHECK(go(s, 1) == PG_DETECT_MATCH);
	CHECK(run.result.system == PG_SYS_TLS);
	CHECK(run.result.host == NULL);

	/* Mid-session records only (ndpi_chrome.pcap stream 1, the client's
	 * ChangeCipherSpec and first application record, first 80 bytes of
	 * the latter elided into a shorter record here): a weak hint. */
	const struct pg_step m[] = {
		{PG_DIR_C2S, "140303000101" "1703030005" "8dfd62d440", NULL}};
	CHECK(go(m, 1) == PG_DETECT_MATCH);
	CHECK(run.result.confidence == PG_CONF_WEAK);
}

static void test_near_misses(void)
{
	/* negative/ndpi_tls_false_positives.pcapng: must not be TLS. */
	const struct pg_step fp[] = {
		{PG_DIR_C2S, "8400000002882700c80005090e0800000004005343b80b0400010000", NULL},
		{PG_DIR_S2C, "0d00000002892700c8000e0100", NULL}};
	CHECK(go(fp, 2) == PG_DETECT_NO);

	const struct pg_step http[] = {{PG_DIR_C2S, NULL, "GET / HTTP/1.1\r\n"}};
	CHECK(go(http, 1) == PG_DETECT_NO);

	/* A ClientHello with a session id longer than 32 bytes. */
	char bad[600];
	strcpy(bad, CH_EXAMPLE);
	bad[2 * 43] = '4'; /* sid_len 0x00 -> 0x40 */
	const struct pg_step b1[] = {{PG_DIR_C2S, bad, NULL}};
	CHECK(go(b1, 1) == PG_DETECT_NO);

	/* Extension block length one too long. */
	strcpy(bad, CH_EXAMPLE);
	memcpy(bad + 2 * 94, "0019", 4);
	const struct pg_step b2[] = {{PG_DIR_C2S, bad, NULL}};
	CHECK(go(b2, 1) == PG_DETECT_NO);

	/* Record header with version 3.7 */
	const struct pg_step b3[] = {{PG_DIR_C2S, "1603070073010000", NULL}};
	CHECK(go(b3, 1) == PG_DETECT_NO);
}

static void test_scan_sni(void)
{
	uint8_t buf[64];
	const uint8_t *sni;
	size_t len;
	/* server_name extension for "www.ntop.org" from CH_NTOP, in noise */
	size_t n = pg_hex("aa bb 0000 0011 000f 00 000c 7777772e6e746f702e6f7267 cc", buf,
			  sizeof(buf));
	CHECK(pg_tls_scan_sni(buf, n, &sni, &len));
	CHECK(len == 12 && memcmp(sni, "www.ntop.org", 12) == 0);
	/* Lengths that do not nest */
	n = pg_hex("0000 0011 000e 00 000c 7777772e6e746f702e6f7267", buf, sizeof(buf));
	CHECK(!pg_tls_scan_sni(buf, n, &sni, &len));
	/* Cut short */
	CHECK(!pg_tls_scan_sni(buf, 12, &sni, &len));
}

int main(void)
{
	test_whole_hello();
	test_segments();
	test_records();
	test_server_hello_only();
	test_near_misses();
	test_scan_sni();
	return pg_test_summary("test_detect_tls");
}
