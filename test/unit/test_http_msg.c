/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The detectors' HTTP parser (src/detect/http_msg.h): the request and
 * status lines it accepts, the tolerances it keeps for old servents, where
 * it waits for more bytes, the header block, and whether a request goes to
 * a web port.
 */
#include "check.h"
#include "../../src/detect/http_msg.h"

static enum pg_http_parse req(const char *s, struct pg_http_request *rq)
{
	return pg_http_request_line((const uint8_t *)s, strlen(s), rq);
}

static enum pg_http_parse status(const char *s)
{
	return pg_http_status_line((const uint8_t *)s, strlen(s));
}

static bool span_is(const uint8_t *p, size_t n, const char *want)
{
	return n == strlen(want) && memcmp(p, want, n) == 0;
}

static void test_request_line(void)
{
	struct pg_http_request rq;
	CHECK(req("GET / HTTP/1.1\r\nHost: a\r\n", &rq) == PG_HTTP_OK);
	CHECK(span_is(rq.method, rq.method_len, "GET"));
	CHECK(span_is(rq.target, rq.target_len, "/"));
	CHECK(rq.line_len == 16);
	/* gnutella/ppa_gnutella.pcap frame 199: BearShare left the spaces of
	 * the file name unescaped. */
	CHECK(req("GET /get/1/Redhead Anal.mpg HTTP/1.0\r\n", &rq) == PG_HTTP_OK);
	CHECK(span_is(rq.target, rq.target_len, "/get/1/Redhead Anal.mpg"));
	/* A bare LF ends the line too; extension methods carry '-'. */
	CHECK(req("M-SEARCH * HTTP/1.1\n", &rq) == PG_HTTP_OK);
	CHECK(rq.line_len == 20);

	/* Still arriving. */
	CHECK(req("GE", &rq) == PG_HTTP_PARTIAL);
	CHECK(req("GET /index.html HT", &rq) == PG_HTTP_PARTIAL);
	CHECK(req("GET / HTTP/1.1\r", &rq) == PG_HTTP_PARTIAL);

	/* Not HTTP/1.x requests: a lower-case method, another protocol's
	 * version, an empty target, junk after the version, a control
	 * byte, a CR alone, SMTP. */
	static const char *const no[] = {
		"get / HTTP/1.1\r\n", "OPTIONS rtsp://x/ RTSP/1.0\r\n",
		"GNUTELLA CONNECT/0.6\r\n", "PRI * HTTP/2.0\r\n",
		"GET  / HTTP/1.1\r\n", "GET / HTTP/1.1x\r\n",
		"GET /\x01 HTTP/1.1\r\n", "GET / HTTP/1.1\rx",
		"EHLO mail.example.org\r\n",
	};
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		CHECK(req(no[i], &rq) == PG_HTTP_NO);
}

static void test_status_line(void)
{
	CHECK(status("HTTP/1.1 200 OK\r\n") == PG_HTTP_OK);
	CHECK(status("HTTP/1.0 404\r\n") == PG_HTTP_OK);
	/* gnutella/ppa_gnutella.pcap frame 434: BearShare's answer. */
	CHECK(status("HTTP 503 Server Busy\r\n") == PG_HTTP_OK);

	CHECK(status("HTT") == PG_HTTP_PARTIAL);
	CHECK(status("HTTP/1.1 20") == PG_HTTP_PARTIAL);
	CHECK(status("HTTP/1.1 200") == PG_HTTP_PARTIAL);

	/* A code outside 1xx-5xx, no space after the code, other
	 * protocols, a version other than 1.x. */
	static const char *const no[] = {
		"HTTP/1.1 099 Odd\r\n", "HTTP/1.1 200OK\r\n",
		"RTSP/1.0 200 OK\r\n", "GNUTELLA/0.6 200 OK\r\n",
		"HTTP/2 200\r\n",
	};
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		CHECK(status(no[i]) == PG_HTTP_NO);
}

static void test_headers(void)
{
	static const char msg[] = "POST /x HTTP/1.1\r\n"
				  "host:  Example.ORG:8080 \r\n"
				  "X-Empty:\r\n"
				  "\r\n"
				  "Host: body.example\r\n";
	const uint8_t *p = (const uint8_t *)msg, *v;
	size_t n = strlen(msg), vl;

	CHECK(pg_http_header_end(p, n) == 56);
	CHECK(pg_http_header(p, n, "Host", &v, &vl) && span_is(v, vl, "Example.ORG:8080"));
	CHECK(pg_http_header(p, n, "X-Empty", &v, &vl) && vl == 0);
	/* The request line is not a header; the body is not either. */
	CHECK(!pg_http_header(p, n, "POST /x HTTP/1.1\r\nhost", &v, &vl));
	CHECK(!pg_http_header(p, n, "Content-Length", &v, &vl));

	/* Bare LF lines, and an unfinished block whose last line counts. */
	static const char lf[] = "GET / HTTP/1.0\nUser-Agent: a\n\n";
	CHECK(pg_http_header_end((const uint8_t *)lf, strlen(lf)) == strlen(lf));
	static const char part[] = "GET / HTTP/1.0\r\nUser-Agent: Lime";
	p = (const uint8_t *)part;
	CHECK(pg_http_header_end(p, strlen(part)) == 0);
	CHECK(pg_http_header(p, strlen(part), "User-Agent", &v, &vl) &&
	      span_is(v, vl, "Lime"));
}

