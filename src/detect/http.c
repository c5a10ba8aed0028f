/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * HTTP/1.x requests and responses, and HTTP CONNECT (RFC 9110).
 *
 * Plain HTTP is reported at PG_CONF_DECIDE, below the PG_CONF_STRONG matches
 * of the IM detectors that look at the same bytes for their own markers (MSN
 * gateway, Yahoo HTTP, Gnutella/Kazaa downloads): the Host header is what
 * lets the engine attribute ordinary-looking web traffic.  CONNECT names the
 * real destination of a tunnel and is a proxy use on its own (signatures.md
 * §14), hence PG_CONF_STRONG.
 */
#include "peergate/detect.h"

#include <string.h>

#include "bytes.h"
#include "detectors.h"

/* Longest request or status line we wait for; real ones are far shorter
 * (browsers cap URLs near 8 KB, but the inspection buffer is smaller). */
#define HTTP_MAX_LINE 4096
/* How much of a header block we wait for before matching without a host. */
#define HTTP_MAX_HEADERS 8192
/* Payload packets in one direction after which we stop waiting for the end
 * of the headers: the inspection buffer may be full. */
#define HTTP_MAX_WAIT_PACKETS 6

enum line_status { LINE_NO, LINE_PARTIAL, LINE_OK };

struct request_line {
	const uint8_t *method, *target;
	size_t method_len, target_len;
	size_t end;                 /* offset just past the line's LF */
};

/* "HTTP/1.x" at p: returns LINE_OK, LINE_PARTIAL (a prefix of it), LINE_NO. */
static enum line_status http_version(const uint8_t *p, size_t n)
{
	static const char v[] = "HTTP/1.";
	size_t k = sizeof(v) - 1;
	for (size_t i = 0; i < k; i++) {
		if (i >= n)
			return LINE_PARTIAL;
		if (p[i] != (uint8_t)v[i])
			return LINE_NO;
	}
	if (n <= k)
		return LINE_PARTIAL;
	return pg_is_digit(p[k]) ? LINE_OK : LINE_NO;
}

static bool is_method_char(uint8_t c)
{
	/* Registered methods are upper-case tokens; '-' and '_' occur in
	 * extension methods such as M-SEARCH. */
	return (c >= 'A' && c <= 'Z') || c == '-' || c == '_';
}

/* METHOD SP target SP HTTP/1.x CRLF */
static enum line_status parse_request_line(const uint8_t *p, size_t n,
					   struct request_line *rl)
{
	size_t i = 0;
	while (i < n && i < 20 && is_method_char(p[i]))
		i++;
	if (i == n)
		return n < 20 ? LINE_PARTIAL : LINE_NO;
	if (i < 3 || i >= 20 || p[i] != ' ')
		return LINE_NO;
	rl->method = p;
	rl->method_len = i;
	size_t t = ++i;
	while (i < n && i < HTTP_MAX_LINE && p[i] > 0x20 && p[i] < 0x7f)
		i++;
	if (i == n)
		return n < HTTP_MAX_LINE ? LINE_PARTIAL : LINE_NO;
	if (i == t || p[i] != ' ')
		return LINE_NO;
	rl->target = p + t;
	rl->target_len = i - t;
	i++;
	enum line_status v = http_version(p + i, n - i);
	if (v != LINE_OK)
		return v;
	i += 8;
	if (i < n && p[i] == '\r')
		i++;
	if (i >= n)
		return LINE_PARTIAL;
	if (p[i] != '\n')
		return LINE_NO;
	rl->end = i + 1;
	return LINE_OK;
}

