/* SPDX-License-Identifier: GPL-2.0-or-later */
/* HTTP/1.x messages as the IM and P2P detectors read them. */
#ifndef PEERGATE_DETECT_HTTP_MSG_H
#define PEERGATE_DETECT_HTTP_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "peergate/detect.h"

/* A request line "METHOD SP target SP HTTP/1.x CRLF". */
struct pg_http_request {
	const uint8_t *method;
	size_t method_len;
	const uint8_t *target;
	size_t target_len;
	size_t line_len;      /* up to and including the line end */
};

/* A complete request line at p; old servents left spaces of file names
 * unescaped, so the target may hold some. */
bool pg_http_request(const uint8_t *p, size_t len, struct pg_http_request *rq);
/* True while p could still grow into a request or status line: a method and
 * a space, or "HTTP", and no line end yet. */
bool pg_http_pending(const uint8_t *p, size_t len);
/* A status line "HTTP/1.x NNN" (or "HTTP NNN", as old servents wrote). */
bool pg_http_status(const uint8_t *p, size_t len);
/* Length of the header block p[0..] including the blank line, or 0 when the
 * block is not complete in p[0..len). */
size_t pg_http_header_end(const uint8_t *p, size_t len);
/* Finds a header line "Name:" (case-insensitive name) in the header block
 * p[0..len); sets *val and *val_len to the trimmed value. */
bool pg_http_header(const uint8_t *p, size_t len, const char *name,
		    const uint8_t **val, size_t *val_len);
/* Fills out->host with the Host header of a header block, when present. */
void pg_http_report_host(const uint8_t *hdr, size_t len,
			 struct pg_detect_result *out);

#endif