static void test_targets(void)
{
	const uint8_t *a, *path;
	size_t al, pl;
	static const char abs[] = "HTTP://user@gateway.example:80/gateway.dll?Action=open";
	CHECK(pg_http_split_target((const uint8_t *)abs, strlen(abs), &a, &al, &path, &pl));
	CHECK(span_is(a, al, "user@gateway.example:80"));
	CHECK(span_is(path, pl, "/gateway.dll?Action=open"));
	static const char q[] = "https://relay.example?token=1";
	CHECK(pg_http_split_target((const uint8_t *)q, strlen(q), &a, &al, &path, &pl));
	CHECK(span_is(a, al, "relay.example") && span_is(path, pl, "?token=1"));
	static const char origin[] = "/notify/";
	CHECK(!pg_http_split_target((const uint8_t *)origin, strlen(origin), &a, &al, &path, &pl));
	CHECK(al == 0 && span_is(path, pl, "/notify/"));
}

static void test_read(void)
{
	struct pg_http_msg m;
	static const char get[] = "GET /a HTTP/1.1\r\nHost: x\r\n\r\nbody";
	CHECK(pg_http_read((const uint8_t *)get, strlen(get), &m) &&
	      m.kind == PG_HTTP_REQUEST);
	CHECK(m.hdr_done && m.hdr_len == strlen(get) - 4);
	CHECK(span_is(m.rq.target, m.rq.target_len, "/a"));
	static const char resp[] = "HTTP/1.1 200 OK\r\nServer: y\r\n";
	CHECK(pg_http_read((const uint8_t *)resp, strlen(resp), &m) &&
	      m.kind == PG_HTTP_RESPONSE);
	CHECK(!m.hdr_done && m.hdr_len == strlen(resp));
	CHECK(!pg_http_read((const uint8_t *)"GET /a", 6, &m) &&
	      pg_http_not_yet(&m) == PG_DETECT_MAYBE);
	CHECK(!pg_http_read((const uint8_t *)"HTTP/1.", 7, &m) &&
	      pg_http_not_yet(&m) == PG_DETECT_MAYBE);
	CHECK(!pg_http_read((const uint8_t *)"\x13" "BitTorrent", 11, &m) &&
	      pg_http_not_yet(&m) == PG_DETECT_NO);
}

/* The request line s, sent to server port `port`, goes to a web server or
 * proxy whose answer no servent gives. */
static bool web(const char *s, uint16_t port)
{
	struct pg_http_request rq;
	return req(s, &rq) == PG_HTTP_OK && pg_http_for_web_port(&rq, port);
}

static void test_web_port(void)
{
	CHECK(web("GET / HTTP/1.0\r\n", 80));
	CHECK(web("GET /index.html HTTP/1.1\r\n", 8080));
	/* Where servents listen (Gnutella, FastTrack) or anywhere else. */
	CHECK(!web("GET / HTTP/1.0\r\n", 6346));
	CHECK(!web("GET / HTTP/1.0\r\n", 1214));
	CHECK(!web("GET / HTTP/1.0\r\n", 443));
	CHECK(!web("GET / HTTP/1.0\r\n", 47321));
	/* Through a forwarding proxy, the port the target names counts. */
	CHECK(web("GET http://example.org/ HTTP/1.1\r\n", 3128));
	CHECK(web("GET http://example.org:/ HTTP/1.1\r\n", 3128));
	CHECK(web("GET http://example.org:8080/a HTTP/1.1\r\n", 3128));
	CHECK(web("GET https://example.org/ HTTP/1.1\r\n", 8080));
	CHECK(web("GET http://[2001:db8::1]/ HTTP/1.1\r\n", 3128));
	CHECK(!web("GET http://198.51.100.9:6346/ HTTP/1.1\r\n", 3128));
	CHECK(!web("GET http://198.51.100.9:6346 HTTP/1.1\r\n", 8080));
	CHECK(!web("GET http://[2001:db8::1]:6346/ HTTP/1.1\r\n", 3128));
	CHECK(!web("GET http://user:pw@example.org:1214/?a=1 HTTP/1.1\r\n", 80));
	/* Ports that are none: 0, and past 65535 (65616 would wrap to 80). */
	CHECK(!web("GET http://example.org:0/ HTTP/1.1\r\n", 3128));
	CHECK(!web("GET http://example.org:65616/ HTTP/1.1\r\n", 3128));
	/* The server's own port comes first: what answers on 6346 may be a
	 * servent, whatever the target says. */
	CHECK(!web("GET http://example.org/ HTTP/1.1\r\n", 6346));
}

int main(void)
{
	test_request_line();
	test_status_line();
	test_headers();
	test_targets();
	test_read();
	test_web_port();
	return pg_test_summary("test_http_msg");
}
