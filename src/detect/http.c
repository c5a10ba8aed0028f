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
#include "http_msg.h"

/* How much of a header block we wait for before matching without a host. */
#define HTTP_MAX_HEADERS 8192
/* Detector runs in one direction after which we stop waiting for the end
 * of the headers (the inspection buffer may be full).  Runs, not packets:
 * the engine spaces them out by bytes for a stream cut into tiny
 * segments, so cutting a request finely cannot hide its Host header. */
#define HTTP_MAX_WAIT_PACKETS 64

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

/* The Host header among the complete header lines of the request c[0..n):
 * a half-received "Host: exa" must not become a host name. */
static bool host_header(const uint8_t *c, size_t n, const uint8_t **val,
			size_t *val_len)
{
	const uint8_t *last_lf = memrchr(c, '\n', n);
	size_t complete = last_lf ? (size_t)(last_lf - c) + 1 : 0;
	return pg_http_header(c, complete, "Host", val, val_len);
}

static enum pg_detect_status judge_request(const struct pg_detect_input *in,
					   const uint8_t *c, size_t n,
					   const struct pg_http_request *rq,
					   struct pg_detect_result *out)
{
	const uint8_t *h, *v, *path;
	size_t hl, vl, pl;

	if (pg_equals(rq->method, rq->method_len, "CONNECT")) {
		/* CONNECT's target is an authority; a tunnel on its own
		 * merits the proxy class, host or not. */
		if (authority_host(rq->target, rq->target_len, &h, &hl))
			pg_set_host(out, h, hl);
		return pg_match(out, PG_SYS_PROXY, PG_FEAT_HTTP_CONNECT,
				PG_CONF_STRONG);
	}

	/* The absolute form wins over Host (RFC 9112 §3.2.2), and it is what a
	 * forwarding proxy uses. */
	if (pg_http_split_target(rq->target, rq->target_len, &v, &vl, &path,
				 &pl) &&
	    authority_host(v, vl, &h, &hl)) {
		pg_set_host(out, h, hl);
		return pg_match(out, PG_SYS_HTTP, PG_FEAT_ANY, PG_CONF_DECIDE);
	}

	if (host_header(c, n, &v, &vl)) {
		if (authority_host(v, vl, &h, &hl))
			pg_set_host(out, h, hl);
		return pg_match(out, PG_SYS_HTTP, PG_FEAT_ANY, PG_CONF_DECIDE);
	}
	/* No Host yet: wait for the rest of the header block, but not forever
	 * (HTTP/1.0 requests need not carry one). */
	unsigned pkts = in->dir == PG_DIR_C2S ? in->c2s_packets : in->s2c_packets;
	if (pg_http_header_end(c, n) || n >= HTTP_MAX_HEADERS ||
	    in->dir == PG_DIR_S2C || pkts >= HTTP_MAX_WAIT_PACKETS)
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
		if (pg_prefix_of(s.c2s, s.c2s_len, h2)) {
			if (s.c2s_len < sizeof(h2) - 1)
				return PG_DETECT_MAYBE;
			return pg_match(out, PG_SYS_HTTP, PG_FEAT_ANY,
					PG_CONF_DECIDE);
		}

		struct pg_http_request rq;
		switch (pg_http_request_line(s.c2s, s.c2s_len, &rq)) {
		case PG_HTTP_OK:
			return judge_request(in, s.c2s, s.c2s_len, &rq, out);
		case PG_HTTP_PARTIAL:
			return PG_DETECT_MAYBE;
		case PG_HTTP_NO:
			break;
		}
		/* A status line from the side taken for the client: the
		 * capture started mid-flow on a port not known as a service,
		 * so the roles were guessed the wrong way round. */
		if (pg_http_status_line(s.c2s, s.c2s_len) == PG_HTTP_OK)
			return pg_match(out, PG_SYS_HTTP, PG_FEAT_ANY,
					PG_CONF_DECIDE);
	}

	/* No request seen (capture started mid-flow, or the server spoke
	 * first): a status line from the server still says HTTP. */
	if (s.s2c_len > 0 && s.c2s_len == 0) {
		switch (pg_http_status_line(s.s2c, s.s2c_len)) {
		case PG_HTTP_OK:
			return pg_match(out, PG_SYS_HTTP, PG_FEAT_ANY,
					PG_CONF_DECIDE);
		case PG_HTTP_PARTIAL:
			return PG_DETECT_MAYBE;
		case PG_HTTP_NO:
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
