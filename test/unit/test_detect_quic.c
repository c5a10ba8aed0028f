/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QUIC detector: RFC 9001 Appendix A.2 (the protected client Initial),
 * RFC 9369 Appendix A.2 (QUIC v2, checked against its published first
 * bytes), ClientHellos split over CRYPTO frames and over two datagrams, and
 * Google QUIC from negative/ndpi_quic.pcap.
 */
#include "detect_harness.h"
#include "peergate/crypto.h"
#include "peergate/quic.h"

/* RFC 9001 A.2: 1200-byte client Initial, DCID 8394c8f03e515708, packet
 * number 2, ClientHello with SNI "example.com". */
static const char rfc9001_a2[] =
	"c000000001088394c8f03e5157080000449e7b9aec34d1b1c98dd7689fb8ec11"
	"d242b123dc9bd8bab936b47d92ec356c0bab7df5976d27cd449f63300099f399"
	"1c260ec4c60d17b31f8429157bb35a1282a643a8d2262cad67500cadb8e7378c"
	"8eb7539ec4d4905fed1bee1fc8aafba17c750e2c7ace01e6005f80fcb7df6212"
	"30c83711b39343fa028cea7f7fb5ff89eac2308249a02252155e2347b63d58c5"
	"457afd84d05dfffdb20392844ae812154682e9cf012f9021a6f0be17ddd0c208"
	"4dce25ff9b06cde535d0f920a2db1bf362c23e596d11a4f5a6cf3948838a3aec"
	"4e15daf8500a6ef69ec4e3feb6b1d98e610ac8b7ec3faf6ad760b7bad1db4ba3"
	"485e8a94dc250ae3fdb41ed15fb6a8e5eba0fc3dd60bc8e30c5c4287e53805db"
	"059ae0648db2f64264ed5e39be2e20d82df566da8dd5998ccabdae053060ae6c"
	"7b4378e846d29f37ed7b4ea9ec5d82e7961b7f25a9323851f681d582363aa5f8"
	"9937f5a67258bf63ad6f1a0b1d96dbd4faddfcefc5266ba6611722395c906556"
	"be52afe3f565636ad1b17d508b73d8743eeb524be22b3dcbc2c7468d54119c74"
	"68449a13d8e3b95811a198f3491de3e7fe942b330407abf82a4ed7c1b311663a"
	"c69890f4157015853d91e923037c227a33cdd5ec281ca3f79c44546b9d90ca00"
	"f064c99e3dd97911d39fe9c5d0b23a229a234cb36186c4819e8b9c5927726632"
	"291d6a418211cc2962e20fe47feb3edf330f2c603a9d48c0fcb5699dbfe58964"
	"25c5bac4aee82e57a85aaf4e2513e4f05796b07ba2ee47d80506f8d2c25e50fd"
	"14de71e6c418559302f939b0e1abd576f279c4b2e0feb85c1f28ff18f58891ff"
	"ef132eef2fa09346aee33c28eb130ff28f5b766953334113211996d20011a198"
	"e3fc433f9f2541010ae17c1bf202580f6047472fb36857fe843b19f5984009dd"
	"c324044e847a4f4a0ab34f719595de37252d6235365e9b84392b061085349d73"
	"203a4a13e96f5432ec0fd4a1ee65accdd5e3904df54c1da510b0ff20dcc0c77f"
	"cb2c0e0eb605cb0504db87632cf3d8b4dae6e705769d1de354270123cb11450e"
	"fc60ac47683d7b8d0f811365565fd98c4c8eb936bcab8d069fc33bd801b03ade"
	"a2e1fbc5aa463d08ca19896d2bf59a071b851e6c239052172f296bfb5e724047"
	"90a2181014f3b94a4e97d117b438130368cc39dbb2d198065ae3986547926cd2"
	"162f40a29f0c3c8745c0f50fba3852e566d44575c29d39a03f0cda721984b6f4"
	"40591f355e12d439ff150aab7613499dbd49adabc8676eef023b15b65bfc5ca0"
	"6948109f23f350db82123535eb8a7433bdabcb909271a6ecbcb58b936a88cd4e"
	"8f2e6ff5800175f113253d8fa9ca8885c2f552e657dc603f252e1a8e308f76f0"
	"be79e2fb8f5d5fbbe2e30ecadd220723c8c0aea8078cdfcb3868263ff8f09400"
	"54da48781893a7e49ad5aff4af300cd804a6b6279ab3ff3afb64491c85194aab"
	"760d58a606654f9f4400e8b38591356fbf6425aca26dc85244259ff2b19c41b9"
	"f96f3ca9ec1dde434da7d2d392b905ddf3d1f9af93d1af5950bd493f5aa731b4"
	"056df31bd267b6b90a079831aaf579be0a39013137aac6d404f518cfd4684064"
	"7e78bfe706ca4cf5e9c5453e9f7cfd2b8b4c8d169a44e55c88d4a9a7f9474241"
	"e221af44860018ab0856972e194cd934";

