/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The classification engine: packets in, flow classes out.  The daemon and
 * offline `peergatectl classify` both drive this same code.  One engine is
 * used by one thread; engines on several threads may share the DNS-answer
 * cache and the expectation table (see pg_engine_config).
 */
#ifndef PEERGATE_ENGINE_H
#define PEERGATE_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "peergate/flow.h"
#include "peergate/hosts.h"

struct pg_engine;
struct pg_detector_group;

struct pg_engine_config {
	/* The payload detectors, asked group by group in this order (the
	 * first 64 are used), ended by a group whose list is NULL; NULL: none,
	 * flows are classed by port, host and correlation only.  Borrowed: it
	 * must outlive the engine.  The standard set is pg_detector_registry()
	 * (peergate/detect_registry.h, library pgdetect). */
	const struct pg_detector_group *detectors;
	uint32_t max_flows;
	uint32_t tcp_timeout_s;
	uint32_t udp_timeout_s;
	/* The inspection budget, per direction: a flow is decided at the
	 * latest once one direction has brought the detectors inspect_bytes
	 * bytes of in-order payload (also the size of its reassembly buffer)
	 * or inspect_packets payload packets with new bytes (1..255, a
	 * backstop on detector runs for streams cut into tiny segments). */
	uint32_t inspect_packets;
	uint32_t inspect_bytes;
	uint32_t max_inspecting;     /* flows that can hold a reassembly slot */
	/* A slot holder whose detectors got no new bytes for this long gives
	 * its slot up to a flow that needs one when none is free; 0 = never. */
	uint32_t inspect_idle_s;
	/* What the caller does with a packet reported `starved`: true, it
	 * drops it (fail closed), so the engine does not read it either and
	 * the flow's stream stays whole for a slot found later; false, it
	 * lets it through, so the engine reads it on its own and the flow is
	 * read packet by packet from then on (PG_FLOW_STREAM_LOST). */
	bool starved_dropped;
	uint32_t dns_cache_entries;
	uint32_t max_expectations;
	/* The heuristics (method `heuristic`: learned peers, handshake
	 * shapes, chat over TLS); NULL: none.  The standard table is
	 * pg_heuristics_standard() (peergate/detect_registry.h). */
	const struct pg_heuristics_ops *heuristics;
	/* BitTorrent peers learned from the swarm's own traffic (DHT
	 * answers, trackers, PEX, LSD) and kept bt_peer_lifetime_s: a flow to
	 * one is BitTorrent before its first byte (method `heuristic`). */
	uint32_t max_bt_peers;
	uint32_t bt_peer_lifetime_s;
	/* Systems (bit 1 << enum pg_system) whose heuristic matches are off
	 * (policy `heuristics = off`): their flows are never classified by
	 * handshake shape, learned peers or TLS names and ports alone. */
	uint64_t heuristics_off;
	/* State that crosses flows, shared by several engines (the daemon's
	 * workers: a DNS answer or an announcement read on one queue serves
	 * a flow on another).  Both are thread-safe and borrowed: they must
	 * outlive the engine.  NULL: the engine makes its own, sized by
	 * dns_cache_entries and max_expectations. */
	struct pg_dns_cache *dns_cache;
	struct pg_expect_table *expect;
	/* The same for the BitTorrent peers the heuristics learn (a DHT
	 * answer on one queue names the peer of a flow on another); NULL:
	 * max_bt_peers of the engine's own. */
	struct pg_expect_table *bt_peers;
	bool record_hosts;           /* keep the host name each flow named
				      * (64 bytes per flow slot) */
	pg_flow_end_cb on_flow_end;  /* optional: a flow leaves the table */
	void *cb_ctx;
};

void pg_engine_config_defaults(struct pg_engine_config *cfg);

struct pg_engine_stats {
	uint64_t packets;
	uint64_t bytes;
	uint64_t malformed;
	uint64_t fragments;          /* non-first fragments, skipped */
	uint64_t not_tracked;        /* not IP, or neither TCP nor UDP */
	uint64_t too_deep;           /* IPv6 extension chains past the limit */
	/* TCP payload packets of undecided flows that could not be added to
	 * their stream: no slot was free (or the flow had lost its slot). */
	uint64_t starved_packets;
	uint64_t starved_flows;      /* flows with at least one such packet */
	uint64_t slot_reclaims;      /* slots taken from an idle holder */
	uint64_t segments_held;      /* out-of-order TCP segments kept for a gap */
	uint64_t segments_beyond;    /* TCP segments past the buffer, ignored */
	uint64_t overlap_conflicts;  /* TCP segments refused: their bytes differ
				      * from those received before for the same
				      * place (see pg_packet_result.conflict) */
	uint32_t slots_used;         /* inspection slots held now */
	uint32_t slots;              /* max_inspecting */
	uint64_t dns_learned;
	uint64_t expectations;       /* announced peer flows recorded */
	uint64_t bt_peers_learned;   /* BitTorrent peers and DHT nodes learned */
	uint64_t bt_peer_hits;       /* flows to a learned peer */
	uint64_t ed2k_peers_learned; /* eMule sources named by eD2k servers */
	uint64_t ed2k_peer_hits;     /* flows to such a source */
	uint64_t heuristic_matches;  /* flows classified with method heuristic */
	uint64_t decided;
	struct pg_flow_stats flows;
};

