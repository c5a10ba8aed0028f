/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Heuristic matches in the engine and the verdict: the MSE handshake shape
 * on any port, peers learned from DHT / trackers / LSD, eMule obfuscation
 * on its ports, IRC over TLS; `heuristics = off|log`; and the ordinary
 * encrypted protocols and random bytes that must never be P2P.
 */
#include "detect_harness.h"
#include "peergate/engine.h"
#include "peergate/engine_policy.h"
#include "peergate/policy.h"
#include "peergate/detect_registry.h"
#include "peergate/expect.h"
#include "peergate/shape.h"
#include "peergate/verdict.h"

static const uint8_t C[4] = {10, 1, 0, 2}, S[4] = {192, 0, 2, 80};

static uint32_t rng_state = 88172645u;

static void fill_random(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		rng_state ^= rng_state << 13;
		rng_state ^= rng_state >> 17;
		rng_state ^= rng_state << 5;
		p[i] = (uint8_t)(rng_state >> 11);
	}
}

static struct pg_engine *mk(uint64_t heuristics_off)
{
	struct pg_engine_config cfg;
	pg_engine_config_defaults(&cfg);
	pg_detect_attach(&cfg);
	cfg.max_flows = 256;
	cfg.max_inspecting = 16;
	cfg.heuristics_off = heuristics_off;
	return pg_engine_create(&cfg, NULL);
}

/* A TCP connection from C:cport to srv:sport, seen from its SYN. */
struct conn {
	struct pg_engine *e;
	const uint8_t *srv;
	uint16_t cport, sport;
	uint32_t cseq, sseq;
	uint64_t now_ms;
	struct pg_packet_result r;
};

static void conn_open(struct conn *c, struct pg_engine *e, const uint8_t *srv, uint16_t cport,
		      uint16_t sport)
{
	struct pktbuf p;
	memset(c, 0, sizeof(*c));
	c->e = e;
	c->srv = srv;
	c->cport = cport;
	c->sport = sport;
	c->cseq = 1000;
	c->sseq = 90000;
	c->now_ms = 1000;
	ip4(&p, IPPROTO_TCP, C, cport, srv, sport, PG_TCP_SYN, c->cseq - 1, NULL, 0);
	pg_engine_packet(e, p.b, p.n, c->now_ms, &c->r);
	ip4(&p, IPPROTO_TCP, srv, sport, C, cport, PG_TCP_SYN | PG_TCP_ACK, c->sseq - 1, NULL, 0);
	p.b[28] = (uint8_t)(c->cseq >> 24); /* acknowledgement number */
	p.b[29] = (uint8_t)(c->cseq >> 16);
	p.b[30] = (uint8_t)(c->cseq >> 8);
	p.b[31] = (uint8_t)c->cseq;
	pg_engine_packet(e, p.b, p.n, c->now_ms, &c->r);
}

/* Sends len bytes from the client (c2s) or the server, in segments of at
 * most 1400 bytes. */
static void conn_send(struct conn *c, bool c2s, const uint8_t *data, size_t len)
{
	struct pktbuf p;
	for (size_t off = 0; off < len;) {
		size_t k = len - off < 1400 ? len - off : 1400;
		c->now_ms += 10;
		if (c2s) {
			ip4(&p, IPPROTO_TCP, C, c->cport, c->srv, c->sport, PG_TCP_ACK | PG_TCP_PSH,
			    c->cseq, data + off, k);
			c->cseq += (uint32_t)k;
		} else {
			ip4(&p, IPPROTO_TCP, c->srv, c->sport, C, c->cport, PG_TCP_ACK | PG_TCP_PSH,
			    c->sseq, data + off, k);
			c->sseq += (uint32_t)k;
		}
		pg_engine_packet(c->e, p.b, p.n, c->now_ms, &c->r);
		off += k;
	}
}

/* An MSE handshake of random bytes: Ya+PadA, Yb+PadB, the third message
 * (56 + 68), then a little ciphertext both ways. */
static void mse_handshake(struct conn *c, size_t a, size_t b)
{
	uint8_t buf[700];
	fill_random(buf, a);
	conn_send(c, true, buf, a);
	fill_random(buf, b);
	conn_send(c, false, buf, b);
	fill_random(buf, 124);
	conn_send(c, true, buf, 124);
	fill_random(buf, 82);
	conn_send(c, false, buf, 82);
}

