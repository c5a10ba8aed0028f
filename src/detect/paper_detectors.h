/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The detectors for the six systems of the source paper (AIM, ICQ, MSN,
 * Yahoo, FastTrack, Gnutella), listed in paper.c, and small byte helpers they
 * share.  Private to src/detect/ and to the unit tests.
 */
#ifndef PEERGATE_PAPER_DETECTORS_H
#define PEERGATE_PAPER_DETECTORS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "peergate/detect.h"

/* oscar.c */
extern const struct pg_detector pg_detector_oscar;       /* FLAP, TOC */
extern const struct pg_detector pg_detector_oscar_peer;  /* OFT, ODC, proxy */
extern const struct pg_detector pg_detector_oscar_http;  /* HTTP proxy mode */
extern const struct pg_detector pg_detector_icq_udp;     /* ICQ v5 */
/* msn.c */
extern const struct pg_detector pg_detector_msn;         /* MSNP, MSNFTP, P2P */
extern const struct pg_detector pg_detector_msn_http;    /* HTTP gateway */
/* yahoo.c */
extern const struct pg_detector pg_detector_ymsg;        /* YMSG pager */
extern const struct pg_detector pg_detector_yahoo_side;  /* webcam, HTTP */
/* fasttrack.c */
extern const struct pg_detector pg_detector_fasttrack;
/* gnutella.c */
extern const struct pg_detector pg_detector_gnutella;
extern const struct pg_detector pg_detector_gnutella_udp;

/*
 * A capture, or a gateway started while sessions were open, may join a flow
 * in the middle: the first payload seen need not start a message.  The
 * detectors for message-framed protocols therefore look at each packet, and
 * only give up once this many payload packets (both directions) showed no
 * sign of their protocol.
 */
enum { PG_PAPER_EARLY_PACKETS = 4 };

static inline bool pg_paper_early(const struct pg_detect_input *in)
{
	/* A flow seen from its handshake starts with a message: no grace. */
	if (in->from_start)
		return false;
	return in->c2s_packets + in->s2c_packets <= PG_PAPER_EARLY_PACKETS;
}

/* Offset of this packet's payload inside the stream (TCP), 0 for UDP. */
static inline size_t pg_paper_payload_off(const struct pg_detect_input *in)
{
	if (in->stream_len >= in->payload_len &&
	    in->stream + (in->stream_len - in->payload_len) == in->payload)
		return in->stream_len - in->payload_len;
	return 0;
}

