/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the gateway does with a flow under a policy: the one place that
 * decides it, shared by the daemon's verdict path and by offline
 * classification (which reports the verdict the gateway would give).
 */
#ifndef PEERGATE_VERDICT_H
#define PEERGATE_VERDICT_H

#include <stdbool.h>

#include "peergate/flow.h"
#include "peergate/mark.h"
#include "peergate/policy.h"

struct pg_flow_verdict {
	/* The policy's action for the flow: by its class, through the proxy
	 * it came by, and the [exceptions] prefixes; a flow cut too finely
	 * to be read is blocked under fail = closed.  ALLOW while the flow
	 * is undecided. */
	enum pg_action action;
	/* The code the flow is stamped with: ACCEPT, BLOCK (TCP reset) or
	 * DROP; NONE while it is undecided and for an allowed watched flow,
	 * whose packets are accepted unstamped so that they keep coming to
	 * user space. */
	enum pg_mark_code code;
	/* Allowed only because an [exceptions] allow prefix overrides a
	 * block of the class. */
	bool excepted;
};

struct pg_flow_verdict pg_flow_verdict_of(const struct pg_policy *p, const struct pg_flow *f);

static inline bool pg_flow_verdict_blocks(const struct pg_flow_verdict *v)
{
	return v->action == PG_ACTION_BLOCK;
}

#endif