static bool is_bt(const struct pg_flow *f)
{
	return f && f->system == PG_SYS_BITTORRENT;
}

static void test_mse_any_port(void)
{
	struct pg_engine *e = mk(0);
	struct conn c;
	conn_open(&c, e, S, 40000, 443);
	mse_handshake(&c, 553, 302);
	CHECK(is_bt(c.r.flow) && c.r.flow->method == PG_METHOD_HEURISTIC);
	CHECK(c.r.flow && c.r.flow->confidence == PG_CONF_HEUR_SHAPE);
	CHECK(c.r.flow && c.r.flow->feature == PG_FEAT_DOWNLOAD);
	CHECK(c.r.flow && c.r.flow->state == PG_FLOW_DECIDED);
	conn_open(&c, e, S, 40001, 6881);
	mse_handshake(&c, 96, 96);
	CHECK(is_bt(c.r.flow) && c.r.flow->confidence == PG_CONF_HEUR_PORT);
	struct pg_engine_stats st;
	pg_engine_get_stats(e, &st);
	CHECK(st.heuristic_matches == 2);
	pg_engine_destroy(e);

	/* heuristics = off for bittorrent: the same bytes stay unknown */
	e = mk(1ull << PG_SYS_BITTORRENT);
	conn_open(&c, e, S, 40002, 443);
	mse_handshake(&c, 553, 302);
	CHECK(c.r.flow && c.r.flow->system == PG_SYS_UNKNOWN);
	pg_engine_destroy(e);
}

/* Random bytes of MSE's first-message sizes, with no other evidence (no
 * learned peer, not a BitTorrent port), are not BitTorrent: neither sent
 * alone, nor answered by a turn outside MSE's sizes, nor with the server
 * speaking first.  (The whole three-turn shape is BitTorrent on any port:
 * that is the point of the heuristic; see test_mse_any_port.) */
static void test_random_not_bt(void)
{
	struct pg_engine *e = mk(0);
	uint8_t buf[4096];
	unsigned flagged = 0, flows = 0;
	uint16_t port = 20000;
	for (size_t n = 96; n <= 608; n += 32) {
		struct conn c;
		/* one direction only, more random bytes after it */
		conn_open(&c, e, S, port++, 8443);
		fill_random(buf, n);
		conn_send(&c, true, buf, n);
		fill_random(buf, 3000);
		conn_send(&c, true, buf, 3000);
		flows++;
		flagged += is_bt(c.r.flow);
		/* answered with a long reply (a download) */
		conn_open(&c, e, S, port++, 8443);
		fill_random(buf, n);
		conn_send(&c, true, buf, n);
		fill_random(buf, 4096);
		conn_send(&c, false, buf, 4096);
		flows++;
		flagged += is_bt(c.r.flow);
		/* answered with a short reply, then more client bytes */
		conn_open(&c, e, S, port++, 8443);
		fill_random(buf, n);
		conn_send(&c, true, buf, n);
		fill_random(buf, 40);
		conn_send(&c, false, buf, 40);
		fill_random(buf, 300);
		conn_send(&c, true, buf, 300);
		flows++;
		flagged += is_bt(c.r.flow);
		/* the server speaks first */
		conn_open(&c, e, S, port++, 8443);
		fill_random(buf, n);
		conn_send(&c, false, buf, n);
		fill_random(buf, n);
		conn_send(&c, true, buf, n);
		fill_random(buf, 200);
		conn_send(&c, false, buf, 200);
		conn_send(&c, true, buf, 200);
		flows++;
		flagged += is_bt(c.r.flow);
	}
	fprintf(stderr, "random TCP flows: %u of %u classified bittorrent\n", flagged, flows);
	CHECK(flagged == 0);
	pg_engine_destroy(e);
}

