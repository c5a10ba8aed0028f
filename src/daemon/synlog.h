/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The SYN log: the NFLOG socket the table logs new connections' SYNs to,
 * and the table of those SYNs (syn_table.h), behind one lock.  A reader
 * thread of its own drains the socket as SYNs come (at most every 10 ms),
 * so that a burst does not fill it; a worker that finds no SYN for a
 * connection's first queued packet drains it too before it gives up (the
 * SYN was logged before that packet was queued, so it is in the socket
 * or already in the table).
 */
#ifndef PEERGATE_DAEMON_SYNLOG_H
#define PEERGATE_DAEMON_SYNLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "peergate/packet.h"

struct gw_synlog;

struct gw_synlog *gw_synlog_open(uint16_t group, uint32_t slots, char *err, size_t errlen);
void gw_synlog_close(struct gw_synlog *s);

uint16_t gw_synlog_group(const struct gw_synlog *s);

/* The reader thread (clock_ms: the daemon's monotonic clock); stop it
 * before the workers that use the log go away, or let close do it. */
int gw_synlog_start_reader(struct gw_synlog *s, uint64_t (*clock_ms)(void));
void gw_synlog_stop_reader(struct gw_synlog *s);

/* Reads what the socket holds into the table. */
void gw_synlog_drain(struct gw_synlog *s, uint64_t now_ms);

/* The SYN of p's connection (syn_table.h: pg_syn_table_take), after
 * draining the socket when drain is set. */
size_t gw_synlog_take(struct gw_synlog *s, const struct pg_packet *p, bool drain,
		      uint64_t now_ms, uint8_t *buf, size_t cap);

/* ,"syn_log":{...} for the stats document. */
void gw_synlog_json(struct gw_synlog *s, FILE *out);

#endif
