/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: every detector of pg_detectors_paper over arbitrary bytes,
 * as TCP and UDP, from both directions, first as single packets and then as
 * a scripted exchange (the input cut into packets that alternate
 * direction), checking the invariants of a match.
 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "peergate/detect_registry.h"
#include "peergate/taxonomy.h"

enum { MAX_STREAM = 4096, MAX_STEPS = 16 };

static void check_result(const struct pg_detect_result *r,
			 const uint8_t *lo1, size_t n1, const uint8_t *lo2,
			 size_t n2, const uint8_t *lo3, size_t n3)
{
	if (!pg_feature_valid_for(r->system, r->feature))
		abort();
	if (r->confidence < PG_CONF_WEAK || r->confidence > PG_CONF_CERTAIN)
		abort();
	if (r->host_len) {
		const uint8_t *h = (const uint8_t *)r->host;
		bool in1 = h >= lo1 && h + r->host_len <= lo1 + n1;
		bool in2 = h >= lo2 && h + r->host_len <= lo2 + n2;
		bool in3 = h >= lo3 && h + r->host_len <= lo3 + n3;
		if (!in1 && !in2 && !in3)
			abort();
	}
	if (r->expect.family != 0) {
		if (r->expect.family != 4 && r->expect.family != 6)
			abort();
		if (!pg_feature_valid_for(r->expect.system, r->expect.feature))
			abort();
	}
}

static void one_packet(const uint8_t *data, size_t size, uint8_t l4,
		       enum pg_dir dir)
{
	static const uint8_t a[16] = {10, 0, 0, 1}, b[16] = {10, 0, 0, 2};
	unsigned mask = l4 == IPPROTO_TCP ? PG_L4_TCP : PG_L4_UDP;
	struct pg_detect_input in = {
		.l4proto = l4,
		.family = 4,
		.dir = dir,
		.client_port = 40000,
		.server_port = size > 1 ? (uint16_t)(data[0] << 8 | data[1]) : 0,
		.client_addr = a,
		.server_addr = b,
		.payload = data,
		.payload_len = size,
		.stream = data,
		.stream_len = size,
		.other_stream = NULL,
		.other_len = 0,
		.c2s_packets = dir == PG_DIR_C2S,
		.s2c_packets = dir == PG_DIR_S2C,
	};
	for (size_t i = 0; pg_detectors_paper[i]; i++) {
		const struct pg_detector *d = pg_detectors_paper[i];
		if (!(d->l4_mask & mask))
			continue;
		struct pg_detect_result r;
		memset(&r, 0, sizeof(r));
		if (d->fn(&in, &r) == PG_DETECT_MATCH)
			check_result(&r, data, size, NULL, 0, NULL, 0);
	}
}

/* Cuts the input into packets at lengths taken from the input itself. */
static void exchange(const uint8_t *data, size_t size, uint8_t l4)
{
	static uint8_t streams[2][MAX_STREAM];
	static const uint8_t a[16] = {10, 0, 0, 1}, b[16] = {10, 0, 0, 2};
	unsigned mask = l4 == IPPROTO_TCP ? PG_L4_TCP : PG_L4_UDP;
	bool in_play[64];
	size_t ndet = 0;

	for (; pg_detectors_paper[ndet] && ndet < 64; ndet++)
		in_play[ndet] = (pg_detectors_paper[ndet]->l4_mask & mask) != 0;

	size_t len[2] = {0, 0};
	unsigned count[2] = {0, 0};
	size_t off = 0;
	for (int step = 0; step < MAX_STEPS && off < size; step++) {
		/* One control byte: direction bit and a length. */
		uint8_t ctl = data[off++];
		enum pg_dir dir = (ctl & 0x80) ? PG_DIR_S2C : PG_DIR_C2S;
		size_t want = (size_t)(ctl & 0x7f) * 4 + 1;
		size_t n = size - off < want ? size - off : want;
		const uint8_t *pkt = data + off;
		off += n;

		uint8_t *s = streams[dir];
		const uint8_t *payload;
		if (l4 == IPPROTO_TCP) {
			size_t room = MAX_STREAM - len[dir];
			size_t take = n < room ? n : room;
			memcpy(s + len[dir], pkt, take);
			len[dir] += take;
			payload = take == n ? s + len[dir] - n : pkt;
		} else {
			memcpy(s, pkt, n);
			len[dir] = n;
			payload = s;
		}
		count[dir]++;
		struct pg_detect_input in = {
			.l4proto = l4,
			.family = 4,
			.dir = dir,
			.client_port = 40000,
			.server_port = (uint16_t)(1214 + (ctl & 3) * 1000),
			.client_addr = a,
			.server_addr = b,
			.index = count[dir] - 1,
			.payload = payload,
			.payload_len = n,
			.stream = s,
			.stream_len = len[dir],
			.other_stream = streams[!dir],
			.other_len = len[!dir],
			.c2s_packets = count[PG_DIR_C2S],
			.s2c_packets = count[PG_DIR_S2C],
		};
		for (size_t i = 0; i < ndet; i++) {
			if (!in_play[i])
				continue;
			struct pg_detect_result r;
			memset(&r, 0, sizeof(r));
			enum pg_detect_status st =
				pg_detectors_paper[i]->fn(&in, &r);
			if (st == PG_DETECT_NO)
				in_play[i] = false;
			else if (st == PG_DETECT_MATCH)
				check_result(&r, streams[0], len[0], streams[1],
					     len[1], pkt, n);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Copy so that reads past the end are caught by ASan. */
	uint8_t *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	for (int l = 0; l < 2; l++) {
		uint8_t l4 = l ? IPPROTO_UDP : IPPROTO_TCP;
		one_packet(buf, size, l4, PG_DIR_C2S);
		one_packet(buf, size, l4, PG_DIR_S2C);
		exchange(buf, size, l4);
	}
	free(buf);
	return 0;
}
