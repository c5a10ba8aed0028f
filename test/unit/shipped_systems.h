/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * For tests, fuzz targets and benchmarks: the signals of the systems' data
 * files shipped in the source tree (policy/systems.d), in place of the host
 * list that used to be compiled in.
 */
#ifndef PEERGATE_TEST_SHIPPED_SYSTEMS_H
#define PEERGATE_TEST_SHIPPED_SYSTEMS_H

#include <stdbool.h>
#include <stdio.h>

#include "peergate/hosts.h"
#include "peergate/systems.h"

#define PG_SHIPPED_SYSTEMS_DIR PG_SOURCE_DIR "/policy/systems.d"

/* The shipped registry; NULL (reported on stderr) when it does not load. */
static inline struct pg_systems *shipped_systems(void)
{
	const char *dir = PG_SHIPPED_SYSTEMS_DIR;
	struct pg_diag diag = { 0 };
	struct pg_systems *s = pg_systems_load(&dir, 1, NULL, &diag);

	if (!s)
		pg_diag_print(&diag, stderr);
	return s;
}

static inline bool add_shipped_signals(struct pg_host_rules *r)
{
	struct pg_systems *s = shipped_systems();
	bool ok = s && pg_systems_add_signals(s, r);

	pg_systems_destroy(s);
	return ok;
}

#endif
