/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The helpers every detector in src/detect/ uses: character classes,
 * comparing and searching bytes, numbers in text, the two directions of a
 * flow, filling a result, and the first line of a text protocol.  HTTP
 * messages have their own module, http_msg.h.  The detectors stay pure
 * functions over the bytes they are handed: nothing here keeps state.
 *
 * Strings to look for are NUL-terminated C strings.  The helpers taking one
 * are inline and measure it with strlen, which the compiler works out while
 * building when the caller passes a string literal (the usual case); the
 * _n forms take the length from the caller.
 */
#ifndef PEERGATE_DETECT_BYTES_H
#define PEERGATE_DETECT_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <netinet/in.h>

#include "peergate/detect.h"

/* ---- character classes ---------------------------------------------- */

static inline bool pg_is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static inline bool pg_is_alpha(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline bool pg_is_xdigit(uint8_t c)
{
	return pg_is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Printable ASCII, space included: no control characters, nothing >= 0x7f. */
static inline bool pg_is_print(uint8_t c)
{
	return c >= 0x20 && c < 0x7f;
}

/* Characters we accept in a host name handed to the host patterns: letters,
 * digits, '-', '.', '_' (seen in real SRV-style and CDN names).  Anything
 * else means the bytes are not a plain name. */
static inline bool pg_is_host_char(uint8_t c)
{
	return pg_is_alpha(c) || pg_is_digit(c) || c == '-' || c == '.' ||
	       c == '_';
}

/* ---- comparing and searching ----------------------------------------- */

/* p[0..n) equals s[0..n), ignoring ASCII case. */
bool pg_same_ci(const uint8_t *p, const char *s, size_t n);

/* The first occurrence of needle[0..n) in hay[0..hay_len), case-sensitive
 * or not; its offset goes to *at when at is not NULL.  An empty needle is
 * never found. */
bool pg_find_n(const uint8_t *hay, size_t hay_len, const char *needle,
	       size_t n, size_t *at);
bool pg_find_ci_n(const uint8_t *hay, size_t hay_len, const char *needle,
		  size_t n, size_t *at);

static inline bool pg_find(const uint8_t *hay, size_t hay_len,
			   const char *needle, size_t *at)
{
	return pg_find_n(hay, hay_len, needle, strlen(needle), at);
}

static inline bool pg_find_ci(const uint8_t *hay, size_t hay_len,
			      const char *needle, size_t *at)
{
	return pg_find_ci_n(hay, hay_len, needle, strlen(needle), at);
}

/* p[0..len) starts with s. */
static inline bool pg_prefix(const uint8_t *p, size_t len, const char *s)
{
	size_t n = strlen(s);
	return len >= n && memcmp(p, s, n) == 0;
}

static inline bool pg_prefix_ci(const uint8_t *p, size_t len, const char *s)
{
	size_t n = strlen(s);
	return len >= n && pg_same_ci(p, s, n);
}

/* The bytes seen so far agree with s: p starts with s, or p is shorter and
 * s starts with p, so that more bytes could still complete it. */
static inline bool pg_prefix_of(const uint8_t *p, size_t len, const char *s)
{
	size_t n = strlen(s);
	return memcmp(p, s, len < n ? len : n) == 0;
}

/* p[0..len) is exactly s. */
static inline bool pg_equals(const uint8_t *p, size_t len, const char *s)
{
	return len == strlen(s) && memcmp(p, s, len) == 0;
}

static inline bool pg_equals_ci(const uint8_t *p, size_t len, const char *s)
{
	return len == strlen(s) && pg_same_ci(p, s, len);
}

/* The offset of the first '\n' in p[0..len), looking at no more than max
 * bytes.  False when there is none there. */
static inline bool pg_line_end(const uint8_t *p, size_t len, size_t max,
			       size_t *at)
{
	const uint8_t *nl = memchr(p, '\n', len < max ? len : max);
	if (!nl)
		return false;
	*at = (size_t)(nl - p);
	return true;
}

/* ---- numbers in text -------------------------------------------------- */

/* How many decimal digits p[0..len) starts with. */
static inline size_t pg_digits(const uint8_t *p, size_t len)
{
	size_t n = 0;
	while (n < len && pg_is_digit(p[n]))
		n++;
	return n;
}

/* p[0..len) is a non-empty run of decimal digits. */
static inline bool pg_all_digits(const uint8_t *p, size_t len)
{
	return len > 0 && pg_digits(p, len) == len;
}

/* Reads the unsigned decimal number p starts with into *val.  Returns the
 * digits it used; 0 when p does not start with a digit or the number runs
 * to more than max_digits digits (at most 19, which always fits). */
size_t pg_parse_uint(const uint8_t *p, size_t len, unsigned max_digits,
		     uint64_t *val);

/* Reads a dotted-quad IPv4 address ("192.0.2.1") p starts with.  Returns
 * the bytes it used, or 0. */
size_t pg_parse_ipv4(const uint8_t *p, size_t len, uint8_t ip[4]);

/* ---- the flow's two directions ----------------------------------------- */

static inline bool pg_is_tcp(const struct pg_detect_input *in)
{
	return in->l4proto == IPPROTO_TCP;
}

/* The other direction's bytes (none: length 0). */
static inline const uint8_t *pg_other(const struct pg_detect_input *in,
				      size_t *len)
{
	*len = in->other_stream ? in->other_len : 0;
	return in->other_stream;
}

/* Many protocols are judged on both directions at once, whichever way the
 * current packet travels: these name them client and server. */
struct pg_sides {
	const uint8_t *c2s, *s2c;
	size_t c2s_len, s2c_len;
};

struct pg_sides pg_sides_of(const struct pg_detect_input *in);

/* This packet is not where its stream starts: a flow joined midway may have
 * a message (a later HTTP request, an MSNP command) begin here, so a
 * detector may read it on its own as well. */
static inline bool pg_packet_starts_later(const struct pg_detect_input *in)
{
	return in->payload != in->stream && in->payload_len > 0;
}

/*
 * A capture, or a gateway started while sessions were open, may join a flow
 * in the middle: the first payload seen need not start a message.  The
 * detectors of message-framed protocols therefore look at each packet, and
 * only give up once PG_GRACE_PACKETS payload packets (both directions)
 * showed no sign of their protocol.  A flow seen from its handshake starts
 * with a message: no grace.
 */
enum { PG_GRACE_PACKETS = 4 };

static inline bool pg_in_grace(const struct pg_detect_input *in)
{
	if (in->from_start)
		return false;
	return in->c2s_packets + in->s2c_packets <= PG_GRACE_PACKETS;
}

/* ---- filling a result ------------------------------------------------- */

/* p[0..n) is a plausible host name (see pg_is_host_char), 1..253 bytes. */
bool pg_valid_host(const uint8_t *p, size_t n);

/* Names the host the bytes name when it is plausible; leaves it empty
 * otherwise.  For names taken from free text (SNI, CONNECT, SOCKS). */
static inline void pg_set_host(struct pg_detect_result *out, const uint8_t *p,
			       size_t n)
{
	if (p && pg_valid_host(p, n)) {
		out->host = (const char *)p;
		out->host_len = n;
	}
}

/* Names the host exactly as the protocol wrote it, port or not: for fields
 * that hold a name by definition (an HTTP Host header, an XMPP to=).  The
 * host patterns then decide what it matches. */
static inline void pg_set_host_as_sent(struct pg_detect_result *out,
				       const uint8_t *p, size_t n)
{
	if (p && n > 0) {
		out->host = (const char *)p;
		out->host_len = n;
	}
}

/* Announces an IPv4 peer connection (out->expect) the flow set up. */
void pg_expect4(struct pg_detect_result *out, const uint8_t ip[4],
		uint16_t port, enum pg_system sys, enum pg_feature feat);

/* ---- the first line of a text protocol -------------------------------- */

/* A line: len is without the line end; complete is false while no LF has
 * arrived. */
struct pg_line {
	const uint8_t *p;
	size_t len;
	bool complete;
};

/* Longest first line the line-oriented detectors wait for (RFC 5321 caps
 * command and reply lines at 512 octets; FTP and POP3 are similar). */
#define PG_TEXT_LINE_MAX 512

/* The line starts with the word (any case), then a space or its end. */
bool pg_line_word(const struct pg_line *l, const char *word);

/* The line starts with one of the words of a NULL-terminated list. */
bool pg_line_word_in(const struct pg_line *l, const char *const *words);

/* The first line of each side, for the text protocols judged on both.
 * A side that has not spoken has an empty, incomplete line. */
struct pg_text_sides {
	struct pg_sides s;
	struct pg_line client, server;
	bool client_done;         /* the client's first line is complete */
};

/* False when either side's bytes cannot start a text protocol: a control
 * or non-ASCII byte before the line end, or no line end within
 * PG_TEXT_LINE_MAX. */
bool pg_text_sides_of(const struct pg_detect_input *in,
		      struct pg_text_sides *t);

/* The word occurs anywhere in the line (any case). */
static inline bool pg_line_has_ci(const struct pg_line *l, const char *word)
{
	return pg_find_ci(l->p, l->len, word, NULL);
}

/* A numeric reply "ddd" then a space, '-' or the end of the line, first
 * digit 1-5 (RFC 5321 section 4.2, RFC 959 section 4.2); code NULL: any
 * such reply, else that code. */
bool pg_line_reply_code(const struct pg_line *l, const char *code);

#endif