/* TLS and SSH with MSE-like sizes: the detectors claim them first. */
static void test_tls_ssh_not_bt(void)
{
	struct pg_engine *e = mk(0);
	uint8_t buf[1024];
	struct conn c;
	/* a TLS 1.3 handshake's first record bytes (negative capture) */
	size_t n = pg_hex("1603010200010001fc0303b127eaefe87f5945f40b9d222bd7846eebe033c02e"
			  "ad3766b6fff630da0904bd20b693d01cef8ec18e35aa0b1b9ebf9d7346872aa4"
			  "1fcf5feb29301f24210ca8ee003e130213031301c02cc030009fcca9cca8ccaa",
			  buf, sizeof(buf));
	fill_random(buf + n, 517 - n);
	conn_open(&c, e, S, 41000, 443);
	conn_send(&c, true, buf, 517);
	n = pg_hex("160303007a02000076030399e8b1a78415b91e07f96a38dc88f727929e3bfb04", buf,
		   sizeof(buf));
	fill_random(buf + n, 127 - n);
	buf[127] = 0x14; /* change cipher spec, then application data */
	buf[128] = 0x03;
	buf[129] = 0x03;
	buf[130] = 0x00;
	buf[131] = 0x01;
	buf[132] = 0x01;
	conn_send(&c, false, buf, 133);
	fill_random(buf, 200);
	conn_send(&c, true, buf, 200);
	CHECK(c.r.flow && !pg_system_is_policed((enum pg_system)c.r.flow->system));
	/* SSH */
	conn_open(&c, e, S, 41001, 2222);
	const char *banner = "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n";
	conn_send(&c, false, (const uint8_t *)banner, strlen(banner));
	conn_send(&c, true, (const uint8_t *)banner, strlen(banner));
	fill_random(buf, 600);
	conn_send(&c, true, buf, 600);
	conn_send(&c, false, buf, 600);
	CHECK(c.r.flow && c.r.flow->system == PG_SYS_SSH);
	pg_engine_destroy(e);
}

static void udp(struct pg_engine *e, const uint8_t *src, uint16_t sp, const uint8_t *dst,
		uint16_t dp, const uint8_t *d, size_t n, uint64_t now, struct pg_packet_result *r)
{
	struct pktbuf p;
	ip4(&p, IPPROTO_UDP, src, sp, dst, dp, 0, 0, d, n);
	pg_engine_packet(e, p.b, p.n, now, r);
}

/* WireGuard: handshake initiation (type 1, 148 bytes), response (type 2,
 * 92 bytes), transport data (type 4).  Never BitTorrent by its bytes,
 * on its own port or on BitTorrent's. */
static void test_wireguard(void)
{
	struct pg_engine *e = mk(0);
	static const uint16_t ports[] = {51820, 6881};
	for (size_t i = 0; i < 2; i++) {
		uint8_t init[148], resp[92], data[160];
		struct pg_packet_result r;
		fill_random(init, sizeof(init));
		memcpy(init, "\x01\x00\x00\x00", 4);
		fill_random(resp, sizeof(resp));
		memcpy(resp, "\x02\x00\x00\x00", 4);
		udp(e, C, 50000, S, ports[i], init, sizeof(init), 1000, &r);
		udp(e, S, ports[i], C, 50000, resp, sizeof(resp), 1010, &r);
		for (int k = 0; k < 40; k++) {
			fill_random(data, sizeof(data));
			memcpy(data, "\x04\x00\x00\x00", 4);
			udp(e, C, 50000, S, ports[i], data, sizeof(data), 1020 + (uint64_t)k, &r);
			/* the answer names the other side's receiver index */
			fill_random(data, 32);
			memcpy(data, "\x04\x00\x00\x00", 4);
			udp(e, S, ports[i], C, 50000, data, 32, 1020 + (uint64_t)k, &r);
		}
		CHECK(r.flow != NULL);
		if (!r.flow)
			continue;
		if (r.flow->method == PG_METHOD_PAYLOAD || r.flow->method == PG_METHOD_HEURISTIC)
			fprintf(stderr, "wireguard on %u: %s by %s\n", ports[i],
				pg_system_name((enum pg_system)r.flow->system),
				pg_method_name((enum pg_method)r.flow->method));
		CHECK(r.flow->method != PG_METHOD_PAYLOAD && r.flow->method != PG_METHOD_HEURISTIC);
		if (ports[i] == 51820)
			CHECK(r.flow->system == PG_SYS_UNKNOWN);
	}
	pg_engine_destroy(e);
}

