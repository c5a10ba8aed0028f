/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The gateway's control side: start-up (queues, engines, restored flows,
 * the table), the workers' lifecycle, reloads published as snapshots, and
 * the JSON documents that sum the workers' counters.  The packet path is
 * in worker.c.
 */
#include "gateway_priv.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "peergate/conntrack.h"
#include "peergate/ctlproto.h"
#include "peergate/engine_policy.h"
#include "peergate/flowstate.h"
#include "peergate/json.h"
#include "peergate/mark.h"
#include "peergate/nft_policy.h"
#include "peergate/nft_show.h"
#include "peergate/systems.h"
#include "peergate/verdict.h"
#include "peergate/detect_registry.h"

enum { MAX_PORTSETS = 64 };

/* How long a reload waits for every worker to take the new snapshot
 * before it answers (a worker takes it between two batches). */
enum { RELOAD_SETTLE_MS = 2000 };

/* A lost table is put back at once, a few times in a row, then once a
 * second: a program that keeps deleting it (or events of our own applies
 * that were not recognised as ours) cannot make the daemon loop on
 * re-applies.  A loss that finds no credit left is repaired by the tick. */
enum { REAPPLY_BURST = 5, REAPPLY_REFILL_MS = 1000 };

uint64_t gw_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint32_t share_of(uint32_t total, unsigned parts)
{
	return parts > 1 ? (total + parts - 1) / parts : total;
}

/* One worker's engine: its share of the flow table and of the reassembly
 * slots (max-flows is the daemon's), the shared DNS cache and
 * expectations. */
static struct pg_engine *make_engine(const struct pg_gateway *g, const struct gw_snapshot *s)
{
	struct pg_engine_config cfg;
	pg_engine_config_from_policy(s->policy, &cfg);
	pg_detect_attach(&cfg);
	cfg.record_hosts = true; /* for `peergatectl flows` */
	cfg.max_flows = share_of(cfg.max_flows, g->nworkers);
	cfg.max_inspecting = share_of(cfg.max_inspecting, g->nworkers);
	cfg.dns_cache = g->dns;
	cfg.expect = g->expect;
	cfg.bt_peers = g->bt_peers;
	return pg_engine_create(&cfg, s->hosts);
}

static int apply_rules(struct pg_gateway *g, const struct pg_policy *p, FILE *err)
{
	struct pg_nft_portset sets[MAX_PORTSETS];
	struct pg_nft_config cfg;
	char msg[512];

	pg_nft_config_from_policy(p, &cfg, sets, MAX_PORTSETS);
	if (pg_nft_apply(&cfg, &g->queue_kind, msg, sizeof(msg)) < 0) {
		fprintf(err, "cannot apply the nftables table: %s\n", msg);
		return -1;
	}
	g->rules_applied = true;
	/* Whatever was lost is back. */
	g->guard.pending = 0;
	if (pg_nft_table_state(&g->guard.applied, msg, sizeof(msg)) < 0)
		memset(&g->guard.applied, 0, sizeof(g->guard.applied));
	return 0;
}

static const struct gw_snapshot *current(const struct pg_gateway *g);

/* What a function that writes to a FILE says, logged line by line
 * (policy diagnostics, table errors).  Without memory: stderr. */
struct text_sink {
	char *buf;
	size_t len;
	FILE *f;
};

static FILE *sink_open(struct text_sink *s)
{
	*s = (struct text_sink){0};
	s->f = open_memstream(&s->buf, &s->len);
	return s->f ? s->f : stderr;
}

static void sink_log(struct text_sink *s, struct pg_log *log, int level)
{
	if (!s->f)
		return;
	fclose(s->f);
	pg_log_lines(log, level, PG_LOG_EVENT, s->buf);
	free(s->buf);
}

/* Points the event file at what the policy in force names (the same name
 * opens it again, for logrotate's SIGHUP; a failure is logged, and
 * enforcement goes on without it). */
