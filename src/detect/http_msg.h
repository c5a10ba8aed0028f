/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * HTTP/1.x messages as the detectors read them: the one request-line,
 * status-line and header parser for every detector that looks at HTTP
 * (http.c, and the systems that ride on it: MSN's gateway, Yahoo's HTTP
 * pager and relays, OSCAR's proxy mode, Gnutella and FastTrack transfers,
 * BitTorrent trackers, XMPP's BOSH).
 *
 * It reads more than RFC 9112 asks senders to write, because the traffic
 * it has to recognise did:
 *  - request targets with unescaped spaces: old Gnutella servents
 *    (BearShare) sent file names as they were ("GET /get/1/Some Song.mp3
 *    HTTP/1.0"), so the target runs to the " HTTP/1.x" that ends the line;
 *  - a status line without the version: BearShare answers "HTTP 503
 *    Server Busy";
 *  - a bare LF as line end, which RFC 9112 section 2.2 lets a recipient
 *    accept;
 *  - methods beyond the registered ones: upper-case tokens with '-' and
 *    '_' (M-SEARCH), up to 19 characters.
 * It stays strict where leniency would take in other protocols: the
 * version is HTTP/1.x (RTSP and "GNUTELLA/0.6" look alike), methods are
 * upper case, a status code starts with 1-5 and ends with a space or the
 * line end.
 */
#ifndef PEERGATE_DETECT_HTTP_MSG_H
#define PEERGATE_DETECT_HTTP_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "peergate/detect.h"

enum pg_http_parse {
	PG_HTTP_NO,        /* not that */
	PG_HTTP_PARTIAL,   /* could still become it: wait for more bytes */
	PG_HTTP_OK,
};

/* Longest request line waited for: real ones are far shorter (browsers
 * cap URLs near 8 KB, but the inspection buffer is smaller). */
#define PG_HTTP_MAX_LINE 4096

/* A request line "METHOD SP target SP HTTP/1.x" and its line end. */
struct pg_http_request {
	const uint8_t *method, *target;
	size_t method_len, target_len;
	size_t line_len;          /* with its line end: the headers start here */
};

/* The request line p starts with.  *rq is set on PG_HTTP_OK. */
enum pg_http_parse pg_http_request_line(const uint8_t *p, size_t n,
					struct pg_http_request *rq);

/* The status line p starts with ("HTTP/1.x NNN ..."). */
enum pg_http_parse pg_http_status_line(const uint8_t *p, size_t n);

/* The length of the header block p starts with (the request or status
 * line, the headers, and the empty line that ends them), or 0 while that
 * empty line has not arrived. */
size_t pg_http_header_end(const uint8_t *p, size_t n);

/* Finds header `name` (any case) in the header block p[0..n), which starts
 * with the request or status line, and sets its value without surrounding
 * blanks.  A last line without its line end counts as it stands. */
bool pg_http_header(const uint8_t *p, size_t n, const char *name,
		    const uint8_t **val, size_t *val_len);

/* Splits a request target.  The absolute form that forwarding proxies get
 * ("http://host:port/path", also https; RFC 9112 section 3.2.2): *auth is
 * the authority, up to the path, query or fragment, and *path the rest;
 * returns true.  Any other form: *auth is empty, *path the whole target. */
bool pg_http_split_target(const uint8_t *t, size_t n, const uint8_t **auth,
			  size_t *auth_len, const uint8_t **path,
			  size_t *path_len);

/* Whether request rq, sent to server_port, goes to a web server or an HTTP
 * proxy: the port is one those listen on (80, 8080, 3128 ...) and, for a
 * proxy's absolute-form target, so is the port the target names.  The
 * detectors of the systems that carry transfers over HTTP (Gnutella,
 * FastTrack) rule out a request without their marks on such a port at
 * once, without waiting for the answer; on other ports the answer may
 * still be a servent's, and they wait for it. */
bool pg_http_for_web_port(const struct pg_http_request *rq, uint16_t server_port);

/* Reports the Host header of a header block as the result's host, as the
 * client wrote it (with its port, if any). */
void pg_http_report_host(const uint8_t *hdr, size_t n,
			 struct pg_detect_result *out);

/* What one side's first bytes are, read as an HTTP message. */
enum pg_http_kind {
	PG_HTTP_NONE,      /* neither a request nor a response */
	PG_HTTP_PENDING,   /* could still become one */
	PG_HTTP_REQUEST,
	PG_HTTP_RESPONSE,
};

struct pg_http_msg {
	enum pg_http_kind kind;
	struct pg_http_request rq;  /* PG_HTTP_REQUEST */
	size_t hdr_len;             /* the header block, as far as it came */
	bool hdr_done;              /* ... all of it, its empty line too */
};

/* Reads p as an HTTP message: true for a request or response. */
bool pg_http_read(const uint8_t *p, size_t n, struct pg_http_msg *m);

/* What a detector says of bytes pg_http_read() turned down: MAYBE while
 * they may still become a request or response, NO otherwise. */
static inline enum pg_detect_status pg_http_not_yet(const struct pg_http_msg *m)
{
	return m->kind == PG_HTTP_PENDING ? PG_DETECT_MAYBE : PG_DETECT_NO;
}

#endif
