/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * peergatectl lookup: what the policy and the systems' data make of a flow
 * to a host name or a server address, without a running daemon.  The
 * answer to "why was this blocked?" and "will this list entry hit
 * anything else?".
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "peergate/hosts.h"
#include "peergate/json.h"
#include "peergate/paths.h"
#include "peergate/policy.h"
#include "peergate/taxonomy.h"

static void lookup_usage(FILE *out)
{
	fprintf(out,
		"Usage: peergatectl lookup [--policy FILE] [--systems DIR]... [--json] NAME|ADDRESS...\n"
		"  For each host name (as in a DNS answer, TLS SNI or HTTP Host) or\n"
		"  server address (IPv4 or IPv6): the system and feature that the\n"
		"  systems' host patterns and address ranges name, and the action of\n"
		"  the policy (default " PG_PATH_POLICY "), with its [exceptions] for an\n"
		"  address.  A flow to an address in a range is decided on its first\n"
		"  payload, which may still name another of the system's features.\n"
		"  Exit 0, or 1 if the policy or a data file is invalid.\n");
}

/* One answer: by is "host", "range" or NULL (nothing names it). */
struct lookup_answer {
	const char *query;
	const char *by;
	enum pg_system sys;
	enum pg_feature feat;
	enum pg_action action;
};

static struct lookup_answer lookup_one(const struct pg_policy *p,
				       const struct pg_host_rules *r, const char *q)
{
	struct lookup_answer a = { .query = q, .sys = PG_SYS_UNKNOWN, .feat = PG_FEAT_ANY };
	uint8_t addr[16];
	uint8_t family = 0;

	if (inet_pton(AF_INET, q, addr) == 1)
		family = 4;
	else if (inet_pton(AF_INET6, q, addr) == 1)
		family = 6;
	if (family) {
		if (pg_host_rules_match_addr(r, family, addr, &a.sys, &a.feat))
			a.by = "range";
		/* an [exceptions] prefix holding the server address counts too */
		a.action = pg_policy_flow_action(p, a.sys, a.feat, family, addr, addr);
		return a;
	}
	if (pg_host_rules_match(r, q, strlen(q), &a.sys, &a.feat))
		a.by = "host";
	a.action = pg_policy_action(p, a.sys, a.feat);
	return a;
}

static void print_answer(const struct pg_policy *p, const struct lookup_answer *a,
			 bool json, bool first)
{
	const char *sys = pg_systems_name(pg_policy_systems(p), a->sys);
	const char *feat = pg_feature_name(a->feat);

	if (!json) {
		if (a->by)
			printf("%-40s %s/%s by %s: %s\n", a->query, sys, feat, a->by,
			       pg_action_name(a->action));
		else
			printf("%-40s not named by any host pattern or range\n", a->query);
		return;
	}
	printf("%s\n  {\"query\":", first ? "[" : ",");
	pg_json_string(stdout, a->query);
	if (a->by) {
		printf(",\"system\":");
		pg_json_string(stdout, sys);
		printf(",\"feature\":");
		pg_json_string(stdout, feat);
		printf(",\"by\":\"%s\",\"action\":\"%s\"}", a->by, pg_action_name(a->action));
	} else {
		printf(",\"system\":null,\"feature\":null,\"by\":null,\"action\":null}");
	}
}

int cmd_lookup(int argc, char **argv)
{
	static const struct option options[] = {
		{"policy", required_argument, NULL, 'p'},
		{"systems", required_argument, NULL, 'd'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct ctl_systems sys = {0};
	const char *path = PG_PATH_POLICY;
	bool json = false;
	int c, ret = PG_EXIT_FAILURE;
	struct pg_policy *p = NULL;
	struct pg_host_rules *r = NULL;

	optind = 1;
	while ((c = getopt_long(argc, argv, "p:d:jh", options, NULL)) != -1) {
		switch (c) {
		case 'p': path = optarg; break;
		case 'd':
			if (!ctl_systems_add(&sys, optarg))
				return PG_EXIT_USAGE;
			break;
		case 'j': json = true; break;
		case 'h': lookup_usage(stdout); return PG_EXIT_OK;
		default: lookup_usage(stderr); return PG_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		lookup_usage(stderr);
		return PG_EXIT_USAGE;
	}
	p = ctl_policy_load(path, &sys);
	if (!p)
		goto out;
	r = pg_host_rules_for_policy(p);
	if (!r) {
		fprintf(stderr, "peergatectl lookup: out of memory\n");
		goto out;
	}
	for (int i = optind; i < argc; i++) {
		struct lookup_answer a = lookup_one(p, r, argv[i]);
		print_answer(p, &a, json, i == optind);
	}
	if (json)
		printf("\n]\n");
	ret = PG_EXIT_OK;
out:
	pg_host_rules_destroy(r);
	pg_policy_destroy(p);
	return ret;
}
