/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The state that crosses flows, shared between engines as the daemon's
 * workers share it: a DNS answer read by one engine names the host of a
 * flow another engine sees, the same for an announced expectation, and
 * the DNS cache and expectation table under concurrent use from several
 * threads (never a torn entry; run under ThreadSanitizer with
 * -DPEERGATE_TSAN=ON to check for races).
 */
#include <pthread.h>

#include "detect_harness.h"
#include "shipped_systems.h"
#include "peergate/engine.h"
#include "peergate/expect.h"
#include "peergate/hosts.h"
#include "peergate/detect_registry.h"

static const uint8_t C[4] = {10, 1, 0, 2}, S[4] = {192, 0, 2, 80};

static struct pg_engine *mk_shared(const struct pg_host_rules *h, struct pg_dns_cache *dns,
				   struct pg_expect_table *x)
{
	struct pg_engine_config cfg;
	pg_engine_config_defaults(&cfg);
	pg_detect_attach(&cfg);
	cfg.max_flows = 64;
	cfg.max_inspecting = 8;
	cfg.dns_cache = dns;
	cfg.expect = x;
	return pg_engine_create(&cfg, h);
}

/* Engine a reads the DNS answer (login.oscar.aol.com -> 192.0.2.80),
 * engine b sees the flow to that address and classes it by host. */
static void test_dns_across_engines(void)
{
	struct pg_host_rules *h = pg_host_rules_create();
	CHECK(add_shipped_signals(h));
	struct pg_dns_cache *dns = pg_dns_cache_create(64);
	struct pg_expect_table *x = pg_expect_create(64, 120);
	struct pg_engine *a = mk_shared(h, dns, x), *b = mk_shared(h, dns, x);
	struct pktbuf p;
	struct pg_packet_result r;
	uint8_t msg[128];
	size_t n = pg_hex("1234 8180 0001 0001 0000 0000"
			  "05 6c6f67696e 05 6f73636172 03 616f6c 03 636f6d 00 0001 0001"
			  "c00c 0001 0001 0000012c 0004 c0000250", msg, sizeof(msg));
	const uint8_t R[4] = {10, 1, 0, 53};

	ip4(&p, IPPROTO_UDP, R, 53, C, 5353, 0, 0, msg, n);
	pg_engine_packet(a, p.b, p.n, 1000, &r);
	ip4(&p, IPPROTO_TCP, C, 40002, S, 443, PG_TCP_SYN, 1, NULL, 0);
	CHECK(pg_engine_packet(b, p.b, p.n, 2000, &r) == PG_ENGINE_TRACKED);
	CHECK(r.flow->system == PG_SYS_AIM && r.flow->method == PG_METHOD_HOST);
	CHECK(r.flow->state == PG_FLOW_DECIDED);
	/* The flow is b's alone. */
	CHECK(pg_engine_twin(b, r.flow) && !pg_engine_twin(a, r.flow));
	pg_engine_destroy(a);
	pg_engine_destroy(b);
	/* The shared objects outlive the engines that borrowed them. */
	CHECK(pg_dns_cache_size(dns) == 1);
	pg_dns_cache_destroy(dns);
	pg_expect_destroy(x);
	pg_host_rules_destroy(h);
}

/* An IRC DCC offer read by engine a; the announced flow, seen by engine
 * b, is classed by correlation. */
