/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter.h>

#include "peergate/mark.h"
#include "peergate/seterr.h"

const struct pg_nft_hook pg_nft_hooks[PG_NFT_NHOOKS] = {
	{PG_HOOK_FORWARD, "forward", NF_INET_FORWARD},
	{PG_HOOK_INPUT, "input", NF_INET_LOCAL_IN},
	{PG_HOOK_OUTPUT, "output", NF_INET_LOCAL_OUT},
};
#define PG_NFT_HOOK_MASK (PG_HOOK_FORWARD | PG_HOOK_INPUT | PG_HOOK_OUTPUT)

const char *pg_nft_queue_kind_name(enum pg_nft_queue_kind k)
{
	switch (k) {
	case PG_NFT_QUEUE_NATIVE:
		return "native";
	case PG_NFT_QUEUE_COMPAT:
		return "compat";
	}
	return "unknown";
}

int pgnft_portset_name(const struct pg_nft_portset *s, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s_%s_%s",
			 s->system_name[0] ? s->system_name : pg_system_name(s->system),
			 pg_feature_name(s->feature),
			 s->l4proto == IPPROTO_TCP ? "tcp" : "udp");

	if (n < 0 || (size_t)n >= len)
		return -1;
	for (char *p = buf; *p; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')))
			*p = '_';
	}
	return 0;
}

static int range_cmp(const void *a, const void *b)
{
	const struct pg_nft_range *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return (int)x->hi - (int)y->hi;
}

size_t pgnft_merge_range_list(struct pg_nft_range *r, size_t count)
{
	size_t n = 0;

	qsort(r, count, sizeof(r[0]), range_cmp);
	for (size_t i = 0; i < count; i++) {
		if (n && (uint32_t)r[i].lo <= (uint32_t)r[n - 1].hi + 1) {
			if (r[i].hi > r[n - 1].hi)
				r[n - 1].hi = r[i].hi;
			continue;
		}
		r[n++] = r[i];
	}
	return n;
}

size_t pgnft_merge_ranges(const struct pg_nft_portset *s,
			  struct pg_nft_range out[16])
{
	memcpy(out, s->ranges, s->count * sizeof(out[0]));
	return pgnft_merge_range_list(out, s->count);
}

uint32_t pgnft_blocked_set_id(const struct pg_nft_config *cfg, bool v6)
{
	return (uint32_t)cfg->nsets + (v6 ? 2u : 1u);
}

uint32_t pgnft_port_union_set_id(const struct pg_nft_config *cfg, uint8_t l4proto)
{
	return (uint32_t)cfg->nsets + (l4proto == IPPROTO_TCP ? 3u : 4u);
}

bool pgnft_has_port_sets(const struct pg_nft_config *cfg, uint8_t l4proto)
{
	for (size_t i = 0; i < cfg->nsets; i++) {
		if (cfg->sets[i].l4proto == l4proto && cfg->sets[i].count)
			return true;
	}
	return false;
}

static int validate_prefixes(const struct pg_prefix *v, size_t n,
			     const char *what, char *err, size_t errlen)
{
	int ret = -1;

	if (n && !v) {
		pg_seterr(err, errlen, "%zu %s prefixes announced but none given", n, what);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const struct pg_prefix *p = &v[i];

		if ((p->family != 4 && p->family != 6) ||
		    p->len > (p->family == 4 ? 32 : 128)) {
			pg_seterr(err, errlen,
				  "%s prefix %zu: family %u / length %u is not an IPv4 or IPv6 prefix",
				  what, i, p->family, p->len);
			goto out;
		}
	}
	ret = 0;
out:
	return ret;
}

/* Port set i of cfg: a policed class, TCP or UDP, at most 16 ranges in
 * order, and a name no earlier set has. */
static int validate_portset(const struct pg_nft_config *cfg, size_t i,
			    char *err, size_t errlen)
{
	const struct pg_nft_portset *s = &cfg->sets[i];
	char name[64], other[64];
	int ret = -1;

	if (!pg_system_is_policed(s->system) ||
	    (unsigned)s->feature >= PG_FEAT_COUNT) {
		pg_seterr(err, errlen,
			  "port set %zu: system %d / feature %d is not a policed class",
			  i, (int)s->system, (int)s->feature);
		goto out;
	}
	if (s->l4proto != IPPROTO_TCP && s->l4proto != IPPROTO_UDP) {
		pg_seterr(err, errlen,
			  "port set %zu: protocol %u is neither tcp nor udp",
			  i, s->l4proto);
		goto out;
	}
	if (pgnft_portset_name(s, name, sizeof(name)) < 0) {
		pg_seterr(err, errlen, "port set %zu: name too long", i);
		goto out;
	}
	if (s->count > sizeof(s->ranges) / sizeof(s->ranges[0])) {
		pg_seterr(err, errlen, "port set %s: %zu ranges, at most 16",
			  name, s->count);
		goto out;
	}
	for (size_t r = 0; r < s->count; r++) {
		if (s->ranges[r].lo > s->ranges[r].hi) {
			pg_seterr(err, errlen,
				  "port set %s: range %u-%u is reversed",
				  name, s->ranges[r].lo, s->ranges[r].hi);
			goto out;
		}
	}
	for (size_t j = 0; j < i; j++) {
		if (pgnft_portset_name(&cfg->sets[j], other, sizeof(other)) == 0 &&
		    strcmp(name, other) == 0) {
			pg_seterr(err, errlen, "port set %s is given twice", name);
			goto out;
		}
	}
	ret = 0;
out:
	return ret;
}

int pgnft_config_validate(const struct pg_nft_config *cfg, char *err, size_t errlen)
{
	unsigned count = cfg->queue_count ? cfg->queue_count : 1;
	int ret = -1;

	if (!cfg->hooks || (cfg->hooks & ~(unsigned)PG_NFT_HOOK_MASK)) {
		pg_seterr(err, errlen,
			  "hook mask 0x%x is not usable: choose one or more of forward (0x1), input (0x2), output (0x4)",
			  cfg->hooks);
		goto out;
	}
	if (!pg_mark_mask_valid(cfg->mark_mask)) {
		pg_seterr(err, errlen,
			  "mark mask 0x%08" PRIx32 " is not usable: it must be one contiguous group of at least 3 bits",
			  cfg->mark_mask);
		goto out;
	}
	if ((uint32_t)cfg->queue_first + count - 1 > UINT16_MAX) {
		pg_seterr(err, errlen, "queue range %u-%u is beyond queue 65535",
			  cfg->queue_first, cfg->queue_first + count - 1);
		goto out;
	}
	if (cfg->nsets && !cfg->sets) {
		pg_seterr(err, errlen, "%zu port sets announced but none given",
			  cfg->nsets);
		goto out;
	}
	for (size_t i = 0; i < cfg->nsets; i++) {
		if (validate_portset(cfg, i, err, errlen) < 0)
			goto out;
	}
	if (validate_prefixes(cfg->allow, cfg->nallow, "allow", err, errlen) < 0 ||
	    validate_prefixes(cfg->inspect, cfg->ninspect, "inspect", err, errlen) < 0)
		goto out;
	ret = 0;
out:
	return ret;
}
