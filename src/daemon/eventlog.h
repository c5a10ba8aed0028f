/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The event file: one JSON object per line for each decided flow, for a
 * SIEM (in the manner of Suricata's eve.json).  Appended to; reopened by
 * name on SIGHUP and reload, so logrotate can move it away.
 */
#ifndef PEERGATE_DAEMON_EVENTLOG_H
#define PEERGATE_DAEMON_EVENTLOG_H

#include <stddef.h>
#include <stdint.h>

#include "peergate/flow.h"
#include "peergate/verdict.h"

struct pg_eventlog;

/* The event file of a running daemon: one object for its whole life, so
 * that the packet workers can hold it while the control thread points it
 * at another file (a reload) or opens the same name again (logrotate).
 * Every call is thread-safe.  No file until pg_eventlog_set_path. */
struct pg_eventlog *pg_eventlog_create(void);
void pg_eventlog_destroy(struct pg_eventlog *ev);

/* path: the file to append to ("": none).  The same path as now opens it
 * again by name (after logrotate moved it); another closes the old file.
 * 0, or -1 with a message in err (then the old file stays in use when the
 * path is the same, and no file is written when it is another). */
int pg_eventlog_set_path(struct pg_eventlog *ev, const char *path, char *err, size_t errlen);

/* The path in use ("" for none), copied into buf. */
void pg_eventlog_path(struct pg_eventlog *ev, char *buf, size_t len);

/* One decided flow, its verdict, its system's name (data systems are
 * named by the policy's registry) and the host it named ("" for none).
 * -1 when the line could not be written (counted). */
int pg_eventlog_flow(struct pg_eventlog *ev, const struct pg_flow *f,
		     const struct pg_flow_verdict *fv, const char *system, const char *host);

/* Lines written, and lines lost to write errors. */
void pg_eventlog_counts(struct pg_eventlog *ev, uint64_t *written, uint64_t *failed);

#endif
