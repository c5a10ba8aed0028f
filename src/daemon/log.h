/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's log: syslog(3) with severities (journald and OpenWrt's logd
 * both read it), a copy on stderr for a daemon run by hand or by a test,
 * and a token bucket per message class.  Lines a bucket refuses are
 * counted; a periodic line says how many were suppressed.
 */
#ifndef PEERGATE_DAEMON_LOG_H
#define PEERGATE_DAEMON_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <syslog.h>

/* Each class has its own bucket: a flood of flow lines never hides a
 * warning about the daemon itself. */
enum pg_log_class {
	PG_LOG_EVENT,             /* the daemon: start, reload, errors */
	PG_LOG_FLOW,              /* one line per decided flow */
	PG_LOG_CLASS_COUNT,
};

enum pg_log_target {
	/* syslog, and stderr too unless stderr is the journal (JOURNAL_STREAM),
	 * which has the syslog copy already */
	PG_LOG_TARGET_AUTO,
	PG_LOG_TARGET_SYSLOG,
	PG_LOG_TARGET_STDERR,
	PG_LOG_TARGET_BOTH,
};

struct pg_log_config {
	const char *ident;        /* syslog ident and stderr prefix */
	int level;                /* LOG_ERR ... LOG_DEBUG: the least severe kept */
	enum pg_log_target target;
	uint32_t flow_rate;       /* flow lines per second (bucket: the same) */
};

struct pg_log_stats {
	uint64_t lines[PG_LOG_CLASS_COUNT];      /* written */
	uint64_t suppressed[PG_LOG_CLASS_COUNT]; /* refused by the rate limit */
};

struct pg_log;

/* NULL when out of memory.  Opens syslog when the target has it. */
struct pg_log *pg_log_open(const struct pg_log_config *c);
void pg_log_close(struct pg_log *log);

/* A new flow-line rate (a policy reload); the counters stay. */
void pg_log_set_flow_rate(struct pg_log *log, uint32_t rate);

/* One line (no newline needed).  Lines less severe than the level are
 * skipped uncounted; the others pass their class's bucket or are counted
 * as suppressed.  log NULL: stderr, unlimited. */
__attribute__((format(printf, 4, 5)))
void pg_log(struct pg_log *log, int level, enum pg_log_class cls, const char *fmt, ...);

/* Each line of text (as a memstream collected it) at level. */
void pg_log_lines(struct pg_log *log, int level, enum pg_log_class cls, const char *text);

/* True when a line of this level would be written (skip building it). */
bool pg_log_enabled(const struct pg_log *log, int level);

/* Once a second: when lines were suppressed, at most every report
 * interval a warning says how many. */
void pg_log_tick(struct pg_log *log, uint64_t now_ms);

void pg_log_get_stats(struct pg_log *log, struct pg_log_stats *s);

/* "err" ... "debug" (and syslog's other names) -> LOG_*; -1 if unknown. */
int pg_log_level_parse(const char *name);
/* "syslog", "stderr", "both", "auto" -> target; -1 if unknown. */
int pg_log_target_parse(const char *name);

/* Copies text that came off the wire (a host name) for a log line: bytes
 * outside printable ASCII, spaces, quotes and backslashes become \xNN, so
 * a line can neither be split nor forged.  Always terminates dst. */
void pg_log_clean(char *dst, size_t len, const char *src);

#endif
