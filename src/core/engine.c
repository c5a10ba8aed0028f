/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The classification engine.  Per packet: parse, snoop DNS answers, find the
 * flow, and while the flow is inspected run the detectors still in play over
 * its bytes.  Class only becomes more specific: port hint < weak payload <
 * decisive payload/host/correlation; once decided, a flow is never
 * inspected again.
 */
#include "peergate/engine.h"

#include <netinet/in.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "peergate/dns.h"
#include "peergate/expect.h"
#include "peergate/heuristics.h"
#include "peergate/ports.h"

#include "detect_input.h"
#include "inspect_pool.h"

enum {
	MAX_DETECTORS = 64,
	HOST_SEEN_LEN = 64,
	/* A watched control flow is read for announcements up to this many
	 * packets, then released to the kernel like any other. */
	WATCH_MAX_PACKETS = 20000,
};

struct pg_engine {
	struct pg_engine_config cfg;
	struct pg_flow_table *flows;
	const struct pg_host_rules *hosts;
	struct pg_dns_cache *dns;
	struct pg_expect_table *expect;
	const struct pg_heuristics_ops *hops; /* NULL: no heuristics */
	struct pg_heuristics *heur;
	bool own_dns, own_expect;     /* made here, not given by the config */
	const struct pg_detector *detectors[MAX_DETECTORS];
	unsigned ndetectors;
	uint64_t policed_mask;    /* detectors from the IM/P2P lists */
	uint64_t tcp_mask, udp_mask; /* detectors that read TCP / UDP */
	struct pg_inspect_pool *pool;
	uint32_t last_tick_s;
	char (*hosts_seen)[HOST_SEEN_LEN]; /* per flow slot, with record_hosts */
	struct pg_engine_stats stats;
};

void pg_engine_config_defaults(struct pg_engine_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_flows = 65536;
	cfg->tcp_timeout_s = 600;
	cfg->udp_timeout_s = 120;
	cfg->inspect_packets = 128;
	cfg->inspect_bytes = 4096;
	cfg->max_inspecting = 4096;
	cfg->inspect_idle_s = 10;
	cfg->dns_cache_entries = 16384;
	cfg->max_expectations = 4096;
	cfg->max_bt_peers = 8192;
	cfg->bt_peer_lifetime_s = 1800;
}

static void remember_host(struct pg_engine *e, const struct pg_flow *f,
			  const char *name, size_t len)
{
	if (!e->hosts_seen || !len)
		return;
	char *dst = e->hosts_seen[pg_flow_index(e->flows, f)];
	if (len >= HOST_SEEN_LEN)
		len = HOST_SEEN_LEN - 1;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		/* names come from the wire: keep them printable */
		dst[i] = (c > 0x20 && c < 0x7f && c != '"' && c != '\\') ? (char)c : '?';
	}
	dst[len] = '\0';
}

const struct pg_flow *pg_engine_twin(struct pg_engine *e, const struct pg_flow *f)
{
	struct pg_packet p = {
		.family = f->family, .l4proto = f->l4proto,
		.sport = f->client_port, .dport = f->server_port,
	};
	enum pg_dir dir;

	memcpy(p.src, f->client_addr, sizeof(p.src));
	memcpy(p.dst, f->server_addr, sizeof(p.dst));
	return pg_flow_find(e->flows, &p, &dir);
}

const char *pg_engine_flow_host(const struct pg_engine *e, const struct pg_flow *f)
{
	return e->hosts_seen ? e->hosts_seen[pg_flow_index(e->flows, f)] : "";
}

static void flow_ended(const struct pg_flow *flow, void *ctx)
{
	struct pg_engine *e = ctx;
	/* The flow table hands out a const view; the slot index is ours. */
	pg_inspect_release(e->pool, (struct pg_flow *)flow);
	if (e->cfg.on_flow_end)
		e->cfg.on_flow_end(flow, e->cfg.cb_ctx);
	if (e->hosts_seen)
		e->hosts_seen[pg_flow_index(e->flows, flow)][0] = '\0';
}

/* Well-known ports and the port table's: the side holding one is the
 * server when a flow is first seen mid-stream. */
static bool is_service_port(uint8_t l4proto, uint16_t port)
{
	enum pg_system sys;
	enum pg_feature feat;
	return port < 1024 || pg_port_hint(l4proto, port, &sys, &feat);
}

/* The detectors that read this transport. */
static uint64_t detectors_for(const struct pg_engine *e, uint8_t l4proto)
{
	return l4proto == IPPROTO_TCP ? e->tcp_mask : e->udp_mask;
}

