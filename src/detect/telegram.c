/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Telegram: MTProto over TCP and the voice/video call relays over UDP
 * (core.telegram.org/mtproto/mtproto-transports; signatures.md section 18).
 *
 * TCP transports, all client-first:
 *  - abridged: 0xEF, then packets of a length byte (in 4-byte words; 0x7F
 *    and 24 more bits for long ones) and the payload;
 *  - intermediate: EE EE EE EE, then packets of a 32-bit LE length and the
 *    payload; padded intermediate: DD DD DD DD, likewise;
 *  - full: packets of 32-bit LE total length, 32-bit sequence number (0
 *    first) and payload, closed by the CRC32 of all that;
 *  - obfuscated2: 64 bytes that look random.  They are not: the client
 *    encrypts its own init block with AES-256-CTR keyed from bytes 8..39,
 *    IV 40..55, and sends the first 56 bytes in clear and bytes 56..63
 *    encrypted.  Decrypting bytes 56..59 with that key must give the inner
 *    transport's tag (EF EF EF EF, EE EE EE EE or DD DD DD DD): a 32-bit
 *    check any endpoint (and so we) can verify.  Through an MTProxy the key
 *    also hashes the proxy's secret: those and FakeTLS stay unknown.
 * The first payload of a new connection is an unencrypted MTProto message
 * (auth_key_id 0, message id, length, a key-exchange constructor), which
 * confirms the simpler transports; with an existing key it is encrypted
 * (auth_key_id, msg_key, 16-byte blocks) and only the framing is checked.
 *
 * UDP calls through Telegram's reflectors: a 16-byte peer tag followed by
 * twelve 0xFF bytes in the requests and replies that open the call.
 *
 * Everything is reported as feature `im` (TCP; which DC or what the user
 * does is not visible) or `voice-video` (UDP calls).
 */
#include <netinet/in.h>

#include "peergate/packet.h"

#include "bytes.h"
#include "detectors.h"

/* ---- AES-256, encryption of one block (FIPS-197) ---------------------- */

static const uint8_t aes_sbox[256] = {
	0x63, 0x7c, 0x77, 0x7b, 0xf2, 0x6b, 0x6f, 0xc5, 0x30, 0x01, 0x67, 0x2b, 0xfe, 0xd7, 0xab, 0x76,
	0xca, 0x82, 0xc9, 0x7d, 0xfa, 0x59, 0x47, 0xf0, 0xad, 0xd4, 0xa2, 0xaf, 0x9c, 0xa4, 0x72, 0xc0,
	0xb7, 0xfd, 0x93, 0x26, 0x36, 0x3f, 0xf7, 0xcc, 0x34, 0xa5, 0xe5, 0xf1, 0x71, 0xd8, 0x31, 0x15,
	0x04, 0xc7, 0x23, 0xc3, 0x18, 0x96, 0x05, 0x9a, 0x07, 0x12, 0x80, 0xe2, 0xeb, 0x27, 0xb2, 0x75,
	0x09, 0x83, 0x2c, 0x1a, 0x1b, 0x6e, 0x5a, 0xa0, 0x52, 0x3b, 0xd6, 0xb3, 0x29, 0xe3, 0x2f, 0x84,
	0x53, 0xd1, 0x00, 0xed, 0x20, 0xfc, 0xb1, 0x5b, 0x6a, 0xcb, 0xbe, 0x39, 0x4a, 0x4c, 0x58, 0xcf,
	0xd0, 0xef, 0xaa, 0xfb, 0x43, 0x4d, 0x33, 0x85, 0x45, 0xf9, 0x02, 0x7f, 0x50, 0x3c, 0x9f, 0xa8,
	0x51, 0xa3, 0x40, 0x8f, 0x92, 0x9d, 0x38, 0xf5, 0xbc, 0xb6, 0xda, 0x21, 0x10, 0xff, 0xf3, 0xd2,
	0xcd, 0x0c, 0x13, 0xec, 0x5f, 0x97, 0x44, 0x17, 0xc4, 0xa7, 0x7e, 0x3d, 0x64, 0x5d, 0x19, 0x73,
	0x60, 0x81, 0x4f, 0xdc, 0x22, 0x2a, 0x90, 0x88, 0x46, 0xee, 0xb8, 0x14, 0xde, 0x5e, 0x0b, 0xdb,
	0xe0, 0x32, 0x3a, 0x0a, 0x49, 0x06, 0x24, 0x5c, 0xc2, 0xd3, 0xac, 0x62, 0x91, 0x95, 0xe4, 0x79,
	0xe7, 0xc8, 0x37, 0x6d, 0x8d, 0xd5, 0x4e, 0xa9, 0x6c, 0x56, 0xf4, 0xea, 0x65, 0x7a, 0xae, 0x08,
	0xba, 0x78, 0x25, 0x2e, 0x1c, 0xa6, 0xb4, 0xc6, 0xe8, 0xdd, 0x74, 0x1f, 0x4b, 0xbd, 0x8b, 0x8a,
	0x70, 0x3e, 0xb5, 0x66, 0x48, 0x03, 0xf6, 0x0e, 0x61, 0x35, 0x57, 0xb9, 0x86, 0xc1, 0x1d, 0x9e,
	0xe1, 0xf8, 0x98, 0x11, 0x69, 0xd9, 0x8e, 0x94, 0x9b, 0x1e, 0x87, 0xe9, 0xce, 0x55, 0x28, 0xdf,
	0x8c, 0xa1, 0x89, 0x0d, 0xbf, 0xe6, 0x42, 0x68, 0x41, 0x99, 0x2d, 0x0f, 0xb0, 0x54, 0xbb, 0x16,
};

