/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Private to the policy modules (policy*.c, prefix.c): words and small text
 * helpers, suggestions for typos, and the diagnostics list.
 */
#ifndef PEERGATE_POLICY_TEXT_H
#define PEERGATE_POLICY_TEXT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "peergate/policy.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define PG_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define TOKEN_MAX 256                 /* longer than any line inih accepts */

/* The action names, indexed by enum pg_action. */
extern const char *const pol_action_words[PG_ACTION_LOG + 1];

/* ASCII only, whatever the locale. */
bool pol_is_space(int c);
bool pol_is_alnum(int c);
int pol_lower(int c);

/* The index of w in words, or -1. */
int pol_word_index(const char *w, const char *const *words, size_t n);
/* The candidate w is most likely a typo of, or NULL. */
const char *pol_suggest(const char *word, const char *const *cands, size_t n);
/* Appends "a, b, c" to buf. */
void pol_join_words(char *buf, size_t len, const char *const *words, size_t n);
/* The next token of a list separated by white space or commas (cut to
 * toklen - 1 bytes); false at the end. */
bool pol_next_token(const char **pos, char *tok, size_t toklen);
/* inih's rule for where a name, section name or value ends (defined in
 * policy_lexer.c; the systems' data file reader uses it too). */
const char *pol_find_chars_or_comment(const char *s, const char *chars);
/* Decimal digits only, no sign, at most UINT32_MAX. */
bool pol_parse_u32(const char *s, uint32_t *out);

/* Adds "NAME:LINE: message" (line 0: "NAME: message") to d; counts past
 * PG_DIAG_MAX without keeping the message. */
void PG_PRINTF(4, 0) pol_diag_vadd(struct pg_diag *d, const char *name,
				   unsigned line, const char *fmt, va_list ap);
void PG_PRINTF(4, 5) pol_diag_add(struct pg_diag *d, const char *name,
				  unsigned line, const char *fmt, ...);

#endif
