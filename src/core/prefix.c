/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Address prefixes ([exceptions], the command line) and host patterns
 * (`hosts`): parsing, checking, matching and printing.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "peergate/policy.h"

#include "policy_text.h"

bool pg_prefix_parse(const char *text, struct pg_prefix *out, char *err,
		     size_t errlen)
{
	char addr[INET6_ADDRSTRLEN + 1], why[128] = "";
	struct pg_prefix p = { 0 };
	const char *slash = strchr(text, '/');
	size_t alen = slash ? (size_t)(slash - text) : strlen(text);
	uint32_t len = 0;

	if (alen > 0 && alen < sizeof(addr)) {
		memcpy(addr, text, alen);
		addr[alen] = '\0';
		p.family = memchr(addr, ':', alen) ? 6 : 4;
	}
	unsigned max = p.family == 6 ? 128 : 32;
	if (!p.family ||
	    inet_pton(p.family == 6 ? AF_INET6 : AF_INET, addr, p.addr) != 1)
		snprintf(why, sizeof(why), "expected an IPv4 or IPv6 address, optionally with /LENGTH");
	else if (!slash)
		len = max;
	else if (!pol_parse_u32(slash + 1, &len) || strlen(slash + 1) > 3 || len > max)
		snprintf(why, sizeof(why), "prefix length must be 0 to %u", max);

	if (!why[0]) {
		/* Bits beyond the length are refused rather than cleared:
		 * "10.1.2.3/8" may mean the host or the network, and only the
		 * writer knows. */
		struct pg_prefix net = p;
		bool host_bits = false;
		net.len = p.len = (uint8_t)len;
		for (unsigned i = len; i < max; i++) {
			uint8_t bit = (uint8_t)(0x80u >> (i % 8));
			host_bits |= (net.addr[i / 8] & bit) != 0;
			net.addr[i / 8] &= (uint8_t)~bit;
		}
		if (host_bits) {
			char fixed[PG_PREFIX_STRLEN];
			pg_prefix_format(&net, fixed, sizeof(fixed));
			snprintf(why, sizeof(why), "host bits are set beyond /%u; did you mean '%s'?",
				 (unsigned)len, fixed);
		}
	}
	if (why[0]) {
		if (err && errlen)
			snprintf(err, errlen, "%s", why);
		return false;
	}
	*out = p;
	return true;
}

bool pg_prefix_contains(const struct pg_prefix *p, uint8_t family,
			const uint8_t *addr)
{
	if (!p || !addr || p->family != family ||
	    p->len > (family == 6 ? 128 : 32))
		return false;
	unsigned full = p->len / 8u, rem = p->len % 8u;
	if (memcmp(p->addr, addr, full) != 0)
		return false;
	if (rem) {
		uint8_t mask = (uint8_t)(0xffu << (8 - rem));
		return (addr[full] & mask) == (p->addr[full] & mask);
	}
	return true;
}

void pg_prefix_format(const struct pg_prefix *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (!len)
		return;
	if (!inet_ntop(p->family == 6 ? AF_INET6 : AF_INET, p->addr, a, sizeof(a)))
		snprintf(a, sizeof(a), "?");
	snprintf(buf, len, "%s/%u", a, (unsigned)p->len);
}

bool pg_host_pattern_check(const char *pattern, char *err, size_t errlen)
{
	static const char empty_label[] =
		"empty label (a leading, trailing or doubled '.')";
	size_t n = strlen(pattern), label = 0;
	const char *why = NULL;
	unsigned char bad = 0;
	bool alnum = false;

	if (n == 0)
		why = "empty pattern";
	else if (n > 253)
		why = "longer than 253 characters";
	for (const char *s = pattern; !why && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '.') {
			if (label == 0)
				why = empty_label;
			label = 0;
		} else if (!pol_is_alnum(c) && c != '-' && c != '*') {
			bad = c;
			why = "is not allowed; use letters, digits, '-', '.' and '*'";
		} else if (++label > 63) {
			why = "a label is longer than 63 characters";
		}
		alnum |= pol_is_alnum(c);
	}
	if (!why && label == 0)
		why = empty_label;
	if (!why && !alnum)
		why = "a pattern needs at least one letter or digit"; /* "*" matches all */

	if (why && err && errlen) {
		if (bad > 0x20 && bad < 0x7f)
			snprintf(err, errlen, "'%c' %s", bad, why);
		else if (bad)
			snprintf(err, errlen, "byte 0x%02x %s", bad, why);
		else
			snprintf(err, errlen, "%s", why);
	}
	return why == NULL;
}
