/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "peergate/hosts.h"
#include "peergate/prefix_table.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct host_rule {
	char *pattern;            /* lower case */
	size_t len;
	bool wildcard;
	enum pg_system system;
	enum pg_feature feature;
};

struct port_rule {
	uint8_t l4proto;
	uint16_t lo, hi;
	enum pg_system system;
	enum pg_feature feature;
};

struct pg_host_rules {
	struct host_rule *rules;
	size_t count, cap;
	struct pg_prefix_table *ranges;   /* values: system << 8 | feature */
	struct port_rule *ports;
	size_t nports, cap_ports;
};

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

struct pg_host_rules *pg_host_rules_create(void)
{
	struct pg_host_rules *r = calloc(1, sizeof(struct pg_host_rules));

	if (r && !(r->ranges = pg_prefix_table_create())) {
		free(r);
		r = NULL;
	}
	return r;
}

void pg_host_rules_destroy(struct pg_host_rules *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->count; i++)
		free(r->rules[i].pattern);
	free(r->rules);
	pg_prefix_table_destroy(r->ranges);
	free(r->ports);
	free(r);
}

static bool pattern_valid(const char *p)
{
	size_t n = strlen(p);
	if (n == 0 || n > 253 || p[0] == '.' || p[n - 1] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = lower(p[i]);
		bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			  c == '-' || c == '.' || c == '*' || c == '_';
		if (!ok || (c == '.' && p[i + 1] == '.'))
			return false;
	}
	return true;
}

bool pg_host_rules_add(struct pg_host_rules *r, const char *pattern,
		       enum pg_system sys, enum pg_feature feat)
{
	if (!pattern_valid(pattern))
		return false;
	if (r->count == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		struct host_rule *n = realloc(r->rules, cap * sizeof(*n));
		if (!n)
			return false;
		r->rules = n;
		r->cap = cap;
	}
	char *copy = strdup(pattern);
	if (!copy)
		return false;
	for (char *c = copy; *c; c++)
		*c = lower(*c);
	r->rules[r->count++] = (struct host_rule){
		.pattern = copy, .len = strlen(copy),
		.wildcard = strchr(copy, '*') != NULL,
		.system = sys, .feature = feat,
	};
	return true;
}

/* '*' matches one or more characters (dots included).  Only the last star
 * seen is ever widened: a later star can absorb whatever widening an
 * earlier one would have bought, so this is enough, and the work stays
 * within pattern length x name length.  (Trying every split for every star
 * took time exponential in the number of stars: with a 34-star pattern in
 * the policy, one 51-character name, which any client can send as an SNI
 * or Host, kept the matcher busy without end.  Found by
 * test/fuzz/fuzz_host_rules.) */
static bool glob_match(const char *pat, const char *name, size_t nlen)
{
	const char *star = NULL;   /* just past the last star */
	size_t n = 0, star_n = 0;  /* name bytes taken; by the star so far */

	while (n < nlen) {
		if (*pat == '*') {
			/* a star takes one character at least */
			star = ++pat;
			star_n = ++n;
		} else if (*pat != '\0' && *pat == name[n]) {
			pat++;
			n++;
		} else if (star) {
			/* widen the last star by one character, retry after it */
			pat = star;
			n = ++star_n;
		} else {
			return false;
		}
	}
	return *pat == '\0';
}

static bool rule_matches(const struct host_rule *h, const char *name, size_t n)
{
	if (h->wildcard)
		return glob_match(h->pattern, name, n);
	if (n == h->len)
		return memcmp(name, h->pattern, n) == 0;
	/* a plain pattern covers the names below it */
	return n > h->len && name[n - h->len - 1] == '.' &&
	       memcmp(name + n - h->len, h->pattern, h->len) == 0;
}

bool pg_host_rules_match(const struct pg_host_rules *r, const char *name,
			 size_t len, enum pg_system *sys, enum pg_feature *feat)
{
	char buf[256];
	size_t n = 0;

	if (!r)
		return false;
	/* Normalise: lower case, stop at ':' (port) and drop a trailing dot. */
	for (size_t i = 0; i < len && name[i] != ':' && name[i] != '\0'; i++) {
		if (n + 1 >= sizeof(buf))
			return false;
		buf[n++] = lower(name[i]);
	}
	while (n > 0 && buf[n - 1] == '.')
		n--;
	if (n == 0)
		return false;
	buf[n] = '\0';

	const struct host_rule *best = NULL;
	for (size_t i = 0; i < r->count; i++) {
		const struct host_rule *h = &r->rules[i];
		if ((!best || h->len > best->len) && rule_matches(h, buf, n))
			best = h;
	}
	if (!best)
		return false;
	*sys = best->system;
	*feat = best->feature;
	return true;
}

/* ---- address ranges and ports ---- */

bool pg_host_rules_add_range(struct pg_host_rules *r, const struct pg_prefix *p,
			     enum pg_system sys, enum pg_feature feat)
{
	return pg_prefix_table_add(r->ranges, p, (uint32_t)sys << 8 | (uint32_t)feat);
}

bool pg_host_rules_match_addr(const struct pg_host_rules *r, uint8_t family,
			      const uint8_t *addr, enum pg_system *sys,
			      enum pg_feature *feat)
{
	uint32_t v;

	if (!r || !pg_prefix_table_lookup(r->ranges, family, addr, &v, NULL))
		return false;
	*sys = (enum pg_system)(v >> 8);
	*feat = (enum pg_feature)(v & 0xff);
	return true;
}

