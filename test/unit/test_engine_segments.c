/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The engine's TCP reassembly and inspection slots, over synthetic IP
 * packets: a BitTorrent handshake cut into tiny, reordered and overlapping
 * segments must still be found; a segment with other bytes for a place
 * already received is refused; a gap holds the stream back; the budget counts bytes; and
 * flows that find no slot are reported as starved.
 */
#include "detect_harness.h"
#include "peergate/engine.h"
#include "peergate/detect_registry.h"

#include <netinet/in.h>

/* A TCP packet, built by the harness's packet builder. */
static void tcp4(struct pktbuf *p, const uint8_t src[4], uint16_t sport,
		 const uint8_t dst[4], uint16_t dport, uint8_t flags, uint32_t seq,
		 const uint8_t *data, size_t len)
{
	ip4(p, IPPROTO_TCP, src, sport, dst, dport, flags, seq, data, len);
}

/* Sets the acknowledgement number of a packet built by tcp4. */
static void set_ack(struct pktbuf *p, uint32_t ack)
{
	p->b[28] = (uint8_t)(ack >> 24);
	p->b[29] = (uint8_t)(ack >> 16);
	p->b[30] = (uint8_t)(ack >> 8);
	p->b[31] = (uint8_t)ack;
}

static const uint8_t C[4] = {10, 1, 0, 2}, S[4] = {192, 0, 2, 80};

/* A BitTorrent handshake (BEP 3): "\x13BitTorrent protocol", 8 reserved
 * bytes, the info hash and the peer id "-qB4250-...". */
static const char bt_handshake_hex[] =
	"13 426974546f7272656e742070726f746f636f6c"
	"0000000000100005"
	"d2e53fb603652d991991b6ad2357a7a28f8d9bb4"
	"2d7142343235302d 6b7a5f31394e2e7121763c4d";

static size_t bt_handshake(uint8_t *buf, size_t cap)
{
	return pg_hex(bt_handshake_hex, buf, cap);
}

static struct pg_engine *mk(uint32_t slots, bool starved_dropped, uint32_t bytes,
			    uint32_t packets)
{
	struct pg_engine_config cfg;
	pg_engine_config_defaults(&cfg);
	pg_detect_attach(&cfg);
	cfg.max_flows = 256;
	cfg.max_inspecting = slots;
	cfg.starved_dropped = starved_dropped;
	if (bytes)
		cfg.inspect_bytes = bytes;
	if (packets)
		cfg.inspect_packets = packets;
	return pg_engine_create(&cfg, NULL);
}

/* One client connection to S:port (not a port any table hints at). */
struct conn {
	struct pg_engine *e;
	uint16_t port;
	uint32_t isn;             /* the client's initial sequence number */
	struct pg_packet_result r;
};

enum { ISN = 0xfffffff0u };  /* close to the wrap, on purpose */

static void conn_open(struct conn *c, struct pg_engine *e, uint16_t port, uint64_t now_ms)
{
	struct pktbuf p;
	c->e = e;
	c->port = port;
	c->isn = ISN;
	tcp4(&p, C, port, S, 443, PG_TCP_SYN, c->isn, NULL, 0);
	pg_engine_packet(e, p.b, p.n, now_ms, &c->r);
	tcp4(&p, S, 443, C, port, PG_TCP_SYN | PG_TCP_ACK, 7000, NULL, 0);
	set_ack(&p, c->isn + 1);
	pg_engine_packet(e, p.b, p.n, now_ms, &c->r);
}

/* Client bytes at stream offset off. */
static void conn_send(struct conn *c, size_t off, const uint8_t *data, size_t len,
		      uint64_t now_ms)
{
	struct pktbuf p;
	tcp4(&p, C, c->port, S, 443, PG_TCP_ACK | PG_TCP_PSH, c->isn + 1 + (uint32_t)off,
	     data, len);
	CHECK(pg_engine_packet(c->e, p.b, p.n, now_ms, &c->r) == PG_ENGINE_TRACKED);
}

