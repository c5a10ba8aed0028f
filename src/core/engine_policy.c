/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "peergate/engine_policy.h"

/* One slot per 16 flows, the 4096 of the default 65536 flows, at least 64
 * (or one per flow in a smaller table) and at most 4096: most tracked flows
 * are decided and hold none, a slot costs twice inspect-bytes, and a flow
 * that finds every slot busy takes an idle one (inspect-idle).  The cap
 * keeps the pool's address space (about 9 KB a slot by default) within
 * what a small router's allocator grants; a larger pool is set explicitly. */
enum { FLOWS_PER_SLOT = 16, MIN_SLOTS = 64, MAX_DERIVED_SLOTS = 4096 };

uint32_t pg_engine_inspect_slots(const struct pg_engine_settings *s)
{
	if (s->inspect_slots)
		return s->inspect_slots;
	uint32_t n = s->max_flows / FLOWS_PER_SLOT;
	if (n < MIN_SLOTS)
		n = s->max_flows < MIN_SLOTS ? s->max_flows : MIN_SLOTS;
	return n < MAX_DERIVED_SLOTS ? n : MAX_DERIVED_SLOTS;
}

uint64_t pg_engine_heuristics_off(const struct pg_policy *p)
{
	uint64_t off = 0;
	for (unsigned sys = 0; sys < PG_SYS_POLICED_END; sys++)
		if (pg_system_has_heuristics((enum pg_system)sys) &&
		    pg_policy_heuristics(p, (enum pg_system)sys) == PG_HEURISTICS_OFF)
			off |= 1ull << sys;
	return off;
}

void pg_engine_config_from_policy(const struct pg_policy *p, struct pg_engine_config *cfg)
{
	const struct pg_engine_settings *s = pg_policy_engine(p);

	pg_engine_config_defaults(cfg);
	cfg->max_flows = s->max_flows;
	cfg->inspect_packets = s->inspect_packets;
	cfg->inspect_bytes = s->inspect_bytes;
	cfg->inspect_idle_s = s->inspect_idle_s;
	cfg->max_inspecting = pg_engine_inspect_slots(s);
	/* fail = closed drops what cannot be inspected, so the engine must
	 * not read it either (see pg_engine_config.starved_dropped). */
	cfg->starved_dropped = !s->fail_open;
	cfg->tcp_timeout_s = s->tcp_timeout_s;
	cfg->udp_timeout_s = s->udp_timeout_s;
	cfg->heuristics_off = pg_engine_heuristics_off(p);
}