/* RFC 9001 A.2: the CRYPTO frame's data, i.e. the ClientHello (241 bytes). */
static const char rfc9001_hello[] =
	"010000ed0303ebf8fa56f12939b9584a3896472ec40bb863cfd3e86804fe3a47f06a"
	"2b69484c00000413011302010000c000000010000e00000b6578616d706c652e636f"
	"6dff01000100000a00080006001d0017001800100007000504616c706e0005000501"
	"00000000003300260024001d00209370b2c9caa47fbabaf4559fedba753de171fa71"
	"f50f1ce15d43e994ec74d748002b0003020304000d0010000e040305030603020308"
	"0408050806002d00020101001c00024001003900320408ffffffffffffffff050480"
	"00ffff07048000ffff0801100104800075300901100f088394c8f03e515708060480"
	"00ffff";

/* RFC 9369 A.2: the first bytes of the protected v2 Initial. */
static const char rfc9369_a2_prefix[] =
	"d76b3343cf088394c8f03e5157080000449ea0c95e82ffe67b6abcdb4298b485"
	"dd04de806071bf03dceebfa16";

static uint8_t hello[512];
static size_t hello_len;
static const uint8_t dcid[8] = {0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08};

/*
 * Protects one client Initial the way a client does (RFC 9001 §5), so the
 * tests can split a ClientHello as browsers do.  Checked against the RFC's
 * own packet below before it is trusted for anything else.
 */
static size_t build_initial(uint8_t *out, bool v2, uint32_t pn,
			    const uint8_t *frames, size_t flen, size_t dgram)
{
	static const uint8_t salt1[20] = {0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34,
					  0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8,
					  0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a};
	static const uint8_t salt2[20] = {0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6,
					  0xdb, 0x81, 0x93, 0x81, 0xbe, 0x6e, 0x26,
					  0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9};
	uint8_t initial[32], client[32], key[16], iv[12], hp[16], mask[16];
	size_t h = 0;

	out[h++] = v2 ? 0xd3 : 0xc3; /* Initial, 4-byte packet number */
	uint32_t ver = v2 ? 0x6b3343cf : 1;
	for (int i = 3; i >= 0; i--)
		out[h++] = (uint8_t)(ver >> (8 * i));
	out[h++] = sizeof(dcid);
	memcpy(out + h, dcid, sizeof(dcid));
	h += sizeof(dcid);
	out[h++] = 0; /* SCID */
	out[h++] = 0; /* token */
	size_t plen = dgram - (h + 2 + 4) - 16;
	size_t length = 4 + plen + 16;
	out[h++] = (uint8_t)(0x40 | length >> 8);
	out[h++] = (uint8_t)length;
	size_t pn_off = h;
	for (int i = 3; i >= 0; i--)
		out[h++] = (uint8_t)(pn >> (8 * i));

	uint8_t payload[2048] = {0};
	memcpy(payload, frames, flen);
	pg_hkdf_extract(v2 ? salt2 : salt1, 20, dcid, sizeof(dcid), initial);
	pg_hkdf_expand_label(initial, "client in", client, 32);
	pg_hkdf_expand_label(client, v2 ? "quicv2 key" : "quic key", key, 16);
	pg_hkdf_expand_label(client, v2 ? "quicv2 iv" : "quic iv", iv, 12);
	pg_hkdf_expand_label(client, v2 ? "quicv2 hp" : "quic hp", hp, 16);
	for (int i = 0; i < 4; i++)
		iv[11 - i] ^= (uint8_t)(pn >> (8 * i));
	pg_aes128_gcm_encrypt(key, iv, out, h, payload, plen, out + h, out + h + plen);

	struct pg_aes128 k;
	pg_aes128_init(&k, hp);
	pg_aes128_encrypt(&k, out + pn_off + 4, mask);
	out[0] ^= mask[0] & 0x0f;
	for (int i = 0; i < 4; i++)
		out[pn_off + i] ^= mask[1 + i];
	return dgram;
}

