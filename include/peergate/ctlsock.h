/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The control socket between peergated and peergatectl: a UNIX stream
 * socket; the client sends one request line (see ctlproto.h), the daemon
 * answers with JSON and closes.
 */
#ifndef PEERGATE_CTLSOCK_H
#define PEERGATE_CTLSOCK_H

#include <stddef.h>
#include <sys/types.h>

#include "peergate/ctlproto.h"
#include "peergate/paths.h"

#define PG_CTL_DEFAULT_SOCKET PG_PATH_CTL_SOCKET

struct pg_ctl_listener;

/* Creates the listening socket at path, mode 0660, owned by owner:group
 * ((uid_t)-1 / (gid_t)-1: left as created).  A missing parent directory is
 * created 0750 and given to owner:group as well.  What is at path decides:
 * nothing: bind; a socket nobody answers on (stale): replaced; a socket
 * something answers on: refused; anything else (file, directory, symlink):
 * refused and left alone.  Returns NULL with err filled on failure. */
struct pg_ctl_listener *pg_ctl_listener_open(const char *path, uid_t owner, gid_t group,
					     char *err, size_t errlen);

int pg_ctl_listener_fd(const struct pg_ctl_listener *l);

/* Closes the socket and removes its file if the file at the path is still
 * the socket this listener created (never anything else).  Returns 0, or
 * -1 with errno when that removal failed.  NULL is accepted. */
int pg_ctl_listener_close(struct pg_ctl_listener *l);

/* Reads one request from a freshly accepted client: until its line is
 * complete, PG_CTL_REQUEST_MAX bytes arrived, the client closed its end, or
 * timeout_ms passed in all (req->status then PG_CTL_REQ_INCOMPLETE).
 * Returns 0 with req filled, or -1 when the connection failed. */
int pg_ctl_read_request(int fd, int timeout_ms, struct pg_ctl_request *req);

/* The credentials of the process at the other end of a connected socket
 * (SO_PEERCRED: as they were when it connected). */
int pg_ctl_peer_cred(int fd, uid_t *uid, gid_t *gid, pid_t *pid);

/* Writes all of buf (MSG_NOSIGNAL). */
int pg_ctl_write_all(int fd, const char *buf, size_t len);

/* Client side: sends command, returns the whole reply (malloc'd, NUL-
 * terminated) or NULL with err filled. */
char *pg_ctl_request(const char *path, const char *command, char *err,
		     size_t errlen);

#endif
