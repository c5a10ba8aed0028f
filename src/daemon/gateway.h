/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The gateway: one worker thread per queue (its queue socket, its engine,
 * its counters and the verdict logic), the policy snapshot they share, and
 * what the control thread does with them: start, stop, reload, report.
 * Every function here is for the control thread.
 */
#ifndef PEERGATE_GATEWAY_H
#define PEERGATE_GATEWAY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "log.h"
#include "peergate/policy.h"

struct pg_gateway;

struct pg_gateway_options {
	const char *policy_path;
	/* The systems' data directories (systems.h), read with the policy at
	 * open and on every reload. */
	const char *const *systems_dirs;
	size_t nsystems_dirs;
	bool manage_rules;        /* apply the table at start (default) */
	/* Decided flows are saved here at close and read back (then removed)
	 * at open; NULL or "": none. */
	const char *state_path;
	/* Where messages and flow lines go (see log.h; thread-safe, the
	 * workers log through it); NULL: stderr. */
	struct pg_log *log;
};

/* Loads the policy, opens the queues (one engine each), re-decides the
 * flows a previous run left marked in conntrack (with its state file, if
 * any) and applies the table.  No thread runs yet: the queues are bound
 * and packets wait in them until pg_gateway_start.  Errors are logged.  Returns NULL on failure (nothing left behind). */
struct pg_gateway *pg_gateway_open(const struct pg_gateway_options *o);
/* Starts one worker thread per queue.  Returns -1 when one could not
 * start (those started run until pg_gateway_close). */
int pg_gateway_start(struct pg_gateway *g);
/* Stops and joins the workers, saves the decided flows to the state file
 * (when opened fully), flushes the table unless keep_rules, closes
 * everything. */
void pg_gateway_close(struct pg_gateway *g, bool keep_rules);

unsigned pg_gateway_workers(const struct pg_gateway *g);
/* Readable when a worker ended on a failed queue socket; then
 * pg_gateway_failed is true and the daemon should stop. */
int pg_gateway_event_fd(const struct pg_gateway *g);
bool pg_gateway_failed(const struct pg_gateway *g);
/* True when every worker has turned its loop since the previous call (the
 * watchdog's proof of life). */
bool pg_gateway_alive(struct pg_gateway *g);
/* Once a second: frees the policy snapshots no worker reads any more,
 * reports suppressed log lines, and repairs a table that had to wait. */
void pg_gateway_tick(struct pg_gateway *g);

/* The nftables event socket to poll (-1: none), and what to call when it
 * is readable: a table that another program deleted or flushed is put
 * back within a second, with a warning, and counted in the stats. */
int pg_gateway_watch_fd(const struct pg_gateway *g);
void pg_gateway_watch_events(struct pg_gateway *g);

/* Reload the policy file: parse and build aside, apply the table, publish
 * the new snapshot to the workers, which re-decide the flows of changed
 * systems; returns once every worker took it (bounded wait).  No packet
 * waits on it.  On failure the old policy stays and errors are written to
 * err (one per line).  Returns 0 on success. */
int pg_gateway_reload(struct pg_gateway *g, FILE *err);

/* JSON documents for the control socket: counters summed over the
 * workers (and a `workers` array), the flows of every worker. */
void pg_gateway_stats_json(struct pg_gateway *g, FILE *out);
void pg_gateway_flows_json(struct pg_gateway *g, FILE *out);

#endif
