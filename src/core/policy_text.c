/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Words and small text helpers for reading policy.ini: tokens, numbers,
 * "did you mean" suggestions, and the diagnostics list.
 */
#include <stdio.h>
#include <string.h>

#include "policy_text.h"
#include "peergate/decimal.h"

/* ------------------------------------------------------------------ */
/* Names and small helpers                                             */

const char *const pol_action_words[PG_ACTION_LOG + 1] = {
	[PG_ACTION_ALLOW] = "allow",
	[PG_ACTION_BLOCK] = "block",
	[PG_ACTION_LOG] = "log",
};

const char *pg_action_name(enum pg_action a)
{
	if ((unsigned)a >= COUNT(pol_action_words))
		return "allow";
	return pol_action_words[a];
}

bool pol_is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	       c == '\f';
}

bool pol_is_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

int pol_lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

int pol_word_index(const char *w, const char *const *words, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(w, words[i]) == 0)
			return (int)i;
	return -1;
}

/* Edit distance (optimal string alignment: insert, delete, substitute,
 * swap two neighbours), ignoring case, for "did you mean" hints.  Names
 * longer than 63 characters are never close to anything we know. */
unsigned edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned rows[3][64];
	unsigned *pp = rows[0], *prev = rows[1], *cur = rows[2];

	if (la >= 64 || lb >= 64)
		return 64;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = (unsigned)i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned cost = pol_lower(a[i - 1]) != pol_lower(b[j - 1]);
			unsigned best = prev[j] + 1;
			if (cur[j - 1] + 1 < best)
				best = cur[j - 1] + 1;
			if (prev[j - 1] + cost < best)
				best = prev[j - 1] + cost;
			if (i > 1 && j > 1 && pol_lower(a[i - 1]) == pol_lower(b[j - 2]) &&
			    pol_lower(a[i - 2]) == pol_lower(b[j - 1]) && pp[j - 2] + 1 < best)
				best = pp[j - 2] + 1;
			cur[j] = best;
		}
		unsigned *t = pp;
		pp = prev;
		prev = cur;
		cur = t;
	}
	return prev[lb];
}

/* The closest candidate, if it is close enough to be a plausible typo:
 * one edit for short names, two for longer ones. */
const char *pol_suggest(const char *word, const char *const *cands, size_t n)
{
	const char *best = NULL;
	unsigned best_d = ~0u;

	for (size_t i = 0; i < n; i++) {
		unsigned d = edit_distance(word, cands[i]);
		unsigned limit = strlen(cands[i]) <= 4 ? 1 : 2;
		if (d <= limit && d < best_d) {
			best = cands[i];
			best_d = d;
		}
	}
	return best;
}

/* Appends "a, b, c" to buf. */
void pol_join_words(char *buf, size_t len, const char *const *words, size_t n)
{
	size_t used = strlen(buf);

	for (size_t i = 0; i < n && used < len; i++) {
		int w = snprintf(buf + used, len - used, "%s%s", i ? ", " : "",
				 words[i]);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

/* Splits a value into tokens separated by white space or commas. */
bool pol_next_token(const char **pos, char *tok, size_t toklen)
{
	const char *s = *pos;
	size_t n = 0;

	while (*s && (pol_is_space((unsigned char)*s) || *s == ','))
		s++;
	if (!*s) {
		*pos = s;
		return false;
	}
	while (*s && !pol_is_space((unsigned char)*s) && *s != ',') {
		if (n + 1 < toklen)
			tok[n++] = *s;
		s++;
	}
	tok[n] = '\0';
	*pos = s;
	return true;
}

bool pol_parse_u32(const char *s, uint32_t *out)
{
	uint64_t v;

	if (!pg_parse_decimal(s, UINT32_MAX, &v))
		return false;
	*out = (uint32_t)v;
	return true;
}

/* ------------------------------------------------------------------ */
/* Diagnostics                                                         */

void PG_PRINTF(4, 0) pol_diag_vadd(struct pg_diag *d, const char *name,
				   unsigned line, const char *fmt, va_list ap)
{
	if (d->count < PG_DIAG_MAX) {
		char *m = d->msg[d->count];
		size_t size = sizeof(d->msg[0]);
		int n = line ? snprintf(m, size, "%s:%u: ", name, line)
			     : snprintf(m, size, "%s: ", name);
		if (n < 0)
			n = 0;
		if ((size_t)n >= size)
			n = (int)size - 1;
		vsnprintf(m + n, size - (size_t)n, fmt, ap);
		/* Messages quote the input; keep its control bytes (escape
		 * sequences included) off the admin's terminal. */
		for (char *c = m; *c; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f)
				*c = '?';
	}
	d->count++;
}

void PG_PRINTF(4, 5) pol_diag_add(struct pg_diag *d, const char *name,
				  unsigned line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pol_diag_vadd(d, name, line, fmt, ap);
	va_end(ap);
}

void pg_diag_print(const struct pg_diag *d, FILE *out)
{
	if (!d)
		return;
	unsigned shown = d->count < PG_DIAG_MAX ? d->count : PG_DIAG_MAX;
	for (unsigned i = 0; i < shown; i++)
		fprintf(out, "%s\n", d->msg[i]);
	if (d->count > shown)
		fprintf(out, "(%u more errors not shown)\n", d->count - shown);
}

