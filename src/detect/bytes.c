/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The detectors' helpers that are more than a line or two (bytes.h). */
#include "bytes.h"

static uint8_t lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

bool pg_same_ci(const uint8_t *p, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (lower(p[i]) != lower((uint8_t)s[i]))
			return false;
	return true;
}

bool pg_find_n(const uint8_t *hay, size_t hay_len, const char *needle,
	       size_t n, size_t *at)
{
	if (n == 0 || n > hay_len)
		return false;
	const uint8_t *p = memmem(hay, hay_len, needle, n);
	if (!p)
		return false;
	if (at)
		*at = (size_t)(p - hay);
	return true;
}

bool pg_find_ci_n(const uint8_t *hay, size_t hay_len, const char *needle,
		  size_t n, size_t *at)
{
	if (n == 0 || n > hay_len)
		return false;
	/* Most positions fail on their first byte: find candidates for it
	 * quickly (memchr when it has no case, as for the usual "\nName"
	 * header needles) and compare the rest only there. */
	const uint8_t first = lower((uint8_t)needle[0]);
	const bool caseless = !pg_is_alpha(first);
	const size_t last = hay_len - n;
	for (size_t i = 0; i <= last; i++) {
		if (caseless) {
			const uint8_t *c = memchr(hay + i, first, last - i + 1);
			if (!c)
				return false;
			i = (size_t)(c - hay);
		} else if (lower(hay[i]) != first) {
			continue;
		}
		if (!pg_same_ci(hay + i + 1, needle + 1, n - 1))
			continue;
		if (at)
			*at = i;
		return true;
	}
	return false;
}

size_t pg_parse_uint(const uint8_t *p, size_t len, unsigned max_digits,
		     uint64_t *val)
{
	uint64_t v = 0;
	size_t n = 0;
	while (n < len && pg_is_digit(p[n])) {
		if (n == max_digits)
			return 0;
		v = v * 10 + (uint64_t)(p[n] - '0');
		n++;
	}
	if (n > 0)
		*val = v;
	return n;
}

size_t pg_parse_ipv4(const uint8_t *p, size_t len, uint8_t ip[4])
{
	size_t i = 0;
	for (int k = 0; k < 4; k++) {
		uint64_t v;
		size_t n = pg_parse_uint(p + i, len - i, 9, &v);
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

struct pg_sides pg_sides_of(const struct pg_detect_input *in)
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

bool pg_valid_host(const uint8_t *p, size_t n)
{
	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!pg_is_host_char(p[i]))
			return false;
	return true;
}

void pg_expect4(struct pg_detect_result *out, const uint8_t ip[4],
		uint16_t port, enum pg_system sys, enum pg_feature feat)
{
	memset(&out->expect, 0, sizeof(out->expect));
	out->expect.family = 4;
	memcpy(out->expect.addr, ip, 4);
	out->expect.port = port;
	out->expect.system = sys;
	out->expect.feature = feat;
}

/* Splits off the first line; false when p cannot start a text protocol. */
static bool first_line(const uint8_t *p, size_t n, struct pg_line *l)
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

bool pg_text_sides_of(const struct pg_detect_input *in,
		      struct pg_text_sides *t)
{
	memset(t, 0, sizeof(*t));
	t->s = pg_sides_of(in);
	if (t->s.c2s_len && !first_line(t->s.c2s, t->s.c2s_len, &t->client))
		return false;
	if (t->s.s2c_len && !first_line(t->s.s2c, t->s.s2c_len, &t->server))
		return false;
	t->client_done = t->s.c2s_len && t->client.complete;
	return true;
}

bool pg_line_word(const struct pg_line *l, const char *word)
{
	size_t n = strlen(word);
	if (!pg_prefix_ci(l->p, l->len, word))
		return false;
	return l->len == n || l->p[n] == ' ';
}

bool pg_line_word_in(const struct pg_line *l, const char *const *words)
{
	for (size_t i = 0; words[i]; i++)
		if (pg_line_word(l, words[i]))
			return true;
	return false;
}

bool pg_line_reply_code(const struct pg_line *l, const char *code)
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