/* HTTP/1.x SP 3DIGIT (SP | CRLF) */
static enum line_status parse_status_line(const uint8_t *p, size_t n)
{
	enum line_status v = http_version(p, n);
	if (v != LINE_OK)
		return v;
	static const uint8_t shape[] = {' ', 'd', 'd', 'd'};
	for (size_t i = 0; i < sizeof(shape); i++) {
		size_t at = 8 + i;
		if (at >= n)
			return LINE_PARTIAL;
		if (shape[i] == 'd' ? !pg_is_digit(p[at]) : p[at] != ' ')
			return LINE_NO;
	}
	if (12 >= n)
		return LINE_PARTIAL;
	if (p[9] < '1' || p[9] > '5')
		return LINE_NO;
	return (p[12] == ' ' || p[12] == '\r' || p[12] == '\n') ? LINE_OK : LINE_NO;
}

/*
 * Reduces an authority ("host", "host:port", "[v6]:port", "user@host") to its
 * host part.  Returns false when nothing usable is left.
 */
static bool authority_host(const uint8_t *p, size_t n, const uint8_t **host,
			   size_t *host_len)
{
	for (size_t i = n; i > 0; i--) {
		if (p[i - 1] == '@') { /* userinfo is never part of the host */
			p += i;
			n -= i;
			break;
		}
	}
	if (n == 0)
		return false;
	if (p[0] == '[') {
		const uint8_t *close = memchr(p, ']', n);
		if (!close || close == p + 1)
			return false;
		*host = p + 1;
		*host_len = (size_t)(close - p) - 1;
		return true;
	}
	size_t end = n;
	for (size_t i = n; i > 0; i--) {
		if (p[i - 1] == ':') {
			end = i - 1;
			break;
		}
		if (!pg_is_digit(p[i - 1]))
			break;
	}
	if (end == 0)
		return false;
	*host = p;
	*host_len = end;
	return true;
}

/* Host of an absolute-form target ("http://host:port/path"). */
static bool absolute_uri_host(const uint8_t *t, size_t n, const uint8_t **host,
			      size_t *host_len)
{
	size_t skip;
	if (pg_prefix_ci(t, n, "http://"))
		skip = 7;
	else if (pg_prefix_ci(t, n, "https://"))
		skip = 8;
	else
		return false;
	size_t e = skip;
	while (e < n && t[e] != '/' && t[e] != '?' && t[e] != '#')
		e++;
	return authority_host(t + skip, e - skip, host, host_len);
}

/*
 * Looks for a Host header among the complete header lines of the block that
 * starts at p.  *ended is set when the blank line closing the block is seen.
 * Only complete lines count: a half-received "Host: exa" must not become a
 * host name.
 */
static bool find_host_header(const uint8_t *p, size_t n, const uint8_t **val,
			     size_t *val_len, bool *ended)
{
	size_t i = 0;
	*ended = false;
	while (i < n) {
		const uint8_t *lf = memchr(p + i, '\n', n - i);
		if (!lf)
			return false;
		size_t end = (size_t)(lf - p);
		size_t line_end = (end > i && p[end - 1] == '\r') ? end - 1 : end;
		if (line_end == i) {
			*ended = true;
			return false;
		}
		if (line_end - i > 5 && pg_prefix_ci(p + i, line_end - i, "host:")) {
			size_t v = i + 5, e = line_end;
			while (v < e && (p[v] == ' ' || p[v] == '\t'))
				v++;
			while (e > v && (p[e - 1] == ' ' || p[e - 1] == '\t'))
				e--;
			*val = p + v;
			*val_len = e - v;
			return true;
		}
		i = end + 1;
	}
	return false;
}

static enum pg_detect_status judge_request(const struct pg_detect_input *in,
					   const uint8_t *c, size_t n,
					   const struct request_line *rl,
					   struct pg_detect_result *out)
{
	const uint8_t *h;
	size_t hl;

	if (rl->method_len == 7 && memcmp(rl->method, "CONNECT", 7) == 0) {
		/* CONNECT's target is an authority; a tunnel on its own
		 * merits the proxy class, host or not. */
		if (authority_host(rl->target, rl->target_len, &h, &hl))
			pg_set_host(out, h, hl);
		return pg_match(out, PG_SYS_PROXY, PG_FEAT_HTTP_CONNECT,
				PG_CONF_STRONG);
	}