/* A QUIC long-header Initial-shaped exchange on 443 is not P2P. */
static void test_quic_like(void)
{
	struct pg_engine *e = mk(0);
	uint8_t d[1200];
	struct pg_packet_result r;
	fill_random(d, sizeof(d));
	memcpy(d, "\xc3\x00\x00\x00\x01\x08", 6);
	udp(e, C, 50001, S, 443, d, sizeof(d), 1000, &r);
	fill_random(d, sizeof(d));
	memcpy(d, "\xc1\x00\x00\x00\x01\x00", 6);
	udp(e, S, 443, C, 50001, d, sizeof(d), 1010, &r);
	udp(e, C, 50001, S, 443, d + 100, 300, 1020, &r);
	CHECK(r.flow && !pg_system_is_policed((enum pg_system)r.flow->system));
	pg_engine_destroy(e);
}

/* A DHT get_peers answer from node naming 203.0.113.5:50000 and
 * 203.0.113.6:443, after the query that makes the flow BitTorrent. */
static void dht_answer(struct pg_engine *e, const uint8_t node[4], bool heuristics_on)
{
	struct pg_packet_result r;
	const char *q = "d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz123456e"
			"1:q9:get_peers1:t2:aa1:y1:qe";
	udp(e, C, 6881, node, 6881, (const uint8_t *)q, strlen(q), 1000, &r);
	/* decided, and watched for the peers its answers name while the
	 * heuristics are on */
	CHECK(is_bt(r.flow) && r.flow->state == PG_FLOW_DECIDED);
	CHECK(r.flow && !(r.flow->flags & PG_FLOW_WATCH) == !heuristics_on);
	uint8_t a[256];
	const char *h = "d1:rd2:id20:abcdefghij01234567895:token8:aoeusnth6:valuesl6:";
	size_t n = strlen(h);
	memcpy(a, h, n);
	memcpy(a + n, "\xcb\x00\x71\x05\xc3\x50", 6);
	n += 6;
	memcpy(a + n, "6:\xcb\x00\x71\x06\x01\xbb", 8);
	n += 8;
	const char *t = "ee1:t2:aa1:y1:re";
	memcpy(a + n, t, strlen(t));
	n += strlen(t);
	udp(e, node, 6881, C, 6881, a, n, 1100, &r);
}

/* The daemon's workers share one peer table (pg_engine_config.bt_peers):
 * the DHT answer read by one engine names the peer of a flow that another
 * engine sees, as when the two flows hash to different queues. */
static void test_learned_peers_across_engines(void)
{
	struct pg_expect_table *peers = pg_expect_create(64, 1800);
	struct pg_engine_config cfg;
	pg_engine_config_defaults(&cfg);
	pg_detect_attach(&cfg);
	cfg.max_flows = 256;
	cfg.max_inspecting = 16;
	cfg.bt_peers = peers;
	struct pg_engine *a = pg_engine_create(&cfg, NULL), *b = pg_engine_create(&cfg, NULL);
	const uint8_t node[4] = {198, 51, 100, 7}, peer[4] = {203, 0, 113, 5};
	struct pg_engine_stats st;

	dht_answer(a, node, true);
	pg_engine_get_stats(a, &st);
	CHECK(st.bt_peers_learned == 2);
	struct conn c;
	conn_open(&c, b, peer, 40100, 50000);
	CHECK(is_bt(c.r.flow) && c.r.flow->method == PG_METHOD_HEURISTIC);
	CHECK(c.r.flow && c.r.flow->confidence == PG_CONF_HEUR_PEER);
	/* an engine with a table of its own learned nothing */
	cfg.bt_peers = NULL;
	struct pg_engine *lone = pg_engine_create(&cfg, NULL);
	conn_open(&c, lone, peer, 40101, 50000);
	CHECK(c.r.flow && !is_bt(c.r.flow));
	pg_engine_destroy(lone);
	pg_engine_destroy(b);
	pg_engine_destroy(a);
	/* borrowed: it outlives the engines, which did not free it */
	CHECK(pg_expect_match(peers, 4, peer, 50000, 1200, &(struct pg_expectation){0}));
	pg_expect_destroy(peers);
}

/* DHT get_peers answer from a node: its `values` peers are learned; a TCP
 * flow to one is BitTorrent on its SYN; on a well-known port only with the
 * handshake shape. */
