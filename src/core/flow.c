/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "peergate/flow.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

/* Two LRU lists so that each is ordered by one idle timeout: expiry then
 * only looks at the tails. */
enum { LRU_TCP = 0, LRU_OTHER = 1 };

struct lru {
	uint32_t head, tail;      /* indices + 1 */
};

struct pg_flow_table {
	struct pg_flow_config cfg;
	struct pg_flow *flows;    /* cfg.max_flows slots */
	uint32_t *buckets;        /* indices + 1 */
	uint32_t bucket_mask;
	uint32_t free_head;       /* free list through hash_next, index + 1 */
	/* Slots from here on were never used.  They are handed out in order
	 * instead of being threaded onto the free list at creation, so that a
	 * table touches (and the process pays RSS for) only the slots its
	 * flows have needed so far. */
	uint32_t never_used;
	uint32_t next_id;
	uint64_t seed;
	struct lru lru[2];
	struct pg_flow_stats stats;
	pg_flow_end_cb on_end;
	void *cb_ctx;
};

static size_t addr_len(uint8_t family)
{
	return family == 6 ? 16 : 4;
}

static uint64_t mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

static uint64_t hash_endpoint(uint64_t seed, const uint8_t *addr, size_t alen,
			      uint16_t port)
{
	uint64_t h = seed ^ port;
	for (size_t i = 0; i < alen; i += 4) {
		uint32_t w;
		memcpy(&w, addr + i, 4);
		h = mix64(h ^ w);
	}
	return h;
}

/* Symmetric in the two endpoints, so both directions land in one bucket. */
static uint32_t hash_packet(const struct pg_flow_table *t,
			    const struct pg_packet *p)
{
	size_t alen = addr_len(p->family);
	uint64_t a = hash_endpoint(t->seed, p->src, alen, p->sport);
	uint64_t b = hash_endpoint(t->seed, p->dst, alen, p->dport);
	return (uint32_t)mix64((a + b) ^ ((uint64_t)p->l4proto << 8 | p->family));
}

static int lru_of(const struct pg_flow *f)
{
	return f->l4proto == IPPROTO_TCP ? LRU_TCP : LRU_OTHER;
}

static uint32_t idx_of(const struct pg_flow_table *t, const struct pg_flow *f)
{
	return (uint32_t)(f - t->flows) + 1;
}

static void lru_unlink(struct pg_flow_table *t, struct pg_flow *f)
{
	struct lru *l = &t->lru[lru_of(f)];
	if (f->lru_prev)
		t->flows[f->lru_prev - 1].lru_next = f->lru_next;
	else
		l->head = f->lru_next;
	if (f->lru_next)
		t->flows[f->lru_next - 1].lru_prev = f->lru_prev;
	else
		l->tail = f->lru_prev;
	f->lru_prev = f->lru_next = 0;
}

static void lru_push_head(struct pg_flow_table *t, struct pg_flow *f)
{
	struct lru *l = &t->lru[lru_of(f)];
	uint32_t i = idx_of(t, f);
	f->lru_prev = 0;
	f->lru_next = l->head;
	if (l->head)
		t->flows[l->head - 1].lru_prev = i;
	l->head = i;
	if (!l->tail)
		l->tail = i;
}

static uint32_t bucket_of_flow(const struct pg_flow_table *t,
			       const struct pg_flow *f)
{
	struct pg_packet p = {
		.family = f->family, .l4proto = f->l4proto,
		.sport = f->client_port, .dport = f->server_port,
	};
	memcpy(p.src, f->client_addr, 16);
	memcpy(p.dst, f->server_addr, 16);
	return hash_packet(t, &p) & t->bucket_mask;
}

static void remove_flow(struct pg_flow_table *t, struct pg_flow *f)
{
	uint32_t i = idx_of(t, f);
	uint32_t *link = &t->buckets[bucket_of_flow(t, f)];

	while (*link && *link != i)
		link = &t->flows[*link - 1].hash_next;
	if (*link == i)
		*link = f->hash_next;
	lru_unlink(t, f);
	if (t->on_end)
		t->on_end(f, t->cb_ctx);
	memset(f, 0, sizeof(*f));
	f->hash_next = t->free_head;
	t->free_head = i;
	t->stats.active--;
}

struct pg_flow_table *pg_flow_table_create(const struct pg_flow_config *cfg,
					   pg_flow_end_cb on_end, void *ctx)
{
	struct pg_flow_table *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->cfg = *cfg;
	t->on_end = on_end;
	t->cb_ctx = ctx;

	uint32_t nb = 1;
	while (nb < cfg->max_flows && nb < (1u << 30))
		nb <<= 1;
	t->bucket_mask = nb - 1;
	t->buckets = calloc(nb, sizeof(*t->buckets));
	t->flows = calloc(cfg->max_flows ? cfg->max_flows : 1, sizeof(*t->flows));
	if (!t->buckets || !t->flows) {
		free(t->buckets);
		free(t->flows);
		free(t);
		return NULL;
	}
	/* A per-table seed keeps remote senders from aiming at one bucket. */
	if (getrandom(&t->seed, sizeof(t->seed), GRND_NONBLOCK) != sizeof(t->seed))
		t->seed = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ULL;
	return t;
}

