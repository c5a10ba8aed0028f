/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Known-answer tests for src/core/crypto.c: FIPS 180-4 example messages
 * (SHA-256), RFC 4231 (HMAC-SHA-256), RFC 5869 Appendix A.1-A.3 (HKDF),
 * FIPS 197 Appendix B and C.1 (AES-128), the GCM specification's test cases
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

static void test_sha256(void)
{
	uint8_t d[32];

	pg_sha256("", 0, d);
	CHECK(eq_hex(d, 32, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
	pg_sha256("abc", 3, d);
	CHECK(eq_hex(d, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	pg_sha256(two, strlen(two), d);
	CHECK(eq_hex(d, 32, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));

	/* One million 'a', fed in uneven pieces to exercise buffering. */
	struct pg_sha256 c;
	uint8_t a[997];
	memset(a, 'a', sizeof(a));
	pg_sha256_init(&c);
	size_t left = 1000000;
	for (size_t step = 1; left; step = step % 997 + 1) {
		size_t take = step < left ? step : left;
		pg_sha256_update(&c, a, take);
		left -= take;
	}
	pg_sha256_final(&c, d);
	CHECK(eq_hex(d, 32, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));

	/* Padding edge cases: 55, 56 and 64 bytes. */
	uint8_t m[64];
	memset(m, 'a', sizeof(m));
	pg_sha256(m, 55, d);
	CHECK(eq_hex(d, 32, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"));
	pg_sha256(m, 56, d);
	CHECK(eq_hex(d, 32, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"));
	pg_sha256(m, 64, d);
	CHECK(eq_hex(d, 32, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"));
}

static void test_hmac(void)
{
	uint8_t d[32], key[131];

	/* RFC 4231 test case 1 */
	memset(key, 0x0b, 20);
	pg_hmac_sha256(key, 20, "Hi There", 8, d);
	CHECK(eq_hex(d, 32, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"));
	/* test case 2 */
	pg_hmac_sha256((const uint8_t *)"Jefe", 4, "what do ya want for nothing?", 28, d);
	CHECK(eq_hex(d, 32, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"));
	/* test case 6: a key longer than the block is hashed first */
	memset(key, 0xaa, 131);
	const char *m6 = "Test Using Larger Than Block-Size Key - Hash Key First";
	pg_hmac_sha256(key, 131, m6, strlen(m6), d);
	CHECK(eq_hex(d, 32, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"));
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
	CHECK(eq_hex(k.rk[10], 16, "d014f9a8c9ee2589e13f0cc8b6630ca6"));
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
	test_sha256();
	test_hmac();
	test_hkdf();
	test_expand_label();
	test_aes();
	test_gcm();
	return pg_test_summary("test_crypto");
}
