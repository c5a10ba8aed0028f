/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * policy.ini -> validated, immutable snapshot.
 *
 * inih splits lines into sections, keys and values; everything else is
 * checked here.  Debian's libinih is built without INI_HANDLER_LINENO, so
 * the handler cannot learn the line number from inih.  The parse therefore
 * goes through ini_parse_stream with our own reader, which hands inih one
 * physical line at a time, counts lines, and classifies each line the same
 * way inih is about to (comment, [section], key = value, continuation).
 * Section headers and malformed lines never reach the handler, so those are
 * reported from the reader; keys and values are checked in the handler.
 *
 * Every error is collected (the first PG_DIAG_MAX kept) and a file with any
 * error yields NULL: a policy is never half-applied.
 */
#include "peergate/policy.h"

#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "peergate/mark.h"

#include "policy_text.h"

#define POLICY_MAX_BYTES (1u << 20)  /* a policy is a few KiB; refuse junk */
#define MAX_HOSTS_PER_SYSTEM 256
#define MAX_PREFIXES 4096
#define MAX_QUEUES 256                /* one thread per queue in the daemon */
#define QUOTE "%.64s"                 /* input quoted in messages, bounded */

struct strvec {
	char **v;
	size_t n, cap;
};

struct pfxvec {
	struct pg_prefix *v;
	size_t n, cap;
};

struct pg_policy {
	struct pg_engine_settings engine;
	/* Resolved at load (feature key, else `all`, else allow), so a lookup on
	 * the packet path is one array read. */
	uint8_t action[PG_SYS_POLICED_END][PG_FEAT_COUNT];
	bool ports[PG_SYS_POLICED_END];
	struct strvec hosts[PG_SYS_POLICED_END];
	struct pfxvec allow, inspect;
};

#define ACTION_EXPECT "expected block, allow or log"

static const char *const yes_no_words[] = { "no", "yes" };
static const char *const fail_words[] = { "closed", "open" };
static const char *const tcp_block_words[] = {
	[PG_TCP_BLOCK_RESET] = "reset",
	[PG_TCP_BLOCK_DROP] = "drop",
};
static const char *const hook_words[] = { "forward", "input", "output" };
static const char *const exception_keys[] = { "allow", "inspect" };
static const char *const system_meta_keys[] = { "all", "ports", "hosts" };

/* ------------------------------------------------------------------ */
/* The snapshot                                                        */

static const struct pg_engine_settings engine_defaults = {
	.queue_first = 0,
	.queue_count = 1,
	.hooks = PG_HOOK_FORWARD,
	.fail_open = true,
	.inspect_packets = 8,
	.inspect_bytes = 4096,
	.max_flows = 65536,
	.tcp_timeout_s = 600,
	.udp_timeout_s = 120,
	.mark_mask = PG_MARK_DEFAULT_MASK,
	.tcp_block = PG_TCP_BLOCK_RESET,
};

static struct pg_policy *policy_new(void)
{
	struct pg_policy *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->engine = engine_defaults;
	for (unsigned s = 0; s < PG_SYS_POLICED_END; s++)
		p->ports[s] = true;
	/* calloc left every action at PG_ACTION_ALLOW (0). */
	return p;
}

struct pg_policy *pg_policy_default(void)
{
	return policy_new();
}

void pg_policy_destroy(struct pg_policy *p)
{
	if (!p)
		return;
	for (unsigned s = 0; s < PG_SYS_POLICED_END; s++) {
		for (size_t i = 0; i < p->hosts[s].n; i++)
			free(p->hosts[s].v[i]);
		free(p->hosts[s].v);
	}
	free(p->allow.v);
	free(p->inspect.v);
	free(p);
}

static bool strvec_push(struct strvec *v, const char *s)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 8;
		char **nv = realloc(v->v, cap * sizeof(*nv));
		if (!nv)
			return false;
		v->v = nv;
		v->cap = cap;
	}
	char *copy = strdup(s);
	if (!copy)
		return false;
	v->v[v->n++] = copy;
	return true;
}

static bool pfxvec_push(struct pfxvec *v, const struct pg_prefix *pfx)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 8;
		struct pg_prefix *nv = realloc(v->v, cap * sizeof(*nv));
		if (!nv)
			return false;
		v->v = nv;
		v->cap = cap;
	}
	v->v[v->n++] = *pfx;
	return true;
}

/* ------------------------------------------------------------------ */
/* The loader                                                          */

enum line_kind {
	LINE_OTHER,     /* blank, comment, header, or replaced by us */
	LINE_KEY,       /* key = value: inih calls the handler */
	LINE_CONT,      /* indented continuation: inih calls the handler */
};

enum sect_kind {
	SECT_NONE,      /* before the first header */
	SECT_ENGINE,
	SECT_EXCEPTIONS,
	SECT_SYSTEM,
	SECT_SKIP,      /* a bad header, already reported: ignore its keys */
};

/* What an indented continuation line after the last key does. */
enum cont_kind {
	CONT_IGNORE,    /* the key was bad or skipped: stay quiet */
	CONT_REJECT,    /* a single-valued key */
	CONT_HOOKS,
	CONT_HOSTS,
	CONT_ALLOW,
	CONT_INSPECT,
};

/* Per-system key slots for duplicate detection: the features, then these. */
enum { SK_ALL = PG_FEAT_COUNT, SK_PORTS, SK_HOSTS, SK_COUNT };

struct engine_key;

struct loader {
	const char *name;
	struct pg_diag *diag;
	struct pg_diag own_diag;        /* used when the caller passes none */
	struct pg_policy *p;
	bool oom;