static void add_group(struct pg_engine *e, const struct pg_detector *const *list,
		      bool policed)
{
	for (size_t i = 0; list[i] && e->ndetectors < MAX_DETECTORS; i++) {
		uint64_t bit = 1ull << e->ndetectors;
		if (policed)
			e->policed_mask |= bit;
		if (list[i]->l4_mask & PG_L4_TCP)
			e->tcp_mask |= bit;
		if (list[i]->l4_mask & PG_L4_UDP)
			e->udp_mask |= bit;
		e->detectors[e->ndetectors++] = list[i];
	}
}

struct pg_engine *pg_engine_create(const struct pg_engine_config *cfg,
				   const struct pg_host_rules *hosts)
{
	struct pg_engine *e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->cfg = *cfg;
	if (e->cfg.inspect_packets < 1)
		e->cfg.inspect_packets = 1;
	if (e->cfg.inspect_packets > 255)
		e->cfg.inspect_packets = 255;
	if (e->cfg.inspect_bytes < 256)
		e->cfg.inspect_bytes = 256;
	if (e->cfg.inspect_bytes > 65535)
		e->cfg.inspect_bytes = 65535;
	e->hosts = hosts;
	for (const struct pg_detector_group *g = cfg->detectors; g && g->list; g++)
		add_group(e, g->list, g->policed);

	struct pg_flow_config fc = {
		.max_flows = cfg->max_flows,
		.tcp_timeout_s = cfg->tcp_timeout_s,
		.udp_timeout_s = cfg->udp_timeout_s,
		.is_service_port = is_service_port,
	};
	e->flows = pg_flow_table_create(&fc, flow_ended, e);
	e->own_dns = !cfg->dns_cache;
	e->own_expect = !cfg->expect;
	e->dns = cfg->dns_cache ? cfg->dns_cache :
		pg_dns_cache_create(cfg->dns_cache_entries ? cfg->dns_cache_entries : 1);
	e->expect = cfg->expect ? cfg->expect :
		pg_expect_create(cfg->max_expectations ? cfg->max_expectations : 1, 120);
	e->pool = pg_inspect_pool_create(cfg->max_inspecting, e->cfg.inspect_bytes,
					 cfg->inspect_idle_s);
	e->hops = cfg->heuristics;
	if (e->hops) {
		e->heur = e->hops->create(cfg->max_bt_peers, cfg->bt_peer_lifetime_s,
					  cfg->bt_peers);
		if (e->heur)
			e->hops->set_off(e->heur, cfg->heuristics_off);
	}
	e->stats.slots = cfg->max_inspecting;
	if (cfg->record_hosts && cfg->max_flows &&
	    !(e->hosts_seen = calloc(cfg->max_flows, sizeof(*e->hosts_seen)))) {
		pg_engine_destroy(e);
		return NULL;
	}
	if (!e->flows || !e->dns || !e->expect || !e->pool || (e->hops && !e->heur)) {
		pg_engine_destroy(e);
		return NULL;
	}
	return e;
}

void pg_engine_destroy(struct pg_engine *e)
{
	if (!e)
		return;
	pg_flow_table_destroy(e->flows);
	if (e->own_dns)
		pg_dns_cache_destroy(e->dns);
	if (e->own_expect)
		pg_expect_destroy(e->expect);
	pg_inspect_pool_destroy(e->pool);
	if (e->heur)
		e->hops->destroy(e->heur);
	free(e->hosts_seen);
	free(e);
}

void pg_engine_set_host_rules(struct pg_engine *e, const struct pg_host_rules *hosts)
{
	e->hosts = hosts;
}

void pg_engine_set_heuristics_off(struct pg_engine *e, uint64_t systems)
{
	e->cfg.heuristics_off = systems;
	if (e->heur)
		e->hops->set_off(e->heur, systems);
}

struct dns_learn_ctx {
	struct pg_engine *e;
	uint32_t now_s;
};

static void dns_answer(void *ctx, uint8_t family, const uint8_t *addr,
		       const char *name, uint32_t ttl_s)
{
	struct dns_learn_ctx *c = ctx;
	enum pg_system sys;
	enum pg_feature feat;
	/* Only names that map to a system are kept: the cache stays small and
	 * never holds shared CDN names that no rule asks about. */
	if (!pg_host_rules_match(c->e->hosts, name, strlen(name), &sys, &feat))
		return;
	pg_dns_cache_learn(c->e->dns, family, addr, name, strlen(name), ttl_s, c->now_s);
	c->e->stats.dns_learned++;
}

static void snoop_dns(struct pg_engine *e, const struct pg_packet *p, uint32_t now_s)
{
	struct dns_learn_ctx c = {e, now_s};
	if (!e->hosts || p->sport != 53)
		return;
	if (p->l4proto == IPPROTO_UDP) {
		pg_dns_parse_response(p->payload, p->payload_len, dns_answer, &c);
	} else if (p->l4proto == IPPROTO_TCP && p->payload_len > 2) {
		size_t mlen = pg_be16(p->payload);
		if (mlen <= p->payload_len - 2)
			pg_dns_parse_response(p->payload + 2, mlen, dns_answer, &c);
	}
}

