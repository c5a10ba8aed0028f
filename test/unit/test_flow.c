/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "check.h"
#include "peergate/flow.h"

#include <netinet/in.h>

static struct pg_packet mk(uint8_t proto, uint32_t src, uint16_t sport,
			   uint32_t dst, uint16_t dport, uint8_t flags)
{
	struct pg_packet p;
	memset(&p, 0, sizeof(p));
	p.family = 4;
	p.l4proto = proto;
	p.tcp_flags = flags;
	for (int i = 0; i < 4; i++) {
		p.src[i] = (uint8_t)(src >> (24 - 8 * i));
		p.dst[i] = (uint8_t)(dst >> (24 - 8 * i));
	}
	p.sport = sport;
	p.dport = dport;
	return p;
}

static unsigned ended;
static void count_end(const struct pg_flow *f, void *ctx)
{
	(void)f;
	(void)ctx;
	ended++;
}

static void test_directions(void)
{
	struct pg_flow_config cfg = {.max_flows = 16, .tcp_timeout_s = 600, .udp_timeout_s = 60};
	struct pg_flow_table *t = pg_flow_table_create(&cfg, NULL, NULL);
	bool created;
	enum pg_dir dir;
	struct pg_packet syn = mk(IPPROTO_TCP, 0x0a000001, 40000, 0x0a000002, 5190, PG_TCP_SYN);
	struct pg_packet synack = mk(IPPROTO_TCP, 0x0a000002, 5190, 0x0a000001, 40000,
				     PG_TCP_SYN | PG_TCP_ACK);

	struct pg_flow *a = pg_flow_lookup(t, &syn, 1, &dir, &created);
	CHECK(a && created && dir == PG_DIR_C2S);
	CHECK(a->client_port == 40000 && a->server_port == 5190);
	struct pg_flow *b = pg_flow_lookup(t, &synack, 1, &dir, &created);
	CHECK(b == a && !created && dir == PG_DIR_S2C);

	/* a SYN-ACK seen first still makes its receiver the client */
	struct pg_packet sa2 = mk(IPPROTO_TCP, 0x0a000009, 80, 0x0a000001, 41000,
				  PG_TCP_SYN | PG_TCP_ACK);
	struct pg_flow *c = pg_flow_lookup(t, &sa2, 1, &dir, &created);
	CHECK(c && created && dir == PG_DIR_S2C && c->server_port == 80 && c->client_port == 41000);

	/* same ports, other protocol: a different flow */
	struct pg_packet udp = mk(IPPROTO_UDP, 0x0a000001, 40000, 0x0a000002, 5190, 0);
	struct pg_flow *d = pg_flow_lookup(t, &udp, 1, &dir, &created);
	CHECK(d && created && d != a);

	struct pg_flow_stats st;
	pg_flow_get_stats(t, &st);
	CHECK(st.active == 3 && st.created == 3);
	pg_flow_table_destroy(t);
}

static void test_lru_eviction(void)
{
	struct pg_flow_config cfg = {.max_flows = 4, .tcp_timeout_s = 600, .udp_timeout_s = 600};
	ended = 0;
	struct pg_flow_table *t = pg_flow_table_create(&cfg, count_end, NULL);
	bool created;
	enum pg_dir dir;
	struct pg_packet p[6];
	for (int i = 0; i < 6; i++)
		p[i] = mk(IPPROTO_UDP, 0x0a000001, (uint16_t)(1000 + i), 0x0a000002, 53, 0);
	for (int i = 0; i < 4; i++)
		pg_flow_lookup(t, &p[i], (uint32_t)(10 + i), &dir, &created);
	/* touch flow 0 so flow 1 becomes the least recently used */
	pg_flow_lookup(t, &p[0], 20, &dir, &created);
	CHECK(!created);
	pg_flow_lookup(t, &p[4], 21, &dir, &created);
	CHECK(created && ended == 1);
	CHECK(pg_flow_find(t, &p[1], &dir) == NULL);
	CHECK(pg_flow_find(t, &p[0], &dir) != NULL);
	struct pg_flow_stats st;
	pg_flow_get_stats(t, &st);
	CHECK(st.evicted == 1 && st.active == 4);

	/* a flood of new flows never grows the table */
	for (uint32_t i = 0; i < 10000; i++) {
		struct pg_packet q = mk(IPPROTO_UDP, 0x0b000000 + i, 5000, 0x0a000002, 53, 0);
		pg_flow_lookup(t, &q, 30, &dir, &created);
	}
	pg_flow_get_stats(t, &st);
	CHECK(st.active == 4 && st.evicted == 1 + 10000);
	pg_flow_table_destroy(t);
	CHECK(ended == 10001 + 4);
}

static void test_timeouts(void)
{
	struct pg_flow_config cfg = {.max_flows = 8, .tcp_timeout_s = 100, .udp_timeout_s = 10};
	struct pg_flow_table *t = pg_flow_table_create(&cfg, NULL, NULL);
	bool created;
	enum pg_dir dir;
	struct pg_packet tcp = mk(IPPROTO_TCP, 1, 1, 2, 2, PG_TCP_SYN);
	struct pg_packet udp = mk(IPPROTO_UDP, 1, 1, 2, 2, 0);
	pg_flow_lookup(t, &tcp, 0, &dir, &created);
	pg_flow_lookup(t, &udp, 0, &dir, &created);
	CHECK(pg_flow_expire(t, 5) == 0);
	CHECK(pg_flow_expire(t, 11) == 1); /* UDP gone */
	CHECK(pg_flow_find(t, &udp, &dir) == NULL && pg_flow_find(t, &tcp, &dir) != NULL);
	/* a packet after the timeout starts a new flow */
	pg_flow_lookup(t, &tcp, 500, &dir, &created);
	CHECK(created);
	pg_flow_table_destroy(t);
}

