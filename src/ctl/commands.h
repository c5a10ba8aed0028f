/* SPDX-License-Identifier: GPL-2.0-or-later */
/* peergatectl subcommands: each takes the arguments after its name. */
#ifndef PEERGATE_CTL_COMMANDS_H
#define PEERGATE_CTL_COMMANDS_H

/* Exit codes, as in the man page. */
enum {
	PG_EXIT_OK = 0,
	PG_EXIT_FAILURE = 1,      /* runtime failure, or an invalid policy */
	PG_EXIT_USAGE = 2,        /* bad arguments */
};

int cmd_classify(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_flows(int argc, char **argv);
int cmd_reload(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_rules(int argc, char **argv);

#endif
