/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The table of logged SYNs (syn_table.h): what it keeps, how a packet of
 * either direction finds its connection's SYN, and its bounds. */
#include <stdbool.h>

#include "check.h"
#include "packet_builder.h"
#include "peergate/syn_table.h"

static const uint8_t client[4] = {10, 0, 0, 2}, server[4] = {192, 0, 2, 9};

static struct pg_packet parsed(const struct pktbuf *b)
{
	struct pg_packet p;
	CHECK(pg_packet_parse(b->b, b->n, &p) == PG_PARSE_OK);
	return p;
}

static void test_both_directions(void)
{
	struct pg_syn_table *t = pg_syn_table_create(64, 1000, 0);
	struct pktbuf syn, req, resp;
	uint8_t out[PG_SYN_MAX];

	ip4(&syn, IPPROTO_TCP, client, 40000, server, 443, PG_TCP_SYN, 1000, NULL, 0);
	CHECK(pg_syn_table_put(t, syn.b, syn.n, 10) == 0);
	/* the server's first payload (a server-first protocol) finds it */
	ip4(&resp, IPPROTO_TCP, server, 443, client, 40000, PG_TCP_ACK, 5000,
	    (const uint8_t *)"220 ok\r\n", 8);
	struct pg_packet p = parsed(&resp);
	CHECK(pg_syn_table_take(t, &p, 20, out, sizeof(out)) == syn.n);
	CHECK(memcmp(out, syn.b, syn.n) == 0);
	/* taken: not handed out twice */
	CHECK(pg_syn_table_take(t, &p, 20, out, sizeof(out)) == 0);
	/* the client's payload finds a SYN of its own direction */
	CHECK(pg_syn_table_put(t, syn.b, syn.n, 30) == 0);
	ip4(&req, IPPROTO_TCP, client, 40000, server, 443, PG_TCP_ACK, 1001,
	    (const uint8_t *)"\x16\x03\x01", 3);
	p = parsed(&req);
	CHECK(pg_syn_table_take(t, &p, 40, out, sizeof(out)) == syn.n);
	/* another port: another connection */
	CHECK(pg_syn_table_put(t, syn.b, syn.n, 50) == 0);
	ip4(&req, IPPROTO_TCP, client, 40001, server, 443, PG_TCP_ACK, 1001,
	    (const uint8_t *)"x", 1);
	p = parsed(&req);
	CHECK(pg_syn_table_take(t, &p, 60, out, sizeof(out)) == 0);

	struct pg_syn_table_stats st;
	pg_syn_table_get_stats(t, &st);
	CHECK(st.kept == 3 && st.taken == 2 && st.refused == 0 && st.stale == 0);
	pg_syn_table_destroy(t);
}

static void test_refused(void)
{
	struct pg_syn_table *t = pg_syn_table_create(64, 1000, 0);
	struct pktbuf b;
	uint8_t junk[3] = {0x45, 0, 0};

	/* a SYN-ACK, a SYN with data (Fast Open, queued instead), a plain
	 * ACK, UDP and bytes that are no packet: none is a SYN to keep */
	ip4(&b, IPPROTO_TCP, server, 443, client, 40000, PG_TCP_SYN | PG_TCP_ACK, 7, NULL, 0);
	CHECK(pg_syn_table_put(t, b.b, b.n, 1) < 0);
	ip4(&b, IPPROTO_TCP, client, 40000, server, 443, PG_TCP_SYN, 7, (const uint8_t *)"GET", 3);
	CHECK(pg_syn_table_put(t, b.b, b.n, 1) < 0);
	ip4(&b, IPPROTO_TCP, client, 40000, server, 443, PG_TCP_ACK, 7, NULL, 0);
	CHECK(pg_syn_table_put(t, b.b, b.n, 1) < 0);
	ip4(&b, IPPROTO_UDP, client, 40000, server, 443, 0, 0, NULL, 0);
	CHECK(pg_syn_table_put(t, b.b, b.n, 1) < 0);
	CHECK(pg_syn_table_put(t, junk, sizeof(junk), 1) < 0);

	struct pg_syn_table_stats st;
	pg_syn_table_get_stats(t, &st);
	CHECK(st.refused == 5 && st.kept == 0);
	pg_syn_table_destroy(t);
}

