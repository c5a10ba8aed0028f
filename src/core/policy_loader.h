/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Private to the reader of policy.ini: the state of one load, shared by the
 * line reader (policy_lexer.c), the checks of sections, keys and values
 * (policy_read.c) and the [engine] keys (policy_engine_keys.c).
 */
#ifndef PEERGATE_POLICY_LOADER_H
#define PEERGATE_POLICY_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "peergate/policy.h"

#include "policy_priv.h"
#include "policy_text.h"

#define QUOTE "%.64s"                 /* input quoted in messages, bounded */
#define POL_ENGINE_KEYS_MAX 16        /* room for the [engine] keys' lines */

enum line_kind {
	LINE_OTHER,     /* blank, comment, header, or replaced by us */
	LINE_KEY,       /* key = value: inih calls the handler */
	LINE_CONT,      /* indented continuation: inih calls the handler */
};

enum sect_kind {
	SECT_NONE,      /* before the first header */
	SECT_ENGINE,
	SECT_EXCEPTIONS,
	SECT_SYSTEM,
	SECT_SKIP,      /* a bad header, already reported: ignore its keys */
};

/* What an indented continuation line after the last key does. */
enum cont_kind {
	CONT_IGNORE,    /* the key was bad or skipped: stay quiet */
	CONT_REJECT,    /* a single-valued key */
	CONT_HOOKS,
	CONT_HOSTS,
	CONT_ALLOW,
	CONT_INSPECT,
};

/* Per-system key slots for duplicate detection: the features, then these. */
enum { SK_ALL = PG_FEAT_COUNT, SK_PORTS, SK_HOSTS, SK_HEURISTICS, SK_COUNT };

/* The [exceptions] keys. */
enum { EXC_ALLOW, EXC_INSPECT, EXC_COUNT };

struct loader {
	const char *name;
	struct pg_diag *diag;
	struct pg_diag own_diag;        /* used when the caller passes none */
	struct pg_policy *p;
	const struct pg_systems *reg;   /* the systems sections may name */
	bool oom;

	/* the reader */
	const char *pos, *end;
	unsigned line;
	enum line_kind kind;
	bool prev_key;                  /* mirrors inih's prev_name != "" */
	bool dropped;                   /* the line was refused (reported) */
	bool pending;                   /* a handler call is due for the line */

	/* the current section */
	enum sect_kind sect;
	enum pg_system sys;
	char sect_name[64];
	unsigned engine_line, exceptions_line;
	unsigned system_line[PG_SYS_POLICED_END];

	/* keys seen (line numbers, 0 = not yet) */
	unsigned engine_key_line[POL_ENGINE_KEYS_MAX];
	unsigned exception_key_line[EXC_COUNT];
	unsigned system_key_line[PG_SYS_POLICED_END][SK_COUNT];

	/* the last key, for continuation lines */
	enum cont_kind cont;
	unsigned cont_line;
	char cont_key[64];

	/* the line of each kept message, to sort them once the file is read */
	unsigned diag_line[PG_DIAG_MAX];

	/* actions as written; -1 = not set */
	int8_t feat_action[PG_SYS_POLICED_END][PG_FEAT_COUNT];
	int8_t all_action[PG_SYS_POLICED_END];
};

/* ---- policy_read.c ---- */

/* An error on a given line (0: none), or on the line being read.  Messages
 * are kept with their line and put in file order by pol_finish. */
void PG_PRINTF(3, 4) pol_err_line(struct loader *ld, unsigned line,
				  const char *fmt, ...);
void PG_PRINTF(2, 3) pol_err_at(struct loader *ld, const char *fmt, ...);
/* Reported once per load. */
void pol_out_of_memory(struct loader *ld);
/* "invalid value 'v' for 'k' in [s]; did you mean 'w'?" when one of words
 * is close, else "...; <expect>". */
void pol_bad_value(struct loader *ld, const char *key, const char *value,
		   const char *const *words, size_t nwords, const char *expect);
/* One of a fixed set of words; returns its index or -1 (reported). */
int pol_parse_word(struct loader *ld, const char *key, const char *value,
		   const char *const *words, size_t n, const char *expect);
/* Records a key line; false (reported) when the key was already set. */
bool pol_first_time(struct loader *ld, unsigned *slot, const char *key);
/* Reports a key the current section does not take, with a hint. */
void pol_unknown_key(struct loader *ld, const char *key);
/* Enters the section named in ld->sect_name (from a header line). */
void pol_enter_section(struct loader *ld);
/* The inih handler: a key line or a continuation line. */
int pol_on_pair(void *user, const char *section, const char *name,
		const char *value);
/* After the last line: the checks that need the whole file, every class
 * resolved, and the messages in file order. */
void pol_finish(struct loader *ld);

/* ---- policy_engine_keys.c ---- */

/* A key line in [engine]. */
bool pol_engine_key(struct loader *ld, const char *key, const char *value);
/* More hook names, from a continuation line. */
bool pol_engine_add_hooks(struct loader *ld, const char *value);
/* The [engine] checks that need the whole file. */
void pol_engine_finish(struct loader *ld);


#endif