/* host rules are borrowed: they must outlive the engine or be replaced with
 * pg_engine_set_host_rules() first.  NULL means no host rules. */
struct pg_engine *pg_engine_create(const struct pg_engine_config *cfg,
				   const struct pg_host_rules *hosts);
void pg_engine_destroy(struct pg_engine *e);

void pg_engine_set_host_rules(struct pg_engine *e,
			      const struct pg_host_rules *hosts);

/* Replaces pg_engine_config.heuristics_off (a reload): flows classified
 * from now on follow the new mask. */
void pg_engine_set_heuristics_off(struct pg_engine *e, uint64_t systems);

enum pg_engine_status {
	PG_ENGINE_TRACKED = 0,       /* *flow and *dir are set */
	PG_ENGINE_MALFORMED,
	PG_ENGINE_FRAGMENT,
	PG_ENGINE_NOT_TRACKED,
	PG_ENGINE_UNINSPECTABLE,     /* a packet of a kind peergate refuses to
				      * read (an over-long IPv6 extension
				      * chain): the fail policy decides */
};

struct pg_packet_result {
	struct pg_flow *flow;        /* valid until the next engine call */
	enum pg_dir dir;
	bool created;                /* this packet created the flow */
	bool just_decided;           /* this packet decided the flow's class */
	/* The flow is still undecided and this TCP payload packet could not
	 * be added to its stream (no inspection slot, or the flow lost its
	 * slot): the caller drops it or lets it through per its fail policy,
	 * as pg_engine_config.starved_dropped says. */
	bool starved;
	/* The flow is still undecided and this TCP segment carries bytes that
	 * differ from those already received for the same place in its stream.
	 * None of it was read.  The caller should drop it: let through, the
	 * receiver could assemble other bytes than the detectors read (a
	 * receiver that never got the first ones, or one that keeps the last
	 * ones); a sender's retransmission never changes its bytes. */
	bool conflict;
};

/* Processes one IP packet (starting at the IP header) seen at now_ms. */
enum pg_engine_status pg_engine_packet(struct pg_engine *e, const uint8_t *ip,
				       size_t len, uint64_t now_ms,
				       struct pg_packet_result *out);

/* Finds the tracked flow of a packet without counting, creating or
 * inspecting anything: for packets whose bytes must not reach the
 * detectors (conntrack called them INVALID: a bad checksum, impossible
 * flags, outside the window), yet whose flow's verdict still applies.
 * PG_ENGINE_TRACKED with out->flow NULL: a well-formed packet of no
 * tracked flow. */
enum pg_engine_status pg_engine_find(struct pg_engine *e, const uint8_t *ip,
				     size_t len, struct pg_packet_result *out);

/* Expires idle flows; call about once a second. */
void pg_engine_tick(struct pg_engine *e, uint64_t now_ms);

void pg_engine_foreach_flow(struct pg_engine *e,
			    void (*fn)(struct pg_flow *flow, void *ctx),
			    void *ctx);

/* Puts back a flow that a previous run decided (a restart): the identity,
 * class, proxy, flags and counters of saved, and host (NULL or "" for none)
 * when record_hosts is on.  The flow is decided: it is never inspected
 * again, and a watched control flow is still read for announcements.
 * Returns the tracked flow, or NULL when the table holds no flows. */
struct pg_flow *pg_engine_restore_flow(struct pg_engine *e, const struct pg_flow *saved,
				       const char *host, uint64_t now_ms);

/* e's own copy of the flow between f's client and server (either
 * direction), as another engine saw it, or NULL: the daemon saves and
 * lists one copy of a flow that several engines track (a restored flow). */
const struct pg_flow *pg_engine_twin(struct pg_engine *e, const struct pg_flow *f);

/* Removes every flow (on_flow_end is called for each). */
void pg_engine_flush(struct pg_engine *e);

/* The host name the flow's bytes or a DNS answer named (SNI, Host header,
 * proxy target ...), "" when none or when record_hosts is off.  Valid for a
 * tracked flow, including inside on_flow_end. */
const char *pg_engine_flow_host(const struct pg_engine *e, const struct pg_flow *f);

void pg_engine_get_stats(const struct pg_engine *e, struct pg_engine_stats *out);

#endif
