/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The engine over synthetic IP packets carrying real protocol bytes: port
 * hints, payload detection in either direction, DNS-learnt hosts, announced
 * (expected) flows, the inspection budget, bounded memory, and the packet
 * that decides a plain HTTP exchange.
 */
#include "detect_harness.h"
#include "peergate/engine.h"
#include "shipped_systems.h"
#include "peergate/hosts.h"
#include "peergate/detect_registry.h"

static const uint8_t C[4] = {10, 1, 0, 2}, S[4] = {192, 0, 2, 80};

/* The defaults with every detector, max_flows flows and slots inspection
 * slots: tests change what else they need before pg_engine_create. */
static struct pg_engine_config engine_config(uint32_t max_flows, uint32_t slots)
{
	struct pg_engine_config cfg;
	pg_engine_config_defaults(&cfg);
	pg_detect_attach(&cfg);
	cfg.max_flows = max_flows;
	cfg.max_inspecting = slots;
	return cfg;
}

static struct pg_engine *mk_engine(const struct pg_host_rules *h, uint32_t max_flows,
				   uint32_t slots)
{
	struct pg_engine_config cfg = engine_config(max_flows, slots);
	return pg_engine_create(&cfg, h);
}

/* A client's SYN from C:cport to srv:sport, then its first n bytes. */
static void syn_then_send(struct pg_engine *e, uint16_t cport, const uint8_t srv[4],
			  uint16_t sport, const void *data, size_t n,
			  struct pg_packet_result *r)
{
	struct pktbuf p;
	ip4(&p, IPPROTO_TCP, C, cport, srv, sport, PG_TCP_SYN, 1, NULL, 0);
	pg_engine_packet(e, p.b, p.n, 0, r);
	ip4(&p, IPPROTO_TCP, C, cport, srv, sport, PG_TCP_ACK | PG_TCP_PSH, 2,
	    (const uint8_t *)data, n);
	pg_engine_packet(e, p.b, p.n, 1, r);
}

/* BitTorrent handshake from bittorrent/arkime_bt-tcp.pcap (first 28 bytes
 * of 68, the rest zero: the detector needs the fixed prefix and length). */
static void test_payload_any_port(void)
{
	struct pg_engine *e = mk_engine(NULL, 64, 8);
	struct pktbuf p;
	struct pg_packet_result r;
	uint8_t hs[68] = {0x13};
	memcpy(hs + 1, "BitTorrent protocol", 19);
	ip4(&p, IPPROTO_TCP, C, 40000, S, 443, PG_TCP_SYN, 1000, NULL, 0);
	CHECK(pg_engine_packet(e, p.b, p.n, 0, &r) == PG_ENGINE_TRACKED && r.created);
	ip4(&p, IPPROTO_TCP, S, 443, C, 40000, PG_TCP_SYN | PG_TCP_ACK, 5000, NULL, 0);
	p.b[31] = 0xe9; /* acknowledgement number 1001 */
	p.b[30] = 0x03;
	pg_engine_packet(e, p.b, p.n, 1, &r);
	ip4(&p, IPPROTO_TCP, C, 40000, S, 443, PG_TCP_ACK | PG_TCP_PSH, 1001, hs, sizeof(hs));
	pg_engine_packet(e, p.b, p.n, 2, &r);
	CHECK(r.flow && r.flow->system == PG_SYS_BITTORRENT);
	CHECK(r.flow && r.flow->method == PG_METHOD_PAYLOAD);
	CHECK(r.flow && r.flow->state == PG_FLOW_DECIDED && r.just_decided);
	pg_engine_destroy(e);
}

