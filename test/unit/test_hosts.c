/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "check.h"
#include "peergate/expect.h"
#include "peergate/hosts.h"
#include "shipped_systems.h"

static bool match(const struct pg_host_rules *r, const char *name,
		  enum pg_system *s, enum pg_feature *f)
{
	return pg_host_rules_match(r, name, strlen(name), s, f);
}

static void test_patterns(void)
{
	struct pg_host_rules *r = pg_host_rules_create();
	enum pg_system s;
	enum pg_feature f;
	CHECK(add_shipped_signals(r));
	CHECK(match(r, "login.oscar.aol.com", &s, &f) && s == PG_SYS_AIM && f == PG_FEAT_LOGIN);
	CHECK(match(r, "LOGIN.OSCAR.AOL.COM.", &s, &f) && s == PG_SYS_AIM);
	CHECK(match(r, "login.oscar.aol.com:5190", &s, &f) && f == PG_FEAT_LOGIN);
	CHECK(match(r, "bay-cs118.msgr.hotmail.com", &s, &f) && s == PG_SYS_MSN && f == PG_FEAT_IM);
	CHECK(!match(r, "msgr.hotmail.com", &s, &f));
	CHECK(!match(r, "www.hotmail.com", &s, &f));
	CHECK(match(r, "cs.msg.dcn.yahoo.com", &s, &f) && s == PG_SYS_YAHOO);
	CHECK(match(r, "scs.msg.yahoo.com", &s, &f) && s == PG_SYS_YAHOO && f == PG_FEAT_LOGIN);
	CHECK(!match(r, "mail.yahoo.com", &s, &f));
	CHECK(match(r, "chat.signal.org", &s, &f) && s == PG_SYS_SIGNAL && f == PG_FEAT_IM);
	CHECK(match(r, "cdn2.signal.org", &s, &f) && f == PG_FEAT_FILE_TRANSFER);
	CHECK(!match(r, "notsignal.org", &s, &f));
	CHECK(match(r, "media-ams2-1.cdn.whatsapp.net", &s, &f) && s == PG_SYS_WHATSAPP);
	CHECK(!match(r, "", &s, &f));
	/* validation */
	CHECK(!pg_host_rules_add(r, "bad..name", PG_SYS_AIM, PG_FEAT_ANY));
	CHECK(!pg_host_rules_add(r, "sp ace.com", PG_SYS_AIM, PG_FEAT_ANY));
	CHECK(!pg_host_rules_add(r, "", PG_SYS_AIM, PG_FEAT_ANY));
	CHECK(pg_host_rules_add(r, "chat.example.net", PG_SYS_XMPP, PG_FEAT_IM));
	CHECK(match(r, "chat.example.net", &s, &f) && s == PG_SYS_XMPP);
	pg_host_rules_destroy(r);
}

/* The definition of a '*' pattern, tried split by split (exponential; only
 * for short inputs). */
static bool ref_glob(const char *pat, const char *name, size_t n)
{
	if (*pat == '\0')
		return n == 0;
	if (*pat == '*') {
		for (size_t k = 1; k <= n; k++)
			if (ref_glob(pat + 1, name + k, n - k))
				return true;
		return false;
	}
	return n > 0 && *pat == *name && ref_glob(pat + 1, name + 1, n - 1);
}

/* Every wildcard pattern and name over a small alphabet, against the
 * definition; then a pattern whose split-by-split matching never ends. */
