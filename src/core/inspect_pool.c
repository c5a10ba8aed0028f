/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Inspection slots and TCP reassembly for the engine: see inspect_pool.h.
 */
#include "inspect_pool.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

struct pg_inspect_pool {
	uint8_t *slots;
	uint32_t count;
	uint32_t stream_bytes;    /* per direction */
	uint32_t idle_s;
	size_t slot_size;
	size_t map_bytes;         /* one direction's held-byte bitmap */
	uint32_t free_slot;       /* index + 1 */
	/* Slots from here on were never used: handed out in order rather
	 * than threaded onto the free list at creation, so that an idle pool
	 * costs address space, not memory (calloc's pages stay untouched). */
	uint32_t never_used;
	uint32_t lru_head, lru_tail; /* holders, least recently fed first */
	struct pg_inspect_pool_stats stats;
};

static struct inspect_slot *slot_at(const struct pg_inspect_pool *pool, uint32_t idx1)
{
	return (struct inspect_slot *)(pool->slots + (size_t)(idx1 - 1) * pool->slot_size);
}

static uint8_t *held_map(const struct pg_inspect_pool *pool, struct inspect_slot *s,
			 enum pg_dir d)
{
	return s->buf + 2 * (size_t)pool->stream_bytes + (size_t)d * pool->map_bytes;
}

uint8_t *pg_inspect_stream(const struct pg_inspect_pool *pool, struct inspect_slot *s,
			   enum pg_dir d)
{
	return s->buf + (size_t)d * pool->stream_bytes;
}

struct pg_inspect_pool *pg_inspect_pool_create(uint32_t count, uint32_t stream_bytes,
					       uint32_t idle_s)
{
	struct pg_inspect_pool *pool = calloc(1, sizeof(*pool));
	if (!pool)
		return NULL;
	pool->count = count;
	pool->stream_bytes = stream_bytes;
	pool->idle_s = idle_s;
	pool->map_bytes = (stream_bytes + 7) / 8;
	pool->slot_size = (sizeof(struct inspect_slot) + 2 * (size_t)stream_bytes +
			   2 * pool->map_bytes + 7) & ~(size_t)7;
	if (count && !(pool->slots = calloc(count, pool->slot_size))) {
		free(pool);
		return NULL;
	}
	return pool;
}

void pg_inspect_pool_destroy(struct pg_inspect_pool *pool)
{
	if (!pool)
		return;
	free(pool->slots);
	free(pool);
}

struct inspect_slot *pg_inspect_slot_of(struct pg_inspect_pool *pool,
					const struct pg_flow *f)
{
	return f->inspect_slot ? slot_at(pool, f->inspect_slot) : NULL;
}

static void lru_unlink(struct pg_inspect_pool *pool, uint32_t idx1)
{
	struct inspect_slot *s = slot_at(pool, idx1);
	if (s->lru_prev)
		slot_at(pool, s->lru_prev)->lru_next = s->lru_next;
	else
		pool->lru_head = s->lru_next;
	if (s->lru_next)
		slot_at(pool, s->lru_next)->lru_prev = s->lru_prev;
	else
		pool->lru_tail = s->lru_prev;
	s->lru_prev = s->lru_next = 0;
}

static void lru_append(struct pg_inspect_pool *pool, uint32_t idx1)
{
	struct inspect_slot *s = slot_at(pool, idx1);
	s->lru_prev = pool->lru_tail;
	s->lru_next = 0;
	if (pool->lru_tail)
		slot_at(pool, pool->lru_tail)->lru_next = idx1;
	else
		pool->lru_head = idx1;
	pool->lru_tail = idx1;
}

void pg_inspect_fed(struct pg_inspect_pool *pool, const struct pg_flow *f, uint32_t now_s)
{
	slot_at(pool, f->inspect_slot)->fed_s = now_s;
	if (pool->lru_tail != f->inspect_slot) {
		lru_unlink(pool, f->inspect_slot);
		lru_append(pool, f->inspect_slot);
	}
}

