/* SPDX-License-Identifier: GPL-2.0-or-later */
/* HTTP and HTTP CONNECT detector. */
#include <netinet/in.h>

#include "detect_harness.h"

static struct pg_run run;

static enum pg_detect_status go(const struct pg_step *s, size_t n)
{
	return pg_run_detector(&pg_detector_http, IPPROTO_TCP, 1606, 80, s, n, &run);
}

/* negative/cs_http_google.pcapng, the GET (first header lines). */
#define GOOGLE_GET                                                     \
	"GET / HTTP/1.1\r\n"                                           \
	"Host: www.google.com\r\n"                                     \
	"User-Agent: Mozilla/5.0 (Windows; U; Windows NT 6.1; en-US; " \
	"rv:1.9.1.7) Gecko/20091221 Firefox/3.5.7\r\n"                 \
	"Keep-Alive: 300\r\n"                                          \
	"Connection: keep-alive\r\n\r\n"

static void test_requests(void)
{
	const struct pg_step s1[] = {{PG_DIR_C2S, NULL, GOOGLE_GET}};
	CHECK(go(s1, 1) == PG_DETECT_MATCH);
	CHECK(run.result.system == PG_SYS_HTTP);
	CHECK(run.result.confidence == PG_CONF_DECIDE);
	CHECK(pg_run_host_is(&run, "www.google.com"));

	/* negative/ndpi_http_on_sip_port.pcap: HTTP on 5060, Host is an
	 * address with the header split over two segments. */
	const struct pg_step s2[] = {
		{PG_DIR_C2S, NULL, "GET /star-123456/index.m3u8?token=89b198b8844824ca15b8b379c26fc1b7dfcba368-5KUJTJ5Y73AGIAOV-1618753174-1618742374 HTTP/1.1\r\n"
				   "User-Agent: exoplayer-codelab\r\nHo"},
		{PG_DIR_C2S, NULL, "st: 45.58.148.2\r\nConnection: Keep-Alive\r\n"}};
	CHECK(go(s2, 2) == PG_DETECT_MATCH);
	CHECK(run.matched_at == 1);
	CHECK(pg_run_host_is(&run, "45.58.148.2"));

	/* Request line split mid-way. */
	const struct pg_step s3[] = {{PG_DIR_C2S, NULL, "GE"},
				     {PG_DIR_C2S, NULL, "T /index.html HT"},
				     {PG_DIR_C2S, NULL, "TP/1.0\r\n\r\n"}};
	CHECK(go(s3, 3) == PG_DETECT_MATCH);
	CHECK(run.matched_at == 2);
	CHECK(run.result.host == NULL);

	/* Headers still coming, no Host yet: wait. */
	const struct pg_step s4[] = {{PG_DIR_C2S, NULL, "POST /x HTTP/1.1\r\nAccept: */*\r\n"}};
	CHECK(go(s4, 1) == PG_DETECT_MAYBE);

	/* Absolute form (a forwarding proxy), with port and user info. */
	const struct pg_step s5[] = {{PG_DIR_C2S, NULL,
		"GET http://user@gateway.messenger.hotmail.com:80/gateway/gateway.dll?Action=open HTTP/1.1\r\n"}};
	CHECK(go(s5, 1) == PG_DETECT_MATCH);
	CHECK(pg_run_host_is(&run, "gateway.messenger.hotmail.com"));

	/* Host with a port */
	const struct pg_step s6[] = {{PG_DIR_C2S, NULL, "GET / HTTP/1.1\r\nhost: Example.ORG:8080\r\n"}};
	CHECK(go(s6, 1) == PG_DETECT_MATCH);
	CHECK(pg_run_host_is(&run, "Example.ORG"));

	/* negative/arkime_http2-nghttp2.pcap: h2c prior knowledge */
	const struct pg_step s7[] = {{PG_DIR_C2S, "505249202a20485454502f322e300d0a0d0a534d0d0a0d0a00000c04000000000000030000006400040000ffff", NULL}};
	CHECK(go(s7, 1) == PG_DETECT_MATCH);
	CHECK(run.result.system == PG_SYS_HTTP);
}

