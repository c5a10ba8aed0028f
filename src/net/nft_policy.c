/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * From a policy snapshot to the nftables helper's configuration.  Kept out
 * of src/net/nft so that the netlink code does not depend on the policy
 * module (and can be tested without it).
 */
#include "peergate/nft_policy.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peergate/ports.h"
#include "peergate/systems.h"

/* Adds [lo, hi] to a set, merging with a range it overlaps or touches;
 * false when the set is full.  The kernel side merges again after
 * sorting, so this only has to keep the count down. */
static bool set_add_range(struct pg_nft_portset *s, uint16_t lo, uint16_t hi)
{
	const size_t cap = sizeof(s->ranges) / sizeof(s->ranges[0]);

	for (size_t i = 0; i < s->count; i++) {
		struct pg_nft_range *r = &s->ranges[i];

		if ((uint32_t)lo <= (uint32_t)r->hi + 1 &&
		    (uint32_t)hi + 1 >= (uint32_t)r->lo) {
			if (lo < r->lo)
				r->lo = lo;
			if (hi > r->hi)
				r->hi = hi;
			return true;
		}
	}
	if (s->count == cap)
		return false;
	s->ranges[s->count].lo = lo;
	s->ranges[s->count].hi = hi;
	s->count++;
	return true;
}

/* A port is shared when another row (any system) covers part of the same
 * range and its feature is not blocked, or its system's port blocks are
 * off: AIM sends files over 5190, but 5190 is also AIM's (allowed) login
 * and IM port.  A kernel block there would cut the allowed feature too, so
 * such a port is left to payload classification. */
static bool port_shared_with_allowed(const struct pg_policy *p,
				     const struct pg_port_rule *rules, size_t n,
				     const struct pg_port_rule *pr)
{
	for (size_t i = 0; i < n; i++) {
		const struct pg_port_rule *o = &rules[i];
		if (o == pr || o->l4proto != pr->l4proto || o->hi < pr->lo || o->lo > pr->hi)
			continue;
		if (!pg_policy_ports_enabled(p, o->system) ||
		    pg_policy_action(p, o->system, o->feature) != PG_ACTION_BLOCK)
			return true;
	}
	return false;
}

/* The built-in port table followed by the ports of the policy's data
 * files (each a hint and a block); NULL when out of memory. */
static struct pg_port_rule *all_port_rules(const struct pg_policy *p, size_t *n)
{
	const struct pg_systems_port *dp;
	size_t nd = pg_systems_ports(pg_policy_systems(p), &dp);
	struct pg_port_rule *v = calloc(pg_port_rule_count + nd, sizeof(*v));

	if (!v)
		return NULL;
	memcpy(v, pg_port_rules, pg_port_rule_count * sizeof(*v));
	for (size_t i = 0; i < nd; i++)
		v[pg_port_rule_count + i] = (struct pg_port_rule){
			.system = dp[i].system, .feature = dp[i].feature,
			.l4proto = dp[i].l4proto, .lo = dp[i].lo, .hi = dp[i].hi,
			.hint = true, .block = true, .source = "systems.d",
		};
	*n = pg_port_rule_count + nd;
	return v;
}

size_t pg_nft_portsets_from_policy(const struct pg_policy *p,
				   struct pg_nft_portset *out, size_t max)
{
	const struct pg_systems *reg = pg_policy_systems(p);
	size_t n = 0, nrules = 0;
	struct pg_port_rule *rules = all_port_rules(p, &nrules);

	/* Out of memory: no port blocks, which are only a shortcut (the
	 * classifier still blocks the flows from their payload). */
	for (size_t i = 0; rules && i < nrules; i++) {
		const struct pg_port_rule *pr = &rules[i];
		struct pg_nft_portset *s = NULL;

		if (!pr->block || !pg_systems_defined(reg, pr->system) ||
		    (pr->l4proto != IPPROTO_TCP && pr->l4proto != IPPROTO_UDP) ||
		    !pg_policy_ports_enabled(p, pr->system) ||
		    pg_policy_action(p, pr->system, pr->feature) != PG_ACTION_BLOCK ||
		    port_shared_with_allowed(p, rules, nrules, pr))
			continue;
		for (size_t j = 0; j < n; j++) {
			if (out[j].system == pr->system && out[j].feature == pr->feature &&
			    out[j].l4proto == pr->l4proto) {
				s = &out[j];
				break;
			}
		}
		if (!s) {
			/* Out of room: the port block is only a shortcut, the
			 * classifier still blocks the flow from its payload. */
			if (n == max)
				continue;
			s = &out[n++];
			memset(s, 0, sizeof(*s));
			s->system = pr->system;
			if (pg_system_is_data(pr->system))
				snprintf(s->system_name, sizeof(s->system_name), "%s",
					 pg_systems_name(reg, pr->system));
			s->feature = pr->feature;
			s->l4proto = pr->l4proto;
		}
		/* A feature has far fewer than 16 port ranges in the table;
		 * should one ever overflow, the rest falls back to payload
		 * classification in the same way. */
		(void)set_add_range(s, pr->lo, pr->hi);
	}
	free(rules);
	return n;
}

void pg_nft_config_from_policy(const struct pg_policy *p,
			       struct pg_nft_config *cfg,
			       struct pg_nft_portset *sets, size_t max_sets)
{
	const struct pg_engine_settings *e = pg_policy_engine(p);
	const struct pg_prefix *allow = NULL, *inspect = NULL;

	memset(cfg, 0, sizeof(*cfg));
	cfg->hooks = e->hooks;
	cfg->queue_first = e->queue_first;
	cfg->queue_count = e->queue_count;
	/* fail = open: with nobody reading the queue, traffic passes. */
	cfg->queue_bypass = e->fail_open;
	cfg->mark_mask = e->mark_mask;
	cfg->tcp_reset = e->tcp_block == PG_TCP_BLOCK_RESET;
	cfg->portset_log_rate = e->log_rate;
	cfg->sets = sets;
	cfg->nsets = sets && max_sets ? pg_nft_portsets_from_policy(p, sets, max_sets) : 0;
	cfg->nallow = pg_policy_allow_prefixes(p, &allow);
	cfg->allow = allow;
	if (!allow)
		cfg->nallow = 0;
	cfg->ninspect = pg_policy_inspect_prefixes(p, &inspect);
	cfg->inspect = inspect;
	if (!inspect)
		cfg->ninspect = 0;
	/* blocked_size stays 0: the documented default, PG_NFT_BLOCKED_SIZE. */
}