static void test_stale_and_bounded(void)
{
	struct pg_syn_table *t = pg_syn_table_create(1, 1000, 0);
	struct pktbuf syn, req;
	uint8_t out[PG_SYN_MAX];
	unsigned found = 0;

	/* older than max_age: not trusted, and gone */
	ip4(&syn, IPPROTO_TCP, client, 40000, server, 80, PG_TCP_SYN, 1, NULL, 0);
	CHECK(pg_syn_table_put(t, syn.b, syn.n, 100) == 0);
	ip4(&req, IPPROTO_TCP, client, 40000, server, 80, PG_TCP_ACK, 2, (const uint8_t *)"G", 1);
	struct pg_packet p = parsed(&req);
	CHECK(pg_syn_table_take(t, &p, 1101, out, sizeof(out)) == 0);
	CHECK(pg_syn_table_take(t, &p, 1101, out, sizeof(out)) == 0);

	/* 64 slots at least; 1,000 connections replace one another, and each
	 * take either finds its own SYN or none, never another's */
	for (uint16_t i = 0; i < 1000; i++) {
		ip4(&syn, IPPROTO_TCP, client, (uint16_t)(20000 + i), server, 80, PG_TCP_SYN,
		    i, NULL, 0);
		CHECK(pg_syn_table_put(t, syn.b, syn.n, 2000) == 0);
	}
	for (uint16_t i = 0; i < 1000; i++) {
		ip4(&req, IPPROTO_TCP, client, (uint16_t)(20000 + i), server, 80, PG_TCP_ACK,
		    i + 1u, (const uint8_t *)"G", 1);
		p = parsed(&req);
		size_t n = pg_syn_table_take(t, &p, 2000, out, sizeof(out));
		if (n) {
			struct pg_packet s;
			found++;
			CHECK(pg_packet_parse(out, n, &s) == PG_PARSE_OK && s.sport == p.sport &&
			      s.tcp_seq == i);
		}
	}
	struct pg_syn_table_stats st;
	pg_syn_table_get_stats(t, &st);
	CHECK(found > 0 && found <= 64);
	CHECK(st.replaced == 1000 - found);
	CHECK(st.stale == 1);
	pg_syn_table_destroy(t);
}

static void test_ipv6(void)
{
	struct pg_syn_table *t = pg_syn_table_create(64, 1000, 0);
	uint8_t out[PG_SYN_MAX];
	/* 2001:db8::2 port 40000 -> 2001:db8::9 port 443, SYN seq 0x11223344;
	 * and the server's first answer (ACK, 2 bytes) */
	static const char syn_hex[] =
		"60000000 0014 06 40 20010db8000000000000000000000002"
		"20010db8000000000000000000000009"
		"9c40 01bb 11223344 00000000 5002 ffff 0000 0000";
	static const char resp_hex[] =
		"60000000 0016 06 40 20010db8000000000000000000000009"
		"20010db8000000000000000000000002"
		"01bb 9c40 55667788 11223345 5010 ffff 0000 0000 6f6b";
	uint8_t syn[128], resp[128];
	size_t sn = pg_hex(syn_hex, syn, sizeof(syn)), rn = pg_hex(resp_hex, resp, sizeof(resp));
	struct pg_packet p;

	CHECK(pg_syn_table_put(t, syn, sn, 5) == 0);
	CHECK(pg_packet_parse(resp, rn, &p) == PG_PARSE_OK && p.family == 6);
	CHECK(pg_syn_table_take(t, &p, 6, out, sizeof(out)) == sn);
	pg_syn_table_destroy(t);
}

/* Whether two SYNs share a slot under key: the second replaces the first. */
static bool share_slot(uint64_t key, const struct pktbuf *a, const struct pktbuf *b)
{
	struct pg_syn_table *t = pg_syn_table_create(64, 1000, key);
	struct pg_syn_table_stats st;

	CHECK(pg_syn_table_put(t, a->b, a->n, 1) == 0 && pg_syn_table_put(t, b->b, b->n, 1) == 0);
	pg_syn_table_get_stats(t, &st);
	pg_syn_table_destroy(t);
	return st.replaced != 0;
}

/* The slot hash is keyed: two connections that share a slot under one
 * key do not, as a rule, under another (what a sender aiming its SYNs at
 * another connection's slot would need to know). */
static void test_keyed(void)
{
	struct pktbuf first, other;
	bool found = false;
	unsigned apart = 0;

	ip4(&first, IPPROTO_TCP, client, 30000, server, 80, PG_TCP_SYN, 1, NULL, 0);
	for (uint16_t port = 30001; port < 31000 && !found; port++) {
		ip4(&other, IPPROTO_TCP, client, port, server, 80, PG_TCP_SYN, 1, NULL, 0);
		found = share_slot(0x1234, &first, &other);
	}
	CHECK(found);
	for (uint64_t key = 1; key <= 16; key++)
		apart += !share_slot(key * 0x9e3779b97f4a7c15ull, &first, &other);
	CHECK(apart >= 12);
}

int main(void)
{
	test_keyed();
	test_both_directions();
	test_refused();
	test_stale_and_bounded();
	test_ipv6();
	return pg_test_summary("test_syn_table");
}
