/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The policy snapshot: defaults, queries, and the summary for `check`.
 * Reading policy.ini into one is policy_lexer.c (the entry points),
 * policy_read.c and policy_engine_keys.c; a snapshot is never changed
 * after it is handed out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peergate/mark.h"
#include "peergate/policy.h"
#include "peergate/systems.h"

#include "policy_priv.h"
#include "policy_text.h"

/* ------------------------------------------------------------------ */
/* The snapshot                                                        */

static const struct pg_engine_settings engine_defaults = {
	.queue_first = 0,
	.queue_count = 1,
	.hooks = PG_HOOK_FORWARD,
	.fail_open = true,
	.inspect_packets = 128,
	.inspect_bytes = 4096,
	.inspect_idle_s = 10,
	.max_flows = 65536,
	.tcp_timeout_s = 600,
	.udp_timeout_s = 120,
	.mark_mask = PG_MARK_DEFAULT_MASK,
	.tcp_block = PG_TCP_BLOCK_RESET,
	.log_rate = 20,
};

struct pg_policy *pg_policy_default(void)
{
	struct pg_policy *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->engine = engine_defaults;
	for (unsigned s = 0; s < PG_SYS_POLICED_END; s++)
		p->ports[s] = true;
	/* calloc left every action at PG_ACTION_ALLOW (0). */
	return p;
}

void pg_policy_destroy(struct pg_policy *p)
{
	if (!p)
		return;
	for (unsigned s = 0; s < PG_SYS_POLICED_END; s++) {
		for (size_t i = 0; i < p->hosts[s].n; i++)
			free(p->hosts[s].v[i]);
		free(p->hosts[s].v);
	}
	free(p->allow.v);
	free(p->inspect.v);
	pg_systems_destroy(p->systems);
	free(p);
}

/* The array v (of n elements of size bytes, room for *cap) with room for
 * one more, doubling as it grows; NULL when out of memory, v unchanged. */
static void *room_for_one(void *v, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return v;
	size_t ncap = *cap ? *cap * 2 : 8;
	void *nv = realloc(v, ncap * size);
	if (nv)
		*cap = ncap;
	return nv;
}

bool pol_strvec_push(struct strvec *v, const char *s)
{
	char **nv = room_for_one(v->v, v->n, &v->cap, sizeof(*nv));

	if (!nv)
		return false;
	v->v = nv;
	char *copy = strdup(s);
	if (!copy)
		return false;
	v->v[v->n++] = copy;
	return true;
}

bool pol_pfxvec_push(struct pfxvec *v, const struct pg_prefix *pfx)
{
	struct pg_prefix *nv = room_for_one(v->v, v->n, &v->cap, sizeof(*nv));

	if (!nv)
		return false;
	v->v = nv;
	v->v[v->n++] = *pfx;
	return true;
}

/* ------------------------------------------------------------------ */
/* Queries                                                             */

enum pg_action pg_policy_action(const struct pg_policy *p, enum pg_system sys,
				enum pg_feature feat)
{
	if (!p || !pg_system_is_policed(sys) || (unsigned)feat >= PG_FEAT_COUNT)
		return PG_ACTION_ALLOW;
	return (enum pg_action)p->action[sys][feat];
}

const struct pg_systems *pg_policy_systems(const struct pg_policy *p)
{
	return p ? p->systems : NULL;
}

const struct pg_engine_settings *pg_policy_engine(const struct pg_policy *p)
{
	return p ? &p->engine : &engine_defaults;
}

enum pg_heuristics_mode pg_policy_heuristics(const struct pg_policy *p, enum pg_system sys)
{
	if ((unsigned)sys >= PG_SYS_POLICED_END || !pg_system_has_heuristics(sys))
		return PG_HEURISTICS_OFF;
	return p ? (enum pg_heuristics_mode)p->heuristics[sys] : PG_HEURISTICS_BLOCK;
}

bool pg_policy_ports_enabled(const struct pg_policy *p, enum pg_system sys)
{
	if (!pg_system_is_policed(sys))
		return false;
	return p ? p->ports[sys] : true;
}

size_t pg_policy_hosts(const struct pg_policy *p, enum pg_system sys,
		       const char *const **patterns)
{
	if (!p || !pg_system_is_policed(sys) || !p->hosts[sys].n) {
		if (patterns)
			*patterns = NULL;
		return 0;
	}
	if (patterns)
		*patterns = (const char *const *)p->hosts[sys].v;
	return p->hosts[sys].n;
}

static bool in_list(const struct pfxvec *v, uint8_t family, const uint8_t *a,
		    const uint8_t *b)
{
	for (size_t i = 0; i < v->n; i++)
		if (pg_prefix_contains(&v->v[i], family, a) ||
		    pg_prefix_contains(&v->v[i], family, b))
			return true;
	return false;
}

bool pg_policy_exception_allow(const struct pg_policy *p, uint8_t family,
			       const uint8_t *a, const uint8_t *b)
{
	return p && in_list(&p->allow, family, a, b);
}

bool pg_policy_exception_inspect(const struct pg_policy *p, uint8_t family,
				 const uint8_t *a, const uint8_t *b)
{
	return p && in_list(&p->inspect, family, a, b);
}

size_t pg_policy_allow_prefixes(const struct pg_policy *p,
				const struct pg_prefix **out)
{
	if (out)
		*out = p && p->allow.n ? p->allow.v : NULL;
	return p ? p->allow.n : 0;
}

size_t pg_policy_inspect_prefixes(const struct pg_policy *p,
				  const struct pg_prefix **out)
{
	if (out)
		*out = p && p->inspect.n ? p->inspect.v : NULL;
	return p ? p->inspect.n : 0;
}