static bool is_bt_download(const struct pg_flow *f)
{
	return f->system == PG_SYS_BITTORRENT && f->feature == PG_FEAT_DOWNLOAD &&
	       f->method == PG_METHOD_PAYLOAD && f->state == PG_FLOW_DECIDED;
}

static struct pg_engine_stats stats_of(const struct pg_engine *e)
{
	struct pg_engine_stats st;
	pg_engine_get_stats(e, &st);
	return st;
}

/* The handshake in segments of 1, 2, 5 and 10 bytes: decided as soon as
 * the 20-byte protocol name is complete, never before. */
static void test_tiny_segments(void)
{
	static const size_t sizes[] = {1, 2, 5, 10};
	uint8_t hs[68];
	size_t n = bt_handshake(hs, sizeof(hs));
	CHECK(n == 68);
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		size_t size = sizes[k];
		struct pg_engine *e = mk(8, true, 0, 0);
		struct conn c;
		conn_open(&c, e, (uint16_t)(41000 + k), 0);
		int decided_at = -1;
		for (size_t off = 0, i = 0; off < n; off += size, i++) {
			size_t len = n - off < size ? n - off : size;
			conn_send(&c, off, hs + off, len, 1);
			CHECK(!c.r.starved);
			if (c.r.just_decided)
				decided_at = (int)i;
		}
		CHECK(decided_at == (int)((20 + size - 1) / size) - 1);
		CHECK(is_bt_download(c.r.flow));
		pg_engine_destroy(e);
	}
}

/* Segments sent last first: held until the first one arrives, then read as
 * one stream. */
static void test_reverse_order(void)
{
	uint8_t hs[68];
	size_t n = bt_handshake(hs, sizeof(hs));
	struct pg_engine *e = mk(8, true, 0, 0);
	struct conn c;
	conn_open(&c, e, 41100, 0);
	for (size_t off = 64; off > 0; off -= 4) {
		conn_send(&c, off, hs + off, n - off < 4 ? n - off : 4, 1);
		CHECK(c.r.flow->state != PG_FLOW_DECIDED);
		CHECK(c.r.flow->payload_pkts[PG_DIR_C2S] == 0);
	}
	CHECK(stats_of(e).segments_held == 16);
	conn_send(&c, 0, hs, 4, 2);
	CHECK(c.r.just_decided && is_bt_download(c.r.flow));
	pg_engine_destroy(e);
}

/* Overlaps: the bytes received first stand, delivered or held.  A segment
 * that carries other bytes for their place is refused whole (none of its
 * bytes are read, new ones included) and reported, so the gateway can drop
 * it; the same bytes again are no conflict. */