	/* the reader */
	const char *pos, *end;
	unsigned line;
	enum line_kind kind;
	bool prev_key;                  /* mirrors inih's prev_name != "" */
	bool dropped;                   /* the line was refused (reported) */
	bool pending;                   /* a handler call is due for the line */

	/* the current section */
	enum sect_kind sect;
	enum pg_system sys;
	char sect_name[64];
	unsigned engine_line, exceptions_line;
	unsigned system_line[PG_SYS_POLICED_END];

	/* keys seen (line numbers, 0 = not yet) */
	unsigned engine_key_line[16];
	unsigned exception_key_line[COUNT(exception_keys)];
	unsigned system_key_line[PG_SYS_POLICED_END][SK_COUNT];

	/* the last key, for continuation lines */
	enum cont_kind cont;
	unsigned cont_line;
	char cont_key[64];

	/* the line of each kept message, to sort them once the file is read */
	unsigned diag_line[PG_DIAG_MAX];

	/* actions as written; -1 = not set */
	int8_t feat_action[PG_SYS_POLICED_END][PG_FEAT_COUNT];
	int8_t all_action[PG_SYS_POLICED_END];
};

static void PG_PRINTF(3, 0) err_vline(struct loader *ld, unsigned line,
				      const char *fmt, va_list ap)
{
	if (ld->diag->count < PG_DIAG_MAX)
		ld->diag_line[ld->diag->count] = line;
	pol_diag_vadd(ld->diag, ld->name, line, fmt, ap);
}

static void PG_PRINTF(3, 4) err_line(struct loader *ld, unsigned line,
				     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vline(ld, line, fmt, ap);
	va_end(ap);
}

/* An error on the line being read. */
static void PG_PRINTF(2, 3) err_at(struct loader *ld, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vline(ld, ld->line, fmt, ap);
	va_end(ap);
}

