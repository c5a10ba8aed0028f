/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target for the ordinary-protocol detectors.  The input is a scripted
 * exchange: one byte of setup (bit 0: UDP, bits 1-2: which well-known
 * server port, bits 3-4 both set: also seal the rest as a QUIC Initial
 * payload), then packets as [direction][length, 2 bytes BE][bytes].
 * Streams accumulate as the engine's would; every detector in
 * pg_detectors_common sees every packet, and any host it reports is read
 * in full.  The QUIC and ClientHello parsers also get the raw input, and
 * the input is also sealed as the payload of a QUIC v1 client Initial so
 * that the frame walker and CRYPTO reassembly see arbitrary plaintext.
 */
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

#include "peergate/crypto.h"
#include "peergate/detect_registry.h"
#include "peergate/quic.h"
#include "peergate/tls_hello.h"

#define STREAM_CAP 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Seals plain[0..n) (n <= 1100) into a 1200-byte v1 client Initial with a
 * fixed DCID and packet number 0 (RFC 9001 §5). */
static void seal_initial(const uint8_t *plain, size_t n, uint8_t out[1200])
{
	static const uint8_t salt[20] = {0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34,
					 0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8,
					 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a};
	static const uint8_t hdr[] = {0xc3, 0, 0, 0, 1, 8, 1, 2, 3, 4, 5, 6, 7, 8,
				      0, 0, 0x44, 0x9e, 0, 0, 0, 0};
	uint8_t initial[32], client[32], key[16], iv[12], hp[16], mask[16];
	uint8_t payload[1200 - sizeof(hdr) - 16] = {0};

	memcpy(payload, plain, n < sizeof(payload) ? n : sizeof(payload));
	memcpy(out, hdr, sizeof(hdr));
	pg_hkdf_extract(salt, sizeof(salt), hdr + 6, 8, initial);
	pg_hkdf_expand_label(initial, "client in", client, 32);
	pg_hkdf_expand_label(client, "quic key", key, 16);
	pg_hkdf_expand_label(client, "quic iv", iv, 12);
	pg_hkdf_expand_label(client, "quic hp", hp, 16);
	pg_aes128_gcm_encrypt(key, iv, out, sizeof(hdr), payload, sizeof(payload),
			      out + sizeof(hdr), out + sizeof(hdr) + sizeof(payload));
	struct pg_aes128 k;
	pg_aes128_init(&k, hp);
	pg_aes128_encrypt(&k, out + sizeof(hdr) - 4 + 4, mask);
	out[0] ^= mask[0] & 0x0f;
	for (int i = 0; i < 4; i++)
		out[sizeof(hdr) - 4 + i] ^= mask[1 + i];
}

/* The two directions' bytes so far, as the engine would hand them. */
struct sides {
	uint8_t streams[2][STREAM_CAP];
	size_t len[2];
	unsigned count[2];
	bool done[16];            /* detector d said NO or MATCH */
};

/* Adds n bytes to direction dir (UDP: replaces the datagram); returns the
 * bytes new to the detectors and sets *n to their length. */
static const uint8_t *add_bytes(struct sides *sd, bool udp, enum pg_dir dir,
				const uint8_t *p, size_t *n)
{
	uint8_t *at = sd->streams[dir];
	size_t room = udp ? STREAM_CAP : STREAM_CAP - sd->len[dir];
	size_t k = *n < room ? *n : room;

	if (!udp)
		at += sd->len[dir];
	memcpy(at, p, k);
	sd->len[dir] = udp ? k : sd->len[dir] + k;
	sd->count[dir]++;
	*n = k;
	return at;
}

/* Every common detector still in play over one packet; hosts they name
 * are read to the last byte. */
static unsigned run_common(struct sides *sd, const struct pg_detect_input *in, bool udp)
{
	unsigned acc = 0;
	for (size_t d = 0; pg_detectors_common[d] && d < 16; d++) {
		const struct pg_detector *det = pg_detectors_common[d];
		if (sd->done[d] || !(det->l4_mask & (udp ? PG_L4_UDP : PG_L4_TCP)))
			continue;
		struct pg_detect_result r;
		memset(&r, 0, sizeof(r));
		enum pg_detect_status st = det->fn(in, &r);
		if (st == PG_DETECT_MATCH)
			for (size_t h = 0; h < r.host_len; h++)
				acc += (uint8_t)r.host[h];
		if (st != PG_DETECT_MAYBE)
			sd->done[d] = true;
	}
	return acc;
}

/* The QUIC and TLS host extractors on their own, over the raw input. */
static unsigned run_extractors(const uint8_t *data, size_t size)
{
	unsigned acc = 0;
	struct pg_quic_info qi;
	(void)pg_quic_inspect(data, size, &qi);
	acc += (unsigned)qi.sni_len;
	/* Sealing costs two AES-GCM passes: only for inputs whose setup
	 * byte asks for it (bits 3 and 4), the rest of the input as the
	 * plaintext. */
	if ((data[0] & 0x18) == 0x18) {
		uint8_t sealed[1200];
		seal_initial(data + 1, size - 1, sealed);
		(void)pg_quic_inspect(sealed, sizeof(sealed), &qi);
		acc += (unsigned)qi.sni_len;
	}
	struct pg_tls_frag frags[2] = {{data, size / 2}, {data + size / 2, size - size / 2}};
	struct pg_hello_info hi;
	if (pg_tls_client_hello(frags, 2, &hi) == PG_HELLO_DONE && hi.sni)
		for (size_t h = 0; h < hi.sni_len; h++)
			acc += hi.sni[h];
	return acc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint16_t ports[4] = {53, 443, 1080, 5353};
	static const uint8_t caddr[4] = {192, 0, 2, 1}, saddr[4] = {198, 51, 100, 7};
	struct sides sd;
	volatile unsigned acc = 0;

	if (size < 1)
		return 0;
	memset(&sd, 0, sizeof(sd));
	bool udp = data[0] & 1;
	uint16_t sport = ports[(data[0] >> 1) & 3];
	size_t i = 1;

	while (i + 3 <= size) {
		enum pg_dir dir = data[i] & 1 ? PG_DIR_S2C : PG_DIR_C2S;
		size_t n = (size_t)data[i + 1] << 8 | data[i + 2];
		i += 3;
		if (n > size - i)
			n = size - i;
		const uint8_t *payload = add_bytes(&sd, udp, dir, data + i, &n);
		i += n; /* past what was taken, as before: the seeds read alike */
		struct pg_detect_input in = {
			.l4proto = udp ? IPPROTO_UDP : IPPROTO_TCP,
			.family = 4,
			.dir = dir,
			.client_port = 40000,
			.server_port = sport,
			.client_addr = caddr,
			.server_addr = saddr,
			.index = sd.count[dir] - 1,
			.payload = payload,
			.payload_len = n,
			.stream = udp ? payload : sd.streams[dir],
			.stream_len = sd.len[dir],
			.other_stream = sd.streams[!dir],
			.other_len = sd.len[!dir],
			.c2s_packets = sd.count[PG_DIR_C2S],
			.s2c_packets = sd.count[PG_DIR_S2C],
		};
		acc += run_common(&sd, &in, udp);
	}
	acc += run_extractors(data, size);
	(void)acc; /* clang counts only the writes as a use */
	return 0;
}
