/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The engine's heuristic side (see peergate/heuristics.h).  The peer cache
 * is an expectation table (expect.h): bounded, each entry living
 * peer_lifetime_s from when it was last named, the entry closest to
 * expiry giving way to a new one.
 */
#include "peergate/heuristics.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "peergate/btpeers.h"
#include "peergate/ed2kpeers.h"
#include "peergate/shape.h"
#include "peergate/expect.h"

struct pg_heuristics {
	struct pg_expect_table *peers;  /* BitTorrent's and eMule's, by system */
	bool own_peers;           /* made here, not shared with other engines */
	uint64_t off;             /* bit 1 << system: heuristics off */
	struct pg_heuristics_stats stats;
};

struct pg_heuristics *pg_heuristics_create(uint32_t max_peers, uint32_t peer_lifetime_s,
					   struct pg_expect_table *shared_peers)
{
	struct pg_heuristics *h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->own_peers = !shared_peers;
	h->peers = shared_peers ? shared_peers :
		      pg_expect_create(max_peers ? max_peers : 1,
				       peer_lifetime_s ? peer_lifetime_s : 1);
	if (!h->peers) {
		free(h);
		return NULL;
	}
	return h;
}

void pg_heuristics_destroy(struct pg_heuristics *h)
{
	if (!h)
		return;
	if (h->own_peers)
		pg_expect_destroy(h->peers);
	free(h);
}

void pg_heuristics_set_off(struct pg_heuristics *h, uint64_t systems)
{
	h->off = systems;
}

static bool on(const struct pg_heuristics *h, enum pg_system sys)
{
	return (unsigned)sys >= 64 || !(h->off >> sys & 1);
}

static bool found(struct pg_heuristic_class *out, enum pg_system sys, enum pg_feature feat,
		  uint8_t conf)
{
	out->system = sys;
	out->feature = feat;
	out->confidence = conf;
	return true;
}

struct learn_ctx {
	struct pg_heuristics *h;
	uint32_t now_s;
	enum pg_system system;
};

static void learn_peer(void *ctx, uint8_t family, const uint8_t *addr, uint16_t port,
		       enum pg_feature feat)
{
	struct learn_ctx *c = ctx;
	struct pg_expectation x = {
		.family = family,
		.port = port,
		.system = c->system,
		.feature = feat,
	};
	memcpy(x.addr, addr, family == 6 ? 16 : 4);
	pg_expect_add(c->h->peers, &x, c->now_s);
	if (c->system == PG_SYS_EDONKEY)
		c->h->stats.ed2k_peers_learned++;
	else
		c->h->stats.bt_peers_learned++;
}

void pg_heuristics_learn(struct pg_heuristics *h, const struct pg_flow *f, enum pg_dir dir,
			 const uint8_t *p, size_t n, uint32_t now_s)
{
	if (!n || (f->system != PG_SYS_EDONKEY && f->system != PG_SYS_BITTORRENT) ||
	    !on(h, (enum pg_system)f->system))
		return;
	/* an eD2k server's answers name the sources clients then connect to */
	if (f->system == PG_SYS_EDONKEY) {
		struct learn_ctx c = {h, now_s, PG_SYS_EDONKEY};
		if (f->l4proto == IPPROTO_TCP && f->feature == PG_FEAT_NETWORK &&
		    dir == PG_DIR_S2C)
			pg_ed2kpeers_server(p, n, learn_peer, &c);
		return;
	}
	struct learn_ctx c = {h, now_s, PG_SYS_BITTORRENT};
	if (f->l4proto == IPPROTO_TCP) {
		pg_btpeers_tcp(p, n, learn_peer, &c);
		return;
	}
	/* an LSD announce names its sender's peer port */
	uint16_t lsd = pg_btpeers_lsd_port(p, n);
	if (lsd)
		learn_peer(&c, f->family, dir == PG_DIR_C2S ? f->client_addr : f->server_addr,
			   lsd, PG_FEAT_DOWNLOAD);
	else
		pg_btpeers_udp(p, n, f->family, learn_peer, &c);
}

static bool known_peer(const struct pg_heuristics *h, const struct pg_flow *f, uint32_t now_s,
		       struct pg_expectation *x)
{
	return pg_expect_match(h->peers, f->family, f->server_addr, f->server_port, now_s, x) &&
	       on(h, x->system);
}

