/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The control socket between peergated and peergatectl: a UNIX stream
 * socket; the client sends one command line ("stats", "flows", "reload",
 * "ping"), the daemon answers with JSON and closes.
 */
#ifndef PEERGATE_CTLSOCK_H
#define PEERGATE_CTLSOCK_H

#include <stddef.h>

#define PG_CTL_DEFAULT_SOCKET "/run/peergate/peergate.sock"

/* Creates the listening socket (mode 0660, parent directory created 0750),
 * replacing a stale socket file.  Returns the fd or -1 with err filled. */
int pg_ctl_listen(const char *path, char *err, size_t errlen);

/* Reads one command line from a freshly accepted client (with a short
 * timeout).  Returns 0 and a NUL-terminated line without its newline. */
int pg_ctl_read_command(int fd, char *line, size_t size);

/* Writes all of buf (MSG_NOSIGNAL). */
int pg_ctl_write_all(int fd, const char *buf, size_t len);

/* Client side: sends command, returns the whole reply (malloc'd, NUL-
 * terminated) or NULL with err filled. */
char *pg_ctl_request(const char *path, const char *command, char *err,
		     size_t errlen);

#endif
