/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Handshake shapes of encrypted P2P protocols (shape.c): MSE on the bytes
 * of a real transmission handshake, eMule obfuscation, the randomness
 * test, IRC/XMPP over TLS names and ports, and the negatives: TLS, SSH,
 * HTTP, text, and random bytes that lack the turn structure.
 */
#include <stdbool.h>

#include "check.h"
#include "peergate/shape.h"

/* The first 96 bytes (the Diffie-Hellman keys Ya and Yb) of each side of
 * test/captures/bittorrent_mse_transmission_51413.pcap (transmission 3.00,
 * encryption required). */
static const char real_ya[] =
	"720ffc97efa106d27f236ffa1b8a5d4ef456e8e63c6d63fe8b1a3bafde5963ac"
	"9494243d8eb141b65e2c1796b81ed1875008968ff900e65222ad1a6d26f9662b"
	"08dafb0cb46f869985bd8c9941522ca341f1f08d75fa439f9088580728cd138b";
static const char real_yb[] =
	"f57c2e4118aa585ca274114826c427127e262933bec4aac2d4b477202e9f4ea1"
	"538355025186bc2249f58dde255aa757d07dc77f4e7dca8fde68729e77dc4aa6"
	"9f6c588bf5a2a34a14c04b2c2dda88137abf93ad9a776b3c64a9ae7990345287";

/* A real TLS 1.3 ClientHello's first 96 bytes and the SSH version line and
 * KEXINIT start (test/captures/negative_http_smtp_ssh_tls_dns.pcap). */
static const char tls_hello[] =
	"1603010200010001fc0303b127eaefe87f5945f40b9d222bd7846eebe033c02e"
	"ad3766b6fff630da0904bd20b693d01cef8ec18e35aa0b1b9ebf9d7346872aa4"
	"1fcf5feb29301f24210ca8ee003e130213031301c02cc030009fcca9cca8ccaa";
static const char tls_server_hello[] =
	"160303007a02000076030399e8b1a78415b91e07f96a38dc88f727929e3bfb04"
	"e630d9d1224afb8c2763a120b693d01cef8ec18e35aa0b1b9ebf9d7346872aa4"
	"1fcf5feb29301f24210ca8ee130200002e002b0002030400330024001d002056";
static const char ssh_kexinit[] =
	"000000e40514a3bc5c5e505b40f884888c92b70181bc00000024637572766532"
	"353531392d7368613235362c656364682d736861322d6e69737470323536000000"
	"187373682d656432353531392c7273612d736861322d3531320000002161";

static uint32_t rng_state = 2463534242u;

static void fill_random(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		rng_state ^= rng_state << 13;
		rng_state ^= rng_state >> 17;
		rng_state ^= rng_state << 5;
		p[i] = (uint8_t)(rng_state >> 11);
	}
}

static struct pg_turns turns_of(unsigned count, uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
	struct pg_turns t = {.count = (uint8_t)count, .client_first = true,
			     .len = {a, b, c, d}};
	return t;
}

static void test_turns(void)
{
	struct pg_turns t = {0};
	pg_turns_add(&t, true, 0);
	CHECK(t.count == 0);
	pg_turns_add(&t, true, 200);
	pg_turns_add(&t, true, 233);
	CHECK(t.count == 1 && t.client_first && t.len[0] == 433);
	pg_turns_add(&t, false, 286);
	pg_turns_add(&t, true, 124);
	pg_turns_add(&t, false, 82);
	pg_turns_add(&t, false, 121);
	CHECK(t.count == 4 && t.len[1] == 286 && t.len[2] == 124 && t.len[3] == 203);
	pg_turns_add(&t, true, 50); /* a fifth turn is not counted */
	CHECK(t.count == 4 && t.len[3] == 203);
	struct pg_turns s = {0};
	pg_turns_add(&s, false, 40);
	pg_turns_add(&s, true, 10);
	CHECK(s.count == 2 && !s.client_first && s.len[0] == 40 && s.len[1] == 10);
}