/* A port hint alone, then ordinary traffic on that port wins over it. */
static void test_port_hint_overridden(void)
{
	struct pg_engine *e = mk_engine(NULL, 64, 8);
	struct pktbuf p;
	struct pg_packet_result r;
	ip4(&p, IPPROTO_TCP, C, 40001, S, 5190, PG_TCP_SYN, 1, NULL, 0);
	pg_engine_packet(e, p.b, p.n, 0, &r);
	CHECK(r.flow->system == PG_SYS_AIM && r.flow->method == PG_METHOD_PORT);
	const char *ssh = "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n";
	ip4(&p, IPPROTO_TCP, S, 5190, C, 40001, PG_TCP_ACK | PG_TCP_PSH, 77,
	    (const uint8_t *)ssh, strlen(ssh));
	pg_engine_packet(e, p.b, p.n, 1, &r);
	for (uint32_t i = 0; i < 10 && r.flow->state != PG_FLOW_DECIDED; i++) {
		ip4(&p, IPPROTO_TCP, C, 40001, S, 5190, PG_TCP_ACK | PG_TCP_PSH, 2 + i * 16,
		    (const uint8_t *)"\x00\x00\x01\x2c\x0a\x14random-bytes", 16);
		pg_engine_packet(e, p.b, p.n, 2 + i, &r);
	}
	CHECK(r.flow->system == PG_SYS_SSH);
	CHECK(!pg_system_is_policed(r.flow->system));
	pg_engine_destroy(e);
}

/* DNS answer for login.oscar.aol.com -> 192.0.2.80; a later flow to that
 * address is AIM login on its first packet, by host. */
static void test_dns_host(void)
{
	struct pg_host_rules *h = pg_host_rules_create();
	add_shipped_signals(h);
	struct pg_engine *e = mk_engine(h, 64, 8);
	struct pktbuf p;
	struct pg_packet_result r;
	uint8_t dns[128];
	size_t n = pg_hex("1234 8180 0001 0001 0000 0000"
			  "05 6c6f67696e 05 6f73636172 03 616f6c 03 636f6d 00 0001 0001"
			  "c00c 0001 0001 0000012c 0004 c0000250", dns, sizeof(dns));
	const uint8_t R[4] = {10, 1, 0, 53};
	ip4(&p, IPPROTO_UDP, R, 53, C, 5353, 0, 0, dns, n);
	pg_engine_packet(e, p.b, p.n, 1000, &r);
	CHECK(r.flow->system == PG_SYS_DNS || r.flow->system == PG_SYS_UNKNOWN);
	struct pg_engine_stats st;
	pg_engine_get_stats(e, &st);
	CHECK(st.dns_learned == 1);
	ip4(&p, IPPROTO_TCP, C, 40002, S, 443, PG_TCP_SYN, 1, NULL, 0);
	pg_engine_packet(e, p.b, p.n, 2000, &r);
	CHECK(r.flow->system == PG_SYS_AIM && r.flow->feature == PG_FEAT_LOGIN);
	CHECK(r.flow->method == PG_METHOD_HOST && r.flow->state == PG_FLOW_DECIDED);
	/* after the TTL (300 s) the name is forgotten */
	ip4(&p, IPPROTO_TCP, C, 40003, S, 443, PG_TCP_SYN, 1, NULL, 0);
	pg_engine_packet(e, p.b, p.n, 1000 + 301 * 1000, &r);
	CHECK(r.flow->system != PG_SYS_AIM);
	pg_engine_destroy(e);
	pg_host_rules_destroy(h);
}

/* Budget: a flow of unrecognisable bytes is decided once one direction has
 * brought inspect_bytes bytes (here 256: the fourth datagram of 64), and is
 * then never inspected again. */
static void test_budget(void)
{
	struct pg_engine_config cfg = engine_config(64, 8);
	cfg.inspect_bytes = 256;
	struct pg_engine *e = pg_engine_create(&cfg, NULL);
	struct pktbuf p;
	struct pg_packet_result r;
	uint8_t junk[64];
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 37 + 11);
	int decided_at = -1;
	for (uint32_t i = 0; i < 20; i++) {
		ip4(&p, IPPROTO_UDP, C, 40004, S, 40005, 0, 0, junk, sizeof(junk));
		pg_engine_packet(e, p.b, p.n, i, &r);
		if (r.just_decided)
			decided_at = (int)i;
	}
	CHECK(decided_at == 3);
	CHECK(r.flow->state == PG_FLOW_DECIDED && r.flow->packets[0] == 20);
	pg_engine_destroy(e);
}

/* Floods: flows beyond max_flows evict the least recently used; flows beyond
 * the inspection pool are still inspected (without reassembly). */