static void test_overlaps_first_stand(void)
{
	uint8_t hs[68];
	size_t n = bt_handshake(hs, sizeof(hs));

	/* A benign start, then a "retransmission" of the same place carrying
	 * the handshake (as after an inserted segment that the receiver
	 * discarded): refused, and the detectors keep "GET /ab". */
	struct pg_engine *e = mk(8, true, 0, 0);
	struct conn c;
	conn_open(&c, e, 41200, 0);
	uint8_t get[7];
	CHECK(pg_hex("474554202f6162", get, sizeof(get)) == 7); /* "GET /ab" */
	conn_send(&c, 0, get, sizeof(get), 1);
	CHECK(!c.r.conflict);
	conn_send(&c, 0, hs, n, 2);
	CHECK(c.r.conflict && c.r.flow->state != PG_FLOW_DECIDED);
	CHECK(c.r.flow->payload_pkts[PG_DIR_C2S] == 1);
	CHECK(c.r.flow->system != PG_SYS_BITTORRENT);
	CHECK(stats_of(e).overlap_conflicts == 1);
	pg_engine_destroy(e);

	e = mk(8, true, 0, 0);
	conn_open(&c, e, 41201, 0);
	uint8_t x[8];
	conn_send(&c, 0, hs, 4, 1);                     /* "\x13Bit" */
	conn_send(&c, 0, hs, 4, 1);                     /* the same again */
	CHECK(!c.r.conflict);
	memcpy(x, "XXXX", 4);
	memcpy(x + 4, hs + 4, 4);
	conn_send(&c, 0, x, 8, 2);                      /* "XXXX" + "Torr" */
	CHECK(c.r.conflict && c.r.flow->payload_pkts[PG_DIR_C2S] == 1);
	conn_send(&c, 12, hs + 12, 8, 3);               /* "protocol", held */
	CHECK(!c.r.conflict);
	memcpy(x, hs + 10, 2);
	memcpy(x + 2, "XXXX", 4);
	conn_send(&c, 10, x, 6, 4);                     /* "t " + "XXXX" over "prot" */
	CHECK(c.r.conflict);
	conn_send(&c, 4, hs + 4, 6, 5);                 /* "Torren" */
	CHECK(!c.r.conflict && c.r.flow->payload_pkts[PG_DIR_C2S] == 2);
	CHECK(c.r.flow->state != PG_FLOW_DECIDED);      /* "t " is still missing */
	conn_send(&c, 10, hs + 10, 2, 6);
	CHECK(c.r.just_decided && is_bt_download(c.r.flow));
	CHECK(stats_of(e).overlap_conflicts == 2);
	pg_engine_destroy(e);
}

/* Two SYNs with other sequence numbers: the stream is read from where the
 * server's SYN-ACK says the client's starts. */
static void test_start_from_syn_ack(void)
{
	uint8_t hs[68];
	size_t n = bt_handshake(hs, sizeof(hs));
	struct pg_engine *e = mk(8, true, 0, 0);
	struct pktbuf p;
	struct pg_packet_result r;
	const uint32_t real = 90000, decoy = real - 10;
	tcp4(&p, C, 41250, S, 443, PG_TCP_SYN, decoy, NULL, 0);
	pg_engine_packet(e, p.b, p.n, 0, &r);
	tcp4(&p, C, 41250, S, 443, PG_TCP_SYN, real, NULL, 0);
	pg_engine_packet(e, p.b, p.n, 0, &r);
	tcp4(&p, S, 443, C, 41250, PG_TCP_SYN | PG_TCP_ACK, 7000, NULL, 0);
	set_ack(&p, real + 1);
	pg_engine_packet(e, p.b, p.n, 0, &r);
	for (size_t off = 0; off < 20; off++) {
		tcp4(&p, C, 41250, S, 443, PG_TCP_ACK | PG_TCP_PSH, real + 1 + (uint32_t)off,
		     hs + off, 1);
		pg_engine_packet(e, p.b, p.n, 1, &r);
	}
	CHECK(is_bt_download(r.flow));
	CHECK(n == 68);
	pg_engine_destroy(e);
}

/* A gap never filled: nothing past it reaches the detectors, however many
 * segments come; segments past the buffer are not kept. */
static void test_gap_never_filled(void)
{
	uint8_t hs[68];
	size_t n = bt_handshake(hs, sizeof(hs));
	struct pg_engine *e = mk(8, true, 0, 0);
	struct conn c;
	conn_open(&c, e, 41300, 0);
	for (int round = 0; round < 100; round++)
		for (size_t off = 1; off < n; off += 3)
			conn_send(&c, off, hs + off, n - off < 3 ? n - off : 3, 1);
	CHECK(c.r.flow->state != PG_FLOW_DECIDED);
	CHECK(c.r.flow->payload_pkts[PG_DIR_C2S] == 0);
	CHECK(c.r.flow->system != PG_SYS_BITTORRENT);
	struct pg_engine_stats st = stats_of(e);
	CHECK(st.segments_held == 23 && st.overlap_conflicts == 0);
	conn_send(&c, 4096, hs, 20, 2);
	CHECK(stats_of(e).segments_beyond == 1);
	/* the missing byte, and the held ones join it */
	conn_send(&c, 0, hs, 1, 3);
	CHECK(c.r.just_decided && is_bt_download(c.r.flow));
	pg_engine_destroy(e);
}

