/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "bencode.h"

#include "bytes.h"

/* See bencode.h. */
bool pg_benc_string(const uint8_t *p, size_t len, size_t *i,
		    const uint8_t **s, size_t *slen)
{
	uint64_t n;
	if (*i >= len || !pg_is_digit(p[*i]))
		return false;
	/* Leading zeros are not canonical but harmless; "0:" is valid. */
	size_t digits = pg_parse_uint(p + *i, len - *i, 7, &n);
	if (!digits)
		return false;
	*i += digits;
	if (*i >= len || p[*i] != ':')
		return false;
	(*i)++;
	if (n > len - *i)
		return false;
	*s = p + *i;
	*slen = (size_t)n;
	*i += (size_t)n;
	return true;
}

/* Skips one bencoded value at p[*i]; false when it is malformed or runs
 * past the end.  Depth is bounded so hostile nesting cannot recurse far. */
bool pg_benc_skip(const uint8_t *p, size_t len, size_t *i, int depth)
{
	const uint8_t *s;
	size_t slen;
	uint64_t v;

	if (*i >= len || depth > 16)
		return false;
	switch (p[*i]) {
	case 'i':
		(*i)++;
		if (*i < len && p[*i] == '-')
			(*i)++;
		size_t digits = pg_parse_uint(p + *i, len - *i, 19, &v);
		if (!digits)
			return false;
		*i += digits;
		if (*i >= len || p[*i] != 'e')
			return false;
		(*i)++;
		return true;
	case 'l':
	case 'd': {
		bool dict = p[*i] == 'd';
		(*i)++;
		while (*i < len && p[*i] != 'e') {
			if (dict && !pg_benc_string(p, len, i, &s, &slen))
				return false;
			if (!pg_benc_skip(p, len, i, depth + 1))
				return false;
		}
		if (*i >= len)
			return false;
		(*i)++;
		return true;
	}
	default:
		return pg_benc_string(p, len, i, &s, &slen);
	}
}
