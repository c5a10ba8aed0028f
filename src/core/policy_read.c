/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Checking policy.ini: section names, keys and values as inih splits them
 * (the line reader, policy_lexer.c, hands over the lines), and every message
 * with the most useful hint we can give.
 *
 * Every error is collected (the first PG_DIAG_MAX kept) and a file with any
 * error yields NULL: a policy is never half-applied.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "peergate/systems.h"

#include "policy_loader.h"

#define MAX_HOSTS_PER_SYSTEM 256
#define MAX_PREFIXES 4096
#define ACTION_EXPECT "expected block, allow or log"

static const char *const yes_no_words[] = { "no", "yes" };
static const char *const exception_keys[] = {
	[EXC_ALLOW] = "allow",
	[EXC_INSPECT] = "inspect",
};
static const char *const system_meta_keys[] = { "all", "ports", "hosts", "heuristics" };
/* enum pg_heuristics_mode order */
static const char *const heuristics_words[] = { "block", "log", "off" };

/* ---- errors ---- */

static void PG_PRINTF(3, 0) err_vline(struct loader *ld, unsigned line,
				      const char *fmt, va_list ap)
{
	if (ld->diag->count < PG_DIAG_MAX)
		ld->diag_line[ld->diag->count] = line;
	pol_diag_vadd(ld->diag, ld->name, line, fmt, ap);
}

void PG_PRINTF(3, 4) pol_err_line(struct loader *ld, unsigned line,
				  const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vline(ld, line, fmt, ap);
	va_end(ap);
}

/* An error on the line being read. */
void PG_PRINTF(2, 3) pol_err_at(struct loader *ld, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vline(ld, ld->line, fmt, ap);
	va_end(ap);
}

void pol_out_of_memory(struct loader *ld)
{
	if (!ld->oom)
		pol_err_line(ld, 0, "out of memory");
	ld->oom = true;
}

/* Checks made after the whole file was read report earlier lines; a stable
 * sort puts every message back in file order. */
static void sort_diag(struct loader *ld)
{
	struct pg_diag *d = ld->diag;
	unsigned n = d->count < PG_DIAG_MAX ? d->count : PG_DIAG_MAX;
	char tmp[sizeof(d->msg[0])];

	for (unsigned i = 1; i < n; i++) {
		unsigned line = ld->diag_line[i], j = i;
		if (ld->diag_line[j - 1] <= line)
			continue;
		memcpy(tmp, d->msg[i], sizeof(tmp));
		while (j > 0 && ld->diag_line[j - 1] > line) {
			memcpy(d->msg[j], d->msg[j - 1], sizeof(tmp));
			ld->diag_line[j] = ld->diag_line[j - 1];
			j--;
		}
		memcpy(d->msg[j], tmp, sizeof(tmp));
		ld->diag_line[j] = line;
	}
}

/* A hint for values such as "block # why": only ';' starts an inline
 * comment, and only after white space. */
static const char *comment_hint(const char *value)
{
	return strchr(value, '#') ? " (a comment after a value starts with ' ;')" : "";
}

/* "invalid value 'v' for 'k' in [s]; did you mean 'w'?" when one of words is
 * close, else "...; <expect>". */
void pol_bad_value(struct loader *ld, const char *key, const char *value,
		   const char *const *words, size_t nwords, const char *expect)
{
	const char *close = words ? pol_suggest(value, words, nwords) : NULL;

	if (close)
		pol_err_at(ld, "invalid value '" QUOTE "' for '%s' in [%s]; did you mean '%s'?",
			   value, key, ld->sect_name, close);
	else
		pol_err_at(ld, "invalid value '" QUOTE "' for '%s' in [%s]; %s%s", value,
			   key, ld->sect_name, expect, comment_hint(value));
}

