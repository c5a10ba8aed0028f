/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared checks for the paper detector tests. */
#ifndef PEERGATE_TEST_PAPER_TEST_H
#define PEERGATE_TEST_PAPER_TEST_H

#include "detect_util.h"
#include "../../src/detect/detectors.h"

#define NSTEPS(a) (sizeof(a) / sizeof((a)[0]))

/* Runs steps; checks a MATCH with this class at step `at` (-1: any step)
 * with at least min_conf (and at most max_conf). */
static inline void
check_class(const char *what, const struct pg_detector *d, uint8_t proto,
	    uint16_t cport, uint16_t sport, const struct pg_step *steps,
	    size_t n, enum pg_system sys, enum pg_feature feat,
	    uint8_t min_conf, uint8_t max_conf, int at, struct pg_run *run)
{
	enum pg_detect_status st =
		pg_run_detector(d, proto, cport, sport, steps, n, run);
	bool ok = st == PG_DETECT_MATCH && run->result.system == sys &&
		  run->result.feature == feat &&
		  run->result.confidence >= min_conf &&
		  run->result.confidence <= max_conf &&
		  (at < 0 || run->matched_at == at);
	if (!ok)
		fprintf(stderr,
			"%s: status %d system %s feature %s conf %u at %d\n",
			what, st, pg_system_name(run->result.system),
			pg_feature_name(run->result.feature),
			run->result.confidence, run->matched_at);
	CHECK(ok);
}

#define EXPECT_CLASS(what, d, proto, cp, sp, steps, sys, feat, minc, at)       \
	do {                                                                   \
		struct pg_run run_;                                            \
		check_class(what, d, proto, cp, sp, steps, NSTEPS(steps), sys, \
			    feat, minc, 100, at, &run_);                       \
	} while (0)

/* Runs steps; checks that no step matched and the last status is st. */
static inline void check_none(const char *what, const struct pg_detector *d,
			      uint8_t proto, uint16_t cport, uint16_t sport,
			      const struct pg_step *steps, size_t n,
			      enum pg_detect_status want)
{
	struct pg_run run;
	enum pg_detect_status st =
		pg_run_detector(d, proto, cport, sport, steps, n, &run);
	if (st != want)
		fprintf(stderr, "%s: status %d (want %d) system %s feature %s\n",
			what, st, want, pg_system_name(run.result.system),
			pg_feature_name(run.result.feature));
	CHECK(st == want);
}

#define EXPECT_STATUS(what, d, proto, cp, sp, steps, want)                     \
	check_none(what, d, proto, cp, sp, steps, NSTEPS(steps), want)

/*
 * Feeds every step even after a match, as the engine does while a match is
 * below PG_CONF_DECIDE, and returns the last status; *last gets the last
 * match's result.
 */
static inline enum pg_detect_status
run_all(const struct pg_detector *d, uint8_t l4proto, uint16_t cport,
	uint16_t sport, const struct pg_step *steps, size_t n,
	struct pg_detect_result *last)
{
	static const uint8_t caddr[16] = {192, 0, 2, 1};
	static const uint8_t saddr[16] = {198, 51, 100, 7};
	static uint8_t streams[2][8192];
	uint8_t pkt[8192];
	size_t len[2] = {0, 0};
	unsigned count[2] = {0, 0};
	enum pg_detect_status st = PG_DETECT_MAYBE;

	memset(last, 0, sizeof(*last));
	for (size_t i = 0; i < n && st != PG_DETECT_NO; i++) {
		size_t plen = steps[i].hex ? pg_hex(steps[i].hex, pkt, sizeof(pkt))
					   : strlen(steps[i].text);
		if (!steps[i].hex)
			memcpy(pkt, steps[i].text, plen);
		enum pg_dir dir = steps[i].dir;
		uint8_t *s = streams[dir];
		if (l4proto == IPPROTO_TCP) {
			if (len[dir] + plen > sizeof(streams[0]))
				plen = sizeof(streams[0]) - len[dir];
			memcpy(s + len[dir], pkt, plen);
			len[dir] += plen;
		} else {
			memcpy(s, pkt, plen);
			len[dir] = plen;
		}
		count[dir]++;
		struct pg_detect_input in = {
			.l4proto = l4proto,
			.family = 4,
			.dir = dir,
			.client_port = cport,
			.server_port = sport,
			.client_addr = caddr,
			.server_addr = saddr,
			.index = count[dir] - 1,
			.payload = s + len[dir] - plen,
			.payload_len = plen,
			.stream = s,
			.stream_len = len[dir],
			.other_stream = streams[!dir],
			.other_len = len[!dir],
			.c2s_packets = count[PG_DIR_C2S],
			.s2c_packets = count[PG_DIR_S2C],
		};
		struct pg_detect_result r;
		memset(&r, 0, sizeof(r));
		st = d->fn(&in, &r);
		if (st == PG_DETECT_MATCH)
			*last = r;
	}
	return st;
}

/* Every paper detector, on bytes of another protocol: never a match. */
static inline void check_no_paper_match(const char *what, uint8_t proto,
					uint16_t cport, uint16_t sport,
					const struct pg_step *steps, size_t n)
{
	for (size_t i = 0; pg_detectors_paper[i]; i++) {
		const struct pg_detector *d = pg_detectors_paper[i];
		if (!(d->l4_mask & (proto == IPPROTO_TCP ? PG_L4_TCP : PG_L4_UDP)))
			continue;
		struct pg_run run;
		enum pg_detect_status st =
			pg_run_detector(d, proto, cport, sport, steps, n, &run);
		if (st == PG_DETECT_MATCH)
			fprintf(stderr, "%s: %s matched %s/%s\n", what, d->name,
				pg_system_name(run.result.system),
				pg_feature_name(run.result.feature));
		CHECK(st != PG_DETECT_MATCH);
	}
}

#endif
