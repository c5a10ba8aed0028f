/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The core library on its own: this binary links pgcore and nothing of
 * src/detect, so it fails to link the day the core names a detector again.
 * Without detectors the engine still tracks flows and classes them by port
 * (and would by host and correlation); payload alone names nothing.
 */
#include "check.h"
#include "packet_builder.h"
#include "peergate/engine.h"

static const uint8_t C[4] = {10, 1, 0, 2}, S[4] = {192, 0, 2, 80};

static struct pg_engine *engine_without_detectors(void)
{
	struct pg_engine_config cfg;
	pg_engine_config_defaults(&cfg);
	cfg.max_flows = 64;
	cfg.max_inspecting = 8;
	CHECK(cfg.detectors == NULL);
	return pg_engine_create(&cfg, NULL);
}

/* Gnutella's port still gives its hint. */
static void test_port_hint(void)
{
	struct pg_engine *e = engine_without_detectors();
	struct pktbuf p;
	struct pg_packet_result r;
	ip4(&p, IPPROTO_TCP, C, 40000, S, 6346, PG_TCP_SYN, 1000, NULL, 0);
	CHECK(pg_engine_packet(e, p.b, p.n, 0, &r) == PG_ENGINE_TRACKED && r.created);
	CHECK(r.flow && r.flow->system == PG_SYS_GNUTELLA && r.flow->method == PG_METHOD_PORT);
	pg_engine_destroy(e);
}

/* A BitTorrent handshake on 443 is a payload-only signal: with no detector
 * handed in, the flow stays unknown however many bytes it carries. */
static void test_no_payload_classes(void)
{
	struct pg_engine *e = engine_without_detectors();
	struct pktbuf p;
	struct pg_packet_result r;
	uint8_t hs[68] = {0x13};
	memcpy(hs + 1, "BitTorrent protocol", 19);
	ip4(&p, IPPROTO_TCP, C, 40001, S, 443, PG_TCP_SYN, 1000, NULL, 0);
	pg_engine_packet(e, p.b, p.n, 0, &r);
	ip4(&p, IPPROTO_TCP, C, 40001, S, 443, PG_TCP_ACK | PG_TCP_PSH, 1001, hs, sizeof(hs));
	CHECK(pg_engine_packet(e, p.b, p.n, 1, &r) == PG_ENGINE_TRACKED);
	CHECK(r.flow && r.flow->system != PG_SYS_BITTORRENT);
	struct pg_engine_stats st;
	pg_engine_get_stats(e, &st);
	CHECK(st.packets == 2);
	pg_engine_destroy(e);
}

int main(void)
{
	test_port_hint();
	test_no_payload_classes();
	return pg_test_summary("core_alone");
}