static uint8_t aes_xtime(uint8_t x)
{
	return (uint8_t)((x << 1) ^ ((x & 0x80) ? 0x1b : 0x00));
}

/* Encrypts one 16-byte block with a 256-bit key: 14 rounds over 15 round
 * keys expanded on the fly into a local array (no state survives). */
static void aes256_encrypt_block(const uint8_t key[32], const uint8_t in[16],
				 uint8_t out[16])
{
	uint8_t rk[240];
	uint8_t rcon = 0x01;

	memcpy(rk, key, 32);
	for (size_t i = 32; i < sizeof(rk); i += 4) {
		uint8_t t[4] = {rk[i - 4], rk[i - 3], rk[i - 2], rk[i - 1]};
		if (i % 32 == 0) {
			uint8_t t0 = t[0];
			t[0] = (uint8_t)(aes_sbox[t[1]] ^ rcon);
			t[1] = aes_sbox[t[2]];
			t[2] = aes_sbox[t[3]];
			t[3] = aes_sbox[t0];
			rcon = aes_xtime(rcon);
		} else if (i % 32 == 16) {
			for (int k = 0; k < 4; k++)
				t[k] = aes_sbox[t[k]];
		}
		for (int k = 0; k < 4; k++)
			rk[i + (size_t)k] = (uint8_t)(rk[i - 32 + (size_t)k] ^ t[k]);
	}

	uint8_t st[16];
	for (int k = 0; k < 16; k++)
		st[k] = (uint8_t)(in[k] ^ rk[k]);
	for (int round = 1; round <= 14; round++) {
		uint8_t tmp[16];
		/* SubBytes and ShiftRows (state is column-major: byte r + 4c) */
		for (int c = 0; c < 4; c++)
			for (int r = 0; r < 4; r++)
				tmp[r + 4 * c] = aes_sbox[st[r + 4 * ((c + r) % 4)]];
		if (round < 14) { /* MixColumns */
			for (int c = 0; c < 4; c++) {
				uint8_t *col = tmp + 4 * c;
				uint8_t a0 = col[0], a1 = col[1], a2 = col[2], a3 = col[3];
				uint8_t all = (uint8_t)(a0 ^ a1 ^ a2 ^ a3);
				col[0] = (uint8_t)(a0 ^ all ^ aes_xtime((uint8_t)(a0 ^ a1)));
				col[1] = (uint8_t)(a1 ^ all ^ aes_xtime((uint8_t)(a1 ^ a2)));
				col[2] = (uint8_t)(a2 ^ all ^ aes_xtime((uint8_t)(a2 ^ a3)));
				col[3] = (uint8_t)(a3 ^ all ^ aes_xtime((uint8_t)(a3 ^ a0)));
			}
		}
		for (int k = 0; k < 16; k++)
			st[k] = (uint8_t)(tmp[k] ^ rk[16 * round + k]);
	}
	memcpy(out, st, 16);
}

/* ---- MTProto over TCP -------------------------------------------------- */

/* A connection's first MTProto message (a key exchange, or a resumed
 * session's first request) is well under this; waiting for more than an
 * inspection buffer holds would only stall. */
enum { TG_MAX_FIRST = 4096 };

enum {
	TG_TAG_ABRIDGED = 0xefefefefu,
	TG_TAG_INTERMEDIATE = 0xeeeeeeeeu,
	TG_TAG_PADDED = 0xddddddddu,
};

