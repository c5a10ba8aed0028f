/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "peergate/syn_table.h"

#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* A connection as its SYN names it: client first. */
struct syn_key {
	uint8_t family;
	uint16_t sport, dport;
	uint8_t src[16], dst[16];
};

struct syn_slot {
	struct syn_key key;
	uint64_t seen_ms;
	uint16_t len;        /* 0: free */
	uint8_t bytes[PG_SYN_MAX];
};

struct pg_syn_table {
	struct syn_slot *slots;
	uint32_t mask;
	uint32_t max_age_ms;
	uint64_t hash_key;
	struct pg_syn_table_stats stats;
};

struct pg_syn_table *pg_syn_table_create(uint32_t slots, uint32_t max_age_ms,
					 uint64_t hash_key)
{
	struct pg_syn_table *t = calloc(1, sizeof(*t));
	uint32_t n = 64;

	if (!t)
		return NULL;
	while (n < slots && n < (1u << 24))
		n <<= 1;
	/* calloc: pages of slots never used are never touched. */
	t->slots = calloc(n, sizeof(*t->slots));
	if (!t->slots) {
		free(t);
		return NULL;
	}
	t->mask = n - 1;
	t->max_age_ms = max_age_ms;
	t->hash_key = hash_key;
	return t;
}

void pg_syn_table_destroy(struct pg_syn_table *t)
{
	if (!t)
		return;
	free(t->slots);
	free(t);
}

static struct syn_key key_of(const struct pg_packet *p, bool reversed)
{
	struct syn_key k;

	memset(&k, 0, sizeof(k));
	k.family = p->family;
	k.sport = reversed ? p->dport : p->sport;
	k.dport = reversed ? p->sport : p->dport;
	memcpy(k.src, reversed ? p->dst : p->src, sizeof(k.src));
	memcpy(k.dst, reversed ? p->src : p->dst, sizeof(k.dst));
	return k;
}

/* The slot of a connection: its fields mixed with the table's secret key
 * (64-bit multiply-xorshift rounds; not a cryptographic MAC, but without
 * the key a sender cannot tell which of its SYNs share a slot with a given
 * connection, so it can push that connection's SYN out only by flooding
 * the whole table, which the counters show).  A SYN pushed out only makes
 * its connection read from its first payload, as after a restart. */
static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v;
	h *= 0x9e3779b97f4a7c15ull;
	return h ^ (h >> 29);
}

static uint32_t slot_of(const struct pg_syn_table *t, const struct syn_key *k)
{
	uint64_t h = t->hash_key ^ 0x243f6a8885a308d3ull;
	uint64_t w;

	for (size_t i = 0; i < 16; i += 8) {
		memcpy(&w, k->src + i, 8);
		h = mix(h, w);
		memcpy(&w, k->dst + i, 8);
		h = mix(h, w);
	}
	h = mix(h, (uint64_t)k->sport << 24 | (uint64_t)k->dport << 8 | k->family);
	h = mix(h, t->hash_key >> 32);
	return (uint32_t)(h >> 32) & t->mask;
}

static bool same_key(const struct syn_key *a, const struct syn_key *b)
{
	return a->family == b->family && a->sport == b->sport && a->dport == b->dport &&
	       memcmp(a->src, b->src, sizeof(a->src)) == 0 &&
	       memcmp(a->dst, b->dst, sizeof(a->dst)) == 0;
}

int pg_syn_table_put(struct pg_syn_table *t, const uint8_t *ip, size_t len, uint64_t now_ms)
{
	struct pg_packet p;

	if (len > PG_SYN_MAX || pg_packet_parse(ip, len, &p) != PG_PARSE_OK ||
	    p.l4proto != IPPROTO_TCP || (p.tcp_flags & (PG_TCP_SYN | PG_TCP_ACK)) != PG_TCP_SYN ||
	    p.payload_len != 0) {
		t->stats.refused++;
		return -1;
	}
	struct syn_key k = key_of(&p, false);
	struct syn_slot *s = &t->slots[slot_of(t, &k)];
	if (s->len && !same_key(&s->key, &k))
		t->stats.replaced++;
	s->key = k;
	s->seen_ms = now_ms;
	s->len = (uint16_t)len;
	memcpy(s->bytes, ip, len);
	t->stats.kept++;
	return 0;
}

size_t pg_syn_table_take(struct pg_syn_table *t, const struct pg_packet *p, uint64_t now_ms,
			 uint8_t *buf, size_t cap)
{
	for (int reversed = 0; reversed < 2; reversed++) {
		struct syn_key k = key_of(p, reversed);
		struct syn_slot *s = &t->slots[slot_of(t, &k)];

		if (!s->len || !same_key(&s->key, &k))
			continue;
		size_t len = s->len;
		s->len = 0;
		if ((now_ms > s->seen_ms && now_ms - s->seen_ms > t->max_age_ms) || len > cap) {
			t->stats.stale++;
			return 0;
		}
		memcpy(buf, s->bytes, len);
		t->stats.taken++;
		return len;
	}
	return 0;
}

void pg_syn_table_get_stats(const struct pg_syn_table *t, struct pg_syn_table_stats *out)
{
	*out = t->stats;
}
