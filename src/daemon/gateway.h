/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The gateway: the engine, the policy snapshot, the queue sockets and the
 * verdict counters, and the verdict logic that ties them together.
 */
#ifndef PEERGATE_GATEWAY_H
#define PEERGATE_GATEWAY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

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
	bool verbose;
};

/* Loads the policy, opens the queues, re-decides the flows a previous run
 * left marked in conntrack (with its state file, if any) and applies the
 * table.  Errors are printed to stderr.  Returns NULL on failure (nothing
 * left behind). */
struct pg_gateway *pg_gateway_open(const struct pg_gateway_options *o);
/* Saves the decided flows to the state file (when opened fully), flushes
 * the table unless keep_rules, closes everything. */
void pg_gateway_close(struct pg_gateway *g, bool keep_rules);

/* poll() set: the queue fds. */
int pg_gateway_fds(const struct pg_gateway *g, int *fds, int max);
/* Handles what is pending on the queue fd. Returns -1 on a fatal error. */
int pg_gateway_process(struct pg_gateway *g, int fd);
/* Once a second: expiry, and a table repair that had to wait. */
void pg_gateway_tick(struct pg_gateway *g);

/* The nftables event socket to poll (-1: none), and what to call when it
 * is readable: a table that another program deleted or flushed is put
 * back within a second, with a warning, and counted in the stats. */
int pg_gateway_watch_fd(const struct pg_gateway *g);
void pg_gateway_watch_events(struct pg_gateway *g);

/* Reload the policy file: parse, apply the table, swap, re-decide flows of
 * changed systems.  On failure the old policy stays and errors are written
 * to err (one per line). Returns 0 on success. */
int pg_gateway_reload(struct pg_gateway *g, FILE *err);

/* JSON documents for the control socket. */
void pg_gateway_stats_json(struct pg_gateway *g, FILE *out);
void pg_gateway_flows_json(struct pg_gateway *g, FILE *out);

#endif
