/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The HTTP/1.x parser of the detectors; see http_msg.h for what it
 * tolerates and why. */
#include "http_msg.h"

#include "bytes.h"

enum {
	METHOD_MAX = 19,
	VERSION_LEN = 8,          /* "HTTP/1.x" */
};

/* "HTTP/1." and a digit at p[0..n). */
static enum pg_http_parse version(const uint8_t *p, size_t n)
{
	if (!pg_prefix_of(p, n, "HTTP/1."))
		return PG_HTTP_NO;
	if (n < VERSION_LEN)
		return PG_HTTP_PARTIAL;
	return pg_is_digit(p[VERSION_LEN - 1]) ? PG_HTTP_OK : PG_HTTP_NO;
}

/* Registered methods are upper-case tokens; '-' and '_' occur in extension
 * methods such as M-SEARCH. */
static bool method_char(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || c == '-' || c == '_';
}

enum pg_http_parse pg_http_request_line(const uint8_t *p, size_t n,
					struct pg_http_request *rq)
{
	size_t i = 0;
	while (i < n && i <= METHOD_MAX && method_char(p[i]))
		i++;
	if (i == n)
		return n <= METHOD_MAX ? PG_HTTP_PARTIAL : PG_HTTP_NO;
	if (i < 3 || i > METHOD_MAX || p[i] != ' ')
		return PG_HTTP_NO;

	/* Printable bytes, spaces included, up to the line end. */
	size_t t = i + 1, e = t;
	while (e < n && e < PG_HTTP_MAX_LINE && pg_is_print(p[e]))
		e++;
	if (e == n)
		return n < PG_HTTP_MAX_LINE ? PG_HTTP_PARTIAL : PG_HTTP_NO;
	size_t lf = e;
	if (p[e] == '\r' && ++lf == n)
		return PG_HTTP_PARTIAL;
	if (p[lf] != '\n')
		return PG_HTTP_NO;

	/* The line ends in " HTTP/1.x"; the target is what lies before. */
	if (e < t + 1 + 1 + VERSION_LEN || p[e - VERSION_LEN - 1] != ' ' ||
	    version(p + e - VERSION_LEN, VERSION_LEN) != PG_HTTP_OK ||
	    p[t] == ' ')
		return PG_HTTP_NO;
	rq->method = p;
	rq->method_len = i;
	rq->target = p + t;
	rq->target_len = e - VERSION_LEN - 1 - t;
	rq->line_len = lf + 1;
	return PG_HTTP_OK;
}

enum pg_http_parse pg_http_status_line(const uint8_t *p, size_t n)
{
	size_t i;
	if (pg_prefix(p, n, "HTTP ")) {
		i = 5;
	} else {
		enum pg_http_parse v = version(p, n);
		if (v != PG_HTTP_OK)
			return v;
		if (n == VERSION_LEN)
			return PG_HTTP_PARTIAL;
		if (p[VERSION_LEN] != ' ')
			return PG_HTTP_NO;
		i = VERSION_LEN + 1;
	}
	for (size_t k = i; k < i + 3; k++) {
		if (k >= n)
			return PG_HTTP_PARTIAL;
		if (!pg_is_digit(p[k]))
			return PG_HTTP_NO;
	}
	if (p[i] < '1' || p[i] > '5')
		return PG_HTTP_NO;
	if (i + 3 >= n)
		return PG_HTTP_PARTIAL;
	uint8_t c = p[i + 3];
	return (c == ' ' || c == '\r' || c == '\n') ? PG_HTTP_OK : PG_HTTP_NO;
}

size_t pg_http_header_end(const uint8_t *p, size_t n)
{
	const uint8_t *end = p + n;
	for (const uint8_t *lf = memchr(p, '\n', n); lf && lf + 1 < end;
	     lf = memchr(lf + 1, '\n', (size_t)(end - lf - 1))) {
		if (lf[1] == '\n')
			return (size_t)(lf - p) + 2;
		if (lf[1] == '\r' && lf + 2 < end && lf[2] == '\n')
			return (size_t)(lf - p) + 3;
	}
	return 0;
}

/* The offset of the first '\n' in p[from..n), or n. */
static size_t next_lf(const uint8_t *p, size_t from, size_t n)
{
	const uint8_t *lf = from < n ? memchr(p + from, '\n', n - from) : NULL;
	return lf ? (size_t)(lf - p) : n;
}

