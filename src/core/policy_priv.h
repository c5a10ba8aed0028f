/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Private to the policy modules: the snapshot's layout, and what the reader
 * uses to fill one in.  Only policy.c reads a snapshot; the reader
 * (policy_lexer.c, policy_read.c, policy_engine_keys.c) writes it before
 * handing it out, and nothing changes it after.
 */
#ifndef PEERGATE_POLICY_PRIV_H
#define PEERGATE_POLICY_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "peergate/policy.h"

struct strvec {
	char **v;
	size_t n, cap;
};

struct pfxvec {
	struct pg_prefix *v;
	size_t n, cap;
};

struct pg_policy {
	struct pg_engine_settings engine;
	/* Resolved at load (feature key, else `all`, else allow), so a lookup on
	 * the packet path is one array read. */
	uint8_t action[PG_SYS_POLICED_END][PG_FEAT_COUNT];
	bool ports[PG_SYS_POLICED_END];
	uint8_t heuristics[PG_SYS_POLICED_END]; /* enum pg_heuristics_mode; calloc: block */
	struct strvec hosts[PG_SYS_POLICED_END];
	struct pfxvec allow, inspect;
	struct pg_systems *systems;   /* owned; NULL: built-in systems only */
};

/* Append a copy; false when out of memory. */
bool pol_strvec_push(struct strvec *v, const char *s);
bool pol_pfxvec_push(struct pfxvec *v, const struct pg_prefix *pfx);

/* The [engine] keys (policy_engine_keys.c) for the summary: how many, each
 * one's name in the order of the man page, and its value in e written the
 * way policy.ini takes it. */
size_t pol_engine_key_count(void);
const char *pol_engine_key_name(size_t i);
void pol_engine_key_show(size_t i, const struct pg_engine_settings *e,
			 char *buf, size_t len);

#endif
