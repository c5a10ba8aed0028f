/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "peergate/engine_policy.h"

void pg_engine_config_from_policy(const struct pg_policy *p, struct pg_engine_config *cfg)
{
	const struct pg_engine_settings *s = pg_policy_engine(p);

	pg_engine_config_defaults(cfg);
	cfg->max_flows = s->max_flows;
	cfg->inspect_packets = s->inspect_packets;
	cfg->inspect_bytes = s->inspect_bytes;
	cfg->inspect_idle_s = s->inspect_idle_s;
	/* fail = closed drops what cannot be inspected, so the engine must
	 * not read it either (see pg_engine_config.starved_dropped). */
	cfg->starved_dropped = !s->fail_open;
	cfg->tcp_timeout_s = s->tcp_timeout_s;
	cfg->udp_timeout_s = s->udp_timeout_s;
	for (unsigned sys = 0; sys < PG_SYS_POLICED_END; sys++)
		if (pg_system_has_heuristics((enum pg_system)sys) &&
		    pg_policy_heuristics(p, (enum pg_system)sys) == PG_HEURISTICS_OFF)
			cfg->heuristics_off |= 1ull << sys;
}