/* A flow first seen mid-stream starts at its first payload; bytes before
 * it are ignored. */
static void test_mid_stream(void)
{
	uint8_t hs[68];
	size_t n = bt_handshake(hs, sizeof(hs));
	struct pg_engine *e = mk(8, true, 0, 0);
	struct pktbuf p;
	struct pg_packet_result r;
	tcp4(&p, C, 41400, S, 443, PG_TCP_ACK | PG_TCP_PSH, 5000 + 10, hs + 10, n - 10);
	pg_engine_packet(e, p.b, p.n, 0, &r);
	CHECK(r.created && !(r.flow->flags & PG_FLOW_FROM_START));
	CHECK(r.flow->payload_pkts[PG_DIR_C2S] == 1);
	tcp4(&p, C, 41400, S, 443, PG_TCP_ACK | PG_TCP_PSH, 5000, hs, 10);
	pg_engine_packet(e, p.b, p.n, 1, &r);
	CHECK(r.flow->payload_pkts[PG_DIR_C2S] == 1);
	CHECK(r.flow->system != PG_SYS_BITTORRENT);
	pg_engine_destroy(e);
}

/* The budget is bytes: 100-byte segments of an unfinished request line
 * end inspection at the segment that fills 256 bytes.  1-byte segments
 * run the detectors on each of the first 32 bytes, then each time the
 * stream grew by an eighth (at least 8 bytes): with a run cap of 128 they
 * reach the same budget (48 runs), with a cap of 40 the cap first (at
 * byte 102), and such a flow is marked cut (its verdict is the fail
 * policy's).  Repeated bytes count for nothing. */
static void test_budget_bytes(void)
{
	uint8_t req[300];
	memcpy(req, "GET /", 5);
	memset(req + 5, 'a', sizeof(req) - 5);

	struct pg_engine *e = mk(8, true, 256, 40);
	struct conn c;
	conn_open(&c, e, 41500, 0);
	int decided_at = -1;
	for (size_t i = 0; i < 3; i++) {
		conn_send(&c, i * 100, req + i * 100, 100, 1);
		if (c.r.just_decided)
			decided_at = (int)i;
	}
	CHECK(decided_at == 2);
	pg_engine_destroy(e);

	static const struct { unsigned cap; int decided_at; bool cut; } runs[] = {
		{128, 255, false},
		{40, 101, true},
	};
	for (size_t k = 0; k < sizeof(runs) / sizeof(runs[0]); k++) {
		e = mk(8, true, 256, runs[k].cap);
		conn_open(&c, e, 41501, 0);
		decided_at = -1;
		for (size_t i = 0; i < 256 && decided_at < 0; i++) {
			conn_send(&c, i, req + i, 1, 1);
			if (c.r.just_decided)
				decided_at = (int)i;
			conn_send(&c, i, req + i, 1, 1); /* again: no new bytes */
		}
		CHECK(decided_at == runs[k].decided_at);
		CHECK(c.r.flow->state == PG_FLOW_DECIDED && c.r.flow->system == PG_SYS_UNKNOWN);
		CHECK(!!(c.r.flow->flags & PG_FLOW_CUT) == runs[k].cut);
		pg_engine_destroy(e);
	}
}

/* Four slots, held by flows that sent an unfinished request line.  A new
 * flow finds none: its packets are starved (and, with starved_dropped,
 * not read), until a holder has been idle for inspect_idle_s (10 s) and
 * its slot is reclaimed.  The flow that lost its slot is starved from then
 * on; a holder that keeps bringing new bytes keeps its slot. */
