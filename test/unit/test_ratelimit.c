/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The token bucket behind the daemon's log limits. */
#include "check.h"
#include "peergate/ratelimit.h"

/* A full bucket lets `burst` events through at once, then refuses. */
static void test_burst(void)
{
	struct pg_ratelimit rl;
	unsigned passed = 0;

	pg_ratelimit_init(&rl, 10, 5);
	for (int i = 0; i < 20; i++)
		passed += pg_ratelimit_take(&rl, 1000);
	CHECK(passed == 5);
	CHECK(rl.passed == 5);
	CHECK(rl.refused == 15);
}

/* Refill: 10 per second is one token per 100 ms, never more than burst. */
static void test_refill(void)
{
	struct pg_ratelimit rl;

	pg_ratelimit_init(&rl, 10, 2);
	CHECK(pg_ratelimit_take(&rl, 0));
	CHECK(pg_ratelimit_take(&rl, 0));
	CHECK(!pg_ratelimit_take(&rl, 0));
	CHECK(!pg_ratelimit_take(&rl, 99));   /* 0.99 token */
	CHECK(pg_ratelimit_take(&rl, 100));   /* 1.0 token */
	CHECK(!pg_ratelimit_take(&rl, 150));
	/* an hour idle: the bucket holds burst (2), not 36,000 */
	CHECK(pg_ratelimit_take(&rl, 3600100));
	CHECK(pg_ratelimit_take(&rl, 3600100));
	CHECK(!pg_ratelimit_take(&rl, 3600100));
	/* over 10 s at a steady flood of one event per ms, about rate * 10
	 * pass (plus what was left) */
	pg_ratelimit_init(&rl, 10, 2);
	unsigned passed = 0;
	for (uint64_t t = 0; t < 10000; t++)
		passed += pg_ratelimit_take(&rl, t);
	CHECK(passed >= 100 && passed <= 102);
}

/* The refusals since the last report, then zero; totals stay. */
static void test_collect(void)
{
	struct pg_ratelimit rl;

	pg_ratelimit_init(&rl, 1, 1);
	CHECK(pg_ratelimit_take(&rl, 0));
	for (int i = 0; i < 7; i++)
		CHECK(!pg_ratelimit_take(&rl, 10));
	CHECK(pg_ratelimit_collect(&rl) == 7);
	CHECK(pg_ratelimit_collect(&rl) == 0);
	CHECK(!pg_ratelimit_take(&rl, 20));
	CHECK(pg_ratelimit_collect(&rl) == 1);
	CHECK(rl.refused == 8);
}

/* A clock that goes back does not mint tokens; rate 0 lets nothing through
 * once the bucket is empty; a new rate keeps the fill. */
static void test_edges(void)
{
	struct pg_ratelimit rl;

	pg_ratelimit_init(&rl, 1000, 1);
	CHECK(pg_ratelimit_take(&rl, 5000));
	CHECK(!pg_ratelimit_take(&rl, 4000));   /* back in time: restart there */
	CHECK(pg_ratelimit_take(&rl, 4001));    /* 1 ms at 1000/s: one token */

	pg_ratelimit_init(&rl, 0, 3);
	unsigned passed = 0;
	for (uint64_t t = 0; t < 100000; t += 1000)
		passed += pg_ratelimit_take(&rl, t);
	CHECK(passed == 3);

	pg_ratelimit_init(&rl, 10, 10);
	for (int i = 0; i < 8; i++)
		CHECK(pg_ratelimit_take(&rl, 0));
	pg_ratelimit_set(&rl, 10, 100);         /* 2 left, not refilled */
	CHECK(pg_ratelimit_take(&rl, 0));
	CHECK(pg_ratelimit_take(&rl, 0));
	CHECK(!pg_ratelimit_take(&rl, 0));
	CHECK(rl.passed == 10);
	pg_ratelimit_init(&rl, 10, 0);          /* burst 0 is 1 */
	CHECK(pg_ratelimit_take(&rl, 0));
	CHECK(!pg_ratelimit_take(&rl, 0));
}

int main(void)
{
	test_burst();
	test_refill();
	test_collect();
	test_edges();
	return pg_test_summary("ratelimit");
}
