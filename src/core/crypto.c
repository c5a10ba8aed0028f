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

void pg_aes128_encrypt(const struct pg_aes128 *k, const uint8_t in[16],
		       uint8_t out[16])
{
	uint8_t s[16], t[16];

	/* The state is column-major: s[r + 4c] is row r, column c. */
	for (int i = 0; i < 16; i++)
		s[i] = in[i] ^ k->rk[0][i];
	for (int round = 1; round <= 10; round++) {
		/* SubBytes and ShiftRows (row r rotates left by r). */
		for (int c = 0; c < 4; c++)
			for (int r = 0; r < 4; r++)
				t[r + 4 * c] = aes_sbox[s[r + 4 * ((c + r) & 3)]];
		if (round < 10) {
			/* MixColumns: each column times {03}x^3 + {01}x^2 +
			 * {01}x + {02}. */
			for (int c = 0; c < 4; c++) {
				uint8_t *col = t + 4 * c;
				uint8_t a0 = col[0], a1 = col[1], a2 = col[2],
					a3 = col[3];
				uint8_t all = a0 ^ a1 ^ a2 ^ a3;
				col[0] = a0 ^ all ^ xtime(a0 ^ a1);
				col[1] = a1 ^ all ^ xtime(a1 ^ a2);
				col[2] = a2 ^ all ^ xtime(a2 ^ a3);
				col[3] = a3 ^ all ^ xtime(a3 ^ a0);
			}
		}
		for (int i = 0; i < 16; i++)
			s[i] = t[i] ^ k->rk[round][i];
	}
	memcpy(out, s, 16);
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

/* X * Y in GF(2^128), §6.3 Algorithm 1, with R = 11100001 || 0^120. */
static struct gf128 gf_mul(struct gf128 x, struct gf128 y)
{
	struct gf128 z = {0, 0}, v = y;
	for (int i = 0; i < 128; i++) {
		uint64_t bit = i < 64 ? (x.hi >> (63 - i)) & 1
				      : (x.lo >> (127 - i)) & 1;
		if (bit) {
			z.hi ^= v.hi;
			z.lo ^= v.lo;
		}
		bool lsb = v.lo & 1;
		v.lo = v.lo >> 1 | v.hi << 63;
		v.hi >>= 1;
		if (lsb)
			v.hi ^= 0xe100000000000000ULL;
	}
	return z;
}

/* Folds data into the GHASH accumulator, zero-padding the last block. */
static void ghash_update(struct gf128 *y, struct gf128 h, const uint8_t *p,
			 size_t len)
{
	while (len) {
		uint8_t blk[16] = {0};
		size_t take = len < 16 ? len : 16;
		memcpy(blk, p, take);
		struct gf128 x = gf_load(blk);
		y->hi ^= x.hi;
		y->lo ^= x.lo;
		*y = gf_mul(*y, h);
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
	struct gf128 h = gf_load(hb), y = {0, 0};

	/* J0 = IV || 0^31 || 1 for a 96-bit IV. */
	memcpy(j0, iv, 12);
	store_be32(j0 + 12, 1);
	memcpy(ctr, j0, 16);

	ghash_update(&y, h, aad, aad_len);
	for (size_t off = 0; off < len; off += 16) {
		size_t take = len - off < 16 ? len - off : 16;
		store_be32(ctr + 12, load_be32(ctr + 12) + 1);
		pg_aes128_encrypt(&k, ctr, ks);
		/* GHASH runs over the ciphertext: before decrypting, after
		 * encrypting; in and out may alias. */
		if (!encrypting)
			ghash_update(&y, h, in + off, take);
		for (size_t i = 0; i < take; i++)
			out[off + i] = in[off + i] ^ ks[i];
		if (encrypting)
			ghash_update(&y, h, out + off, take);
	}
	uint8_t lens[16];
	store_be64(lens, (uint64_t)aad_len * 8);
	store_be64(lens + 8, (uint64_t)len * 8);
	ghash_update(&y, h, lens, 16);

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
