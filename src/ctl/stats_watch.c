/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `peergatectl stats --watch [SECONDS]`: the counters again and again, with
 * rates per second computed from two successive answers of the daemon.
 * The signals that end it are blocked and waited for with a timeout, which
 * is also the pause between frames: no handler and no global flag.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "peergate/ctlsock.h"
#include "stats_views.h"

/* The moment of an answer, and the answer. */
struct reading {
	struct pg_jvalue *doc;
	double t;                 /* CLOCK_MONOTONIC seconds */
};

static double monotonic_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The verdict row of the same class in an earlier answer. */
static const struct pg_jvalue *same_class(const struct pg_jvalue *rows, const struct pg_jvalue *r)
{
	for (size_t i = 0; rows && rows->type == PG_JSON_ARR && i < rows->count; i++) {
		const struct pg_jvalue *p = &rows->items[i];
		if (!strcmp(pg_json_str(p, "system"), pg_json_str(r, "system")) &&
		    !strcmp(pg_json_str(p, "feature"), pg_json_str(r, "feature")))
			return p;
	}
	return NULL;
}

/* "12.5/s" from two readings of one counter; "-" with no earlier reading
 * or after a restart of the daemon (the counter went back). */
static void rate(char *buf, size_t len, double now, const double *before, double dt)
{
	if (!before || dt <= 0 || now < *before)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.1f/s", (now - *before) / dt);
}

static void print_classes(const struct reading *cur, const struct reading *prev, double dt)
{
	const struct pg_jvalue *rows = pg_json_get(cur->doc, "verdicts");
	const struct pg_jvalue *prows = prev ? pg_json_get(prev->doc, "verdicts") : NULL;

	printf("%-12s %-18s %8s %8s %10s %12s %14s\n", "system", "feature", "flows", "blocked",
	       "flows/s", "packets/s", "bytes/s");
	for (size_t i = 0; rows && rows->type == PG_JSON_ARR && i < rows->count; i++) {
		const struct pg_jvalue *r = &rows->items[i];
		const struct pg_jvalue *p = same_class(prows, r);
		double flows = pg_json_num(r, "flows");
		double pkts = pg_json_num(r, "packets_accepted") + pg_json_num(r, "packets_dropped");
		double bytes = pg_json_num(r, "bytes_accepted") + pg_json_num(r, "bytes_dropped");
		double pflows = 0, ppkts = 0, pbytes = 0;
		char fr[32], pr[32], br[32];

		/* A class first seen now started from zero. */
		if (p) {
			pflows = pg_json_num(p, "flows");
			ppkts = pg_json_num(p, "packets_accepted") + pg_json_num(p, "packets_dropped");
			pbytes = pg_json_num(p, "bytes_accepted") + pg_json_num(p, "bytes_dropped");
		}
		rate(fr, sizeof(fr), flows, prev ? &pflows : NULL, dt);
		rate(pr, sizeof(pr), pkts, prev ? &ppkts : NULL, dt);
		rate(br, sizeof(br), bytes, prev ? &pbytes : NULL, dt);
		printf("%-12s %-18s %8.0f %8.0f %10s %12s %14s\n", pg_json_str(r, "system"),
		       pg_json_str(r, "feature"), flows, pg_json_num(r, "flows_dropped"), fr, pr, br);
	}
}

/* The engine's counters that moved since the last frame, with rates, and
 * its levels; unchanged counters are left out to keep the frame short. */
static void print_engine(const struct reading *cur, const struct reading *prev, double dt)
{
	static const char *const levels[] = {"flows_tracked", "inspect_slots_used",
					     "inspect_slots"};
	const struct pg_jvalue *e = pg_json_get(cur->doc, "engine");
	const struct pg_jvalue *pe = prev ? pg_json_get(prev->doc, "engine") : NULL;
	int shown = 0;

	printf("\nengine:");
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		printf(" %s=%.0f", levels[i], pg_json_num(e, levels[i]));
	printf("\nmoving:");
	for (size_t i = 0; e && e->type == PG_JSON_OBJ && i < e->count; i++) {
		const struct pg_jvalue *before = pg_json_get(pe, e->keys[i]);
		double now = e->items[i].num, then = before ? before->num : 0;
		char r[32];
		bool level = false;

		for (size_t l = 0; l < sizeof(levels) / sizeof(levels[0]); l++)
			level |= !strcmp(e->keys[i], levels[l]);
		if (level || e->items[i].type != PG_JSON_NUM || !prev || now == then)
			continue;
		rate(r, sizeof(r), now, before ? &then : NULL, dt);
		printf("%s %s=%.0f (%s)", shown % 4 ? "" : "\n ", e->keys[i], now, r);
		shown++;
	}
	if (!shown)
		printf(" %s", prev ? "none" : "-");
	printf("\n");
}

