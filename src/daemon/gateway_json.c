/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The gateway's JSON documents for the control socket: every worker's
 * counters summed (each read under the worker's lock), one entry per
 * worker, the kernel table as the kernel holds it now, the log's counts,
 * and every worker's flows.
 */
#include "gateway_priv.h"

#include <netinet/in.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "peergate/ctlproto.h"
#include "peergate/json.h"
#include "peergate/systems.h"

static void add_counters(struct engine_counters *sum, const struct engine_counters *c)
{
	uint64_t *d = (uint64_t *)sum;
	const uint64_t *s = (const uint64_t *)c;

	/* All members are uint64_t (checked below). */
	for (size_t i = 0; i < sizeof(*c) / sizeof(uint64_t); i++)
		d[i] += s[i];
}
_Static_assert(sizeof(struct engine_counters) % sizeof(uint64_t) == 0,
	       "engine_counters holds uint64_t only");

static void add_queue_stats(struct pg_nfq_stats *q, const struct pg_nfq_stats *qs)
{
	q->received += qs->received;
	q->verdicts += qs->verdicts;
	q->verdict_errors += qs->verdict_errors;
	q->send_errors += qs->send_errors;
	q->enobufs += qs->enobufs;
	q->truncated += qs->truncated;
}

static void add_engine_stats(struct pg_engine_stats *t, const struct pg_engine_stats *s)
{
	t->packets += s->packets;
	t->bytes += s->bytes;
	t->malformed += s->malformed;
	t->fragments += s->fragments;
	t->not_tracked += s->not_tracked;
	t->too_deep += s->too_deep;
	t->starved_packets += s->starved_packets;
	t->starved_flows += s->starved_flows;
	t->slot_reclaims += s->slot_reclaims;
	t->segments_held += s->segments_held;
	t->segments_beyond += s->segments_beyond;
	t->overlap_conflicts += s->overlap_conflicts;
	t->slots_used += s->slots_used;
	t->slots += s->slots;
	t->dns_learned += s->dns_learned;
	t->expectations += s->expectations;
	t->bt_peers_learned += s->bt_peers_learned;
	t->bt_peer_hits += s->bt_peer_hits;
	t->ed2k_peers_learned += s->ed2k_peers_learned;
	t->ed2k_peer_hits += s->ed2k_peer_hits;
	t->heuristic_matches += s->heuristic_matches;
	t->decided += s->decided;
	t->flows.created += s->flows.created;
	t->flows.evicted += s->flows.evicted;
	t->flows.expired += s->flows.expired;
	t->flows.reused += s->flows.reused;
	t->flows.active += s->flows.active;
}

static void add_verdict_stats(struct pg_verdict_stats *t, const struct pg_verdict_stats *s)
{
	for (size_t i = 0; i < PG_SYS_COUNT; i++) {
		for (size_t j = 0; j < PG_FEAT_COUNT; j++) {
			struct pg_class_counters *d = &t->cls[i][j];
			const struct pg_class_counters *c = &s->cls[i][j];
			d->flows += c->flows;
			d->flows_dropped += c->flows_dropped;
			d->flows_logged += c->flows_logged;
			d->packets_accepted += c->packets_accepted;
			d->packets_dropped += c->packets_dropped;
			d->bytes_accepted += c->bytes_accepted;
			d->bytes_dropped += c->bytes_dropped;
		}
	}
}

/* Everything the workers count, summed (each read under its lock), and
 * one entry per worker for `workers`. */
struct gateway_sums {
	struct pg_verdict_stats vstats;
	struct engine_counters ec;
	struct pg_engine_stats es;
	struct pg_nfq_stats q;
};

static void worker_json(const struct gw_worker *w, const struct engine_counters *ec,
			const struct pg_engine_stats *es, const struct pg_nfq_stats *q,
			FILE *out)
{
	fprintf(out, "{\"queue\":%u,\"alive\":%s,\"queued\":%llu,\"verdicts\":%llu,"
		"\"flows_tracked\":%u,\"flows_created\":%llu,\"flows_decided\":%llu}",
		(unsigned)w->queue_num,
		w->running && !atomic_load(&w->failed) ? "true" : "false",
		(unsigned long long)ec->queued, (unsigned long long)q->verdicts,
		es->flows.active, (unsigned long long)es->flows.created,
		(unsigned long long)es->decided);
}

/* Sums the workers into s and writes the `workers` array to out. */
static void sum_workers(struct pg_gateway *g, struct gateway_sums *s, FILE *out)
{
	memset(s, 0, sizeof(*s));
	fputs(",\"workers\":[", out);
	for (unsigned i = 0; i < g->nworkers; i++) {
		struct gw_worker *w = &g->workers[i];
		struct pg_engine_stats es;
		struct pg_nfq_stats q;
		struct engine_counters ec;

		pthread_mutex_lock(&w->lock);
		pg_engine_get_stats(w->engine, &es);
		pg_nfq_get_stats(w->nfq, &q);
		ec = w->ec;
		add_verdict_stats(&s->vstats, &w->vstats);
		pthread_mutex_unlock(&w->lock);
		add_counters(&s->ec, &ec);
		add_engine_stats(&s->es, &es);
		add_queue_stats(&s->q, &q);
		fputs(i ? "," : "", out);
		worker_json(w, &ec, &es, &q, out);
	}
	fputs("]", out);
}

static void engine_json(const struct pg_gateway *g, const struct gateway_sums *s, FILE *out)
{
	const struct pg_engine_stats *es = &s->es;
	const struct pg_nfq_stats *q = &s->q;
	const struct engine_counters *ec = &s->ec;

	fprintf(out,
		",\"engine\":{\"queued\":%llu,\"verdicts\":%llu,\"verdict_errors\":%llu,"
		"\"send_errors\":%llu,\"enobufs\":%llu,\"truncated\":%llu,"
		"\"malformed\":%llu,\"fragments\":%llu,\"not_tracked\":%llu,"
		"\"inspect_accepted\":%llu,\"exception_accepted\":%llu,\"watch_accepted\":%llu,"
		"\"flows_tracked\":%u,\"flows_created\":%llu,\"flows_evicted\":%llu,"
		"\"flows_expired\":%llu,\"flows_reused\":%llu,\"flows_decided\":%llu,\"dns_learned\":%llu,"
		"\"expectations\":%llu,\"bt_peers_learned\":%llu,\"bt_peer_hits\":%llu,"
		"\"ed2k_peers_learned\":%llu,\"ed2k_peer_hits\":%llu,"
		"\"heuristic_matches\":%llu,\"reloads\":%llu,\"reload_failures\":%llu,"
		"\"ct_marks_cleared\":%llu,\"ct_clear_failures\":%llu,"
		"\"dyn_blocks\":%llu,\"dyn_block_failures\":%llu,"
		"\"ct_blocks\":%llu,\"ct_block_failures\":%llu,"
		"\"stamp_returned\":%llu,\"invalid_flow_verdict\":%llu,"
		"\"invalid_accepted\":%llu,\"invalid_dropped\":%llu,\"too_deep\":%llu,"
		"\"uninspectable_accepted\":%llu,\"uninspectable_dropped\":%llu,"

		"\"inspect_slots\":%u,\"inspect_slots_used\":%u,\"slot_reclaims\":%llu,"
		"\"starved_flows\":%llu,\"starved_packets\":%llu,"
		"\"starved_dropped\":%llu,\"starved_accepted\":%llu,"
		"\"segments_held\":%llu,\"segments_beyond\":%llu,"
		"\"overlap_conflicts\":%llu,\"conflicts_dropped\":%llu,\"syns_replayed\":%llu}",
		(unsigned long long)ec->queued, (unsigned long long)q->verdicts,
		(unsigned long long)q->verdict_errors, (unsigned long long)q->send_errors,
		(unsigned long long)q->enobufs, (unsigned long long)q->truncated,
		(unsigned long long)es->malformed, (unsigned long long)es->fragments,
		(unsigned long long)es->not_tracked, (unsigned long long)ec->inspect_accepted,
		(unsigned long long)ec->exception_accepted,
		(unsigned long long)ec->watch_accepted, es->flows.active,
		(unsigned long long)es->flows.created, (unsigned long long)es->flows.evicted,
		(unsigned long long)es->flows.expired, (unsigned long long)es->flows.reused,
		(unsigned long long)es->decided,
		(unsigned long long)es->dns_learned, (unsigned long long)es->expectations,
		(unsigned long long)es->bt_peers_learned, (unsigned long long)es->bt_peer_hits,
		(unsigned long long)es->ed2k_peers_learned, (unsigned long long)es->ed2k_peer_hits,
		(unsigned long long)es->heuristic_matches,
		(unsigned long long)g->reloads, (unsigned long long)g->reload_failures,
		(unsigned long long)ec->ct_marks_cleared,
		(unsigned long long)ec->ct_clear_failures,
		(unsigned long long)ec->dyn_blocks,
		(unsigned long long)ec->dyn_block_failures,
		(unsigned long long)ec->ct_blocks,
		(unsigned long long)ec->ct_block_failures,
		(unsigned long long)ec->stamp_returned,
		(unsigned long long)ec->invalid_flow_verdict,
		(unsigned long long)ec->invalid_accepted,
		(unsigned long long)ec->invalid_dropped,
		(unsigned long long)es->too_deep,
		(unsigned long long)ec->uninspectable_accepted,
		(unsigned long long)ec->uninspectable_dropped,
		es->slots, es->slots_used, (unsigned long long)es->slot_reclaims,
		(unsigned long long)es->starved_flows, (unsigned long long)es->starved_packets,
		(unsigned long long)ec->starved_dropped,
		(unsigned long long)ec->starved_accepted,
		(unsigned long long)es->segments_held, (unsigned long long)es->segments_beyond,
		(unsigned long long)es->overlap_conflicts,
		(unsigned long long)ec->conflicts_dropped,
		(unsigned long long)ec->syns_replayed);
}

/* The table's own counters, read from the kernel (none when the table is
 * not ours to manage), and what the kernel holds of it now: never what
 * the daemon last applied, which another program may have removed since. */
static void kernel_json(const struct pg_gateway *g, FILE *out)
{
	struct pg_nft_counter kc[128];
	struct pg_nft_table_state ts;
	const struct table_guard *t = &g->guard;
	char err[256];
	int n = g->rules_applied ? pg_nft_counters(kc, 128, err, sizeof(err)) : -1;

	if (pg_nft_table_state(&ts, err, sizeof(err)) < 0)
		memset(&ts, 0, sizeof(ts));
	fprintf(out, ",\"kernel\":{\"table\":\"inet %s\",\"present\":%s,\"chains\":%u,"
		"\"rules\":%u,\"watched\":%s,\"table_reapplied\":%llu,"
		"\"table_reapply_failures\":%llu,\"table_last_loss\":\"%s\","
		"\"table_last_reapplied\":%lld,\"queue\":\"%s\",\"stamping\":\"%s\","
		"\"counters\":[", PG_NFT_TABLE, ts.present ? "true" : "false", ts.chains, ts.rules,
		t->watch ? "true" : "false",
		(unsigned long long)t->reapplied, (unsigned long long)t->failures,
		t->reapplied ? pg_nft_loss_describe(t->last_loss) : "",
		(long long)t->last_reapplied,
		g->rules_applied ? pg_nft_queue_kind_name(g->queue_kind) : "unmanaged",
		g->has_ct ? "nfqa_ct" : "nf_repeat");
	for (int i = 0; i < n; i++) {
		fprintf(out, "%s{\"name\":", i ? "," : "");
		pg_json_string(out, kc[i].name);
		fprintf(out, ",\"packets\":%llu,\"bytes\":%llu}",
			(unsigned long long)kc[i].packets, (unsigned long long)kc[i].bytes);
	}
	fputs("]}", out);
}

/* The log's counters: lines written and lines the rate limits suppressed,
 * for flow lines and for the daemon's other messages. */
static void log_json(const struct pg_gateway *g, FILE *out)
{
	struct pg_log_stats ls;
	uint64_t ev_written, ev_failed;

	pg_log_get_stats(g->opt.log, &ls);
	pg_eventlog_counts(g->events, &ev_written, &ev_failed);
	fprintf(out, ",\"log\":{\"flow_lines\":%llu,\"flow_suppressed\":%llu,"
		"\"message_lines\":%llu,\"message_suppressed\":%llu,"
		"\"event_file_objects\":%llu,\"event_file_errors\":%llu}",
		(unsigned long long)ls.lines[PG_LOG_FLOW],
		(unsigned long long)ls.suppressed[PG_LOG_FLOW],
		(unsigned long long)ls.lines[PG_LOG_EVENT],
		(unsigned long long)ls.suppressed[PG_LOG_EVENT],
		(unsigned long long)ev_written, (unsigned long long)ev_failed);
}

void pg_gateway_stats_json(struct pg_gateway *g, FILE *out)
{
	struct gateway_sums *s = malloc(sizeof(*s));
	char *workers = NULL;
	size_t wlen = 0;
	FILE *wf = open_memstream(&workers, &wlen);

	if (!s || !wf) {
		if (wf)
			fclose(wf);
		free(workers);
		free(s);
		pg_ctl_error_reply(out, "out of memory");
		return;
	}
	sum_workers(g, s, wf);
	fclose(wf);
	fprintf(out, "{\"verdicts\":");
	pg_verdict_stats_json(&s->vstats, pg_policy_systems(gw_current(g)->policy), out);
	engine_json(g, s, out);
	if (g->synlog)
		gw_synlog_json(g->synlog, out);
	fwrite(workers, 1, wlen, out);
	kernel_json(g, out);
	gw_restart_json(g, out);
	log_json(g, out);
	fprintf(out, ",\"policy\":");
	pg_json_string(out, g->opt.policy_path);
	fprintf(out, ",\"uptime_s\":%lld}\n", (long long)(time(NULL) - g->started));
	free(workers);
	free(s);
}

struct flows_json_ctx {
	struct pg_gateway *g;
	const struct gw_worker *w;
	FILE *out;
};

/* Another worker's lock, taken while the control thread holds c->w's.
 * A worker holds only its own lock, for one batch, so trying again until
 * it is free cannot deadlock; and a try sets no lock order, where a wait
 * would set one that the listing of the other worker then inverts. */
static void lock_other_worker(struct gw_worker *o)
{
	while (pthread_mutex_trylock(&o->lock) != 0)
		sched_yield();
}

/* A restored flow sits in every worker (restore_everywhere); list the copy
 * that has seen the most packets (the one on the flow's queue, once any
 * comes back), the first worker's on a tie.  Called under the lock of
 * c->w. */
static bool listed_elsewhere(const struct flows_json_ctx *c, const struct pg_flow *f)
{
	uint64_t mine = f->packets[0] + f->packets[1];
	bool elsewhere = false;

	for (unsigned i = 0; i < c->g->nworkers && !elsewhere; i++) {
		struct gw_worker *o = &c->g->workers[i];
		if (o == c->w)
			continue;
		lock_other_worker(o);
		const struct pg_flow *t = pg_engine_twin(o->engine, f);
		if (t) {
			uint64_t theirs = t->packets[0] + t->packets[1];
			elsewhere = theirs > mine || (theirs == mine && o < c->w);
		}
		pthread_mutex_unlock(&o->lock);
	}
	return elsewhere;
}

static void flow_json(struct pg_flow *f, void *ctx)
{
	struct flows_json_ctx *c = ctx;
	char cl[64], sv[64];
	/* only decided flows were restored, and only at start */
	if (c->g->nworkers > 1 && c->g->rs.restored && f->state == PG_FLOW_DECIDED &&
	    listed_elsewhere(c, f))
		return;
	pg_format_endpoint(f->family, f->client_addr, f->client_port, cl, sizeof(cl));
	pg_format_endpoint(f->family, f->server_addr, f->server_port, sv, sizeof(sv));
	const char *action = f->state == PG_FLOW_DECIDED ?
		pg_action_name(pg_flow_verdict_of(c->w->snap->policy, f).action) : "inspecting";
	fprintf(c->out,
		"{\"l4\":\"%s\",\"client\":\"%s\",\"server\":\"%s\",\"system\":\"%s\","
		"\"feature\":\"%s\",\"method\":\"%s\",\"state\":\"%s\",\"action\":\"%s\","
		"\"packets\":%llu,\"bytes\":%llu,\"queue\":%u,\"host\":",
		f->l4proto == IPPROTO_TCP ? "tcp" : "udp", cl, sv,
		pg_systems_name(pg_policy_systems(c->w->snap->policy), f->system),
		pg_feature_name(f->feature), pg_method_name(f->method),
		f->state == PG_FLOW_DECIDED ? "decided" : "inspecting", action,
		(unsigned long long)f->packets[0] + f->packets[1],
		(unsigned long long)(f->bytes[0] + f->bytes[1]), (unsigned)c->w->queue_num);
	pg_json_string(c->out, pg_engine_flow_host(c->w->engine, f));
	fputs("}\n", c->out);
}

/* Each worker's flows, read under its lock (the worker waits for at most
 * one pass over its own table; the others go on). */
void pg_gateway_flows_json(struct pg_gateway *g, FILE *out)
{
	for (unsigned i = 0; i < g->nworkers; i++) {
		struct gw_worker *w = &g->workers[i];
		struct flows_json_ctx c = {g, w, out};

		pthread_mutex_lock(&w->lock);
		pg_engine_foreach_flow(w->engine, flow_json, &c);
		pthread_mutex_unlock(&w->lock);
	}
}