static void retarget_events(struct pg_gateway *g)
{
	const char *want = pg_policy_engine(current(g)->policy)->event_log;
	char err[512];

	if (pg_eventlog_set_path(g->events, want, err, sizeof(err)) < 0)
		pg_log(g->opt.log, LOG_ERR, PG_LOG_EVENT, "%s; no new event file", err);
}

static void snapshot_free(struct gw_snapshot *s)
{
	if (!s)
		return;
	pg_host_rules_destroy(s->hosts);
	pg_policy_destroy(s->policy);
	free(s);
}

/* Takes p (destroyed on failure). */
static struct gw_snapshot *snapshot_new(struct pg_gateway *g, struct pg_policy *p)
{
	struct gw_snapshot *s = calloc(1, sizeof(*s));

	if (!s || !(s->hosts = pg_host_rules_for_policy(p))) {
		free(s);
		pg_policy_destroy(p);
		return NULL;
	}
	s->policy = p;
	s->gen = ++g->last_gen;
	return s;
}

/* The control thread's view: it alone publishes. */
static const struct gw_snapshot *current(const struct pg_gateway *g)
{
	return atomic_load_explicit(&((struct pg_gateway *)g)->current, memory_order_acquire);
}

static void wake(int fd)
{
	uint64_t one = 1;
	if (fd >= 0 && write(fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		perror("peergated: waking a worker"); /* no logger here: rare, and to stderr */
}

/* The oldest snapshot generation some running worker may still read. */
static uint64_t oldest_in_use(const struct pg_gateway *g)
{
	uint64_t oldest = UINT64_MAX;

	for (unsigned i = 0; i < g->nworkers; i++) {
		struct gw_worker *w = &g->workers[i];
		if (!w->running || atomic_load(&w->failed))
			continue;
		uint64_t seen = atomic_load_explicit(&w->seen_gen, memory_order_acquire);
		if (seen < oldest)
			oldest = seen;
	}
	return oldest;
}

/* Frees the retired snapshots no worker reads any more. */
static void free_retired(struct pg_gateway *g)
{
	uint64_t oldest = oldest_in_use(g);
	struct gw_snapshot **pp = &g->retired;

	while (*pp) {
		struct gw_snapshot *s = *pp;
		if (s->gen < oldest) {
			*pp = s->next;
			snapshot_free(s);
		} else {
			pp = &s->next;
		}
	}
}

/* Publishes s to the workers; the one it replaces is retired. */
static void publish(struct pg_gateway *g, struct gw_snapshot *s)
{
	struct gw_snapshot *old = atomic_exchange_explicit(&g->current, s, memory_order_acq_rel);

	if (old) {
		old->next = g->retired;
		g->retired = old;
	}
	for (unsigned i = 0; i < g->nworkers; i++) {
		struct gw_worker *w = &g->workers[i];
		if (w->running)
			wake(w->wake_fd);
		else
			gw_worker_adopt_snapshot(w, s);
	}
}

/* Bounded: until every running worker took the newest snapshot. */
static bool settle(struct pg_gateway *g, uint64_t gen)
{
	uint64_t until = gw_now_ms() + RELOAD_SETTLE_MS;

	while (oldest_in_use(g) < gen) {
		if (gw_now_ms() >= until)
			return false;
		poll(NULL, 0, 1);
	}
	free_retired(g);
	return true;
}

static int open_worker(struct pg_gateway *g, struct gw_worker *w, unsigned index)
{
	const struct pg_engine_settings *s = pg_policy_engine(current(g)->policy);
	struct pg_nfq_config qc;
	char err[512];

	w->g = g;
	w->index = index;
	w->queue_num = (uint16_t)(s->queue_first + index);
	w->wake_fd = -1;
	if (pthread_mutex_init(&w->lock, NULL) != 0)
		return -1;
	w->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	w->engine = make_engine(g, current(g));
	if (w->wake_fd < 0 || !w->engine) {
		pg_log(g->opt.log, LOG_ERR, PG_LOG_EVENT, "out of memory");
		return -1;
	}
	gw_worker_adopt_snapshot(w, current(g));
	pg_nfq_config_defaults(&qc);
	qc.queue_num = w->queue_num;
	qc.fail_open = s->fail_open;
	w->nfq = pg_nfq_open(&qc, err, sizeof(err));
	if (!w->nfq) {
		pg_log(g->opt.log, LOG_ERR, PG_LOG_EVENT, "queue %u: %s", qc.queue_num, err);
		return -1;
	}
	return 0;
}

static void close_worker(struct gw_worker *w)
{
	if (!w->g)
		return;
	pg_nfq_close(w->nfq);
	pg_nft_dyn_close(w->dyn);
	pg_engine_destroy(w->engine);
	if (w->wake_fd >= 0)
		close(w->wake_fd);
	pthread_mutex_destroy(&w->lock);
}

static void restore_flows(struct pg_gateway *g);
static void save_flows(struct pg_gateway *g);
static void restart_json(const struct pg_gateway *g, FILE *out);

struct pg_gateway *pg_gateway_open(const struct pg_gateway_options *o)
{
	struct pg_diag diag = {0};
	struct text_sink sink;
	char err[512];
	struct pg_gateway *g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	g->opt = *o;
	g->started = time(NULL);
	g->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	struct pg_policy *p = pg_policy_load_all(o->policy_path, o->systems_dirs,
					       o->nsystems_dirs, NULL, &diag);
	if (!p) {
		pg_diag_print(&diag, sink_open(&sink));
		sink_log(&sink, g->opt.log, LOG_ERR);
		goto fail;
	}
	const struct pg_engine_settings *s = pg_policy_engine(p);
	pg_log_set_flow_rate(g->opt.log, s->log_rate);
	struct pg_engine_config dc;
	pg_engine_config_defaults(&dc);
	g->mark_mask = s->mark_mask;
	g->nworkers = s->queue_count ? s->queue_count : 1;
	g->workers = calloc(g->nworkers, sizeof(*g->workers));
	g->dns = pg_dns_cache_create(dc.dns_cache_entries);
	g->expect = pg_expect_create(dc.max_expectations, 120);
	g->bt_peers = pg_expect_create(dc.max_bt_peers, dc.bt_peer_lifetime_s);
	g->events = pg_eventlog_create();
	struct gw_snapshot *snap = snapshot_new(g, p);
	if (g->event_fd < 0 || !g->workers || !g->dns || !g->expect || !g->bt_peers ||
	    !g->events || !snap) {
		snapshot_free(snap);
		pg_log(g->opt.log, LOG_ERR, PG_LOG_EVENT, "out of memory");
		goto fail;
	}
	atomic_store(&g->current, snap);
	retarget_events(g);
	/* Bind the queues before the rules exist, so no packet is queued to
	 * nobody while we start. */
	for (unsigned i = 0; i < g->nworkers; i++) {
		if (open_worker(g, &g->workers[i], i) < 0)
			goto fail;
	}
	g->has_ct = pg_nfq_has_ct(g->workers[0].nfq);
	/* Before the table: the ct-mark rules would otherwise go on settling
	 * the previous run's flows by its verdicts, and every flow this
	 * clears is in the engine before its next packet can reach a queue
	 * (a table kept from the previous run queues to the sockets bound
	 * above, read only once start-up is over). */
	restore_flows(g);
	g->ready = true; /* the engine holds flows worth saving from here on */
	/* Before the table: a loss right after it is applied is seen too
	 * (our own batch is recognised and ignored). */
	if (o->manage_rules) {
		g->guard.credits = REAPPLY_BURST;
		g->guard.refilled_ms = gw_now_ms();
		g->guard.watch = pg_nft_watch_open(err, sizeof(err));
		if (!g->guard.watch)
			pg_log(g->opt.log, LOG_WARNING, PG_LOG_EVENT, "a deleted or flushed table "
			       "will not be noticed: %s", err);
		int rc = apply_rules(g, current(g)->policy, sink_open(&sink));
		sink_log(&sink, g->opt.log, LOG_ERR);
		if (rc < 0)
			goto fail;
	}
	/* The blocked-flow sets live in our table, so only with it.  Without
	 * the socket blocked flows still get their per-packet verdicts.  One
	 * socket per worker: no lock between them. */
	for (unsigned i = 0; g->rules_applied && i < g->nworkers; i++) {
		g->workers[i].dyn = pg_nft_dyn_open(err, sizeof(err));
		if (!g->workers[i].dyn)
			pg_log(g->opt.log, LOG_WARNING, PG_LOG_EVENT, "queue %u: no blocked-flow "
			       "sets: %s", (unsigned)g->workers[i].queue_num, err);
	}
	pg_log(g->opt.log, LOG_NOTICE, PG_LOG_EVENT, "policy %s loaded; %u queue(s) from %u, "
		"one worker each; verdict stamping via %s; table inet %s %s (queue: %s)",
		o->policy_path, g->nworkers, s->queue_first,
		g->has_ct ? "NFQA_CT ct mark" : "NF_REPEAT + packet mark",
		PG_NFT_TABLE, g->rules_applied ? "applied" : "not managed",
		g->rules_applied ? pg_nft_queue_kind_name(g->queue_kind) : "-");
	return g;
fail:
	pg_gateway_close(g, true);
	return NULL;
}

int pg_gateway_start(struct pg_gateway *g)
{
	for (unsigned i = 0; i < g->nworkers; i++) {
		struct gw_worker *w = &g->workers[i];
		int rc = pthread_create(&w->thread, NULL, gw_worker_main, w);
		if (rc != 0) {
			pg_log(g->opt.log, LOG_ERR, PG_LOG_EVENT, "cannot start the worker of queue "
			       "%u: %s", (unsigned)w->queue_num, strerror(rc));
			return -1;
		}
		w->running = true;
	}
	return 0;
}

static void stop_workers(struct pg_gateway *g)
{
	atomic_store(&g->stopping, true);
	for (unsigned i = 0; i < g->nworkers; i++) {
		if (g->workers[i].running)
			wake(g->workers[i].wake_fd);
	}
	for (unsigned i = 0; i < g->nworkers; i++) {
		if (g->workers[i].running)
			pthread_join(g->workers[i].thread, NULL);
		g->workers[i].running = false;
	}
}

void pg_gateway_close(struct pg_gateway *g, bool keep_rules)
{
	char err[256];
	if (!g)
		return;
	if (g->workers)
		stop_workers(g);
	if (g->ready)
		save_flows(g);
	if (g->rules_applied && !keep_rules && pg_nft_flush(err, sizeof(err)) < 0)
		pg_log(g->opt.log, LOG_ERR, PG_LOG_EVENT, "cannot remove the table: %s", err);
	for (unsigned i = 0; g->workers && i < g->nworkers; i++)
		close_worker(&g->workers[i]);
	free(g->workers);
	pg_dns_cache_destroy(g->dns);
	pg_expect_destroy(g->expect);
	pg_expect_destroy(g->bt_peers);
	pg_nft_watch_close(g->guard.watch);
	pg_eventlog_destroy(g->events);
	while (g->retired) {
		struct gw_snapshot *s = g->retired;
		g->retired = s->next;
		snapshot_free(s);
	}
	snapshot_free(atomic_load(&g->current));
	if (g->event_fd >= 0)
		close(g->event_fd);
	free(g);
}

int pg_gateway_event_fd(const struct pg_gateway *g)
{
	return g->event_fd;
}

bool pg_gateway_failed(const struct pg_gateway *g)
{
	for (unsigned i = 0; i < g->nworkers; i++) {
		if (atomic_load(&g->workers[i].failed))
			return true;
	}
	return false;
}

bool pg_gateway_alive(struct pg_gateway *g)
{
	bool all = true;

	for (unsigned i = 0; i < g->nworkers; i++) {
		struct gw_worker *w = &g->workers[i];
		uint64_t hb = atomic_load_explicit(&w->heartbeat, memory_order_relaxed);
		if (!w->running || atomic_load(&w->failed) || hb == w->heartbeat_seen)
			all = false;
		w->heartbeat_seen = hb;
	}
	return all;
}

/* Puts the table back after another program deleted or flushed it, by
 * the same apply as start-up and reload (the blocked-flow sets come back
 * empty; flows blocked there get per-packet verdicts and go back in). */
static void repair_table(struct pg_gateway *g)
{
	struct table_guard *t = &g->guard;
	unsigned lost = t->pending;
	uint64_t now = gw_now_ms();

	if (t->credits < REAPPLY_BURST && now - t->refilled_ms >= REAPPLY_REFILL_MS) {
		uint64_t back = (now - t->refilled_ms) / REAPPLY_REFILL_MS;

		t->credits = back >= REAPPLY_BURST - t->credits ? REAPPLY_BURST :
			     t->credits + (unsigned)back;
		t->refilled_ms = now;
	}
	if (!t->credits)
		return;            /* the tick tries again */
	if (t->credits-- == REAPPLY_BURST)
		t->refilled_ms = now;
	struct text_sink sink;
	int rc = apply_rules(g, current(g)->policy, sink_open(&sink));
	sink_log(&sink, g->opt.log, LOG_ERR);
	if (rc < 0) {
		if (!t->failures++)
			pg_log(g->opt.log, LOG_ERR, PG_LOG_EVENT, "table inet %s is not in place; "
			       "trying again every second", PG_NFT_TABLE);
		t->pending = lost;
		return;
	}
	t->reapplied++;
	t->last_loss = lost;
	t->last_reapplied = time(NULL);
	pg_log(g->opt.log, LOG_NOTICE, PG_LOG_EVENT, "table inet %s re-applied (%s; %llu "
	       "re-applies so far)", PG_NFT_TABLE, pg_nft_loss_describe(lost),
	       (unsigned long long)t->reapplied);
}

/* Events were lost (our own blocked-flow set updates under a flood of
 * blocked flows can overrun the socket too): the kernel is asked whether
 * the table still has what the last apply put there. */
static bool table_as_applied(const struct table_guard *t)
{
	struct pg_nft_table_state now;
	char err[256];

	return pg_nft_table_state(&now, err, sizeof(err)) == 0 && now.present &&
	       t->applied.present && now.chains == t->applied.chains &&
	       now.rules == t->applied.rules;
}

int pg_gateway_watch_fd(const struct pg_gateway *g)
{
	return g->guard.watch ? pg_nft_watch_fd(g->guard.watch) : -1;
}

void pg_gateway_watch_events(struct pg_gateway *g)
{
	struct table_guard *t = &g->guard;
	unsigned lost;
	char err[256];

	if (pg_nft_watch_drain(t->watch, &lost, err, sizeof(err)) < 0) {
		if (!t->watch_failed)
			pg_log(g->opt.log, LOG_WARNING, PG_LOG_EVENT, "%s", err);
		t->watch_failed = true;
		lost |= PG_NFT_LOSS_UNKNOWN;
	}
	if (lost == PG_NFT_LOSS_UNKNOWN && table_as_applied(t))
		return;
	if (!lost)
		return;
	pg_log(g->opt.log, LOG_WARNING, PG_LOG_EVENT, "table inet %s: %s by another "
	       "program%s; putting it back", PG_NFT_TABLE, pg_nft_loss_describe(lost),
	       lost & PG_NFT_LOSS_UNKNOWN ? " (nftables events were lost, so it may have "
	       "been touched)" : "");
	t->pending |= lost;
	repair_table(g);
}

void pg_gateway_tick(struct pg_gateway *g)
{
	free_retired(g);
	pg_log_tick(g->opt.log, gw_now_ms());
	if (g->guard.pending)
		repair_table(g);
}

unsigned pg_gateway_workers(const struct pg_gateway *g)
{
	return g->nworkers;
}

/* The [engine] keys a running daemon cannot take over: the first one that
 * differs, or NULL. */
static const char *restart_only_change(const struct pg_engine_settings *a,
				       const struct pg_engine_settings *b)
{
	if (a->queue_first != b->queue_first || a->queue_count != b->queue_count)
		return "queue";
	if (a->mark_mask != b->mark_mask)
		return "mark-mask";
	if (a->fail_open != b->fail_open)
		return "fail";
	if (a->max_flows != b->max_flows)
		return "max-flows";
	if (a->inspect_packets != b->inspect_packets)
		return "inspect-packets";
	if (a->inspect_bytes != b->inspect_bytes)
		return "inspect-bytes";
	if (a->inspect_idle_s != b->inspect_idle_s)
		return "inspect-idle";
	if (a->tcp_timeout_s != b->tcp_timeout_s)
		return "tcp-timeout";
	if (a->udp_timeout_s != b->udp_timeout_s)
		return "udp-timeout";
	return NULL;
}

int pg_gateway_reload(struct pg_gateway *g, FILE *err)
{
	struct pg_diag diag = {0};
	struct pg_policy *np = pg_policy_load_all(g->opt.policy_path, g->opt.systems_dirs,
						  g->opt.nsystems_dirs, current(g)->policy, &diag);
	struct gw_snapshot *ns = NULL;

	g->reloads++;
	if (!np) {
		pg_diag_print(&diag, err);
		goto fail;
	}
	const char *fixed = restart_only_change(pg_policy_engine(current(g)->policy),
						pg_policy_engine(np));
	if (fixed) {
		fprintf(err, "%s: [engine] %s cannot change on reload (it is bound to the running "
			"queue, flow table or stamped marks); restart peergated to change it\n",
			g->opt.policy_path, fixed);
		pg_policy_destroy(np);
		goto fail;
	}
	/* Built aside: the workers go on with the running snapshot until
	 * this one is published. */
	ns = snapshot_new(g, np);
	if (!ns) {
		fprintf(err, "out of memory\n");
		goto fail;
	}
	if (g->opt.manage_rules && apply_rules(g, ns->policy, err) < 0)
		goto fail;
	publish(g, ns);
	/* The answer (and READY after it) means the new policy is in force:
	 * wait, bounded, until every worker took it. */
	if (!settle(g, ns->gen))
		pg_log(g->opt.log, LOG_WARNING, PG_LOG_EVENT, "a worker has not taken the new "
		       "policy yet");
	pg_log_set_flow_rate(g->opt.log, pg_policy_engine(ns->policy)->log_rate);
	pg_log(g->opt.log, LOG_NOTICE, PG_LOG_EVENT, "policy %s reloaded", g->opt.policy_path);
	retarget_events(g);
	return 0;
fail:
	g->reload_failures++;
	snapshot_free(ns);
	pg_log(g->opt.log, LOG_ERR, PG_LOG_EVENT, "reload failed; the previous policy stays "
	       "in force");
	/* logrotate's SIGHUP comes whatever the policy says */
	retarget_events(g);
	return -1;
}

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
	t->heuristic_matches += s->heuristic_matches;
	t->decided += s->decided;
	t->flows.created += s->flows.created;
	t->flows.evicted += s->flows.evicted;
	t->flows.expired += s->flows.expired;
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
		"\"flows_expired\":%llu,\"flows_decided\":%llu,\"dns_learned\":%llu,"
		"\"expectations\":%llu,\"bt_peers_learned\":%llu,\"bt_peer_hits\":%llu,"
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
		"\"overlap_conflicts\":%llu,\"conflicts_dropped\":%llu}",
		(unsigned long long)ec->queued, (unsigned long long)q->verdicts,
		(unsigned long long)q->verdict_errors, (unsigned long long)q->send_errors,
		(unsigned long long)q->enobufs, (unsigned long long)q->truncated,
		(unsigned long long)es->malformed, (unsigned long long)es->fragments,
		(unsigned long long)es->not_tracked, (unsigned long long)ec->inspect_accepted,
		(unsigned long long)ec->exception_accepted,
		(unsigned long long)ec->watch_accepted, es->flows.active,
		(unsigned long long)es->flows.created, (unsigned long long)es->flows.evicted,
		(unsigned long long)es->flows.expired, (unsigned long long)es->decided,
		(unsigned long long)es->dns_learned, (unsigned long long)es->expectations,
		(unsigned long long)es->bt_peers_learned, (unsigned long long)es->bt_peer_hits,
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
		(unsigned long long)ec->conflicts_dropped);
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
	pg_verdict_stats_json(&s->vstats, pg_policy_systems(current(g)->policy), out);
	engine_json(g, s, out);
	fwrite(workers, 1, wlen, out);
	kernel_json(g, out);
	restart_json(g, out);
	log_json(g, out);
	fprintf(out, ",\"policy\":");
	pg_json_string(out, g->opt.policy_path);
	fprintf(out, ",\"uptime_s\":%lld}\n", (long long)(time(NULL) - g->started));
	free(workers);
	free(s);
}