/* The real handshake with PadA = PadB = 0, turn by turn. */
static void test_mse_real(void)
{
	uint8_t c2s[256], s2c[256];
	size_t nc = pg_hex(real_ya, c2s, sizeof(c2s));
	size_t ns = pg_hex(real_yb, s2c, sizeof(s2c));
	CHECK(nc == 96 && ns == 96);
	CHECK(pg_bytes_look_random(c2s, nc) && pg_bytes_look_random(s2c, ns));
	struct pg_turns t = turns_of(1, 40, 0, 0, 0);
	CHECK(pg_shape_mse(&t, c2s, 40, s2c, 0) == PG_SHAPE_MAYBE); /* still arriving */
	t = turns_of(1, 96, 0, 0, 0);
	CHECK(pg_shape_mse(&t, c2s, nc, s2c, 0) == PG_SHAPE_MAYBE);
	t = turns_of(2, 96, 96, 0, 0);
	CHECK(pg_shape_mse(&t, c2s, nc, s2c, ns) == PG_SHAPE_MAYBE);
	t = turns_of(3, 96, 96, 20, 0);
	CHECK(pg_shape_mse(&t, c2s, nc, s2c, ns) == PG_SHAPE_MAYBE);
	t = turns_of(3, 96, 96, 124, 0);
	CHECK(pg_shape_mse(&t, c2s, nc, s2c, ns) == PG_SHAPE_YES);
	t = turns_of(4, 96, 96, 124, 82);
	CHECK(pg_shape_mse(&t, c2s, nc, s2c, ns) == PG_SHAPE_YES);
	/* a third message shorter than its fixed fields, answered */
	t = turns_of(4, 96, 96, 55, 20);
	CHECK(pg_shape_mse(&t, c2s, nc, s2c, ns) == PG_SHAPE_NO);
	/* the responder speaking first is not MSE */
	t = turns_of(3, 96, 96, 124, 0);
	t.client_first = false;
	CHECK(pg_shape_mse(&t, s2c, ns, c2s, nc) == PG_SHAPE_NO);
}

/* Turn sizes: 96..608 for the first two, both ends included. */
static void test_mse_sizes(void)
{
	uint8_t c2s[1024], s2c[1024];
	fill_random(c2s, sizeof(c2s));
	fill_random(s2c, sizeof(s2c));
	static const uint32_t good[] = {96, 97, 300, 607, 608};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		for (size_t j = 0; j < sizeof(good) / sizeof(good[0]); j++) {
			struct pg_turns t = turns_of(3, good[i], good[j], 56, 0);
			CHECK(pg_shape_mse(&t, c2s, good[i] + 56, s2c, good[j]) == PG_SHAPE_YES);
		}
	}
	struct pg_turns t = turns_of(2, 95, 200, 0, 0);
	CHECK(pg_shape_mse(&t, c2s, 95, s2c, 200) == PG_SHAPE_NO);
	t = turns_of(1, 609, 0, 0, 0);
	CHECK(pg_shape_mse(&t, c2s, 609, s2c, 0) == PG_SHAPE_NO);
	t = turns_of(2, 200, 609, 0, 0);
	CHECK(pg_shape_mse(&t, c2s, 200, s2c, 609) == PG_SHAPE_NO);
	t = turns_of(3, 200, 95, 100, 0);
	CHECK(pg_shape_mse(&t, c2s, 300, s2c, 95) == PG_SHAPE_NO);
}

/* Ordinary protocols never have the shape, even where the sizes fit. */
static void test_mse_negatives(void)
{
	uint8_t a[1024], b[1024];
	/* TLS: ClientHello and ServerHello records */
	size_t na = pg_hex(tls_hello, a, sizeof(a)), nb = pg_hex(tls_server_hello, b, sizeof(b));
	fill_random(a + na, 517 - na);
	fill_random(b + nb, 400 - nb);
	struct pg_turns t = turns_of(3, 517, 400, 80, 0);
	CHECK(pg_shape_mse(&t, a, 597, b, 400) == PG_SHAPE_NO);
	/* SSH: the client's version line and KEXINIT */
	const char *banner = "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n";
	size_t k = strlen(banner);
	memcpy(a, banner, k);
	size_t nk = pg_hex(ssh_kexinit, a + k, sizeof(a) - k);
	CHECK(!pg_bytes_look_random(a + k, nk));
	t = turns_of(3, (uint32_t)(k + nk), 300, 100, 0);
	CHECK(pg_shape_mse(&t, a, k + nk, b, 300) == PG_SHAPE_NO);
	/* the KEXINIT alone (a capture that missed the banner) */
	t = turns_of(3, (uint32_t)nk, 300, 100, 0);
	fill_random(b, 300);
	CHECK(pg_shape_mse(&t, a + k, nk, b, 300) == PG_SHAPE_NO);
	/* HTTP, text */
	const char *get = "GET /announce?info_hash=%12%34 HTTP/1.1\r\nHost: tracker.example\r\n"
			  "User-Agent: Transmission/3.00\r\nAccept: */*\r\nConnection: close\r\n\r\n";
	memcpy(a, get, strlen(get));
	t = turns_of(3, (uint32_t)strlen(get), 200, 100, 0);
	CHECK(pg_shape_mse(&t, a, strlen(get), b, 200) == PG_SHAPE_NO);
	/* the plaintext BitTorrent handshake is not MSE */
	memset(a, 0, 120);
	memcpy(a, "\x13" "BitTorrent protocol", 20);
	fill_random(a + 28, 92);
	t = turns_of(3, 120, 200, 100, 0);
	CHECK(pg_shape_mse(&t, a, 120, b, 200) == PG_SHAPE_NO);
	/* random bytes behind a length prefix (OpenVPN over TCP, RPCs): framed,
	 * in either direction */
	fill_random(a, 400);
	fill_random(b, 300);
	a[0] = 0x00;
	a[1] = 0xfe; /* 254 bytes follow */
	t = turns_of(3, 256, 300, 100, 0);
	CHECK(pg_shape_mse(&t, a, 356, b, 300) == PG_SHAPE_NO);
	a[1] = 0x11;
	CHECK(pg_shape_mse(&t, a, 356, b, 300) == PG_SHAPE_YES);
	b[0] = 0x2c;
	b[1] = 0x01;
	b[2] = 0x00;
	b[3] = 0x00; /* 300, little endian, prefix counted */
	CHECK(pg_shape_mse(&t, a, 356, b, 300) == PG_SHAPE_NO);
	/* random bytes, then a structured answer (zeros, a length-prefixed
	 * record): the responder's turn is not a key */
	fill_random(a, 300);
	memset(b, 0, 200);
	b[3] = 196;
	memcpy(b + 4, "OK", 2);
	t = turns_of(3, 300, 200, 100, 0);
	CHECK(pg_shape_mse(&t, a, 400, b, 200) == PG_SHAPE_NO);
}

