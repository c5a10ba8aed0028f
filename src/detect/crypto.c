/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The detectors' cryptography over Nettle; see peergate/crypto.h. */
#include "peergate/crypto.h"

#include <string.h>

#include <nettle/gcm.h>
#include <nettle/hkdf.h>
#include <nettle/hmac.h>
#include <nettle/memops.h>

/* Nettle reads the key even when its length is 0; never hand it NULL. */
static const uint8_t no_bytes[1];

void pg_hkdf_extract(const uint8_t *salt, size_t salt_len, const uint8_t *ikm,
		     size_t ikm_len, uint8_t prk[PG_SHA256_LEN])
{
	struct hmac_sha256_ctx mac;

	hmac_sha256_set_key(&mac, salt_len, salt_len ? salt : no_bytes);
	hkdf_extract(&mac, (nettle_hash_update_func *)hmac_sha256_update,
		     (nettle_hash_digest_func *)hmac_sha256_digest, SHA256_DIGEST_SIZE,
		     ikm_len, ikm_len ? ikm : no_bytes, prk);
}

bool pg_hkdf_expand(const uint8_t prk[PG_SHA256_LEN], const uint8_t *info,
		    size_t info_len, uint8_t *out, size_t out_len)
{
	struct hmac_sha256_ctx mac;

	if (out_len > 255u * PG_SHA256_LEN)
		return false;
	hmac_sha256_set_key(&mac, PG_SHA256_LEN, prk);
	hkdf_expand(&mac, (nettle_hash_update_func *)hmac_sha256_update,
		    (nettle_hash_digest_func *)hmac_sha256_digest, SHA256_DIGEST_SIZE,
		    info_len, info_len ? info : no_bytes, out_len, out);
	return true;
}

bool pg_hkdf_expand_label(const uint8_t secret[PG_SHA256_LEN],
			  const char *label, uint8_t *out, size_t out_len)
{
	/* struct HkdfLabel { uint16 length; opaque label<7..255> = "tls13 " +
	 * label; opaque context<0..255> = ""; } (RFC 8446 §7.1) */
	static const char prefix[] = "tls13 ";
	const size_t plen = sizeof(prefix) - 1;
	size_t llen = strlen(label);
	uint8_t info[2 + 1 + 255 + 1];

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

void pg_aes128_init(struct pg_aes128 *k, const uint8_t key[16])
{
	aes128_set_encrypt_key(&k->ctx, key);
}

void pg_aes128_encrypt(const struct pg_aes128 *k, const uint8_t in[16], uint8_t out[16])
{
	aes128_encrypt(&k->ctx, PG_AES_BLOCK, out, in);
}

void pg_aes256_encrypt_block(const uint8_t key[32], const uint8_t in[16], uint8_t out[16])
{
	struct aes256_ctx ctx;

	aes256_set_encrypt_key(&ctx, key);
	aes256_encrypt(&ctx, PG_AES_BLOCK, out, in);
}

static void gcm_start(struct gcm_aes128_ctx *ctx, const uint8_t key[16],
		      const uint8_t iv[12], const uint8_t *aad, size_t aad_len)
{
	gcm_aes128_set_key(ctx, key);
	gcm_aes128_set_iv(ctx, GCM_IV_SIZE, iv);
	if (aad_len)
		gcm_aes128_update(ctx, aad_len, aad);
}

void pg_aes128_gcm_encrypt(const uint8_t key[16], const uint8_t iv[12],
			   const uint8_t *aad, size_t aad_len,
			   const uint8_t *pt, size_t len, uint8_t *ct,
			   uint8_t tag[PG_GCM_TAG])
{
	struct gcm_aes128_ctx ctx;

	gcm_start(&ctx, key, iv, aad, aad_len);
	if (len)
		gcm_aes128_encrypt(&ctx, len, ct, pt);
	gcm_aes128_digest(&ctx, PG_GCM_TAG, tag);
}

bool pg_aes128_gcm_decrypt(const uint8_t key[16], const uint8_t iv[12],
			   const uint8_t *aad, size_t aad_len,
			   const uint8_t *ct, size_t len,
			   const uint8_t tag[PG_GCM_TAG], uint8_t *pt)
{
	struct gcm_aes128_ctx ctx;
	uint8_t want[PG_GCM_TAG];

	gcm_start(&ctx, key, iv, aad, aad_len);
	if (len)
		gcm_aes128_decrypt(&ctx, len, pt, ct);
	gcm_aes128_digest(&ctx, PG_GCM_TAG, want);
	return memeql_sec(want, tag, PG_GCM_TAG) != 0;
}
