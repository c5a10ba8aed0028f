/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Yahoo peer-connection offers through the engine: a YMSG session is
 * decided and watched, a PDU in it offers a direct connection, and the
 * new TCP flow to the announced address:port is classified on its SYN with
 * method correlation.  The PDUs are built from the documented layout
 * (signatures.md 5.2) with the keys libpurple 2.10.9 writes (see
 * src/detect/yahoo.c ymsg_pdu_offer); the corpus holds no Yahoo P2P offer.
 */
#include "detect_harness.h"
#include "peergate/engine.h"
#include "peergate/detect_registry.h"
#include "ymsg_pdu.h"

static const uint8_t C[4] = {10, 1, 0, 2};         /* the client */
static const uint8_t S[4] = {192, 0, 2, 80};       /* the pager server */
/* 203.0.113.7: libpurple's key 12 "MTI0ODQ2Mjgz" (base64 of "124846283",
 * i.e. 7<<24 | 113<<16 | 0<<8 | 203). */
static const uint8_t PEER[4] = {203, 0, 113, 7};
static const uint8_t PEER_FT[4] = {203, 0, 113, 9};
static const uint8_t PEER_BAD[4] = {203, 0, 113, 11};

struct session {
	struct pg_engine *e;
	uint32_t cseq, sseq;
	uint64_t now;
};

static void send_payload(struct session *s, enum pg_dir dir,
			 const uint8_t *data, size_t len,
			 struct pg_packet_result *r)
{
	struct pktbuf p;
	if (dir == PG_DIR_C2S) {
		ip4(&p, IPPROTO_TCP, C, 40010, S, 5050, PG_TCP_ACK | PG_TCP_PSH,
		    s->cseq, data, len);
		s->cseq += (uint32_t)len;
	} else {
		ip4(&p, IPPROTO_TCP, S, 5050, C, 40010, PG_TCP_ACK | PG_TCP_PSH,
		    s->sseq, data, len);
		s->sseq += (uint32_t)len;
	}
	pg_engine_packet(s->e, p.b, p.n, s->now++, r);
}

/* The SYN of a new flow from the client (or the peer's side) to dst:port. */
static void syn(struct session *s, const uint8_t src[4], uint16_t sport,
		const uint8_t dst[4], uint16_t dport,
		struct pg_packet_result *r)
{
	struct pktbuf p;
	ip4(&p, IPPROTO_TCP, src, sport, dst, dport, PG_TCP_SYN, 777, NULL, 0);
	pg_engine_packet(s->e, p.b, p.n, s->now++, r);
}

