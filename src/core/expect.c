/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "peergate/expect.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

enum { EXPECT_PROBES = 8 };

struct entry {
	struct pg_expectation e;  /* e.family == 0: empty */
	uint32_t expires_s;
};

/* Shared by the daemon's workers (the offer is read on one queue, the
 * peer flow may land on another): one mutex around a bounded probe window,
 * taken only for announcements and new flows. */
struct pg_expect_table {
	pthread_mutex_t lock;
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
	if (!t->entries || pthread_mutex_init(&t->lock, NULL) != 0) {
		free(t->entries);
		free(t);
		return NULL;
	}
	return t;
}

void pg_expect_destroy(struct pg_expect_table *t)
{
	if (!t)
		return;
	pthread_mutex_destroy(&t->lock);
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

	pthread_mutex_lock(&t->lock);
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
	pthread_mutex_unlock(&t->lock);
}

bool pg_expect_match(struct pg_expect_table *t, uint8_t family,
		     const uint8_t *addr, uint16_t port, uint32_t now_s,
		     struct pg_expectation *out)
{
	uint32_t h = key_hash(family, addr, port);
	bool found = false;

	pthread_mutex_lock(&t->lock);
	for (uint32_t i = 0; i < EXPECT_PROBES && !found; i++) {
		const struct entry *c = &t->entries[(h + i) & (t->cap - 1)];
		if (c->e.family && same_key(&c->e, family, addr, port) &&
		    c->expires_s > now_s) {
			*out = c->e;
			found = true;
		}
	}
	pthread_mutex_unlock(&t->lock);
	return found;
}
