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

/* Opens (creates) path for appending; NULL with a message in err. */
struct pg_eventlog *pg_eventlog_open(const char *path, char *err, size_t errlen);
void pg_eventlog_close(struct pg_eventlog *ev);

const char *pg_eventlog_path(const struct pg_eventlog *ev);

/* Opens the path again (after logrotate moved the file); on failure the
 * old file stays in use.  0, or -1 with a message in err. */
int pg_eventlog_reopen(struct pg_eventlog *ev, char *err, size_t errlen);

/* One decided flow, its verdict and the host it named ("" for none).
 * -1 when the line could not be written (counted). */
int pg_eventlog_flow(struct pg_eventlog *ev, const struct pg_flow *f,
		     const struct pg_flow_verdict *fv, const char *host);

/* Lines written, and lines lost to write errors. */
void pg_eventlog_counts(const struct pg_eventlog *ev, uint64_t *written, uint64_t *failed);

#endif
