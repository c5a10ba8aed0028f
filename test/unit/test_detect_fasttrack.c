/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * FastTrack detector on bytes taken from the corpus capture
 * (../shared/corpus/fasttrack/ws_SkypeIRC.cap), constructed HTTP transfers
 * (the corpus has none), and near misses.
 */
#include "detect_harness.h"

/* frame 987: 192.168.1.2:1214 -> 70.160.94.139:2362, node ping 0x27 with
 * the network name "KaZaA". */
static const char ft_ping[] = "2700000029804b615a614100";
/* frame 1006: the pong 0x28, also ending with the network name. */
static const char ft_pong[] = "28000000a9000f59d94efa4b615a614100";
/* frame 1027: the other pong, 0x29, with no name in clear. */
static const char ft_pong2[] = "29000000a902010000375375a6403ecebdb08f0000";
/* 192.168.1.2:2367 -> 82.40.35.124:2133 (frames 1041, 1046, 1048): the
 * client's 12 bytes, the server's seed and type (8) plus its encrypted
 * network name (6), the client's encrypted network name (6). */
static const char ft_hello_c[] = "fa00b62bfacb12383209d232";
static const char ft_hello_s[] = "7d9550ba5211a0c5a2d04472142e";
static const char ft_name_c[] = "c404df849883";

static void test_udp(void)
{
	const struct pg_step ping[] = {{C2S, ft_ping, NULL}};
	EXPECT_CLASS("udp ping", &pg_detector_fasttrack, UDP, 1214, 2362, ping,
		     PG_SYS_FASTTRACK, PG_FEAT_NETWORK, PG_CONF_CERTAIN, 0);
	/* Not tied to the port. */
	EXPECT_CLASS("udp ping, other port", &pg_detector_fasttrack, UDP, 3333,
		     4444, ping, PG_SYS_FASTTRACK, PG_FEAT_NETWORK,
		     PG_CONF_CERTAIN, 0);
	const struct pg_step pong[] = {{S2C, ft_pong, NULL}};
	EXPECT_CLASS("udp pong", &pg_detector_fasttrack, UDP, 1214, 2362, pong,
		     PG_SYS_FASTTRACK, PG_FEAT_NETWORK, PG_CONF_STRONG, 0);
	/* A ping naming an unknown network still has the structure. */
	const struct pg_step other[] = {{C2S, "2700000029804f74686572", NULL}};
	EXPECT_STATUS("udp ping without nul", &pg_detector_fasttrack, UDP, 1,
		      2, other, PG_DETECT_NO);
	const struct pg_step pong2[] = {{S2C, ft_pong2, NULL}};
	EXPECT_STATUS("udp 0x29", &pg_detector_fasttrack, UDP, 1214, 2133,
		      pong2, PG_DETECT_NO);
	/* Ping with a non-printable name or a missing 0x80. */
	const struct pg_step bad[] = {{C2S, "27000000298001024b00", NULL}};
	EXPECT_STATUS("udp ping bad name", &pg_detector_fasttrack, UDP, 1, 2,
		      bad, PG_DETECT_NO);
	const struct pg_step bad2[] = {{C2S, "2700000029814b615a614100", NULL}};
	EXPECT_STATUS("udp ping no 0x80", &pg_detector_fasttrack, UDP, 1, 2,
		      bad2, PG_DETECT_NO);
}

