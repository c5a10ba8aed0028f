/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the keys of the table's sets look like (private to src/net/nft):
 * nft's datatype numbers, and the layout of a blocked-flow key, which the
 * set (objects.c), its rule (chain.c) and the elements the daemon adds
 * (dyn.c) must agree on.
 */
#ifndef PEERGATE_NET_NFT_KEYS_H
#define PEERGATE_NET_NFT_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* nft's datatype numbers (its enum datatypes); a set's key type is what
 * makes `nft list` print it as, e.g., `type inet_service`.  A concatenated
 * key's type is the fields' numbers, PG_NFT_TYPE_BITS each, the first
 * field in the highest bits. */
#define PG_NFT_TYPE_IPADDR 7
#define PG_NFT_TYPE_IP6ADDR 8
#define PG_NFT_TYPE_INET_PROTO 12
#define PG_NFT_TYPE_INET_SERVICE 13
#define PG_NFT_TYPE_BITS 6

/* The key of a blocked-flow element is what the rule's loads leave in the
 * registers: saddr . l4proto . sport . daddr . dport, each field starting
 * on a 32-bit register and zero-padded to it (the kernel zeroes the rest
 * of a register on a short load).  20 bytes for IPv4, 44 for IPv6. */
#define PG_NFT_FLOW_KEY_LEN(alen) (2u * (alen) + 12u)
#define PG_NFT_FLOW_KEY_MAX PG_NFT_FLOW_KEY_LEN(16u)

/* The key type of blocked4 (v6 false) or blocked6. */
uint32_t pgnft_flow_key_type(bool v6);

/* Writes the key of src:sport -> dst:dport (alen-byte addresses, ports in
 * host order) to key; returns its length. */
uint32_t pgnft_flow_key(uint8_t key[PG_NFT_FLOW_KEY_MAX], size_t alen,
			uint8_t l4proto, const uint8_t *src, uint16_t sport,
			const uint8_t *dst, uint16_t dport);

#endif
