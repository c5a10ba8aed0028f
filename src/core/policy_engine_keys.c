/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The [engine] keys: one table row per key, with its parser (policy.ini ->
 * settings) and its printer (settings -> the summary of `check`).
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "peergate/engine_policy.h"
#include "peergate/mark.h"

#include "policy_loader.h"


static const char *const fail_words[] = { "closed", "open" };
static const char *const tcp_block_words[] = {
	[PG_TCP_BLOCK_RESET] = "reset",
	[PG_TCP_BLOCK_DROP] = "drop",
};
static const char *const hook_words[] = { "forward", "input", "output" };

struct engine_key;

typedef bool (*engine_parse_fn)(struct loader *ld, const struct engine_key *k,
				const char *value);
typedef void (*engine_show_fn)(const struct pg_engine_settings *e,
			       const struct engine_key *k, char *buf, size_t len);

/* One row per [engine] key: the parser, the printer for the summary, and
 * for numbers the field and range.  Defaults live in engine_defaults
 * (policy.c). */
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
		pol_err_at(ld, "empty value for '%s' in [engine]; %s", k->name, expect);
		return false;
	}
	if (!pol_parse_u32(value, &v) || v < k->min || v > k->max) {
		pol_bad_value(ld, k->name, value, NULL, 0, expect);
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
		pol_err_at(ld, "empty value for 'queue' in [engine]; %s", expect);
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
		pol_bad_value(ld, k->name, value, NULL, 0, expect);
		return false;
	}
	memcpy(first, value, la);
	first[la] = '\0';
	snprintf(last, sizeof(last), "%s", rest);
	if (!pol_parse_u32(first, &a) || !pol_parse_u32(last, &b) || a > 65535 || b > 65535) {
		pol_bad_value(ld, k->name, value, NULL, 0, expect);
		return false;
	}
	if (a > b) {
		pol_err_at(ld, "invalid value '" QUOTE "' for 'queue' in [engine]; the first queue is above the last",
			   value);
		return false;
	}
	if (b - a + 1 > PG_MAX_QUEUES) {
		pol_err_at(ld, "invalid value '" QUOTE "' for 'queue' in [engine]; a range holds at most %u queues",
			   value, PG_MAX_QUEUES);
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
bool pol_engine_add_hooks(struct loader *ld, const char *value)
{
	char tok[TOKEN_MAX];
	bool ok = true;

	while (pol_next_token(&value, tok, sizeof(tok))) {
		int i = pol_word_index(tok, hook_words, COUNT(hook_words));
		if (i < 0) {
			pol_bad_value(ld, "hooks", tok, hook_words, COUNT(hook_words),
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
	return pol_engine_add_hooks(ld, value);
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
	int i = pol_parse_word(ld, k->name, value, fail_words, COUNT(fail_words),
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
		pol_err_at(ld, "empty value for 'mark-mask' in [engine]; %s", expect);
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
		pol_bad_value(ld, k->name, value, NULL, 0, expect);
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
	int i = pol_parse_word(ld, k->name, value, tcp_block_words,
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

static bool parse_event_log(struct loader *ld, const struct engine_key *k,
			    const char *value)
{
	char *dst = ld->p->engine.event_log;
	size_t cap = sizeof(ld->p->engine.event_log);

	/* empty: no event file */
	if (*value && (value[0] != '/' || strlen(value) >= cap)) {
		char expect[96];
		snprintf(expect, sizeof(expect), "expected an absolute path of at most %zu bytes, "
			 "or nothing", cap - 1);
		pol_bad_value(ld, k->name, value, NULL, 0, expect);
		return false;
	}
	snprintf(dst, cap, "%s", value);
	return true;
}

static void show_event_log(const struct pg_engine_settings *e,
			   const struct engine_key *k, char *buf, size_t len)
{
	snprintf(buf, len, "%s", e->event_log[0] ? e->event_log : "none");
}

/* Unset, the pool is sized from max-flows: show what it comes to. */
static void show_slots(const struct pg_engine_settings *e,
		       const struct engine_key *k, char *buf, size_t len)
{
	if (e->inspect_slots)
		snprintf(buf, len, "%u", e->inspect_slots);
	else
		snprintf(buf, len, "%u (from max-flows)", pg_engine_inspect_slots(e));
}

#define NUM(field) parse_number, show_number, offsetof(struct pg_engine_settings, field)
static const struct engine_key engine_keys[] = {
	{ "queue", parse_queue, show_queue, 0, 0, 0, NULL },
	{ "hooks", parse_hooks, show_hooks, 0, 0, 0, NULL },
	{ "fail", parse_fail, show_fail, 0, 0, 0, NULL },
	{ "inspect-bytes", NUM(inspect_bytes), 256, 65535, NULL },
	{ "inspect-packets", NUM(inspect_packets), 1, 255, NULL },
	{ "inspect-idle", NUM(inspect_idle_s), 1, 3600, "seconds" },
	{ "inspect-slots", parse_number, show_slots,
	  offsetof(struct pg_engine_settings, inspect_slots), 1, 16u << 20, NULL },
	{ "max-flows", NUM(max_flows), 1, 16u << 20, NULL },
	{ "tcp-timeout", NUM(tcp_timeout_s), 1, 604800, "seconds" },
	{ "udp-timeout", NUM(udp_timeout_s), 1, 604800, "seconds" },
	{ "mark-mask", parse_mask, show_mask, 0, 0, 0, NULL },
	{ "tcp-block", parse_tcp_block, show_tcp_block, 0, 0, 0, NULL },
	{ "log-rate", NUM(log_rate), 1, 100000, "lines a second" },
	{ "event-log", parse_event_log, show_event_log, 0, 0, 0, NULL },
};
#undef NUM
_Static_assert(COUNT(engine_keys) <= POL_ENGINE_KEYS_MAX, "engine_key_line is too small");

/* ---- for the reader ---- */

bool pol_engine_key(struct loader *ld, const char *key, const char *value)
{
	for (size_t i = 0; i < COUNT(engine_keys); i++) {
		const struct engine_key *k = &engine_keys[i];
		if (strcmp(key, k->name) != 0)
			continue;
		if (!pol_first_time(ld, &ld->engine_key_line[i], key))
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
	pol_unknown_key(ld, key);
	return false;
}

void pol_engine_finish(struct loader *ld)
{
	for (size_t i = 0; i < COUNT(engine_keys); i++) {
		/* hooks may be empty on its key line when continuation lines
		 * follow, so an empty set can only be judged here. */
		if (engine_keys[i].parse == parse_hooks && ld->p->engine.hooks == 0)
			pol_err_line(ld, ld->engine_key_line[i],
				     "empty value for 'hooks' in [engine]; expected forward, input or output");
		/* A slot serves one flow: more slots than flows are never used. */
		if (engine_keys[i].show == show_slots && ld->p->engine.inspect_slots >
		    ld->p->engine.max_flows)
			pol_err_line(ld, ld->engine_key_line[i],
				     "invalid value '%u' for 'inspect-slots' in [engine]; "
				     "expected at most max-flows (%u): a slot serves one flow",
				     ld->p->engine.inspect_slots, ld->p->engine.max_flows);
	}
}

/* ---- for the summary ---- */

size_t pol_engine_key_count(void)
{
	return COUNT(engine_keys);
}

const char *pol_engine_key_name(size_t i)
{
	return engine_keys[i].name;
}

void pol_engine_key_show(size_t i, const struct pg_engine_settings *e,
			 char *buf, size_t len)
{
	engine_keys[i].show(e, &engine_keys[i], buf, len);
}
