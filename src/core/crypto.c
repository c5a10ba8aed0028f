/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SHA-256, HMAC, HKDF, AES-128 and GCM, written from the standards named in
 * peergate/crypto.h for QUIC Initial packet protection.  Byte-oriented and
 * table-light on purpose: a client Initial is about 75 blocks, so clarity
 * costs nothing measurable.
 */
#include "peergate/crypto.h"

#include <string.h>

/* FIPS 180-4 §4.2.2: the first 32 bits of the fractional parts of the cube
 * roots of the first 64 primes. */
static const uint32_t sha256_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5,
	0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
	0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
	0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3,
	0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5,
	0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/* FIPS 180-4 §5.3.3: the same for the square roots of the first 8 primes. */
static const uint32_t sha256_h0[8] = {
	0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

/* FIPS 197 §5.1.1: multiplicative inverse in GF(2^8) followed by the affine
 * transformation.  Generated from that definition, checked by the FIPS 197
 * test vectors in test/unit/test_crypto.c. */
static const uint8_t aes_sbox[256] = {
	0x63, 0x7c, 0x77, 0x7b, 0xf2, 0x6b, 0x6f, 0xc5,
	0x30, 0x01, 0x67, 0x2b, 0xfe, 0xd7, 0xab, 0x76,
	0xca, 0x82, 0xc9, 0x7d, 0xfa, 0x59, 0x47, 0xf0,
	0xad, 0xd4, 0xa2, 0xaf, 0x9c, 0xa4, 0x72, 0xc0,
	0xb7, 0xfd, 0x93, 0x26, 0x36, 0x3f, 0xf7, 0xcc,
	0x34, 0xa5, 0xe5, 0xf1, 0x71, 0xd8, 0x31, 0x15,
	0x04, 0xc7, 0x23, 0xc3, 0x18, 0x96, 0x05, 0x9a,
	0x07, 0x12, 0x80, 0xe2, 0xeb, 0x27, 0xb2, 0x75,
	0x09, 0x83, 0x2c, 0x1a, 0x1b, 0x6e, 0x5a, 0xa0,
	0x52, 0x3b, 0xd6, 0xb3, 0x29, 0xe3, 0x2f, 0x84,
	0x53, 0xd1, 0x00, 0xed, 0x20, 0xfc, 0xb1, 0x5b,
	0x6a, 0xcb, 0xbe, 0x39, 0x4a, 0x4c, 0x58, 0xcf,
	0xd0, 0xef, 0xaa, 0xfb, 0x43, 0x4d, 0x33, 0x85,
	0x45, 0xf9, 0x02, 0x7f, 0x50, 0x3c, 0x9f, 0xa8,
	0x51, 0xa3, 0x40, 0x8f, 0x92, 0x9d, 0x38, 0xf5,
	0xbc, 0xb6, 0xda, 0x21, 0x10, 0xff, 0xf3, 0xd2,
	0xcd, 0x0c, 0x13, 0xec, 0x5f, 0x97, 0x44, 0x17,
	0xc4, 0xa7, 0x7e, 0x3d, 0x64, 0x5d, 0x19, 0x73,
	0x60, 0x81, 0x4f, 0xdc, 0x22, 0x2a, 0x90, 0x88,
	0x46, 0xee, 0xb8, 0x14, 0xde, 0x5e, 0x0b, 0xdb,
	0xe0, 0x32, 0x3a, 0x0a, 0x49, 0x06, 0x24, 0x5c,
	0xc2, 0xd3, 0xac, 0x62, 0x91, 0x95, 0xe4, 0x79,
	0xe7, 0xc8, 0x37, 0x6d, 0x8d, 0xd5, 0x4e, 0xa9,
	0x6c, 0x56, 0xf4, 0xea, 0x65, 0x7a, 0xae, 0x08,
	0xba, 0x78, 0x25, 0x2e, 0x1c, 0xa6, 0xb4, 0xc6,
	0xe8, 0xdd, 0x74, 0x1f, 0x4b, 0xbd, 0x8b, 0x8a,
	0x70, 0x3e, 0xb5, 0x66, 0x48, 0x03, 0xf6, 0x0e,
	0x61, 0x35, 0x57, 0xb9, 0x86, 0xc1, 0x1d, 0x9e,
	0xe1, 0xf8, 0x98, 0x11, 0x69, 0xd9, 0x8e, 0x94,
	0x9b, 0x1e, 0x87, 0xe9, 0xce, 0x55, 0x28, 0xdf,
	0x8c, 0xa1, 0x89, 0x0d, 0xbf, 0xe6, 0x42, 0x68,
	0x41, 0x99, 0x2d, 0x0f, 0xb0, 0x54, 0xbb, 0x16,
};

/* SubBytes and MixColumns for one input byte (the table formulation
 * the Rijndael designers describe): bytes {02}*S[x], S[x], S[x], {03}*S[x] as the rows 0-3 of a
 * column, row 0 in the low byte.  Generated from aes_sbox. */
static const uint32_t aes_t0[256] = {
	0xa56363c6, 0x847c7cf8, 0x997777ee, 0x8d7b7bf6,
	0x0df2f2ff, 0xbd6b6bd6, 0xb16f6fde, 0x54c5c591,
	0x50303060, 0x03010102, 0xa96767ce, 0x7d2b2b56,
	0x19fefee7, 0x62d7d7b5, 0xe6abab4d, 0x9a7676ec,
	0x45caca8f, 0x9d82821f, 0x40c9c989, 0x877d7dfa,
	0x15fafaef, 0xeb5959b2, 0xc947478e, 0x0bf0f0fb,
	0xecadad41, 0x67d4d4b3, 0xfda2a25f, 0xeaafaf45,
	0xbf9c9c23, 0xf7a4a453, 0x967272e4, 0x5bc0c09b,
	0xc2b7b775, 0x1cfdfde1, 0xae93933d, 0x6a26264c,
	0x5a36366c, 0x413f3f7e, 0x02f7f7f5, 0x4fcccc83,
	0x5c343468, 0xf4a5a551, 0x34e5e5d1, 0x08f1f1f9,
	0x937171e2, 0x73d8d8ab, 0x53313162, 0x3f15152a,
	0x0c040408, 0x52c7c795, 0x65232346, 0x5ec3c39d,
	0x28181830, 0xa1969637, 0x0f05050a, 0xb59a9a2f,
	0x0907070e, 0x36121224, 0x9b80801b, 0x3de2e2df,
	0x26ebebcd, 0x6927274e, 0xcdb2b27f, 0x9f7575ea,
	0x1b090912, 0x9e83831d, 0x742c2c58, 0x2e1a1a34,
	0x2d1b1b36, 0xb26e6edc, 0xee5a5ab4, 0xfba0a05b,
	0xf65252a4, 0x4d3b3b76, 0x61d6d6b7, 0xceb3b37d,
	0x7b292952, 0x3ee3e3dd, 0x712f2f5e, 0x97848413,
	0xf55353a6, 0x68d1d1b9, 0x00000000, 0x2cededc1,
	0x60202040, 0x1ffcfce3, 0xc8b1b179, 0xed5b5bb6,
	0xbe6a6ad4, 0x46cbcb8d, 0xd9bebe67, 0x4b393972,
	0xde4a4a94, 0xd44c4c98, 0xe85858b0, 0x4acfcf85,
	0x6bd0d0bb, 0x2aefefc5, 0xe5aaaa4f, 0x16fbfbed,
	0xc5434386, 0xd74d4d9a, 0x55333366, 0x94858511,
	0xcf45458a, 0x10f9f9e9, 0x06020204, 0x817f7ffe,
	0xf05050a0, 0x443c3c78, 0xba9f9f25, 0xe3a8a84b,
	0xf35151a2, 0xfea3a35d, 0xc0404080, 0x8a8f8f05,
	0xad92923f, 0xbc9d9d21, 0x48383870, 0x04f5f5f1,
	0xdfbcbc63, 0xc1b6b677, 0x75dadaaf, 0x63212142,
	0x30101020, 0x1affffe5, 0x0ef3f3fd, 0x6dd2d2bf,
	0x4ccdcd81, 0x140c0c18, 0x35131326, 0x2fececc3,
	0xe15f5fbe, 0xa2979735, 0xcc444488, 0x3917172e,
	0x57c4c493, 0xf2a7a755, 0x827e7efc, 0x473d3d7a,
	0xac6464c8, 0xe75d5dba, 0x2b191932, 0x957373e6,
	0xa06060c0, 0x98818119, 0xd14f4f9e, 0x7fdcdca3,
	0x66222244, 0x7e2a2a54, 0xab90903b, 0x8388880b,
	0xca46468c, 0x29eeeec7, 0xd3b8b86b, 0x3c141428,
	0x79dedea7, 0xe25e5ebc, 0x1d0b0b16, 0x76dbdbad,
	0x3be0e0db, 0x56323264, 0x4e3a3a74, 0x1e0a0a14,
	0xdb494992, 0x0a06060c, 0x6c242448, 0xe45c5cb8,
	0x5dc2c29f, 0x6ed3d3bd, 0xefacac43, 0xa66262c4,
	0xa8919139, 0xa4959531, 0x37e4e4d3, 0x8b7979f2,
	0x32e7e7d5, 0x43c8c88b, 0x5937376e, 0xb76d6dda,
	0x8c8d8d01, 0x64d5d5b1, 0xd24e4e9c, 0xe0a9a949,
	0xb46c6cd8, 0xfa5656ac, 0x07f4f4f3, 0x25eaeacf,
	0xaf6565ca, 0x8e7a7af4, 0xe9aeae47, 0x18080810,
	0xd5baba6f, 0x887878f0, 0x6f25254a, 0x722e2e5c,
	0x241c1c38, 0xf1a6a657, 0xc7b4b473, 0x51c6c697,
	0x23e8e8cb, 0x7cdddda1, 0x9c7474e8, 0x211f1f3e,
	0xdd4b4b96, 0xdcbdbd61, 0x868b8b0d, 0x858a8a0f,
	0x907070e0, 0x423e3e7c, 0xc4b5b571, 0xaa6666cc,
	0xd8484890, 0x05030306, 0x01f6f6f7, 0x120e0e1c,
	0xa36161c2, 0x5f35356a, 0xf95757ae, 0xd0b9b969,
	0x91868617, 0x58c1c199, 0x271d1d3a, 0xb99e9e27,
	0x38e1e1d9, 0x13f8f8eb, 0xb398982b, 0x33111122,
	0xbb6969d2, 0x70d9d9a9, 0x898e8e07, 0xa7949433,
	0xb69b9b2d, 0x221e1e3c, 0x92878715, 0x20e9e9c9,
	0x49cece87, 0xff5555aa, 0x78282850, 0x7adfdfa5,
	0x8f8c8c03, 0xf8a1a159, 0x80898909, 0x170d0d1a,
	0xdabfbf65, 0x31e6e6d7, 0xc6424284, 0xb86868d0,
	0xc3414182, 0xb0999929, 0x772d2d5a, 0x110f0f1e,
	0xcbb0b07b, 0xfc5454a8, 0xd6bbbb6d, 0x3a16162c,
};

/* GHASH reduction when a 4-bit shift pushes coefficients x^128..x^131 out:
 * x^128 = 1 + x + x^2 + x^7 (SP 800-38D §6.3), shifted into the top 16
 * bits. */
static const uint16_t ghash_red4[16] = {
	0x0000, 0x1c20, 0x3840, 0x2460, 0x7080, 0x6ca0, 0x48c0, 0x54e0,
	0xe100, 0xfd20, 0xd940, 0xc560, 0x9180, 0x8da0, 0xa9c0, 0xb5e0,
};

/* ---- SHA-256 (FIPS 180-4 §6.2) ---- */

static uint32_t rotr32(uint32_t x, unsigned n)
{
	return (x >> n) | (x << (32 - n));
}

static uint32_t load_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void store_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void store_be64(uint8_t *p, uint64_t v)
{
	store_be32(p, (uint32_t)(v >> 32));
	store_be32(p + 4, (uint32_t)v);
}

static void sha256_block(uint32_t h[8], const uint8_t *blk)
{
	uint32_t w[64];
	for (int t = 0; t < 16; t++)
		w[t] = load_be32(blk + 4 * t);
	for (int t = 16; t < 64; t++) {
		uint32_t s0 = rotr32(w[t - 15], 7) ^ rotr32(w[t - 15], 18) ^
			      (w[t - 15] >> 3);
		uint32_t s1 = rotr32(w[t - 2], 17) ^ rotr32(w[t - 2], 19) ^
			      (w[t - 2] >> 10);
		w[t] = w[t - 16] + s0 + w[t - 7] + s1;
	}
	uint32_t a = h[0], b = h[1], c = h[2], d = h[3];
	uint32_t e = h[4], f = h[5], g = h[6], k = h[7];
	for (int t = 0; t < 64; t++) {
		uint32_t S1 = rotr32(e, 6) ^ rotr32(e, 11) ^ rotr32(e, 25);
		uint32_t ch = (e & f) ^ (~e & g);
		uint32_t t1 = k + S1 + ch + sha256_k[t] + w[t];
		uint32_t S0 = rotr32(a, 2) ^ rotr32(a, 13) ^ rotr32(a, 22);
		uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
		uint32_t t2 = S0 + maj;
		k = g;
		g = f;
		f = e;
		e = d + t1;
		d = c;
		c = b;
		b = a;
		a = t1 + t2;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
	h[5] += f;
	h[6] += g;
	h[7] += k;
}

void pg_sha256_init(struct pg_sha256 *c)
{
	memcpy(c->h, sha256_h0, sizeof(c->h));
	c->total = 0;
	c->used = 0;
}

void pg_sha256_update(struct pg_sha256 *c, const void *data, size_t len)
{
	const uint8_t *p = data;
	c->total += len;
	if (c->used) {
		size_t take = PG_SHA256_BLOCK - c->used;
		if (take > len)
			take = len;
		memcpy(c->buf + c->used, p, take);
		c->used += take;
		p += take;
		len -= take;
		if (c->used < PG_SHA256_BLOCK)
			return;
		sha256_block(c->h, c->buf);
		c->used = 0;
	}
	for (; len >= PG_SHA256_BLOCK; p += PG_SHA256_BLOCK, len -= PG_SHA256_BLOCK)
		sha256_block(c->h, p);
	memcpy(c->buf, p, len);
	c->used = len;
}

void pg_sha256_final(struct pg_sha256 *c, uint8_t out[PG_SHA256_LEN])
{
	/* Padding (§5.1.1): 0x80, zeros, then the length in bits, so that
	 * the message ends on a block boundary. */
	uint64_t bits = c->total * 8;
	c->buf[c->used++] = 0x80;
	if (c->used > PG_SHA256_BLOCK - 8) {
		memset(c->buf + c->used, 0, PG_SHA256_BLOCK - c->used);
		sha256_block(c->h, c->buf);
		c->used = 0;
	}
	memset(c->buf + c->used, 0, PG_SHA256_BLOCK - 8 - c->used);
	store_be64(c->buf + PG_SHA256_BLOCK - 8, bits);
	sha256_block(c->h, c->buf);
	for (int i = 0; i < 8; i++)
		store_be32(out + 4 * i, c->h[i]);
	memset(c, 0, sizeof(*c));
}

void pg_sha256(const void *data, size_t len, uint8_t out[PG_SHA256_LEN])
{
	struct pg_sha256 c;
	pg_sha256_init(&c);
	pg_sha256_update(&c, data, len);
	pg_sha256_final(&c, out);
}

/* ---- HMAC (RFC 2104) ---- */

void pg_hmac_sha256_init(struct pg_hmac_sha256 *c, const uint8_t *key,
			 size_t key_len)
{
	uint8_t k[PG_SHA256_BLOCK] = {0};
	uint8_t pad[PG_SHA256_BLOCK];

	/* Keys longer than a block are hashed first. */
	if (key_len > PG_SHA256_BLOCK)
		pg_sha256(key, key_len, k);
	else if (key_len)
		memcpy(k, key, key_len);
	for (int i = 0; i < PG_SHA256_BLOCK; i++)
		pad[i] = k[i] ^ 0x36;
	pg_sha256_init(&c->inner);
	pg_sha256_update(&c->inner, pad, sizeof(pad));
	for (int i = 0; i < PG_SHA256_BLOCK; i++)
		pad[i] = k[i] ^ 0x5c;
	pg_sha256_init(&c->outer);
	pg_sha256_update(&c->outer, pad, sizeof(pad));
}

void pg_hmac_sha256_update(struct pg_hmac_sha256 *c, const void *data,
			   size_t len)
{
	pg_sha256_update(&c->inner, data, len);
}

void pg_hmac_sha256_final(struct pg_hmac_sha256 *c, uint8_t out[PG_SHA256_LEN])
{
	uint8_t ih[PG_SHA256_LEN];
	pg_sha256_final(&c->inner, ih);
	pg_sha256_update(&c->outer, ih, sizeof(ih));
	pg_sha256_final(&c->outer, out);
}

void pg_hmac_sha256(const uint8_t *key, size_t key_len, const void *msg,
		    size_t len, uint8_t out[PG_SHA256_LEN])
{
	struct pg_hmac_sha256 c;
	pg_hmac_sha256_init(&c, key, key_len);
	pg_hmac_sha256_update(&c, msg, len);
	pg_hmac_sha256_final(&c, out);
}

/* ---- HKDF (RFC 5869) and the TLS 1.3 label form (RFC 8446 §7.1) ---- */

void pg_hkdf_extract(const uint8_t *salt, size_t salt_len, const uint8_t *ikm,
		     size_t ikm_len, uint8_t prk[PG_SHA256_LEN])
{
	static const uint8_t zeros[PG_SHA256_LEN];
	if (!salt || salt_len == 0) { /* RFC 5869 §2.2: HashLen zeros */
		salt = zeros;
		salt_len = sizeof(zeros);
	}
	pg_hmac_sha256(salt, salt_len, ikm, ikm_len, prk);
}

bool pg_hkdf_expand(const uint8_t prk[PG_SHA256_LEN], const uint8_t *info,
		    size_t info_len, uint8_t *out, size_t out_len)
{
	uint8_t t[PG_SHA256_LEN];
	size_t tlen = 0, done = 0;

	if (out_len > 255 * PG_SHA256_LEN)
		return false;
	for (uint8_t i = 1; done < out_len; i++) {
		/* T(i) = HMAC(PRK, T(i-1) | info | i) */
		struct pg_hmac_sha256 c;
		pg_hmac_sha256_init(&c, prk, PG_SHA256_LEN);
		pg_hmac_sha256_update(&c, t, tlen);
		if (info_len)
			pg_hmac_sha256_update(&c, info, info_len);
		pg_hmac_sha256_update(&c, &i, 1);
		pg_hmac_sha256_final(&c, t);
		tlen = sizeof(t);
		size_t take = out_len - done < tlen ? out_len - done : tlen;
		memcpy(out + done, t, take);
		done += take;
	}
	return true;
}

bool pg_hkdf_expand_label(const uint8_t secret[PG_SHA256_LEN],
			  const char *label, uint8_t *out, size_t out_len)
{
	/* struct { uint16 length; opaque label<7..255> = "tls13 " + label;
	 *          opaque context<0..255> = ""; } HkdfLabel; */
	static const char prefix[] = "tls13 ";
	uint8_t info[2 + 1 + 255 + 1];
	size_t plen = sizeof(prefix) - 1, llen = strlen(label);

	if (plen + llen > 255 || out_len > 0xffff)
		return false;
	info[0] = (uint8_t)(out_len >> 8);
	info[1] = (uint8_t)out_len;
	info[2] = (uint8_t)(plen + llen);
	memcpy(info + 3, prefix, plen);
	memcpy(info + 3 + plen, label, llen);
	info[3 + plen + llen] = 0;
	return pg_hkdf_expand(secret, info, 4 + plen + llen, out, out_len);
}

/* ---- AES-128 forward cipher (FIPS 197 §5.1, §5.2) ---- */

/* Multiplication by x in GF(2^8) modulo x^8 + x^4 + x^3 + x + 1. */
static uint8_t xtime(uint8_t b)
{
	return (uint8_t)((b << 1) ^ ((b & 0x80) ? 0x1b : 0));
}

void pg_aes128_init(struct pg_aes128 *k, const uint8_t key[16])
{
	uint8_t rcon = 0x01;
	memcpy(k->rk[0], key, 16);
	for (int r = 1; r <= 10; r++) {
		const uint8_t *prev = k->rk[r - 1];
		uint8_t *cur = k->rk[r];
		/* RotWord, SubWord, Rcon on the last word of the previous
		 * round key, then a running XOR across the four words. */
		uint8_t t[4] = {
			(uint8_t)(aes_sbox[prev[13]] ^ rcon), aes_sbox[prev[14]],
			aes_sbox[prev[15]], aes_sbox[prev[12]],
		};
		for (int i = 0; i < 4; i++)
			cur[i] = prev[i] ^ t[i];
		for (int i = 4; i < 16; i++)
			cur[i] = prev[i] ^ cur[i - 4];
		rcon = xtime(rcon);
	}
}

static uint32_t rotl32(uint32_t x, unsigned n)
{
	return (x << n) | (x >> (32 - n));
}

static uint32_t load_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

void pg_aes128_encrypt(const struct pg_aes128 *k, const uint8_t in[16],
		       uint8_t out[16])
{
	/* The state as four columns, row 0 in each word's low byte. */
	uint32_t s[4], t[4];

	for (int c = 0; c < 4; c++)
		s[c] = load_le32(in + 4 * c) ^ load_le32(k->rk[0] + 4 * c);
	for (int round = 1; round < 10; round++) {
		/* SubBytes, ShiftRows (row r of column c comes from column
		 * c + r) and MixColumns in one table step per byte: the
		 * table holds the column an input byte in row 0 adds; rows
		 * 1-3 use the same column rotated. */
		for (int c = 0; c < 4; c++)
			t[c] = aes_t0[s[c] & 0xff] ^
			       rotl32(aes_t0[(s[(c + 1) & 3] >> 8) & 0xff], 8) ^
			       rotl32(aes_t0[(s[(c + 2) & 3] >> 16) & 0xff], 16) ^
			       rotl32(aes_t0[s[(c + 3) & 3] >> 24], 24) ^
			       load_le32(k->rk[round] + 4 * c);
		memcpy(s, t, sizeof(s));
	}
	/* The last round has no MixColumns. */
	for (int c = 0; c < 4; c++) {
		uint32_t w = (uint32_t)aes_sbox[s[c] & 0xff] |
			     (uint32_t)aes_sbox[(s[(c + 1) & 3] >> 8) & 0xff] << 8 |
			     (uint32_t)aes_sbox[(s[(c + 2) & 3] >> 16) & 0xff] << 16 |
			     (uint32_t)aes_sbox[s[(c + 3) & 3] >> 24] << 24;
		w ^= load_le32(k->rk[10] + 4 * c);
		out[4 * c] = (uint8_t)w;
		out[4 * c + 1] = (uint8_t)(w >> 8);
		out[4 * c + 2] = (uint8_t)(w >> 16);
		out[4 * c + 3] = (uint8_t)(w >> 24);
	}
}

/* ---- GCM (NIST SP 800-38D) ---- */

struct gf128 {
	uint64_t hi, lo;  /* bit 0 of the spec is the top bit of hi */
};

static struct gf128 gf_load(const uint8_t b[16])
{
	struct gf128 v = {0, 0};
	for (int i = 0; i < 8; i++) {
		v.hi = v.hi << 8 | b[i];
		v.lo = v.lo << 8 | b[8 + i];
	}
	return v;
}

static void gf_store(uint8_t b[16], struct gf128 v)
{
	store_be64(b, v.hi);
	store_be64(b + 8, v.lo);
}

/* Multiplication by x: a right shift in this bit order, reduced by
 * R = 11100001 || 0^120 (§6.3). */
static struct gf128 gf_times_x(struct gf128 v)
{
	bool carry = v.lo & 1;
	v.lo = v.lo >> 1 | v.hi << 63;
	v.hi >>= 1;
	if (carry)
		v.hi ^= 0xe100000000000000ULL;
	return v;
}

/*
 * Multiplication by H four bits at a time (Shoup's method): m[v] holds H
 * times the 4-bit polynomial v (its top bit the x^0 coefficient, as the
 * bits stand in a byte).  A product is then Horner's rule over the 32
 * nibbles, highest degree first, each step one multiplication by x^4.
 * Checked against §6.3 Algorithm 1 by the GCM test vectors.
 */
struct ghash_key {
	struct gf128 m[16];
};

static void ghash_init(struct ghash_key *gk, struct gf128 h)
{
	gk->m[0].hi = gk->m[0].lo = 0;
	gk->m[8] = h;
	gk->m[4] = gf_times_x(gk->m[8]);
	gk->m[2] = gf_times_x(gk->m[4]);
	gk->m[1] = gf_times_x(gk->m[2]);
	for (int v = 3; v < 16; v++) {
		if (v == 4 || v == 8)
			continue;
		int low = v & -v; /* lowest set bit */
		gk->m[v].hi = gk->m[low].hi ^ gk->m[v ^ low].hi;
		gk->m[v].lo = gk->m[low].lo ^ gk->m[v ^ low].lo;
	}
}

static struct gf128 gf_mul_h(const struct ghash_key *gk, const uint8_t x[16])
{
	struct gf128 z = {0, 0};
	for (int i = 15; i >= 0; i--) {
		uint8_t nib[2] = {(uint8_t)(x[i] & 0x0f), (uint8_t)(x[i] >> 4)};
		for (int j = 0; j < 2; j++) {
			unsigned r = z.lo & 0x0f;
			z.lo = z.lo >> 4 | z.hi << 60;
			z.hi = z.hi >> 4 ^ (uint64_t)ghash_red4[r] << 48;
			z.hi ^= gk->m[nib[j]].hi;
			z.lo ^= gk->m[nib[j]].lo;
		}
	}
	return z;
}

/* Folds data into the GHASH accumulator, zero-padding the last block. */
static void ghash_update(struct gf128 *y, const struct ghash_key *gk,
			 const uint8_t *p, size_t len)
{
	while (len) {
		uint8_t blk[16] = {0}, yb[16];
		size_t take = len < 16 ? len : 16;
		memcpy(blk, p, take);
		gf_store(yb, *y);
		for (int i = 0; i < 16; i++)
			blk[i] ^= yb[i];
		*y = gf_mul_h(gk, blk);
		p += take;
		len -= take;
	}
}

/* The counter-mode part shared by both directions (§6.5), starting from
 * inc32(J0), and the tag over aad and the ciphertext. */
static void gcm_core(const uint8_t key[16], const uint8_t iv[12],
		     const uint8_t *aad, size_t aad_len, const uint8_t *in,
		     size_t len, uint8_t *out, bool encrypting,
		     uint8_t tag[PG_GCM_TAG])
{
	struct pg_aes128 k;
	uint8_t zero[16] = {0}, hb[16], j0[16], ctr[16], ks[16];

	pg_aes128_init(&k, key);
	pg_aes128_encrypt(&k, zero, hb);
	struct ghash_key gk;
	struct gf128 y = {0, 0};
	ghash_init(&gk, gf_load(hb));

	/* J0 = IV || 0^31 || 1 for a 96-bit IV. */
	memcpy(j0, iv, 12);
	store_be32(j0 + 12, 1);
	memcpy(ctr, j0, 16);

	ghash_update(&y, &gk, aad, aad_len);
	for (size_t off = 0; off < len; off += 16) {
		size_t take = len - off < 16 ? len - off : 16;
		store_be32(ctr + 12, load_be32(ctr + 12) + 1);
		pg_aes128_encrypt(&k, ctr, ks);
		/* GHASH runs over the ciphertext: before decrypting, after
		 * encrypting; in and out may alias. */
		if (!encrypting)
			ghash_update(&y, &gk, in + off, take);
		for (size_t i = 0; i < take; i++)
			out[off + i] = in[off + i] ^ ks[i];
		if (encrypting)
			ghash_update(&y, &gk, out + off, take);
	}
	uint8_t lens[16];
	store_be64(lens, (uint64_t)aad_len * 8);
	store_be64(lens + 8, (uint64_t)len * 8);
	ghash_update(&y, &gk, lens, 16);

	uint8_t s[16];
	gf_store(s, y);
	pg_aes128_encrypt(&k, j0, ks);
	for (int i = 0; i < 16; i++)
		tag[i] = s[i] ^ ks[i];
}

void pg_aes128_gcm_encrypt(const uint8_t key[16], const uint8_t iv[12],
			   const uint8_t *aad, size_t aad_len,
			   const uint8_t *pt, size_t len, uint8_t *ct,
			   uint8_t tag[PG_GCM_TAG])
{
	gcm_core(key, iv, aad, aad_len, pt, len, ct, true, tag);
}

bool pg_aes128_gcm_decrypt(const uint8_t key[16], const uint8_t iv[12],
			   const uint8_t *aad, size_t aad_len,
			   const uint8_t *ct, size_t len,
			   const uint8_t tag[PG_GCM_TAG], uint8_t *pt)
{
	uint8_t want[PG_GCM_TAG];
	uint8_t diff = 0;

	gcm_core(key, iv, aad, aad_len, ct, len, pt, false, want);
	for (int i = 0; i < PG_GCM_TAG; i++)
		diff |= want[i] ^ tag[i];
	return diff == 0;
}