/* One of a fixed set of words; returns its index or -1 (reported). */
int pol_parse_word(struct loader *ld, const char *key, const char *value,
		   const char *const *words, size_t n, const char *expect)
{
	int i;

	if (!*value) {
		pol_err_at(ld, "empty value for '%s' in [%s]; %s", key, ld->sect_name, expect);
		return -1;
	}
	i = pol_word_index(value, words, n);
	if (i < 0)
		pol_bad_value(ld, key, value, words, n, expect);
	return i;
}

/* ---- sections ---- */

/* "unknown section [x]" with the nearest name, else the list of them. */
static void unknown_section(struct loader *ld)
{
	static const char *const fixed[] = { "engine", "exceptions" };
	const char *names[PG_SYS_POLICED_END + COUNT(fixed)];
	size_t n = 0;

	for (size_t i = 0; i < COUNT(fixed); i++)
		names[n++] = fixed[i];
	for (unsigned i = 1; i < PG_SYS_POLICED_END; i++)
		if (pg_systems_defined(ld->reg, (enum pg_system)i))
			names[n++] = pg_systems_name(ld->reg, (enum pg_system)i);
	/* "[ msn ]" is a near miss too */
	char trimmed[sizeof(ld->sect_name)];
	const char *t = ld->sect_name;
	while (pol_is_space((unsigned char)*t))
		t++;
	snprintf(trimmed, sizeof(trimmed), "%s", t);
	for (size_t k = strlen(trimmed); k && pol_is_space((unsigned char)trimmed[k - 1]); k--)
		trimmed[k - 1] = '\0';
	const char *close = pol_suggest(trimmed, names, n);
	if (close) {
		pol_err_at(ld, "unknown section [%s]; did you mean [%s]?", ld->sect_name, close);
	} else {
		char list[1024] = "";
		pol_join_words(list, sizeof(list), names + COUNT(fixed), n - COUNT(fixed));
		pol_err_at(ld, "unknown section [%s]; expected [engine], [exceptions] or a system: %s",
			   ld->sect_name, list);
	}
}

void pol_enter_section(struct loader *ld)
{
	enum pg_system sys;
	unsigned *first = NULL;

	ld->sect = SECT_SKIP;
	if (strcmp(ld->sect_name, "engine") == 0) {
		first = &ld->engine_line;
		ld->sect = SECT_ENGINE;
	} else if (strcmp(ld->sect_name, "exceptions") == 0) {
		first = &ld->exceptions_line;
		ld->sect = SECT_EXCEPTIONS;
	} else if (pg_systems_from_name(ld->reg, ld->sect_name, &sys) &&
		   pg_systems_defined(ld->reg, sys)) {
		first = &ld->system_line[sys];
		ld->sect = SECT_SYSTEM;
		ld->sys = sys;
	} else if (pg_systems_from_name(ld->reg, ld->sect_name, &sys) &&
		   !pg_system_is_data(sys)) {
		pol_err_at(ld, "section [%s] names traffic peergate never polices", ld->sect_name);
		return;
	} else {
		unknown_section(ld);
		return;
	}
	if (*first) {
		pol_err_at(ld, "duplicate section [%s] (first on line %u)", ld->sect_name, *first);
		ld->sect = SECT_SKIP;
		return;
	}
	*first = ld->line;
}

/* ---- unknown keys, with the most useful hint we can give ---- */

static bool is_system_key_name(const char *key)
{
	enum pg_feature f;

	return pol_word_index(key, system_meta_keys, COUNT(system_meta_keys)) >= 0 ||
	       pg_feature_from_name(key, &f);
}

static bool is_engine_key_name(const char *key)
{
	for (size_t i = 0; i < pol_engine_key_count(); i++)
		if (strcmp(key, pol_engine_key_name(i)) == 0)
			return true;
	return false;
}

