/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The --systems DIR option of check, classify and rules apply. */
#include <stdio.h>

#include "commands.h"

bool ctl_systems_add(struct ctl_systems *s, const char *dir)
{
	if (s->n == PG_SYSTEMS_DIRS_MAX) {
		fprintf(stderr, "peergatectl: at most %d --systems\n", PG_SYSTEMS_DIRS_MAX);
		return false;
	}
	s->dirs[s->n++] = dir;
	return true;
}

void ctl_systems_finish(struct ctl_systems *s)
{
	if (!s->n)
		s->n = pg_systems_default_dirs(s->dirs, PG_SYSTEMS_DIRS_MAX, s->buf, sizeof(s->buf));
}