static void test_bounded(void)
{
	struct pg_engine *e = mk_engine(NULL, 128, 4);
	struct pktbuf p;
	struct pg_packet_result r;
	uint8_t hs[68] = {0x13};
	memcpy(hs + 1, "BitTorrent protocol", 19);
	for (uint32_t i = 0; i < 5000; i++) {
		uint8_t src[4] = {10, 9, (uint8_t)(i >> 8), (uint8_t)i};
		ip4(&p, IPPROTO_TCP, src, 1024, S, 6881, PG_TCP_ACK | PG_TCP_PSH, 1, hs, sizeof(hs));
		pg_engine_packet(e, p.b, p.n, i, &r);
		CHECK(r.flow->system == PG_SYS_BITTORRENT);
	}
	struct pg_engine_stats st;
	pg_engine_get_stats(e, &st);
	CHECK(st.flows.active == 128 && st.flows.evicted == 5000 - 128);
	pg_engine_destroy(e);
}

/* An HTTP CONNECT to a messenger's login host: the inner system is
 * reported, and the proxy stays on record for the policy. */
static void test_connect_inner_system(void)
{
	struct pg_host_rules *h = pg_host_rules_create();
	add_shipped_signals(h);
	struct pg_engine *e = mk_engine(h, 64, 8);
	struct pg_packet_result r;
	const char *req = "CONNECT login.oscar.aol.com:5190 HTTP/1.1\r\n"
			  "Host: login.oscar.aol.com:5190\r\n\r\n";
	syn_then_send(e, 40100, S, 3128, req, strlen(req), &r);
	CHECK(r.flow->system == PG_SYS_AIM && r.flow->feature == PG_FEAT_LOGIN);
	CHECK(r.flow->method == PG_METHOD_HOST);
	CHECK(r.flow->via_proxy == PG_FEAT_HTTP_CONNECT);
	pg_engine_destroy(e);
	pg_host_rules_destroy(h);
}

static void test_malformed(void)
{
	struct pg_engine *e = mk_engine(NULL, 16, 4);
	struct pg_packet_result r;
	uint8_t junk[40] = {0x45, 0, 0, 200};
	CHECK(pg_engine_packet(e, junk, sizeof(junk), 0, &r) == PG_ENGINE_MALFORMED);
	CHECK(pg_engine_packet(e, junk, 0, 0, &r) == PG_ENGINE_MALFORMED);
	struct pg_engine_stats st;
	pg_engine_get_stats(e, &st);
	CHECK(st.malformed == 2 && st.flows.active == 0);
	pg_engine_destroy(e);
}

/* pg_engine_find reads a packet's flow without creating, counting or
 * inspecting: an INVALID segment carrying a handshake must not decide
 * (or even create) anything. */
static void test_find_touches_nothing(void)
{
	struct pg_engine *e = mk_engine(NULL, 16, 4);
	struct pg_packet_result r;
	struct pktbuf p;
	static const uint8_t hs[] = "\x13" "BitTorrent protocol";
	struct pg_engine_stats st;

	ip4(&p, IPPROTO_TCP, C, 40200, S, 8000, PG_TCP_ACK | PG_TCP_PSH, 1, hs, sizeof(hs) - 1);
	CHECK(pg_engine_find(e, p.b, p.n, &r) == PG_ENGINE_TRACKED && r.flow == NULL);
	pg_engine_get_stats(e, &st);
	CHECK(st.flows.active == 0 && st.packets == 0);

	ip4(&p, IPPROTO_TCP, C, 40200, S, 8000, PG_TCP_SYN, 0, NULL, 0);
	CHECK(pg_engine_packet(e, p.b, p.n, 0, &r) == PG_ENGINE_TRACKED);
	struct pg_flow *f = r.flow;
	ip4(&p, IPPROTO_TCP, S, 8000, C, 40200, PG_TCP_ACK | PG_TCP_PSH, 1, hs, sizeof(hs) - 1);
	CHECK(pg_engine_find(e, p.b, p.n, &r) == PG_ENGINE_TRACKED && r.flow == f &&
	      r.dir == PG_DIR_S2C);
	CHECK(f->state != PG_FLOW_DECIDED && f->packets[PG_DIR_S2C] == 0);
	pg_engine_destroy(e);
}

/* A short plain HTTP exchange seen from its SYN (issue 10: two packets
 * or fewer through user space).  On port 80 every detector rules its
 * system out on the request, so the request decides the flow; on a port
 * where servents listen, Gnutella and FastTrack await the answer, which
 * decides it. */