/* Appends a CRYPTO frame carrying hello[off..off+len). */
static size_t crypto_frame(uint8_t *f, size_t at, size_t off, size_t len)
{
	f[at++] = 0x06;
	if (off < 64) { /* shortest varint, as the RFC's packet has it */
		f[at++] = (uint8_t)off;
	} else {
		f[at++] = (uint8_t)(0x40 | off >> 8);
		f[at++] = (uint8_t)off;
	}
	f[at++] = (uint8_t)(0x40 | len >> 8);
	f[at++] = (uint8_t)len;
	memcpy(f + at, hello + off, len);
	return at + len;
}

/* The first datagram of a flow, from the client. */
static enum pg_detect_status first(struct pg_run *run, const uint8_t *p,
				   size_t n)
{
	pg_run_start(run, &pg_detector_quic, UDP, 50000, 443, 0);
	return pg_run_packet(run, C2S, p, n);
}

static void test_rfc9001(void)
{
	uint8_t pkt[1300], built[1300], frames[600];
	struct pg_quic_info info;
	struct pg_run run;
	const struct pg_detect_result *r = &run.result;
	size_t n = pg_hex(rfc9001_a2, pkt, sizeof(pkt));
	CHECK(n == 1200);

	CHECK(pg_quic_inspect(pkt, n, &info) == PG_QUIC_INITIAL);
	CHECK(info.version == 1);
	CHECK_STR(info.sni, "example.com");
	CHECK(!info.hello_incomplete);

	CHECK(first(&run, pkt, n) == PG_DETECT_MATCH);
	CHECK(r->system == PG_SYS_QUIC);
	CHECK(r->confidence == PG_CONF_DECIDE);
#ifdef PG_DETECT_HOST_BUF
	CHECK(r->host && r->host_len == 11 && memcmp(r->host, "example.com", 11) == 0);
#endif

	/* The test's own packet builder reproduces the RFC packet. */
	size_t fl = crypto_frame(frames, 0, 0, hello_len);
	build_initial(built, false, 2, frames, fl, 1200);
	CHECK(memcmp(built, pkt, 1200) == 0);

	/* A damaged packet does not open: only a weak QUIC hint. */
	pkt[600] ^= 0x01;
	CHECK(pg_quic_inspect(pkt, n, &info) == PG_QUIC_LONG);
	CHECK(first(&run, pkt, n) == PG_DETECT_MATCH);
	CHECK(r->confidence == PG_CONF_WEAK);
	pkt[600] ^= 0x01;

	/* Below the 1200-byte minimum a client Initial is not opened. */
	CHECK(pg_quic_inspect(pkt, 1199, &info) == PG_QUIC_LONG);
	/* Truncated inside the header. */
	CHECK(pg_quic_inspect(pkt, 20, &info) == PG_QUIC_LONG);
}