struct flows_json_ctx {
	const struct gw_worker *w;
	FILE *out;
};

static void flow_json(struct pg_flow *f, void *ctx)
{
	struct flows_json_ctx *c = ctx;
	char cl[64], sv[64];
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
		struct flows_json_ctx c = {w, out};

		pthread_mutex_lock(&w->lock);
		pg_engine_foreach_flow(w->engine, flow_json, &c);
		pthread_mutex_unlock(&w->lock);
	}
}

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
	if (pg_flow_verdict_of(current(g)->policy, f).code == pg_mark_code_of(g->mark_mask, ct->mark))
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
static void restore_flows(struct pg_gateway *g)
{
	const struct pg_engine_settings *s = pg_policy_engine(current(g)->policy);
	const char *path = g->opt.state_path;
	struct pg_flowstate_limits lim = {
		.now_s = (int64_t)time(NULL),
		.max_age_s = s->tcp_timeout_s,
		.mark_mask = g->mark_mask,
		.max_flows = s->max_flows,
		.systems = pg_policy_systems(current(g)->policy),
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
		if (sc->g->workers[i].engine && pg_engine_tracks(sc->g->workers[i].engine, f))
			return;
	}
	pg_flowstate_writer_add(sc->w, f,
				pg_engine_flow_host(sc->g->workers[sc->worker].engine, f));
	sc->count++;
}

/* The decided flows, for the next run's start-up (see restore_flows).
 * The workers have stopped. */
static void save_flows(struct pg_gateway *g)
{
	const char *path = g->opt.state_path;
	char err[512];
	if (!path || !*path)
		return;
	struct save_ctx sc = {.g = g};
	sc.w = pg_flowstate_writer_open(path, (int64_t)time(NULL), g->mark_mask,
					pg_policy_systems(current(g)->policy), err, sizeof(err));
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

static void restart_json(const struct pg_gateway *g, FILE *out)
{
	fprintf(out, ",\"restart\":{\"state_flows\":%llu,\"marked\":%llu,\"restored\":%llu,"
		"\"redecided\":%llu,\"cleared\":%llu,\"clear_failures\":%llu}",
		(unsigned long long)g->rs.state_flows, (unsigned long long)g->rs.marked,
		(unsigned long long)g->rs.restored, (unsigned long long)g->rs.redecided,
		(unsigned long long)g->rs.cleared, (unsigned long long)g->rs.clear_failures);
}
