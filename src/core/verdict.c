/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "peergate/verdict.h"

#include <netinet/in.h>

static enum pg_action decided_action(const struct pg_policy *p, const struct pg_flow *f)
{
	/* A stream cut too finely to be read is not let through silently
	 * under fail = closed. */
	if ((f->flags & PG_FLOW_CUT) && !pg_policy_engine(p)->fail_open)
		return PG_ACTION_BLOCK;
	enum pg_action a = pg_policy_flow_action_via(p, f->system, f->feature, f->via_proxy,
						     f->family, f->client_addr, f->server_addr);
	/* A heuristic match is acted on only as far as `heuristics` says. */
	if (f->method == PG_METHOD_HEURISTIC) {
		switch (pg_policy_heuristics(p, (enum pg_system)f->system)) {
		case PG_HEURISTICS_BLOCK:
			break;
		case PG_HEURISTICS_LOG:
			if (a == PG_ACTION_BLOCK)
				a = PG_ACTION_LOG;
			break;
		case PG_HEURISTICS_OFF:
			a = PG_ACTION_ALLOW;
			break;
		}
	}
	return a;
}

static enum pg_mark_code block_code(const struct pg_policy *p, const struct pg_flow *f)
{
	/* Only TCP has a reset to send. */
	return f->l4proto == IPPROTO_TCP &&
	       pg_policy_engine(p)->tcp_block == PG_TCP_BLOCK_RESET ?
		PG_MARK_BLOCK : PG_MARK_DROP;
}

struct pg_flow_verdict pg_flow_verdict_of(const struct pg_policy *p, const struct pg_flow *f)
{
	struct pg_flow_verdict v = {.action = PG_ACTION_ALLOW, .code = PG_MARK_NONE};

	/* Undecided: every packet is accepted unstamped while it is read. */
	if (f->state != PG_FLOW_DECIDED)
		return v;
	v.action = decided_action(p, f);
	if (v.action == PG_ACTION_BLOCK) {
		v.code = block_code(p, f);
		return v;
	}
	v.excepted = pg_policy_action(p, f->system, f->feature) == PG_ACTION_BLOCK &&
		     (f->method != PG_METHOD_HEURISTIC ||
		      pg_policy_heuristics(p, (enum pg_system)f->system) == PG_HEURISTICS_BLOCK);
	v.code = (f->flags & PG_FLOW_WATCH) ? PG_MARK_NONE : PG_MARK_ACCEPT;
	return v;
}