bool pg_host_rules_add_ports(struct pg_host_rules *r, uint8_t l4proto,
			     uint16_t lo, uint16_t hi, enum pg_system sys,
			     enum pg_feature feat)
{
	if (lo > hi)
		return false;
	if (r->nports == r->cap_ports) {
		size_t cap = r->cap_ports ? r->cap_ports * 2 : 16;
		struct port_rule *n = realloc(r->ports, cap * sizeof(*n));
		if (!n)
			return false;
		r->ports = n;
		r->cap_ports = cap;
	}
	r->ports[r->nports++] = (struct port_rule){ l4proto, lo, hi, sys, feat };
	return true;
}

bool pg_host_rules_port_hint(const struct pg_host_rules *r, uint8_t l4proto,
			     uint16_t port, enum pg_system *sys,
			     enum pg_feature *feat)
{
	for (size_t i = 0; r && i < r->nports; i++) {
		const struct port_rule *p = &r->ports[i];
		if (p->l4proto == l4proto && port >= p->lo && port <= p->hi) {
			*sys = p->system;
			*feat = p->feature;
			return true;
		}
	}
	return false;
}

/* ---- DNS answer cache ---- */

enum { DNS_PROBES = 8, DNS_NAME_MAX = 128 };

struct dns_entry {
	uint8_t family;           /* 0 = empty */
	uint8_t addr[16];
	uint32_t expires_s;
	char name[DNS_NAME_MAX];
};

/* Shared by every worker of the daemon (an answer read on one queue names
 * the host of a flow on another): one mutex, held for one bounded probe
 * window (DNS_PROBES entries), taken only for DNS answers and new flows. */
struct pg_dns_cache {
	pthread_mutex_t lock;
	struct dns_entry *entries;
	uint32_t cap;             /* power of two */
	uint32_t used;
};

struct pg_dns_cache *pg_dns_cache_create(uint32_t max_entries)
{
	struct pg_dns_cache *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	uint32_t cap = DNS_PROBES;
	while (cap < max_entries && cap < (1u << 24))
		cap <<= 1;
	c->cap = cap;
	c->entries = calloc(cap, sizeof(*c->entries));
	if (!c->entries || pthread_mutex_init(&c->lock, NULL) != 0) {
		free(c->entries);
		free(c);
		return NULL;
	}
	return c;
}

void pg_dns_cache_destroy(struct pg_dns_cache *c)
{
	if (!c)
		return;
	pthread_mutex_destroy(&c->lock);
	free(c->entries);
	free(c);
}

static uint32_t addr_hash(uint8_t family, const uint8_t *addr)
{
	uint32_t h = 2166136261u ^ family;
	for (int i = 0; i < (family == 6 ? 16 : 4); i++)
		h = (h ^ addr[i]) * 16777619u;
	return h;
}

static bool same_addr(const struct dns_entry *e, uint8_t family, const uint8_t *addr)
{
	return e->family == family && memcmp(e->addr, addr, family == 6 ? 16 : 4) == 0;
}

void pg_dns_cache_learn(struct pg_dns_cache *c, uint8_t family,
			const uint8_t *addr, const char *name, size_t name_len,
			uint32_t ttl_s, uint32_t now_s)
{
	if (ttl_s < 60)
		ttl_s = 60;
	if (ttl_s > 86400)
		ttl_s = 86400;
	uint32_t h = addr_hash(family, addr);
	struct dns_entry *slot = NULL;

	pthread_mutex_lock(&c->lock);
	/* Same address, then an empty or expired slot, then the slot that
	 * expires first: the window is bounded, so is the work. */
	for (uint32_t i = 0; i < DNS_PROBES; i++) {
		struct dns_entry *e = &c->entries[(h + i) & (c->cap - 1)];
		if (e->family && same_addr(e, family, addr)) {
			slot = e;
			break;
		}
		if (!e->family || e->expires_s <= now_s) {
			if (!slot || slot->family)
				slot = e;
		} else if (!slot || (slot->family && e->expires_s < slot->expires_s)) {
			slot = e;
		}
	}
	if (!slot->family)
		c->used++;
	slot->family = family;
	memset(slot->addr, 0, sizeof(slot->addr));
	memcpy(slot->addr, addr, family == 6 ? 16 : 4);
	slot->expires_s = now_s + ttl_s;
	if (name_len >= DNS_NAME_MAX)
		name_len = DNS_NAME_MAX - 1;
	memcpy(slot->name, name, name_len);
	slot->name[name_len] = '\0';
	pthread_mutex_unlock(&c->lock);
}

bool pg_dns_cache_lookup(struct pg_dns_cache *c, uint8_t family,
			 const uint8_t *addr, uint32_t now_s, char *name,
			 size_t name_size)
{
	uint32_t h = addr_hash(family, addr);
	bool found = false;

	pthread_mutex_lock(&c->lock);
	for (uint32_t i = 0; i < DNS_PROBES; i++) {
		struct dns_entry *e = &c->entries[(h + i) & (c->cap - 1)];
		if (e->family && same_addr(e, family, addr)) {
			if (e->expires_s <= now_s || name_size == 0)
				break;
			size_t n = strlen(e->name);
			if (n >= name_size)
				n = name_size - 1;
			memcpy(name, e->name, n);
			name[n] = '\0';
			found = true;
			break;
		}
	}
	pthread_mutex_unlock(&c->lock);
	return found;
}

uint32_t pg_dns_cache_size(struct pg_dns_cache *c)
{
	pthread_mutex_lock(&c->lock);
	uint32_t n = c->used;
	pthread_mutex_unlock(&c->lock);
	return n;
}
