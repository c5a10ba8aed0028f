/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The SYN log: the NFLOG socket the table logs new connections' SYNs to,
 * and the table of those SYNs (syn_table.h), behind one lock.  Shared by
 * the workers (each drains it once per batch, before it looks up the
 * first queued packet of a connection) and the control thread (its tick
 * drains it, so that SYNs of connections that never send a byte do not
 * fill the socket).
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

/* Reads what the socket holds into the table. */
void gw_synlog_drain(struct gw_synlog *s, uint64_t now_ms);

/* The SYN of p's connection (syn_table.h: pg_syn_table_take), after
 * draining the socket when drain is set. */
size_t gw_synlog_take(struct gw_synlog *s, const struct pg_packet *p, bool drain,
		      uint64_t now_ms, uint8_t *buf, size_t cap);

/* ,"syn_log":{...} for the stats document. */
void gw_synlog_json(struct gw_synlog *s, FILE *out);

#endif