static void set_class(struct pg_flow *f, enum pg_system sys, enum pg_feature feat,
		      enum pg_method method, uint8_t conf)
{
	f->system = (uint8_t)sys;
	f->feature = (uint8_t)feat;
	f->method = (uint8_t)method;
	f->confidence = conf;
}

static void set_heuristic(struct pg_engine *e, struct pg_flow *f,
			  const struct pg_heuristic_class *c)
{
	set_class(f, c->system, c->feature, PG_METHOD_HEURISTIC, c->confidence);
	e->stats.heuristic_matches++;
}

/* The IM systems whose sessions announce peer connections mid-session. */
static bool announces_peers(enum pg_system sys)
{
	switch (sys) {
	case PG_SYS_AIM:
	case PG_SYS_ICQ:
	case PG_SYS_MSN:
	case PG_SYS_YAHOO:
	case PG_SYS_IRC:
	case PG_SYS_XMPP:
		return true;
	default:
		return false;
	}
}

static void decide(struct pg_engine *e, struct pg_flow *f, struct pg_packet_result *out)
{
	if (f->state == PG_FLOW_DECIDED)
		return;
	f->state = PG_FLOW_DECIDED;
	if (announces_peers(f->system) && f->method != PG_METHOD_PORT &&
	    f->method != PG_METHOD_CORRELATION && f->method != PG_METHOD_HEURISTIC &&
	    (f->feature == PG_FEAT_IM || f->feature == PG_FEAT_LOGIN ||
	     f->feature == PG_FEAT_ANY || f->feature == PG_FEAT_CHAT))
		f->flags |= PG_FLOW_WATCH;
	/* DHT and tracker answers name the peers that encrypted transfers
	 * go to (pg_heuristics_learn): read them while the flow is allowed. */
	if (f->system == PG_SYS_BITTORRENT && f->feature == PG_FEAT_NETWORK &&
	    f->method == PG_METHOD_PAYLOAD && !(e->cfg.heuristics_off >> PG_SYS_BITTORRENT & 1))
		f->flags |= PG_FLOW_WATCH;
	/* So do an eD2k server's answers for the sources of obfuscated eMule
	 * transfers (pg_ed2kpeers_server). */
	if (f->system == PG_SYS_EDONKEY && f->feature == PG_FEAT_NETWORK &&
	    f->l4proto == IPPROTO_TCP && f->method == PG_METHOD_PAYLOAD &&
	    !(e->cfg.heuristics_off >> PG_SYS_EDONKEY & 1))
		f->flags |= PG_FLOW_WATCH;
	pg_inspect_release(e->pool, f);
	e->stats.decided++;
	out->just_decided = true;
}

/* Is candidate (sys, feat, conf) better than what the flow has?  More
 * confidence wins; at equal or lower confidence, the same system may still
 * refine `any` into a feature. */
static bool better(const struct pg_flow *f, enum pg_system sys,
		   enum pg_feature feat, uint8_t conf)
{
	/* A vendor's range names the system: its own detectors may name the
	 * feature, another IM/P2P system may prove itself, but the ordinary
	 * protocol that carries the vendor's traffic (TLS, HTTP) says less. */
	if (f->flags & PG_FLOW_BY_RANGE) {
		if (sys == f->system)
			return feat != PG_FEAT_ANY && conf >= PG_CONF_WEAK;
		return pg_system_is_policed(sys) && conf > f->confidence;
	}
	if (conf > f->confidence)
		return true;
	return sys == f->system && f->feature == PG_FEAT_ANY &&
	       feat != PG_FEAT_ANY && conf >= PG_CONF_WEAK;
}

