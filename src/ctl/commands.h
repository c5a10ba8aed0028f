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

/* --systems DIR (repeatable): the systems' data directories; none given,
 * the defaults (systems.h). */
#include <stdbool.h>
#include <stddef.h>

#include "peergate/systems.h"

struct ctl_systems {
	const char *dirs[PG_SYSTEMS_DIRS_MAX];
	size_t n;
	char buf[4096];
};
bool ctl_systems_add(struct ctl_systems *s, const char *dir);
void ctl_systems_finish(struct ctl_systems *s);
/* The policy at path (NULL: the built-in default) with the systems of s's
 * directories (the default ones when none was given), or NULL with its
 * errors printed on stderr, each as FILE:LINE: message. */
struct pg_policy;
struct pg_policy *ctl_policy_load(const char *path, struct ctl_systems *s);

int cmd_classify(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_flows(int argc, char **argv);
int cmd_reload(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_rules(int argc, char **argv);
int cmd_lookup(int argc, char **argv);

#endif
