/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Inside the gateway: what the control side (gateway.c) and the workers
 * (worker.c) share.  One worker thread per queue owns its queue socket,
 * its engine (flows, reassembly) and its counters; the DNS-answer cache
 * and the expectation table are shared between the engines (thread-safe);
 * each worker has its own netlink socket for the blocked-flow sets.
 *
 * The policy and host rules in force are a snapshot that the control
 * thread publishes through an atomic pointer; each worker takes the new
 * one between batches and says so in seen_gen.  An old snapshot is freed
 * only once every worker has moved past it, so no worker ever waits on a
 * reload and a reload never frees what a worker still reads.
 */
#ifndef PEERGATE_GATEWAY_PRIV_H
#define PEERGATE_GATEWAY_PRIV_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "eventlog.h"
#include "gateway.h"
#include "synlog.h"
#include "peergate/engine.h"
#include "peergate/expect.h"
#include "peergate/hosts.h"
#include "peergate/nfq.h"
#include "peergate/nft_dyn.h"
#include "peergate/nft_show.h"
#include "peergate/nft_table.h"
#include "peergate/nft_watch.h"
#include "peergate/policy.h"
#include "peergate/stats.h"

struct gw_snapshot {
	struct pg_policy *policy;
	struct pg_host_rules *hosts;
	uint64_t gen;                /* 1, 2, ... in publishing order */
	struct gw_snapshot *next;    /* in the retired list */
};

/* Per-worker counters of the verdict logic; summed on read. */
struct engine_counters {
	uint64_t queued;
	uint64_t inspect_accepted;   /* undecided flows: accepted, still inspected */
	uint64_t exception_accepted; /* allowed by [exceptions] over a block */
	uint64_t watch_accepted;     /* watched IM control flows: accepted unstamped */
	uint64_t not_tracked;        /* malformed / fragments / not TCP-UDP: accepted */
	uint64_t ct_marks_cleared, ct_clear_failures;
	uint64_t dyn_blocks, dyn_block_failures;   /* kernel blocked-flow sets */
	uint64_t ct_blocks, ct_block_failures;     /* conntrack entries made for them */
	uint64_t stamp_returned;     /* a stamped packet came back: final verdict */
	uint64_t invalid_flow_verdict; /* ct INVALID, decided flow: its verdict */
	uint64_t invalid_accepted, invalid_dropped; /* ct INVALID, no decided flow */
	uint64_t uninspectable_accepted, uninspectable_dropped; /* by fail policy */
	/* payload packets of undecided flows the engine could not add to
	 * their stream (no inspection slot): dropped under fail = closed,
	 * accepted under fail = open */
	uint64_t starved_dropped, starved_accepted;
	/* segments of undecided flows with other bytes than were read for
	 * the same place: always dropped */
	uint64_t conflicts_dropped;
	/* logged SYNs handed to the engine before their connection's first
	 * queued packet (synlog.h) */
	uint64_t syns_replayed;
};

struct gw_worker {
	struct pg_gateway *g;
	unsigned index;
	uint16_t queue_num;
	struct pg_nfq *nfq;
	struct pg_engine *engine;
	struct pg_nft_dyn *dyn;      /* this worker's socket; NULL: none */
	int wake_fd;                 /* eventfd: a new snapshot, or stop */
	pthread_t thread;
	bool running;                /* the thread was started */
	/* Held by the worker around each batch of packets, each tick and a
	 * snapshot change; by the control thread while it reads the engine
	 * and the counters (stats, flows).  Never taken per packet. */
	pthread_mutex_t lock;
	const struct gw_snapshot *snap; /* in force for this worker (lock) */
	atomic_uint_fast64_t seen_gen;  /* snap->gen, for the control thread */
	atomic_uint_fast64_t heartbeat; /* bumped every loop turn */
	uint64_t heartbeat_seen;     /* control thread: at its last check */
	atomic_bool failed;          /* the queue socket failed; thread ended */
	uint64_t dyn_holdoff_until;  /* ms: no pg_nft_dyn_block before this */
	bool dyn_failing;            /* the last attempt failed (logged once) */
	uint64_t last_tick_ms;
	struct pg_verdict_stats vstats;
	struct engine_counters ec;
};

/* The table kept in place against other programs: the event watch and
 * what it found (see nft_watch.h).  Control thread only. */
struct table_guard {
	struct pg_nft_watch *watch;  /* NULL: rules not managed, or no events */
	unsigned pending;            /* enum pg_nft_loss bits not yet repaired */
	unsigned credits;            /* re-applies allowed now (REAPPLY_BURST) */
	uint64_t refilled_ms;        /* when the last credit came back */
	uint64_t reapplied, failures;
	unsigned last_loss;          /* what the last repaired loss was */
	time_t last_reapplied;       /* wall clock of the last re-apply; 0: none */
	bool watch_failed;           /* reading the events failed (logged once) */
	/* The table as our last apply left it (chains and rules; no sets:
	 * their elements come and go): what a table that lost nothing still
	 * has when events were lost and the kernel is asked instead. */
	struct pg_nft_table_state applied;
};

/* What start-up did with the flows a previous run left marked. */
struct restart_counters {
	uint64_t state_flows;     /* flows read from the state file */
	uint64_t marked;          /* connections found carrying a verdict code */
	uint64_t restored;        /* put back into the engine as decided */
	uint64_t redecided;       /* of those, mark cleared: this policy differs */
	uint64_t cleared;         /* marked but unknown: cleared for inspection */
	uint64_t clear_failures;
};

struct pg_gateway {
	struct pg_gateway_options opt;
	_Atomic(struct gw_snapshot *) current;
	struct gw_snapshot *retired; /* control thread only */
	uint64_t last_gen;
	struct pg_dns_cache *dns;    /* shared by the workers' engines */
	struct pg_expect_table *expect;
	struct pg_expect_table *bt_peers; /* the heuristics' learned peers, shared */
	/* New connections' SYNs, logged instead of queued; NULL: the table
	 * queues SYNs (no nfnetlink_log, the group is taken, or the rules
	 * are not ours). */
	struct gw_synlog *synlog;
	struct gw_worker *workers;
	unsigned nworkers;
	bool has_ct;                 /* verdicts can carry a ct mark */
	bool rules_applied;
	enum pg_nft_queue_kind queue_kind;
	uint32_t mark_mask;
	atomic_bool stopping;
	int event_fd;                /* eventfd: a worker failed */
	uint64_t reloads, reload_failures;
	struct restart_counters rs;
	struct table_guard guard;
	/* [engine] event-log: one object for the daemon's life (the workers
	 * write to it, a reload points it at another file). */
	struct pg_eventlog *events;
	bool ready;                  /* past start-up: its flows are worth saving */
	time_t started;
};

uint64_t gw_now_ms(void);

/* gateway.c: the snapshot in force, as the control thread sees it. */
const struct gw_snapshot *gw_current(const struct pg_gateway *g);

/* gateway_restart.c: start-up's review of the previous run's verdict
 * codes and state file, the state file written at exit, and what
 * start-up did, for the stats. */
void gw_restore_flows(struct pg_gateway *g);
void gw_save_flows(struct pg_gateway *g);
void gw_restart_json(const struct pg_gateway *g, FILE *out);

/* worker.c: the thread body, and the change of a flow's ct mark when the
 * policy of its system changed (also run at snapshot changes). */
void *gw_worker_main(void *arg);
void gw_worker_adopt_snapshot(struct gw_worker *w, const struct gw_snapshot *s);

#endif
