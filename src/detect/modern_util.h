/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Small byte helpers shared by the detectors of src/detect/modern.c's list
 * (BitTorrent, eDonkey, XMPP, IRC, Direct Connect, Telegram, WhatsApp,
 * STUN).  Everything here is static inline: the detectors stay pure
 * functions over the bytes they are handed, with no state of their own.
 */
#ifndef PEERGATE_DETECT_MODERN_UTIL_H
#define PEERGATE_DETECT_MODERN_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <netinet/in.h>

#include "peergate/detect.h"
#include "peergate/packet.h"

/* The bytes this direction has sent so far and the other direction's. */
static inline const uint8_t *md_this(const struct pg_detect_input *in,
				     size_t *len)
{
	*len = in->stream_len;
	return in->stream;
}

static inline const uint8_t *md_other(const struct pg_detect_input *in,
				      size_t *len)
{
	*len = in->other_stream ? in->other_len : 0;
	return in->other_stream;
}

static inline bool md_is_tcp(const struct pg_detect_input *in)
{
	return in->l4proto == IPPROTO_TCP;
}

/* True when p[0..len) is a prefix of the NUL-terminated string s, i.e. the
 * bytes seen so far agree with s and more data could complete it. */
static inline bool md_prefix_of(const uint8_t *p, size_t len, const char *s)
{
	size_t n = strlen(s);
	if (len > n)
		len = n;
	return memcmp(p, s, len) == 0;
}

/* Case-insensitive search of needle in hay; returns the offset or -1. */
static inline long md_find_ci(const uint8_t *hay, size_t hay_len,
			      const char *needle)
{
	size_t n = strlen(needle);
	if (n == 0 || n > hay_len)
		return -1;
	for (size_t i = 0; i + n <= hay_len; i++)
		if (pg_bytes_prefix_ci(hay + i, n, needle))
			return (long)i;
	return -1;
}

/* Case-sensitive search; returns the offset or -1. */
static inline long md_find(const uint8_t *hay, size_t hay_len,
			   const char *needle)
{
	size_t at;
	return pg_bytes_find(hay, hay_len, needle, &at) ? (long)at : -1;
}

/* Finds the end of the line starting at p: returns the offset of '\n', or
 * -1 when no '\n' occurs in the first `max` bytes. */
static inline long md_line_end(const uint8_t *p, size_t len, size_t max)
{
	if (len > max)
		len = max;
	const uint8_t *nl = memchr(p, '\n', len);
	return nl ? (long)(nl - p) : -1;
}

/* Printable ASCII, tab, CR or LF: what a text protocol line may hold.
 * Bytes >= 0x80 are accepted too: IRC and NMDC carry UTF-8 or legacy
 * 8-bit encodings in nicks and messages. */
static inline bool md_text_byte(uint8_t c)
{
	return c >= 0x20 || c == '\t' || c == '\r' || c == '\n' || c == 0x01 ||
	       c == 0x02 || c == 0x03 || c == 0x0f || c == 0x16 || c == 0x1d ||
	       c == 0x1f;
}

static inline bool md_is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static inline bool md_is_alpha(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Parses an unsigned decimal of at most max_digits digits at p[*i..len);
 * advances *i.  Returns false when no digit is there or it overflows. */
static inline bool md_parse_u64(const uint8_t *p, size_t len, size_t *i,
				unsigned max_digits, uint64_t *out)
{
	uint64_t v = 0;
	unsigned n = 0;
	while (*i < len && md_is_digit(p[*i])) {
		if (++n > max_digits)
			return false;
		v = v * 10 + (uint64_t)(p[*i] - '0');
		(*i)++;
	}
	if (n == 0)
		return false;
	*out = v;
	return true;
}

/* Fills a match that also names a host. */
static inline enum pg_detect_status
md_match_host(struct pg_detect_result *out, enum pg_system sys,
	      enum pg_feature feat, uint8_t conf, const uint8_t *host,
	      size_t host_len)
{
	if (host && host_len) {
		out->host = (const char *)host;
		out->host_len = host_len;
	}
	return pg_match(out, sys, feat, conf);
}

#endif