/* The keys valid in the current section, in the order the man page uses. */
static size_t section_keys(const struct loader *ld, const char **out, size_t max)
{
	size_t n = 0;

	switch (ld->sect) {
	case SECT_ENGINE:
		for (size_t i = 0; i < pol_engine_key_count() && n < max; i++)
			out[n++] = pol_engine_key_name(i);
		break;
	case SECT_EXCEPTIONS:
		for (size_t i = 0; i < COUNT(exception_keys) && n < max; i++)
			out[n++] = exception_keys[i];
		break;
	case SECT_SYSTEM:
		for (size_t i = 0; i < COUNT(system_meta_keys) && n < max; i++)
			if (strcmp(system_meta_keys[i], "heuristics") != 0 ||
			    pg_system_has_heuristics(ld->sys))
				out[n++] = system_meta_keys[i];
		for (unsigned f = 0; f < PG_FEAT_COUNT && n < max; f++)
			if (pg_systems_feature_valid(ld->reg, ld->sys, (enum pg_feature)f))
				out[n++] = pg_feature_name((enum pg_feature)f);
		break;
	default:
		break;
	}
	return n;
}

void pol_unknown_key(struct loader *ld, const char *key)
{
	const char *keys[SK_COUNT + 16];
	size_t n = section_keys(ld, keys, COUNT(keys));
	const char *close = pol_suggest(key, keys, n);
	char list[256] = "";
	enum pg_feature f;

	pol_join_words(list, sizeof(list), keys, n);
	if (ld->sect != SECT_ENGINE && is_engine_key_name(key)) {
		pol_err_at(ld, "unknown key '%s' in [%s]; '%s' belongs in [engine]", key,
			   ld->sect_name, key);
	} else if (ld->sect != SECT_EXCEPTIONS &&
		   pol_word_index(key, exception_keys, COUNT(exception_keys)) >= 0) {
		pol_err_at(ld, "unknown key '%s' in [%s]; '%s' belongs in [exceptions]",
			   key, ld->sect_name, key);
	} else if (ld->sect != SECT_SYSTEM && is_system_key_name(key)) {
		pol_err_at(ld, "unknown key '%s' in [%s]; '%s' belongs in a system section such as [msn]",
			   key, ld->sect_name, key);
	} else if (ld->sect == SECT_SYSTEM && pg_feature_from_name(key, &f)) {
		pol_err_at(ld, "unknown key '%s' in [%s]; %s has no feature '%s' (valid keys: %s)",
			   key, ld->sect_name, ld->sect_name, key, list);
	} else if (close) {
		pol_err_at(ld, "unknown key '" QUOTE "' in [%s]; did you mean '%s'?", key,
			   ld->sect_name, close);
	} else {
		pol_err_at(ld, "unknown key '" QUOTE "' in [%s]; valid keys: %s", key,
			   ld->sect_name, list);
	}
}

/* Records a key line; false (reported) when the key was already set. */
bool pol_first_time(struct loader *ld, unsigned *slot, const char *key)
{
	if (*slot) {
		pol_err_at(ld, "duplicate key '%s' in [%s] (first set on line %u)", key,
			   ld->sect_name, *slot);
		return false;
	}
	*slot = ld->line;
	return true;
}

/* ---- system sections ---- */

static bool add_hosts(struct loader *ld, const char *value)
{
	struct strvec *v = &ld->p->hosts[ld->sys];
	char tok[TOKEN_MAX], why[128];
	bool ok = true;

	while (pol_next_token(&value, tok, sizeof(tok))) {
		if (!pg_host_pattern_check(tok, why, sizeof(why))) {
			pol_err_at(ld, "invalid host pattern '" QUOTE "' for 'hosts' in [%s]; %s",
				   tok, ld->sect_name, why);
			ok = false;
			continue;
		}
		/* Stored pol_lower-case (matching ignores case) and once each. */
		for (char *c = tok; *c; c++)
			*c = (char)pol_lower((unsigned char)*c);
		bool dup = false;
		for (size_t i = 0; i < v->n && !dup; i++)
			dup = strcmp(v->v[i], tok) == 0;
		if (dup)
			continue;
		if (v->n >= MAX_HOSTS_PER_SYSTEM) {
			pol_err_at(ld, "too many host patterns in [%s] (at most %u)",
				   ld->sect_name, MAX_HOSTS_PER_SYSTEM);
			ld->cont = CONT_IGNORE; /* once is enough */
			return false;
		}
		if (!pol_strvec_push(v, tok)) {
			pol_out_of_memory(ld);
			return false;
		}
	}
	return ok;
}