static void test_handshake(void)
{
	/* The constant first word decides at once. */
	const struct pg_step hs[] = {
		{C2S, ft_hello_c, NULL},
		{S2C, ft_hello_s, NULL},
		{C2S, ft_name_c, NULL},
	};
	EXPECT_CLASS("handshake", &pg_detector_fasttrack, TCP, 2367, 2133, hs,
		     PG_SYS_FASTTRACK, PG_FEAT_NETWORK, PG_CONF_STRONG, 0);
	/* Without it (first word changed), only sizes are left: 12, 8 + 6,
	 * 6 -- weak after the server's answer, enough to decide after the
	 * client's name. */
	const struct pg_step sizes[] = {
		{C2S, "0102030405060708090a0b0c", NULL},
		{S2C, ft_hello_s, NULL},
		{C2S, ft_name_c, NULL},
	};
	struct pg_run run;
	check_class("sizes", &pg_detector_fasttrack, TCP, 2367, 2133, sizes,
		    NSTEPS(sizes), PG_SYS_FASTTRACK, PG_FEAT_NETWORK,
		    PG_CONF_WEAK, PG_CONF_WEAK, 1, &run);
	struct pg_run all;
	const struct pg_detect_result *r = &all.result;
	CHECK(pg_run_all(&pg_detector_fasttrack, TCP, 2367, 2133, sizes,
			 NSTEPS(sizes), &all) == PG_DETECT_MATCH);
	CHECK(r->confidence == PG_CONF_DECIDE);
	/* The same sizes on port 1214. */
	CHECK(pg_run_all(&pg_detector_fasttrack, TCP, 2367, 1214, sizes,
			 NSTEPS(sizes), &all) == PG_DETECT_MATCH);
	CHECK(r->confidence == PG_CONF_CERTAIN);
	/* A 12-byte first packet answered by 100 bytes is something else. */
	const struct pg_step big[] = {
		{C2S, "0102030405060708090a0b0c", NULL},
		{S2C, "00000000000000000000000000000000000000000000000000"
		      "00000000000000000000000000000000000000000000000000"
		      "00000000000000000000000000000000000000000000000000"
		      "00000000000000000000000000000000000000000000000000", NULL},
	};
	EXPECT_STATUS("12 then 100", &pg_detector_fasttrack, TCP, 1, 2, big,
		      PG_DETECT_NO);
	/* A first packet of 13 bytes. */
	const struct pg_step thirteen[] = {{C2S, "0102030405060708090a0b0c0d", NULL}};
	EXPECT_STATUS("13 bytes", &pg_detector_fasttrack, TCP, 1, 1214,
		      thirteen, PG_DETECT_NO);
}

static void test_http(void)
{
	/* Transfers between peers (signatures.md 6: giFT-FastTrack PROTOCOL,
	 * l7-filter fasttrack.pat).  Constructed. */
	const struct pg_step hash[] = {
		{C2S, NULL, "GET /.hash=0123456789abcdef0123456789abcdef01234567 HTTP/1.1\r\n"
			    "Host: 10.0.0.5:1214\r\nUserAgent: KazaaClient Jan 19 2002 11:40:05\r\n"
			    "X-Kazaa-Username: alice\r\nX-Kazaa-Network: KaZaA\r\n\r\n"},
	};
	EXPECT_CLASS("get hash", &pg_detector_fasttrack, TCP, 40000, 1214, hash,
		     PG_SYS_FASTTRACK, PG_FEAT_DOWNLOAD, PG_CONF_STRONG, 0);
	const struct pg_step hdr[] = {
		{C2S, NULL, "GET /1234/song.mp3 HTTP/1.1\r\nHost: 10.0.0.5\r\n"
			    "X-Kazaa-Network: KaZaA\r\n\r\n"},
	};
	EXPECT_CLASS("x-kazaa header", &pg_detector_fasttrack, TCP, 40000, 80,
		     hdr, PG_SYS_FASTTRACK, PG_FEAT_DOWNLOAD, PG_CONF_STRONG, 0);
	/* A request without marks (a browser's, a download tool's) on a
	 * KaZaA port: the answer names the peer. */
	const struct pg_step resp[] = {
		{C2S, NULL, "GET /1234/song.mp3 HTTP/1.1\r\nHost: 10.0.0.5\r\n\r\n"},
		{S2C, NULL, "HTTP/1.1 200 OK\r\nServer: KazaaClient Nov 3 2002 20:29:03\r\n"
			    "X-KazaaTag: 5=Song\r\nContent-Length: 10\r\n\r\n"},
	};
	EXPECT_CLASS("kazaa response", &pg_detector_fasttrack, TCP, 40000, 1214,
		     resp, PG_SYS_FASTTRACK, PG_FEAT_DOWNLOAD, PG_CONF_STRONG, 1);
	EXPECT_CLASS("kazaa response, high port", &pg_detector_fasttrack, TCP,
		     40000, 3531, resp, PG_SYS_FASTTRACK, PG_FEAT_DOWNLOAD,
		     PG_CONF_STRONG, 1);
	/* On a web port the request decides first: the line drawn (a peer
	 * moved to port 80 is still found by its peers' requests, as "x-kazaa
	 * header" above). */
	EXPECT_STATUS("kazaa response, port 80", &pg_detector_fasttrack, TCP,
		      40000, 80, resp, PG_DETECT_NO);
	const struct pg_step give[] = {{C2S, NULL, "GIVE 19283746\r\n"}};
	EXPECT_CLASS("give", &pg_detector_fasttrack, TCP, 40000, 1214, give,
		     PG_SYS_FASTTRACK, PG_FEAT_DOWNLOAD, PG_CONF_STRONG, 0);
	const struct pg_step give_split[] = {
		{C2S, NULL, "GIVE 192"}, {C2S, NULL, "83746\r\n"},
	};
	EXPECT_CLASS("give split", &pg_detector_fasttrack, TCP, 40000, 1214,
		     give_split, PG_SYS_FASTTRACK, PG_FEAT_DOWNLOAD,
		     PG_CONF_STRONG, 1);
}

