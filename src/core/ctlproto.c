/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "peergate/ctlproto.h"

#include <string.h>

#include "peergate/json.h"

static const char *const command_names[] = {
	[PG_CTL_STATS] = "stats",
	[PG_CTL_FLOWS] = "flows",
	[PG_CTL_PING] = "ping",
	[PG_CTL_RELOAD] = "reload",
};

#define COMMAND_COUNT (sizeof(command_names) / sizeof(command_names[0]))
#define KNOWN_COMMANDS "stats, flows, reload, ping"

const char *pg_ctl_command_name(enum pg_ctl_command cmd)
{
	return (unsigned)cmd < COMMAND_COUNT ? command_names[cmd] : "?";
}

void pg_ctl_parse_request(const uint8_t *buf, size_t len, bool ended,
			  struct pg_ctl_request *req)
{
	size_t scan = len < PG_CTL_REQUEST_MAX ? len : PG_CTL_REQUEST_MAX;
	const uint8_t *nl = scan ? memchr(buf, '\n', scan) : NULL;
	size_t line;

	memset(req, 0, sizeof(*req));
	if (nl) {
		line = (size_t)(nl - buf);
	} else if (len >= PG_CTL_REQUEST_MAX) {
		req->status = PG_CTL_REQ_TOO_LONG;
		return;
	} else if (ended) {
		line = len;
	} else {
		req->status = PG_CTL_REQ_INCOMPLETE;
		return;
	}
	if (line && buf[line - 1] == '\r')
		line--;
	if (!line) {
		req->status = PG_CTL_REQ_EMPTY;
		return;
	}
	for (size_t i = 0; i < line; i++) {
		if (buf[i] <= 0x20 || buf[i] >= 0x7f) {
			req->status = PG_CTL_REQ_MALFORMED;
			return;
		}
	}
	/* line < PG_CTL_REQUEST_MAX: the newline or end of stream came
	 * within the first PG_CTL_REQUEST_MAX bytes */
	memcpy(req->word, buf, line);
	req->word[line] = '\0';
	req->status = PG_CTL_REQ_UNKNOWN;
	for (size_t c = 0; c < COMMAND_COUNT; c++) {
		if (!strcmp(req->word, command_names[c])) {
			req->status = PG_CTL_REQ_OK;
			req->command = (enum pg_ctl_command)c;
			break;
		}
	}
}

bool pg_ctl_permitted(enum pg_ctl_command cmd, uid_t peer, uid_t daemon)
{
	switch (cmd) {
	case PG_CTL_STATS:
	case PG_CTL_FLOWS:
	case PG_CTL_PING:
		return true;
	case PG_CTL_RELOAD:
		return peer == 0 || peer == daemon;
	}
	return false;
}

void pg_ctl_request_error(const struct pg_ctl_request *req, char *buf, size_t len)
{
	switch (req->status) {
	case PG_CTL_REQ_OK:
		snprintf(buf, len, "no error");
		break;
	case PG_CTL_REQ_INCOMPLETE:
		snprintf(buf, len, "incomplete request: no line end in time");
		break;
	case PG_CTL_REQ_EMPTY:
		snprintf(buf, len, "empty request: send one of " KNOWN_COMMANDS);
		break;
	case PG_CTL_REQ_TOO_LONG:
		snprintf(buf, len, "request too long: more than %d bytes without a line end",
			 PG_CTL_REQUEST_MAX - 1);
		break;
	case PG_CTL_REQ_MALFORMED:
		snprintf(buf, len, "malformed request: a request is one command word of "
			 "printable ASCII (" KNOWN_COMMANDS ") and a line end");
		break;
	case PG_CTL_REQ_UNKNOWN:
		snprintf(buf, len, "unknown command '%s': known are " KNOWN_COMMANDS, req->word);
		break;
	}
}

void pg_ctl_error_reply(FILE *out, const char *msg)
{
	fputs("{\"ok\":false,\"error\":", out);
	pg_json_string(out, msg);
	fputs(",\"errors\":[", out);
	pg_json_string(out, msg);
	fputs("]}\n", out);
}
