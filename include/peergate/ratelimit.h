/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A token bucket: at most `burst` events at once, refilled at `rate` per
 * second.  Pure (the caller passes the time), so the logger's limits are
 * testable without a clock.  Counts what it let through and what it
 * refused, in total and since the caller last collected the refusals.
 */
#ifndef PEERGATE_RATELIMIT_H
#define PEERGATE_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

/* A small value type, embedded where it is used (no allocation). */
struct pg_ratelimit {
	uint32_t rate;            /* tokens per second; 0: nothing passes */
	uint32_t burst;           /* bucket size in tokens (at least 1) */
	uint64_t milli_tokens;    /* the bucket's fill, in 1/1000 tokens */
	uint64_t last_ms;         /* when it was last refilled */
	bool started;
	uint64_t passed, refused; /* totals */
	uint64_t refused_unreported; /* refused since pg_ratelimit_collect */
};

/* A full bucket: the first `burst` events pass at once.  burst 0 is
 * taken as 1. */
void pg_ratelimit_init(struct pg_ratelimit *rl, uint32_t rate, uint32_t burst);

/* Changes the rate and bucket size, keeping the fill (capped) and the
 * counters: a policy reload must not reset a flood's limit. */
void pg_ratelimit_set(struct pg_ratelimit *rl, uint32_t rate, uint32_t burst);

/* True when one more event may go at now_ms (a monotonic clock): a token
 * is taken.  False: refused and counted. */
bool pg_ratelimit_take(struct pg_ratelimit *rl, uint64_t now_ms);

/* The refusals since the previous call (for a "N suppressed" report),
 * and resets that count. */
uint64_t pg_ratelimit_collect(struct pg_ratelimit *rl);

#endif
