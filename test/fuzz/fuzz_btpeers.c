/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target for the heuristics' parsers: the BitTorrent peer lists
 * (btpeers.c) of DHT, tracker, PEX and LSD bytes, the sources of eD2k
 * server answers (ed2kpeers.c), and the handshake shapes
 * (shape.c) with turn sizes taken from the input.  The first byte picks
 * the reader; the rest is its input.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "peergate/btpeers.h"
#include "peergate/ed2kpeers.h"
#include "peergate/shape.h"

static void sink(void *ctx, uint8_t family, const uint8_t *addr, uint16_t port,
		 enum pg_feature feat)
{
	volatile unsigned *acc = ctx;
	/* Touch everything handed out, so a bad pointer shows under ASan. */
	for (size_t i = 0; i < (family == 6 ? 16u : 4u); i++)
		*acc += addr[i];
	*acc += port + (unsigned)feat;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	volatile unsigned acc = 0;
	if (size < 1)
		return 0;
	const uint8_t *p = data + 1;
	size_t n = size - 1;
	switch (data[0] % 4) {
	case 0:
		acc += (unsigned)pg_btpeers_udp(p, n, data[0] & 4 ? 6 : 4, sink, (void *)&acc);
		break;
	case 1:
		acc += (unsigned)pg_btpeers_tcp(p, n, sink, (void *)&acc);
		break;
	case 2:
		acc += pg_btpeers_lsd_port(p, n);
		acc += (unsigned)pg_ed2kpeers_server(p, n, sink, (void *)&acc);
		break;
	default: {
		/* turns: up to four 16-bit sizes, then the c2s / s2c bytes
		 * split in the middle of what is left */
		struct pg_turns t = {.client_first = (data[0] & 4) == 0};
		size_t off = 0;
		while (t.count < PG_TURNS_MAX && off + 2 <= n) {
			t.len[t.count++] = (uint32_t)p[off] << 8 | p[off + 1];
			off += 2;
		}
		const uint8_t *rest = p + off;
		size_t rn = n - off, half = rn / 2;
		bool irc;
		acc += pg_shape_mse(&t, rest, half, rest + half, rn - half);
		acc += pg_shape_emule_client(&t, rest, half);
		acc += pg_shape_emule_server(&t, rest, half, rest + half, rn - half);
		acc += pg_bytes_look_random(rest, rn);
		acc += pg_shape_tls_chat((const char *)rest, rn, (uint16_t)(t.len[0]), &irc);
		break;
	}
	}
	return 0;
}