static void classify_new_flow(struct pg_engine *e, struct pg_flow *f,
			      uint32_t now_s, struct pg_packet_result *out)
{
	struct pg_expectation x;
	if (pg_expect_match(e->expect, f->family, f->server_addr, f->server_port,
			    now_s, &x)) {
		set_class(f, x.system, x.feature, PG_METHOD_CORRELATION, PG_CONF_STRONG);
		/* An announcement that named no feature (an MSN ACCEPT carries
		 * the address, the INVITE before it the application) leaves the
		 * first payload packet a chance to say which feature it is. */
		if (x.feature != PG_FEAT_ANY)
			decide(e, f, out);
		return;
	}
	struct pg_heuristic_class hc;
	if (e->heur && e->hops->new_flow(e->heur, f, now_s, &hc)) {
		set_heuristic(e, f, &hc);
		/* A datagram to a learned peer's port is DHT or uTP (clients use
		 * one port for both): its own bytes, read right after this,
		 * say which, as a stronger payload match replaces this class.
		 * With nothing stronger the class decides after that first
		 * read, its confidence being decisive.  A TCP flow is decided
		 * now: its SYN has no bytes, and encrypted peer traffic shows
		 * none that say more. */
		if (f->l4proto != IPPROTO_UDP)
			decide(e, f, out);
		return;
	}
	char name[256];
	enum pg_system sys;
	enum pg_feature feat;
	if (e->hosts &&
	    pg_dns_cache_lookup(e->dns, f->family, f->server_addr, now_s, name, sizeof(name)) &&
	    pg_host_rules_match(e->hosts, name, strlen(name), &sys, &feat)) {
		set_class(f, sys, feat, PG_METHOD_HOST, PG_CONF_DECIDE);
		remember_host(e, f, name, strlen(name));
		decide(e, f, out);
		return;
	}
	/* A vendor's own address range (a data file's `ranges`) says as much
	 * as a DNS answer naming its host, but one range serves several
	 * features (Telegram's data centres carry its messages and relay its
	 * calls): the flow is decided after its first payload, which the
	 * system's own detectors may place in another feature (better()).
	 * The SYN log accepts SYNs in the kernel anyway, so a block still
	 * stops the flow at its first payload. */
	if (pg_host_rules_match_addr(e->hosts, f->family, f->server_addr, &sys, &feat)) {
		set_class(f, sys, feat, PG_METHOD_HOST, PG_CONF_DECIDE);
		f->flags |= PG_FLOW_BY_RANGE;
		return;
	}
	if (pg_port_hint(f->l4proto, f->server_port, &sys, &feat) ||
	    pg_host_rules_port_hint(e->hosts, f->l4proto, f->server_port, &sys, &feat))
		set_class(f, sys, feat, PG_METHOD_PORT, PG_CONF_PORT);
}

/* Where each side's stream starts: a SYN tells its own side's; the SYN-ACK
 * tells the server's and, in its acknowledgement number, the client's as
 * the server took it, which wins over any SYN (a second SYN with another
 * sequence number must not shift the stream the detectors read against
 * the one the server assembles). */
static void note_syn(struct pg_engine *e, struct pg_flow *f, enum pg_dir d,
		     const struct pg_packet *p)
{
	bool syn_ack = (p->tcp_flags & PG_TCP_ACK) != 0;
	pg_inspect_set_start(e->pool, f, d, p->tcp_seq + 1, syn_ack);
	if (syn_ack)
		pg_inspect_set_start(e->pool, f, !d, p->tcp_ack, true);
}

static void consider(struct pg_engine *e, struct pg_flow *f,
		     const struct pg_detect_result *r, uint32_t now_s)
{
	enum pg_system sys = r->system;
	enum pg_feature feat = r->feature;
	enum pg_method method = r->method ? r->method : PG_METHOD_PAYLOAD;
	uint8_t conf = r->confidence;

	if (r->expect.family) {
		pg_expect_add(e->expect, &r->expect, now_s);
		e->stats.expectations++;
	}
	if (r->host && r->host_len)
		remember_host(e, f, r->host, r->host_len);
	/* A named host that maps to a system says more than the transport
	 * that carried the name (TLS, HTTP, a proxy request). */
	enum pg_system hsys;
	enum pg_feature hfeat;
	if (r->host && r->host_len && e->hosts &&
	    pg_host_rules_match(e->hosts, r->host, r->host_len, &hsys, &hfeat) &&
	    !pg_system_is_policed(sys)) {
		sys = hsys;
		feat = hfeat;
		method = PG_METHOD_HOST;
		if (conf < PG_CONF_DECIDE)
			conf = PG_CONF_DECIDE;
	} else if (r->host && r->host_len && e->hosts && sys == PG_SYS_PROXY &&
		   pg_host_rules_match(e->hosts, r->host, r->host_len, &hsys, &hfeat)) {
		/* A proxy request to a known messenger host: report the inner
		 * system, as the taxonomy asks for tunnelled flows, and keep
		 * the proxy on record so that a policy blocking proxies as
		 * such still applies. */
		f->via_proxy = (uint8_t)feat;
		sys = hsys;
		feat = hfeat;
		method = PG_METHOD_HOST;
	} else if (sys == PG_SYS_TLS) {
		struct pg_heuristic_class hc;
		if (e->heur && e->hops->tls(e->heur, f, r->host, r->host_len, &hc) &&
		    better(f, hc.system, hc.feature, hc.confidence)) {
			set_heuristic(e, f, &hc);
			return;
		}
	}
	if (better(f, sys, feat, conf))
		set_class(f, sys, feat, method, conf);
}

