/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Known-answer tests for the detectors' crypto interface over Nettle
 * (src/detect/crypto.c): RFC 5869 Appendix A.1-A.3 (HKDF-SHA256), FIPS 197
 * Appendix B, C.1 (AES-128) and C.3 (AES-256), the GCM specification's test cases
 * 1-4 (McGrew & Viega, as used in NIST CAVP), RFC 8448-style TLS 1.3 label
 * expansion as used by RFC 9001 Appendix A.1 (QUIC Initial secrets).
 */
#include "check.h"
#include "peergate/crypto.h"

static bool eq_hex(const uint8_t *got, size_t n, const char *hex)
{
	uint8_t want[512];
	size_t wn = pg_hex(hex, want, sizeof(want));
	if (wn != n || memcmp(got, want, n) != 0) {
		fprintf(stderr, "  got:  ");
		for (size_t i = 0; i < n; i++)
			fprintf(stderr, "%02x", got[i]);
		fprintf(stderr, "\n  want: %s\n", hex);
		return false;
	}
	return true;
}

static void test_hkdf(void)
{
	uint8_t ikm[80], salt[80], info[80], prk[32], okm[82];

	/* RFC 5869 A.1 */
	memset(ikm, 0x0b, 22);
	for (int i = 0; i < 13; i++)
		salt[i] = (uint8_t)i;
	for (int i = 0; i < 10; i++)
		info[i] = (uint8_t)(0xf0 + i);
	pg_hkdf_extract(salt, 13, ikm, 22, prk);
	CHECK(eq_hex(prk, 32, "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5"));
	CHECK(pg_hkdf_expand(prk, info, 10, okm, 42));
	CHECK(eq_hex(okm, 42, "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"));

	/* A.2: longer inputs, 82 bytes out (three HMAC blocks) */
	for (int i = 0; i < 80; i++) {
		ikm[i] = (uint8_t)i;
		salt[i] = (uint8_t)(0x60 + i);
		info[i] = (uint8_t)(0xb0 + i);
	}
	pg_hkdf_extract(salt, 80, ikm, 80, prk);
	CHECK(eq_hex(prk, 32, "06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244"));
	CHECK(pg_hkdf_expand(prk, info, 80, okm, 82));
	CHECK(eq_hex(okm, 82, "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
			      "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
			      "cc30c58179ec3e87c14c01d5c1f3434f1d87"));

	/* A.3: no salt, no info */
	memset(ikm, 0x0b, 22);
	pg_hkdf_extract(NULL, 0, ikm, 22, prk);
	CHECK(eq_hex(prk, 32, "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04"));
	CHECK(pg_hkdf_expand(prk, NULL, 0, okm, 42));
	CHECK(eq_hex(okm, 42, "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"));

	CHECK(!pg_hkdf_expand(prk, NULL, 0, okm, 255 * 32 + 1));
}

static void test_expand_label(void)
{
	/* RFC 9001 Appendix A.1: QUIC v1 Initial secrets for DCID
	 * 0x8394c8f03e515708. */
	static const uint8_t salt[] = {0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34,
				       0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8,
				       0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a};
	uint8_t dcid[8], initial[32], client[32], server[32], key[16], iv[12], hp[16];
	pg_hex("8394c8f03e515708", dcid, sizeof(dcid));
	pg_hkdf_extract(salt, sizeof(salt), dcid, 8, initial);
	CHECK(eq_hex(initial, 32, "7db5df06e7a69e432496adedb00851923595221596ae2ae9fb8115c1e9ed0a44"));
	CHECK(pg_hkdf_expand_label(initial, "client in", client, 32));
	CHECK(eq_hex(client, 32, "c00cf151ca5be075ed0ebfb5c80323c42d6b7db67881289af4008f1f6c357aea"));
	CHECK(pg_hkdf_expand_label(client, "quic key", key, 16));
	CHECK(eq_hex(key, 16, "1f369613dd76d5467730efcbe3b1a22d"));
	CHECK(pg_hkdf_expand_label(client, "quic iv", iv, 12));
	CHECK(eq_hex(iv, 12, "fa044b2f42a3fd3b46fb255c"));
	CHECK(pg_hkdf_expand_label(client, "quic hp", hp, 16));
	CHECK(eq_hex(hp, 16, "9f50449e04a0e810283a1e9933adedd2"));
	CHECK(pg_hkdf_expand_label(initial, "server in", server, 32));
	CHECK(eq_hex(server, 32, "3c199828fd139efd216c155ad844cc81fb82fa8d7446fa7d78be803acdda951b"));
}