	/* The absolute form wins over Host (RFC 9112 §3.2.2), and it is what a
	 * forwarding proxy uses. */
	if (absolute_uri_host(rl->target, rl->target_len, &h, &hl)) {
		pg_set_host(out, h, hl);
		return pg_match(out, PG_SYS_HTTP, PG_FEAT_ANY, PG_CONF_DECIDE);
	}

	bool ended;
	const uint8_t *v;
	size_t vl;
	if (find_host_header(c + rl->end, n - rl->end, &v, &vl, &ended)) {
		if (authority_host(v, vl, &h, &hl))
			pg_set_host(out, h, hl);
		return pg_match(out, PG_SYS_HTTP, PG_FEAT_ANY, PG_CONF_DECIDE);
	}
	/* No Host yet: wait for the rest of the header block, but not forever
	 * (HTTP/1.0 requests need not carry one). */
	unsigned pkts = in->dir == PG_DIR_C2S ? in->c2s_packets : in->s2c_packets;
	if (ended || n >= HTTP_MAX_HEADERS || in->dir == PG_DIR_S2C ||
	    pkts >= HTTP_MAX_WAIT_PACKETS)
		return pg_match(out, PG_SYS_HTTP, PG_FEAT_ANY, PG_CONF_DECIDE);
	return PG_DETECT_MAYBE;
}

static enum pg_detect_status http_detect(const struct pg_detect_input *in,
					 struct pg_detect_result *out)
{
	struct pg_sides s = pg_sides_of(in);

	if (s.c2s_len > 0) {
		/* HTTP/2 prior-knowledge preface (RFC 9113 §3.4): the one
		 * request line that is not HTTP/1.x. */
		static const char h2[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
		size_t h2n = sizeof(h2) - 1;
		size_t k = s.c2s_len < h2n ? s.c2s_len : h2n;
		if (memcmp(s.c2s, h2, k) == 0) {
			if (k < h2n)
				return PG_DETECT_MAYBE;
			return pg_match(out, PG_SYS_HTTP, PG_FEAT_ANY,
					PG_CONF_DECIDE);
		}

		struct request_line rl;
		switch (parse_request_line(s.c2s, s.c2s_len, &rl)) {
		case LINE_OK:
			return judge_request(in, s.c2s, s.c2s_len, &rl, out);
		case LINE_PARTIAL:
			return PG_DETECT_MAYBE;
		case LINE_NO:
			break;
		}
		/* A status line from the side taken for the client: the
		 * capture started mid-flow on a port not known as a service,
		 * so the roles were guessed the wrong way round. */
		if (parse_status_line(s.c2s, s.c2s_len) == LINE_OK)
			return pg_match(out, PG_SYS_HTTP, PG_FEAT_ANY,
					PG_CONF_DECIDE);
	}

	/* No request seen (capture started mid-flow, or the server spoke
	 * first): a status line from the server still says HTTP. */
	if (s.s2c_len > 0 && s.c2s_len == 0) {
		switch (parse_status_line(s.s2c, s.s2c_len)) {
		case LINE_OK:
			return pg_match(out, PG_SYS_HTTP, PG_FEAT_ANY,
					PG_CONF_DECIDE);
		case LINE_PARTIAL:
			return PG_DETECT_MAYBE;
		case LINE_NO:
			return PG_DETECT_NO;
		}
	}
	/* Nothing from the server yet.  If the client spoke and it was not a
	 * request, this is not HTTP. */
	return s.c2s_len > 0 ? PG_DETECT_NO : PG_DETECT_MAYBE;
}

const struct pg_detector pg_detector_http = {
	.name = "http",
	.l4_mask = PG_L4_TCP,
	.fn = http_detect,
};