/* One builder for inspection, watched flows and the unit tests' harness
 * (detect_input.h). */
struct pg_detect_input pg_detect_input_of(const struct pg_flow *f, enum pg_dir dir,
					  const struct pg_packet *p, unsigned index,
					  const struct pg_detect_bytes *bytes)
{
	struct pg_detect_input in = {
		.l4proto = p->l4proto,
		.family = f->family,
		.dir = dir,
		.client_port = f->client_port,
		.server_port = f->server_port,
		.client_addr = f->client_addr,
		.server_addr = f->server_addr,
		.index = index,
		.payload = p->payload,
		.payload_len = p->payload_len,
		.stream = p->payload,
		.stream_len = p->payload_len,
		.c2s_packets = f->payload_pkts[PG_DIR_C2S],
		.s2c_packets = f->payload_pkts[PG_DIR_S2C],
	};
	if (bytes) {
		if (bytes->fresh) {
			in.payload = bytes->fresh;
			in.payload_len = bytes->fresh_len;
		}
		in.stream = bytes->stream;
		in.stream_len = bytes->stream_len;
		in.other_stream = bytes->other;
		in.other_len = bytes->other_len;
		in.from_start = bytes->from_start;
	}
	return in;
}

/* What one detector run reads, beyond the flow and packet. */
struct run_bytes {
	const uint8_t *fresh;     /* the bytes new to the detectors */
	size_t fresh_len;
	const uint8_t *stream, *other;
	size_t stream_len, other_len;
	bool from_start;
	bool budget_spent;        /* this direction's byte budget is used up */
	bool stream_cut_check;    /* a TCP stream read in order: hitting the
				   * run cap first means it was cut to evade */
};

/* A TCP stream may be cut into pieces of any size, down to one byte.  While
 * it is short every piece runs the detectors, so that a handshake is
 * decided by the segment that completes it.  Past RUN_EACH_SEGMENT_BYTES a
 * run waits until the stream has grown by an eighth (at least
 * RUN_MIN_GROWTH bytes): however the sender cuts it, a stream reaches its
 * byte budget within about RUN_EACH_SEGMENT_BYTES + 40 runs (71 for the
 * default 4096 bytes), well inside the default run cap, and the work per
 * flow stays bounded. */
enum { RUN_EACH_SEGMENT_BYTES = 32, RUN_MIN_GROWTH = 8 };

static bool run_due(const struct inspect_slot *s, enum pg_dir dir, bool budget_spent)
{
	uint32_t len = s->len[dir], last = s->run_len[dir];
	uint32_t growth = last / 8 > RUN_MIN_GROWTH ? last / 8 : RUN_MIN_GROWTH;

	return budget_spent || len <= RUN_EACH_SEGMENT_BYTES || len - last >= growth;
}

/* The handshake shapes (pg_heuristics_shapes), for a TCP flow read from its
 * start in which no known protocol has matched (a port hint at most). */
static enum pg_shape try_shapes(struct pg_engine *e, struct pg_flow *f,
				struct inspect_slot *s, uint32_t now_s)
{
	if (!e->heur || f->l4proto != IPPROTO_TCP || !(f->flags & PG_FLOW_FROM_START) ||
	    (f->flags & PG_FLOW_STREAM_LOST) ||
	    (f->method != PG_METHOD_NONE && f->method != PG_METHOD_PORT))
		return PG_SHAPE_NO;
	struct pg_heuristic_class hc;
	const uint8_t *c2s = pg_inspect_stream(e->pool, s, PG_DIR_C2S);
	const uint8_t *s2c = pg_inspect_stream(e->pool, s, PG_DIR_S2C);
	enum pg_shape sh = e->hops->shapes(e->heur, f, &s->turns, c2s, s->len[PG_DIR_C2S],
					   s2c, s->len[PG_DIR_S2C], now_s, &hc);
	if (sh == PG_SHAPE_YES)
		set_heuristic(e, f, &hc);
	return sh;
}

/* Runs the detectors still in play over new bytes of f, then decides the
 * flow if it can or must.  s is the flow's inspection slot (NULL when it
 * is read packet by packet). */