/* Decrypts bytes 56..63 of an obfuscated2 init block and checks the inner
 * transport tag.  Bytes 48..63 are the fourth CTR block, counter IV + 3
 * (the IV is a big-endian 128-bit counter). */
static bool tg_obfuscated2(const uint8_t init[64])
{
	uint8_t ctr[16], ks[16];
	memcpy(ctr, init + 40, 16);
	unsigned carry = 3;
	for (int k = 15; k >= 0 && carry; k--) {
		unsigned v = ctr[k] + carry;
		ctr[k] = (uint8_t)v;
		carry = v >> 8;
	}
	aes256_encrypt_block(init + 8, ctr, ks);
	uint8_t tag[4];
	for (int k = 0; k < 4; k++)
		tag[k] = (uint8_t)(init[56 + k] ^ ks[8 + k]);
	uint32_t t = pg_be32(tag);
	return t == TG_TAG_ABRIDGED || t == TG_TAG_INTERMEDIATE ||
	       t == TG_TAG_PADDED;
}

/* An unencrypted MTProto message opening a key exchange: auth_key_id 0, a
 * message id, a length that matches what follows (up to `slack` bytes of
 * transport padding) and a key-exchange constructor. */
static bool tg_plain_message(const uint8_t *m, size_t len, size_t slack)
{
	if (len < 24)
		return false;
	for (int k = 0; k < 8; k++)
		if (m[k] != 0)
			return false;
	if (pg_le32(m + 8) == 0 && pg_le32(m + 12) == 0)
		return false; /* message id */
	uint32_t mlen = pg_le32(m + 16);
	if (mlen > len - 20 || len - 20 - mlen > slack)
		return false;
	switch (pg_le32(m + 20)) {
	case 0x60469778: /* req_pq */
	case 0xbe7e8ef1: /* req_pq_multi */
	case 0xd712e4be: /* req_DH_params */
	case 0xf5045f1f: /* set_client_DH_params */
		return true;
	default:
		return false;
	}
}

/* An encrypted MTProto message: auth_key_id, msg_key, then whole AES
 * blocks. */
static bool tg_encrypted_message(const uint8_t *m, size_t len, size_t slack)
{
	if (len < 24 + 16)
		return false;
	uint32_t lo = pg_le32(m), hi = pg_le32(m + 4);
	if (lo == 0 && hi == 0)
		return false;
	for (size_t pad = 0; pad <= slack && pad + 40 <= len; pad++)
		if ((len - pad - 24) % 16 == 0)
			return true;
	return false;
}

static uint32_t tg_crc32(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;
	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
	}
	return ~c;
}

struct tg_verdict {
	enum pg_detect_status status;
	uint8_t confidence;
};

static struct tg_verdict tgv(enum pg_detect_status st, uint8_t conf)
{
	struct tg_verdict v = {st, conf};
	return v;
}

/* The client's stream.  Payload-level checks need the whole first packet
 * of the transport. */
static struct tg_verdict tg_tcp_client(const uint8_t *s, size_t n)
{
	if (n == 0)
		return tgv(PG_DETECT_MAYBE, 0);

	/* abridged */
	if (s[0] == 0xef) {
		if (n < 2)
			return tgv(PG_DETECT_MAYBE, 0);
		/* The top bit of the length byte asks for a quick ack. */
		uint8_t lb = s[1] & 0x7f;
		size_t hdr = 2, plen = (size_t)lb * 4;
		if (lb == 0x7f) {
			if (n < 5)
				return tgv(PG_DETECT_MAYBE, 0);
			hdr = 5;
			plen = ((size_t)s[2] | (size_t)s[3] << 8 | (size_t)s[4] << 16) * 4;
		}
		if (plen < 24)
			return tgv(PG_DETECT_NO, 0);
		if (n < hdr + plen)
			return tgv(plen <= TG_MAX_FIRST ? PG_DETECT_MAYBE : PG_DETECT_NO, 0);
		if (tg_plain_message(s + hdr, plen, 0))
			return tgv(PG_DETECT_MATCH, PG_CONF_STRONG);
		if (tg_encrypted_message(s + hdr, plen, 0))
			return tgv(PG_DETECT_MATCH, PG_CONF_WEAK);
		return tgv(PG_DETECT_NO, 0);
	}

