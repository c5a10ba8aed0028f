/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers private to the ordinary-protocol detectors (src/detect/common.c and
 * the files it lists).  Everything here is static inline: no state.
 */
#ifndef PEERGATE_DETECT_COMMON_PRIV_H
#define PEERGATE_DETECT_COMMON_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "peergate/detect.h"

/* The descriptors listed in common.c, one per file. */
extern const struct pg_detector pg_detector_socks;
extern const struct pg_detector pg_detector_ssh;
extern const struct pg_detector pg_detector_tls;
extern const struct pg_detector pg_detector_quic;
extern const struct pg_detector pg_detector_http;
extern const struct pg_detector pg_detector_dns;
extern const struct pg_detector pg_detector_mail;
extern const struct pg_detector pg_detector_ftp;

/* Most of these protocols are judged on both directions at once, whichever
 * direction the current packet travels: name them client and server. */
struct pg_sides {
	const uint8_t *c2s, *s2c;
	size_t c2s_len, s2c_len;
};

static inline struct pg_sides pg_sides_of(const struct pg_detect_input *in)
{
	struct pg_sides s;
	if (in->dir == PG_DIR_C2S) {
		s.c2s = in->stream;
		s.c2s_len = in->stream_len;
		s.s2c = in->other_stream;
		s.s2c_len = in->other_len;
	} else {
		s.s2c = in->stream;
		s.s2c_len = in->stream_len;
		s.c2s = in->other_stream;
		s.c2s_len = in->other_len;
	}
	if (!s.c2s)
		s.c2s_len = 0;
	if (!s.s2c)
		s.s2c_len = 0;
	return s;
}

static inline bool pg_is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static inline bool pg_is_alpha(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Characters we accept in a host name handed to the host patterns: letters,
 * digits, '-', '.', '_' (seen in real SRV-style and CDN names).  Anything
 * else means the bytes are not a plain name and the host is dropped. */
static inline bool pg_is_host_char(uint8_t c)
{
	return pg_is_alpha(c) || pg_is_digit(c) || c == '-' || c == '.' ||
	       c == '_';
}

static inline bool pg_valid_host(const uint8_t *p, size_t n)
{
	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!pg_is_host_char(p[i]))
			return false;
	return true;
}

/* Sets out->host when the name is plausible; leaves it empty otherwise. */
static inline void pg_set_host(struct pg_detect_result *out, const uint8_t *p,
			       size_t n)
{
	if (p && pg_valid_host(p, n)) {
		out->host = (const char *)p;
		out->host_len = n;
	}
}

/* A text-protocol line: the first line of a stream.  len is without the
 * line end; complete is false while no LF has arrived. */
struct pg_line {
	const uint8_t *p;
	size_t len;
	bool complete;
};

/* Longest first line the line-oriented detectors wait for (RFC 5321 caps
 * command and reply lines at 512 octets; FTP and POP3 are similar). */
#define PG_TEXT_LINE_MAX 512

/* Splits off the first line.  Returns false when the bytes cannot be the
 * start of a text protocol: a control or non-ASCII byte before the line end,
 * or no line end within PG_TEXT_LINE_MAX. */
static inline bool pg_first_line(const uint8_t *p, size_t n, struct pg_line *l)
{
	l->p = p;
	l->complete = false;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];
		if (c == '\n') {
			l->len = (i > 0 && p[i - 1] == '\r') ? i - 1 : i;
			l->complete = true;
			return true;
		}
		if (i >= PG_TEXT_LINE_MAX)
			return false;
		if ((c < 0x20 && c != '\r' && c != '\t') || c >= 0x7f)
			return false;
		if (c == '\r' && i + 1 < n && p[i + 1] != '\n')
			return false;
	}
	l->len = n;
	return true;
}

/* The line starts with the word (case-insensitive), followed by a space or
 * the end of the line. */
static inline bool pg_line_word(const struct pg_line *l, const char *word)
{
	size_t n = 0;
	while (word[n])
		n++;
	if (!pg_bytes_prefix_ci(l->p, l->len, word))
		return false;
	return l->len == n || l->p[n] == ' ';
}

/* Case-insensitive search for an ASCII word inside the line. */
static inline bool pg_line_has_ci(const struct pg_line *l, const char *word)
{
	size_t n = 0;
	while (word[n])
		n++;
	for (size_t i = 0; n <= l->len && i <= l->len - n; i++)
		if (pg_bytes_prefix_ci(l->p + i, l->len - i, word))
			return true;
	return false;
}

/* A numeric reply "ddd" followed by a space, '-' or the end of the line,
 * first digit 1-5 (RFC 5321 §4.2, RFC 959 §4.2). */
static inline bool pg_line_reply_code(const struct pg_line *l, const char *code)
{
	if (l->len < 3 || l->p[0] < '1' || l->p[0] > '5' ||
	    !pg_is_digit(l->p[1]) || !pg_is_digit(l->p[2]))
		return false;
	if (l->len > 3 && l->p[3] != ' ' && l->p[3] != '-')
		return false;
	if (code)
		return l->p[0] == (uint8_t)code[0] &&
		       l->p[1] == (uint8_t)code[1] && l->p[2] == (uint8_t)code[2];
	return true;
}

/* The line starts with one of the words of a NULL-terminated list. */
static inline bool pg_line_word_in(const struct pg_line *l,
				   const char *const *words)
{
	for (size_t i = 0; words[i]; i++)
		if (pg_line_word(l, words[i]))
			return true;
	return false;
}

#endif
