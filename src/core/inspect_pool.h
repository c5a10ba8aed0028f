/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The engine's inspection slots and TCP reassembly (private to src/core).
 *
 * A flow under inspection holds a slot from a preallocated pool, so that
 * the fixed flow entry stays small.
 *
 * TCP: each direction's bytes are reassembled from the flow's first data
 * byte (known from the SYN) or, for a flow first seen mid-stream, from the
 * first payload seen.  The stream buffer holds the stream from that offset
 * on; len is how far it is contiguous, and only those bytes reach the
 * detectors.  Segments past len are held in place (a bitmap marks the held
 * bytes) until the gap before them fills.  Where segments overlap, the
 * bytes received first stand: a segment that would put other bytes in
 * their place is not read at all and is reported
 * (pg_packet_result.conflict), so that the gateway can keep it from the
 * receiver, which might otherwise assemble other bytes than the detectors
 * read.  Bytes past the buffer are not kept: the buffer is also the byte
 * budget, so a flow is decided by the time it is full.
 *
 * UDP: the last datagram per direction, so a detector can see a request
 * beside its reply.
 *
 * Holders are kept in order of when their detectors last got new bytes, so
 * that the pool cannot be held by idle flows (see idle_s).
 */
#ifndef PEERGATE_CORE_INSPECT_POOL_H
#define PEERGATE_CORE_INSPECT_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "peergate/direction.h"
#include "peergate/flow.h"
#include "peergate/packet.h"
#include "peergate/turns.h"

struct inspect_slot {
	uint64_t in_play;         /* bit i: detector i may still match */
	struct pg_flow *owner;    /* NULL while free */
	uint32_t next_free;       /* free-list link (index + 1) */
	uint32_t lru_prev, lru_next; /* holders, least recently fed first (index + 1) */
	uint32_t fed_s;           /* when the detectors last got new bytes */
	uint32_t base_seq[2];     /* TCP: sequence number of buffer offset 0 */
	uint32_t len[2];          /* TCP: contiguous bytes; UDP: last datagram */
	uint32_t held[2];         /* TCP: bytes held past len */
	uint32_t fed[2];          /* payload bytes the detectors got (budget) */
	uint32_t run_len[2];      /* TCP: len[d] when the detectors last ran */
	uint8_t seq_valid[2];     /* base_seq[d] is set */
	struct pg_turns turns;    /* TCP: who spoke how much, in turn */
	uint8_t buf[];            /* 2 * stream bytes, then two bitmaps of
				   * stream-bytes bits (TCP held bytes) */
};

struct pg_inspect_pool_stats {
	uint32_t slots_used;
	uint64_t slot_reclaims;
	uint64_t segments_held;
	uint64_t segments_beyond;
	uint64_t overlap_conflicts;
};

struct pg_inspect_pool;

/* count slots of stream_bytes per direction; a holder idle for idle_s
 * seconds may lose its slot to a flow that needs one (0: never).  NULL
 * when out of memory.  count may be 0: every TCP flow then starves. */
struct pg_inspect_pool *pg_inspect_pool_create(uint32_t count, uint32_t stream_bytes,
					       uint32_t idle_s);
void pg_inspect_pool_destroy(struct pg_inspect_pool *pool);

/* The slot f holds, NULL if none. */
struct inspect_slot *pg_inspect_slot_of(struct pg_inspect_pool *pool,
					const struct pg_flow *f);

/* f's slot, taken now if it has none (from the free list, or from the
 * holder idle longest: that flow is marked PG_FLOW_STREAM_LOST when TCP).
 * A new slot starts with in_play.  NULL when none can be had. */
struct inspect_slot *pg_inspect_acquire(struct pg_inspect_pool *pool, struct pg_flow *f,
					uint64_t in_play, uint32_t now_s);

/* Gives f's slot back, if it holds one. */
void pg_inspect_release(struct pg_inspect_pool *pool, struct pg_flow *f);

/* f's detectors got new bytes at now_s. */
void pg_inspect_fed(struct pg_inspect_pool *pool, const struct pg_flow *f, uint32_t now_s);

/* Direction d's buffer: the stream (TCP) or last datagram (UDP). */
uint8_t *pg_inspect_stream(const struct pg_inspect_pool *pool, struct inspect_slot *s,
			   enum pg_dir d);

/* What a segment did to its direction's stream. */
enum pg_seg_fate {
	PG_SEG_NOTHING_NEW, /* only bytes already received, or out of reach */
	PG_SEG_HELD,        /* new bytes, held behind a gap */
	PG_SEG_FED,         /* the contiguous stream grew */
	PG_SEG_CONFLICT,    /* other bytes where some were received: refused */
};

/* Adds TCP segment p to direction d's stream of f's slot s.  On
 * PG_SEG_FED, *fresh and *fresh_len are the bytes newly in order (in the
 * buffer, or in the packet when it runs past the buffer). */
enum pg_seg_fate pg_inspect_add_segment(struct pg_inspect_pool *pool, struct inspect_slot *s,
					const struct pg_flow *f, enum pg_dir d,
					const struct pg_packet *p,
					const uint8_t **fresh, size_t *fresh_len);

/* Where direction d's stream starts, from a SYN or SYN-ACK: kept unless
 * override, and never moved once that side's stream has begun. */
void pg_inspect_set_start(struct pg_inspect_pool *pool, struct pg_flow *f, enum pg_dir d,
			  uint32_t seq, bool override);

void pg_inspect_pool_get_stats(const struct pg_inspect_pool *pool,
			       struct pg_inspect_pool_stats *out);

#endif