static void out_of_memory(struct loader *ld)
{
	if (!ld->oom)
		err_line(ld, 0, "out of memory");
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
static void bad_value(struct loader *ld, const char *key, const char *value,
		      const char *const *words, size_t nwords, const char *expect)
{
	const char *close = words ? pol_suggest(value, words, nwords) : NULL;

	if (close)
		err_at(ld, "invalid value '" QUOTE "' for '%s' in [%s]; did you mean '%s'?",
		       value, key, ld->sect_name, close);
	else
		err_at(ld, "invalid value '" QUOTE "' for '%s' in [%s]; %s%s", value,
		       key, ld->sect_name, expect, comment_hint(value));
}

/* One of a fixed set of words; returns its index or -1 (reported). */
static int parse_word(struct loader *ld, const char *key, const char *value,
		      const char *const *words, size_t n, const char *expect)
{
	int i;

	if (!*value) {
		err_at(ld, "empty value for '%s' in [%s]; %s", key, ld->sect_name, expect);
		return -1;
	}
	i = pol_word_index(value, words, n);
	if (i < 0)
		bad_value(ld, key, value, words, n, expect);
	return i;
}

/* ---- [engine] ---- */

typedef bool (*engine_parse_fn)(struct loader *ld, const struct engine_key *k,
				const char *value);
typedef void (*engine_show_fn)(const struct pg_engine_settings *e,
			       const struct engine_key *k, char *buf, size_t len);

/* One row per [engine] key: the parser, the printer for the summary, and
 * for numbers the field and range.  Defaults live in engine_defaults. */
struct engine_key {
	const char *name;
	engine_parse_fn parse;
	engine_show_fn show;
	size_t off;                     /* numbers: offset of the uint32_t */
	uint32_t min, max;
	const char *unit;               /* numbers: "seconds" or NULL */
};

/* Number fields are reached through their offset, so one parser and one
 * printer serve every numeric key. */
static void engine_u32_set(struct pg_engine_settings *e,
			   const struct engine_key *k, uint32_t v)
{
	memcpy((char *)e + k->off, &v, sizeof(v));
}

static uint32_t engine_u32_get(const struct pg_engine_settings *e,
			       const struct engine_key *k)
{
	uint32_t v;

	memcpy(&v, (const char *)e + k->off, sizeof(v));
	return v;
}

static bool parse_number(struct loader *ld, const struct engine_key *k,
			 const char *value)
{
	uint32_t v;
	char expect[96];

	snprintf(expect, sizeof(expect), "expected a number%s%s from %u to %u",
		 k->unit ? " of " : "", k->unit ? k->unit : "", k->min, k->max);
	if (!*value) {
		err_at(ld, "empty value for '%s' in [engine]; %s", k->name, expect);
		return false;
	}
	if (!pol_parse_u32(value, &v) || v < k->min || v > k->max) {
		bad_value(ld, k->name, value, NULL, 0, expect);
		return false;
	}
	engine_u32_set(&ld->p->engine, k, v);
	return true;
}

static void show_number(const struct pg_engine_settings *e,
			const struct engine_key *k, char *buf, size_t len)
{
	snprintf(buf, len, "%u", engine_u32_get(e, k));
}

static bool parse_queue(struct loader *ld, const struct engine_key *k,
			const char *value)
{
	static const char expect[] = "expected N or N-M, queue numbers 0 to 65535";
	char first[16], last[16];
	const char *dash = strchr(value, '-');
	uint32_t a, b;

	if (!*value) {
		err_at(ld, "empty value for 'queue' in [engine]; %s", expect);
		return false;
	}
	size_t la = dash ? (size_t)(dash - value) : strlen(value);
	const char *rest = dash ? dash + 1 : value;
	/* Allow "0 - 3": trim around the dash. */
	while (la && pol_is_space((unsigned char)value[la - 1]))
		la--;
	while (dash && pol_is_space((unsigned char)*rest))
		rest++;
	if (la >= sizeof(first) || strlen(rest) >= sizeof(last)) {
		bad_value(ld, k->name, value, NULL, 0, expect);
		return false;
	}
	memcpy(first, value, la);
	first[la] = '\0';
	snprintf(last, sizeof(last), "%s", rest);
	if (!pol_parse_u32(first, &a) || !pol_parse_u32(last, &b) || a > 65535 || b > 65535) {
		bad_value(ld, k->name, value, NULL, 0, expect);
		return false;
	}
	if (a > b) {
		err_at(ld, "invalid value '" QUOTE "' for 'queue' in [engine]; the first queue is above the last",
		       value);
		return false;
	}
	if (b - a + 1 > MAX_QUEUES) {
		err_at(ld, "invalid value '" QUOTE "' for 'queue' in [engine]; a range holds at most %u queues",
		       value, MAX_QUEUES);
		return false;
	}
	ld->p->engine.queue_first = (uint16_t)a;
	ld->p->engine.queue_count = (uint16_t)(b - a + 1);
	return true;
}

static void show_queue(const struct pg_engine_settings *e,
		       const struct engine_key *k, char *buf, size_t len)
{
	if (e->queue_count > 1)
		snprintf(buf, len, "%u-%u", (unsigned)e->queue_first,
			 (unsigned)e->queue_first + e->queue_count - 1u);
	else
		snprintf(buf, len, "%u", (unsigned)e->queue_first);
}

/* Adds hook names to the set; used for the key line and continuations. */
static bool add_hooks(struct loader *ld, const char *value)
{
	char tok[TOKEN_MAX];
	bool ok = true;

	while (pol_next_token(&value, tok, sizeof(tok))) {
		int i = pol_word_index(tok, hook_words, COUNT(hook_words));
		if (i < 0) {
			bad_value(ld, "hooks", tok, hook_words, COUNT(hook_words),
				  "expected forward, input or output");
			ok = false;
			continue;
		}
		ld->p->engine.hooks |= 1u << i;
	}
	return ok;
}

static bool parse_hooks(struct loader *ld, const struct engine_key *k,
			const char *value)
{
	/* An empty first line is fine when continuation lines follow; an
	 * empty set is caught once the whole file is read. */
	ld->p->engine.hooks = 0;
	return add_hooks(ld, value);
}

static void show_hooks(const struct pg_engine_settings *e,
		       const struct engine_key *k, char *buf, size_t len)
{
	buf[0] = '\0';
	for (unsigned i = 0; i < COUNT(hook_words); i++) {
		if (e->hooks & (1u << i)) {
			size_t used = strlen(buf);
			snprintf(buf + used, len - used, "%s%s", used ? " " : "",
				 hook_words[i]);
		}
	}
}

static bool parse_fail(struct loader *ld, const struct engine_key *k,
		       const char *value)
{
	int i = parse_word(ld, k->name, value, fail_words, COUNT(fail_words),
			   "expected open or closed");
	if (i < 0)
		return false;
	ld->p->engine.fail_open = i == 1;
	return true;
}

static void show_fail(const struct pg_engine_settings *e,
		      const struct engine_key *k, char *buf, size_t len)
{
	snprintf(buf, len, "%s", fail_words[e->fail_open]);
}

static bool parse_mask(struct loader *ld, const struct engine_key *k,
		       const char *value)
{
	static const char expect[] =
		"expected contiguous hex bits, at least 3 wide, such as 0x07000000";
	const char *s = value;
	uint64_t v = 0;

	if (!*value) {
		err_at(ld, "empty value for 'mark-mask' in [engine]; %s", expect);
		return false;
	}
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	bool ok = *s != '\0';
	for (; ok && *s; s++) {
		int c = pol_lower((unsigned char)*s);
		if (c >= '0' && c <= '9')
			v = v * 16 + (uint64_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v * 16 + (uint64_t)(c - 'a' + 10);
		else
			ok = false;
		if (v > UINT32_MAX)
			ok = false;
	}
	if (!ok || !pg_mark_mask_valid((uint32_t)v)) {
		bad_value(ld, k->name, value, NULL, 0, expect);
		return false;
	}
	ld->p->engine.mark_mask = (uint32_t)v;
	return true;
}

static void show_mask(const struct pg_engine_settings *e,
		      const struct engine_key *k, char *buf, size_t len)
{
	snprintf(buf, len, "0x%08x", e->mark_mask);
}

static bool parse_tcp_block(struct loader *ld, const struct engine_key *k,
			    const char *value)
{
	int i = parse_word(ld, k->name, value, tcp_block_words,
			   COUNT(tcp_block_words), "expected reset or drop");
	if (i < 0)
		return false;
	ld->p->engine.tcp_block = (enum pg_tcp_block)i;
	return true;
}

static void show_tcp_block(const struct pg_engine_settings *e,
			   const struct engine_key *k, char *buf, size_t len)
{
	snprintf(buf, len, "%s", tcp_block_words[e->tcp_block]);
}

#define NUM(field) parse_number, show_number, offsetof(struct pg_engine_settings, field)
static const struct engine_key engine_keys[] = {
	{ "queue", parse_queue, show_queue, 0, 0, 0, NULL },
	{ "hooks", parse_hooks, show_hooks, 0, 0, 0, NULL },
	{ "fail", parse_fail, show_fail, 0, 0, 0, NULL },
	{ "inspect-packets", NUM(inspect_packets), 1, 255, NULL },
	{ "inspect-bytes", NUM(inspect_bytes), 256, 65535, NULL },
	{ "max-flows", NUM(max_flows), 1, 16u << 20, NULL },
	{ "tcp-timeout", NUM(tcp_timeout_s), 1, 604800, "seconds" },
	{ "udp-timeout", NUM(udp_timeout_s), 1, 604800, "seconds" },
	{ "mark-mask", parse_mask, show_mask, 0, 0, 0, NULL },
	{ "tcp-block", parse_tcp_block, show_tcp_block, 0, 0, 0, NULL },
};
#undef NUM
_Static_assert(COUNT(engine_keys) <= 16, "engine_key_line is too small");

/* ---- unknown keys, with the most useful hint we can give ---- */

static bool is_system_key_name(const char *key)
{
	enum pg_feature f;

	return pol_word_index(key, system_meta_keys, COUNT(system_meta_keys)) >= 0 ||
	       pg_feature_from_name(key, &f);
}

static bool is_engine_key_name(const char *key)
{
	for (size_t i = 0; i < COUNT(engine_keys); i++)
		if (strcmp(key, engine_keys[i].name) == 0)
			return true;
	return false;
}

/* The keys valid in the current section, in the order the man page uses. */
static size_t section_keys(const struct loader *ld, const char **out, size_t max)
{
	size_t n = 0;

	switch (ld->sect) {
	case SECT_ENGINE:
		for (size_t i = 0; i < COUNT(engine_keys) && n < max; i++)
			out[n++] = engine_keys[i].name;
		break;
	case SECT_EXCEPTIONS:
		for (size_t i = 0; i < COUNT(exception_keys) && n < max; i++)
			out[n++] = exception_keys[i];
		break;
	case SECT_SYSTEM:
		for (size_t i = 0; i < COUNT(system_meta_keys) && n < max; i++)
			out[n++] = system_meta_keys[i];
		for (unsigned f = 0; f < PG_FEAT_COUNT && n < max; f++)
			if (pg_feature_valid_for(ld->sys, (enum pg_feature)f))
				out[n++] = pg_feature_name((enum pg_feature)f);
		break;
	default:
		break;
	}
	return n;
}

static void unknown_key(struct loader *ld, const char *key)
{
	const char *keys[SK_COUNT + 16];
	size_t n = section_keys(ld, keys, COUNT(keys));
	const char *close = pol_suggest(key, keys, n);
	char list[256] = "";
	enum pg_feature f;

	pol_join_words(list, sizeof(list), keys, n);
	if (ld->sect != SECT_ENGINE && is_engine_key_name(key)) {
		err_at(ld, "unknown key '%s' in [%s]; '%s' belongs in [engine]", key,
		       ld->sect_name, key);
	} else if (ld->sect != SECT_EXCEPTIONS &&
		   pol_word_index(key, exception_keys, COUNT(exception_keys)) >= 0) {
		err_at(ld, "unknown key '%s' in [%s]; '%s' belongs in [exceptions]",
		       key, ld->sect_name, key);
	} else if (ld->sect != SECT_SYSTEM && is_system_key_name(key)) {
		err_at(ld, "unknown key '%s' in [%s]; '%s' belongs in a system section such as [msn]",
		       key, ld->sect_name, key);
	} else if (ld->sect == SECT_SYSTEM && pg_feature_from_name(key, &f)) {
		err_at(ld, "unknown key '%s' in [%s]; %s has no feature '%s' (valid keys: %s)",
		       key, ld->sect_name, ld->sect_name, key, list);
	} else if (close) {
		err_at(ld, "unknown key '" QUOTE "' in [%s]; did you mean '%s'?", key,
		       ld->sect_name, close);
	} else {
		err_at(ld, "unknown key '" QUOTE "' in [%s]; valid keys: %s", key,
		       ld->sect_name, list);
	}
}

/* Records a key line; false (reported) when the key was already set. */
static bool first_time(struct loader *ld, unsigned *slot, const char *key)
{
	if (*slot) {
		err_at(ld, "duplicate key '%s' in [%s] (first set on line %u)", key,
		       ld->sect_name, *slot);
		return false;
	}
	*slot = ld->line;
	return true;
}

static bool engine_key(struct loader *ld, const char *key, const char *value)
{
	for (size_t i = 0; i < COUNT(engine_keys); i++) {
		const struct engine_key *k = &engine_keys[i];
		if (strcmp(key, k->name) != 0)
			continue;
		if (!first_time(ld, &ld->engine_key_line[i], key))
			return false;
		/* A list goes on taking (and checking) continuation lines
		 * after a bad item; other keys take none. */
		if (k->parse == parse_hooks)
			ld->cont = CONT_HOOKS;
		if (!k->parse(ld, k, value))
			return false;
		if (k->parse != parse_hooks)
			ld->cont = CONT_REJECT;
		return true;
	}
	unknown_key(ld, key);
	return false;
}

/* ---- system sections ---- */

static bool add_hosts(struct loader *ld, const char *value)
{
	struct strvec *v = &ld->p->hosts[ld->sys];
	char tok[TOKEN_MAX], why[128];
	bool ok = true;

	while (pol_next_token(&value, tok, sizeof(tok))) {
		if (!pg_host_pattern_check(tok, why, sizeof(why))) {
			err_at(ld, "invalid host pattern '" QUOTE "' for 'hosts' in [%s]; %s",
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
			err_at(ld, "too many host patterns in [%s] (at most %u)",
			       ld->sect_name, MAX_HOSTS_PER_SYSTEM);
			ld->cont = CONT_IGNORE; /* once is enough */
			return false;
		}
		if (!strvec_push(v, tok)) {
			out_of_memory(ld);
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
	else if (pg_feature_from_name(key, &f) && pg_feature_valid_for(sys, f))
		slot = f;
	else {
		unknown_key(ld, key);
		return false;
	}
	if (!first_time(ld, &ld->system_key_line[sys][slot], key))
		return false;

	switch (slot) {
	case SK_PORTS:
		i = parse_word(ld, key, value, yes_no_words, COUNT(yes_no_words),
			       "expected yes or no");
		if (i < 0)
			return false;
		ld->p->ports[sys] = i == 1;
		break;
	case SK_HOSTS:
		ld->cont = CONT_HOSTS;
		return add_hosts(ld, value);
	default:
		i = parse_word(ld, key, value, pol_action_words, COUNT(pol_action_words),
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
			err_at(ld, "invalid prefix '" QUOTE "' for '%s' in [exceptions]; %s",
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
			err_at(ld, "too many prefixes for '%s' in [exceptions] (at most %u)",
			       key, MAX_PREFIXES);
			ld->cont = CONT_IGNORE; /* once is enough */
			return false;
		}
		if (!pfxvec_push(v, &pfx)) {
			out_of_memory(ld);
			return false;
		}
	}
	return ok;
}

static bool exceptions_key(struct loader *ld, const char *key, const char *value)
{
	int i = pol_word_index(key, exception_keys, COUNT(exception_keys));

	if (i < 0) {
		unknown_key(ld, key);
		return false;
	}
	if (!first_time(ld, &ld->exception_key_line[i], key))
		return false;
	ld->cont = i == 0 ? CONT_ALLOW : CONT_INSPECT;
	return add_prefixes(ld, key, i == 0 ? &ld->p->allow : &ld->p->inspect, value);
}

/* ---- the inih handler ---- */

/* inih's rule for where a name (chars = "=:"), a section name (chars =
 * "]") or a value ends: at one of chars, or at a ';' that follows white
 * space (an inline comment). */
static const char *find_chars_or_comment(const char *s, const char *chars)
{
	bool was_space = false;

	while (*s && (!chars || !strchr(chars, *s)) && !(was_space && *s == ';')) {
		was_space = pol_is_space((unsigned char)*s);
		s++;
	}
	return s;
}

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
	size_t len = (size_t)(find_chars_or_comment(raw, NULL) - raw);
	while (len && pol_is_space((unsigned char)raw[len - 1]))
		len--;
	if (len >= sizeof(value))
		len = sizeof(value) - 1;
	memcpy(value, raw, len);
	value[len] = '\0';
	if (ld->cont == CONT_REJECT || value[0] == '[' || strchr(value, '=')) {
		err_at(ld, "indented line is read as a continuation of '%s' (line %u); remove the indentation",
		       ld->cont_key, ld->cont_line);
		return 0;
	}
	switch (ld->cont) {
	case CONT_HOOKS:
		ok = add_hooks(ld, value);
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

static int on_pair(void *user, const char *section, const char *name,
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
		err_at(ld, "line not understood (parser mismatch)");
		return 0;
	}
	ld->cont = CONT_IGNORE;
	ld->cont_line = ld->line;
	snprintf(ld->cont_key, sizeof(ld->cont_key), "%s", name);

	if (ld->dropped)
		return 1; /* reported by the reader; its continuations stay quiet */
	if (!*name) {
		err_at(ld, "missing key name before '='");
		return 0;
	}
	switch (ld->sect) {
	case SECT_NONE:
		err_at(ld, "key '" QUOTE "' is outside any section; put it under [engine], [exceptions] or a system section",
		       name);
		break;
	case SECT_SKIP:
		ok = true; /* the header was reported */
		break;
	case SECT_ENGINE:
		ok = engine_key(ld, name, value);
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

/* ---- the reader ---- */

static void on_header(struct loader *ld, const char *s)
{
	static const char *const fixed[] = { "engine", "exceptions" };
	const char *names[PG_SYS_POLICED_END + COUNT(fixed)];
	const char *end = find_chars_or_comment(s + 1, "]");
	enum pg_system sys;
	unsigned *first = NULL;
	size_t n = 0;

	ld->cont = CONT_IGNORE;
	if (*end != ']') {
		err_at(ld, "missing ']' in section header");
		ld->sect = SECT_SKIP;
		return;
	}
	ld->prev_key = false;
	size_t len = (size_t)(end - (s + 1));
	if (len >= sizeof(ld->sect_name))
		len = sizeof(ld->sect_name) - 1;
	memcpy(ld->sect_name, s + 1, len);
	ld->sect_name[len] = '\0';

	const char *after = end + 1;
	while (pol_is_space((unsigned char)*after))
		after++;
	if (*after && *after != ';' && *after != '#')
		err_at(ld, "unexpected text after [%s]", ld->sect_name);

	ld->sect = SECT_SKIP;
	if (strcmp(ld->sect_name, "engine") == 0) {
		first = &ld->engine_line;
		ld->sect = SECT_ENGINE;
	} else if (strcmp(ld->sect_name, "exceptions") == 0) {
		first = &ld->exceptions_line;
		ld->sect = SECT_EXCEPTIONS;
	} else if (pg_system_from_name(ld->sect_name, &sys) &&
		   pg_system_is_policed(sys)) {
		first = &ld->system_line[sys];
		ld->sect = SECT_SYSTEM;
		ld->sys = sys;
	} else if (pg_system_from_name(ld->sect_name, &sys)) {
		err_at(ld, "section [%s] names traffic peergate never polices", ld->sect_name);
		return;
	} else {
		for (size_t i = 0; i < COUNT(fixed); i++)
			names[n++] = fixed[i];
		for (unsigned i = 1; i < PG_SYS_POLICED_END; i++)
			names[n++] = pg_system_name((enum pg_system)i);
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
			err_at(ld, "unknown section [%s]; did you mean [%s]?", ld->sect_name, close);
		} else {
			char list[256] = "";
			pol_join_words(list, sizeof(list), names + COUNT(fixed), n - COUNT(fixed));
			err_at(ld, "unknown section [%s]; expected [engine], [exceptions] or a system: %s",
			       ld->sect_name, list);
		}
		return;
	}
	if (*first) {
		err_at(ld, "duplicate section [%s] (first on line %u)", ld->sect_name, *first);
		ld->sect = SECT_SKIP;
		return;
	}
	*first = ld->line;
}

/* Decides what inih will make of the line in buf, following ini.c: strip
 * a UTF-8 BOM on line 1 and surrounding white space; then a comment, a
 * continuation (indented, after a key), a [section], or name=value. */
static void classify(struct loader *ld, const char *buf)
{
	const char *s = buf;

	ld->kind = LINE_OTHER;
	if (ld->line == 1 && (unsigned char)s[0] == 0xEF &&
	    (unsigned char)s[1] == 0xBB && (unsigned char)s[2] == 0xBF)
		s += 3;
	while (*s && pol_is_space((unsigned char)*s))
		s++;
	if (*s == '\0' || *s == ';' || *s == '#')
		return;
#if INI_ALLOW_MULTILINE
	if (ld->prev_key && s > buf) {
		ld->kind = LINE_CONT;
		return;
	}
#endif
	if (*s == '[') {
		on_header(ld, s);
		return;
	}
	const char *end = find_chars_or_comment(s, "=:");
	if (*end == '=' || *end == ':') {
		ld->kind = LINE_KEY;
		while (end > s && pol_is_space((unsigned char)end[-1]))
			end--;
		ld->prev_key = end > s;
		return;
	}
	size_t len = strcspn(s, "\r\n");
	err_at(ld, "cannot parse '%.*s%s'; expected [section], key = value or a comment",
	       (int)(len > 60 ? 60 : len), s, len > 60 ? "..." : "");
	ld->cont = CONT_IGNORE;
}

/* The other half of the mismatch check in on_pair: a line we took for a
 * key or continuation that inih did not hand to the handler. */
static void check_pending(struct loader *ld)
{
	if (ld->pending)
		err_at(ld, "line not understood (parser mismatch)");
	ld->pending = false;
}

/* A line inih cannot take whole (too long for its buffer, or holding a NUL)
 * has been reported; buf holds the part before the problem.  inih gets a
 * stand-in that leaves its state where the real line would have: for a key
 * line, "key =" (so later continuation lines still belong to that key and
 * are ignored with it), else an empty line. */
static void drop_line(struct loader *ld, char *buf)
{
	char *s = buf;

	ld->dropped = true;
	ld->cont = CONT_IGNORE;
	ld->kind = LINE_OTHER;
	if (ld->line == 1 && (unsigned char)s[0] == 0xEF &&
	    (unsigned char)s[1] == 0xBB && (unsigned char)s[2] == 0xBF)
		s += 3;
	while (*s && pol_is_space((unsigned char)*s))
		s++;
	if (*s == '[') {
		ld->sect = SECT_SKIP; /* its keys would land in the wrong section */
	} else if (*s && *s != ';' && *s != '#' && !(ld->prev_key && s > buf)) {
		char *end = (char *)find_chars_or_comment(s, "=:");
		if (*end == '=' || *end == ':') {
			end[1] = '\n';
			end[2] = '\0';
			classify(ld, buf);
			ld->pending = ld->kind != LINE_OTHER;
			return;
		}
	}
	buf[0] = '\n';
	buf[1] = '\0';
}

/* The ini_reader: one physical line per call, so inih's line count and ours
 * agree. */
static char *read_line(char *buf, int size, void *stream)
{
	struct loader *ld = stream;

	check_pending(ld);
	if (ld->pos >= ld->end || size < 4)
		return NULL;
	const char *text = ld->pos;
	const char *nl = memchr(text, '\n', (size_t)(ld->end - text));
	size_t len = nl ? (size_t)(nl - text) + 1 : (size_t)(ld->end - text);
	size_t content = len;
	/* inih needs room for the text, "\r\n" and the NUL. */
	size_t room = (size_t)size - 3;
	const char *nul = memchr(text, '\0', len);

	ld->pos += len;
	ld->line++;
	ld->dropped = false;
	/* At most one "\r\n" is not content: the check below must bound the
	 * bytes copied, and a run of '\r' is content like any other. */
	if (content && text[content - 1] == '\n')
		content--;
	if (content && text[content - 1] == '\r')
		content--;

	if (nul || content > room) {
		size_t keep = nul ? (size_t)(nul - text) : room;
		if (keep > room)
			keep = room;
		memcpy(buf, text, keep);
		buf[keep] = '\0';
		if (nul)
			err_at(ld, "line contains a NUL byte");
		else
			err_at(ld, "line too long (%zu characters, at most %zu); continue a long list on indented lines",
			       content, room);
		drop_line(ld, buf);
		return buf;
	}
	memcpy(buf, text, len);
	buf[len] = '\0';
	classify(ld, buf);
	ld->pending = ld->kind != LINE_OTHER;
	return buf;
}

/* Checks that need the whole file, then resolves every class. */
static void finish(struct loader *ld)
{
	struct pg_policy *p = ld->p;

	for (size_t i = 0; i < COUNT(engine_keys); i++) {
		/* hooks may be empty on its key line when continuation lines
		 * follow, so an empty set can only be judged here. */
		if (engine_keys[i].parse == parse_hooks && p->engine.hooks == 0)
			err_line(ld, ld->engine_key_line[i],
				 "empty value for 'hooks' in [engine]; expected forward, input or output");
	}
	for (unsigned s = 1; s < PG_SYS_POLICED_END; s++) {
		for (unsigned f = 0; f < PG_FEAT_COUNT; f++) {
			int a = ld->feat_action[s][f];
			if (a < 0)
				a = ld->all_action[s];
			p->action[s][f] = (uint8_t)(a < 0 ? PG_ACTION_ALLOW : a);
		}
	}
}

static struct pg_policy *load_text(const char *text, size_t len,
				   const char *name, struct pg_diag *diag)
{
	struct loader *ld = calloc(1, sizeof(*ld));
	struct pg_policy *p = NULL;
	int rc;

	if (!diag && ld)
		diag = &ld->own_diag;
	if (diag)
		diag->count = 0;
	if (!ld) {
		if (diag)
			pol_diag_add(diag, name, 0, "out of memory");
		goto out;
	}
	ld->name = name;
	ld->diag = diag;
	ld->pos = text;
	ld->end = text + len;
	memset(ld->feat_action, -1, sizeof(ld->feat_action));
	memset(ld->all_action, -1, sizeof(ld->all_action));
	ld->p = policy_new();
	if (!ld->p) {
		out_of_memory(ld);
		goto out;
	}

	rc = ini_parse_stream(read_line, ld, on_pair, ld);
	check_pending(ld); /* inih stops calling the reader at end of input */
	if (rc == -2)
		out_of_memory(ld);
	else if (rc != 0 && diag->count == 0)
		err_line(ld, rc > 0 ? (unsigned)rc : 0, "cannot parse line");
	finish(ld);
	sort_diag(ld);
	if (diag->count == 0) {
		p = ld->p;
		ld->p = NULL;
	}
out:
	if (ld)
		pg_policy_destroy(ld->p);
	free(ld);
	return p;
}

struct pg_policy *pg_policy_load_string(const char *text, const char *name,
					struct pg_diag *diag)
{
	if (!name)
		name = "policy";
	if (!text) {
		if (diag) {
			diag->count = 0;
			pol_diag_add(diag, name, 0, "no policy text");
		}
		return NULL;
	}
	return load_text(text, strlen(text), name, diag);
}

struct pg_policy *pg_policy_load_file(const char *path, struct pg_diag *diag)
{
	struct pg_diag local;
	struct pg_policy *p = NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (!diag)
		diag = &local;
	diag->count = 0;
	f = fopen(path, "re");
	if (!f) {
		pol_diag_add(diag, path, 0, "cannot open: %s", strerror(errno));
		goto out;
	}
	/* One extra byte tells "exactly the limit" from "more". */
	buf = malloc(POLICY_MAX_BYTES + 1);
	if (!buf) {
		pol_diag_add(diag, path, 0, "out of memory");
		goto out;
	}
	len = fread(buf, 1, POLICY_MAX_BYTES + 1, f);
	if (ferror(f)) {
		pol_diag_add(diag, path, 0, "read error: %s", strerror(errno));
		goto out;
	}
	if (len > POLICY_MAX_BYTES) {
		pol_diag_add(diag, path, 0, "file too large (more than %u bytes)", POLICY_MAX_BYTES);
		goto out;
	}
	p = load_text(buf, len, path, diag);
out:
	if (f)
		fclose(f);
	free(buf);
	return p;
}

/* ------------------------------------------------------------------ */
/* Queries                                                             */

enum pg_action pg_policy_action(const struct pg_policy *p, enum pg_system sys,
				enum pg_feature feat)
{
	if (!p || !pg_system_is_policed(sys) || (unsigned)feat >= PG_FEAT_COUNT)
		return PG_ACTION_ALLOW;
	return (enum pg_action)p->action[sys][feat];
}

const struct pg_engine_settings *pg_policy_engine(const struct pg_policy *p)
{
	return p ? &p->engine : &engine_defaults;
}

bool pg_policy_ports_enabled(const struct pg_policy *p, enum pg_system sys)
{
	if (!pg_system_is_policed(sys))
		return false;
	return p ? p->ports[sys] : true;
}

size_t pg_policy_hosts(const struct pg_policy *p, enum pg_system sys,
		       const char *const **patterns)
{
	if (!p || !pg_system_is_policed(sys) || !p->hosts[sys].n) {
		if (patterns)
			*patterns = NULL;
		return 0;
	}
	if (patterns)
		*patterns = (const char *const *)p->hosts[sys].v;
	return p->hosts[sys].n;
}

static bool in_list(const struct pfxvec *v, uint8_t family, const uint8_t *a,
		    const uint8_t *b)
{
	for (size_t i = 0; i < v->n; i++)
		if (pg_prefix_contains(&v->v[i], family, a) ||
		    pg_prefix_contains(&v->v[i], family, b))
			return true;
	return false;
}

bool pg_policy_exception_allow(const struct pg_policy *p, uint8_t family,
			       const uint8_t *a, const uint8_t *b)
{
	return p && in_list(&p->allow, family, a, b);
}

bool pg_policy_exception_inspect(const struct pg_policy *p, uint8_t family,
				 const uint8_t *a, const uint8_t *b)
{
	return p && in_list(&p->inspect, family, a, b);
}

size_t pg_policy_allow_prefixes(const struct pg_policy *p,
				const struct pg_prefix **out)
{
	if (out)
		*out = p && p->allow.n ? p->allow.v : NULL;
	return p ? p->allow.n : 0;
}

size_t pg_policy_inspect_prefixes(const struct pg_policy *p,
				  const struct pg_prefix **out)
{
	if (out)
		*out = p && p->inspect.n ? p->inspect.v : NULL;
	return p ? p->inspect.n : 0;
}

bool pg_policy_system_changed(const struct pg_policy *a,
			      const struct pg_policy *b, enum pg_system sys)
{
	if (!pg_system_is_policed(sys))
		return false;
	for (unsigned f = 0; f < PG_FEAT_COUNT; f++)
		if (pg_policy_action(a, sys, (enum pg_feature)f) !=
		    pg_policy_action(b, sys, (enum pg_feature)f))
			return true;
	return false;
}

/* ------------------------------------------------------------------ */
/* Summary                                                             */

static void print_system(const struct pg_policy *p, enum pg_system sys, FILE *out)
{
	const char *by_action[COUNT(pol_action_words)][PG_FEAT_COUNT];
	size_t count[COUNT(pol_action_words)] = { 0 }, total = 0;

	for (unsigned f = 0; f < PG_FEAT_COUNT; f++) {
		if (!pg_feature_valid_for(sys, (enum pg_feature)f))
			continue;
		enum pg_action a = pg_policy_action(p, sys, (enum pg_feature)f);
		by_action[a][count[a]++] = pg_feature_name((enum pg_feature)f);
		total++;
	}
	fprintf(out, "  %-11s", pg_system_name(sys));
	/* Blocked first, then logged, then allowed: the order an admin
	 * checking a policy cares about. */
	static const enum pg_action order[] = { PG_ACTION_BLOCK, PG_ACTION_LOG,
						PG_ACTION_ALLOW };
	const char *sep = " ";
	for (size_t i = 0; i < COUNT(order); i++) {
		enum pg_action a = order[i];
		if (!count[a])
			continue;
		if (count[a] == total) {
			fprintf(out, "%s%s all", sep, pol_action_words[a]);
		} else {
			char list[256] = "";
			pol_join_words(list, sizeof(list), by_action[a], count[a]);
			fprintf(out, "%s%s %s", sep, pol_action_words[a], list);
		}
		sep = "; ";
	}
	if (count[PG_ACTION_BLOCK])
		fprintf(out, "; port blocks %s", pg_policy_ports_enabled(p, sys) ? "on" : "off");
	fputc('\n', out);
}

static void print_prefixes(const char *key, const struct pfxvec *v, FILE *out)
{
	char buf[PG_PREFIX_STRLEN];

	fprintf(out, "  %-11s", key);
	if (!v->n)
		fprintf(out, " none");
	for (size_t i = 0; i < v->n; i++) {
		pg_prefix_format(&v->v[i], buf, sizeof(buf));
		fprintf(out, " %s", buf);
	}
	fputc('\n', out);
}

void pg_policy_print_summary(const struct pg_policy *p, FILE *out)
{
	char buf[64];
	bool any_hosts = false;

	if (!p)
		return;
	fprintf(out, "engine:\n");
	for (size_t i = 0; i < COUNT(engine_keys); i++) {
		engine_keys[i].show(&p->engine, &engine_keys[i], buf, sizeof(buf));
		fprintf(out, "  %-16s = %s\n", engine_keys[i].name, buf);
	}
	fprintf(out, "systems:\n");
	for (unsigned s = 1; s < PG_SYS_POLICED_END; s++)
		print_system(p, (enum pg_system)s, out);
	fprintf(out, "extra hosts:\n");
	for (unsigned s = 1; s < PG_SYS_POLICED_END; s++) {
		const struct strvec *v = &p->hosts[s];
		if (!v->n)
			continue;
		any_hosts = true;
		fprintf(out, "  %-11s", pg_system_name((enum pg_system)s));
		for (size_t i = 0; i < v->n; i++)
			fprintf(out, " %s", v->v[i]);
		fputc('\n', out);
	}
	if (!any_hosts)
		fprintf(out, "  none\n");
	fprintf(out, "exceptions:\n");
	print_prefixes("allow", &p->allow, out);
	print_prefixes("inspect", &p->inspect, out);
}

enum pg_action pg_policy_flow_action(const struct pg_policy *p, enum pg_system sys,
				     enum pg_feature feat, uint8_t family,
				     const uint8_t *a, const uint8_t *b)
{
	if (pg_policy_exception_allow(p, family, a, b) &&
	    !pg_policy_exception_inspect(p, family, a, b))
		return PG_ACTION_ALLOW;
	return pg_policy_action(p, sys, feat);
}

enum pg_action pg_policy_flow_action_via(const struct pg_policy *p, enum pg_system sys,
					 enum pg_feature feat, enum pg_feature via,
					 uint8_t family, const uint8_t *a, const uint8_t *b)
{
	enum pg_action inner = pg_policy_flow_action(p, sys, feat, family, a, b);
	if (via == PG_FEAT_ANY || inner == PG_ACTION_BLOCK)
		return inner;
	enum pg_action outer = pg_policy_flow_action(p, PG_SYS_PROXY, via, family, a, b);
	/* block beats log beats allow */
	if (outer == PG_ACTION_BLOCK || (outer == PG_ACTION_LOG && inner == PG_ACTION_ALLOW))
		return outer;
	return inner;
}