static void run_detectors(struct pg_engine *e, struct pg_flow *f, enum pg_dir dir,
			  const struct pg_packet *p, const struct run_bytes *b,
			  struct inspect_slot *s, uint64_t *in_play, uint32_t now_s,
			  struct pg_packet_result *out)
{
	if (f->payload_pkts[dir] < 255)
		f->payload_pkts[dir]++;
	struct pg_detect_bytes bytes = {
		.fresh = b->fresh,
		.fresh_len = b->fresh_len,
		.stream = b->stream,
		.stream_len = b->stream_len,
		.other = b->other,
		.other_len = b->other_len,
		.from_start = b->from_start,
	};
	struct pg_detect_input in =
		pg_detect_input_of(f, dir, p, f->payload_pkts[dir] - 1u, &bytes);
	for (unsigned i = 0; i < e->ndetectors; i++) {
		if (!(*in_play >> i & 1))
			continue;
		struct pg_detect_result r;
		memset(&r, 0, offsetof(struct pg_detect_result, host_buf));
		enum pg_detect_status st = e->detectors[i]->fn(&in, &r);
		if (st == PG_DETECT_NO) {
			*in_play &= ~(1ull << i);
			const struct pg_detector *d = e->detectors[i];
			if (d->vetoes_port_of && f->method == PG_METHOD_PORT &&
			    f->system == d->vetoes_port_of)
				set_class(f, PG_SYS_UNKNOWN, PG_FEAT_ANY, PG_METHOD_NONE, 0);
		} else if (st == PG_DETECT_MATCH) {
			consider(e, f, &r, now_s);
			/* An ordinary protocol has said what it is: asking it
			 * again cannot add anything. */
			if (!pg_system_is_policed(r.system) && !r.expect.family)
				*in_play &= ~(1ull << i);
		}
	}

	if (e->heur)
		e->hops->learn(e->heur, f, dir, b->fresh, b->fresh_len, now_s);
	enum pg_shape shape = s ? try_shapes(e, f, s, now_s) : PG_SHAPE_NO;

	/* Decide: a decisive IM/P2P class at once; an ordinary protocol only
	 * once no IM/P2P detector can still claim the flow (an HTTP request
	 * may turn out to be a Gnutella download a packet later); a
	 * handshake shape once complete, and a flow no detector claims only
	 * when no shape can either; else when the budget is spent, with the
	 * best class so far. */
	bool decisive = f->confidence >= PG_CONF_DECIDE;
	if (decisive && (pg_system_is_policed(f->system) || !(*in_play & e->policed_mask)))
		decide(e, f, out);
	else if (shape == PG_SHAPE_YES || (!*in_play && shape == PG_SHAPE_NO))
		decide(e, f, out);
	else if (b->budget_spent)
		decide(e, f, out);
	else if (f->payload_pkts[dir] >= e->cfg.inspect_packets) {
		/* A stream read in order that spends the run cap before its
		 * byte budget was cut finer than any sender cuts it (see
		 * run_due): the caller's fail policy settles it. */
		if (b->stream_cut_check)
			f->flags |= PG_FLOW_CUT;
		decide(e, f, out);
	}
}

/* A TCP payload packet that cannot join its flow's stream.  Unless the
 * caller drops such packets, its bytes go through unread by the stream, so
 * the detectors read it on its own (as if the flow were joined midway) and
 * the flow is read that way from now on. */
static void starve(struct pg_engine *e, struct pg_flow *f, enum pg_dir dir,
		   const struct pg_packet *p, uint32_t now_s,
		   struct pg_packet_result *out)
{
	/* A vendor's range has named the flow: without a slot to read the
	 * payload that might refine it, the range decides it, as it would
	 * have on its first packet. */
	if (f->flags & PG_FLOW_BY_RANGE) {
		decide(e, f, out);
		return;
	}
	e->stats.starved_packets++;
	if (!(f->flags & PG_FLOW_STARVED)) {
		f->flags |= PG_FLOW_STARVED;
		e->stats.starved_flows++;
	}
	if (!e->cfg.starved_dropped) {
		f->flags |= PG_FLOW_STREAM_LOST;
		uint64_t in_play = detectors_for(e, p->l4proto);
		struct run_bytes b = {
			.fresh = p->payload, .fresh_len = p->payload_len,
			.stream = p->payload, .stream_len = p->payload_len,
		};
		run_detectors(e, f, dir, p, &b, NULL, &in_play, now_s, out);
	}
	out->starved = f->state != PG_FLOW_DECIDED;
}

static void inspect(struct pg_engine *e, struct pg_flow *f, enum pg_dir dir,
		    const struct pg_packet *p, uint32_t now_s,
		    struct pg_packet_result *out)
{
	bool tcp = p->l4proto == IPPROTO_TCP;
	struct inspect_slot *s = NULL;
	if (!(f->flags & PG_FLOW_STREAM_LOST))
		s = pg_inspect_acquire(e->pool, f, detectors_for(e, f->l4proto), now_s);
	if (!s && tcp) {
		starve(e, f, dir, p, now_s, out);
		return;
	}
	if (!s) {
		/* UDP: each datagram on its own, without the other side's */
		uint64_t in_play = detectors_for(e, p->l4proto);
		struct run_bytes b = {
			.fresh = p->payload, .fresh_len = p->payload_len,
			.stream = p->payload, .stream_len = p->payload_len,
		};
		run_detectors(e, f, dir, p, &b, NULL, &in_play, now_s, out);
		return;
	}

