/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * peergatectl: the command-line tool.  One table of subcommands drives the
 * dispatch and the usage text.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "peergate/version.h"

struct subcommand {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct subcommand subcommands[] = {
	{"stats", cmd_stats, "verdict counters of the running peergated"},
	{"flows", cmd_flows, "flows the running peergated tracks"},
	{"check", cmd_check, "validate a policy file and summarise it"},
	{"lookup", cmd_lookup, "what the policy makes of a host name or server address"},
	{"reload", cmd_reload, "make peergated re-read its policy"},
	{"rules", cmd_rules, "apply, flush or show the nftables table"},
	{"classify", cmd_classify, "classify capture files, or live traffic (audit)"},
};

static void usage(FILE *out)
{
	fprintf(out, "Usage: peergatectl COMMAND [ARGS]\n\nCommands:\n");
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		fprintf(out, "  %-10s %s\n", subcommands[i].name, subcommands[i].summary);
	fprintf(out, "\n'peergatectl COMMAND --help' describes a command.\n"
		     "See peergatectl(8).\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return PG_EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		usage(stdout);
		return PG_EXIT_OK;
	}
	if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
		printf("peergatectl %s\n", PEERGATE_VERSION);
		return PG_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (!strcmp(cmd, subcommands[i].name))
			return subcommands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "peergatectl: unknown command '%s'\n", cmd);
	usage(stderr);
	return PG_EXIT_USAGE;
}
