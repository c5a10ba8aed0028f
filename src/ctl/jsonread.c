/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "jsonread.h"

#include <stdlib.h>
#include <string.h>

struct parser {
	const char *p;
	int depth;
};

static void skip_ws(struct parser *s)
{
	while (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t')
		s->p++;
}

static void free_inner(struct pg_jvalue *v)
{
	free(v->str);
	for (size_t i = 0; i < v->count; i++) {
		free_inner(&v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
}

static bool parse_value(struct parser *s, struct pg_jvalue *out);

static char *parse_string(struct parser *s)
{
	if (*s->p != '"')
		return NULL;
	s->p++;
	size_t cap = 32, n = 0;
	char *buf = malloc(cap);
	while (buf && *s->p && *s->p != '"') {
		char c = *s->p++;
		if (c == '\\') {
			c = *s->p++;
			switch (c) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			case 'u':
				/* the daemon only escapes control characters */
				for (int i = 0; i < 4 && *s->p; i++)
					s->p++;
				c = '?';
				break;
			case '\0':
				free(buf);
				return NULL;
			default: break;
			}
		}
		if (n + 2 > cap) {
			cap *= 2;
			char *nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				return NULL;
			}
			buf = nb;
		}
		buf[n++] = c;
	}
	if (!buf || *s->p != '"') {
		free(buf);
		return NULL;
	}
	s->p++;
	buf[n] = '\0';
	return buf;
}

static bool push(struct pg_jvalue *v, bool keyed)
{
	struct pg_jvalue *items = realloc(v->items, (v->count + 1) * sizeof(*items));
	if (!items)
		return false;
	v->items = items;
	memset(&v->items[v->count], 0, sizeof(*items));
	if (keyed) {
		char **keys = realloc(v->keys, (v->count + 1) * sizeof(*keys));
		if (!keys)
			return false;
		v->keys = keys;
		v->keys[v->count] = NULL;
	}
	v->count++;
	return true;
}

static bool parse_container(struct parser *s, struct pg_jvalue *out, bool obj)
{
	out->type = obj ? PG_JSON_OBJ : PG_JSON_ARR;
	s->p++;
	skip_ws(s);
	if (*s->p == (obj ? '}' : ']')) {
		s->p++;
		return true;
	}
	for (;;) {
		if (!push(out, obj))
			return false;
		skip_ws(s);
		if (obj) {
			out->keys[out->count - 1] = parse_string(s);
			if (!out->keys[out->count - 1])
				return false;
			skip_ws(s);
			if (*s->p++ != ':')
				return false;
		}
		if (!parse_value(s, &out->items[out->count - 1]))
			return false;
		skip_ws(s);
		if (*s->p == ',') {
			s->p++;
			continue;
		}
		if (*s->p == (obj ? '}' : ']')) {
			s->p++;
			return true;
		}
		return false;
	}
}

static bool parse_value(struct parser *s, struct pg_jvalue *out)
{
	if (++s->depth > 32)
		return false;
	skip_ws(s);
	bool ok = false;
	switch (*s->p) {
	case '{': ok = parse_container(s, out, true); break;
	case '[': ok = parse_container(s, out, false); break;
	case '"':
		out->type = PG_JSON_STR;
		out->str = parse_string(s);
		ok = out->str != NULL;
		break;
	case 't':
	case 'f':
		out->type = PG_JSON_BOOL;
		out->boolean = *s->p == 't';
		ok = !strncmp(s->p, out->boolean ? "true" : "false", out->boolean ? 4 : 5);
		s->p += out->boolean ? 4 : 5;
		break;
	case 'n':
		out->type = PG_JSON_NULL;
		ok = !strncmp(s->p, "null", 4);
		s->p += 4;
		break;
	default: {
		char *end;
		out->type = PG_JSON_NUM;
		out->num = strtod(s->p, &end);
		ok = end != s->p;
		s->p = end;
	}
	}
	s->depth--;
	return ok;
}

struct pg_jvalue *pg_json_parse(const char *text)
{
	struct parser s = {text, 0};
	struct pg_jvalue *v = calloc(1, sizeof(*v));
	if (!v)
		return NULL;
	if (!parse_value(&s, v)) {
		pg_json_free(v);
		return NULL;
	}
	return v;
}

void pg_json_free(struct pg_jvalue *v)
{
	if (!v)
		return;
	free_inner(v);
	free(v);
}

const struct pg_jvalue *pg_json_get(const struct pg_jvalue *v, const char *key)
{
	if (!v || v->type != PG_JSON_OBJ)
		return NULL;
	for (size_t i = 0; i < v->count; i++)
		if (v->keys[i] && !strcmp(v->keys[i], key))
			return &v->items[i];
	return NULL;
}

const char *pg_json_str(const struct pg_jvalue *v, const char *key)
{
	const struct pg_jvalue *m = pg_json_get(v, key);
	return m && m->type == PG_JSON_STR ? m->str : "";
}

double pg_json_num(const struct pg_jvalue *v, const char *key)
{
	const struct pg_jvalue *m = pg_json_get(v, key);
	return m && m->type == PG_JSON_NUM ? m->num : 0;
}
