/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Other views of the daemon's stats document (the JSON `peergatectl stats
 * --json` prints): the Prometheus text exposition format, and a live view
 * that redraws the counters with their rates.
 */
#ifndef PEERGATE_CTL_STATS_VIEWS_H
#define PEERGATE_CTL_STATS_VIEWS_H

#include <stdio.h>

#include "jsonread.h"

/* Writes stats as Prometheus text exposition format 0.0.4 (for
 * node_exporter's textfile collector): every family with HELP and TYPE,
 * names prefixed peergate_, counters ending in _total. */
void pg_stats_prometheus(const struct pg_jvalue *stats, FILE *out);

/* Asks the daemon at socket for its stats every `seconds` and prints a
 * frame each time, with rates per second from the previous answer; on a
 * terminal each frame replaces the last, otherwise frames follow each
 * other without escape sequences.  Returns the exit code: 0 after SIGINT
 * or SIGTERM, 1 when the daemon cannot be asked. */
int pg_stats_watch(const char *socket, double seconds);

#endif