static void test_slots_reclaimed(void)
{
	uint8_t hs[68];
	bt_handshake(hs, sizeof(hs));
	uint8_t get[5];
	pg_hex("474554202f", get, sizeof(get)); /* "GET /" */
	struct pg_engine *e = mk(4, true, 0, 0);
	struct pktbuf p;
	struct pg_packet_result r;
	for (uint16_t i = 0; i < 4; i++) {
		tcp4(&p, C, (uint16_t)(42000 + i), S, 80, PG_TCP_ACK | PG_TCP_PSH, 100, get, 5);
		pg_engine_packet(e, p.b, p.n, 0, &r);
		CHECK(!r.starved && r.flow->state != PG_FLOW_DECIDED);
	}
	struct pg_engine_stats st = stats_of(e);
	CHECK(st.slots == 4 && st.slots_used == 4);

	/* the fourth holder keeps feeding its detectors */
	tcp4(&p, C, 42003, S, 80, PG_TCP_ACK | PG_TCP_PSH, 105, (const uint8_t *)"a", 1);
	pg_engine_packet(e, p.b, p.n, 9000, &r);

	struct conn c;
	conn_open(&c, e, 41600, 1000);
	conn_send(&c, 0, hs, 1, 1000);
	CHECK(c.r.starved && c.r.flow->state != PG_FLOW_DECIDED);
	CHECK(c.r.flow->payload_pkts[PG_DIR_C2S] == 0);
	conn_send(&c, 0, hs, 1, 9999);
	CHECK(c.r.starved);
	st = stats_of(e);
	CHECK(st.starved_packets == 2 && st.starved_flows == 1 && st.slot_reclaims == 0);

	/* 10 s after the first holders last got bytes: the oldest gives way,
	 * and the handshake, sent again from its start, is read whole */
	for (size_t off = 0; off < 20; off++) {
		conn_send(&c, off, hs + off, 1, 10000);
		CHECK(!c.r.starved);
	}
	CHECK(is_bt_download(c.r.flow));
	st = stats_of(e);
	CHECK(st.slot_reclaims == 1 && st.slots_used == 3);

	/* the flow that lost its slot: starved, whatever comes */
	tcp4(&p, C, 42000, S, 80, PG_TCP_ACK | PG_TCP_PSH, 105, (const uint8_t *)"a", 1);
	pg_engine_packet(e, p.b, p.n, 10001, &r);
	CHECK(r.starved && (r.flow->flags & PG_FLOW_STREAM_LOST));
	CHECK(r.flow->payload_pkts[PG_DIR_C2S] == 1);

	/* new flows take the free slot, then those of the two idle holders;
	 * the fourth holder, fed at 9 s, is not idle yet at 11 s */
	struct conn d[4];
	for (int i = 0; i < 4; i++) {
		conn_open(&d[i], e, (uint16_t)(41700 + i), 11000);
		conn_send(&d[i], 0, get, 5, 11000);
	}
	CHECK(!d[0].r.starved && !d[1].r.starved && !d[2].r.starved && d[3].r.starved);
	st = stats_of(e);
	CHECK(st.slot_reclaims == 3 && st.starved_flows == 3 && st.slots_used == 4);
	pg_engine_destroy(e);
}

/* Without starved_dropped (fail open, offline classification), a starved
 * packet goes through, so it is read on its own: a handshake in one
 * segment is still found; a flow cut into tiny segments is reported
 * starved on each. */
static void test_starved_read_alone(void)
{
	uint8_t hs[68];
	size_t n = bt_handshake(hs, sizeof(hs));
	uint8_t get[5];
	pg_hex("474554202f", get, sizeof(get));
	struct pg_engine *e = mk(1, false, 0, 0);
	struct pktbuf p;
	struct pg_packet_result r;
	tcp4(&p, C, 42100, S, 80, PG_TCP_ACK | PG_TCP_PSH, 100, get, 5);
	pg_engine_packet(e, p.b, p.n, 0, &r);
	CHECK(!r.starved);

	struct conn c;
	conn_open(&c, e, 41800, 1000);
	conn_send(&c, 0, hs, n, 1000);
	CHECK(!c.r.starved && c.r.just_decided && is_bt_download(c.r.flow));

	conn_open(&c, e, 41801, 1000);
	for (size_t off = 0; off < 20; off++) {
		conn_send(&c, off, hs + off, 1, 1000);
		CHECK(c.r.starved);
	}
	CHECK(c.r.flow->flags & PG_FLOW_STREAM_LOST);
	struct pg_engine_stats st = stats_of(e);
	CHECK(st.starved_packets == 21 && st.starved_flows == 2);
	pg_engine_destroy(e);
}

