/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Blocked flows, added by the daemon at run time to the sets blocked4 and
 * blocked6 of table inet peergate (see nft_table.h for why, their key and
 * their size).
 */
#ifndef PEERGATE_NFT_DYN_H
#define PEERGATE_NFT_DYN_H

#include <stddef.h>
#include <stdint.h>

/* A netlink socket kept open for pg_nft_dyn_block, so that each call
 * costs one sendmsg and one read of the ACK.  Not thread-safe: one user at
 * a time.  Returns NULL with a message in err on failure. */
struct pg_nft_dyn;

struct pg_nft_dyn *pg_nft_dyn_open(char *err, size_t errlen);

/* Adds the flow src:sport -> dst:dport of l4proto (IPPROTO_TCP or
 * IPPROTO_UDP) to blocked4 (family 4, addresses of 4 bytes) or blocked6
 * (family 6, 16 bytes), both directions, with a timeout of timeout_ms
 * (at least 1), in one atomic batch: both elements or neither.  Ports are
 * in host byte order.  Adding a flow that is already there succeeds and
 * restarts its timeout.
 * Returns 0, or -1 with errno set and a message in err: ENFILE when the
 * set is full, ENOENT when the table or the set does not exist, EINVAL for
 * bad arguments. */
int pg_nft_dyn_block(struct pg_nft_dyn *d, uint8_t family, uint8_t l4proto,
		     const uint8_t *src, uint16_t sport, const uint8_t *dst,
		     uint16_t dport, uint32_t timeout_ms, char *err,
		     size_t errlen);

/* NULL is fine. */
void pg_nft_dyn_close(struct pg_nft_dyn *d);

#endif