static void test_connect(void)
{
	/* signatures.md §14: CONNECT lines IM clients send to proxies. */
	const struct pg_step s1[] = {{PG_DIR_C2S, NULL,
		"CONNECT login.oscar.aol.com:5190 HTTP/1.0\r\n"}};
	CHECK(go(s1, 1) == PG_DETECT_MATCH);
	CHECK(run.result.system == PG_SYS_PROXY);
	CHECK(run.result.feature == PG_FEAT_HTTP_CONNECT);
	CHECK(run.result.confidence == PG_CONF_STRONG);
	CHECK(pg_run_host_is(&run, "login.oscar.aol.com"));

	const struct pg_step s2[] = {{PG_DIR_C2S, NULL,
		"CONNECT [2001:db8::1]:443 HTTP/1.1\r\nHost: [2001:db8::1]:443\r\n\r\n"}};
	CHECK(go(s2, 1) == PG_DETECT_MATCH);
	CHECK(run.result.system == PG_SYS_PROXY);
	CHECK(run.result.host == NULL); /* not a name */
}

static void test_responses(void)
{
	/* negative/ndpi_http_on_sip_port.pcap, the server's answer, seen
	 * without the request (capture started late). */
	const struct pg_step s1[] = {{PG_DIR_S2C, NULL,
		"HTTP/1.1 403 Forbidden\r\nConnection: keep-alive\r\n"}};
	CHECK(go(s1, 1) == PG_DETECT_MATCH);
	CHECK(run.result.system == PG_SYS_HTTP);

	/* The same, with the roles guessed the wrong way round. */
	const struct pg_step s2[] = {{PG_DIR_C2S, NULL,
		"HTTP/1.1 403 Forbidden\r\nConnection: keep-alive\r\n"}};
	CHECK(go(s2, 1) == PG_DETECT_MATCH);
	CHECK(run.result.system == PG_SYS_HTTP);
}

static void test_near_misses(void)
{
	const struct pg_step rtsp[] = {{PG_DIR_C2S, NULL, "OPTIONS rtsp://x/ RTSP/1.0\r\n"}};
	CHECK(go(rtsp, 1) == PG_DETECT_NO);
	const struct pg_step rtsp2[] = {{PG_DIR_C2S, NULL, "OPTIONS rtsp://x/ RTSP/1.0\r\n"},
					{PG_DIR_S2C, NULL, "RTSP/1.0 200 OK\r\n"}};
	CHECK(go(rtsp2, 2) == PG_DETECT_NO);
	/* Gnutella's handshake is not HTTP/1.x */
	const struct pg_step gnut[] = {{PG_DIR_C2S, NULL, "GNUTELLA CONNECT/0.6\r\n"},
				       {PG_DIR_S2C, NULL, "GNUTELLA/0.6 200 OK\r\n"}};
	CHECK(go(gnut, 2) == PG_DETECT_NO);
	/* SSH banner */
	const struct pg_step ssh[] = {{PG_DIR_S2C, NULL, "SSH-2.0-OpenSSH_5.3\r\n"}};
	CHECK(go(ssh, 1) == PG_DETECT_NO);
	/* lower-case method */
	const struct pg_step lc[] = {{PG_DIR_C2S, NULL, "get / HTTP/1.1\r\n"},
				     {PG_DIR_S2C, NULL, "\x16\x03\x01"}};
	CHECK(go(lc, 2) == PG_DETECT_NO);
	/* A status code starting with 0 */
	const struct pg_step st[] = {{PG_DIR_S2C, NULL, "HTTP/1.1 099 Odd\r\n"}};
	CHECK(go(st, 1) == PG_DETECT_NO);
}

int main(void)
{
	test_requests();
	test_connect();
	test_responses();
	test_near_misses();
	return pg_test_summary("test_detect_http");
}