static void test_rfc9369(void)
{
	uint8_t pkt[1300], frames[600], want[64];
	struct pg_quic_info info;
	size_t fl = crypto_frame(frames, 0, 0, hello_len);
	build_initial(pkt, true, 2, frames, fl, 1200);
	size_t wn = pg_hex(rfc9369_a2_prefix, want, sizeof(want));
	CHECK(memcmp(pkt, want, wn) == 0);
	CHECK(pg_quic_inspect(pkt, 1200, &info) == PG_QUIC_INITIAL);
	CHECK(info.version == 0x6b3343cf);
	CHECK_STR(info.sni, "example.com");
}

static void test_scrambled_frames(void)
{
	/* Chrome-style: CRYPTO frames out of order with PING and PADDING
	 * between them, all in one datagram. */
	uint8_t pkt[1300], frames[600];
	struct pg_quic_info info;
	size_t fl = crypto_frame(frames, 0, 100, hello_len - 100);
	frames[fl++] = 0x01;
	fl = crypto_frame(frames, fl, 0, 40);
	frames[fl++] = 0x00;
	frames[fl++] = 0x00;
	fl = crypto_frame(frames, fl, 40, 60);
	build_initial(pkt, false, 0, frames, fl, 1250);
	CHECK(pg_quic_inspect(pkt, 1250, &info) == PG_QUIC_INITIAL);
	CHECK_STR(info.sni, "example.com");
}

static void test_split_datagrams(void)
{
	/* The ClientHello split over two Initial datagrams at offset 40,
	 * before the server_name extension. */
	uint8_t p1[1300], p2[1300], frames[600];
	struct pg_quic_info info;
	struct pg_run run;
	const struct pg_detect_result *r = &run.result;

	size_t fl = crypto_frame(frames, 0, 0, 40);
	build_initial(p1, false, 0, frames, fl, 1200);
	fl = crypto_frame(frames, 0, 40, hello_len - 40);
	build_initial(p2, false, 1, frames, fl, 1200);

	CHECK(pg_quic_inspect(p1, 1200, &info) == PG_QUIC_INITIAL);
	CHECK(info.hello_incomplete && info.sni_len == 0);
	CHECK(first(&run, p1, 1200) == PG_DETECT_MAYBE);
	/* A server packet in between keeps the question open. */
	CHECK(pg_run_packet(&run, S2C, p1, 40) == PG_DETECT_MAYBE);

	CHECK(pg_quic_inspect(p2, 1200, &info) == PG_QUIC_INITIAL);
	CHECK_STR(info.sni, "example.com");
	CHECK(pg_run_packet(&run, C2S, p2, 1200) == PG_DETECT_MATCH);
	CHECK(r->system == PG_SYS_QUIC && r->confidence == PG_CONF_DECIDE);

	/* If the second half never shows, the flow is settled anyway, on
	 * the fourth client datagram. */
	first(&run, p1, 1200);
	pg_run_packet(&run, S2C, p1, 40);
	CHECK(pg_run_packet(&run, C2S, p1, 1200) == PG_DETECT_MAYBE);
	CHECK(pg_run_packet(&run, C2S, p1, 1200) == PG_DETECT_MAYBE);
	CHECK(pg_run_packet(&run, C2S, p1, 1200) == PG_DETECT_MATCH);
}

