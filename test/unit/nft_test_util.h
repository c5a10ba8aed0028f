/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers shared by the nftables tests that run against the real kernel
 * (test_nft.c, test_nft_traffic.c): the `nft` CLI as the independent
 * reader, text searches, and the private network namespace they run in.
 */
#ifndef PEERGATE_TEST_NFT_TEST_UTIL_H
#define PEERGATE_TEST_NFT_TEST_UTIL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "peergate/mark.h"
#include "peergate/nft_table.h"
#include "peergate/policy.h"

#define M PG_MARK_DEFAULT_MASK

/* Runs a shell command and returns its stdout (malloc'd; never NULL). */
static inline char *run(const char *cmd, int *status)
{
	FILE *f = popen(cmd, "r");
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	size_t n;

	if (!buf)
		abort();
	buf[0] = '\0';
	if (!f) {
		if (status)
			*status = -1;
		return buf;
	}
	while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (cap - len < 2) {
			cap *= 2;
			buf = realloc(buf, cap);
			if (!buf)
				abort();
		}
	}
	buf[len] = '\0';
	int st = pclose(f);
	if (status)
		*status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	return buf;
}

static inline int sh(const char *cmd)
{
	int st;

	free(run(cmd, &st));
	return st;
}

static inline size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

#define CHECK_HAS(hay, needle)                                                \
	do {                                                                  \
		const char *pg_h_ = (hay), *pg_n_ = (needle);                 \
		if (strstr(pg_h_, pg_n_)) {                                   \
			pg_test_passed++;                                     \
		} else {                                                      \
			pg_test_failed++;                                     \
			fprintf(stderr, "%s:%d: missing \"%s\" in:\n%s\n",    \
				__FILE__, __LINE__, pg_n_, pg_h_);            \
		}                                                             \
	} while (0)

static inline struct pg_prefix prefix(const char *text)
{
	struct pg_prefix p = {0};
	char a[64];
	const char *slash = strchr(text, '/');

	snprintf(a, sizeof(a), "%.*s", (int)(slash - text), text);
	p.len = (uint8_t)atoi(slash + 1);
	p.family = strchr(a, ':') ? 6 : 4;
	if (inet_pton(p.family == 4 ? AF_INET : AF_INET6, a, p.addr) != 1)
		abort();
	return p;
}

static inline bool lo_up(void)
{
	struct ifreq ifr = {0};
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	bool ok = false;

	if (fd < 0)
		return false;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		ok = ioctl(fd, SIOCSIFFLAGS, &ifr) == 0;
	}
	close(fd);
	return ok;
}

/* Moves the test into a network namespace of its own, with its own,
 * empty ruleset (the host's is never touched), and brings lo up there.
 * Returns -1 when ready, else the exit code to leave with (77: skipped). */
static inline int nft_test_enter_netns(const char *name)
{
	char err[512] = "";

	if (geteuid() != 0) {
		printf("%s: skipped: needs root (it builds nftables tables in a private network namespace)\n",
		       name);
		return 77;
	}
	if (unshare(CLONE_NEWNET) < 0) {
		printf("%s: skipped: cannot create a network namespace: %s\n", name, strerror(errno));
		return 77;
	}
	if (sh("nft --version >/dev/null 2>&1") != 0) {
		printf("%s: skipped: the nft CLI is needed to inspect the results\n", name);
		return 77;
	}
	if (pg_nft_flush(err, sizeof(err)) < 0) {
		printf("%s: skipped: nf_tables unavailable: %s\n", name, err);
		return 77;
	}
	if (!lo_up()) {
		printf("%s: cannot bring lo up\n", name);
		return 1;
	}
	return -1;
}

#endif
