/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A policy with the systems registry of its data files (policy.h). */
#include "peergate/policy.h"
#include "peergate/systems.h"

#include "policy_priv.h"

struct pg_policy *pg_policy_default_systems(struct pg_systems *systems)
{
	struct pg_policy *p = pg_policy_default();

	if (!p)
		pg_systems_destroy(systems);
	else
		p->systems = systems;
	return p;
}

struct pg_policy *pg_policy_load_all(const char *path, const char *const *dirs,
				     size_t ndirs, const struct pg_policy *prev,
				     struct pg_diag *diag)
{
	struct pg_systems *reg = pg_systems_load(dirs, ndirs, pg_policy_systems(prev), diag);

	if (!reg)
		return NULL;
	if (!path)
		return pg_policy_default_systems(reg);
	return pg_policy_load_file_systems(path, reg, diag);
}
