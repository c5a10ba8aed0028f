/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host data a policy carries, past the loader (fuzz_policy covers the
 * loader itself): host patterns into the rule builder and names through
 * the matcher, and [exceptions] prefixes through their parser and
 * matcher.  The input is lines:
 *
 *   hSPATTERN   a `hosts` pattern for policed system S (any byte, taken
 *               modulo the number of systems)
 *   aPREFIX     an `allow` prefix;  iPREFIX  an `inspect` prefix
 *   nNAME       a name to match (any bytes but '\n')
 *
 * Patterns and prefixes that their checkers accept are written into a
 * policy text, loaded, and the rules are built from it with
 * pg_host_rules_for_policy, as the daemon and `classify` do.
 * Invariants:
 *  - what the checkers accept, the loader and the builder accept;
 *  - every pattern matches the names it describes (itself and a name
 *    below it for a plain pattern, '*' replaced by one letter for a
 *    wildcard);
 *  - matching ignores case, a trailing dot and a ":port" suffix;
 *  - a prefix survives format and parse unchanged, contains its own
 *    address, agrees with a bit-by-bit reference on other addresses, and
 *    the loaded policy applies every allow prefix.
 */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "peergate/hosts.h"
#include "peergate/policy.h"
#include "peergate/taxonomy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ITEMS 256
/* inih reads lines of up to 200 bytes; longer patterns are valid but
 * cannot come from a policy file, so they go to the builder directly. */
#define POLICY_PATTERN_MAX 160

struct item {
	char kind;
	uint8_t sys;
	char text[300];
	size_t len;
};

struct input {
	struct item items[MAX_ITEMS];
	size_t n;
};

static void split(const uint8_t *data, size_t size, struct input *in)
{
	size_t pos = 0;
	while (pos < size && in->n < MAX_ITEMS) {
		const uint8_t *nl = memchr(data + pos, '\n', size - pos);
		size_t end = nl ? (size_t)(nl - data) : size;
		size_t len = end - pos;
		if (len >= 1) {
			struct item *it = &in->items[in->n];
			size_t skip = data[pos] == 'h' ? 2 : 1;
			if (len >= skip && len - skip < sizeof(it->text)) {
				it->kind = (char)data[pos];
				it->sys = data[pos] == 'h' && len >= 2 ? data[pos + 1] : 0;
				it->len = len - skip;
				memcpy(it->text, data + pos + skip, it->len);
				it->text[it->len] = '\0';
				in->n++;
			}
		}
		pos = end + 1;
	}
}

static enum pg_system system_of(uint8_t b)
{
	return (enum pg_system)(1 + b % (PG_SYS_DATA_FIRST - 1));
}

struct match {
	bool hit;
	enum pg_system sys;
	enum pg_feature feat;
};

static struct match match(const struct pg_host_rules *r, const char *name, size_t len)
{
	struct match m = { false, PG_SYS_UNKNOWN, PG_FEAT_ANY };
	m.hit = pg_host_rules_match(r, name, len, &m.sys, &m.feat);
	if (m.hit && ((unsigned)m.sys >= PG_SYS_COUNT || (unsigned)m.feat >= PG_FEAT_COUNT))
		abort();
	return m;
}

static bool same(struct match a, struct match b)
{
	return a.hit == b.hit && (!a.hit || (a.sys == b.sys && a.feat == b.feat));
}

/* Case, a trailing dot and a port do not change the answer. */
static void check_name(const struct pg_host_rules *r, const char *name, size_t len)
{
	struct match m = match(r, name, len);
	if (len > 200 || memchr(name, ':', len) || memchr(name, '\0', len))
		return;
	char v[256];
	for (size_t i = 0; i < len; i++)
		v[i] = (name[i] >= 'a' && name[i] <= 'z') ? (char)(name[i] - 32) : name[i];
	if (!same(m, match(r, v, len)))
		abort();
	memcpy(v, name, len);
	v[len] = '.';
	if (!same(m, match(r, v, len + 1)))
		abort();
	memcpy(v + len, ":443", 4);
	if (!same(m, match(r, v, len + 4)))
		abort();
}

/* A pattern matches the names it describes. */
static void check_pattern(const struct pg_host_rules *r, const char *pat)
{
	char name[300];
	size_t n = 0;
	if (strchr(pat, '*')) {
		for (const char *p = pat; *p && n < sizeof(name); p++)
			name[n++] = *p == '*' ? 'x' : *p;
		if (!match(r, name, n).hit)
			abort();
		return;
	}
	if (!match(r, pat, strlen(pat)).hit)
		abort();
	n = (size_t)snprintf(name, sizeof(name), "q.%s", pat);
	if (n < 250 && !match(r, name, n).hit)
		abort();
}

static bool ref_contains(const struct pg_prefix *p, uint8_t family, const uint8_t *addr)
{
	if (p->family != family)
		return false;
	for (unsigned i = 0; i < p->len; i++) {
		uint8_t bit = (uint8_t)(0x80u >> (i % 8));
		if ((p->addr[i / 8] & bit) != (addr[i / 8] & bit))
			return false;
	}
	return true;
}