static void test_learned_peers(void)
{
	struct pg_engine *e = mk(0);
	struct pg_packet_result r;
	const uint8_t node[4] = {198, 51, 100, 7}, peer[4] = {203, 0, 113, 5},
		      peer443[4] = {203, 0, 113, 6};
	dht_answer(e, node, true);
	struct pg_engine_stats st;
	pg_engine_get_stats(e, &st);
	CHECK(st.bt_peers_learned == 2);

	struct conn c;
	conn_open(&c, e, peer, 40100, 50000);
	CHECK(is_bt(c.r.flow) && c.r.flow->method == PG_METHOD_HEURISTIC);
	CHECK(c.r.flow && c.r.flow->confidence == PG_CONF_HEUR_PEER &&
	      c.r.flow->state == PG_FLOW_DECIDED && c.r.flow->feature == PG_FEAT_DOWNLOAD);
	/* the learned peer on 443: not on its SYN, only with the shape */
	conn_open(&c, e, peer443, 40101, 443);
	CHECK(c.r.flow && c.r.flow->state != PG_FLOW_DECIDED && !is_bt(c.r.flow));
	mse_handshake(&c, 200, 200);
	CHECK(is_bt(c.r.flow) && c.r.flow->confidence == PG_CONF_HEUR_PEER);
	/* a datagram to the peer's port is read first: a DHT query (a
	 * client's one port serves DHT too) is the network, by its bytes,
	 * not a download by the address; opaque bytes (uTP, encrypted) take
	 * the learned class, decided on that first datagram */
	const char *q = "d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz123456e"
			"1:q9:find_node1:t2:ab1:y1:qe";
	udp(e, C, 40300, peer, 50000, (const uint8_t *)q, strlen(q), 1200, &r);
	CHECK(is_bt(r.flow) && r.flow->state == PG_FLOW_DECIDED && r.just_decided &&
	      r.flow->feature == PG_FEAT_NETWORK && r.flow->method == PG_METHOD_PAYLOAD);
	uint8_t opaque[60];
	fill_random(opaque, sizeof(opaque));
	opaque[0] = 0xff; /* no uTP header type */
	udp(e, C, 40301, peer, 50000, opaque, sizeof(opaque), 1201, &r);
	CHECK(is_bt(r.flow) && r.flow->state == PG_FLOW_DECIDED && r.just_decided &&
	      r.flow->method == PG_METHOD_HEURISTIC && r.flow->confidence == PG_CONF_HEUR_PEER);
	/* another port of the same address is not the peer */
	conn_open(&c, e, peer, 40102, 50001);
	CHECK(c.r.flow && c.r.flow->system == PG_SYS_UNKNOWN);
	pg_engine_get_stats(e, &st);
	CHECK(st.bt_peer_hits == 4);
	/* forgotten after the lifetime (1800 s) */
	struct pktbuf p;
	ip4(&p, IPPROTO_TCP, C, 40103, peer, 50000, PG_TCP_SYN, 1, NULL, 0);
	pg_engine_packet(e, p.b, p.n, 1100 + 1801 * 1000, &r);
	CHECK(r.flow && !is_bt(r.flow));
	pg_engine_destroy(e);

	/* heuristics off: nothing learned */
	e = mk(1ull << PG_SYS_BITTORRENT);
	dht_answer(e, node, false);
	pg_engine_get_stats(e, &st);
	CHECK(st.bt_peers_learned == 0);
	pg_engine_destroy(e);
}

/* LSD names its sender's peer port; a UDP tracker's announce answer its
 * peers. */
static void test_lsd_and_udp_tracker(void)
{
	struct pg_engine *e = mk(0);
	struct pg_packet_result r;
	const uint8_t lsd_group[4] = {239, 192, 152, 143}, lan_peer[4] = {10, 1, 0, 9};
	const char *ann = "BT-SEARCH * HTTP/1.1\r\nHost: 239.192.152.143:6771\r\nPort: 51413\r\n"
			  "Infohash: 0123456789abcdef0123456789abcdef01234567\r\n\r\n\r\n";
	udp(e, lan_peer, 6771, lsd_group, 6771, (const uint8_t *)ann, strlen(ann), 1000, &r);
	CHECK(is_bt(r.flow));
	const uint8_t tracker[4] = {192, 0, 2, 99};
	uint8_t m[64];
	size_t n = pg_hex("0000041727101980 00000000 cafebabe", m, sizeof(m));
	udp(e, C, 6881, tracker, 6969, m, n, 1000, &r);
	n = pg_hex("00000000 cafebabe 0102030405060708", m, sizeof(m));
	udp(e, tracker, 6969, C, 6881, m, n, 1001, &r);
	n = pg_hex("00000001 cafebabe 00000708 00000001 00000001 c0000207 2710", m, sizeof(m));
	udp(e, tracker, 6969, C, 6881, m, n, 1002, &r);
	struct pg_engine_stats st;
	pg_engine_get_stats(e, &st);
	CHECK(st.bt_peers_learned == 2);
	struct conn c;
	conn_open(&c, e, lan_peer, 40200, 51413);
	CHECK(is_bt(c.r.flow) && c.r.flow->method == PG_METHOD_HEURISTIC);
	const uint8_t swarm_peer[4] = {192, 0, 2, 7};
	conn_open(&c, e, swarm_peer, 40201, 10000);
	CHECK(is_bt(c.r.flow) && c.r.flow->method == PG_METHOD_HEURISTIC);
	pg_engine_destroy(e);
}