	const size_t cap = e->cfg.inspect_bytes;
	struct run_bytes b = {0};
	if (tcp) {
		enum pg_seg_fate fate = pg_inspect_add_segment(e->pool, s, f, dir, p,
								 &b.fresh, &b.fresh_len);
		out->conflict = fate == PG_SEG_CONFLICT;
		if (fate != PG_SEG_FED)
			return; /* nothing new in order for the detectors */
		pg_turns_add(&s->turns, dir == PG_DIR_C2S, b.fresh_len);
		b.stream = pg_inspect_stream(e->pool, s, dir);
		b.stream_len = s->len[dir];
		/* seen from its SYN: the stream begins at the first byte */
		b.from_start = (f->flags & PG_FLOW_FROM_START) != 0;
		b.stream_cut_check = true;
	} else {
		size_t n = p->payload_len < cap ? p->payload_len : cap;
		memcpy(pg_inspect_stream(e->pool, s, dir), p->payload, n);
		s->len[dir] = (uint32_t)n;
		b.fresh = b.stream = p->payload;
		b.fresh_len = b.stream_len = p->payload_len;
	}
	s->fed[dir] += (uint32_t)(b.fresh_len < cap ? b.fresh_len : cap);
	/* TCP: the buffer is full; UDP: that many bytes in datagrams */
	b.budget_spent = tcp ? s->len[dir] >= cap : s->fed[dir] >= cap;
	if (tcp) {
		if (!run_due(s, dir, b.budget_spent)) {
			pg_inspect_fed(e->pool, f, now_s);
			return;
		}
		/* new to the detectors: everything since their last run */
		b.fresh = b.stream + s->run_len[dir];
		b.fresh_len = s->len[dir] - s->run_len[dir];
		s->run_len[dir] = s->len[dir];
	}
	pg_inspect_fed(e->pool, f, now_s);
	b.other = pg_inspect_stream(e->pool, s, !dir);
	b.other_len = s->len[!dir];
	run_detectors(e, f, dir, p, &b, s, &s->in_play, now_s, out);
}

/* A decided control flow: only announcements are of interest now.  The
 * detectors see each packet on its own (no reassembly buffer is kept for
 * decided flows). */
static void watch(struct pg_engine *e, struct pg_flow *f, enum pg_dir dir,
		  const struct pg_packet *p, uint32_t now_s)
{
	if ((uint64_t)f->packets[0] + f->packets[1] > WATCH_MAX_PACKETS) {
		f->flags &= (uint8_t)~PG_FLOW_WATCH;
		return;
	}
	if (f->system == PG_SYS_BITTORRENT || f->system == PG_SYS_EDONKEY) {
		/* a DHT, tracker or eD2k server flow: only the peers it names */
		if (e->heur)
			e->hops->learn(e->heur, f, dir, p->payload, p->payload_len, now_s);
		return;
	}
	uint64_t asked = e->policed_mask & detectors_for(e, p->l4proto);
	struct pg_detect_input in = pg_detect_input_of(f, dir, p, f->payload_pkts[dir], NULL);
	for (unsigned i = 0; i < e->ndetectors; i++) {
		if (!(asked >> i & 1))
			continue;
		struct pg_detect_result r;
		memset(&r, 0, offsetof(struct pg_detect_result, host_buf));
		if (e->detectors[i]->fn(&in, &r) == PG_DETECT_MATCH && r.expect.family) {
			pg_expect_add(e->expect, &r.expect, now_s);
			e->stats.expectations++;
		}
	}
}

enum pg_engine_status pg_engine_packet(struct pg_engine *e, const uint8_t *ip,
				       size_t len, uint64_t now_ms,
				       struct pg_packet_result *out)
{
	struct pg_packet p;
	uint32_t now_s = (uint32_t)(now_ms / 1000);

	memset(out, 0, sizeof(*out));
	switch (pg_packet_parse(ip, len, &p)) {
	case PG_PARSE_OK:
		break;
	case PG_PARSE_MALFORMED:
		e->stats.malformed++;
		return PG_ENGINE_MALFORMED;
	case PG_PARSE_FRAGMENT:
		e->stats.fragments++;
		return PG_ENGINE_FRAGMENT;
	case PG_PARSE_TOO_DEEP:
		e->stats.too_deep++;
		return PG_ENGINE_UNINSPECTABLE;
	default:
		e->stats.not_tracked++;
		return PG_ENGINE_NOT_TRACKED;
	}
	e->stats.packets++;
	e->stats.bytes += p.ip_len;
	snoop_dns(e, &p, now_s);