static void test_wildcards(void)
{
	static const char pat_chars[] = "ab*.", name_chars[] = "ab.";
	char pat[8], name[8];
	unsigned wrong = 0, tried = 0;

	for (unsigned plen = 1; plen <= 5; plen++) {
		unsigned pcount = 1;
		for (unsigned i = 0; i < plen; i++)
			pcount *= 4;
		for (unsigned pi = 0; pi < pcount; pi++) {
			for (unsigned i = 0, v = pi; i < plen; i++, v /= 4)
				pat[i] = pat_chars[v % 4];
			pat[plen] = '\0';
			struct pg_host_rules *r = pg_host_rules_create();
			if (!strchr(pat, '*') || !pg_host_rules_add(r, pat, PG_SYS_IRC, PG_FEAT_ANY)) {
				pg_host_rules_destroy(r);
				continue;
			}
			for (unsigned nlen = 1; nlen <= 6; nlen++) {
				unsigned ncount = 1;
				for (unsigned i = 0; i < nlen; i++)
					ncount *= 3;
				for (unsigned ni = 0; ni < ncount; ni++) {
					for (unsigned i = 0, v = ni; i < nlen; i++, v /= 3)
						name[i] = name_chars[v % 3];
					name[nlen] = '\0';
					if (name[nlen - 1] == '.')
						continue; /* the matcher drops a trailing dot */
					enum pg_system s;
					enum pg_feature f;
					tried++;
					if (pg_host_rules_match(r, name, nlen, &s, &f) !=
					    ref_glob(pat, name, nlen)) {
						if (wrong++ < 5)
							fprintf(stderr, "pattern '%s' name '%s'\n", pat, name);
					}
				}
			}
			pg_host_rules_destroy(r);
		}
	}
	CHECK(tried > 100000 && wrong == 0);

	/* "*.*. ... *.*z" (34 stars) against "a.a. ... a.a" (51 labels): the
	 * stars can split the name in C(50, 33) ways, and none ends in z. */
	struct pg_host_rules *r = pg_host_rules_create();
	enum pg_system s;
	enum pg_feature f;
	char many[128] = "", longname[128] = "";
	for (int i = 0; i < 33; i++)
		strcat(many, "*.");
	strcat(many, "*z");
	for (int i = 0; i < 50; i++)
		strcat(longname, "a.");
	strcat(longname, "a");
	CHECK(pg_host_rules_add(r, many, PG_SYS_IRC, PG_FEAT_ANY));
	CHECK(!match(r, longname, &s, &f));
	longname[strlen(longname) - 1] = 'z';
	CHECK(match(r, longname, &s, &f) && s == PG_SYS_IRC);
	pg_host_rules_destroy(r);
}

static void test_dns_cache(void)
{
	struct pg_dns_cache *c = pg_dns_cache_create(64);
	uint8_t a[4] = {192, 0, 2, 10}, b6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
	char name[128];
	pg_dns_cache_learn(c, 4, a, "login.oscar.aol.com", 19, 300, 1000);
	pg_dns_cache_learn(c, 6, b6, "chat.signal.org", 15, 10 /* clamped to 60 */, 1000);
	CHECK(pg_dns_cache_lookup(c, 4, a, 1200, name, sizeof(name)));
	CHECK_STR(name, "login.oscar.aol.com");
	CHECK(!pg_dns_cache_lookup(c, 4, a, 1301, name, sizeof(name))); /* TTL */
	CHECK(pg_dns_cache_lookup(c, 6, b6, 1059, name, sizeof(name)));
	CHECK(!pg_dns_cache_lookup(c, 6, b6, 1061, name, sizeof(name)));
	/* bounded under a flood of answers */
	for (uint32_t i = 0; i < 100000; i++) {
		uint8_t x[4] = {10, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i};
		pg_dns_cache_learn(c, 4, x, "t.me", 4, 3600, 2000);
	}
	CHECK(pg_dns_cache_size(c) <= 64);
	pg_dns_cache_destroy(c);
}

static void test_expect(void)
{
	struct pg_expect_table *t = pg_expect_create(16, 120);
	struct pg_expectation e = {.family = 4, .addr = {192, 168, 1, 158}, .port = 5190,
				   .system = PG_SYS_AIM, .feature = PG_FEAT_FILE_TRANSFER}, out;
	pg_expect_add(t, &e, 100);
	CHECK(pg_expect_match(t, 4, e.addr, 5190, 150, &out) && out.feature == PG_FEAT_FILE_TRANSFER);
	CHECK(!pg_expect_match(t, 4, e.addr, 5191, 150, &out));
	CHECK(!pg_expect_match(t, 4, e.addr, 5190, 221, &out));
	for (uint16_t p = 0; p < 5000; p++) {
		e.port = p;
		pg_expect_add(t, &e, 300);
	}
	CHECK(pg_expect_match(t, 4, e.addr, 4999, 301, &out));
	pg_expect_destroy(t);
}

int main(void)
{
	test_patterns();
	test_wildcards();
	test_dns_cache();
	test_expect();
	return pg_test_summary("test_hosts");
}