static void plain_http(uint16_t port, bool on_request)
{
	struct pg_engine *e = mk_engine(NULL, 64, 8);
	struct pktbuf p;
	struct pg_packet_result r;
	const char *req = "GET / HTTP/1.0\r\nHost: 192.0.2.80\r\n"
			  "User-Agent: ApacheBench/2.3\r\nAccept: */*\r\n\r\n";
	const char *resp = "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\n"
			   "Content-Type: text/html\r\nContent-Length: 2\r\n\r\nok";
	ip4(&p, IPPROTO_TCP, C, 40300, S, port, PG_TCP_SYN, 1000, NULL, 0);
	pg_engine_packet(e, p.b, p.n, 0, &r);
	ip4(&p, IPPROTO_TCP, S, port, C, 40300, PG_TCP_SYN | PG_TCP_ACK, 5000, NULL, 0);
	p.b[31] = 0xe9; /* acknowledgement number 1001 */
	p.b[30] = 0x03;
	pg_engine_packet(e, p.b, p.n, 1, &r);
	ip4(&p, IPPROTO_TCP, C, 40300, S, port, PG_TCP_ACK | PG_TCP_PSH, 1001,
	    (const uint8_t *)req, strlen(req));
	pg_engine_packet(e, p.b, p.n, 2, &r);
	CHECK(r.flow && (r.flow->state == PG_FLOW_DECIDED) == on_request);
	ip4(&p, IPPROTO_TCP, S, port, C, 40300, PG_TCP_ACK | PG_TCP_PSH, 5001,
	    (const uint8_t *)resp, strlen(resp));
	pg_engine_packet(e, p.b, p.n, 3, &r);
	CHECK(r.flow && r.flow->state == PG_FLOW_DECIDED && r.just_decided != on_request);
	CHECK(r.flow && r.flow->system == PG_SYS_HTTP);
	pg_engine_destroy(e);
}

static void test_plain_http(void)
{
	plain_http(80, true);
	plain_http(8080, true);
	plain_http(6346, false);
	plain_http(47321, false);
}

/* A shipped vendor range (policy/systems.d: Telegram's published networks,
 * Microsoft's Teams ranges) names the system on the first packet; the first
 * payload decides the feature: the system's own detector may make it a
 * call, the ordinary protocol carrying it (HTTP here) cannot take it. */
