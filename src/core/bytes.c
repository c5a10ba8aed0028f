/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Byte-string helpers shared by the detectors. */
#include "peergate/detect.h"

#include <string.h>

static unsigned char lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

bool pg_bytes_find(const uint8_t *hay, size_t hay_len, const char *needle,
		   size_t *at)
{
	size_t n = strlen(needle);
	if (n == 0 || n > hay_len)
		return false;
	const uint8_t *p = memmem(hay, hay_len, needle, n);
	if (!p)
		return false;
	if (at)
		*at = (size_t)(p - hay);
	return true;
}

bool pg_bytes_prefix(const uint8_t *p, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);
	return len >= n && memcmp(p, prefix, n) == 0;
}

bool pg_bytes_prefix_ci(const uint8_t *p, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);
	if (len < n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lower(p[i]) != lower((unsigned char)prefix[i]))
			return false;
	return true;
}

bool pg_http_header(const uint8_t *p, size_t len, const char *name,
		    const uint8_t **val, size_t *val_len)
{
	size_t n = strlen(name);
	size_t i = 0;

	/* Skip the request or status line: headers start after the first LF. */
	while (i < len && p[i] != '\n')
		i++;
	while (i < len) {
		i++; /* past '\n' */
		size_t line = i;
		while (i < len && p[i] != '\n')
			i++;
		size_t end = i; /* exclusive, at '\n' or len */
		if (end > line && p[end - 1] == '\r')
			end--;
		if (end == line)
			return false; /* blank line: end of headers */
		if (end - line > n && p[line + n] == ':' &&
		    pg_bytes_prefix_ci(p + line, end - line, name)) {
			size_t v = line + n + 1;
			while (v < end && (p[v] == ' ' || p[v] == '\t'))
				v++;
			size_t e = end;
			while (e > v && (p[e - 1] == ' ' || p[e - 1] == '\t'))
				e--;
			*val = p + v;
			*val_len = e - v;
			return true;
		}
	}
	return false;
}
