/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Verdict counters per system and feature, and the engine's own counters.
 * Packets and bytes here are those peergated itself gave a verdict for;
 * once a flow is stamped, the kernel settles the rest of it and counts it
 * in the table's rule counters (shown beside these by `peergatectl stats`).
 */
#ifndef PEERGATE_STATS_H
#define PEERGATE_STATS_H

#include <stdint.h>
#include <stdio.h>

#include "peergate/taxonomy.h"

struct pg_class_counters {
	uint64_t flows;
	uint64_t flows_dropped;
	uint64_t flows_logged;        /* decided under the action log */
	uint64_t packets_accepted, packets_dropped;
	uint64_t bytes_accepted, bytes_dropped;
};

struct pg_verdict_stats {
	struct pg_class_counters cls[PG_SYS_COUNT][PG_FEAT_COUNT];
};

/* Writes the `verdicts` array of the stats JSON: one object per class with
 * any activity, data systems named by the registry (NULL: built-in names). */
struct pg_systems;
void pg_verdict_stats_json(const struct pg_verdict_stats *s,
			   const struct pg_systems *systems, FILE *out);

#endif
