/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Least privilege for peergated: after setup the daemon keeps CAP_NET_ADMIN
 * (queue verdicts, nftables, conntrack marks: all netfilter netlink) and
 * nothing else, optionally as another user.
 */
#ifndef PEERGATE_PRIVILEGE_H
#define PEERGATE_PRIVILEGE_H

#include <stddef.h>
#include <sys/types.h>

struct pg_identity {
	uid_t uid;
	gid_t gid;        /* the user's primary group */
	char name[64];    /* user name, or the uid in decimal */
};

/* The user called name: its uid and primary group.  Returns 0, or -1 with
 * err filled. */
int pg_identity_of_user(const char *name, struct pg_identity *id, char *err, size_t errlen);

/* The identity the process has now (real uid and gid). */
void pg_identity_current(struct pg_identity *id);

/* The group called name.  Returns 0, or -1 (errno 0: no such group). */
int pg_group_lookup(const char *name, gid_t *gid);

/* Gives up every capability but CAP_NET_ADMIN: effective and permitted
 * hold only it; inheritable and ambient are empty; the bounding set is cut
 * to it when the process may (CAP_SETPCAP; otherwise the service manager
 * set it); no_new_privs is set.  With to, first becomes that user (its
 * primary group, no supplementary groups), which needs root unless the
 * process already is that user.  Returns 0, or -1 with err filled. */
int pg_privileges_drop(const struct pg_identity *to, char *err, size_t errlen);

/* One line for the log: user, uid, gid and the capability sets now. */
void pg_privileges_describe(char *buf, size_t len);

#endif