void pg_inspect_release(struct pg_inspect_pool *pool, struct pg_flow *f)
{
	if (!f->inspect_slot)
		return;
	struct inspect_slot *s = slot_at(pool, f->inspect_slot);
	lru_unlink(pool, f->inspect_slot);
	/* Held bits are cleared as the stream passes them, so a slot comes
	 * back clean unless its flow left bytes held behind a gap: clear
	 * those here, once, rather than both bitmaps on every acquire (a
	 * never-used slot is zero from calloc). */
	if (s->held[PG_DIR_C2S] || s->held[PG_DIR_S2C])
		memset(held_map(pool, s, PG_DIR_C2S), 0, 2 * pool->map_bytes);
	s->owner = NULL;
	s->next_free = pool->free_slot;
	pool->free_slot = f->inspect_slot;
	f->inspect_slot = 0;
	pool->stats.slots_used--;
}

/* Takes the slot of the holder whose detectors have waited longest for new
 * bytes, if that is at least idle_s.  Its flow cannot be read as one stream
 * any more (its bytes so far went through and are gone with the buffer); a
 * UDP flow loses only its last datagrams. */
static bool reclaim_slot(struct pg_inspect_pool *pool, uint32_t now_s)
{
	if (!pool->lru_head || !pool->idle_s)
		return false;
	struct inspect_slot *s = slot_at(pool, pool->lru_head);
	if (now_s < s->fed_s || now_s - s->fed_s < pool->idle_s)
		return false;
	struct pg_flow *victim = s->owner;
	if (victim->l4proto == IPPROTO_TCP)
		victim->flags |= PG_FLOW_STREAM_LOST;
	pg_inspect_release(pool, victim);
	pool->stats.slot_reclaims++;
	return true;
}

struct inspect_slot *pg_inspect_acquire(struct pg_inspect_pool *pool, struct pg_flow *f,
					uint64_t in_play, uint32_t now_s)
{
	if (f->inspect_slot)
		return slot_at(pool, f->inspect_slot);
	if (!pool->free_slot && pool->never_used < pool->count)
		pool->free_slot = ++pool->never_used;
	if (!pool->free_slot && !reclaim_slot(pool, now_s))
		return NULL;
	uint32_t idx = pool->free_slot;
	struct inspect_slot *s = slot_at(pool, idx);
	pool->free_slot = s->next_free;
	memset(s, 0, sizeof(*s));
	f->inspect_slot = idx;
	s->owner = f;
	s->in_play = in_play;
	s->fed_s = now_s;
	lru_append(pool, idx);
	pool->stats.slots_used++;
	return s;
}

static unsigned start_flag(enum pg_dir d)
{
	return d == PG_DIR_C2S ? PG_FLOW_START_C2S : PG_FLOW_START_S2C;
}

void pg_inspect_set_start(struct pg_inspect_pool *pool, struct pg_flow *f, enum pg_dir d,
			  uint32_t seq, bool override)
{
	if (f->inspect_slot && slot_at(pool, f->inspect_slot)->seq_valid[d])
		return; /* that side's stream has begun */
	if ((f->flags & start_flag(d)) && !override)
		return;
	f->start_seq[d] = seq;
	f->flags |= (uint8_t)start_flag(d);
}

static bool bit_test(const uint8_t *map, size_t i)
{
	return map[i / 8] >> (i % 8) & 1;
}

static void bit_set(uint8_t *map, size_t i)
{
	map[i / 8] |= (uint8_t)(1u << (i % 8));
}

static void bit_clear(uint8_t *map, size_t i)
{
	map[i / 8] &= (uint8_t)~(1u << (i % 8));
}

/* Stores the bytes of a segment that lie past the contiguous stream
 * (behind a gap, or over held bytes), then moves the stream's end over
 * every byte now contiguous. */
