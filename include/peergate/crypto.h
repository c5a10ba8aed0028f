/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The little cryptography the detectors need, as one small interface over
 * Nettle (Debian nettle-dev, also in OpenWrt's feeds): QUIC Initial packets
 * (RFC 9001 §5: HKDF-SHA256 with the TLS 1.3 label form, AES-128 for header
 * protection, AES-128-GCM for the payload) and Telegram's obfuscated2
 * transport (one AES-256 block of its CTR key stream).  Initial keys are
 * derived from bytes on the wire, so nothing here guards a secret.  No
 * state outside the caller's structures.
 */
#ifndef PEERGATE_CRYPTO_H
#define PEERGATE_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <nettle/aes.h>

#define PG_SHA256_LEN 32
#define PG_AES_BLOCK 16
#define PG_GCM_TAG 16

/* HKDF-Extract (RFC 5869): prk = HMAC-SHA256(salt, ikm); salt may be
 * NULL when salt_len is 0. */
void pg_hkdf_extract(const uint8_t *salt, size_t salt_len, const uint8_t *ikm,
		     size_t ikm_len, uint8_t prk[PG_SHA256_LEN]);
/* HKDF-Expand; false when out_len exceeds 255 * 32. */
bool pg_hkdf_expand(const uint8_t prk[PG_SHA256_LEN], const uint8_t *info,
		    size_t info_len, uint8_t *out, size_t out_len);
/* HKDF-Expand-Label(secret, "tls13 " + label, "", out_len); false when the
 * label is too long or out_len too large. */
bool pg_hkdf_expand_label(const uint8_t secret[PG_SHA256_LEN],
			  const char *label, uint8_t *out, size_t out_len);

/* AES-128 block encryption with an expanded key (header protection masks
 * one block per packet with the same key). */
struct pg_aes128 {
	struct aes128_ctx ctx;
};

void pg_aes128_init(struct pg_aes128 *k, const uint8_t key[16]);
void pg_aes128_encrypt(const struct pg_aes128 *k, const uint8_t in[16],
		       uint8_t out[16]);

/* One AES-256 block. */
void pg_aes256_encrypt_block(const uint8_t key[32], const uint8_t in[16],
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
