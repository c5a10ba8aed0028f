/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "peergate/verdict.h"

#include <netinet/in.h>

static enum pg_action decided_action(const struct pg_policy *p, const struct pg_flow *f)
{
	/* A stream cut too finely to be read is not let through silently
	 * under fail = closed. */
	if ((f->flags & PG_FLOW_CUT) && !pg_policy_engine(p)->fail_open)
		return PG_ACTION_BLOCK;
	return pg_policy_flow_action_via(p, f->system, f->feature, f->via_proxy,
					 f->family, f->client_addr, f->server_addr);
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
	v.excepted = pg_policy_action(p, f->system, f->feature) == PG_ACTION_BLOCK;
	v.code = (f->flags & PG_FLOW_WATCH) ? PG_MARK_NONE : PG_MARK_ACCEPT;
	return v;
}
