/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The control-socket protocol without the socket: parsing a client's request
 * and deciding whether its peer may run it.  Pure functions over bytes and
 * ids, so that they can be tested and fuzzed without a daemon.
 *
 * A request is one line, a single command word ("stats", "flows", "reload",
 * "ping") ended by LF (CR LF accepted; end of stream also ends it).  One
 * request per connection; anything after the first line is ignored.
 */
#ifndef PEERGATE_CTLPROTO_H
#define PEERGATE_CTLPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* The longest request line, its line end included.  A client that sends
 * this many bytes without a line end gets an error, not more reading. */
#define PG_CTL_REQUEST_MAX 64

enum pg_ctl_command {
	PG_CTL_STATS,
	PG_CTL_FLOWS,
	PG_CTL_PING,
	PG_CTL_RELOAD,
};

enum pg_ctl_request_status {
	PG_CTL_REQ_INCOMPLETE,  /* no line end yet: read more */
	PG_CTL_REQ_OK,          /* command is set */
	PG_CTL_REQ_EMPTY,       /* an empty line, or end of stream before any byte */
	PG_CTL_REQ_TOO_LONG,    /* PG_CTL_REQUEST_MAX bytes and no line end */
	PG_CTL_REQ_MALFORMED,   /* a byte that is not printable ASCII, or a blank */
	PG_CTL_REQ_UNKNOWN,     /* one printable word that names no command */
};

struct pg_ctl_request {
	enum pg_ctl_request_status status;
	enum pg_ctl_command command;      /* with PG_CTL_REQ_OK */
	char word[PG_CTL_REQUEST_MAX];    /* with OK and UNKNOWN: the word sent */
};

/* Parses the len bytes a client has sent so far.  ended: the client has
 * closed its end, so an unterminated line is complete. */
void pg_ctl_parse_request(const uint8_t *buf, size_t len, bool ended,
			  struct pg_ctl_request *req);

/* Whether a peer whose uid is peer may run cmd on a daemon running as uid
 * daemon.  Reading (stats, flows, ping) is open to anyone the socket's file
 * mode lets connect; reload needs root or the daemon's own user. */
bool pg_ctl_permitted(enum pg_ctl_command cmd, uid_t peer, uid_t daemon);

const char *pg_ctl_command_name(enum pg_ctl_command cmd);

/* A sentence saying why the request is not served (status not OK), for the
 * client and the log. */
void pg_ctl_request_error(const struct pg_ctl_request *req, char *buf, size_t len);

/* The reply to a request that is not served: one JSON object
 * {"ok":false,"error":MSG,"errors":[MSG]} and a newline. */
void pg_ctl_error_reply(FILE *out, const char *msg);

#endif