static void test_near_misses(void)
{
	const struct pg_step give[] = {{C2S, NULL, "GIVE abc\r\n"}};
	EXPECT_STATUS("give letters", &pg_detector_fasttrack, TCP, 1, 1214,
		      give, PG_DETECT_NO);
	const struct pg_step give2[] = {{C2S, NULL, "GIVE 123 \r\n"}};
	EXPECT_STATUS("give trailing", &pg_detector_fasttrack, TCP, 1, 1214,
		      give2, PG_DETECT_NO);
	/* "/.hash=" with a short hash, no Kazaa headers. */
	const struct pg_step hash[] = {
		{C2S, NULL, "GET /.hash=0123 HTTP/1.1\r\nHost: a\r\n\r\n"},
		{S2C, NULL, "HTTP/1.1 404 Not Found\r\nServer: nginx\r\n\r\n"},
	};
	EXPECT_STATUS("short hash", &pg_detector_fasttrack, TCP, 1, 80, hash,
		      PG_DETECT_NO);
	/* HTTP without FastTrack markers (negative/cs_http_google.pcapng). */
	const struct pg_step http[] = {
		{C2S, NULL, "GET / HTTP/1.1\r\nHost: www.google.com\r\n"
			    "Connection: keep-alive\r\n\r\n"},
		{S2C, NULL, "HTTP/1.1 200 OK\r\nServer: gws\r\n"
			    "Content-Length: 4633\r\n\r\n"},
	};
	EXPECT_STATUS("plain http", &pg_detector_fasttrack, TCP, 1, 80, http,
		      PG_DETECT_NO);
	/* negative/ndpi_dns.pcap frame 1: a DNS answer over UDP. */
	const struct pg_step dns[] = {
		{S2C, "dca28180000100000000000003777777016c06676f6f676c6503636f6d"
		      "00001c0001", NULL},
	};
	EXPECT_STATUS("dns", &pg_detector_fasttrack, UDP, 32795, 53, dns,
		      PG_DETECT_NO);
}

/* Where a plain request decides on its own, and where the answer is
 * awaited (issue 10: plain web traffic settled on its request). */
static void test_plain_request(void)
{
	const struct pg_step get[] = {C2S_TXT(
		"GET / HTTP/1.1\r\nHost: 198.51.100.7\r\n"
		"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 "
		"Firefox/128.0\r\nAccept: text/html,*/*;q=0.8\r\n\r\n")};
	EXPECT_STATUS("plain request, port 80", &pg_detector_fasttrack, TCP,
		      40000, 80, get, PG_DETECT_NO);
	EXPECT_STATUS("plain request, port 8000", &pg_detector_fasttrack, TCP,
		      40000, 8000, get, PG_DETECT_NO);
	const struct pg_step ab[] = {C2S_TXT("GET / HTTP/1.0\r\nHost: 10.0.0.1\r\n"
					     "User-Agent: ApacheBench/2.3\r\n"
					     "Accept: */*\r\n\r\n")};
	EXPECT_STATUS("ab request, port 80", &pg_detector_fasttrack, TCP, 40000,
		      80, ab, PG_DETECT_NO);
	EXPECT_STATUS("plain request, port 1214", &pg_detector_fasttrack, TCP,
		      40000, 1214, get, PG_DETECT_MAYBE);
	EXPECT_STATUS("plain request, high port", &pg_detector_fasttrack, TCP,
		      40000, 3531, get, PG_DETECT_MAYBE);
	const struct pg_step to_peer[] = {C2S_TXT(
		"GET http://198.51.100.9:1214/ HTTP/1.1\r\nHost: 198.51.100.9:1214\r\n\r\n")};
	EXPECT_STATUS("proxied to a peer", &pg_detector_fasttrack, TCP, 40000,
		      3128, to_peer, PG_DETECT_MAYBE);
	/* A response taken for the client's side (a capture joined mid-flow)
	 * is no request: the other side is still awaited. */
	const struct pg_step rev[] = {C2S_TXT("HTTP/1.1 200 OK\r\nServer: nginx\r\n\r\n")};
	EXPECT_STATUS("response first, port 80", &pg_detector_fasttrack, TCP,
		      40000, 80, rev, PG_DETECT_MAYBE);
}

int main(void)
{
	test_udp();
	test_handshake();
	test_http();
	test_near_misses();
	test_plain_request();
	return pg_test_summary("test_detect_fasttrack");
}
