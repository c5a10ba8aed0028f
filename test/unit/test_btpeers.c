/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Peers named by a swarm's own traffic (btpeers.c): DHT answers, HTTP and
 * UDP tracker answers, PEX and LSD, and lists that are not compact.
 */
#include <stdbool.h>

#include "check.h"
#include "peergate/btpeers.h"
#include "peer_sink.h"

/* A get_peers answer (BEP 5): r = {id, token, values: [2 peers], nodes: 1}. */
static void test_dht(void)
{
	uint8_t m[512];
	size_t n = 0;
	const char *head = "d1:rd2:id20:abcdefghij0123456789"
			   "5:nodes26:NODEIDNODEIDNODEID12";
	memcpy(m + n, head, strlen(head));
	n += strlen(head);
	memcpy(m + n, "\xc6\x33\x64\x07\x1a\xe1", 6); /* 198.51.100.7:6881 */
	n += 6;
	const char *mid = "5:token8:aoeusnth6:valuesl6:";
	memcpy(m + n, mid, strlen(mid));
	n += strlen(mid);
	memcpy(m + n, "\xcb\x00\x71\x05\x01\xbb", 6); /* 203.0.113.5:443 */
	n += 6;
	memcpy(m + n, "6:\xcb\x00\x71\x06\xc8\xd5", 8); /* 203.0.113.6:51413 */
	n += 8;
	const char *tail = "ee1:t2:aa1:y1:re";
	memcpy(m + n, tail, strlen(tail));
	n += strlen(tail);
	struct seen s = {0};
	CHECK(pg_btpeers_udp(m, n, 4, collect, &s) == 3);
	CHECK(has4(&s, 0, 198, 51, 100, 7, 6881, PG_FEAT_NETWORK));
	CHECK(has4(&s, 1, 203, 0, 113, 5, 443, PG_FEAT_DOWNLOAD));
	CHECK(has4(&s, 2, 203, 0, 113, 6, 51413, PG_FEAT_DOWNLOAD));
	/* cut short: what came before the cut is still read, nothing after */
	struct seen cut = {0};
	pg_btpeers_udp(m, n - 30, 4, collect, &cut);
	CHECK(cut.n <= 2);
	/* a query names no peers */
	const char *q = "d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz123456e"
			"1:q9:get_peers1:t2:aa1:y1:qe";
	struct seen none = {0};
	CHECK(pg_btpeers_udp((const uint8_t *)q, strlen(q), 4, collect, &none) == 0);
}

/* An HTTP tracker's compact answer (BEP 23), with peers6 (BEP 7). */
static void test_http_tracker(void)
{
	uint8_t m[512];
	const char *h = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n"
			"d8:completei1e10:incompletei1e8:intervali60e5:peers12:";
	size_t n = strlen(h);
	memcpy(m, h, n);
	memcpy(m + n, "\x0a\xe7\x02\x02\x01\xbb\x0a\xe7\x02\x03\x1a\xe1", 12);
	n += 12;
	memcpy(m + n, "6:peers618:", 11);
	n += 11;
	static const uint8_t v6[18] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9,
				       0xc8, 0xd5};
	memcpy(m + n, v6, 18);
	n += 18;
	m[n++] = 'e';
	struct seen s = {0};
	CHECK(pg_btpeers_tcp(m, n, collect, &s) == 3);
	CHECK(has4(&s, 0, 10, 231, 2, 2, 443, PG_FEAT_DOWNLOAD));
	CHECK(has4(&s, 1, 10, 231, 2, 3, 6881, PG_FEAT_DOWNLOAD));
	CHECK(s.n == 3 && s.family[2] == 6 && memcmp(s.addr[2], v6, 16) == 0 && s.port[2] == 51413);
	/* the body in a segment of its own */
	struct seen b = {0};
	size_t body = strlen("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n");
	CHECK(pg_btpeers_tcp(m + body, n - body, collect, &b) == 3);
	/* a peers string that is not a whole number of entries is not compact */
	const char *odd = "HTTP/1.1 200 OK\r\n\r\nd5:peers7:abcdefge";
	struct seen o = {0};
	CHECK(pg_btpeers_tcp((const uint8_t *)odd, strlen(odd), collect, &o) == 0);
	/* port 0 is no peer */
	const char *zero = "d5:peers6:\x0a\x00\x00\x01\x00\x00" "e";
	struct seen z = {0};
	CHECK(pg_btpeers_tcp((const uint8_t *)zero, 17, collect, &z) == 0);
}

