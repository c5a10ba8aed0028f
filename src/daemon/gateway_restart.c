/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Across a restart: the decided flows saved at exit (the state file), and
 * at start-up the verdict codes a previous run left in conntrack reviewed
 * against them (restored, re-decided under this policy, or cleared).
 */
#include "gateway_priv.h"

#include <stdint.h>
#include <stdlib.h>

#include "peergate/conntrack.h"
#include "peergate/flowstate.h"

struct restore_ctx {
	struct pg_gateway *g;
	const struct pg_flowstate *fs;
	uint8_t *matched;            /* per state entry: a marked connection was its */
	uint64_t now;
};

/* The kernel picks a flow's queue by a hash whose seed only it knows, so a
 * restored flow goes to every worker: the copies on the other queues see
 * no packet and expire, and save_flows keeps one copy of each flow. */
static struct pg_flow *restore_everywhere(struct pg_gateway *g, const struct pg_flow *saved,
					  const char *host, uint64_t now)
{
	struct pg_flow *first = NULL;

	for (unsigned i = 0; i < g->nworkers; i++) {
		struct pg_flow *f = pg_engine_restore_flow(g->workers[i].engine, saved, host, now);
		if (!first)
			first = f;
	}
	return first;
}

/* The state entry of a connection: the daemon saw the flow between the
 * ends of its original tuple, or, behind DNAT, of its reply tuple. */
static long state_index(const struct pg_flowstate *fs, const struct pg_ct_entry *ct)
{
	long i = pg_flowstate_find(fs, ct->family, ct->l4proto, ct->orig_src, ct->orig_sport,
				   ct->orig_dst, ct->orig_dport);
	if (i < 0)
		i = pg_flowstate_find(fs, ct->family, ct->l4proto, ct->reply_src,
				      ct->reply_sport, ct->reply_dst, ct->reply_dport);
	return i;
}

/* One connection that carries a verdict code from a previous run: true to
 * clear the code, so that its next packet comes to the queue. */
static bool review_marked(const struct pg_ct_entry *ct, void *ctx)
{
	struct restore_ctx *rc = ctx;
	struct pg_gateway *g = rc->g;
	long i = state_index(rc->fs, ct);
	struct pg_flow *f = NULL;

	g->rs.marked++;
	if (i >= 0) {
		const struct pg_flowstate_entry *se = pg_flowstate_at(rc->fs, (size_t)i);
		rc->matched[i] = 1;
		f = restore_everywhere(g, &se->flow, se->host, rc->now);
	}
	if (!f) {
		/* Its class is unknown here (no state file, or not in it):
		 * inspected again from where it is. */
		g->rs.cleared++;
		return true;
	}
	g->rs.restored++;
	if (pg_flow_verdict_of(gw_current(g)->policy, f).code == pg_mark_code_of(g->mark_mask, ct->mark))
		return false;
	g->rs.redecided++;
	return true;
}

/* Decided flows of the state file that carry no code on purpose (allowed
 * IM control flows stay in user space): put back when their connection is
 * still there, so that they keep their class and their announcements. */
static void restore_unmarked(struct restore_ctx *rc)
{
	struct pg_gateway *g = rc->g;
	for (size_t i = 0; i < pg_flowstate_count(rc->fs); i++) {
		const struct pg_flowstate_entry *se = pg_flowstate_at(rc->fs, i);
		const struct pg_flow *f = &se->flow;
		uint32_t mark;
		if (rc->matched[i] || !(f->flags & PG_FLOW_WATCH) ||
		    pg_ct_get_mark(f->family, f->l4proto, f->client_addr, f->client_port,
				   f->server_addr, f->server_port, &mark) < 0 ||
		    pg_mark_code_of(g->mark_mask, mark) != PG_MARK_NONE)
			continue;
		if (restore_everywhere(g, f, se->host, rc->now))
			g->rs.restored++;
	}
}

/* Start-up re-decides: the verdict codes a previous run left in conntrack
 * would otherwise settle its flows by its policy until they end.  Flows the
 * state file knows are restored with their class, and only those whose
 * verdict this policy changes are cleared; flows it does not know (after a
 * crash or kill) are cleared and inspected again.  Only our mark bits are
 * touched: connections are never deleted (that would break NATed flows). */
