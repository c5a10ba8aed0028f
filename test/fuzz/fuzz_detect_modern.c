/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target for the detectors of pg_detectors_modern.
 *
 * Each input is run twice:
 *  1. whole, as one payload, over TCP and UDP, in both directions, with
 *     the same bytes as the other direction's stream;
 *  2. as a scripted exchange: records of one control byte (bit 0 the
 *     direction, bits 1..7 the length) and that many payload bytes, fed the
 *     way the engine does (TCP streams accumulate, UDP streams are the
 *     datagram), stopping a detector once it says NO.
 * Every buffer handed to a detector is a heap block of exactly the valid
 * length, so ASan catches any read past the bytes a detector was given.
 * Results are checked for sanity: enum ranges, a host pointer inside the
 * input, an expectation family of 0, 4 or 6.
 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "peergate/detect_registry.h"

static const uint8_t caddr[16] = {192, 0, 2, 1};
static const uint8_t saddr[16] = {198, 51, 100, 7};

static uint8_t *dup_exact(const uint8_t *p, size_t n)
{
	uint8_t *b = malloc(n ? n : 1);
	if (!b)
		abort();
	if (n)
		memcpy(b, p, n);
	return b;
}

static bool inside(const void *p, size_t n, const uint8_t *buf, size_t len)
{
	const uint8_t *q = p;
	return buf && q >= buf && n <= len && (size_t)(q - buf) <= len - n;
}

static void check_result(enum pg_detect_status st, const struct pg_detect_result *r,
			 const struct pg_detect_input *in)
{
	if (st != PG_DETECT_NO && st != PG_DETECT_MAYBE && st != PG_DETECT_MATCH)
		abort();
	if (st != PG_DETECT_MATCH)
		return;
	if ((unsigned)r->system >= PG_SYS_COUNT || (unsigned)r->feature >= PG_FEAT_COUNT ||
	    (unsigned)r->method >= PG_METHOD_COUNT || r->confidence > PG_CONF_CERTAIN)
		abort();
	if (r->host) {
		if (!inside(r->host, r->host_len, in->payload, in->payload_len) &&
		    !inside(r->host, r->host_len, in->stream, in->stream_len) &&
		    !inside(r->host, r->host_len, in->other_stream, in->other_len))
			abort();
	}
	if (r->expect.family != 0 && r->expect.family != 4 && r->expect.family != 6)
		abort();
}

static void call(const struct pg_detector *d, struct pg_detect_input *in,
		 enum pg_detect_status *st)
{
	struct pg_detect_result r;
	memset(&r, 0, sizeof(r));
	*st = d->fn(in, &r);
	check_result(*st, &r, in);
}

static void run_whole(const uint8_t *data, size_t size)
{
	uint8_t *pay = dup_exact(data, size);
	uint8_t *other = dup_exact(data, size);
	for (size_t k = 0; pg_detectors_modern[k]; k++) {
		const struct pg_detector *d = pg_detectors_modern[k];
		for (int l4 = 0; l4 < 2; l4++) {
			if (!(d->l4_mask & (l4 ? PG_L4_UDP : PG_L4_TCP)))
				continue;
			for (int dir = 0; dir < 2; dir++) {
				for (int with_other = 0; with_other < 2; with_other++) {
					struct pg_detect_input in = {
						.l4proto = l4 ? IPPROTO_UDP : IPPROTO_TCP,
						.family = 4,
						.dir = dir ? PG_DIR_S2C : PG_DIR_C2S,
						.client_port = 40000,
						.server_port = (uint16_t)(size ? 1 + data[0] * 256u : 6881),
						.client_addr = caddr,
						.server_addr = saddr,
						.index = (unsigned)with_other,
						.payload = pay,
						.payload_len = size,
						.stream = pay,
						.stream_len = size,
						.other_stream = with_other ? other : NULL,
						.other_len = with_other ? size : 0,
						.c2s_packets = 1,
						.s2c_packets = (unsigned)with_other,
					};
					enum pg_detect_status st;
					call(d, &in, &st);
				}
			}
		}
	}
	free(pay);
	free(other);
}

enum { MAX_STEPS = 64 };

static void run_exchange(const struct pg_detector *d, bool udp,
			 const uint8_t *data, size_t size)
{
	uint8_t *stream[2] = {NULL, NULL};
	size_t slen[2] = {0, 0};
	unsigned count[2] = {0, 0};
	size_t pos = 0;

	for (unsigned step = 0; step < MAX_STEPS && pos < size; step++) {
		uint8_t ctrl = data[pos++];
		int dir = ctrl & 1;
		size_t len = ctrl >> 1;
		if (len > size - pos)
			len = size - pos;
		const uint8_t *pkt = data + pos;
		pos += len;

		uint8_t *pay;
		if (udp) {
			free(stream[dir]);
			stream[dir] = dup_exact(pkt, len);
			slen[dir] = len;
			pay = stream[dir];
		} else {
			uint8_t *grown = malloc(slen[dir] + len ? slen[dir] + len : 1);
			if (!grown)
				abort();
			if (slen[dir])
				memcpy(grown, stream[dir], slen[dir]);
			if (len)
				memcpy(grown + slen[dir], pkt, len);
			free(stream[dir]);
			stream[dir] = grown;
			pay = grown + slen[dir];
			slen[dir] += len;
		}
		count[dir]++;
		/* The other direction's stream may be empty: hand NULL then,
		 * as an engine with nothing buffered might. */
		uint8_t *oth = slen[!dir] ? stream[!dir] : NULL;
		struct pg_detect_input in = {
			.l4proto = udp ? IPPROTO_UDP : IPPROTO_TCP,
			.family = 4,
			.dir = dir ? PG_DIR_S2C : PG_DIR_C2S,
			.client_port = 40000,
			.server_port = 6881,
			.client_addr = caddr,
			.server_addr = saddr,
			.index = count[dir] - 1,
			.payload = pay,
			.payload_len = len,
			.stream = stream[dir],
			.stream_len = slen[dir],
			.other_stream = oth,
			.other_len = slen[!dir],
			.c2s_packets = count[0],
			.s2c_packets = count[1],
		};
		enum pg_detect_status st;
		call(d, &in, &st);
		if (st == PG_DETECT_NO)
			break;
	}
	free(stream[0]);
	free(stream[1]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	run_whole(data, size);
	for (size_t k = 0; pg_detectors_modern[k]; k++) {
		const struct pg_detector *d = pg_detectors_modern[k];
		if (d->l4_mask & PG_L4_TCP)
			run_exchange(d, false, data, size);
		if (d->l4_mask & PG_L4_UDP)
			run_exchange(d, true, data, size);
	}
	return 0;
}