bool pg_http_header(const uint8_t *p, size_t n, const char *name,
		    const uint8_t **val, size_t *val_len)
{
	size_t name_len = strlen(name);
	/* Skip the request or status line: headers start after the first LF. */
	size_t i = next_lf(p, 0, n);
	while (i < n) {
		i++; /* past '\n' */
		size_t line = i;
		i = next_lf(p, i, n);
		size_t end = i; /* exclusive, at '\n' or n */
		if (end > line && p[end - 1] == '\r')
			end--;
		if (end == line)
			return false; /* the empty line: end of the headers */
		if (end - line > name_len && p[line + name_len] == ':' &&
		    pg_same_ci(p + line, name, name_len)) {
			size_t v = line + name_len + 1;
			while (v < end && (p[v] == ' ' || p[v] == '\t'))
				v++;
			size_t e = end;
			while (e > v && (p[e - 1] == ' ' || p[e - 1] == '\t'))
				e--;
			*val = p + v;
			*val_len = e - v;
			return true;
		}
	}
	return false;
}

bool pg_http_split_target(const uint8_t *t, size_t n, const uint8_t **auth,
			  size_t *auth_len, const uint8_t **path,
			  size_t *path_len)
{
	static const char *const schemes[] = {"http://", "https://"};
	size_t skip = 0;
	for (size_t i = 0; i < 2 && !skip; i++)
		if (pg_prefix_ci(t, n, schemes[i]))
			skip = strlen(schemes[i]);
	size_t e = skip;
	if (skip)
		while (e < n && t[e] != '/' && t[e] != '?' && t[e] != '#')
			e++;
	*auth = t + skip;
	*auth_len = e - skip;
	*path = t + e;
	*path_len = n - e;
	return skip != 0;
}

/* The ports of web servers and HTTP proxies: http (80), the registered
 * alternates (http-alt: 8008, 8080), the customary ones of application
 * and development servers (8000, 8081, 8888), Squid (3128) and Privoxy
 * (8118).  Servents listen on 6346-6347 (Gnutella), 1214 (FastTrack) or a
 * random high port: a servent moved to one of these to pass a firewall is
 * still found by its peers' requests, which carry its system's marks. */
static bool web_port(uint16_t port)
{
	switch (port) {
	case 80:
	case 3128:
	case 8000:
	case 8008:
	case 8080:
	case 8081:
	case 8118:
	case 8888:
		return true;
	default:
		return false;
	}
}

/* The port an authority ("host", "host:port", "[v6]:port") names: 0 for
 * none (the scheme's own, 80 or 443), -1 for one that is no port. */
static long authority_port(const uint8_t *a, size_t n)
{
	size_t i = n;
	while (i > 0 && pg_is_digit(a[i - 1]))
		i--;
	if (i == 0 || a[i - 1] != ':')
		return 0;    /* no ":port" after the host (IPv6 ends in ']') */
	if (i == n)
		return 0;    /* "host:" is the default port (RFC 3986 3.2.3) */
	long port = 0;
	for (size_t k = i; k < n; k++) {
		port = port * 10 + (a[k] - '0');
		if (port > 65535)
			return -1;
	}
	return port > 0 ? port : -1;
}

bool pg_http_for_web_port(const struct pg_http_request *rq, uint16_t server_port)
{
	if (!web_port(server_port))
		return false;
	/* A forwarding proxy relays the answer of the server the target
	 * names, which may be a servent on its own port. */
	const uint8_t *auth, *path;
	size_t auth_len, path_len;
	if (!pg_http_split_target(rq->target, rq->target_len, &auth, &auth_len,
				  &path, &path_len))
		return true;
	long port = authority_port(auth, auth_len);
	return port == 0 || (port > 0 && web_port((uint16_t)port));
}

void pg_http_report_host(const uint8_t *hdr, size_t n,
			 struct pg_detect_result *out)
{
	const uint8_t *v;
	size_t vl;
	if (pg_http_header(hdr, n, "Host", &v, &vl))
		pg_set_host_as_sent(out, v, vl);
}

bool pg_http_read(const uint8_t *p, size_t n, struct pg_http_msg *m)
{
	size_t end = pg_http_header_end(p, n);
	m->hdr_len = end ? end : n;
	m->hdr_done = end != 0;

	enum pg_http_parse rq = pg_http_request_line(p, n, &m->rq);
	enum pg_http_parse st = PG_HTTP_NO;
	if (rq == PG_HTTP_OK)
		m->kind = PG_HTTP_REQUEST;
	else if ((st = pg_http_status_line(p, n)) == PG_HTTP_OK)
		m->kind = PG_HTTP_RESPONSE;
	else if (rq == PG_HTTP_PARTIAL || st == PG_HTTP_PARTIAL)
		m->kind = PG_HTTP_PENDING;
	else
		m->kind = PG_HTTP_NONE;
	return m->kind == PG_HTTP_REQUEST || m->kind == PG_HTTP_RESPONSE;
}