/* Random bytes pass (all but a few per thousand), text and structure
 * fail. */
static void test_randomness(void)
{
	uint8_t p[608];
	unsigned misses = 0, runs = 0;
	for (size_t n = 96; n <= 608; n += 8) {
		for (int r = 0; r < 20; r++) {
			fill_random(p, n);
			runs++;
			misses += !pg_bytes_look_random(p, n);
		}
	}
	fprintf(stderr, "randomness: %u of %u random runs of 96..608 bytes missed\n", misses, runs);
	CHECK(misses * 200 < runs); /* under 0.5% */
	const char *text = "The quick brown fox jumps over the lazy dog; PRIVMSG #chan :hello "
			   "NICK tester USER a b c d JOIN #peergate PING :server.example.org";
	CHECK(!pg_bytes_look_random((const uint8_t *)text, strlen(text)));
	memset(p, 0, sizeof(p));
	CHECK(!pg_bytes_look_random(p, sizeof(p)));
	for (size_t i = 0; i < sizeof(p); i++)
		p[i] = (uint8_t)i; /* every value, evenly: a counter is not random... */
	CHECK(pg_bytes_look_random(p, 256)); /* ...but a value test cannot tell */
	fill_random(p, 15);
	CHECK(!pg_bytes_look_random(p, 15)); /* too few to judge */
	/* TLV framing with random values in between: a quarter zeros */
	fill_random(p, 400);
	for (size_t i = 0; i < 400; i += 4)
		p[i] = 0;
	CHECK(!pg_bytes_look_random(p, 400));
}

static void test_emule(void)
{
	uint8_t c2s[600], s2c[600];
	fill_random(c2s, sizeof(c2s));
	fill_random(s2c, sizeof(s2c));
	c2s[0] = 0x7f; /* a marker that is not an eD2k protocol byte */
	struct pg_turns t = turns_of(1, 20, 0, 0, 0);
	CHECK(pg_shape_emule_client(&t, c2s, 20) == PG_SHAPE_MAYBE);
	t = turns_of(3, 20, 10, 90, 0);
	CHECK(pg_shape_emule_client(&t, c2s, 110) == PG_SHAPE_YES);
	t = turns_of(3, 267, 261, 90, 0);
	CHECK(pg_shape_emule_client(&t, c2s, 357) == PG_SHAPE_YES);
	t = turns_of(3, 268, 10, 90, 0);
	CHECK(pg_shape_emule_client(&t, c2s, 358) == PG_SHAPE_NO);
	t = turns_of(3, 20, 262, 90, 0);
	CHECK(pg_shape_emule_client(&t, c2s, 110) == PG_SHAPE_NO);
	t = turns_of(3, 11, 10, 90, 0);
	CHECK(pg_shape_emule_client(&t, c2s, 101) == PG_SHAPE_NO);
	/* a plain eD2k hello opens with 0xE3 */
	c2s[0] = 0xe3;
	t = turns_of(3, 20, 10, 90, 0);
	CHECK(pg_shape_emule_client(&t, c2s, 110) == PG_SHAPE_NO);
	c2s[0] = 0x7f;
	/* the server handshake: 97..112, then 102..117 */
	t = turns_of(2, 100, 110, 0, 0);
	CHECK(pg_shape_emule_server(&t, c2s, 100, s2c, 110) == PG_SHAPE_YES);
	t = turns_of(2, 113, 110, 0, 0);
	CHECK(pg_shape_emule_server(&t, c2s, 113, s2c, 110) == PG_SHAPE_NO);
	t = turns_of(2, 100, 101, 0, 0);
	CHECK(pg_shape_emule_server(&t, c2s, 100, s2c, 101) == PG_SHAPE_MAYBE);
	t = turns_of(3, 100, 101, 20, 0);
	CHECK(pg_shape_emule_server(&t, c2s, 120, s2c, 101) == PG_SHAPE_NO);
}