static void test_aes(void)
{
	struct pg_aes128 k;
	uint8_t key[16], pt[16], ct[16];

	/* FIPS 197 Appendix B */
	pg_hex("2b7e151628aed2a6abf7158809cf4f3c", key, 16);
	pg_hex("3243f6a8885a308d313198a2e0370734", pt, 16);
	pg_aes128_init(&k, key);
	pg_aes128_encrypt(&k, pt, ct);
	CHECK(eq_hex(ct, 16, "3925841d02dc09fbdc118597196a0b32"));

	/* FIPS 197 Appendix C.1 */
	pg_hex("000102030405060708090a0b0c0d0e0f", key, 16);
	pg_hex("00112233445566778899aabbccddeeff", pt, 16);
	pg_aes128_init(&k, key);
	pg_aes128_encrypt(&k, pt, ct);
	CHECK(eq_hex(ct, 16, "69c4e0d86a7b0430d8cdb78070b4c55a"));

	/* RFC 9001 A.2: header-protection mask from the sample */
	pg_hex("9f50449e04a0e810283a1e9933adedd2", key, 16);
	pg_hex("d1b1c98dd7689fb8ec11d242b123dc9b", pt, 16);
	pg_aes128_init(&k, key);
	pg_aes128_encrypt(&k, pt, ct);
	CHECK(eq_hex(ct, 5, "437b9aec36"));

	/* FIPS 197 Appendix C.3: AES-256 (Telegram's obfuscated2 key stream) */
	uint8_t key256[32];
	pg_hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", key256, 32);
	pg_hex("00112233445566778899aabbccddeeff", pt, 16);
	pg_aes256_encrypt_block(key256, pt, ct);
	CHECK(eq_hex(ct, 16, "8ea2b7ca516745bfeafc49904b496089"));
}

static void test_gcm(void)
{
	uint8_t key[16], iv[12], pt[64], ct[64], tag[16], aad[20], back[64];

	/* Test case 1: empty everything */
	memset(key, 0, 16);
	memset(iv, 0, 12);
	pg_aes128_gcm_encrypt(key, iv, NULL, 0, NULL, 0, ct, tag);
	CHECK(eq_hex(tag, 16, "58e2fccefa7e3061367f1d57a4e7455a"));
	CHECK(pg_aes128_gcm_decrypt(key, iv, NULL, 0, ct, 0, tag, back));

	/* Test case 2: one zero block */
	memset(pt, 0, 16);
	pg_aes128_gcm_encrypt(key, iv, NULL, 0, pt, 16, ct, tag);
	CHECK(eq_hex(ct, 16, "0388dace60b6a392f328c2b971b2fe78"));
	CHECK(eq_hex(tag, 16, "ab6e47d42cec13bdf53a67b21257bddf"));

	/* Test case 3: four blocks, no AAD */
	pg_hex("feffe9928665731c6d6a8f9467308308", key, 16);
	pg_hex("cafebabefacedbaddecaf888", iv, 12);
	pg_hex("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
	       "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255", pt, 64);
	pg_aes128_gcm_encrypt(key, iv, NULL, 0, pt, 64, ct, tag);
	CHECK(eq_hex(ct, 64, "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
			     "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985"));
	CHECK(eq_hex(tag, 16, "4d5c2af327cd64a62cf35abd2ba6fab4"));

	/* Test case 4: partial last block and AAD; decrypt in place */
	pg_hex("feedfacedeadbeeffeedfacedeadbeefabaddad2", aad, 20);
	pg_aes128_gcm_encrypt(key, iv, aad, 20, pt, 60, ct, tag);
	CHECK(eq_hex(ct, 60, "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
			     "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091"));
	CHECK(eq_hex(tag, 16, "5bc94fbc3221a5db94fae95ae7121a47"));
	memcpy(back, ct, 60);
	CHECK(pg_aes128_gcm_decrypt(key, iv, aad, 20, back, 60, tag, back));
	CHECK(memcmp(back, pt, 60) == 0);

	/* A flipped bit anywhere fails the tag. */
	ct[7] ^= 1;
	CHECK(!pg_aes128_gcm_decrypt(key, iv, aad, 20, ct, 60, tag, back));
	ct[7] ^= 1;
	aad[0] ^= 0x80;
	CHECK(!pg_aes128_gcm_decrypt(key, iv, aad, 20, ct, 60, tag, back));
	aad[0] ^= 0x80;
	tag[15] ^= 1;
	CHECK(!pg_aes128_gcm_decrypt(key, iv, aad, 20, ct, 60, tag, back));
}

int main(void)
{
	test_hkdf();
	test_expand_label();
	test_aes();
	test_gcm();
	return pg_test_summary("test_crypto");
}