/* An HTTP tracker's answer, read from the watched announce flow. */
static void test_http_tracker(void)
{
	struct pg_engine *e = mk(0);
	const uint8_t tracker[4] = {192, 0, 2, 60}, peer[4] = {192, 0, 2, 61};
	struct conn c;
	conn_open(&c, e, tracker, 40500, 80);
	const char *get = "GET /announce?info_hash=%01%02%03%04%05%06%07%08%09%0a%0b%0c%0d%0e%0f"
			  "%10%11%12%13%14&peer_id=-TR3000-abcdefghijkl&port=51413&compact=1 HTTP/1.1\r\n"
			  "Host: 192.0.2.60\r\n\r\n";
	conn_send(&c, true, (const uint8_t *)get, strlen(get));
	CHECK(is_bt(c.r.flow) && c.r.flow->feature == PG_FEAT_NETWORK &&
	      c.r.flow->state == PG_FLOW_DECIDED && (c.r.flow->flags & PG_FLOW_WATCH));
	uint8_t ans[256];
	const char *h = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n"
			"d8:intervali1800e5:peers6:";
	size_t n = strlen(h);
	memcpy(ans, h, n);
	memcpy(ans + n, peer, 4);
	ans[n + 4] = 0x75; /* port 30000 */
	ans[n + 5] = 0x30;
	ans[n + 6] = 'e';
	conn_send(&c, false, ans, n + 7);
	struct pg_engine_stats st;
	pg_engine_get_stats(e, &st);
	CHECK(st.bt_peers_learned == 1);
	conn_open(&c, e, peer, 40501, 30000);
	CHECK(is_bt(c.r.flow) && c.r.flow->method == PG_METHOD_HEURISTIC &&
	      c.r.flow->confidence == PG_CONF_HEUR_PEER);
	pg_engine_destroy(e);
}

/* eMule obfuscation, client to client, on 4662. */
static void test_emule(void)
{
	struct pg_engine *e = mk(0);
	uint8_t buf[300];
	struct conn c;
	conn_open(&c, e, S, 40300, 4662);
	fill_random(buf, 30);
	buf[0] = 0x6b;
	conn_send(&c, true, buf, 30);
	fill_random(buf, 12);
	conn_send(&c, false, buf, 12);
	fill_random(buf, 120);
	conn_send(&c, true, buf, 120);
	CHECK(c.r.flow && c.r.flow->system == PG_SYS_EDONKEY &&
	      c.r.flow->method == PG_METHOD_HEURISTIC && c.r.flow->feature == PG_FEAT_DOWNLOAD);
	/* the same on another port says nothing */
	conn_open(&c, e, S, 40301, 14662);
	fill_random(buf, 30);
	buf[0] = 0x6b;
	conn_send(&c, true, buf, 30);
	fill_random(buf, 12);
	conn_send(&c, false, buf, 12);
	fill_random(buf, 120);
	conn_send(&c, true, buf, 120);
	CHECK(c.r.flow && c.r.flow->system != PG_SYS_EDONKEY);
	pg_engine_destroy(e);
}

/* A real 120-byte TLS 1.0 ClientHello (socks/arkime_socks-https-example.pcap,
 * as in test_detect_tls.c) whose SNI www.example.com is swapped for
 * irc.libera.chat, of the same length. */