static void test_ipv6(void)
{
	struct pg_flow_config cfg = {.max_flows = 8, .tcp_timeout_s = 100, .udp_timeout_s = 10};
	struct pg_flow_table *t = pg_flow_table_create(&cfg, NULL, NULL);
	struct pg_packet a = mk(IPPROTO_TCP, 0, 1, 0, 2, PG_TCP_SYN), b;
	a.family = 6;
	memset(a.src, 0x20, 16);
	memset(a.dst, 0x30, 16);
	b = a;
	memcpy(b.src, a.dst, 16);
	memcpy(b.dst, a.src, 16);
	b.sport = 2;
	b.dport = 1;
	b.tcp_flags = PG_TCP_ACK;
	bool created;
	enum pg_dir dir;
	struct pg_flow *f = pg_flow_lookup(t, &a, 0, &dir, &created);
	CHECK(pg_flow_lookup(t, &b, 0, &dir, &created) == f && dir == PG_DIR_S2C);
	/* differing only in the last address byte: another flow */
	b.src[15] ^= 1;
	CHECK(pg_flow_lookup(t, &b, 0, &dir, &created) != f && created);
	pg_flow_table_destroy(t);
}

static bool service(uint8_t proto, uint16_t port)
{
	(void)proto;
	return port == 5050 || port < 1024;
}

/* A capture that starts mid-session: the server's packet comes first. */
static void test_midstream(void)
{
	struct pg_flow_config cfg = {.max_flows = 8, .tcp_timeout_s = 100, .udp_timeout_s = 10,
				     .is_service_port = service};
	struct pg_flow_table *t = pg_flow_table_create(&cfg, NULL, NULL);
	bool created;
	enum pg_dir dir;
	struct pg_packet p = mk(IPPROTO_TCP, 0x44b4d91e, 5050, 0xc0a80104, 2918, PG_TCP_ACK);
	struct pg_flow *f = pg_flow_lookup(t, &p, 0, &dir, &created);
	CHECK(created && dir == PG_DIR_S2C && f->server_port == 5050 && f->client_port == 2918);
	/* a SYN decides regardless of ports */
	struct pg_packet s = mk(IPPROTO_TCP, 0x0a000001, 5050, 0x0a000002, 40000, PG_TCP_SYN);
	f = pg_flow_lookup(t, &s, 0, &dir, &created);
	CHECK(created && dir == PG_DIR_C2S && f->client_port == 5050);
	/* UDP reply from port 53 seen first */
	struct pg_packet u = mk(IPPROTO_UDP, 0x0a000035, 53, 0x0a000002, 40001, 0);
	f = pg_flow_lookup(t, &u, 0, &dir, &created);
	CHECK(created && dir == PG_DIR_S2C && f->server_port == 53);
	pg_flow_table_destroy(t);
}

/* A new connection on a tracked flow's addresses and ports (TIME_WAIT
 * reuse) is a new flow; the client's retransmitted SYN is not. */
static void test_syn_reuse(void)
{
	struct pg_flow_config cfg = {.max_flows = 16, .tcp_timeout_s = 600, .udp_timeout_s = 60};
	struct pg_flow_table *t = pg_flow_table_create(&cfg, count_end, NULL);
	bool created;
	enum pg_dir dir;
	struct pg_packet syn = mk(IPPROTO_TCP, 0x0a000001, 40000, 0x0a000002, 80, PG_TCP_SYN);
	struct pg_packet synack = mk(IPPROTO_TCP, 0x0a000002, 80, 0x0a000001, 40000,
				     PG_TCP_SYN | PG_TCP_ACK);

	syn.tcp_seq = 100;
	struct pg_flow *a = pg_flow_lookup(t, &syn, 1, &dir, &created);
	CHECK(a && created);
	/* what the engine records from the SYN */
	a->flags |= PG_FLOW_START_C2S;
	a->start_seq[PG_DIR_C2S] = 101;
	a->state = PG_FLOW_DECIDED;
	uint32_t id = a->id;
	unsigned ended_before = ended;

	struct pg_flow *b = pg_flow_lookup(t, &syn, 2, &dir, &created);
	CHECK(b && !created && b->id == id);          /* retransmitted SYN */
	b = pg_flow_lookup(t, &synack, 2, &dir, &created);
	CHECK(b && !created && b->id == id);          /* a SYN-ACK never */

	syn.tcp_seq = 90000;                          /* a new connection */
	b = pg_flow_lookup(t, &syn, 3, &dir, &created);
	CHECK(b && created && b->id != id && b->state != PG_FLOW_DECIDED && dir == PG_DIR_C2S);
	CHECK(ended == ended_before + 1);
	/* a SYN from the other side on the same ports: a new connection too */
	b->flags |= PG_FLOW_START_C2S;
	b->start_seq[PG_DIR_C2S] = 90001;
	struct pg_packet back = mk(IPPROTO_TCP, 0x0a000002, 80, 0x0a000001, 40000, PG_TCP_SYN);
	back.tcp_seq = 7;
	struct pg_flow *c = pg_flow_lookup(t, &back, 4, &dir, &created);
	CHECK(c && created && c->client_port == 80);

	struct pg_flow_stats st;
	pg_flow_get_stats(t, &st);
	CHECK(st.reused == 2 && st.active == 1);
	pg_flow_table_destroy(t);
}

int main(void)
{
	test_midstream();
	test_syn_reuse();
	test_directions();
	test_lru_eviction();
	test_timeouts();
	test_ipv6();
	return pg_test_summary("test_flow");
}
