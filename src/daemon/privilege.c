/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "privilege.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define CAP_BIT(c) ((uint64_t)1 << (c))
#define KEPT CAP_BIT(CAP_NET_ADMIN)

struct capsets {
	uint64_t effective, permitted, inheritable;
};

/* glibc has no wrapper for capget/capset; the raw calls keep libcap out. */
static int caps_get(struct capsets *c)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
	if (syscall(SYS_capget, &h, d) < 0)
		return -1;
	c->effective = d[0].effective | (uint64_t)d[1].effective << 32;
	c->permitted = d[0].permitted | (uint64_t)d[1].permitted << 32;
	c->inheritable = d[0].inheritable | (uint64_t)d[1].inheritable << 32;
	return 0;
}

static int caps_set(const struct capsets *c)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3] = {
		{(uint32_t)c->effective, (uint32_t)c->permitted, (uint32_t)c->inheritable},
		{(uint32_t)(c->effective >> 32), (uint32_t)(c->permitted >> 32),
		 (uint32_t)(c->inheritable >> 32)},
	};
	return (int)syscall(SYS_capset, &h, d);
}

/* The bounding set and the ambient set have no bulk read; the kernel
 * answers EINVAL past its last capability. */
static uint64_t bounding_set(void)
{
	uint64_t set = 0;
	for (int c = 0; c < 64; c++) {
		int r = prctl(PR_CAPBSET_READ, c, 0, 0, 0);
		if (r < 0)
			break;
		if (r == 1)
			set |= CAP_BIT(c);
	}
	return set;
}

static uint64_t ambient_set(void)
{
	uint64_t set = 0;
	for (int c = 0; c < 64; c++) {
		int r = prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, c, 0, 0);
		if (r < 0)
			break;
		if (r == 1)
			set |= CAP_BIT(c);
	}
	return set;
}

static int cut_bounding_set(char *err, size_t errlen)
{
	for (int c = 0; c < 64; c++) {
		if (CAP_BIT(c) & KEPT)
			continue;
		int r = prctl(PR_CAPBSET_READ, c, 0, 0, 0);
		if (r < 0)
			break;
		if (r == 1 && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0) {
			snprintf(err, errlen, "cannot drop capability %d from the bounding set: %s",
				 c, strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* KEEPCAPS keeps the permitted set across the change from uid 0; the
 * effective set is cleared by it and raised again by the caller. */
static int become(const struct pg_identity *to, char *err, size_t errlen)
{
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 ||
	    setgroups(1, &to->gid) < 0 ||
	    setresgid(to->gid, to->gid, to->gid) < 0 ||
	    setresuid(to->uid, to->uid, to->uid) < 0) {
		snprintf(err, errlen, "cannot become user %s (uid %u gid %u): %s", to->name,
			 (unsigned)to->uid, (unsigned)to->gid, strerror(errno));
		return -1;
	}
	(void)prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	return 0;
}

int pg_identity_of_user(const char *name, struct pg_identity *id, char *err, size_t errlen)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	int rc = getpwnam_r(name, &pw, buf, sizeof(buf), &res);
	if (!res) {
		snprintf(err, errlen, "no such user '%s'%s%s", name, rc ? ": " : "",
			 rc ? strerror(rc) : "");
		return -1;
	}
	id->uid = pw.pw_uid;
	id->gid = pw.pw_gid;
	snprintf(id->name, sizeof(id->name), "%s", pw.pw_name);
	return 0;
}

void pg_identity_current(struct pg_identity *id)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	id->uid = getuid();
	id->gid = getgid();
	if (getpwuid_r(id->uid, &pw, buf, sizeof(buf), &res) == 0 && res)
		snprintf(id->name, sizeof(id->name), "%s", pw.pw_name);
	else
		snprintf(id->name, sizeof(id->name), "%u", (unsigned)id->uid);
}

int pg_group_lookup(const char *name, gid_t *gid)
{
	struct group gr, *res = NULL;
	char buf[4096];
	int rc = getgrnam_r(name, &gr, buf, sizeof(buf), &res);
	if (!res) {
		errno = rc;
		return -1;
	}
	*gid = gr.gr_gid;
	return 0;
}

int pg_privileges_drop(const struct pg_identity *to, char *err, size_t errlen)
{
	struct capsets now;
	uid_t ruid, euid, suid;

	if (caps_get(&now) < 0) {
		snprintf(err, errlen, "capget: %s", strerror(errno));
		return -1;
	}
	if (!(now.permitted & KEPT)) {
		snprintf(err, errlen, "CAP_NET_ADMIN is not among the permitted capabilities");
		return -1;
	}
	/* Started unprivileged (systemd User= with AmbientCapabilities=), the
	 * process cannot cut its bounding set; the service manager did. */
	if ((now.effective & CAP_BIT(CAP_SETPCAP)) && cut_bounding_set(err, errlen) < 0)
		return -1;
	bool switching = to && (to->uid != getuid() || to->uid != geteuid() ||
				to->gid != getgid() || to->gid != getegid());
	if (switching) {
		if ((now.effective & (CAP_BIT(CAP_SETUID) | CAP_BIT(CAP_SETGID))) !=
		    (CAP_BIT(CAP_SETUID) | CAP_BIT(CAP_SETGID))) {
			snprintf(err, errlen, "cannot become user %s: that needs root "
				 "(CAP_SETUID and CAP_SETGID)", to->name);
			return -1;
		}
		if (become(to, err, errlen) < 0)
			return -1;
	}
	struct capsets keep = {KEPT, KEPT, 0};
	if (caps_set(&keep) < 0) {
		snprintf(err, errlen, "capset: %s", strerror(errno));
		return -1;
	}
	/* EINVAL: a kernel before ambient capabilities (4.3) has none to clear. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) {
		snprintf(err, errlen, "cannot clear the ambient capabilities: %s", strerror(errno));
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		snprintf(err, errlen, "cannot set no_new_privs: %s", strerror(errno));
		return -1;
	}
	/* Trust what the kernel reports, not the calls above. */
	if (caps_get(&now) < 0 || now.effective != KEPT || now.permitted != KEPT ||
	    now.inheritable || ambient_set()) {
		snprintf(err, errlen, "capabilities not as intended after the drop");
		return -1;
	}
	if (to && (getresuid(&ruid, &euid, &suid) < 0 || ruid != to->uid || euid != to->uid ||
		   suid != to->uid)) {
		snprintf(err, errlen, "still not user %s after the switch", to->name);
		return -1;
	}
	return 0;
}

static const char *mask_text(uint64_t mask, char *buf, size_t len)
{
	if (!mask)
		return "none";
	if (mask == KEPT)
		return "cap_net_admin";
	snprintf(buf, len, "%#llx", (unsigned long long)mask);
	return buf;
}

void pg_privileges_describe(char *buf, size_t len)
{
	struct pg_identity id;
	struct capsets c = {0};
	char e[24], p[24], i[24], a[24], b[24];

	pg_identity_current(&id);
	(void)caps_get(&c);
	snprintf(buf, len, "user %s (uid %u, gid %u); capabilities: effective %s, permitted %s, "
		 "inheritable %s, ambient %s, bounding %s; no_new_privs %s",
		 id.name, (unsigned)id.uid, (unsigned)id.gid,
		 mask_text(c.effective, e, sizeof(e)), mask_text(c.permitted, p, sizeof(p)),
		 mask_text(c.inheritable, i, sizeof(i)), mask_text(ambient_set(), a, sizeof(a)),
		 mask_text(bounding_set(), b, sizeof(b)),
		 prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1 ? "on" : "off");
}
