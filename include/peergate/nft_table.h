/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The table peergate owns, `inet peergate`, as a configuration, and the two
 * ways to put it into the kernel: pg_nft_apply and pg_nft_flush.  peergate
 * never touches any other table.  The table is installed, and updated in
 * place on a reload, in one netlink batch that the kernel commits whole or
 * not at all; an update keeps the base chains (and with them their hooks
 * and the packets waiting in the queue) and replaces everything else.
 *
 * Chain layout (per hook chosen in the policy), in this order (the
 * README's chain diagram; src/net/nft/chain.c builds one step each):
 *   1. ct mark code ACCEPT, packet unstamped -> accept (the fast path)
 *   2. packet mark has a verdict code  -> copy it into the ct mark
 *   3. packet mark code ACCEPT / BLOCK / DROP -> settle the stamped packet
 *   4. ct mark code ACCEPT             -> accept
 *      ct mark code BLOCK              -> TCP: reject with tcp reset; else drop
 *      ct mark code DROP               -> drop
 *   5. 5-tuple in set blocked4/blocked6 -> counter, drop (flows the daemon
 *                                         blocked, see nft_dyn.h)
 *   6. jump to chain `exceptions` (only when there are allow prefixes):
 *        inspect prefixes (saddr, daddr) -> return (inspect wins over allow)
 *        allow prefixes (saddr, daddr)   -> accept
 *   7. destination port in the union of the port sets -> jump to chain
 *      `port_blocks`: per-(system, feature, proto) port sets -> log
 *      (limited), counter, drop
 *   8. ct state invalid                -> packet mark code CT_INVALID
 *   9. TCP with payload                -> NFQUEUE; other empty TCP and
 *                                         SYN-ACKs -> accept; a new
 *                                         connection's SYN -> NFLOG
 *                                         (syn_log) and accept, else NFQUEUE
 *  10. everything else                 -> NFQUEUE (native `queue`, or the xt
 *                                         NFQUEUE target via nft_compat)
 *
 * Why step 5: a verdict stamped into the ct mark (NF_REPEAT path) lives in
 * the conntrack entry, and the entry of a flow whose first packet is
 * dropped is never confirmed, so the stamp dies with it and every later
 * packet of the flow is queued again (typical for UDP: a DHT query, a STUN
 * binding).  The daemon therefore also puts such flows, both directions,
 * into a set with a timeout, and the kernel drops them without user space.
 */
#ifndef PEERGATE_NFT_TABLE_H
#define PEERGATE_NFT_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "peergate/policy.h"
#include "peergate/taxonomy.h"

#define PG_NFT_TABLE "peergate"

/* The regular chain holding the exception rules (step 6 above). */
#define PG_NFT_EXCEPTIONS_CHAIN "exceptions"

/* Step 7: the regular chain holding the port-set rules, entered only by
 * packets whose destination port is in one of the sets: the sets' union
 * per protocol (PG_NFT_PORTS_TCP, PG_NFT_PORTS_UDP, interval sets built
 * from the port sets) is one lookup in the base chain, so a packet to any
 * other port pays one lookup instead of two rules per port set. */
#define PG_NFT_PORT_BLOCKS_CHAIN "port_blocks"
#define PG_NFT_PORTS_TCP "blocked_ports_tcp"
#define PG_NFT_PORTS_UDP "blocked_ports_udp"

/* The sets of blocked flows (step 5), and their named counters of the same
 * names.  Key: saddr . l4proto . sport . daddr . dport (nft types
 * `ipv4_addr . inet_proto . inet_service . ipv4_addr . inet_service`, and
 * ipv6_addr for blocked6); every element has a timeout.
 *
 * Size: each set holds at most PG_NFT_BLOCKED_SIZE elements unless the
 * configuration says otherwise, i.e. half as many flows (a flow is two
 * elements, one per direction).  The kernel keeps a set's elements in a
 * hash; measured on 6.18, 128 bytes per IPv4 and 167 per IPv6 element, so
 * a full set at the default size holds 8 or 10.5 MiB of kernel memory.
 * A full set refuses new elements (ENFILE), and the daemon then falls back
 * to per-packet verdicts for those flows; expired elements are reclaimed
 * by the kernel's set garbage collection (about once a second).
 * Every pg_nft_apply (e.g. on a policy reload) starts both sets empty. */
#define PG_NFT_BLOCKED4 "blocked4"
#define PG_NFT_BLOCKED6 "blocked6"
#define PG_NFT_BLOCKED_SIZE 65536u

/* The NFLOG group of the SYN log is this plus the first queue number (so
 * that daemons on other queues use other groups), and each SYN is copied
 * up to PG_NFT_SYN_SNAPLEN bytes (see PG_SYN_MAX). */
#define PG_NFT_SYN_LOG_GROUP_BASE 0x7067u
#define PG_NFT_SYN_SNAPLEN 192u

struct pg_nft_range {
	uint16_t lo, hi;
};

/* One kernel-side port block: a named set and a named counter, both called
 * "<system>_<feature>_<tcp|udp>" (dashes in feature names become '_'). */
struct pg_nft_portset {
	enum pg_system system;
	enum pg_feature feature;
	uint8_t l4proto;
	size_t count;
	struct pg_nft_range ranges[16];
	/* A data system's name (systems.h); "" for a built-in system. */
	char system_name[32];
};

struct pg_nft_config {
	unsigned hooks;                 /* enum pg_hook bits */
	uint16_t queue_first;
	uint16_t queue_count;           /* >1: fanout over a range */
	bool queue_bypass;              /* accept when nobody listens (fail-open) */
	uint32_t mark_mask;             /* see mark.h */
	bool tcp_reset;                 /* BLOCK on TCP answers with a reset */
	const struct pg_nft_portset *sets;
	size_t nsets;
	const struct pg_prefix *allow;  /* exception prefixes, never queued */
	size_t nallow;
	/* Prefixes that are always inspected: a flow from or to one of them
	 * is never accepted by the allow prefixes (inspect wins). */
	const struct pg_prefix *inspect;
	size_t ninspect;
	uint32_t blocked_size;          /* elements per blocked set; 0: PG_NFT_BLOCKED_SIZE */
	/* Drops by a port set are logged by the kernel (`log`), at most this
	 * many a second per set; 0: not logged. */
	uint32_t portset_log_rate;
	/* A new connection's SYN (without payload) is logged to NFLOG group
	 * syn_log_group and accepted, instead of queued: the daemon reads
	 * it from there (nflog.h, syn_table.h).  false: SYNs are queued. */
	bool syn_log;
	uint16_t syn_log_group;
};

enum pg_nft_queue_kind {
	PG_NFT_QUEUE_NATIVE = 0,        /* nft `queue` expression */
	PG_NFT_QUEUE_COMPAT,            /* xt NFQUEUE v3 through nft_compat */
};

const char *pg_nft_queue_kind_name(enum pg_nft_queue_kind k);

/* Makes the table what cfg says, in one batch: creates it when it is
 * missing, else updates it in place.  Base chains on the hooks cfg keeps
 * stay (their netfilter hooks are never unregistered, so packets waiting
 * in the queue are not dropped) and get new rules; the other chains, all
 * sets (the blocked-flow sets come back empty), the named counters (they
 * restart at zero) and anything else in the table are replaced or removed.
 * The native queue expression is tried first, then the compat target.  On
 * failure nothing changes; returns -1 and writes a message naming the
 * object the kernel refused into err.  On success err holds "" or, when
 * the native queue expression was refused, a note saying so. */
int pg_nft_apply(const struct pg_nft_config *cfg,
		 enum pg_nft_queue_kind *used, char *err, size_t errlen);

/* Deletes the table (no error when it does not exist). */
int pg_nft_flush(char *err, size_t errlen);

/* Deletes the table and says whether there was one (*existed); its
 * absence is not an error.  Returns 0, or -1 with err filled. */
int pg_nft_delete(bool *existed, char *err, size_t errlen);

#endif