/* Round trip and containment; writes the canonical text to out. */
static bool check_prefix(const char *text, struct pg_prefix *p, char out[PG_PREFIX_STRLEN])
{
	char err[128];
	struct pg_prefix again;
	if (!pg_prefix_parse(text, p, err, sizeof(err))) {
		if (!err[0])
			abort();
		return false;
	}
	if ((p->family != 4 && p->family != 6) || p->len > (p->family == 6 ? 128 : 32))
		abort();
	pg_prefix_format(p, out, PG_PREFIX_STRLEN);
	if (!pg_prefix_parse(out, &again, err, sizeof(err)) || memcmp(p, &again, sizeof(again)))
		abort();
	if (!pg_prefix_contains(p, p->family, p->addr) ||
	    pg_prefix_contains(p, p->family == 4 ? 6 : 4, p->addr))
		abort();
	return true;
}

/* One section per built-in system, one pattern per (indented) line. */
static void write_hosts(FILE *t, const struct input *in)
{
	for (int s = 1; s < PG_SYS_DATA_FIRST; s++) {
		bool open = false;
		for (size_t i = 0; i < in->n; i++) {
			const struct item *it = &in->items[i];
			if (it->kind != 'h' || system_of(it->sys) != (enum pg_system)s ||
			    it->len > POLICY_PATTERN_MAX || !pg_host_pattern_check(it->text, NULL, 0))
				continue;
			fprintf(t, open ? "  %s\n" : "[%s]\nhosts = %s\n",
				open ? it->text : pg_system_name((enum pg_system)s), it->text);
			open = true;
		}
	}
}

/* [exceptions]: the allow prefixes, then the inspect ones; each accepted
 * one is kept in pfx[] (allow[] says which), and their count returned. */
static size_t write_exceptions(FILE *t, const struct input *in, struct pg_prefix *pfx,
			       bool *allow)
{
	size_t npfx = 0;
	for (int pass = 0; pass < 2; pass++) {
		char key = pass ? 'i' : 'a';
		bool open = false;
		for (size_t i = 0; i < in->n; i++) {
			const struct item *it = &in->items[i];
			char canon[PG_PREFIX_STRLEN];
			if (it->kind != key || !check_prefix(it->text, &pfx[npfx], canon))
				continue;
			allow[npfx++] = !pass;
			if (!open)
				fprintf(t, "%s%s = %s\n", pass ? "" : "[exceptions]\n",
					pass ? "inspect" : "allow", canon);
			else
				fprintf(t, "  %s\n", canon);
			open = true;
		}
		if (!pass && !open)
			fprintf(t, "[exceptions]\n");
	}
	return npfx;
}

/* Every pattern matches what it describes, names match alike whatever
 * their case, trailing dot or port. */
static void check_rules(struct pg_host_rules *rules, const struct input *in)
{
	/* Patterns too long for a policy line go to the builder directly. */
	for (size_t i = 0; i < in->n; i++) {
		const struct item *it = &in->items[i];
		if (it->kind == 'h' && it->len > POLICY_PATTERN_MAX &&
		    pg_host_pattern_check(it->text, NULL, 0) &&
		    !pg_host_rules_add(rules, it->text, system_of(it->sys), PG_FEAT_ANY))
			abort();
	}
	for (size_t i = 0; i < in->n; i++) {
		const struct item *it = &in->items[i];
		if (it->kind == 'h' && pg_host_pattern_check(it->text, NULL, 0))
			check_pattern(rules, it->text);
		else if (it->kind == 'n')
			check_name(rules, it->text, it->len);
	}
}

/* The loaded policy applies each prefix, and containment agrees with the
 * bit-by-bit reference. */
static void check_prefixes(const struct pg_policy *policy, const struct pg_prefix *pfx,
			   const bool *allow, size_t npfx)
{
	for (size_t i = 0; i < npfx && i < 64; i++) {
		if (allow[i] && !pg_policy_exception_allow(policy, pfx[i].family,
							   pfx[i].addr, pfx[i].addr))
			abort();
		if (!allow[i] && !pg_policy_exception_inspect(policy, pfx[i].family,
							      pfx[i].addr, pfx[i].addr))
			abort();
		for (size_t j = 0; j < npfx && j < 64; j++)
			if (pg_prefix_contains(&pfx[i], pfx[j].family, pfx[j].addr) !=
			    ref_contains(&pfx[i], pfx[j].family, pfx[j].addr))
				abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input *in = calloc(1, sizeof(*in));
	struct pg_prefix *pfx = calloc(MAX_ITEMS, sizeof(*pfx));
	bool *allow = calloc(MAX_ITEMS, sizeof(*allow));
	size_t npfx = 0;
	char *text = NULL;
	size_t text_len = 0;
	FILE *t = open_memstream(&text, &text_len);
	struct pg_policy *policy = NULL;
	struct pg_host_rules *rules = NULL;
	struct pg_diag diag;

	if (!in || !pfx || !allow || !t)
		goto out;
	split(data, size, in);
	write_hosts(t, in);
	npfx = write_exceptions(t, in, pfx, allow);
	if (fclose(t) != 0) {
		t = NULL;
		goto out;
	}
	t = NULL;

	policy = pg_policy_load_string(text, "fuzz.ini", &diag);
	if (!policy) {
		pg_diag_print(&diag, stderr);
		fprintf(stderr, "---\n%s---\n", text);
		abort();
	}
	rules = pg_host_rules_for_policy(policy);
	if (!rules)
		abort();
	check_rules(rules, in);
	check_prefixes(policy, pfx, allow, npfx);
out:
	if (t)
		fclose(t);
	pg_host_rules_destroy(rules);
	pg_policy_destroy(policy);
	free(text);
	free(allow);
	free(pfx);
	free(in);
	return 0;
}
