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
	if (g->synlog) {
		cfg.syn_log = true;
		cfg.syn_log_group = gw_synlog_group(g->synlog);
	}
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
	const char *want = pg_policy_engine(gw_current(g)->policy)->event_log;
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
const struct gw_snapshot *gw_current(const struct pg_gateway *g)
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
	const struct pg_engine_settings *s = pg_policy_engine(gw_current(g)->policy);
	struct pg_nfq_config qc;
	char err[512];

	w->g = g;
	w->index = index;
	w->queue_num = (uint16_t)(s->queue_first + index);
	w->wake_fd = -1;
	if (pthread_mutex_init(&w->lock, NULL) != 0)
		return -1;
	w->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	w->engine = make_engine(g, gw_current(g));
	if (w->wake_fd < 0 || !w->engine) {
		pg_log(g->opt.log, LOG_ERR, PG_LOG_EVENT, "out of memory");
		return -1;
	}
	gw_worker_adopt_snapshot(w, gw_current(g));
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

/* The state the workers share, and the first snapshot (taking p). */
static int open_shared(struct pg_gateway *g, struct pg_policy *p)
{
	const struct pg_engine_settings *s = pg_policy_engine(p);
	struct pg_engine_config dc;

	pg_engine_config_defaults(&dc);
	pg_log_set_flow_rate(g->opt.log, s->log_rate);
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
		return -1;
	}
	atomic_store(&g->current, snap);
	retarget_events(g);
	return 0;
}

/* The SYN log, before the table that logs to it.  Without it the table
 * queues SYNs, which costs a trip through user space per connection but
 * decides the same. */
static void open_synlog(struct pg_gateway *g)
{
	const struct pg_engine_settings *s = pg_policy_engine(gw_current(g)->policy);
	uint16_t group = (uint16_t)(PG_NFT_SYN_LOG_GROUP_BASE + s->queue_first);
	char err[256];

	/* A SYN waits in its slot for one round trip or so; at least 1,024
	 * slots (237 KB, touched as used) for a small router's bursts. */
	uint32_t slots = pg_engine_inspect_slots(s);

	g->synlog = gw_synlog_open(group, slots < 1024 ? 1024 : slots, err, sizeof(err));
	if (!g->synlog)
		pg_log(g->opt.log, LOG_WARNING, PG_LOG_EVENT, "SYNs will be queued, not logged: "
		       "%s", err);
}

/* The table, watched from before it is applied (a loss right after the
 * apply is seen too; our own batch is recognised and ignored), then the
 * workers' sockets for its blocked-flow sets. */
static int open_table(struct pg_gateway *g)
{
	struct text_sink sink;
	char err[512];

	open_synlog(g);
	g->guard.credits = REAPPLY_BURST;
	g->guard.refilled_ms = gw_now_ms();
	g->guard.watch = pg_nft_watch_open(err, sizeof(err));
	if (!g->guard.watch)
		pg_log(g->opt.log, LOG_WARNING, PG_LOG_EVENT, "a deleted or flushed table "
		       "will not be noticed: %s", err);
	int rc = apply_rules(g, gw_current(g)->policy, sink_open(&sink));
	sink_log(&sink, g->opt.log, LOG_ERR);
	if (rc < 0)
		return -1;
	/* The sets live in our table, so only with it.  Without the socket
	 * blocked flows still get their per-packet verdicts.  One socket per
	 * worker: no lock between them. */
	for (unsigned i = 0; i < g->nworkers; i++) {
		g->workers[i].dyn = pg_nft_dyn_open(err, sizeof(err));
		if (!g->workers[i].dyn)
			pg_log(g->opt.log, LOG_WARNING, PG_LOG_EVENT, "queue %u: no blocked-flow "
			       "sets: %s", (unsigned)g->workers[i].queue_num, err);
	}
	return 0;
}

struct pg_gateway *pg_gateway_open(const struct pg_gateway_options *o)
{
	struct pg_diag diag = {0};
	struct text_sink sink;
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
	if (open_shared(g, p) < 0)
		goto fail;
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
	gw_restore_flows(g);
	g->ready = true; /* the engine holds flows worth saving from here on */
	if (o->manage_rules && open_table(g) < 0)
		goto fail;
	const struct pg_engine_settings *s = pg_policy_engine(gw_current(g)->policy);
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
	if (g->synlog && gw_synlog_start_reader(g->synlog, gw_now_ms) < 0)
		pg_log(g->opt.log, LOG_WARNING, PG_LOG_EVENT, "cannot start the SYN log reader; "
		       "the workers and the tick read the log instead");
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
		gw_save_flows(g);
	if (g->rules_applied && !keep_rules && pg_nft_flush(err, sizeof(err)) < 0)
		pg_log(g->opt.log, LOG_ERR, PG_LOG_EVENT, "cannot remove the table: %s", err);
	for (unsigned i = 0; g->workers && i < g->nworkers; i++)
		close_worker(&g->workers[i]);
	gw_synlog_close(g->synlog);
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
	int rc = apply_rules(g, gw_current(g)->policy, sink_open(&sink));
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
	if (g->synlog)
		gw_synlog_drain(g->synlog, gw_now_ms());
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
	if (pg_engine_inspect_slots(a) != pg_engine_inspect_slots(b))
		return "inspect-slots";
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
						  g->opt.nsystems_dirs, gw_current(g)->policy, &diag);
	struct gw_snapshot *ns = NULL;

	g->reloads++;
	if (!np) {
		pg_diag_print(&diag, err);
		goto fail;
	}
	const char *fixed = restart_only_change(pg_policy_engine(gw_current(g)->policy),
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
