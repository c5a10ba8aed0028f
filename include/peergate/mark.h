/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The verdict mark layout.  peergate owns a contiguous group of mark bits
 * (mark_mask, default 0x07000000, at least 3 bits) and stores a small code
 * in it, both in the packet mark (NF_REPEAT path) and in the conntrack mark
 * (offload rules).  Codes 1-3 are verdicts: the table copies them from the
 * packet mark into the ct mark, and also settles a packet by its own mark,
 * so a stamped packet whose conntrack entry is missing (INVALID, untracked)
 * still leaves the chain at once instead of being queued again.  Code 4 is
 * never a verdict: the table puts it on queued packets that conntrack
 * calls INVALID, which can carry no ct mark, so the daemon answers them with
 * a final verdict instead of a stamp.
 */
#ifndef PEERGATE_MARK_H
#define PEERGATE_MARK_H

#include <stdbool.h>
#include <stdint.h>

enum pg_mark_code {
	PG_MARK_NONE = 0,         /* undecided: the flow goes to the queue */
	PG_MARK_ACCEPT = 1,       /* decided, allowed: accepted in the kernel */
	PG_MARK_BLOCK = 2,        /* decided, blocked: TCP reset, else drop */
	PG_MARK_DROP = 3,         /* decided, blocked: silent drop */
	PG_MARK_CT_INVALID = 4,   /* set by the table: conntrack INVALID, no
				   * ct entry; packet mark only, never copied */
};

/* The verdict codes (what a stamp may carry). */
static inline bool pg_mark_is_verdict(enum pg_mark_code code)
{
	return code == PG_MARK_ACCEPT || code == PG_MARK_BLOCK || code == PG_MARK_DROP;
}

#define PG_MARK_DEFAULT_MASK 0x07000000u

static inline unsigned pg_mark_shift(uint32_t mask)
{
	return mask ? (unsigned)__builtin_ctz(mask) : 0;
}

static inline uint32_t pg_mark_value(uint32_t mask, enum pg_mark_code code)
{
	return ((uint32_t)code << pg_mark_shift(mask)) & mask;
}

static inline enum pg_mark_code pg_mark_code_of(uint32_t mask, uint32_t mark)
{
	return (enum pg_mark_code)((mark & mask) >> pg_mark_shift(mask));
}

/* A usable mask is contiguous and holds every code above (3 bits). */
static inline bool pg_mark_mask_valid(uint32_t mask)
{
	if (!mask)
		return false;
	uint32_t low = mask >> pg_mark_shift(mask);
	return (low & (low + 1)) == 0 && low >= PG_MARK_CT_INVALID;
}

#endif