static void test_gquic(void)
{
	/* negative/ndpi_quic.pcap, first datagram (Q024, 1350 bytes): public
	 * header, CHLO in clear.  Its PAD value is 391 '-' bytes, rebuilt
	 * here; the SNI follows it. */
	static const char head[] =
		"0db2de5df14f5545eb51303234013b6e8986f83cf3b7a6ab5d0501a001000443"
		"484c4f180000005041440087010000534e49009601000053544b00d001000056"
		"455200d401000043435300e40100004e4f4e43040200004d5350430802000041"
		"4541440c02000055414944240200005343494434020000544349443802000050"
		"444d443c02000053524246400200004943534c44020000505542536402000053"
		"434c53680200004b4558536c020000434f50546c020000434352548402000043"
		"47535488020000495254548c0200004345545630030000434643573403000053"
		"46435738030000";
	uint8_t pkt[1400];
	struct pg_quic_info info;
	struct pg_run run;
	const struct pg_detect_result *r = &run.result;
	size_t n = pg_hex(head, pkt, sizeof(pkt));
	CHECK(n == 231);
	memset(pkt + n, '-', 391);
	n += 391;
	n += pg_hex("6d61696c2e676f6f676c652e636f6d3d3ebfa7b081c46f", pkt + n, 64);

	CHECK(pg_quic_inspect(pkt, n, &info) == PG_QUIC_GQUIC);
	CHECK(info.chlo);
	CHECK_STR(info.sni, "mail.google.com");
	CHECK(first(&run, pkt, n) == PG_DETECT_MATCH);
	CHECK(r->system == PG_SYS_QUIC);
	CHECK(r->host_len == 15 && memcmp(r->host, "mail.google.com", 15) == 0);

	/* Cut before the SNI value: still gQUIC, no name. */
	CHECK(pg_quic_inspect(pkt, 300, &info) == PG_QUIC_GQUIC);
	CHECK(info.chlo && info.sni_len == 0);

	/* telegram/ndpi_telegram.pcap: Q046 long header, CHLO in clear. */
	n = pg_hex("c35130343650a33549135f4a97090000000174b0e0f96180873399bbad86a001"
		   "040043484c4f1900000050414400f5010000534e49000302000053544b003902"
		   "0000564552003d020000434353004d0200004e4f4e436d020000414541447102"
		   "000055414944a002000053434944b002000054434944b402000050444d44b802"
		   "0000534d484cbc0200004943534cc00200004e4f4e50e0020000505542530003"
		   "00004d4944530403000053434c53080300004b4558530c030000584c43541403"
		   "00004353435414030000434f5054140300004343525424030000495254542803"
		   "0000434643572c03000053464357300300002d2d2d2d2d2d2d2d2d2d2d2d2d2d",
		   pkt, sizeof(pkt));
	CHECK(pg_quic_inspect(pkt, n, &info) == PG_QUIC_GQUIC);
	CHECK(info.chlo && info.sni_len == 0);
}

static void test_near_misses(void)
{
	uint8_t pkt[200];
	struct pg_quic_info info;
	struct pg_run run;
	/* negative/ndpi_dnscrypt_skype_false_positive.pcapng: DNSCrypt on
	 * UDP/443 */
	size_t n = pg_hex("d31b02042ac406f3497e6993424b0a16c06e75586651bb4a47b500e1d021af66"
			  "1e16c5859f9d160f796107117ec517179b83ae7412ca145de55cdcc9453d67d6",
			  pkt, sizeof(pkt));
	CHECK(pg_quic_inspect(pkt, n, &info) == PG_QUIC_NONE);
	CHECK(first(&run, pkt, n) == PG_DETECT_NO);
	/* A greased (unknown) version */
	n = pg_hex("c01a2a3a4a08000000000000000000", pkt, sizeof(pkt));
	CHECK(pg_quic_inspect(pkt, n, &info) == PG_QUIC_NONE);
	/* DNS query */
	n = pg_hex("bc1f0100000100000000000003777777076578616d706c6503636f6d00001c0001",
		   pkt, sizeof(pkt));
	CHECK(first(&run, pkt, n) == PG_DETECT_NO);
}

int main(void)
{
	hello_len = pg_hex(rfc9001_hello, hello, sizeof(hello));
	CHECK(hello_len == 241);
	test_rfc9001();
	test_rfc9369();
	test_scrambled_frames();
	test_split_datagrams();
	test_gquic();
	test_near_misses();
	return pg_test_summary("test_detect_quic");
}