static inline bool pg_paper_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static inline bool pg_paper_alpha(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline bool pg_paper_xdigit(uint8_t c)
{
	return pg_paper_digit(c) || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

/* Printable ASCII, no control characters. */
static inline bool pg_paper_print(uint8_t c)
{
	return c >= 0x20 && c < 0x7f;
}

/* Number of leading decimal digits in p[0..len). */
static inline size_t pg_paper_digits(const uint8_t *p, size_t len)
{
	size_t n = 0;
	while (n < len && pg_paper_digit(p[n]))
		n++;
	return n;
}

/* Parses up to 9 decimal digits at p (no sign); returns the count used. */
static inline size_t pg_paper_uint(const uint8_t *p, size_t len,
				   uint32_t *val)
{
	size_t n = 0;
	uint32_t v = 0;
	while (n < len && n < 9 && pg_paper_digit(p[n]))
		v = v * 10 + (uint32_t)(p[n++] - '0');
	*val = v;
	return n;
}

/* Offset of the first "\r\n" in p[0..len), or len when there is none. */
static inline size_t pg_paper_crlf(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++)
		if (p[i] == '\r' && p[i + 1] == '\n')
			return i;
	return len;
}

/* Length of the HTTP-style header block p[0..] including the blank line,
 * or 0 when the block is not complete in p[0..len). */
static inline size_t pg_paper_header_end(const uint8_t *p, size_t len)
{
	size_t at;
	if (!pg_bytes_find(p, len, "\r\n\r\n", &at))
		return 0;
	return at + 4;
}

/*
 * An HTTP request line "METHOD SP target SP HTTP/1.x\r\n" at p.  On success
 * sets the method and target spans; the line must be complete.
 */
struct pg_paper_request {
	const uint8_t *method;
	size_t method_len;
	const uint8_t *target;
	size_t target_len;
	size_t line_len;      /* up to and including CRLF */
};

static inline bool pg_paper_http_request(const uint8_t *p, size_t len,
					 struct pg_paper_request *rq)
{
	size_t eol = pg_paper_crlf(p, len);
	size_t i = 0;

	if (eol == len || eol < 14)
		return false;
	while (i < eol && p[i] >= 'A' && p[i] <= 'Z')
		i++;
	if (i < 3 || i > 8 || p[i] != ' ')
		return false;
	rq->method = p;
	rq->method_len = i;
	/* The target runs to " HTTP/1.x"; old servents left spaces of file
	 * names unescaped, so it may hold some. */
	size_t t = i + 1;
	if (eol < t + 10 || !pg_bytes_prefix(p + eol - 9, 9, " HTTP/1.") ||
	    !pg_paper_digit(p[eol - 1]))
		return false;
	size_t e = eol - 9;
	if (e <= t || p[t] == ' ')
		return false;
	for (size_t k = t; k < e; k++)
		if (!pg_paper_print(p[k]))
			return false;
	rq->target = p + t;
	rq->target_len = e - t;
	rq->line_len = eol + 2;
	return true;
}

/* True while p[0..len) could still grow into an HTTP request or status line:
 * a method and a space, or "HTTP", and no line end yet. */
static inline bool pg_paper_http_pending(const uint8_t *p, size_t len)
{
	static const char *const starts[] = {
		"GET ", "HEAD ", "POST ", "PUT ", "OPTIONS ", "CONNECT ",
		"DELETE ", "TRACE ", "PATCH ", "PROPFIND ", "HTTP",
	};

	if (len >= 2048 || pg_paper_crlf(p, len) != len)
		return false;
	for (size_t i = 0; i < sizeof(starts) / sizeof(starts[0]); i++) {
		size_t n = strlen(starts[i]);
		if (memcmp(p, starts[i], len < n ? len : n) == 0)
			return true;
	}
	return false;
}

/* An HTTP status line "HTTP/1.x NNN" (or "HTTP NNN", as old servents wrote). */
static inline bool pg_paper_http_status(const uint8_t *p, size_t len)
{
	size_t i;
	if (pg_bytes_prefix(p, len, "HTTP/1.") && len >= 12 &&
	    pg_paper_digit(p[7]) && p[8] == ' ')
		i = 9;
	else if (pg_bytes_prefix(p, len, "HTTP ") && len >= 8)
		i = 5;
	else
		return false;
	return pg_paper_digits(p + i, len - i) == 3;
}

/* Case-insensitive search of needle in p[0..len). */
static inline bool pg_paper_find_ci(const uint8_t *p, size_t len,
				    const char *needle)
{
	size_t n = strlen(needle);
	for (size_t i = 0; n && i + n <= len; i++)
		if (pg_bytes_prefix_ci(p + i, len - i, needle))
			return true;
	return false;
}

/* Fills out->host with the Host header of a header block, when present. */
static inline void pg_paper_set_host(const uint8_t *hdr, size_t len,
				     struct pg_detect_result *out)
{
	const uint8_t *v;
	size_t vl;
	if (pg_http_header(hdr, len, "Host", &v, &vl) && vl > 0) {
		out->host = (const char *)v;
		out->host_len = vl;
	}
}

/* Sets an IPv4 expectation for a peer connection a control flow announced. */
static inline void pg_paper_expect4(struct pg_detect_result *out,
				    const uint8_t ip[4], uint16_t port,
				    enum pg_system sys, enum pg_feature feat)
{
	memset(&out->expect, 0, sizeof(out->expect));
	out->expect.family = 4;
	memcpy(out->expect.addr, ip, 4);
	out->expect.port = port;
	out->expect.system = sys;
	out->expect.feature = feat;
}

/* Parses dotted-quad IPv4 text at p; returns the bytes used or 0. */
static inline size_t pg_paper_ipv4_text(const uint8_t *p, size_t len,
					uint8_t ip[4])
{
	size_t i = 0;
	for (int k = 0; k < 4; k++) {
		uint32_t v;
		size_t n = pg_paper_uint(p + i, len - i, &v);
		if (n == 0 || n > 3 || v > 255)
			return 0;
		ip[k] = (uint8_t)v;
		i += n;
		if (k < 3) {
			if (i >= len || p[i] != '.')
				return 0;
			i++;
		}
	}
	return i;
}

#endif