void pg_flow_flush(struct pg_flow_table *t)
{
	for (int l = 0; l < 2; l++)
		while (t->lru[l].tail)
			remove_flow(t, &t->flows[t->lru[l].tail - 1]);
}

void pg_flow_table_destroy(struct pg_flow_table *t)
{
	if (!t)
		return;
	pg_flow_flush(t);
	free(t->buckets);
	free(t->flows);
	free(t);
}

/* Both sides hold IPv4 addresses in the first 4 of 16 bytes and zeros
 * after them (a parsed packet starts zeroed, a flow entry too), so whole
 * 16-byte compares are right for both families, and a constant size lets
 * the compiler compare in registers instead of calling memcmp. */
static bool same_addr16(const uint8_t *a, const uint8_t *b)
{
	return memcmp(a, b, 16) == 0;
}

static bool matches(const struct pg_flow *f, const struct pg_packet *p,
		    enum pg_dir *dir)
{
	if (f->family != p->family || f->l4proto != p->l4proto)
		return false;
	if (f->client_port == p->sport && f->server_port == p->dport &&
	    same_addr16(f->client_addr, p->src) && same_addr16(f->server_addr, p->dst)) {
		*dir = PG_DIR_C2S;
		return true;
	}
	if (f->client_port == p->dport && f->server_port == p->sport &&
	    same_addr16(f->client_addr, p->dst) && same_addr16(f->server_addr, p->src)) {
		*dir = PG_DIR_S2C;
		return true;
	}
	return false;
}

struct pg_flow *pg_flow_find(struct pg_flow_table *t,
			     const struct pg_packet *pkt, enum pg_dir *dir)
{
	uint32_t i = t->buckets[hash_packet(t, pkt) & t->bucket_mask];
	while (i) {
		struct pg_flow *f = &t->flows[i - 1];
		if (matches(f, pkt, dir))
			return f;
		i = f->hash_next;
	}
	return NULL;
}

static uint32_t timeout_of(const struct pg_flow_table *t, const struct pg_flow *f)
{
	return f->l4proto == IPPROTO_TCP ? t->cfg.tcp_timeout_s : t->cfg.udp_timeout_s;
}

static bool is_expired(const struct pg_flow_table *t, const struct pg_flow *f,
		       uint32_t now_s)
{
	return now_s >= f->last_seen_s && now_s - f->last_seen_s > timeout_of(t, f);
}

/* The least recently used flow over both lists. */
static struct pg_flow *oldest(struct pg_flow_table *t)
{
	struct pg_flow *a = t->lru[0].tail ? &t->flows[t->lru[0].tail - 1] : NULL;
	struct pg_flow *b = t->lru[1].tail ? &t->flows[t->lru[1].tail - 1] : NULL;
	if (!a)
		return b;
	if (!b)
		return a;
	return a->last_seen_s <= b->last_seen_s ? a : b;
}

/* Takes a free slot (evicting the least recently used flow when none is
 * left) for a new flow between src and dst of pkt; reversed makes dst the
 * client. */
static struct pg_flow *create_flow(struct pg_flow_table *t, const struct pg_packet *pkt,
				   bool reversed, uint32_t now_s)
{
	if (!t->free_head && t->never_used < t->cfg.max_flows) {
		t->free_head = ++t->never_used;
		t->flows[t->free_head - 1].hash_next = 0;
	}
	if (!t->free_head) {
		struct pg_flow *victim = oldest(t);
		if (is_expired(t, victim, now_s))
			t->stats.expired++;
		else
			t->stats.evicted++;
		remove_flow(t, victim);
	}
	uint32_t i = t->free_head;
	struct pg_flow *f = &t->flows[i - 1];
	t->free_head = f->hash_next;
	memset(f, 0, sizeof(*f));

	size_t alen = addr_len(pkt->family);
	f->family = pkt->family;
	f->l4proto = pkt->l4proto;
	memcpy(f->client_addr, reversed ? pkt->dst : pkt->src, alen);
	memcpy(f->server_addr, reversed ? pkt->src : pkt->dst, alen);
	f->client_port = reversed ? pkt->dport : pkt->sport;
	f->server_port = reversed ? pkt->sport : pkt->dport;
	f->id = ++t->next_id;
	f->first_seen_s = f->last_seen_s = now_s;

	uint32_t b = hash_packet(t, pkt) & t->bucket_mask;
	f->hash_next = t->buckets[b];
	t->buckets[b] = i;
	lru_push_head(t, f);
	t->stats.created++;
	t->stats.active++;
	return f;
}

