/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "http_msg.h"

#include "bytes.h"

/* Offset of the first "\r\n" in p[0..len), or len when there is none. */
static size_t crlf(const uint8_t *p, size_t len)
{
	size_t at;
	return pg_find(p, len, "\r\n", &at) ? at : len;
}

size_t pg_http_header_end(const uint8_t *p, size_t len)
{
	size_t at;
	if (!pg_find(p, len, "\r\n\r\n", &at))
		return 0;
	return at + 4;
}

bool pg_http_request(const uint8_t *p, size_t len, struct pg_http_request *rq)
{
	size_t eol = crlf(p, len);
	size_t i = 0;

	if (eol == len || eol < 14)
		return false;
	while (i < eol && p[i] >= 'A' && p[i] <= 'Z')
		i++;
	if (i < 3 || i > 8 || p[i] != ' ')
		return false;
	rq->method = p;
	rq->method_len = i;
	/* The target runs to " HTTP/1.x"; old servents left spaces of file
	 * names unescaped, so it may hold some. */
	size_t t = i + 1;
	if (eol < t + 10 || !pg_prefix(p + eol - 9, 9, " HTTP/1.") ||
	    !pg_is_digit(p[eol - 1]))
		return false;
	size_t e = eol - 9;
	if (e <= t || p[t] == ' ')
		return false;
	for (size_t k = t; k < e; k++)
		if (!pg_is_print(p[k]))
			return false;
	rq->target = p + t;
	rq->target_len = e - t;
	rq->line_len = eol + 2;
	return true;
}

bool pg_http_pending(const uint8_t *p, size_t len)
{
	static const char *const starts[] = {
		"GET ", "HEAD ", "POST ", "PUT ", "OPTIONS ", "CONNECT ",
		"DELETE ", "TRACE ", "PATCH ", "PROPFIND ", "HTTP",
	};

	if (len >= 2048 || crlf(p, len) != len)
		return false;
	for (size_t i = 0; i < sizeof(starts) / sizeof(starts[0]); i++)
		if (pg_prefix_of(p, len, starts[i]))
			return true;
	return false;
}

bool pg_http_status(const uint8_t *p, size_t len)
{
	size_t i;
	if (pg_prefix(p, len, "HTTP/1.") && len >= 12 &&
	    pg_is_digit(p[7]) && p[8] == ' ')
		i = 9;
	else if (pg_prefix(p, len, "HTTP ") && len >= 8)
		i = 5;
	else
		return false;
	return pg_digits(p + i, len - i) == 3;
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
		    pg_prefix_ci(p + line, end - line, name)) {
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

void pg_http_report_host(const uint8_t *hdr, size_t len,
			 struct pg_detect_result *out)
{
	const uint8_t *v;
	size_t vl;
	if (pg_http_header(hdr, len, "Host", &v, &vl))
		pg_set_host_as_sent(out, v, vl);
}