bool pg_policy_system_changed(const struct pg_policy *a,
			      const struct pg_policy *b, enum pg_system sys)
{
	if (!pg_system_is_policed(sys))
		return false;
	for (unsigned f = 0; f < PG_FEAT_COUNT; f++)
		if (pg_policy_action(a, sys, (enum pg_feature)f) !=
		    pg_policy_action(b, sys, (enum pg_feature)f))
			return true;
	return false;
}

/* ------------------------------------------------------------------ */
/* Summary                                                             */

static void print_system(const struct pg_policy *p, enum pg_system sys, FILE *out)
{
	const char *by_action[COUNT(pol_action_words)][PG_FEAT_COUNT];
	size_t count[COUNT(pol_action_words)] = { 0 }, total = 0;

	for (unsigned f = 0; f < PG_FEAT_COUNT; f++) {
		if (!pg_systems_feature_valid(p->systems, sys, (enum pg_feature)f))
			continue;
		enum pg_action a = pg_policy_action(p, sys, (enum pg_feature)f);
		by_action[a][count[a]++] = pg_feature_name((enum pg_feature)f);
		total++;
	}
	fprintf(out, "  %-11s", pg_systems_name(p->systems, sys));
	/* Blocked first, then logged, then allowed: the order an admin
	 * checking a policy cares about. */
	static const enum pg_action order[] = { PG_ACTION_BLOCK, PG_ACTION_LOG,
						PG_ACTION_ALLOW };
	const char *sep = " ";
	for (size_t i = 0; i < COUNT(order); i++) {
		enum pg_action a = order[i];
		if (!count[a])
			continue;
		if (count[a] == total) {
			fprintf(out, "%s%s all", sep, pol_action_words[a]);
		} else {
			char list[256] = "";
			pol_join_words(list, sizeof(list), by_action[a], count[a]);
			fprintf(out, "%s%s %s", sep, pol_action_words[a], list);
		}
		sep = "; ";
	}
	if (count[PG_ACTION_BLOCK])
		fprintf(out, "; port blocks %s", pg_policy_ports_enabled(p, sys) ? "on" : "off");
	/* only where it differs from the default, which needs no mention */
	if (pg_system_has_heuristics(sys) && pg_policy_heuristics(p, sys) != PG_HEURISTICS_BLOCK)
		fprintf(out, "; heuristics %s",
			pg_policy_heuristics(p, sys) == PG_HEURISTICS_LOG ? "log" : "off");
	fputc('\n', out);
}

static void print_prefixes(const char *key, const struct pfxvec *v, FILE *out)
{
	char buf[PG_PREFIX_STRLEN];

	fprintf(out, "  %-11s", key);
	if (!v->n)
		fprintf(out, " none");
	for (size_t i = 0; i < v->n; i++) {
		pg_prefix_format(&v->v[i], buf, sizeof(buf));
		fprintf(out, " %s", buf);
	}
	fputc('\n', out);
}

void pg_policy_print_summary(const struct pg_policy *p, FILE *out)
{
	char buf[64];
	bool any_hosts = false;

	if (!p)
		return;
	fprintf(out, "engine:\n");
	for (size_t i = 0; i < pol_engine_key_count(); i++) {
		pol_engine_key_show(i, &p->engine, buf, sizeof(buf));
		fprintf(out, "  %-16s = %s\n", pol_engine_key_name(i), buf);
	}
	fprintf(out, "systems:\n");
	for (unsigned s = 1; s < PG_SYS_POLICED_END; s++)
		if (pg_systems_defined(p->systems, (enum pg_system)s))
			print_system(p, (enum pg_system)s, out);
	fprintf(out, "extra hosts:\n");
	for (unsigned s = 1; s < PG_SYS_POLICED_END; s++) {
		const struct strvec *v = &p->hosts[s];
		if (!v->n)
			continue;
		any_hosts = true;
		fprintf(out, "  %-11s", pg_systems_name(p->systems, (enum pg_system)s));
		for (size_t i = 0; i < v->n; i++)
			fprintf(out, " %s", v->v[i]);
		fputc('\n', out);
	}
	if (!any_hosts)
		fprintf(out, "  none\n");
	fprintf(out, "exceptions:\n");
	print_prefixes("allow", &p->allow, out);
	print_prefixes("inspect", &p->inspect, out);
}

enum pg_action pg_policy_flow_action(const struct pg_policy *p, enum pg_system sys,
				     enum pg_feature feat, uint8_t family,
				     const uint8_t *a, const uint8_t *b)
{
	if (pg_policy_exception_allow(p, family, a, b) &&
	    !pg_policy_exception_inspect(p, family, a, b))
		return PG_ACTION_ALLOW;
	return pg_policy_action(p, sys, feat);
}

enum pg_action pg_policy_flow_action_via(const struct pg_policy *p, enum pg_system sys,
					 enum pg_feature feat, enum pg_feature via,
					 uint8_t family, const uint8_t *a, const uint8_t *b)
{
	enum pg_action inner = pg_policy_flow_action(p, sys, feat, family, a, b);
	if (via == PG_FEAT_ANY || inner == PG_ACTION_BLOCK)
		return inner;
	enum pg_action outer = pg_policy_flow_action(p, PG_SYS_PROXY, via, family, a, b);
	/* block beats log beats allow */
	if (outer == PG_ACTION_BLOCK || (outer == PG_ACTION_LOG && inner == PG_ACTION_ALLOW))
		return outer;
	return inner;
}
