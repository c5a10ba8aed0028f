/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pg_dns_parse_response on responses from the corpus, and on damaged ones. */
#include "check.h"
#include "peergate/dns.h"
#include "peergate/dns_wire.h"

struct answer {
	uint8_t family;
	uint8_t addr[16];
	char name[PG_DNS_NAME_MAX];
	uint32_t ttl;
};

struct answers {
	struct answer a[16];
	int n;
};

static void collect(void *ctx, uint8_t family, const uint8_t *addr,
		    const char *name, uint32_t ttl)
{
	struct answers *as = ctx;
	if (as->n >= 16)
		return;
	struct answer *a = &as->a[as->n++];
	a->family = family;
	memcpy(a->addr, addr, family == 4 ? 4 : 16);
	snprintf(a->name, sizeof(a->name), "%s", name);
	a->ttl = ttl;
}

static uint8_t msg[1024];
static struct answers got;

static int parse(const char *hex)
{
	size_t n = pg_hex(hex, msg, sizeof(msg));
	memset(&got, 0, sizeof(got));
	return pg_dns_parse_response(msg, n, collect, &got);
}

/* negative/ndpi_dns.pcap: e7.whatsapp.net, eight A records */
#define WHATSAPP                                                              \
	"784381800001000800000000026537087768617473617070036e65740000010001c00c" \
	"00010001000001eb0004a92ddbebc00c00010001000001eb0004a92f288ec00c000100" \
	"01000001eb0004a92df879c00c00010001000001eb00046ca8b0eac00c000100010000" \
	"01eb0004a92df8bdc00c00010001000001eb0004a92df8b4c00c00010001000001eb00" \
	"04a935514fc00c00010001000001eb0004a92ddbe8"

/* kakaotalk/ndpi_KakaoTalk_chat.pcap frame 5: auth.kakao.com CNAME
 * auth.gl.kakao.com, A 210.103.240.15 */
#define KAKAO                                                                 \
	"86ed818000010002000000000461757468056b616b616f03636f6d0000010001c00c00" \
	"050001000005c7000a046175746802676cc011c02c00010001000000560004d267f00f"

/* msn/ws_es.pcap frame 1840: www.ie8.com.mx CNAME ie8.com.mx, two A; NS
 * records and glue A records for the name servers follow. */
#define IE8                                                                   \
	"2c9381800001000300030002037777770369653803636f6d026d780000010001c00c00" \
	"050001000003bb0002c010c01000010001000003bb0004cf2ee8b6c010000100010000" \
	"03bb0004cf2ec520c0100002000100022dda000e036e7331046d736674036e657400c0" \
	"100002000100022dda0006036e7335c05ec0100002000100022dda0006036e7332c05e" \
	"c074000100010000012400044137e28cc05a000100010000cf1000044137253e"

/* teams/ndpi_teams.pcap frame 720: CNAME into cloudapp.net, then AAAA */
#define TEAMS_AAAA \
	"f401818000010002000000000f74726f75746572322d617373652d610774726f757465" \
	"72057465616d73096d6963726f736f667403636f6d00001c0001c00c0005000100000d" \
	"8b001e0f74726f75746572322d617373652d6108636c6f7564617070036e657400c049" \
	"001c00010000000500102a010111f1007000000000006fdd54a1"

static void test_corpus(void)
{
	CHECK(parse(WHATSAPP) == 8);
	CHECK_STR(got.a[0].name, "e7.whatsapp.net");
	CHECK(got.a[0].family == 4 && memcmp(got.a[0].addr, "\xa9\x2d\xdb\xeb", 4) == 0);
	CHECK(got.a[0].ttl == 0x1eb);
	CHECK(got.a[7].addr[3] == 0xe8);

	CHECK(parse(KAKAO) == 1);
	CHECK_STR(got.a[0].name, "auth.kakao.com");
	CHECK(memcmp(got.a[0].addr, "\xd2\x67\xf0\x0f", 4) == 0);
	CHECK(got.a[0].ttl == 86);

	/* Glue for the name servers is not an answer to the question. */
	CHECK(parse(IE8) == 2);
	CHECK_STR(got.a[0].name, "www.ie8.com.mx");
	CHECK_STR(got.a[1].name, "www.ie8.com.mx");
	CHECK(memcmp(got.a[1].addr, "\xcf\x2e\xc5\x20", 4) == 0);

	CHECK(parse(TEAMS_AAAA) == 1);
	CHECK(got.a[0].family == 6);
	CHECK_STR(got.a[0].name, "trouter2-asse-a.trouter.teams.microsoft.com");
	CHECK(got.a[0].addr[0] == 0x2a && got.a[0].addr[15] == 0xa1);

	/* negative/ndpi_dns.pcap: an answer-less AAAA response */
	CHECK(parse("bc1f8180000100000000000003777777076578616d706c6503636f6d00001c0001") == 0);
}