static void test_vendor_range(void)
{
	struct pg_host_rules *h = pg_host_rules_create();
	CHECK(add_shipped_signals(h));
	struct pg_engine *e = mk_engine(h, 64, 8);
	struct pktbuf p;
	struct pg_packet_result r;
	const uint8_t dc2[4] = {149, 154, 167, 51}, reflector[4] = {91, 108, 8, 7};
	const uint8_t teams[4] = {52, 113, 0, 10}, other[4] = {149, 154, 176, 1};
	const char *get = "GET / HTTP/1.1\r\nHost: x.test\r\n\r\n";

	ip4(&p, IPPROTO_TCP, C, 40100, dc2, 80, PG_TCP_SYN, 1, NULL, 0);
	pg_engine_packet(e, p.b, p.n, 0, &r);
	CHECK(r.flow->system == PG_SYS_TELEGRAM && r.flow->feature == PG_FEAT_IM &&
	      r.flow->method == PG_METHOD_HOST && r.flow->state != PG_FLOW_DECIDED);
	ip4(&p, IPPROTO_TCP, C, 40100, dc2, 80, PG_TCP_ACK | PG_TCP_PSH, 2,
	    (const uint8_t *)get, strlen(get));
	pg_engine_packet(e, p.b, p.n, 1, &r);
	CHECK(r.flow->system == PG_SYS_TELEGRAM && r.flow->feature == PG_FEAT_IM);
	CHECK(r.flow->state == PG_FLOW_DECIDED && r.just_decided);

	/* nor can a stronger ordinary protocol (an SSH banner) */
	const char *ssh = "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n";
	ip4(&p, IPPROTO_TCP, C, 40101, dc2, 22, PG_TCP_SYN, 1, NULL, 0);
	pg_engine_packet(e, p.b, p.n, 1, &r);
	ip4(&p, IPPROTO_TCP, dc2, 22, C, 40101, PG_TCP_ACK | PG_TCP_PSH, 77,
	    (const uint8_t *)ssh, strlen(ssh));
	pg_engine_packet(e, p.b, p.n, 1, &r);
	CHECK(r.flow->system == PG_SYS_TELEGRAM && r.flow->state == PG_FLOW_DECIDED);

	/* the reflector request of test_detect_telegram (ndpi_telegram.pcap) */
	uint8_t call[40];
	size_t n = pg_hex("dc4c00291565b7acbc236da9eda0d597fffffffffffffffffffffffffeffffff"
			  "28f946112601a2f0", call, sizeof(call));
	ip4(&p, IPPROTO_UDP, C, 23174, reflector, 521, 0, 0, call, n);
	pg_engine_packet(e, p.b, p.n, 2, &r);
	CHECK(r.flow->system == PG_SYS_TELEGRAM && r.flow->feature == PG_FEAT_VOICE_VIDEO);
	CHECK(r.flow->state == PG_FLOW_DECIDED);

	/* Teams' ranges leave the feature open: the MS-TURN Allocate of
	 * test_detect_stun (ndpi_teams.pcap frame 1238) names it a call */
	uint8_t turn[80];
	n = pg_hex("000300302112a442b2343f6e67f41d58acba639f000f000472c64bc680370004000000"
		   "02800800040000000680060004000000010010000400002ee08055000400020002",
		   turn, sizeof(turn));
	ip4(&p, IPPROTO_UDP, C, 50002, teams, 3478, 0, 0, turn, n);
	pg_engine_packet(e, p.b, p.n, 3, &r);
	CHECK(r.flow->system == PG_SYS_TEAMS && r.flow->feature == PG_FEAT_VOICE_VIDEO &&
	      r.flow->state == PG_FLOW_DECIDED);
	/* and unreadable bytes keep `any` */
	uint8_t junk[24] = {0x17, 0x42, 0x99};
	ip4(&p, IPPROTO_UDP, C, 50000, teams, 3479, 0, 0, junk, sizeof(junk));
	pg_engine_packet(e, p.b, p.n, 3, &r);
	CHECK(r.flow->system == PG_SYS_TEAMS && r.flow->feature == PG_FEAT_ANY &&
	      r.flow->method == PG_METHOD_HOST && r.flow->state == PG_FLOW_DECIDED);

	/* just past 149.154.160.0/20 */
	ip4(&p, IPPROTO_UDP, C, 50001, other, 3479, 0, 0, junk, sizeof(junk));
	pg_engine_packet(e, p.b, p.n, 4, &r);
	CHECK(r.flow->system != PG_SYS_TELEGRAM && r.flow->method != PG_METHOD_HOST);
	pg_engine_destroy(e);
	pg_host_rules_destroy(h);
}

/* With every inspection slot taken and starved packets dropped (fail =
 * closed), a flow that a vendor's range named is still decided by it. */
static void test_vendor_range_starved(void)
{
	struct pg_host_rules *h = pg_host_rules_create();
	CHECK(add_shipped_signals(h));
	struct pg_engine_config cfg = engine_config(64, 1);
	cfg.starved_dropped = true;
	struct pg_engine *e = pg_engine_create(&cfg, h);
	struct pg_packet_result r;
	const uint8_t dc2[4] = {149, 154, 167, 51};
	const uint8_t junk[16] = {0x42, 0x17, 0x99, 0x01};

	/* an unknown flow holds the one slot */
	syn_then_send(e, 40200, S, 9999, junk, sizeof(junk), &r);
	CHECK(r.flow->state != PG_FLOW_DECIDED && !r.starved);

	syn_then_send(e, 40201, dc2, 443, junk, sizeof(junk), &r);
	CHECK(!r.starved && r.flow->system == PG_SYS_TELEGRAM &&
	      r.flow->state == PG_FLOW_DECIDED && r.just_decided);
	pg_engine_destroy(e);
	pg_host_rules_destroy(h);
}

int main(void)
{
	test_payload_any_port();
	test_port_hint_overridden();
	test_dns_host();
	test_budget();
	test_bounded();
	test_connect_inner_system();
	test_malformed();
	test_find_touches_nothing();
	test_plain_http();
	test_vendor_range();
	test_vendor_range_starved();
	return pg_test_summary("test_engine");
}
