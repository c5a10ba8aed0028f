/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The expression builders (private to src/net/nft): a rule is started for
 * a chain, gets its expressions one e_* call at a time, and is appended to
 * a batch by rule_emit.  A failed allocation marks the rule; rule_emit
 * checks once, so the builders stay free of error plumbing.  Values are
 * compared in register 1 unless a builder says otherwise.
 */
#ifndef PEERGATE_NET_NFT_EXPR_H
#define PEERGATE_NET_NFT_EXPR_H

#include <stdbool.h>
#include <stdint.h>

#include <libnftnl/rule.h>

#include "netlink.h"
#include "peergate/nft_table.h"

struct rule {
	struct nftnl_rule *r;
	bool oom;
};

/* Starts a rule of chain (of table inet peergate). */
void pgnft_rule_start(struct rule *ru, const char *chain);

/* Loads: meta KEY or ct KEY into register 1 (or dreg); stores: register 1
 * into meta KEY or ct KEY (`meta mark set`, `ct mark set`). */
void e_meta_load_reg(struct rule *ru, uint32_t key, uint32_t dreg);
void e_meta_load(struct rule *ru, uint32_t key);
void e_ct_load(struct rule *ru, uint32_t key);
void e_ct_set(struct rule *ru, uint32_t key);
void e_meta_set(struct rule *ru, uint32_t key);

/* reg1 = (reg1 & mask) ^ xor over len bytes. */
void e_bitwise(struct rule *ru, uint32_t len, const void *mask,
	       const void *xor);
void e_bitwise_u32(struct rule *ru, uint32_t mask, uint32_t xor);

/* register 1 OP data */
void e_cmp(struct rule *ru, uint32_t op, const void *data, uint32_t len);
void e_cmp_u8(struct rule *ru, uint8_t v);
/* Marks live in registers in host byte order (that is how meta/ct load
 * them), so the constants are compared as host-order u32. */
void e_cmp_u32(struct rule *ru, uint32_t v);

/* len bytes at offset of a header (NFT_PAYLOAD_*_HEADER) into register 1
 * (or dreg). */
void e_payload_reg(struct rule *ru, uint32_t base, uint32_t offset,
		   uint32_t len, uint32_t dreg);
void e_payload(struct rule *ru, uint32_t base, uint32_t offset,
	       uint32_t len);

/* Register 1 in a set, by name and by the ID it has in this batch. */
void e_lookup(struct rule *ru, const char *set, uint32_t set_id);

/* An anonymous counter; a named counter object. */
void e_counter(struct rule *ru);
void e_counter_ref(struct rule *ru, const char *name);

/* `limit rate N/second burst B packets`: the rule goes on while under the
 * rate, else ends there (no verdict). */
void e_limit_per_second(struct rule *ru, uint32_t rate, uint32_t burst);
/* `log prefix "P" level L` (syslog level: kernel log). */
void e_log(struct rule *ru, const char *prefix, uint32_t level);
/* `log group G snaplen N queue-threshold 1`: to an NFLOG socket. */
void e_log_group(struct rule *ru, uint16_t group, uint32_t snaplen);

/* NF_ACCEPT, NF_DROP, NFT_RETURN ... */
void e_verdict(struct rule *ru, int verdict);

/* `jump CHAIN`: a regular chain whose `return` (or end) comes back here. */
void e_jump(struct rule *ru, const char *chain);
void e_reject_tcp_reset(struct rule *ru);

/* Starts a rule matching `ct mark & mask == value`. */
void pgnft_rule_start_ct_code(struct rule *ru, const char *chain, uint32_t mask,
			      uint32_t value);
/* Starts a rule matching `meta mark & mask == value`. */
void pgnft_rule_start_mark_code(struct rule *ru, const char *chain, uint32_t mask,
				uint32_t value);

/* `meta l4proto tcp` */
void e_is_tcp(struct rule *ru);
/* `tcp flags & bits OP value` */
void e_tcp_flags_cmp(struct rule *ru, uint8_t bits, uint32_t op, uint8_t value);
/* `tcp flags & bits == 0` (op NFT_CMP_EQ) or `!= 0` (NFT_CMP_NEQ) */
void e_tcp_flags(struct rule *ru, uint8_t bits, uint32_t op);

/* The queue statement of cfg, as kind says: native `queue`, or the xt
 * NFQUEUE target (revision 3) through nft_compat.  Never CPU fanout: the
 * packets of one flow must all reach the same queue (and so the same
 * classifier state), which the default flow hash over a queue range gives
 * and per-CPU spreading does not. */
void e_queue(struct rule *ru, const struct pg_nft_config *cfg,
	     enum pg_nft_queue_kind kind);

/* Appends the rule to the batch (described as fmt says) and frees it. */
__attribute__((format(printf, 4, 5)))
int pgnft_rule_emit(struct batch *b, struct rule *ru, bool queue,
		    const char *fmt, ...);

#endif