static enum pg_seg_fate hold_segment(struct pg_inspect_pool *pool, struct inspect_slot *s,
				     enum pg_dir d, const uint8_t *data, size_t start,
				     size_t stop, const uint8_t **fresh, size_t *fresh_len)
{
	const size_t cap = pool->stream_bytes, len = s->len[d];
	uint8_t *buf = pg_inspect_stream(pool, s, d);
	uint8_t *map = held_map(pool, s, d);
	bool stored = false;
	for (size_t pos = start > len ? start : len; pos < stop; pos++) {
		if (bit_test(map, pos))
			continue;
		buf[pos] = data[pos - start];
		bit_set(map, pos);
		s->held[d]++;
		stored = true;
	}
	while (s->len[d] < cap && bit_test(map, s->len[d])) {
		bit_clear(map, s->len[d]);
		s->held[d]--;
		s->len[d]++;
	}
	if (s->len[d] > len) {
		*fresh = buf + len;
		*fresh_len = s->len[d] - len;
		return PG_SEG_FED;
	}
	if (!stored)
		return PG_SEG_NOTHING_NEW;
	pool->stats.segments_held++;
	return PG_SEG_HELD;
}

enum pg_seg_fate pg_inspect_add_segment(struct pg_inspect_pool *pool, struct inspect_slot *s,
					const struct pg_flow *f, enum pg_dir d,
					const struct pg_packet *p,
					const uint8_t **fresh, size_t *fresh_len)
{
	const size_t cap = pool->stream_bytes;
	uint8_t *buf = pg_inspect_stream(pool, s, d);
	uint8_t *map = held_map(pool, s, d);
	const uint8_t *data = p->payload;
	size_t n = p->payload_len;
	/* A SYN's sequence number is its own; its data (TCP Fast Open)
	 * starts one later. */
	uint32_t seq = p->tcp_seq + ((p->tcp_flags & PG_TCP_SYN) ? 1u : 0u);

	if (!s->seq_valid[d]) {
		s->seq_valid[d] = 1;
		s->base_seq[d] = (f->flags & start_flag(d)) ? f->start_seq[d] : seq;
	}
	int64_t off = (int32_t)(seq - s->base_seq[d]);
	if (off < 0) {
		/* begins before the stream: only its tail can be new */
		if ((uint64_t)-off >= n)
			return PG_SEG_NOTHING_NEW;
		data += -off;
		n -= (size_t)-off;
		off = 0;
	}
	size_t start = (size_t)off, end = start + n, len = s->len[d];
	if (start >= cap) {
		pool->stats.segments_beyond++;
		return PG_SEG_NOTHING_NEW;
	}
	size_t stop = end < cap ? end : cap;
	/* The bytes received first stand; a segment that says otherwise is
	 * not read at all (see pg_packet_result.conflict). */
	bool conflict = start < len &&
			memcmp(buf + start, data, (end < len ? end : len) - start) != 0;
	for (size_t pos = start > len ? start : len; s->held[d] && pos < stop; pos++)
		conflict |= bit_test(map, pos) && buf[pos] != data[pos - start];
	if (conflict) {
		pool->stats.overlap_conflicts++;
		return PG_SEG_CONFLICT;
	}
	if (end <= len)
		return PG_SEG_NOTHING_NEW;
	if (start <= len && !s->held[d]) {
		/* in order, nothing held: the usual case */
		size_t skip = len - start;
		memcpy(buf + len, data + skip, stop - len);
		s->len[d] = (uint32_t)stop;
		*fresh = data + skip;
		*fresh_len = n - skip;
		return PG_SEG_FED;
	}
	return hold_segment(pool, s, d, data, start, stop, fresh, fresh_len);
}

void pg_inspect_pool_get_stats(const struct pg_inspect_pool *pool,
			       struct pg_inspect_pool_stats *out)
{
	*out = pool->stats;
}
