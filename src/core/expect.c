/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "peergate/expect.h"

#include <stdlib.h>
#include <string.h>

enum { EXPECT_PROBES = 8 };

struct entry {
	struct pg_expectation e;  /* e.family == 0: empty */
	uint32_t expires_s;
};

struct pg_expect_table {
	struct entry *entries;
	uint32_t cap;             /* power of two */
	uint32_t lifetime_s;
};

struct pg_expect_table *pg_expect_create(uint32_t max_entries, uint32_t lifetime_s)
{
	struct pg_expect_table *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	uint32_t cap = EXPECT_PROBES;
	while (cap < max_entries && cap < (1u << 20))
		cap <<= 1;
	t->cap = cap;
	t->lifetime_s = lifetime_s;
	t->entries = calloc(cap, sizeof(*t->entries));
	if (!t->entries) {
		free(t);
		return NULL;
	}
	return t;
}

void pg_expect_destroy(struct pg_expect_table *t)
{
	if (!t)
		return;
	free(t->entries);
	free(t);
}

static uint32_t key_hash(uint8_t family, const uint8_t *addr, uint16_t port)
{
	uint32_t h = 2166136261u ^ family ^ ((uint32_t)port << 8);
	for (int i = 0; i < (family == 6 ? 16 : 4); i++)
		h = (h ^ addr[i]) * 16777619u;
	return h ^ (h >> 15);
}

static bool same_key(const struct pg_expectation *a, uint8_t family,
		     const uint8_t *addr, uint16_t port)
{
	return a->family == family && a->port == port &&
	       memcmp(a->addr, addr, family == 6 ? 16 : 4) == 0;
}

void pg_expect_add(struct pg_expect_table *t, const struct pg_expectation *e,
		   uint32_t now_s)
{
	if (e->family != 4 && e->family != 6)
		return;
	uint32_t h = key_hash(e->family, e->addr, e->port);
	struct entry *slot = NULL;
	for (uint32_t i = 0; i < EXPECT_PROBES; i++) {
		struct entry *c = &t->entries[(h + i) & (t->cap - 1)];
		if (c->e.family && same_key(&c->e, e->family, e->addr, e->port)) {
			slot = c;
			break;
		}
		bool free_slot = !c->e.family || c->expires_s <= now_s;
		if (!slot || (free_slot && slot->e.family && slot->expires_s > now_s) ||
		    (!free_slot && slot->e.family && c->expires_s < slot->expires_s))
			slot = c;
	}
	slot->e = *e;
	slot->expires_s = now_s + t->lifetime_s;
}

bool pg_expect_match(const struct pg_expect_table *t, uint8_t family,
		     const uint8_t *addr, uint16_t port, uint32_t now_s,
		     struct pg_expectation *out)
{
	uint32_t h = key_hash(family, addr, port);
	for (uint32_t i = 0; i < EXPECT_PROBES; i++) {
		const struct entry *c = &t->entries[(h + i) & (t->cap - 1)];
		if (c->e.family && same_key(&c->e, family, addr, port) &&
		    c->expires_s > now_s) {
			*out = c->e;
			return true;
		}
	}
	return false;
}
