/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The longest-prefix table behind the data files' `ranges`. */
#include <arpa/inet.h>

#include "check.h"
#include "peergate/hosts.h"
#include "peergate/prefix_table.h"

static struct pg_prefix pfx(const char *text)
{
	struct pg_prefix p = { 0 };
	char err[128];
	if (!pg_prefix_parse(text, &p, err, sizeof(err)))
		fprintf(stderr, "bad prefix %s: %s\n", text, err);
	return p;
}

/* The value for an address, or -1 when no prefix holds it; *len its length. */
static long lookup(const struct pg_prefix_table *t, const char *addr, int *len)
{
	uint8_t a[16];
	uint8_t family = strchr(addr, ':') ? 6 : 4;
	uint32_t v;
	uint8_t l;

	if (inet_pton(family == 6 ? AF_INET6 : AF_INET, addr, a) != 1)
		return -2;
	if (!pg_prefix_table_lookup(t, family, a, &v, &l))
		return -1;
	if (len)
		*len = l;
	return (long)v;
}

static void add(struct pg_prefix_table *t, const char *text, uint32_t v)
{
	struct pg_prefix p = pfx(text);
	CHECK(pg_prefix_table_add(t, &p, v));
}

static void test_ipv4_longest(void)
{
	struct pg_prefix_table *t = pg_prefix_table_create();
	int len = -1;

	CHECK(t != NULL);
	CHECK(lookup(t, "10.1.2.3", NULL) == -1);
	add(t, "10.0.0.0/8", 1);
	add(t, "10.1.0.0/16", 2);
	add(t, "10.1.2.0/24", 3);
	add(t, "10.1.2.3/32", 4);
	CHECK(lookup(t, "10.1.2.3", &len) == 4 && len == 32);
	CHECK(lookup(t, "10.1.2.4", &len) == 3 && len == 24);
	CHECK(lookup(t, "10.1.3.4", &len) == 2 && len == 16);
	CHECK(lookup(t, "10.200.0.1", &len) == 1 && len == 8);
	CHECK(lookup(t, "11.0.0.0", NULL) == -1);
	/* the edges of a range */
	add(t, "192.0.2.128/25", 5);
	CHECK(lookup(t, "192.0.2.128", NULL) == 5);
	CHECK(lookup(t, "192.0.2.255", NULL) == 5);
	CHECK(lookup(t, "192.0.2.127", NULL) == -1);
	CHECK(lookup(t, "192.0.3.0", NULL) == -1);
	/* an IPv4 prefix says nothing about IPv6 */
	CHECK(lookup(t, "a00::1", NULL) == -1);
	/* the same prefix again keeps its first value */
	add(t, "10.1.0.0/16", 9);
	CHECK(lookup(t, "10.1.3.4", NULL) == 2);
	CHECK(pg_prefix_table_count(t) == 5);
	pg_prefix_table_destroy(t);
}

static void test_ipv6_longest(void)
{
	struct pg_prefix_table *t = pg_prefix_table_create();
	int len = -1;

	add(t, "2001:db8::/32", 1);
	add(t, "2001:db8:1::/48", 2);
	add(t, "2001:db8:1::1/128", 3);
	CHECK(lookup(t, "2001:db8:1::1", &len) == 3 && len == 128);
	CHECK(lookup(t, "2001:db8:1::2", &len) == 2 && len == 48);
	CHECK(lookup(t, "2001:db8:ffff::1", &len) == 1 && len == 32);
	CHECK(lookup(t, "2001:db9::1", NULL) == -1);
	CHECK(lookup(t, "2001:db8:1:ffff:ffff:ffff:ffff:ffff", NULL) == 2);
	CHECK(lookup(t, "10.0.0.1", NULL) == -1);
	pg_prefix_table_destroy(t);
}

static void test_zero_length(void)
{
	struct pg_prefix_table *t = pg_prefix_table_create();
	int len = -1;

	add(t, "0.0.0.0/0", 7);
	add(t, "198.51.100.0/24", 8);
	CHECK(lookup(t, "1.2.3.4", &len) == 7 && len == 0);
	CHECK(lookup(t, "255.255.255.255", NULL) == 7);
	CHECK(lookup(t, "198.51.100.9", NULL) == 8);
	CHECK(lookup(t, "::1", NULL) == -1);
	add(t, "::/0", 9);
	CHECK(lookup(t, "::1", &len) == 9 && len == 0);
	CHECK(lookup(t, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", NULL) == 9);
	pg_prefix_table_destroy(t);
}

static void test_invalid(void)
{
	struct pg_prefix_table *t = pg_prefix_table_create();
	struct pg_prefix p = { .family = 4, .len = 33 };
	uint8_t a[16] = { 0 };
	uint32_t v;

	CHECK(!pg_prefix_table_add(t, &p, 1));
	p = (struct pg_prefix){ .family = 5, .len = 8 };
	CHECK(!pg_prefix_table_add(t, &p, 1));
	CHECK(!pg_prefix_table_lookup(t, 5, a, &v, NULL));
	CHECK(!pg_prefix_table_lookup(NULL, 4, a, &v, NULL));
	CHECK(pg_prefix_table_count(t) == 0);
	pg_prefix_table_destroy(t);
}

/* Many prefixes: every one is found at its own length, nothing between. */
static void test_many(void)
{
	struct pg_prefix_table *t = pg_prefix_table_create();
	char text[64], addr[32];
	unsigned bad = 0;

	for (unsigned i = 0; i < 4096; i++) {
		snprintf(text, sizeof(text), "100.%u.%u.0/24", i / 256, i % 256);
		add(t, text, i);
	}
	for (unsigned i = 0; i < 4096; i++) {
		snprintf(addr, sizeof(addr), "100.%u.%u.77", i / 256, i % 256);
		bad += lookup(t, addr, NULL) != (long)i;
	}
	CHECK(bad == 0);
	CHECK(lookup(t, "100.16.0.1", NULL) == -1);
	CHECK(pg_prefix_table_count(t) == 4096);
	pg_prefix_table_destroy(t);
}

/* The host rules carry the ranges with their class. */
static void test_host_rules_ranges(void)
{
	struct pg_host_rules *r = pg_host_rules_create();
	struct pg_prefix p = pfx("203.0.113.0/24");
	uint8_t a[4] = { 203, 0, 113, 9 }, b[4] = { 203, 0, 114, 9 };
	enum pg_system s;
	enum pg_feature f;

	CHECK(pg_host_rules_add_range(r, &p, PG_SYS_TELEGRAM, PG_FEAT_FILE_TRANSFER));
	CHECK(pg_host_rules_match_addr(r, 4, a, &s, &f) && s == PG_SYS_TELEGRAM &&
	      f == PG_FEAT_FILE_TRANSFER);
	CHECK(!pg_host_rules_match_addr(r, 4, b, &s, &f));
	CHECK(pg_host_rules_add_ports(r, 6, 4000, 4010, PG_SYS_DATA_FIRST, PG_FEAT_IM));
	CHECK(pg_host_rules_port_hint(r, 6, 4010, &s, &f) && s == PG_SYS_DATA_FIRST);
	CHECK(!pg_host_rules_port_hint(r, 17, 4010, &s, &f));
	CHECK(!pg_host_rules_port_hint(r, 6, 4011, &s, &f));
	pg_host_rules_destroy(r);
}

int main(void)
{
	test_ipv4_longest();
	test_ipv6_longest();
	test_zero_length();
	test_invalid();
	test_many();
	test_host_rules_ranges();
	return pg_test_summary("prefix_table");
}
