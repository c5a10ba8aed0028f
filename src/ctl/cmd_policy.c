/* SPDX-License-Identifier: GPL-2.0-or-later */
/* peergatectl check and rules: the policy file and the nftables table. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "peergate/nft_policy.h"
#include "peergate/nft_show.h"
#include "peergate/nft_table.h"
#include "peergate/paths.h"
#include "peergate/policy.h"

#define DEFAULT_POLICY PG_PATH_POLICY

static void check_usage(FILE *out)
{
	fprintf(out, "Usage: peergatectl check [--systems DIR]... [FILE]\n"
		     "  Validates a policy file (default " DEFAULT_POLICY ")\n"
		     "  and the systems' data files (--systems DIR, repeatable; by default\n"
		     "  " PG_PATH_SYSTEMS_DIR " then " PG_PATH_SYSTEMS_ETC_DIR "),\n"
		     "  prints 'policy OK' and what it blocks; exit 0 if valid, 1 if not.\n");
}

int cmd_check(int argc, char **argv)
{
	static const struct option options[] = {
		{"systems", required_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct ctl_systems sys = {0};
	struct pg_systems_counts n;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "d:h", options, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (!ctl_systems_add(&sys, optarg))
				return PG_EXIT_USAGE;
			break;
		case 'h': check_usage(stdout); return PG_EXIT_OK;
		default: check_usage(stderr); return PG_EXIT_USAGE;
		}
	}
	if (argc - optind > 1) {
		check_usage(stderr);
		return PG_EXIT_USAGE;
	}
	const char *path = optind < argc ? argv[optind] : DEFAULT_POLICY;
	struct pg_policy *p = ctl_policy_load(path, &sys);
	if (!p)
		return PG_EXIT_FAILURE;
	pg_systems_get_counts(pg_policy_systems(p), &n);
	printf("policy OK: %s\n", path);
	printf("systems data: %zu files, %zu new systems, %zu host patterns, %zu address ranges, %zu port ranges\n",
	       n.files, n.systems, n.hosts, n.ranges, n.ports);
	pg_policy_print_summary(p, stdout);
	pg_policy_destroy(p);
	return PG_EXIT_OK;
}

static void rules_usage(FILE *out)
{
	fprintf(out,
		"Usage: peergatectl rules apply [--policy FILE] [--systems DIR]...\n"
		"       peergatectl rules flush\n"
		"       peergatectl rules show [--json]\n"
		"  Manages the nftables table 'inet " PG_NFT_TABLE "' (and no other).\n"
		"  apply builds it from the policy (default " DEFAULT_POLICY ") in one\n"
		"  batch; flush deletes it; show prints it with its counters.\n");
}

int cmd_rules(int argc, char **argv)
{
	static const struct option options[] = {
		{"policy", required_argument, NULL, 'p'},
		{"systems", required_argument, NULL, 'd'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *path = DEFAULT_POLICY;
	struct ctl_systems sys = {0};
	bool json = false;
	char err[512];
	int c;

	if (argc < 2) {
		rules_usage(stderr);
		return PG_EXIT_USAGE;
	}
	const char *action = argv[1];
	if (!strcmp(action, "--help") || !strcmp(action, "-h") || !strcmp(action, "help")) {
		rules_usage(stdout);
		return PG_EXIT_OK;
	}
	optind = 1;
	while ((c = getopt_long(argc - 1, argv + 1, "p:d:jh", options, NULL)) != -1) {
		switch (c) {
		case 'p': path = optarg; break;
		case 'd':
			if (!ctl_systems_add(&sys, optarg))
				return PG_EXIT_USAGE;
			break;
		case 'j': json = true; break;
		case 'h': rules_usage(stdout); return PG_EXIT_OK;
		default: rules_usage(stderr); return PG_EXIT_USAGE;
		}
	}
	if (!strcmp(action, "apply")) {
		struct pg_policy *p = ctl_policy_load(path, &sys);
		if (!p)
			return PG_EXIT_FAILURE;
		struct pg_nft_portset sets[64];
		struct pg_nft_config cfg;
		enum pg_nft_queue_kind kind;
		pg_nft_config_from_policy(p, &cfg, sets, 64);
		int rc = pg_nft_apply(&cfg, &kind, err, sizeof(err));
		pg_policy_destroy(p);
		if (rc < 0) {
			fprintf(stderr, "peergatectl: %s\n", err);
			return PG_EXIT_FAILURE;
		}
		printf("table inet %s applied from %s (%zu port sets, queue: %s)\n",
		       PG_NFT_TABLE, path, cfg.nsets, pg_nft_queue_kind_name(kind));
		return PG_EXIT_OK;
	}
	if (!strcmp(action, "flush")) {
		bool existed;
		if (pg_nft_delete(&existed, err, sizeof(err)) < 0) {
			fprintf(stderr, "peergatectl: %s\n", err);
			return PG_EXIT_FAILURE;
		}
		if (existed)
			printf("table inet %s removed\n", PG_NFT_TABLE);
		else
			printf("no table inet %s: nothing removed\n", PG_NFT_TABLE);
		return PG_EXIT_OK;
	}
	if (!strcmp(action, "show")) {
		if (pg_nft_show(stdout, json, err, sizeof(err)) < 0) {
			fprintf(stderr, "peergatectl: %s\n", err);
			return PG_EXIT_FAILURE;
		}
		return PG_EXIT_OK;
	}
	fprintf(stderr, "peergatectl rules: unknown action '%s'\n", action);
	rules_usage(stderr);
	return PG_EXIT_USAGE;
}
