/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The conntrack helper against the real kernel: creating the entry of a
 * flow blocked on its first packet (what conntrackd replicates to a standby
 * router), reading and clearing its mark, and the start-up sweep finding
 * it.  Needs root; runs in a private network namespace, so the host's
 * conntrack table is never touched.  conntrack(8), where installed, is the
 * independent reader of what was created.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "peergate/conntrack.h"
#include "peergate/mark.h"

#define M PG_MARK_DEFAULT_MASK

/* An unrelated bit another tool might own: it must survive a clear. */
#define OTHER_BIT 0x00000100u

static bool sweep_keep(const struct pg_ct_entry *e, void *ctx)
{
	unsigned *seen = ctx;

	(*seen)++;
	(void)e;
	return false;
}

/* The output of a shell command (at most 4 KiB), or "" on failure. */
static void capture(const char *cmd, char *out, size_t len)
{
	FILE *p = popen(cmd, "r");
	size_t n = 0;

	out[0] = '\0';
	if (!p)
		return;
	n = fread(out, 1, len - 1, p);
	out[n] = '\0';
	pclose(p);
}

static void test_udp_v4(void)
{
	uint8_t c[4], s[4];
	uint32_t mark = 0;
	uint32_t drop = pg_mark_value(M, PG_MARK_DROP);

	inet_pton(AF_INET, "10.233.1.2", c);
	inet_pton(AF_INET, "10.233.2.2", s);
	CHECK(pg_ct_create_marked(4, IPPROTO_UDP, c, 41002, s, 40002, drop | OTHER_BIT, 60) == 0);
	CHECK(pg_ct_get_mark(4, IPPROTO_UDP, c, 41002, s, 40002, &mark) == 0);
	CHECK(mark == (drop | OTHER_BIT));
	/* looked up from the other end, as the reply tuple */
	mark = 0;
	CHECK(pg_ct_get_mark(4, IPPROTO_UDP, s, 40002, c, 41002, &mark) == 0);
	CHECK(pg_mark_code_of(M, mark) == PG_MARK_DROP);
	/* an existing entry is left as it is */
	errno = 0;
	CHECK(pg_ct_create_marked(4, IPPROTO_UDP, c, 41002, s, 40002,
				  pg_mark_value(M, PG_MARK_ACCEPT), 60) == -1);
	CHECK(errno == EEXIST);
	CHECK(pg_ct_get_mark(4, IPPROTO_UDP, c, 41002, s, 40002, &mark) == 0);
	CHECK(pg_mark_code_of(M, mark) == PG_MARK_DROP);
	/* a clear takes our code and keeps the other bit */
	CHECK(pg_ct_clear_mark(4, IPPROTO_UDP, c, 41002, s, 40002, M) == 0);
	CHECK(pg_ct_get_mark(4, IPPROTO_UDP, c, 41002, s, 40002, &mark) == 0);
	CHECK(mark == OTHER_BIT);
}

static void test_tcp_v6(bool have_cli)
{
	uint8_t c[16], s[16];
	uint32_t mark = 0;
	uint32_t block = pg_mark_value(M, PG_MARK_BLOCK);
	char out[4096];

	inet_pton(AF_INET6, "fd00:233:1::2", c);
	inet_pton(AF_INET6, "fd00:233:2::2", s);
	CHECK(pg_ct_create_marked(6, IPPROTO_TCP, c, 50000, s, 443, block, 120) == 0);
	CHECK(pg_ct_get_mark(6, IPPROTO_TCP, c, 50000, s, 443, &mark) == 0);
	CHECK(mark == block);
	if (!have_cli)
		return;
	capture("conntrack -L -f ipv6 -p tcp --dport 443 2>/dev/null", out, sizeof(out));
	/* the state a SYN would have left, the code, no NAT in the reply */
	CHECK(strstr(out, "SYN_SENT") != NULL);
	CHECK(strstr(out, "src=fd00:233:1::2 dst=fd00:233:2::2 sport=50000 dport=443") != NULL);
	CHECK(strstr(out, "src=fd00:233:2::2 dst=fd00:233:1::2 sport=443 dport=50000") != NULL);
	CHECK(strstr(out, "mark=33554432") != NULL);
}

/* The start-up sweep of a restarted daemon finds created entries like any
 * other stamped connection. */
static void test_sweep_sees_them(void)
{
	struct pg_ct_sweep_result res;
	unsigned seen = 0;
	char err[256] = "";

	CHECK(pg_ct_sweep_marks(M, sweep_keep, &seen, &res, err, sizeof(err)) == 0);
	/* the TCP entry keeps its block code; the UDP one was cleared above */
	CHECK(seen == 1);
	CHECK(res.seen == 1 && res.cleared == 0 && res.failures == 0);
}

int main(void)
{
	uint8_t a[4] = {10, 233, 9, 1}, b[4] = {10, 233, 9, 2};
	bool have_cli;

	if (geteuid() != 0) {
		printf("test_conntrack: skipped: needs root (it creates conntrack entries in a "
		       "private network namespace)\n");
		return 77;
	}
	if (unshare(CLONE_NEWNET) < 0) {
		printf("test_conntrack: skipped: cannot create a network namespace: %s\n",
		       strerror(errno));
		return 77;
	}
	/* a probe: ctnetlink may be missing from this kernel */
	if (pg_ct_create_marked(4, IPPROTO_UDP, a, 1, b, 2, 0, 5) < 0) {
		printf("test_conntrack: skipped: cannot create conntrack entries: %s\n",
		       strerror(errno));
		return 77;
	}
	have_cli = system("conntrack --version >/dev/null 2>&1") == 0;
	if (!have_cli)
		printf("test_conntrack: NOTE: conntrack(8) is not installed; the created TCP "
		       "entry is checked through netlink only\n");
	test_udp_v4();
	test_tcp_v6(have_cli);
	test_sweep_sees_them();
	return pg_test_summary("test_conntrack");
}