static void test_watched_offers(void)
{
	struct pg_engine_config cfg;
	pg_engine_config_defaults(&cfg);
	pg_detect_attach(&cfg);
	cfg.max_flows = 64;
	cfg.max_inspecting = 8;
	struct session s = {.e = pg_engine_create(&cfg, NULL), .cseq = 1001,
			    .sseq = 5001, .now = 1000};
	CHECK(s.e != NULL);
	if (!s.e)
		return;
	struct pktbuf p;
	struct pg_packet_result r;
	uint8_t b[512];
	size_t n;

	/* The pager session: handshake, then a ping (ws_h.pcap frame 6's
	 * pairs) decides it yahoo/im; Yahoo control flows are watched. */
	ip4(&p, IPPROTO_TCP, C, 40010, S, 5050, PG_TCP_SYN, 1000, NULL, 0);
	pg_engine_packet(s.e, p.b, p.n, s.now++, &r);
	ip4(&p, IPPROTO_TCP, S, 5050, C, 40010, PG_TCP_SYN | PG_TCP_ACK, 5000,
	    NULL, 0);
	p.b[30] = 0x03; /* acknowledgement number 1001: the client's stream start */
	p.b[31] = 0xe9;
	pg_engine_packet(s.e, p.b, p.n, s.now++, &r);
	const char *const ping[] = {"0", "681988", NULL};
	n = ymsg_pdu(b, sizeof(b), 0x008a, 0, ping, 0);
	send_payload(&s, PG_DIR_C2S, b, n, &r);
	CHECK(r.flow && r.flow->system == PG_SYS_YAHOO &&
	      r.flow->feature == PG_FEAT_IM &&
	      r.flow->state == PG_FLOW_DECIDED &&
	      (r.flow->flags & PG_FLOW_WATCH));

	/* Mid-session, the server relays bob's P2P offer (status 11,
	 * YAHOO_STATUS_P2P) after an ordinary message, in one packet. */
	const char *const msg[] = {"4", "bob", "5", "alice", "14", "hi", NULL};
	n = ymsg_pdu(b, sizeof(b), 0x0006, 1, msg, 0);
	const char *const offer[] = {"1", "bob", "4", "bob", "12",
				     "MTI0ODQ2Mjgz", "61", "0", "2", "", "5",
				     "alice", "13", "0", "49", "PEERTOPEER",
				     NULL};
	n += ymsg_pdu(b + n, sizeof(b) - n, 0x004f, 11, offer, 0);
	send_payload(&s, PG_DIR_S2C, b, n, &r);
	struct pg_engine_stats st;
	pg_engine_get_stats(s.e, &st);
	CHECK(st.expectations == 1);

	/* The client connects to bob on 5101: yahoo/im by correlation. */
	syn(&s, C, 40011, PEER, 5101, &r);
	CHECK(r.created && r.flow && r.flow->system == PG_SYS_YAHOO);
	CHECK(r.flow && r.flow->feature == PG_FEAT_IM);
	CHECK(r.flow && r.flow->method == PG_METHOD_CORRELATION);
	CHECK(r.flow && r.flow->state == PG_FLOW_DECIDED);

	/* A direct Y7 file transfer: alice's client sends 0xDD with 249 = 1
	 * and the URL of its listener (yahoo_p2p_ft_server_listen_cb). */
	const char *const info[] = {
		"1", "alice", "5", "bob", "265", "AbCdEfGhIjKlMnOpQrStUvWxYz0=",
		"27", "notes.txt", "249", "1", "250",
		"http://203.0.113.9:4443/Messenger.bob.1200000000000notes.txt"
		"?AppID=Messenger&UserID=bob&K=lc9lu2u89gz1llmplwksajkjx",
		NULL};
	n = ymsg_pdu(b, sizeof(b), 0x00dd, 0, info, 0);
	send_payload(&s, PG_DIR_C2S, b, n, &r);
	syn(&s, S, 33000, PEER_FT, 4443, &r);
	CHECK(r.created && r.flow && r.flow->system == PG_SYS_YAHOO);
	CHECK(r.flow && r.flow->feature == PG_FEAT_FILE_TRANSFER);
	CHECK(r.flow && r.flow->method == PG_METHOD_CORRELATION);

	/* A damaged offer (base64 one character short) announces nothing. */
	const char *const bad[] = {"4", "carol", "12", "MTI0ODQ2Mjk", "49",
				   "PEERTOPEER", NULL};
	n = ymsg_pdu(b, sizeof(b), 0x004f, 11, bad, 0);
	send_payload(&s, PG_DIR_S2C, b, n, &r);
	pg_engine_get_stats(s.e, &st);
	CHECK(st.expectations == 2);
	syn(&s, C, 40012, PEER_BAD, 5101, &r);
	CHECK(r.flow && r.flow->method != PG_METHOD_CORRELATION);
	pg_engine_destroy(s.e);
}

/* The offer in the first payload of a session (inspection, not watch). */
static void test_offer_while_inspecting(void)
{
	struct pg_engine_config cfg;
	pg_engine_config_defaults(&cfg);
	pg_detect_attach(&cfg);
	cfg.max_flows = 64;
	cfg.max_inspecting = 8;
	struct session s = {.e = pg_engine_create(&cfg, NULL), .cseq = 1001,
			    .sseq = 5001, .now = 1000};
	CHECK(s.e != NULL);
	if (!s.e)
		return;
	struct pktbuf p;
	struct pg_packet_result r;
	uint8_t b[512];
	ip4(&p, IPPROTO_TCP, C, 40020, S, 5050, PG_TCP_SYN, 1000, NULL, 0);
	pg_engine_packet(s.e, p.b, p.n, s.now++, &r);
	const char *const offer[] = {"1", "alice", "4", "alice", "12",
				     "MTI0ODQ2Mjgz", "5", "bob", "13", "0",
				     "49", "PEERTOPEER", NULL};
	size_t n = ymsg_pdu(b, sizeof(b), 0x004f, 0, offer, 0);
	ip4(&p, IPPROTO_TCP, C, 40020, S, 5050, PG_TCP_ACK | PG_TCP_PSH, 1001,
	    b, n);
	pg_engine_packet(s.e, p.b, p.n, s.now++, &r);
	CHECK(r.flow && r.flow->system == PG_SYS_YAHOO &&
	      r.flow->state == PG_FLOW_DECIDED);
	/* Here alice offered herself: bob's client connects to her. */
	syn(&s, S, 33001, PEER, 5101, &r);
	CHECK(r.flow && r.flow->system == PG_SYS_YAHOO &&
	      r.flow->feature == PG_FEAT_IM &&
	      r.flow->method == PG_METHOD_CORRELATION);
	pg_engine_destroy(s.e);
}

int main(void)
{
	test_watched_offers();
	test_offer_while_inspecting();
	return pg_test_summary("test_yahoo_correlation");
}
