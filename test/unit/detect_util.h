/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Runs one detector over a scripted exchange, the way the engine would:
 * each step is one payload packet in one direction; streams accumulate.
 */
#ifndef PEERGATE_TEST_DETECT_UTIL_H
#define PEERGATE_TEST_DETECT_UTIL_H

#include <netinet/in.h>

#include "check.h"
#include "peergate/detect.h"

struct pg_step {
	enum pg_dir dir;
	const char *hex;          /* payload as hex, or NULL to use text */
	const char *text;         /* payload as text (no NUL) */
};

struct pg_run {
	enum pg_detect_status status;   /* of the last call */
	struct pg_detect_result result; /* of the first MATCH */
	int matched_at;                 /* step index of the first MATCH, -1 */
	uint8_t streams[2][8192];       /* result.host points in here */
};

/* Feeds steps until MATCH or NO; returns the final status. */
static inline enum pg_detect_status
pg_run_detector(const struct pg_detector *d, uint8_t l4proto,
		uint16_t client_port, uint16_t server_port,
		const struct pg_step *steps, size_t n, struct pg_run *run)
{
	static const uint8_t caddr[16] = {192, 0, 2, 1};
	static const uint8_t saddr[16] = {198, 51, 100, 7};
	size_t len[2] = {0, 0};
	unsigned count[2] = {0, 0};
	uint8_t pkt[8192];

	memset(run, 0, sizeof(*run));
	run->matched_at = -1;
	run->status = PG_DETECT_MAYBE;
	for (size_t i = 0; i < n; i++) {
		size_t plen;
		if (steps[i].hex) {
			plen = pg_hex(steps[i].hex, pkt, sizeof(pkt));
		} else {
			plen = strlen(steps[i].text);
			if (plen > sizeof(pkt))
				plen = sizeof(pkt);
			memcpy(pkt, steps[i].text, plen);
		}
		enum pg_dir dir = steps[i].dir;
		uint8_t *st = run->streams[dir];
		const uint8_t *payload = pkt;
		if (l4proto == IPPROTO_TCP) {
			size_t room = sizeof(run->streams[0]) - len[dir];
			memcpy(st + len[dir], pkt, plen < room ? plen : room);
			payload = st + len[dir];
			len[dir] += plen < room ? plen : room;
		} else {
			memcpy(st, pkt, plen);
			payload = st;
			len[dir] = plen;
		}
		count[dir]++;
		struct pg_detect_input in = {
			.l4proto = l4proto,
			.family = 4,
			.dir = dir,
			.client_port = client_port,
			.server_port = server_port,
			.client_addr = caddr,
			.server_addr = saddr,
			.index = count[dir] - 1,
			.payload = payload,
			.payload_len = plen,
			.stream = l4proto == IPPROTO_TCP ? st : payload,
			.stream_len = len[dir],
			.other_stream = run->streams[!dir],
			.other_len = len[!dir],
			.c2s_packets = count[PG_DIR_C2S],
			.s2c_packets = count[PG_DIR_S2C],
		};
		struct pg_detect_result r;
		memset(&r, 0, sizeof(r));
		run->status = d->fn(&in, &r);
		if (run->status == PG_DETECT_MATCH) {
			run->result = r;
			run->matched_at = (int)i;
			return run->status;
		}
		if (run->status == PG_DETECT_NO)
			return run->status;
	}
	return run->status;
}

#endif