static bool system_key(struct loader *ld, const char *key, const char *value)
{
	enum pg_system sys = ld->sys;
	enum pg_feature f = PG_FEAT_ANY;
	unsigned slot;
	int i;

	if (strcmp(key, "all") == 0)
		slot = SK_ALL;
	else if (strcmp(key, "ports") == 0)
		slot = SK_PORTS;
	else if (strcmp(key, "hosts") == 0)
		slot = SK_HOSTS;
	else if (strcmp(key, "heuristics") == 0 && pg_system_has_heuristics(sys))
		slot = SK_HEURISTICS;
	else if (strcmp(key, "heuristics") == 0) {
		pol_err_at(ld, "'heuristics' in [%s]: only bittorrent, edonkey, irc and xmpp "
			   "are found by heuristics", ld->sect_name);
		return false;
	}
	else if (pg_feature_from_name(key, &f) && pg_systems_feature_valid(ld->reg, sys, f))
		slot = f;
	else {
		pol_unknown_key(ld, key);
		return false;
	}
	if (!pol_first_time(ld, &ld->system_key_line[sys][slot], key))
		return false;

	switch (slot) {
	case SK_PORTS:
		i = pol_parse_word(ld, key, value, yes_no_words, COUNT(yes_no_words),
				   "expected yes or no");
		if (i < 0)
			return false;
		ld->p->ports[sys] = i == 1;
		break;
	case SK_HOSTS:
		ld->cont = CONT_HOSTS;
		return add_hosts(ld, value);
	case SK_HEURISTICS:
		i = pol_parse_word(ld, key, value, heuristics_words, COUNT(heuristics_words),
				   "expected block, log or off");
		if (i < 0)
			return false;
		ld->p->heuristics[sys] = (uint8_t)i;
		break;
	default:
		i = pol_parse_word(ld, key, value, pol_action_words, COUNT(pol_action_words),
				   ACTION_EXPECT);
		if (i < 0)
			return false;
		if (slot == SK_ALL)
			ld->all_action[sys] = (int8_t)i;
		else
			ld->feat_action[sys][f] = (int8_t)i;
		break;
	}
	ld->cont = CONT_REJECT;
	return true;
}

/* ---- [exceptions] ---- */

static bool add_prefixes(struct loader *ld, const char *key, struct pfxvec *v,
			 const char *value)
{
	char tok[TOKEN_MAX], why[128];
	bool ok = true;

	while (pol_next_token(&value, tok, sizeof(tok))) {
		struct pg_prefix pfx;
		if (!pg_prefix_parse(tok, &pfx, why, sizeof(why))) {
			pol_err_at(ld, "invalid prefix '" QUOTE "' for '%s' in [exceptions]; %s",
				   tok, key, why);
			ok = false;
			continue;
		}
		bool dup = false;
		for (size_t i = 0; i < v->n && !dup; i++)
			dup = memcmp(&v->v[i], &pfx, sizeof(pfx)) == 0;
		if (dup)
			continue;
		if (v->n >= MAX_PREFIXES) {
			pol_err_at(ld, "too many prefixes for '%s' in [exceptions] (at most %u)",
				   key, MAX_PREFIXES);
			ld->cont = CONT_IGNORE; /* once is enough */
			return false;
		}
		if (!pol_pfxvec_push(v, &pfx)) {
			pol_out_of_memory(ld);
			return false;
		}
	}
	return ok;
}

static bool exceptions_key(struct loader *ld, const char *key, const char *value)
{
	int i = pol_word_index(key, exception_keys, COUNT(exception_keys));

	if (i < 0) {
		pol_unknown_key(ld, key);
		return false;
	}
	if (!pol_first_time(ld, &ld->exception_key_line[i], key))
		return false;
	ld->cont = i == EXC_ALLOW ? CONT_ALLOW : CONT_INSPECT;
	return add_prefixes(ld, key, i == EXC_ALLOW ? &ld->p->allow : &ld->p->inspect,
			    value);
}