/* TCP Fast Open: data on the SYN starts one after the SYN's number. */
static void test_data_on_syn(void)
{
	uint8_t hs[68];
	size_t n = bt_handshake(hs, sizeof(hs));
	struct pg_engine *e = mk(8, true, 0, 0);
	struct pktbuf p;
	struct pg_packet_result r;
	tcp4(&p, C, 41900, S, 443, PG_TCP_SYN, 500, hs, 10);
	pg_engine_packet(e, p.b, p.n, 0, &r);
	CHECK(r.flow->payload_pkts[PG_DIR_C2S] == 1);
	tcp4(&p, C, 41900, S, 443, PG_TCP_ACK | PG_TCP_PSH, 511, hs + 10, n - 10);
	pg_engine_packet(e, p.b, p.n, 1, &r);
	CHECK(r.just_decided && is_bt_download(r.flow));
	pg_engine_destroy(e);
}

/* negative/ndpi_http_ipv6.pcap, tcp.stream 3: a 212-byte ClientHello
 * naming www.ntop.org.  However finely it is cut, the detectors see it
 * whole and the name is read (a host-based block would apply). */
static void test_client_hello_cut(void)
{
	static const char *ch_hex =
		"16030100cf010000cb030372a7b8955891f5317d8662bdfa03c6c4a53174f4afb27ff0"
		"211f329e7b23161d000020cc14cc13cc15c02bc02f009ec00ac0140039c009c013003"
		"3009c0035002f000a01000082ff0100010000000011000f00000c7777772e6e746f70"
		"2e6f72670017000000230000000d001600140601060305010503040104030301030302"
		"01020300050005010000000033740000001200000010001d001b08687474702f312e31"
		"08737064792f332e310568322d313402683275500000000b00020100000a0006000400"
		"170018";
	uint8_t ch[256];
	size_t n = pg_hex(ch_hex, ch, sizeof(ch));
	static const size_t cuts[] = {1, 2, 5, 7, 64};

	CHECK(n == 212);
	for (size_t k = 0; k < sizeof(cuts) / sizeof(cuts[0]); k++) {
		struct pg_engine_config cfg;
		pg_engine_config_defaults(&cfg);
		pg_detect_attach(&cfg);
		cfg.max_flows = 16;
		cfg.record_hosts = true;
		struct pg_engine *e = pg_engine_create(&cfg, NULL);
		struct conn c;
		conn_open(&c, e, (uint16_t)(41600 + k), 0);
		for (size_t off = 0; off < n; off += cuts[k])
			conn_send(&c, off, ch + off, off + cuts[k] <= n ? cuts[k] : n - off, 1);
		CHECK(c.r.flow->state == PG_FLOW_DECIDED && c.r.flow->system == PG_SYS_TLS);
		CHECK(!(c.r.flow->flags & PG_FLOW_CUT));
		const char *host = pg_engine_flow_host(e, c.r.flow);
		CHECK(host && strcmp(host, "www.ntop.org") == 0);
		pg_engine_destroy(e);
	}
}

int main(void)
{
	test_tiny_segments();
	test_reverse_order();
	test_overlaps_first_stand();
	test_start_from_syn_ack();
	test_gap_never_filled();
	test_mid_stream();
	test_budget_bytes();
	test_slots_reclaimed();
	test_starved_read_alone();
	test_data_on_syn();
	test_client_hello_cut();
	return pg_test_summary("test_engine_segments");
}