/* A UDP tracker's announce answer (BEP 15): action 1, then 2 peers. */
static void test_udp_tracker(void)
{
	uint8_t m[64];
	size_t n = pg_hex("00000001 12345678 00000708 00000001 00000002"
			  "c0000205 1ae1  c0000206 c8d5", m, sizeof(m));
	struct seen s = {0};
	CHECK(pg_btpeers_udp(m, n, 4, collect, &s) == 2);
	CHECK(has4(&s, 0, 192, 0, 2, 5, 6881, PG_FEAT_DOWNLOAD));
	CHECK(has4(&s, 1, 192, 0, 2, 6, 51413, PG_FEAT_DOWNLOAD));
	/* a connect answer (action 0) names none */
	n = pg_hex("00000000 12345678 0102030405060708", m, sizeof(m));
	struct seen c = {0};
	CHECK(pg_btpeers_udp(m, n, 4, collect, &c) == 0);
}

/* ut_pex after the handshake: an extended message (id 20, extension id 1)
 * whose dictionary has added (BEP 11). */
static void test_pex(void)
{
	uint8_t m[256];
	size_t n = 0;
	m[n++] = 0x13;
	memcpy(m + n, "BitTorrent protocol", 19);
	n += 19;
	memset(m + n, 0, 48);
	n += 48;
	const char *d = "d5:added12:";
	size_t dl = strlen(d) + 12 + 14; /* then "7:added.f2:\0\0e" */
	uint32_t len = (uint32_t)(2 + dl);
	m[n++] = 0;
	m[n++] = 0;
	m[n++] = 0;
	m[n++] = (uint8_t)len;
	m[n++] = 20;
	m[n++] = 1;
	memcpy(m + n, d, strlen(d));
	n += strlen(d);
	memcpy(m + n, "\xc6\x33\x64\x01\x1a\xe1\xc6\x33\x64\x02\x1a\xe2", 12);
	n += 12;
	memcpy(m + n, "7:added.f2:\x00\x00" "e", 14);
	n += 14;
	struct seen s = {0};
	CHECK(pg_btpeers_tcp(m, n, collect, &s) == 2);
	CHECK(has4(&s, 0, 198, 51, 100, 1, 6881, PG_FEAT_DOWNLOAD));
	CHECK(has4(&s, 1, 198, 51, 100, 2, 6882, PG_FEAT_DOWNLOAD));
	/* the extended handshake (extension id 0) is no PEX */
	m[68 + 5] = 0;
	struct seen h = {0};
	CHECK(pg_btpeers_tcp(m, n, collect, &h) == 0);
}

static void test_lsd(void)
{
	const char *a = "BT-SEARCH * HTTP/1.1\r\nHost: 239.192.152.143:6771\r\nPort: 51413\r\n"
			"Infohash: 0123456789abcdef0123456789abcdef01234567\r\n\r\n\r\n";
	CHECK(pg_btpeers_lsd_port((const uint8_t *)a, strlen(a)) == 51413);
	const char *nohash = "BT-SEARCH * HTTP/1.1\r\nHost: 239.192.152.143:6771\r\nPort: 6881\r\n\r\n";
	CHECK(pg_btpeers_lsd_port((const uint8_t *)nohash, strlen(nohash)) == 0);
	const char *bad = "BT-SEARCH * HTTP/1.1\r\nPort: 70000\r\nInfohash: 01\r\n\r\n";
	CHECK(pg_btpeers_lsd_port((const uint8_t *)bad, strlen(bad)) == 0);
	const char *http = "GET / HTTP/1.1\r\nPort: 80\r\nInfohash: 1\r\n\r\n";
	CHECK(pg_btpeers_lsd_port((const uint8_t *)http, strlen(http)) == 0);
}

int main(void)
{
	test_dht();
	test_http_tracker();
	test_udp_tracker();
	test_pex();
	test_lsd();
	return pg_test_summary("btpeers");
}