#define CH_IRC                                                                \
	"16030100730100006f0301529cbffbd7cefc629d6c34c6e18c3017d7592c4319115bc3" \
	"1a497c1bf6bed4fc00002e00390038003500160013000a00330032002f009a009900" \
	"96000500040015001200090014001100080006000300ff0100001800000014001200" \
	"000f" "6972632e6c69626572612e63686174"

/* That ClientHello on 6697: IRC, heuristic; plain TLS with heuristics off
 * for IRC. */
/* An eD2k server connection names its sources (the real login and
 * OP_FOUNDSOURCES_OBFU answer of emule_obfuscated_amule_5555_server.pcap,
 * with the test's addresses): an obfuscated client flow to a source is
 * eMule on its SYN, on any port from 1024 up; the eMule shape to a source
 * on a lower port is eMule, not BitTorrent. */
static void ed2k_server_session(struct pg_engine *e, const uint8_t *srv, uint16_t cport)
{
	uint8_t login[80], answer[64];
	size_t nl = pg_hex("e34900000001604ea6889c0e375fcde6ac1697d06fbf0000000036120400000002010001"
			   "100070656572676174652d6c656563686572030100113c000000030100201d070000"
			   "030100fb800d0403",
			   login, sizeof(login));
	/* sources 203.0.113.9:5555 and 203.0.113.9:443 (options 0x07: no user hash) */
	size_t na = pg_hex("e32000000044d02d53ac7e882a141f1d9c9de2a3623102"
			   "cb007109b31507" "cb007109bb0107",
			   answer, sizeof(answer));
	struct conn c;
	conn_open(&c, e, srv, cport, 4661);
	conn_send(&c, true, login, nl);
	CHECK(c.r.flow && c.r.flow->system == PG_SYS_EDONKEY &&
	      c.r.flow->feature == PG_FEAT_NETWORK && c.r.flow->state == PG_FLOW_DECIDED);
	conn_send(&c, false, answer, na);
}

static void test_ed2k_sources(void)
{
	const uint8_t server[4] = {198, 51, 100, 20}, source[4] = {203, 0, 113, 9};
	struct pg_engine *e = mk(0);
	struct pg_engine_stats st;
	struct conn c;

	ed2k_server_session(e, server, 40400);
	pg_engine_get_stats(e, &st);
	CHECK(st.ed2k_peers_learned == 2);
	conn_open(&c, e, source, 40401, 5555);
	CHECK(c.r.flow && c.r.flow->system == PG_SYS_EDONKEY &&
	      c.r.flow->feature == PG_FEAT_DOWNLOAD && c.r.flow->method == PG_METHOD_HEURISTIC &&
	      c.r.flow->confidence == PG_CONF_HEUR_PEER && c.r.flow->state == PG_FLOW_DECIDED);
	/* on 443 not on its SYN; MSE's sizes (eMule's paddings can give
	 * them) to a source are eMule */
	conn_open(&c, e, source, 40402, 443);
	CHECK(c.r.flow && c.r.flow->state != PG_FLOW_DECIDED);
	uint8_t hello[200];
	fill_random(hello, sizeof(hello));
	hello[0] = 0x4d; /* a marker byte that is no eD2k protocol byte */
	conn_send(&c, true, hello, 170);
	fill_random(hello, sizeof(hello));
	conn_send(&c, false, hello, 103);
	fill_random(hello, sizeof(hello));
	conn_send(&c, true, hello, 109);
	CHECK(c.r.flow && c.r.flow->system == PG_SYS_EDONKEY &&
	      c.r.flow->confidence == PG_CONF_HEUR_PEER);
	pg_engine_get_stats(e, &st);
	CHECK(st.ed2k_peer_hits >= 2 && st.bt_peer_hits == 0);
	pg_engine_destroy(e);

	/* heuristics off for eMule: nothing learned, the flow is not eMule */
	e = mk(1ull << PG_SYS_EDONKEY);
	ed2k_server_session(e, server, 40410);
	pg_engine_get_stats(e, &st);
	CHECK(st.ed2k_peers_learned == 0);
	conn_open(&c, e, source, 40411, 5555);
	CHECK(c.r.flow && c.r.flow->system != PG_SYS_EDONKEY);
	pg_engine_destroy(e);
}

