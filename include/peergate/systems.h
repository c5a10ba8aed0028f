/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The systems registry: the built-in systems (enum pg_system, taxonomy.h)
 * plus the systems and signals read from data files (systems.d/NAME.conf, see
 * peergate-systems(5)).  A data file either adds host patterns, address
 * ranges and ports to a built-in system, or defines a new system, which
 * gets an id from the block PG_SYS_DATA_FIRST ... PG_SYS_DATA_LAST.
 *
 * A registry is immutable once loaded and is owned by the policy snapshot
 * it was loaded with (policy.h), so a reload swaps both at once.  Every
 * query takes a NULL registry as "the built-in systems only".
 */
#ifndef PEERGATE_SYSTEMS_H
#define PEERGATE_SYSTEMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "peergate/policy.h"
#include "peergate/taxonomy.h"

#define PG_SYSTEM_NAME_MAX 32         /* with the NUL */
#define PG_SYSTEMS_DIRS_MAX 8

/* A port or port range of a system's feature, from a data file: a
 * classification hint, and a kernel port block when the policy blocks the
 * feature. */
struct pg_systems_port {
	enum pg_system system;
	enum pg_feature feature;
	uint8_t l4proto;                  /* IPPROTO_TCP or IPPROTO_UDP */
	uint16_t lo, hi;
};

struct pg_systems;

/* Reads every *.conf of the directories, in file-name order; a file in a
 * later directory replaces the file of the same name in an earlier one
 * (the admin's /etc/peergate/systems.d over the shipped files).  The first
 * directory must exist; later ones may be missing.  A data system that prev
 * (NULL: none) knows keeps its id, and prev's systems that are gone keep
 * theirs with their names (flows and counters still name them) but are no
 * longer defined.  On any error returns NULL and fills diag with
 * "FILE:LINE: message" lines. */
struct pg_systems *pg_systems_load(const char *const *dirs, size_t ndirs,
				   const struct pg_systems *prev,
				   struct pg_diag *diag);
/* The same over the given files (for tests and `check FILE`). */
struct pg_systems *pg_systems_load_files(const char *const *paths, size_t n,
					 const struct pg_systems *prev,
					 struct pg_diag *diag);
/* One file's text (NUL-terminated), named name in messages. */
struct pg_systems *pg_systems_load_string(const char *text, const char *name,
					  const struct pg_systems *prev,
					  struct pg_diag *diag);
void pg_systems_destroy(struct pg_systems *s);

/* The directories used when none are given: $PEERGATE_SYSTEMS_DIRS (a
 * ':'-separated list; the build tree's tests point it at the source tree),
 * else the installed data directory and then the admin's
 * (paths.h).  The strings point into buf or are constants.  Returns the
 * count. */
size_t pg_systems_default_dirs(const char **out, size_t max, char *buf, size_t buflen);

/* The name of any system id: built-in, data ("unknown" for an unused id). */
const char *pg_systems_name(const struct pg_systems *s, enum pg_system sys);
/* A built-in or data system by name (retired data systems included). */
bool pg_systems_from_name(const struct pg_systems *s, const char *name,
			  enum pg_system *out);
/* A policed system the policy may name: built-in, or defined by data. */
bool pg_systems_defined(const struct pg_systems *s, enum pg_system sys);
/* pg_feature_valid_for, data systems included. */
bool pg_systems_feature_valid(const struct pg_systems *s, enum pg_system sys,
			      enum pg_feature feat);

struct pg_host_rules;
/* Adds every host pattern, address range and port of the data files to r;
 * false when out of memory. */
bool pg_systems_add_signals(const struct pg_systems *s, struct pg_host_rules *r);

/* The data files' ports (borrowed array). */
size_t pg_systems_ports(const struct pg_systems *s, const struct pg_systems_port **out);

/* Data files read, data systems defined, host patterns and prefixes held:
 * for `check`. */
struct pg_systems_counts {
	size_t files, systems, hosts, ranges, ports;
};
void pg_systems_get_counts(const struct pg_systems *s, struct pg_systems_counts *out);

#endif