/* ---- the inih handler ---- */

/* An indented line after a key: inih hands it over as more of that key's
 * value (Python configparser style).  Lists take it; anything else is a
 * mistake, most often an indented key or section header. */
static int on_continuation(struct loader *ld, const char *raw)
{
	char value[TOKEN_MAX];
	bool ok = false;

	if (ld->cont == CONT_IGNORE)
		return 1;
	/* inih 55 (Debian) leaves " ; comment" on continuation lines, later
	 * versions strip it; strip it here so both read the same. */
	size_t len = (size_t)(pol_find_chars_or_comment(raw, NULL) - raw);
	while (len && pol_is_space((unsigned char)raw[len - 1]))
		len--;
	if (len >= sizeof(value))
		len = sizeof(value) - 1;
	memcpy(value, raw, len);
	value[len] = '\0';
	if (ld->cont == CONT_REJECT || value[0] == '[' || strchr(value, '=')) {
		pol_err_at(ld, "indented line is read as a continuation of '%s' (line %u); remove the indentation",
			   ld->cont_key, ld->cont_line);
		return 0;
	}
	switch (ld->cont) {
	case CONT_HOOKS:
		ok = pol_engine_add_hooks(ld, value);
		break;
	case CONT_HOSTS:
		ok = add_hosts(ld, value);
		break;
	case CONT_ALLOW:
		ok = add_prefixes(ld, "allow", &ld->p->allow, value);
		break;
	case CONT_INSPECT:
		ok = add_prefixes(ld, "inspect", &ld->p->inspect, value);
		break;
	default:
		break;
	}
	return ok;
}

int pol_on_pair(void *user, const char *section, const char *name,
		const char *value)
{
	struct loader *ld = user;
	bool ok = false;

	if (!value)
		value = "";
	ld->pending = false;
	if (ld->kind == LINE_CONT)
		return on_continuation(ld, value);
	if (ld->kind != LINE_KEY ||
	    ((ld->sect == SECT_ENGINE || ld->sect == SECT_EXCEPTIONS ||
	      ld->sect == SECT_SYSTEM) && strcmp(section, ld->sect_name) != 0)) {
		/* Our reader and inih disagree about this line.  Never expected;
		 * the fuzz target aborts on this message. */
		pol_err_at(ld, "line not understood (parser mismatch)");
		return 0;
	}
	ld->cont = CONT_IGNORE;
	ld->cont_line = ld->line;
	snprintf(ld->cont_key, sizeof(ld->cont_key), "%s", name);

	if (ld->dropped)
		return 1; /* reported by the reader; its continuations stay quiet */
	if (!*name) {
		pol_err_at(ld, "missing key name before '='");
		return 0;
	}
	switch (ld->sect) {
	case SECT_NONE:
		pol_err_at(ld, "key '" QUOTE "' is outside any section; put it under [engine], [exceptions] or a system section",
			   name);
		break;
	case SECT_SKIP:
		ok = true; /* the header was reported */
		break;
	case SECT_ENGINE:
		ok = pol_engine_key(ld, name, value);
		break;
	case SECT_EXCEPTIONS:
		ok = exceptions_key(ld, name, value);
		break;
	case SECT_SYSTEM:
		ok = system_key(ld, name, value);
		break;
	}
	return ok;
}

/* ---- after the last line ---- */

void pol_finish(struct loader *ld)
{
	struct pg_policy *p = ld->p;

	pol_engine_finish(ld);
	for (unsigned s = 1; s < PG_SYS_POLICED_END; s++) {
		for (unsigned f = 0; f < PG_FEAT_COUNT; f++) {
			int a = ld->feat_action[s][f];
			if (a < 0)
				a = ld->all_action[s];
			p->action[s][f] = (uint8_t)(a < 0 ? PG_ACTION_ALLOW : a);
		}
	}
	sort_diag(ld);
}
