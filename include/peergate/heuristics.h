/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The engine's heuristic side (method `heuristic`): flows with no
 * plaintext to read, classified by what else the gateway knows.
 *   - BitTorrent peers and DHT nodes that the swarm's own traffic names
 *     (DHT answers, trackers, PEX, LSD), kept in a bounded cache with a
 *     lifetime: a flow to one is BitTorrent before its first byte;
 *   - the eMule sources an eD2k server's answers name (ed2kpeers.h), in
 *     the same cache: a TCP flow to one is eMule before its first byte;
 *   - the handshake shapes of MSE and eMule's obfuscation (shape.h), with
 *     the port and the peer cache as further evidence;
 *   - IRC and XMPP over TLS, by server name and port.
 * Each system's heuristics can be off (policy `heuristics = off`).
 */
#ifndef PEERGATE_HEURISTICS_H
#define PEERGATE_HEURISTICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "peergate/direction.h"
#include "peergate/expect.h"
#include "peergate/flow.h"
#include "peergate/turns.h"

/* The confidences of heuristic matches (method `heuristic`), between a
 * port hint (10) and a wire signature (70 and up): how much evidence
 * there is besides the absence of every known protocol. */
enum {
	PG_CONF_HEUR_SHAPE = 50,  /* a handshake's shape alone */
	PG_CONF_HEUR_PORT = 60,   /* the shape on the system's own port, or a
				   * telling name (irc.*, xmpp.*) */
	PG_CONF_HEUR_PEER = 80,   /* a peer the gateway learned from the
				   * swarm (DHT, tracker, PEX, LSD) */
};

enum pg_shape {
	PG_SHAPE_NO = 0,          /* not this handshake */
	PG_SHAPE_MAYBE,           /* could still become it */
	PG_SHAPE_YES,
};

struct pg_heuristics;

/* Implemented in src/detect/heuristics.c (library pgdetect).  The engine
 * (pgcore) never calls these by name: it reaches them through the
 * pg_heuristics_ops table its configuration hands it (see the end of this
 * file), as it reaches the detectors through their registry. */

/* shared_peers: a peer cache (an expectation table, thread-safe) shared
 * with other engines, borrowed; NULL: one of max_peers entries of its own. */
struct pg_heuristics *pg_heuristics_create(uint32_t max_peers, uint32_t peer_lifetime_s,
					   struct pg_expect_table *shared_peers);
void pg_heuristics_destroy(struct pg_heuristics *h);

/* Systems (bit 1 << enum pg_system) whose heuristics are off. */
void pg_heuristics_set_off(struct pg_heuristics *h, uint64_t systems);

/* A class found by heuristics. */
struct pg_heuristic_class {
	enum pg_system system;
	enum pg_feature feature;
	uint8_t confidence;       /* PG_CONF_HEUR_* */
};

/* Reads the peers that n bytes of a BitTorrent flow f (from direction
 * dir), or the server-to-client bytes of an eD2k server connection, name;
 * other flows are ignored. */
void pg_heuristics_learn(struct pg_heuristics *h, const struct pg_flow *f, enum pg_dir dir,
			 const uint8_t *p, size_t n, uint32_t now_s);

/* A new flow to a learned peer: true, with the class, when that alone
 * decides it (server port 1024 and up; below, a forged DHT entry could
 * name any web or mail server, so it only adds to a shape). */
bool pg_heuristics_new_flow(struct pg_heuristics *h, const struct pg_flow *f, uint32_t now_s,
			    struct pg_heuristic_class *out);

/* The handshake shapes of a TCP flow read from its start in which no
 * known protocol matched: YES with the class, MAYBE while one could still
 * come, NO when none can. */
enum pg_shape pg_heuristics_shapes(struct pg_heuristics *h, const struct pg_flow *f,
				   const struct pg_turns *t, const uint8_t *c2s, size_t c2s_len,
				   const uint8_t *s2c, size_t s2c_len, uint32_t now_s,
				   struct pg_heuristic_class *out);

/* A TLS flow that named host (may be NULL): IRC or XMPP over TLS? */
bool pg_heuristics_tls(const struct pg_heuristics *h, const struct pg_flow *f,
		       const char *host, size_t host_len, struct pg_heuristic_class *out);

struct pg_heuristics_stats {
	uint64_t bt_peers_learned;  /* peers and DHT nodes learned */
	uint64_t bt_peer_hits;      /* new flows to a learned peer */
	uint64_t ed2k_peers_learned; /* eMule sources an eD2k server named */
	uint64_t ed2k_peer_hits;    /* new flows to such a source */
};

void pg_heuristics_get_stats(const struct pg_heuristics *h, struct pg_heuristics_stats *out);

/* The functions above as a table, for pg_engine_config.heuristics. */
struct pg_heuristics_ops {
	struct pg_heuristics *(*create)(uint32_t max_peers, uint32_t peer_lifetime_s,
					struct pg_expect_table *shared_peers);
	void (*destroy)(struct pg_heuristics *h);
	void (*set_off)(struct pg_heuristics *h, uint64_t systems);
	void (*learn)(struct pg_heuristics *h, const struct pg_flow *f, enum pg_dir dir,
		      const uint8_t *p, size_t n, uint32_t now_s);
	bool (*new_flow)(struct pg_heuristics *h, const struct pg_flow *f, uint32_t now_s,
			 struct pg_heuristic_class *out);
	enum pg_shape (*shapes)(struct pg_heuristics *h, const struct pg_flow *f,
				const struct pg_turns *t, const uint8_t *c2s, size_t c2s_len,
				const uint8_t *s2c, size_t s2c_len, uint32_t now_s,
				struct pg_heuristic_class *out);
	bool (*tls)(const struct pg_heuristics *h, const struct pg_flow *f,
		    const char *host, size_t host_len, struct pg_heuristic_class *out);
	void (*get_stats)(const struct pg_heuristics *h, struct pg_heuristics_stats *out);
};

#endif
