/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "peergate/hosts.h"
#include "peergate/policy.h"
#include "peergate/systems.h"

struct pg_host_rules *pg_host_rules_for_policy(const struct pg_policy *p)
{
	const struct pg_systems *reg = pg_policy_systems(p);
	struct pg_host_rules *r = pg_host_rules_create();

	if (!r || !pg_systems_add_signals(reg, r))
		goto fail;
	for (int s = 1; p && s < PG_SYS_POLICED_END; s++) {
		const char *const *patterns;
		size_t n = pg_policy_hosts(p, (enum pg_system)s, &patterns);
		for (size_t i = 0; i < n; i++)
			if (!pg_host_rules_add(r, patterns[i], (enum pg_system)s, PG_FEAT_ANY))
				goto fail;
	}
	return r;
fail:
	pg_host_rules_destroy(r);
	return NULL;
}
