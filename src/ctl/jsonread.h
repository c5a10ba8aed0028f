/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A small JSON reader for the daemon's answers (trusted, small documents). */
#ifndef PEERGATE_JSONREAD_H
#define PEERGATE_JSONREAD_H

#include <stdbool.h>
#include <stddef.h>

enum pg_json_type { PG_JSON_NULL, PG_JSON_BOOL, PG_JSON_NUM, PG_JSON_STR,
		    PG_JSON_ARR, PG_JSON_OBJ };

struct pg_jvalue {
	enum pg_json_type type;
	bool boolean;
	double num;
	char *str;
	size_t count;             /* arrays and objects */
	struct pg_jvalue *items;
	char **keys;              /* objects */
};

struct pg_jvalue *pg_json_parse(const char *text);
void pg_json_free(struct pg_jvalue *v);

/* Object member lookup; NULL when absent or v is not an object. */
const struct pg_jvalue *pg_json_get(const struct pg_jvalue *v, const char *key);
/* Member as string ("" when absent) / number (0 when absent). */
const char *pg_json_str(const struct pg_jvalue *v, const char *key);
double pg_json_num(const struct pg_jvalue *v, const char *key);

#endif