static void test_expectation_across_engines(void)
{
	struct pg_dns_cache *dns = pg_dns_cache_create(64);
	struct pg_expect_table *x = pg_expect_create(64, 120);
	struct pg_engine *a = mk_shared(NULL, dns, x), *b = mk_shared(NULL, dns, x);
	struct pktbuf p;
	struct pg_packet_result r;
	const char *reg = "CAP LS 302\r\n";
	/* 3221226064 = 192.0.2.80 */
	const char *dcc = "PRIVMSG bob :\x01" "DCC SEND f.bin 3221226064 47000 100\x01\r\n";

	ip4(&p, IPPROTO_TCP, C, 40100, S, 6667, PG_TCP_ACK | PG_TCP_PSH, 1,
	    (const uint8_t *)reg, strlen(reg));
	pg_engine_packet(a, p.b, p.n, 1000, &r);
	ip4(&p, IPPROTO_TCP, C, 40100, S, 6667, PG_TCP_ACK | PG_TCP_PSH, 1 + (uint32_t)strlen(reg),
	    (const uint8_t *)dcc, strlen(dcc));
	pg_engine_packet(a, p.b, p.n, 1100, &r);
	CHECK(r.flow && r.flow->system == PG_SYS_IRC);
	ip4(&p, IPPROTO_TCP, C, 40101, S, 47000, PG_TCP_SYN, 1, NULL, 0);
	CHECK(pg_engine_packet(b, p.b, p.n, 2000, &r) == PG_ENGINE_TRACKED);
	CHECK(r.flow->system == PG_SYS_IRC && r.flow->feature == PG_FEAT_FILE_TRANSFER);
	CHECK(r.flow->method == PG_METHOD_CORRELATION);
	pg_engine_destroy(a);
	pg_engine_destroy(b);
	pg_dns_cache_destroy(dns);
	pg_expect_destroy(x);
}

enum { THREADS = 4, ROUNDS = 20000, ADDRS = 512 };

struct hammer {
	struct pg_dns_cache *dns;
	struct pg_expect_table *x;
	unsigned seed;
	unsigned torn;               /* a looked-up entry that no writer wrote */
	unsigned found;
};

/* Address i always gets the name "hN.example" with N = i, and the
 * expectation for port 1000 + i names feature i % 2: any other pairing
 * seen by a reader is a torn entry. */
static void addr_of(unsigned i, uint8_t a[4])
{
	a[0] = 10;
	a[1] = 9;
	a[2] = (uint8_t)(i >> 8);
	a[3] = (uint8_t)i;
}

static void *hammer_main(void *arg)
{
	struct hammer *hm = arg;
	char name[64], want[64];

	for (unsigned r = 0; r < ROUNDS; r++) {
		hm->seed = hm->seed * 1103515245u + 12345u;
		unsigned i = (hm->seed >> 8) % ADDRS;
		uint8_t a[4];
		addr_of(i, a);
		int len = snprintf(want, sizeof(want), "h%u.example", i);
		if (hm->seed & 1) {
			pg_dns_cache_learn(hm->dns, 4, a, want, (size_t)len, 300, 1000);
			struct pg_expectation e = {.family = 4, .port = (uint16_t)(1000 + i),
						   .system = PG_SYS_IRC,
						   .feature = i % 2 ? PG_FEAT_FILE_TRANSFER : PG_FEAT_CHAT};
			memcpy(e.addr, a, 4);
			pg_expect_add(hm->x, &e, 1000);
		} else {
			struct pg_expectation out;
			if (pg_dns_cache_lookup(hm->dns, 4, a, 1001, name, sizeof(name))) {
				hm->found++;
				hm->torn += strcmp(name, want) != 0;
			}
			if (pg_expect_match(hm->x, 4, a, (uint16_t)(1000 + i), 1001, &out)) {
				hm->found++;
				hm->torn += out.feature != (i % 2 ? PG_FEAT_FILE_TRANSFER : PG_FEAT_CHAT) ||
					    memcmp(out.addr, a, 4) != 0;
			}
		}
	}
	return NULL;
}

/* Small tables (entries are replaced all the time) and four threads. */
static void test_concurrent_use(void)
{
	struct pg_dns_cache *dns = pg_dns_cache_create(128);
	struct pg_expect_table *x = pg_expect_create(128, 120);
	struct hammer hm[THREADS];
	pthread_t t[THREADS];
	unsigned torn = 0, found = 0;

	for (unsigned i = 0; i < THREADS; i++) {
		hm[i] = (struct hammer){.dns = dns, .x = x, .seed = 7 + i * 31};
		CHECK(pthread_create(&t[i], NULL, hammer_main, &hm[i]) == 0);
	}
	for (unsigned i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		torn += hm[i].torn;
		found += hm[i].found;
	}
	CHECK(found > 0);
	CHECK(torn == 0);
	CHECK(pg_dns_cache_size(dns) <= 128);
	pg_dns_cache_destroy(dns);
	pg_expect_destroy(x);
}

int main(void)
{
	test_dns_across_engines();
	test_expectation_across_engines();
	test_concurrent_use();
	return pg_test_summary("test_shared_state");
}
