/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The flow state file: the decided flows a stopping peergated hands to the
 * next one, so that a restart can re-decide the flows the kernel still
 * settles by their conntrack mark.  A versioned, line-based text format:
 *
 *   peergate-flows 1
 *   written UNIX-SECONDS
 *   mark-mask 0xHEX
 *   flow L4 CLIENT-ADDR CLIENT-PORT SERVER-ADDR SERVER-PORT SYSTEM FEATURE
 *        METHOD CONFIDENCE VIA FLAGS PKTS-C2S PKTS-S2C BYTES-C2S BYTES-S2C HOST
 *   ...
 *   end COUNT
 *
 * (one `flow` line per flow, fields separated by one space; VIA and HOST
 * are `-` when none).  The `end` line makes a truncated file detectable.
 */
#ifndef PEERGATE_FLOWSTATE_H
#define PEERGATE_FLOWSTATE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "peergate/flow.h"

#define PG_FLOWSTATE_VERSION 1
#define PG_FLOWSTATE_HOST_MAX 64

struct pg_flowstate_entry {
	/* identity, class, flags and counters; the table fields are zero */
	struct pg_flow flow;
	char host[PG_FLOWSTATE_HOST_MAX]; /* "" when none */
};

/* Writing: entries go to PATH.tmp, which commit renames over PATH, so a
 * reader never sees a half-written file. */
struct pg_flowstate_writer;

struct pg_systems;
/* systems names the data systems (NULL: built-in names only); it must
 * outlive the writer. */
struct pg_flowstate_writer *pg_flowstate_writer_open(const char *path, int64_t written_s,
						     uint32_t mark_mask,
						     const struct pg_systems *systems,
						     char *err, size_t errlen);
/* host may be NULL or "" for none. */
void pg_flowstate_writer_add(struct pg_flowstate_writer *w, const struct pg_flow *f,
			     const char *host);
/* Finishes and renames the file; on any error removes the temporary file.
 * Frees w either way.  Returns 0, or -1 with err filled. */
int pg_flowstate_writer_commit(struct pg_flowstate_writer *w, char *err, size_t errlen);

/* What a reader accepts. */
struct pg_flowstate_limits {
	int64_t now_s;            /* wall clock */
	uint32_t max_age_s;       /* older files (by `written`) are stale */
	uint32_t mark_mask;       /* a file written under another mask is refused */
	size_t max_flows;         /* entries beyond this are skipped (counted) */
	const struct pg_systems *systems; /* data systems' names; NULL: none */
};

/* Entries read from a state file, ordered for lookup. */
struct pg_flowstate;

/* Reads a whole state file.  Returns NULL with err filled when it is
 * corrupt, truncated, of another version, stale or written under another
 * mark mask (or on out of memory). */
struct pg_flowstate *pg_flowstate_read(FILE *in, const struct pg_flowstate_limits *lim,
				       char *err, size_t errlen);

enum pg_flowstate_load_status {
	PG_FLOWSTATE_ABSENT = 0,  /* no file: *out is NULL */
	PG_FLOWSTATE_LOADED,      /* *out is set */
	PG_FLOWSTATE_REJECTED,    /* unreadable or refused (err says why) */
};

/* Reads path and removes it (a state file is used once, whatever it held).
 * Symbolic links are not followed. */
enum pg_flowstate_load_status pg_flowstate_load(const char *path,
						const struct pg_flowstate_limits *lim,
						struct pg_flowstate **out, char *err,
						size_t errlen);

void pg_flowstate_destroy(struct pg_flowstate *fs);

size_t pg_flowstate_count(const struct pg_flowstate *fs);
const struct pg_flowstate_entry *pg_flowstate_at(const struct pg_flowstate *fs, size_t i);
/* Flows in the file beyond lim->max_flows, not kept. */
size_t pg_flowstate_skipped(const struct pg_flowstate *fs);

/* The index of the entry of the flow between a and b (a the client or the
 * server: the engine may have seen either side first), or -1. */
long pg_flowstate_find(const struct pg_flowstate *fs, uint8_t family, uint8_t l4proto,
		       const uint8_t *a, uint16_t a_port, const uint8_t *b, uint16_t b_port);

#endif
