/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The control socket's clients, served without ever blocking: each client
 * is a small state machine (read one request line, answer, write the
 * answer as the client takes it) driven by the control thread's poll loop.
 * A client has request_ms to send its request and reply_ms to take its
 * answer, then it is dropped; at most max_clients are served at once (the
 * caller stops accepting while full).  A slow or stuck client costs one
 * slot and nothing else.
 */
#ifndef PEERGATE_CTLCLIENTS_H
#define PEERGATE_CTLCLIENTS_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "peergate/ctlproto.h"

struct pg_ctl_clients;

/* Writes the answer to req (any status) to out; fd is the client's, for
 * its credentials. */
typedef void (*pg_ctl_answer_fn)(void *ctx, int fd, const struct pg_ctl_request *req,
				 FILE *out);

struct pg_ctl_clients_config {
	unsigned max_clients;
	unsigned request_ms;     /* from accept to the request's line end */
	unsigned reply_ms;       /* from the answer to its last byte taken */
	pg_ctl_answer_fn answer;
	void *ctx;
};

struct pg_ctl_clients *pg_ctl_clients_create(const struct pg_ctl_clients_config *cfg);
/* Closes every client. NULL is fine. */
void pg_ctl_clients_destroy(struct pg_ctl_clients *c);

bool pg_ctl_clients_full(const struct pg_ctl_clients *c);
/* Takes an accepted socket (made non-blocking here); closes it when full. */
void pg_ctl_clients_add(struct pg_ctl_clients *c, int fd, uint64_t now_ms);

/* Appends one pollfd per client to pfd (at most room); returns how many. */
int pg_ctl_clients_pollfds(const struct pg_ctl_clients *c, struct pollfd *pfd, int room);
/* Serves the clients whose pollfds (as filled above, in that order, n of
 * them) are ready, and drops those past their deadline. */
void pg_ctl_clients_serve(struct pg_ctl_clients *c, const struct pollfd *pfd, int n,
			  uint64_t now_ms);
/* Milliseconds until the nearest deadline (-1: no client). */
int pg_ctl_clients_next_ms(const struct pg_ctl_clients *c, uint64_t now_ms);

#endif