static void test_irc_tls(void)
{
	uint8_t hello[512];
	size_t n = pg_hex(CH_IRC, hello, sizeof(hello));
	CHECK(n == 120);
	for (int off = 0; off < 2; off++) {
		struct pg_engine *e = mk(off ? 1ull << PG_SYS_IRC : 0);
		struct conn c;
		conn_open(&c, e, S, 40400, 6697);
		conn_send(&c, true, hello, n);
		uint8_t junk[400];
		fill_random(junk, sizeof(junk));
		memcpy(junk, "\x16\x03\x03\x01\x8b", 5);
		conn_send(&c, false, junk, sizeof(junk));
		for (int k = 0; k < 10 && c.r.flow && c.r.flow->state != PG_FLOW_DECIDED; k++)
			conn_send(&c, true, junk, sizeof(junk));
		if (!off)
			CHECK(c.r.flow && c.r.flow->system == PG_SYS_IRC &&
			      c.r.flow->method == PG_METHOD_HEURISTIC &&
			      c.r.flow->confidence == PG_CONF_HEUR_PORT &&
			      !(c.r.flow->flags & PG_FLOW_WATCH));
		else
			CHECK(c.r.flow && c.r.flow->system == PG_SYS_TLS);
		pg_engine_destroy(e);
	}
}

/* The verdict follows `heuristics`. */
static void test_verdict(void)
{
	struct pg_flow f;
	memset(&f, 0, sizeof(f));
	f.family = 4;
	memcpy(f.client_addr, C, 4);
	memcpy(f.server_addr, S, 4);
	f.l4proto = IPPROTO_TCP;
	f.state = PG_FLOW_DECIDED;
	f.system = PG_SYS_BITTORRENT;
	f.feature = PG_FEAT_DOWNLOAD;
	f.method = PG_METHOD_HEURISTIC;
	f.confidence = PG_CONF_HEUR_SHAPE;
	static const struct {
		const char *text;
		enum pg_action heuristic, payload;
	} cases[] = {
		{"[bittorrent]\nall = block\n", PG_ACTION_BLOCK, PG_ACTION_BLOCK},
		{"[bittorrent]\nall = block\nheuristics = log\n", PG_ACTION_LOG, PG_ACTION_BLOCK},
		{"[bittorrent]\nall = block\nheuristics = off\n", PG_ACTION_ALLOW, PG_ACTION_BLOCK},
		{"[bittorrent]\nall = allow\nheuristics = log\n", PG_ACTION_ALLOW, PG_ACTION_ALLOW},
		{"[bittorrent]\nall = log\nheuristics = block\n", PG_ACTION_LOG, PG_ACTION_LOG},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pg_diag d;
		struct pg_policy *p = pg_policy_load_string(cases[i].text, "t.ini", &d);
		CHECK(p != NULL);
		f.method = PG_METHOD_HEURISTIC;
		struct pg_flow_verdict v = pg_flow_verdict_of(p, &f);
		CHECK(v.action == cases[i].heuristic);
		CHECK(!v.excepted);
		f.method = PG_METHOD_PAYLOAD;
		v = pg_flow_verdict_of(p, &f);
		CHECK(v.action == cases[i].payload);
		pg_policy_destroy(p);
	}
}

/* The policy's `heuristics = off` reaches the engine as its mask. */
static void test_config_bridge(void)
{
	struct pg_diag d;
	struct pg_policy *p = pg_policy_load_string("[bittorrent]\nheuristics = off\n"
						    "[edonkey]\nheuristics = log\n"
						    "[xmpp]\nheuristics = off\n",
						    "t.ini", &d);
	CHECK(p != NULL);
	struct pg_engine_config cfg;
	pg_engine_config_from_policy(p, &cfg);
	CHECK(cfg.heuristics_off == ((1ull << PG_SYS_BITTORRENT) | (1ull << PG_SYS_XMPP)));
	pg_policy_destroy(p);
	pg_engine_config_from_policy(NULL, &cfg);
	CHECK(cfg.heuristics_off == 0);
}

int main(void)
{
	test_mse_any_port();
	test_random_not_bt();
	test_tls_ssh_not_bt();
	test_wireguard();
	test_quic_like();
	test_learned_peers();
	test_learned_peers_across_engines();
	test_lsd_and_udp_tracker();
	test_http_tracker();
	test_emule();
	test_ed2k_sources();
	test_irc_tls();
	test_verdict();
	test_config_bridge();
	return pg_test_summary("engine_heur");
}
