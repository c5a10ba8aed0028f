/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The --systems DIR option of check, classify, lookup and rules apply, and
 * the policy those commands load with it. */
#include <stdio.h>

#include "commands.h"
#include "peergate/policy.h"

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

struct pg_policy *ctl_policy_load(const char *path, struct ctl_systems *s)
{
	struct pg_diag diag = {0};
	struct pg_policy *p;

	ctl_systems_finish(s);
	p = pg_policy_load_all(path, s->dirs, s->n, NULL, &diag);
	if (!p)
		pg_diag_print(&diag, stderr);
	return p;
}