/* A packet of a known flow: it is the most recently used now. */
static struct pg_flow *touch_flow(struct pg_flow_table *t, struct pg_flow *f, uint32_t now_s)
{
	f->last_seen_s = now_s;
	lru_unlink(t, f);
	lru_push_head(t, f);
	return f;
}

/* A SYN (without ACK) for a tracked TCP flow is a new connection on the
 * same addresses and ports (a client reusing its port, as TIME_WAIT reuse
 * allows), unless it is the retransmitted SYN of the flow's own client:
 * the new connection must be read from its first byte, not take the old
 * one's verdict.  Conntrack lets such a SYN start a new connection only
 * where the old one is over (others it calls INVALID, and the daemon does
 * not look them up), so a stray SYN cannot end a live flow here. */
static bool starts_new_connection(const struct pg_flow *f, const struct pg_packet *pkt,
				  enum pg_dir dir)
{
	if (pkt->l4proto != IPPROTO_TCP ||
	    (pkt->tcp_flags & (PG_TCP_SYN | PG_TCP_ACK)) != PG_TCP_SYN)
		return false;
	return !(dir == PG_DIR_C2S && (f->flags & PG_FLOW_START_C2S) &&
		 f->start_seq[PG_DIR_C2S] == pkt->tcp_seq + 1);
}

struct pg_flow *pg_flow_lookup(struct pg_flow_table *t,
			       const struct pg_packet *pkt, uint32_t now_s,
			       enum pg_dir *dir, bool *created)
{
	*created = false;
	struct pg_flow *f = pg_flow_find(t, pkt, dir);
	if (f && is_expired(t, f, now_s)) {
		t->stats.expired++;
		remove_flow(t, f);
		f = NULL;
	}
	if (f && starts_new_connection(f, pkt, *dir)) {
		t->stats.reused++;
		remove_flow(t, f);
		f = NULL;
	}
	if (f)
		return touch_flow(t, f, now_s);
	if (t->cfg.max_flows == 0)
		return NULL;
	bool reversed;
	bool syn = pkt->l4proto == IPPROTO_TCP && (pkt->tcp_flags & PG_TCP_SYN);
	if (syn)
		reversed = (pkt->tcp_flags & PG_TCP_ACK) != 0;
	else
		reversed = t->cfg.is_service_port &&
			   t->cfg.is_service_port(pkt->l4proto, pkt->sport) &&
			   !t->cfg.is_service_port(pkt->l4proto, pkt->dport);
	f = create_flow(t, pkt, reversed, now_s);
	if (syn)
		f->flags |= PG_FLOW_FROM_START;
	*dir = reversed ? PG_DIR_S2C : PG_DIR_C2S;
	*created = true;
	return f;
}

struct pg_flow *pg_flow_insert(struct pg_flow_table *t, uint8_t family, uint8_t l4proto,
			       const uint8_t *client, uint16_t client_port,
			       const uint8_t *server, uint16_t server_port, uint32_t now_s,
			       bool *created)
{
	struct pg_packet p;
	enum pg_dir dir;
	size_t alen = addr_len(family);

	*created = false;
	memset(&p, 0, sizeof(p));
	p.family = family;
	p.l4proto = l4proto;
	memcpy(p.src, client, alen);
	memcpy(p.dst, server, alen);
	p.sport = client_port;
	p.dport = server_port;
	struct pg_flow *f = pg_flow_find(t, &p, &dir);
	if (f)
		return touch_flow(t, f, now_s);
	if (t->cfg.max_flows == 0)
		return NULL;
	*created = true;
	return create_flow(t, &p, false, now_s);
}

unsigned pg_flow_expire(struct pg_flow_table *t, uint32_t now_s)
{
	unsigned n = 0;
	for (int l = 0; l < 2; l++) {
		while (t->lru[l].tail) {
			struct pg_flow *f = &t->flows[t->lru[l].tail - 1];
			if (!is_expired(t, f, now_s))
				break;
			remove_flow(t, f);
			t->stats.expired++;
			n++;
		}
	}
	return n;
}

void pg_flow_foreach(struct pg_flow_table *t,
		     void (*fn)(struct pg_flow *flow, void *ctx), void *ctx)
{
	for (int l = 0; l < 2; l++) {
		uint32_t i = t->lru[l].head;
		while (i) {
			struct pg_flow *f = &t->flows[i - 1];
			i = f->lru_next;
			fn(f, ctx);
		}
	}
}

uint32_t pg_flow_index(const struct pg_flow_table *t, const struct pg_flow *f)
{
	return (uint32_t)(f - t->flows);
}

void pg_flow_get_stats(const struct pg_flow_table *t, struct pg_flow_stats *out)
{
	*out = t->stats;
}