	bool created;
	enum pg_dir dir;
	struct pg_flow *f = pg_flow_lookup(e->flows, &p, now_s, &dir, &created);
	if (!f) {
		e->stats.not_tracked++;
		return PG_ENGINE_NOT_TRACKED;
	}
	out->flow = f;
	out->dir = dir;
	out->created = created;
	f->packets[dir]++;
	f->bytes[dir] += p.ip_len;
	if (created)
		classify_new_flow(e, f, now_s, out);
	if (p.l4proto == IPPROTO_TCP && (p.tcp_flags & PG_TCP_SYN) &&
	    f->state != PG_FLOW_DECIDED)
		note_syn(e, f, dir, &p);
	if (p.payload_len > 0) {
		if (f->state != PG_FLOW_DECIDED)
			inspect(e, f, dir, &p, now_s, out);
		else if (f->flags & PG_FLOW_WATCH)
			watch(e, f, dir, &p, now_s);
	}
	return PG_ENGINE_TRACKED;
}

enum pg_engine_status pg_engine_find(struct pg_engine *e, const uint8_t *ip,
				     size_t len, struct pg_packet_result *out)
{
	struct pg_packet p;
	enum pg_engine_status ret = PG_ENGINE_TRACKED;

	memset(out, 0, sizeof(*out));
	switch (pg_packet_parse(ip, len, &p)) {
	case PG_PARSE_OK:
		out->flow = pg_flow_find(e->flows, &p, &out->dir);
		break;
	case PG_PARSE_MALFORMED:
		ret = PG_ENGINE_MALFORMED;
		break;
	case PG_PARSE_FRAGMENT:
		ret = PG_ENGINE_FRAGMENT;
		break;
	case PG_PARSE_TOO_DEEP:
		ret = PG_ENGINE_UNINSPECTABLE;
		break;
	default:
		ret = PG_ENGINE_NOT_TRACKED;
		break;
	}
	return ret;
}

struct pg_flow *pg_engine_restore_flow(struct pg_engine *e, const struct pg_flow *saved,
				       const char *host, uint64_t now_ms)
{
	bool created;
	struct pg_flow *f = pg_flow_insert(e->flows, saved->family, saved->l4proto,
					   saved->client_addr, saved->client_port,
					   saved->server_addr, saved->server_port,
					   (uint32_t)(now_ms / 1000), &created);
	if (!f)
		return NULL;
	pg_inspect_release(e->pool, f);
	set_class(f, (enum pg_system)saved->system, (enum pg_feature)saved->feature,
		  (enum pg_method)saved->method, saved->confidence);
	f->state = PG_FLOW_DECIDED;
	f->via_proxy = saved->via_proxy;
	f->flags = saved->flags & (PG_FLOW_WATCH | PG_FLOW_FROM_START);
	f->payload_pkts[0] = saved->payload_pkts[0];
	f->payload_pkts[1] = saved->payload_pkts[1];
	for (int d = 0; d < 2; d++) {
		f->packets[d] = saved->packets[d];
		f->bytes[d] = saved->bytes[d];
	}
	if (host)
		remember_host(e, f, host, strlen(host));
	return f;
}

void pg_engine_tick(struct pg_engine *e, uint64_t now_ms)
{
	uint32_t now_s = (uint32_t)(now_ms / 1000);
	if (now_s == e->last_tick_s)
		return;
	e->last_tick_s = now_s;
	pg_flow_expire(e->flows, now_s);
}

void pg_engine_foreach_flow(struct pg_engine *e,
			    void (*fn)(struct pg_flow *flow, void *ctx), void *ctx)
{
	pg_flow_foreach(e->flows, fn, ctx);
}

void pg_engine_flush(struct pg_engine *e)
{
	pg_flow_flush(e->flows);
}

void pg_engine_get_stats(const struct pg_engine *e, struct pg_engine_stats *out)
{
	*out = e->stats;
	pg_flow_get_stats(e->flows, &out->flows);
	struct pg_inspect_pool_stats ps;
	pg_inspect_pool_get_stats(e->pool, &ps);
	out->slots_used = ps.slots_used;
	out->slot_reclaims = ps.slot_reclaims;
	out->segments_held = ps.segments_held;
	out->segments_beyond = ps.segments_beyond;
	out->overlap_conflicts = ps.overlap_conflicts;
	if (e->heur) {
		struct pg_heuristics_stats hs;
		e->hops->get_stats(e->heur, &hs);
		out->bt_peers_learned = hs.bt_peers_learned;
		out->bt_peer_hits = hs.bt_peer_hits;
		out->ed2k_peers_learned = hs.ed2k_peers_learned;
		out->ed2k_peer_hits = hs.ed2k_peer_hits;
	}
}