	/* intermediate and padded intermediate: a 32-bit tag */
	if (s[0] == 0xee || s[0] == 0xdd) {
		uint8_t b = s[0];
		size_t k = n < 4 ? n : 4;
		for (size_t i = 1; i < k; i++)
			if (s[i] != b)
				goto not_tagged;
		if (n < 8)
			return tgv(PG_DETECT_MAYBE, 0);
		size_t plen = pg_le32(s + 4);
		if (plen < 24 || plen > 1 << 20)
			return tgv(PG_DETECT_NO, 0);
		if (n < 8 + plen)
			return tgv(plen <= TG_MAX_FIRST ? PG_DETECT_MAYBE : PG_DETECT_NO, 0);
		size_t slack = b == 0xdd ? 15 : 0;
		if (tg_plain_message(s + 8, plen, slack) ||
		    tg_encrypted_message(s + 8, plen, slack))
			return tgv(PG_DETECT_MATCH, PG_CONF_STRONG);
		return tgv(PG_DETECT_NO, 0);
	}
not_tagged:

	/* obfuscated2: the 64-byte init, checked by decryption */
	if (n >= 64 && tg_obfuscated2(s))
		return tgv(PG_DETECT_MATCH, PG_CONF_STRONG);

	/* full: length, sequence number 0, payload, CRC32 */
	if (n >= 4) {
		size_t tlen = pg_le32(s);
		if (tlen >= 12 + 24 && tlen <= TG_MAX_FIRST && tlen % 4 == 0 &&
		    (n < 8 || pg_le32(s + 4) == 0)) {
			if (n < tlen)
				return tgv(PG_DETECT_MAYBE, 0);
			if (pg_le32(s + tlen - 4) == tg_crc32(s, tlen - 4))
				return tgv(PG_DETECT_MATCH, PG_CONF_CERTAIN);
		}
	}
	/* Less than an obfuscated2 init so far: keep waiting, unless the
	 * bytes are plain text (a banner, a request line), which no MTProto
	 * transport opens with. */
	if (n < 64) {
		size_t printable = 0;
		for (size_t i = 0; i < n; i++)
			if ((s[i] >= 0x20 && s[i] < 0x7f) || s[i] == '\r' || s[i] == '\n')
				printable++;
		return tgv(n >= 8 && printable == n ? PG_DETECT_NO : PG_DETECT_MAYBE, 0);
	}
	return tgv(PG_DETECT_NO, 0);
}

/* ---- UDP call relays ---------------------------------------------------- */

static bool tg_all(const uint8_t *p, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

/* A reflector packet: a 16-byte peer tag that is neither blank nor all
 * ones, then twelve 0xFF bytes. */
static bool tg_reflector(const uint8_t *p, size_t n)
{
	return n >= 32 && n <= 1500 && tg_all(p + 16, 12, 0xff) &&
	       !tg_all(p, 16, 0xff) && !tg_all(p, 16, 0x00);
}

static enum pg_detect_status tg_detect(const struct pg_detect_input *in,
				       struct pg_detect_result *out)
{
	if (!pg_is_tcp(in)) {
		const uint8_t *p = in->payload;
		size_t n = in->payload_len;
		size_t on;
		const uint8_t *o = pg_other(in, &on);
		if (tg_reflector(p, n) || (on && tg_reflector(o, on)))
			return pg_match(out, PG_SYS_TELEGRAM, PG_FEAT_VOICE_VIDEO,
					PG_CONF_STRONG);
		/* Later relay packets keep the peer tag in both directions. */
		if (n >= 32 && on >= 32 && memcmp(p, o, 16) == 0 &&
		    !tg_all(p, 16, 0x00) && !tg_all(p, 16, 0xff))
			return pg_match(out, PG_SYS_TELEGRAM, PG_FEAT_VOICE_VIDEO,
					PG_CONF_WEAK);
		return n < 32 ? PG_DETECT_NO : PG_DETECT_MAYBE;
	}

	/* Only the client's opening says anything; a server that talks
	 * first is not Telegram's. */
	struct pg_sides sides = pg_sides_of(in);
	if (sides.c2s_len == 0 && sides.s2c_len > 0)
		return PG_DETECT_NO;
	struct tg_verdict v = tg_tcp_client(sides.c2s, sides.c2s_len);
	if (v.status == PG_DETECT_MATCH)
		return pg_match(out, PG_SYS_TELEGRAM, PG_FEAT_IM, v.confidence);
	return v.status;
}

const struct pg_detector pg_detector_telegram = {
	.name = "telegram",
	.l4_mask = PG_L4_TCP | PG_L4_UDP,
	.fn = tg_detect,
};
