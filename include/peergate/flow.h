/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The flow table: preallocated, bounded, keyed by the 5-tuple so both
 * directions map to one flow.  When full, the least recently used flow is
 * evicted.  Idle flows expire after a per-protocol timeout.  Time is passed
 * in by the caller (milliseconds), so offline replay uses capture time.
 */
#ifndef PEERGATE_FLOW_H
#define PEERGATE_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "peergate/direction.h"
#include "peergate/taxonomy.h"
#include "peergate/packet.h"

struct pg_flow_table;

enum pg_flow_state {
	PG_FLOW_INSPECTING = 0,
	PG_FLOW_DECIDED,          /* class final: no more inspection */
};

/* pg_flow.flags bits set by the engine. */
enum {
	/* A decided IM control flow (AIM/ICQ BOS, MSN, Yahoo, IRC, XMPP) that
	 * is still read for announced peer connections (rendezvous, invites,
	 * DCC offers), so it must not be offloaded while allowed. */
	PG_FLOW_WATCH = 1u << 0,
	/* A TCP flow created by its SYN (or SYN-ACK): seen from the start. */
	PG_FLOW_FROM_START = 1u << 1,
	/* A payload packet of this undecided TCP flow found no inspection
	 * slot (set once, for the flow count in the stats). */
	PG_FLOW_STARVED = 1u << 2,
	/* The flow's bytes can no longer be read as one stream from its
	 * start: its slot was reclaimed after bytes had gone through, or a
	 * starved packet was let through unread.  From then on it is read
	 * packet by packet at most (see pg_engine_config.starved_dropped). */
	PG_FLOW_STREAM_LOST = 1u << 3,
	/* start_seq[PG_DIR_C2S] / [PG_DIR_S2C] is known (from that side's SYN). */
	PG_FLOW_START_C2S = 1u << 4,
	PG_FLOW_START_S2C = 1u << 5,
	/* Decided because its TCP stream spent the run cap (inspect-packets)
	 * before its byte budget: cut finer than to be read; the fail
	 * policy decides its verdict. */
	PG_FLOW_CUT = 1u << 6,
	/* Classified by a vendor's address range (a data file's `ranges`),
	 * not yet decided: its first payload may still say which of that
	 * system's features it is (a call through a relay in the range of
	 * the vendor's messaging servers). */
	PG_FLOW_BY_RANGE = 1u << 7,
};

/* Fixed per-flow state; detector scratch lives in the engine's side pool. */
struct pg_flow {
	uint8_t client_addr[16];
	uint8_t server_addr[16];
	uint16_t client_port;
	uint16_t server_port;
	uint8_t family;
	uint8_t l4proto;
	uint8_t state;            /* enum pg_flow_state */
	uint8_t system;           /* enum pg_system */
	uint8_t feature;          /* enum pg_feature */
	uint8_t method;           /* enum pg_method */
	uint8_t confidence;
	uint8_t action;           /* owner-defined (policy verdict) */
	uint8_t payload_pkts[2];  /* payload packets per direction that brought
				     the detectors new bytes (saturating) */
	uint8_t flags;            /* PG_FLOW_* */
	uint8_t via_proxy;        /* enum pg_feature of the proxy (socks4, socks5,
				     http-connect) the flow's inner class was
				     read through; 0 = none */
	uint32_t id;              /* creation order, for stable output */
	uint32_t inspect_slot;    /* engine side-pool slot + 1, 0 = none */
	uint32_t first_seen_s;    /* seconds, caller's clock */
	uint32_t last_seen_s;
	uint32_t packets[2];      /* per direction (enum pg_dir) */
	uint32_t start_seq[2];    /* TCP: sequence number of each side's first
				     data byte (its SYN's + 1), see
				     PG_FLOW_START_C2S/S2C */
	uint64_t bytes[2];        /* IP bytes per direction */
	/* table links (indices + 1; 0 = none) */
	uint32_t hash_next;
	uint32_t lru_prev, lru_next;
};

struct pg_flow_config {
	uint32_t max_flows;
	uint32_t tcp_timeout_s;       /* idle timeout, established TCP */
	uint32_t udp_timeout_s;
	/* Optional: true for ports that name a service.  A flow first seen
	 * mid-stream (no SYN) or over UDP, from a service port to a
	 * non-service port, is taken to be a server's reply. */
	bool (*is_service_port)(uint8_t l4proto, uint16_t port);
};

/* Called for each flow removed from the table (expiry, eviction, destroy)
 * before its slot is reused. */
typedef void (*pg_flow_end_cb)(const struct pg_flow *flow, void *ctx);

struct pg_flow_stats {
	uint64_t created;
	uint64_t evicted;         /* pushed out by LRU when full */
	uint64_t expired;         /* idle timeout */
	uint64_t reused;          /* ended by a new connection's SYN on the
				     same addresses and ports */
	uint32_t active;
};

struct pg_flow_table *pg_flow_table_create(const struct pg_flow_config *cfg,
					   pg_flow_end_cb on_end, void *ctx);
/* Calls on_end for every remaining flow, then frees. NULL is fine. */
void pg_flow_table_destroy(struct pg_flow_table *t);

/* Finds the flow of pkt or creates it; sets *dir to the packet's direction
 * and *created when new.  The client is the sender of the first packet seen,
 * except that a SYN-ACK seen first makes its receiver the client, and a
 * packet without SYN from a service port to another port (see
 * is_service_port) makes its receiver the client.  A SYN that starts a new
 * connection on a tracked flow's addresses and ports ends that flow and
 * creates a new one (a retransmitted SYN does not).  Returns NULL only
 * when max_flows is 0. */
struct pg_flow *pg_flow_lookup(struct pg_flow_table *t,
			       const struct pg_packet *pkt, uint32_t now_s,
			       enum pg_dir *dir, bool *created);

/* Finds the flow between client and server (either direction) or creates
 * it with exactly this client and server, as when a flow is carried over
 * from a previous run.  Sets *created when new.  Returns NULL only when
 * max_flows is 0. */
struct pg_flow *pg_flow_insert(struct pg_flow_table *t, uint8_t family, uint8_t l4proto,
			       const uint8_t *client, uint16_t client_port,
			       const uint8_t *server, uint16_t server_port, uint32_t now_s,
			       bool *created);

/* Looks a flow up without creating it or touching its LRU position. */
struct pg_flow *pg_flow_find(struct pg_flow_table *t,
			     const struct pg_packet *pkt, enum pg_dir *dir);

/* Removes flows idle past their timeout at now_s; returns how many. */
unsigned pg_flow_expire(struct pg_flow_table *t, uint32_t now_s);

/* Removes every flow, calling on_end for each. */
void pg_flow_flush(struct pg_flow_table *t);

void pg_flow_foreach(struct pg_flow_table *t,
		     void (*fn)(struct pg_flow *flow, void *ctx), void *ctx);

/* The flow's slot number, 0 .. max_flows-1 (stable while it is tracked). */
uint32_t pg_flow_index(const struct pg_flow_table *t, const struct pg_flow *f);

void pg_flow_get_stats(const struct pg_flow_table *t, struct pg_flow_stats *out);

#endif
