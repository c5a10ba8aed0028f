/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers for the unit tests of the modern detectors (test_detect_*.c):
 * run a scripted exchange and check the outcome, naming the case on
 * failure.
 */
#ifndef PEERGATE_TEST_MODERN_CHECK_H
#define PEERGATE_TEST_MODERN_CHECK_H

#include "detect_util.h"
#include "../../src/detect/detectors.h"

#define NSTEPS(a) (sizeof(a) / sizeof((a)[0]))
#define C2S_HEX(h) {PG_DIR_C2S, (h), NULL}
#define S2C_HEX(h) {PG_DIR_S2C, (h), NULL}
#define C2S_TXT(t) {PG_DIR_C2S, NULL, (t)}
#define S2C_TXT(t) {PG_DIR_S2C, NULL, (t)}

static inline void mc_fail(const char *name, const char *what,
			   const struct pg_run *r)
{
	fprintf(stderr, "  case %s: %s (status %d, sys %d, feat %d, conf %u, at %d)\n",
		name, what, (int)r->status, (int)r->result.system,
		(int)r->result.feature, r->result.confidence, r->matched_at);
}

/* Expects a match of (sys, feat) with at least min_conf. */
static inline void mc_expect_match(const char *name, const struct pg_detector *d,
				   uint8_t l4, uint16_t cport, uint16_t sport,
				   const struct pg_step *st, size_t n,
				   enum pg_system sys, enum pg_feature feat,
				   unsigned min_conf, struct pg_run *r)
{
	pg_run_detector(d, l4, cport, sport, st, n, r);
	bool ok = r->status == PG_DETECT_MATCH && r->result.system == sys &&
		  r->result.feature == feat && r->result.confidence >= min_conf;
	if (!ok)
		mc_fail(name, "expected match", r);
	CHECK(ok);
}

/* Expects no match: the final status is `want` (NO or MAYBE). */
static inline void mc_expect_status(const char *name, const struct pg_detector *d,
				    uint8_t l4, uint16_t cport, uint16_t sport,
				    const struct pg_step *st, size_t n,
				    enum pg_detect_status want)
{
	struct pg_run r;
	pg_run_detector(d, l4, cport, sport, st, n, &r);
	if (r.status != want)
		mc_fail(name, want == PG_DETECT_NO ? "expected NO" : "expected MAYBE", &r);
	CHECK(r.status == want);
}

/* Expects anything but a match. */
static inline void mc_expect_no_match(const char *name, const struct pg_detector *d,
				      uint8_t l4, uint16_t cport, uint16_t sport,
				      const struct pg_step *st, size_t n)
{
	struct pg_run r;
	pg_run_detector(d, l4, cport, sport, st, n, &r);
	if (r.status == PG_DETECT_MATCH)
		mc_fail(name, "unexpected match", &r);
	CHECK(r.status != PG_DETECT_MATCH);
}

/* Runs every modern detector over the steps and expects none to match
 * (negative captures). */
static inline void mc_expect_clean(const char *name, uint8_t l4, uint16_t cport,
				   uint16_t sport, const struct pg_step *st,
				   size_t n)
{
	for (size_t k = 0; pg_detectors_modern[k]; k++) {
		const struct pg_detector *d = pg_detectors_modern[k];
		unsigned need = l4 == IPPROTO_TCP ? PG_L4_TCP : PG_L4_UDP;
		if (!(d->l4_mask & need))
			continue;
		struct pg_run r;
		pg_run_detector(d, l4, cport, sport, st, n, &r);
		/* Plain STUN is an ordinary protocol; everything else must
		 * stay silent. */
		bool ok = r.status != PG_DETECT_MATCH;
		if (!ok) {
			fprintf(stderr, "  detector %s: ", d->name);
			mc_fail(name, "matched a negative", &r);
		}
		CHECK(ok);
	}
}

#endif
