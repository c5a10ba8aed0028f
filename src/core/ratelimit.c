/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "peergate/ratelimit.h"

/* Past this much idle time the bucket is full whatever the rate, so the
 * refill never multiplies an unbounded interval. */
enum { REFILL_CAP_MS = 3600 * 1000 };

void pg_ratelimit_init(struct pg_ratelimit *rl, uint32_t rate, uint32_t burst)
{
	*rl = (struct pg_ratelimit){0};
	pg_ratelimit_set(rl, rate, burst);
	rl->milli_tokens = (uint64_t)rl->burst * 1000u;
}

void pg_ratelimit_set(struct pg_ratelimit *rl, uint32_t rate, uint32_t burst)
{
	rl->rate = rate;
	rl->burst = burst ? burst : 1;
	if (rl->milli_tokens > (uint64_t)rl->burst * 1000u)
		rl->milli_tokens = (uint64_t)rl->burst * 1000u;
}

static void refill(struct pg_ratelimit *rl, uint64_t now_ms)
{
	uint64_t cap = (uint64_t)rl->burst * 1000u;

	if (!rl->started || now_ms < rl->last_ms) {
		/* First use, or a clock that went back: start from here. */
		rl->started = true;
		rl->last_ms = now_ms;
		return;
	}
	uint64_t elapsed = now_ms - rl->last_ms;
	if (elapsed > REFILL_CAP_MS)
		elapsed = REFILL_CAP_MS;
	/* rate tokens per second = rate milli-tokens per millisecond */
	rl->milli_tokens += elapsed * rl->rate;
	if (rl->milli_tokens > cap)
		rl->milli_tokens = cap;
	rl->last_ms = now_ms;
}

bool pg_ratelimit_take(struct pg_ratelimit *rl, uint64_t now_ms)
{
	refill(rl, now_ms);
	if (rl->milli_tokens >= 1000u) {
		rl->milli_tokens -= 1000u;
		rl->passed++;
		return true;
	}
	rl->refused++;
	rl->refused_unreported++;
	return false;
}

uint64_t pg_ratelimit_collect(struct pg_ratelimit *rl)
{
	uint64_t n = rl->refused_unreported;

	rl->refused_unreported = 0;
	return n;
}
