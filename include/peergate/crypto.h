/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The little cryptography QUIC Initial packets need (RFC 9001 §5): SHA-256
 * (FIPS 180-4), HMAC (RFC 2104), HKDF (RFC 5869) with the TLS 1.3 label
 * form (RFC 8446 §7.1), the AES-128 forward cipher (FIPS 197) and GCM
 * (NIST SP 800-38D).  Initial keys are derived from bytes on the wire, so
 * nothing here guards a secret: the code aims at clarity and bounded work,
 * not at resistance to timing analysis.  No state outside the caller's
 * structures.
 */
#ifndef PEERGATE_CRYPTO_H
#define PEERGATE_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PG_SHA256_LEN 32
#define PG_SHA256_BLOCK 64
#define PG_AES_BLOCK 16
#define PG_GCM_TAG 16

struct pg_sha256 {
	uint32_t h[8];
	uint64_t total;                  /* bytes hashed so far */
	uint8_t buf[PG_SHA256_BLOCK];
	size_t used;                     /* bytes waiting in buf */
};

void pg_sha256_init(struct pg_sha256 *c);
void pg_sha256_update(struct pg_sha256 *c, const void *data, size_t len);
void pg_sha256_final(struct pg_sha256 *c, uint8_t out[PG_SHA256_LEN]);
void pg_sha256(const void *data, size_t len, uint8_t out[PG_SHA256_LEN]);

struct pg_hmac_sha256 {
	struct pg_sha256 inner, outer;
};

void pg_hmac_sha256_init(struct pg_hmac_sha256 *c, const uint8_t *key,
			 size_t key_len);
void pg_hmac_sha256_update(struct pg_hmac_sha256 *c, const void *data,
			   size_t len);
void pg_hmac_sha256_final(struct pg_hmac_sha256 *c, uint8_t out[PG_SHA256_LEN]);
void pg_hmac_sha256(const uint8_t *key, size_t key_len, const void *msg,
		    size_t len, uint8_t out[PG_SHA256_LEN]);

/* HKDF-Extract: prk = HMAC(salt, ikm). */
void pg_hkdf_extract(const uint8_t *salt, size_t salt_len, const uint8_t *ikm,
		     size_t ikm_len, uint8_t prk[PG_SHA256_LEN]);
/* HKDF-Expand; false when out_len exceeds 255 * 32. */
bool pg_hkdf_expand(const uint8_t prk[PG_SHA256_LEN], const uint8_t *info,
		    size_t info_len, uint8_t *out, size_t out_len);
/* HKDF-Expand-Label(secret, "tls13 " + label, "", out_len); false when the
 * label is too long or out_len too large. */
bool pg_hkdf_expand_label(const uint8_t secret[PG_SHA256_LEN],
			  const char *label, uint8_t *out, size_t out_len);

struct pg_aes128 {
	uint8_t rk[11][PG_AES_BLOCK];    /* round keys */
};

void pg_aes128_init(struct pg_aes128 *k, const uint8_t key[16]);
void pg_aes128_encrypt(const struct pg_aes128 *k, const uint8_t in[16],
		       uint8_t out[16]);

/* AES-128-GCM with a 96-bit IV.  Decrypt returns false (and leaves pt
 * unspecified) when the tag does not verify.  pt and ct may be the same
 * buffer. */
void pg_aes128_gcm_encrypt(const uint8_t key[16], const uint8_t iv[12],
			   const uint8_t *aad, size_t aad_len,
			   const uint8_t *pt, size_t len, uint8_t *ct,
			   uint8_t tag[PG_GCM_TAG]);
bool pg_aes128_gcm_decrypt(const uint8_t key[16], const uint8_t iv[12],
			   const uint8_t *aad, size_t aad_len,
			   const uint8_t *ct, size_t len,
			   const uint8_t tag[PG_GCM_TAG], uint8_t *pt);

#endif