void gw_restore_flows(struct pg_gateway *g)
{
	const struct pg_engine_settings *s = pg_policy_engine(gw_current(g)->policy);
	const char *path = g->opt.state_path;
	struct pg_flowstate_limits lim = {
		.now_s = (int64_t)time(NULL),
		.max_age_s = s->tcp_timeout_s,
		.mark_mask = g->mark_mask,
		.max_flows = s->max_flows,
		.systems = pg_policy_systems(gw_current(g)->policy),
	};
	struct pg_flowstate *fs = NULL;
	struct restore_ctx rc = {.g = g, .now = gw_now_ms()};
	struct pg_ct_sweep_result res;
	char err[512], state[600];

	snprintf(state, sizeof(state), "no state file");
	if (path && *path) {
		switch (pg_flowstate_load(path, &lim, &fs, err, sizeof(err))) {
		case PG_FLOWSTATE_ABSENT:
			snprintf(state, sizeof(state), "no state file %s", path);
			break;
		case PG_FLOWSTATE_REJECTED:
			pg_log(g->opt.log, LOG_WARNING, PG_LOG_EVENT, "state file %s ignored: %s", path,
			       err);
			snprintf(state, sizeof(state), "state file ignored");
			break;
		case PG_FLOWSTATE_LOADED:
			g->rs.state_flows = pg_flowstate_count(fs);
			snprintf(state, sizeof(state), "%zu flows in %s", pg_flowstate_count(fs),
				 path);
			if (pg_flowstate_skipped(fs))
				pg_log(g->opt.log, LOG_WARNING, PG_LOG_EVENT, "state file %s: %zu flows "
				       "beyond max-flows skipped", path, pg_flowstate_skipped(fs));
			break;
		}
	}
	rc.fs = fs;
	rc.matched = calloc(pg_flowstate_count(fs) + 1, 1);
	if (!rc.matched) {
		pg_log(g->opt.log, LOG_ERR, PG_LOG_EVENT, "start-up: out of memory; verdict marks "
		       "of the previous run left as they are");
		goto out;
	}
	if (pg_ct_sweep_marks(g->mark_mask, review_marked, &rc, &res, err, sizeof(err)) < 0) {
		pg_log(g->opt.log, LOG_ERR, PG_LOG_EVENT, "start-up: cannot review the previous "
		       "run's verdict marks: %s; they stay in force until their flows end", err);
		goto out;
	}
	g->rs.clear_failures = res.failures;
	restore_unmarked(&rc);
	pg_log(g->opt.log, LOG_INFO, PG_LOG_EVENT, "start-up: %s; %llu marked connections; "
	       "%llu flows restored (%llu re-decided under this policy), %llu unknown cleared "
	       "for inspection, %llu clear failures", state,
		(unsigned long long)g->rs.marked, (unsigned long long)g->rs.restored,
		(unsigned long long)g->rs.redecided, (unsigned long long)g->rs.cleared,
		(unsigned long long)g->rs.clear_failures);
out:
	free(rc.matched);
	pg_flowstate_destroy(fs);
}

struct save_ctx {
	const struct pg_gateway *g;
	unsigned worker;             /* whose flows are being saved */
	struct pg_flowstate_writer *w;
	size_t count;
};

static void save_flow(struct pg_flow *f, void *ctx)
{
	struct save_ctx *sc = ctx;
	if (f->state != PG_FLOW_DECIDED)
		return;
	/* A restored flow sits in every worker: once is enough. */
	for (unsigned i = 0; i < sc->worker; i++) {
		if (sc->g->workers[i].engine && pg_engine_twin(sc->g->workers[i].engine, f))
			return;
	}
	pg_flowstate_writer_add(sc->w, f,
				pg_engine_flow_host(sc->g->workers[sc->worker].engine, f));
	sc->count++;
}

/* The decided flows, for the next run's start-up (see restore_flows).
 * The workers have stopped. */
void gw_save_flows(struct pg_gateway *g)
{
	const char *path = g->opt.state_path;
	char err[512];
	if (!path || !*path)
		return;
	struct save_ctx sc = {.g = g};
	sc.w = pg_flowstate_writer_open(path, (int64_t)time(NULL), g->mark_mask,
					pg_policy_systems(gw_current(g)->policy), err, sizeof(err));
	if (!sc.w) {
		pg_log(g->opt.log, LOG_ERR, PG_LOG_EVENT, "flows not saved: %s", err);
		return;
	}
	for (sc.worker = 0; sc.worker < g->nworkers; sc.worker++) {
		if (g->workers[sc.worker].engine)
			pg_engine_foreach_flow(g->workers[sc.worker].engine, save_flow, &sc);
	}
	if (pg_flowstate_writer_commit(sc.w, err, sizeof(err)) < 0)
		pg_log(g->opt.log, LOG_ERR, PG_LOG_EVENT, "flows not saved: %s", err);
	else
		pg_log(g->opt.log, LOG_INFO, PG_LOG_EVENT, "%zu decided flows saved to %s",
		       sc.count, path);
}

void gw_restart_json(const struct pg_gateway *g, FILE *out)
{
	fprintf(out, ",\"restart\":{\"state_flows\":%llu,\"marked\":%llu,\"restored\":%llu,"
		"\"redecided\":%llu,\"cleared\":%llu,\"clear_failures\":%llu}",
		(unsigned long long)g->rs.state_flows, (unsigned long long)g->rs.marked,
		(unsigned long long)g->rs.restored, (unsigned long long)g->rs.redecided,
		(unsigned long long)g->rs.cleared, (unsigned long long)g->rs.clear_failures);
}