static void test_chain_rules(void)
{
	/* The A record's owner is not reachable from the question: ignored
	 * (an unrelated name cannot be learnt by riding on a query). */
	CHECK(parse("00018180000100010000000003777777016103636f6d0000010001"
		    "03657669036e657400" "00010001000000100004" "01020304") == 0);

	/* CNAME answers in reverse order still chain: q -> b -> c, A for c
	 * listed first.  Names spelled out (no compression). */
	CHECK(parse("0002818000010003000000000171036e657400" "00010001"
		    "0163036e657400" "00010001" "0000003c" "0004" "0a000001"
		    "0162036e657400" "00050001" "0000003c" "0007" "0163036e657400"
		    "0171036e657400" "00050001" "0000003c" "0007" "0162036e657400") == 1);
	CHECK_STR(got.a[0].name, "q.net");

	/* A CNAME loop reports nothing and ends. */
	CHECK(parse("0003818000010002000000000171036e657400" "00010001"
		    "0171036e657400" "00050001" "0000003c" "0007" "0162036e657400"
		    "0162036e657400" "00050001" "0000003c" "0007" "0171036e657400") == 0);

	/* Upper case in the answer matches the question. */
	CHECK(parse("000481800001000100000000037777770141036e657400" "00010001"
		    "03575757016103" "4e4554" "00" "00010001" "00000010" "0004" "01020304") == 1);
	CHECK_STR(got.a[0].name, "www.a.net");

	/* TTL with the top bit set counts as 0 (RFC 2181 §8). */
	CHECK(parse("00058180000100010000000001610000010001c00c0001000180000000000401020304") == 1);
	CHECK(got.a[0].ttl == 0);
}

static void test_malformed(void)
{
	size_t n = pg_hex(WHATSAPP, msg, sizeof(msg));
	/* Every truncation fails cleanly, never reports half an answer set. */
	for (size_t cut = 0; cut < n; cut++) {
		memset(&got, 0, sizeof(got));
		int r = pg_dns_parse_response(msg, cut, collect, &got);
		CHECK(r == -1 && got.n == 0);
	}
	/* A query is not a response */
	CHECK(parse("bc1f0100000100000000000003777777076578616d706c6503636f6d00001c0001") == -1);
	/* Compression pointer to itself / forwards */
	CHECK(parse("00068180000100010000000001610000010001c02300010001000000100004"
		    "01020304") == -1);
	CHECK(parse("00068180000100010000000001610000010001c01900010001000000100004"
		    "01020304") == -1);
	/* Pointer into the header */
	CHECK(parse("00068180000100010000000001610000010001c00200010001000000100004"
		    "01020304") == -1);
	/* A record with RDLENGTH 5 */
	CHECK(parse("00078180000100010000000001610000010001c00c00010001000000100005"
		    "0102030405") == -1);
	/* Label running past the end */
	CHECK(parse("0008818000010000000000003f61") == -1);
	/* Answer count larger than the message could hold */
	CHECK(parse("0009818000010fff0000000001610000010001") == -1);
	/* No question */
	CHECK(parse("000a81800000000000000000") == 0);
	/* Two questions */
	CHECK(parse("000b8180000200000000000001610000010001016200000100010") == -1);
	/* Root question */
	CHECK(parse("000c81800001000000000000000001 0001") == -1);
	CHECK(pg_dns_parse_response(NULL, 0, collect, &got) == -1);
}

static void test_read_name(void)
{
	char name[PG_DNS_NAME_MAX];
	/* A 255-octet name is the limit; 257 is too long */
	uint8_t m[600] = {0};
	size_t off = 12, i = off;
	for (int l = 0; l < 4; l++) {
		m[i++] = 62;
		memset(m + i, 'a', 62);
		i += 62;
	}
	m[i++] = 0; /* 4*63 + 1 = 253 octets */
	CHECK(pg_dns_read_name(m, i, off, name, sizeof(name), true) == i);
	CHECK(strlen(name) == 4 * 62 + 3);
	m[i - 1] = 1;
	m[i] = 'b';
	m[i + 1] = 1;
	m[i + 2] = 'c';
	m[i + 3] = 0; /* 257 octets */
	CHECK(pg_dns_read_name(m, i + 4, off, name, sizeof(name), true) == 0);
	/* A dot inside a label has no dotted form */
	size_t n = pg_hex("000000000000000000000000" "03612e620000", m, sizeof(m));
	CHECK(pg_dns_read_name(m, n, 12, name, sizeof(name), false) == 0);
	/* Host-name rule */
	n = pg_hex("000000000000000000000000" "03612062" "00", m, sizeof(m));
	CHECK(pg_dns_read_name(m, n, 12, name, sizeof(name), false) == n);
	CHECK(pg_dns_read_name(m, n, 12, name, sizeof(name), true) == 0);
}

int main(void)
{
	test_corpus();
	test_chain_rules();
	test_malformed();
	test_read_name();
	return pg_test_summary("test_dns");
}