bool pg_heuristics_new_flow(struct pg_heuristics *h, const struct pg_flow *f, uint32_t now_s,
			    struct pg_heuristic_class *out)
{
	struct pg_expectation x;
	if (!known_peer(h, f, now_s, &x))
		return false;
	if (x.system == PG_SYS_EDONKEY) {
		h->stats.ed2k_peer_hits++;
		/* eMule clients take peers over TCP; their UDP port is another */
		if (f->server_port < 1024 || f->l4proto != IPPROTO_TCP)
			return false;
		return found(out, PG_SYS_EDONKEY, PG_FEAT_DOWNLOAD, PG_CONF_HEUR_PEER);
	}
	h->stats.bt_peer_hits++;
	if (f->server_port < 1024)
		return false;
	/* a TCP flow to a DHT node's address and port is its client's peer
	 * port: clients use one port for both */
	return found(out, PG_SYS_BITTORRENT,
		     f->l4proto == IPPROTO_TCP ? PG_FEAT_DOWNLOAD : x.feature, PG_CONF_HEUR_PEER);
}

static enum pg_shape max_shape(enum pg_shape a, enum pg_shape b)
{
	return a > b ? a : b;
}

/* The system of the learned peer a flow goes to, looked up once per call
 * and only when a shape needs it (the shared cache takes a lock). */
struct peer_memo {
	bool looked;
	enum pg_system system;
};

static enum pg_system peer_of(const struct pg_heuristics *h, const struct pg_flow *f,
			      uint32_t now_s, struct peer_memo *m)
{
	if (!m->looked) {
		struct pg_expectation x;
		m->looked = true;
		m->system = known_peer(h, f, now_s, &x) ? x.system : PG_SYS_UNKNOWN;
	}
	return m->system;
}

enum pg_shape pg_heuristics_shapes(struct pg_heuristics *h, const struct pg_flow *f,
				   const struct pg_turns *t, const uint8_t *c2s, size_t c2s_len,
				   const uint8_t *s2c, size_t s2c_len, uint32_t now_s,
				   struct pg_heuristic_class *out)
{
	enum pg_shape best = PG_SHAPE_NO, sh;
	struct peer_memo peer = {0};

	/* eMule's sizes fall inside MSE's: on eMule's ports, or to a source a
	 * server named (any port), they are eMule */
	if (on(h, PG_SYS_EDONKEY) && pg_shape_emule_server_port(f->server_port)) {
		sh = pg_shape_emule_server(t, c2s, c2s_len, s2c, s2c_len);
		if (sh == PG_SHAPE_YES) {
			found(out, PG_SYS_EDONKEY, PG_FEAT_NETWORK, PG_CONF_HEUR_PORT);
			return sh;
		}
		best = max_shape(best, sh);
	}
	if (on(h, PG_SYS_EDONKEY)) {
		sh = pg_shape_emule_client(t, c2s, c2s_len);
		bool own_port = pg_shape_emule_client_port(f->server_port);
		bool source = !own_port && sh != PG_SHAPE_NO &&
			      peer_of(h, f, now_s, &peer) == PG_SYS_EDONKEY;
		if (own_port || source) {
			if (sh == PG_SHAPE_YES) {
				found(out, PG_SYS_EDONKEY, PG_FEAT_DOWNLOAD,
				      source ? PG_CONF_HEUR_PEER : PG_CONF_HEUR_PORT);
				return sh;
			}
			best = max_shape(best, sh);
		}
	}
	if (on(h, PG_SYS_BITTORRENT)) {
		sh = pg_shape_mse(t, c2s, c2s_len, s2c, s2c_len);
		if (sh == PG_SHAPE_YES) {
			uint8_t conf = peer_of(h, f, now_s, &peer) == PG_SYS_BITTORRENT ?
					       PG_CONF_HEUR_PEER :
				       pg_shape_bittorrent_port(f->server_port) ? PG_CONF_HEUR_PORT :
										  PG_CONF_HEUR_SHAPE;
			found(out, PG_SYS_BITTORRENT, PG_FEAT_DOWNLOAD, conf);
			return sh;
		}
		best = max_shape(best, sh);
	}
	return best;
}

bool pg_heuristics_tls(const struct pg_heuristics *h, const struct pg_flow *f,
		       const char *host, size_t host_len, struct pg_heuristic_class *out)
{
	bool irc = false;
	unsigned conf = pg_shape_tls_chat(host, host_len, f->server_port, &irc);
	enum pg_system chat = irc ? PG_SYS_IRC : PG_SYS_XMPP;
	if (!conf || !on(h, chat))
		return false;
	return found(out, chat, PG_FEAT_IM, (uint8_t)conf);
}

void pg_heuristics_get_stats(const struct pg_heuristics *h, struct pg_heuristics_stats *out)
{
	*out = h->stats;
}

static const struct pg_heuristics_ops standard_ops = {
	.create = pg_heuristics_create,
	.destroy = pg_heuristics_destroy,
	.set_off = pg_heuristics_set_off,
	.learn = pg_heuristics_learn,
	.new_flow = pg_heuristics_new_flow,
	.shapes = pg_heuristics_shapes,
	.tls = pg_heuristics_tls,
	.get_stats = pg_heuristics_get_stats,
};

const struct pg_heuristics_ops *pg_heuristics_standard(void)
{
	return &standard_ops;
}
