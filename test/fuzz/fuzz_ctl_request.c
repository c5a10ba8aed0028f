/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Feeds arbitrary bytes to the control-socket request parser, as a stream
 * still open and as one the client has closed.  Beyond "no crash" it checks
 * what the daemon relies on: a status other than INCOMPLETE only when the
 * bytes decide it, a decision that more bytes never change (the reader stops
 * at the first one), a word that is printable, bounded and the start of the
 * input, and an error sentence for every refusal.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peergate/ctlproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_word(const struct pg_ctl_request *r, const uint8_t *data, size_t size)
{
	size_t n = strnlen(r->word, sizeof(r->word));
	if (n == 0 || n >= sizeof(r->word) || n > size || memcmp(r->word, data, n) != 0)
		abort();
	for (size_t i = 0; i < n; i++)
		if ((uint8_t)r->word[i] <= 0x20 || (uint8_t)r->word[i] >= 0x7f)
			abort();
	/* the word ends the line: LF, CR LF, or the end of the input */
	if (n < size && data[n] != '\n' && !(data[n] == '\r' && (n + 1 == size || data[n + 1] == '\n')))
		abort();
	if (r->status == PG_CTL_REQ_OK && strcmp(r->word, pg_ctl_command_name(r->command)) != 0)
		abort();
}

static void check_one(const uint8_t *data, size_t size, bool ended, struct pg_ctl_request *r)
{
	size_t scan = size < PG_CTL_REQUEST_MAX ? size : PG_CTL_REQUEST_MAX;
	bool has_nl = scan && memchr(data, '\n', scan);
	char msg[256];

	pg_ctl_parse_request(data, size, ended, r);
	switch (r->status) {
	case PG_CTL_REQ_INCOMPLETE:
		if (ended || has_nl || size >= PG_CTL_REQUEST_MAX)
			abort();
		return;
	case PG_CTL_REQ_TOO_LONG:
		if (has_nl || size < PG_CTL_REQUEST_MAX)
			abort();
		break;
	case PG_CTL_REQ_OK:
	case PG_CTL_REQ_UNKNOWN:
		check_word(r, data, size);
		break;
	case PG_CTL_REQ_EMPTY:
	case PG_CTL_REQ_MALFORMED:
		if (r->word[0])
			abort();
		break;
	default:
		abort();
	}
	if (r->status == PG_CTL_REQ_OK) {
		if (pg_ctl_permitted(r->command, 1000, 998) != (r->command != PG_CTL_RELOAD) ||
		    !pg_ctl_permitted(r->command, 0, 998))
			abort();
		return;
	}
	msg[0] = '\0';
	pg_ctl_request_error(r, msg, sizeof(msg));
	if (!msg[0] || strnlen(msg, sizeof(msg)) == sizeof(msg))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pg_ctl_request open_end, closed_end, prefix;

	check_one(data, size, false, &open_end);
	check_one(data, size, true, &closed_end);
	if (open_end.status != PG_CTL_REQ_INCOMPLETE &&
	    memcmp(&open_end, &closed_end, sizeof(open_end)) != 0)
		abort();
	/* The reader stops at the first decided prefix: the whole input must
	 * be decided the same way. */
	for (size_t k = 0; k <= size && k <= PG_CTL_REQUEST_MAX; k++) {
		check_one(data, k, false, &prefix);
		if (prefix.status == PG_CTL_REQ_INCOMPLETE)
			continue;
		if (memcmp(&prefix, &open_end, sizeof(prefix)) != 0)
			abort();
		break;
	}
	FILE *null = fopen("/dev/null", "w");
	if (null) {
		char msg[256];
		pg_ctl_request_error(&closed_end, msg, sizeof(msg));
		pg_ctl_error_reply(null, msg);
		fclose(null);
	}
	return 0;
}
