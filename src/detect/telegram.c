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

#include "peergate/crypto.h"
#include "peergate/packet.h"

#include "bytes.h"
#include "detectors.h"

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
	pg_aes256_encrypt_block(init + 8, ctr, ks);
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
