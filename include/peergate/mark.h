/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The verdict mark layout.  peergate owns a contiguous group of mark bits
 * (mark_mask, default 0x07000000) and stores a small code in it, both in the
 * packet mark (NF_REPEAT path) and in the conntrack mark (offload rules).
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
};

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

/* A usable mask is contiguous and holds at least the codes above. */
static inline bool pg_mark_mask_valid(uint32_t mask)
{
	if (!mask)
		return false;
	uint32_t low = mask >> pg_mark_shift(mask);
	return (low & (low + 1)) == 0 && low >= PG_MARK_DROP;
}

#endif