/* test/captures/emule_obfuscated_amule_4662.pcap (two aMule 2.3.3
 * daemons): the leecher's first 24 bytes (marker, key part, then RC4 from
 * the magic on) and the turn sizes, 12 + 158 bytes of padding, 6 + 97, then
 * the encrypted 109-byte hello.  With both paddings that long the sizes
 * are MSE's too: only the port tells them apart. */
static const char real_emule_c2s[] = "c363a11bb2f2a1b2cd13d2c74f3679118e5d4b244ae01f9f";

static void test_emule_real(void)
{
	uint8_t c2s[24];
	CHECK(pg_hex(real_emule_c2s, c2s, sizeof(c2s)) == sizeof(c2s));
	struct pg_turns t = turns_of(1, 170, 0, 0, 0);
	CHECK(pg_shape_emule_client(&t, c2s, sizeof(c2s)) == PG_SHAPE_MAYBE);
	t = turns_of(2, 170, 103, 0, 0);
	CHECK(pg_shape_emule_client(&t, c2s, sizeof(c2s)) == PG_SHAPE_MAYBE);
	t = turns_of(3, 170, 103, 109, 0);
	CHECK(pg_shape_emule_client(&t, c2s, sizeof(c2s)) == PG_SHAPE_YES);
	/* the same bytes as a plain eD2k opening would be no handshake */
	c2s[0] = 0xe3;
	CHECK(pg_shape_emule_client(&t, c2s, sizeof(c2s)) == PG_SHAPE_NO);
}

static void test_tls_chat(void)
{
	bool irc = false;
	CHECK(pg_shape_tls_chat("irc.libera.chat", 15, 443, &irc) == PG_CONF_HEUR_PORT && irc);
	CHECK(pg_shape_tls_chat("IRC.OFTC.net", 12, 6697, &irc) == PG_CONF_HEUR_PORT && irc);
	CHECK(pg_shape_tls_chat(NULL, 0, 6697, &irc) == PG_CONF_HEUR_SHAPE && irc);
	CHECK(pg_shape_tls_chat("xmpp.example.org", 16, 443, &irc) == PG_CONF_HEUR_PORT && !irc);
	CHECK(pg_shape_tls_chat("chat.example.org", 16, 5223, &irc) == PG_CONF_HEUR_SHAPE && !irc);
	/* Apple's push service also listens on 5223, named or not (as in
	 * skype/ndpi_skype.pcap and whatsapp/ndpi_whatsapp_login_chat.pcap) */
	CHECK(pg_shape_tls_chat("17-courier.push.apple.com", 25, 5223, &irc) == 0);
	CHECK(pg_shape_tls_chat(NULL, 0, 5223, &irc) == 0);
	CHECK(pg_shape_tls_chat("ircd-tools.example.com", 22, 443, &irc) == 0);
	CHECK(pg_shape_tls_chat("irc.", 4, 443, &irc) == 0);
	CHECK(pg_shape_tls_chat("www.example.com", 15, 443, &irc) == 0);
	CHECK(pg_shape_tls_chat(NULL, 0, 443, &irc) == 0);
}

static void test_ports(void)
{
	CHECK(pg_shape_bittorrent_port(6881) && pg_shape_bittorrent_port(51413));
	CHECK(!pg_shape_bittorrent_port(443) && !pg_shape_bittorrent_port(6890));
	CHECK(pg_shape_emule_client_port(4662) && !pg_shape_emule_client_port(4661));
	CHECK(pg_shape_emule_server_port(4661) && !pg_shape_emule_server_port(4662));
}

int main(void)
{
	test_turns();
	test_mse_real();
	test_mse_sizes();
	test_mse_negatives();
	test_randomness();
	test_emule();
	test_emule_real();
	test_tls_chat();
	test_ports();
	return pg_test_summary("shape");
}