static void print_kernel(const struct reading *cur, const struct reading *prev, double dt)
{
	const struct pg_jvalue *k = pg_json_get(cur->doc, "kernel");
	const struct pg_jvalue *kc = pg_json_get(k, "counters");
	const struct pg_jvalue *pkc = prev ? pg_json_get(pg_json_get(prev->doc, "kernel"),
							 "counters") : NULL;
	const struct pg_jvalue *present = pg_json_get(k, "present");

	if (present && present->type == PG_JSON_BOOL && present->boolean)
		printf("\nkernel: table %s present, %.0f rules; re-applied %.0f times\n",
		       pg_json_str(k, "table"), pg_json_num(k, "rules"),
		       pg_json_num(k, "table_reapplied"));
	else
		printf("\nkernel: table %s MISSING; re-applied %.0f times\n",
		       pg_json_str(k, "table"), pg_json_num(k, "table_reapplied"));
	for (size_t i = 0; kc && kc->type == PG_JSON_ARR && i < kc->count; i++) {
		const struct pg_jvalue *c = &kc->items[i];
		const struct pg_jvalue *p = NULL;
		double pkts = pg_json_num(c, "packets"), before = 0;
		char r[32];

		for (size_t j = 0; pkc && pkc->type == PG_JSON_ARR && j < pkc->count; j++)
			if (!strcmp(pg_json_str(&pkc->items[j], "name"), pg_json_str(c, "name")))
				p = &pkc->items[j];
		if (p)
			before = pg_json_num(p, "packets");
		if (!pkts)
			continue;
		rate(r, sizeof(r), pkts, p ? &before : NULL, dt);
		printf("  %-34s %12.0f packets %12s\n", pg_json_str(c, "name"), pkts, r);
	}
}

static void print_frame(const struct reading *cur, const struct reading *prev, double seconds,
			bool tty)
{
	char when[32];
	time_t now = time(NULL);
	struct tm tm;
	double dt = prev ? cur->t - prev->t : 0;

	strftime(when, sizeof(when), "%H:%M:%S", localtime_r(&now, &tm));
	/* Home and clear on a terminal; a pipe or a file gets frames one
	 * after the other, each starting with its header line. */
	if (tty)
		fputs("\033[H\033[2J", stdout);
	if (prev)
		printf("peergate stats at %s, every %g s; rates over the last %.1f s "
		       "(Ctrl-C ends)\n\n", when, seconds, dt);
	else
		printf("peergate stats at %s, every %g s; rates from the next frame on "
		       "(Ctrl-C ends)\n\n", when, seconds);
	print_classes(cur, prev, dt);
	print_engine(cur, prev, dt);
	print_kernel(cur, prev, dt);
	if (!tty)
		putchar('\n');
	fflush(stdout);
}

/* Waits up to seconds for SIGINT or SIGTERM (blocked by the caller):
 * true when one came. */
static bool stop_requested(const sigset_t *stop, double seconds)
{
	double until = monotonic_s() + seconds;

	for (;;) {
		double left = until - monotonic_s();
		struct timespec ts;

		if (left <= 0)
			return false;
		ts.tv_sec = (time_t)left;
		ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
		if (sigtimedwait(stop, NULL, &ts) >= 0)
			return true;
		if (errno != EINTR)
			return false;     /* EAGAIN: the time is up */
	}
}

int pg_stats_watch(const char *socket, double seconds)
{
	struct reading cur = {0}, prev = {0};
	sigset_t stop, old;
	bool tty = isatty(STDOUT_FILENO);
	int ret = 1;

	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigprocmask(SIG_BLOCK, &stop, &old);
	for (;;) {
		char err[512];
		char *reply = pg_ctl_request(socket, "stats", err, sizeof(err));

		if (!reply) {
			fprintf(stderr, "peergatectl: %s\n", err);
			goto out;
		}
		cur.t = monotonic_s();
		cur.doc = pg_json_parse(reply);
		free(reply);
		if (!cur.doc || pg_json_get(cur.doc, "error")) {
			fprintf(stderr, "peergatectl: %s\n", cur.doc ?
				pg_json_str(cur.doc, "error") : "malformed answer from peergated");
			goto out;
		}
		print_frame(&cur, prev.doc ? &prev : NULL, seconds, tty);
		pg_json_free(prev.doc);
		prev = cur;
		cur.doc = NULL;
		if (stop_requested(&stop, seconds))
			break;
	}
	ret = 0;
out:
	pg_json_free(cur.doc);
	pg_json_free(prev.doc);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return ret;
}
