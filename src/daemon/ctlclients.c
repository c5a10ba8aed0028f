/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "ctlclients.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum client_state { C_FREE = 0, C_READING, C_WRITING };

struct client {
	enum client_state state;
	int fd;
	uint64_t deadline_ms;
	uint8_t req[PG_CTL_REQUEST_MAX];
	size_t req_len;
	char *reply;                 /* the whole answer, built at once */
	size_t reply_len, sent;
};

struct pg_ctl_clients {
	struct pg_ctl_clients_config cfg;
	struct client *v;            /* cfg.max_clients of them */
	unsigned used;
};

struct pg_ctl_clients *pg_ctl_clients_create(const struct pg_ctl_clients_config *cfg)
{
	struct pg_ctl_clients *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->cfg = *cfg;
	if (c->cfg.max_clients < 1)
		c->cfg.max_clients = 1;
	c->v = calloc(c->cfg.max_clients, sizeof(*c->v));
	if (!c->v) {
		free(c);
		return NULL;
	}
	return c;
}

static void drop(struct pg_ctl_clients *c, struct client *cl)
{
	close(cl->fd);
	free(cl->reply);
	memset(cl, 0, sizeof(*cl));
	c->used--;
}

void pg_ctl_clients_destroy(struct pg_ctl_clients *c)
{
	if (!c)
		return;
	for (unsigned i = 0; i < c->cfg.max_clients; i++) {
		if (c->v[i].state != C_FREE)
			drop(c, &c->v[i]);
	}
	free(c->v);
	free(c);
}

bool pg_ctl_clients_full(const struct pg_ctl_clients *c)
{
	return c->used >= c->cfg.max_clients;
}

void pg_ctl_clients_add(struct pg_ctl_clients *c, int fd, uint64_t now_ms)
{
	int fl = fcntl(fd, F_GETFL);

	if (pg_ctl_clients_full(c) || fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		close(fd);
		return;
	}
	for (unsigned i = 0; i < c->cfg.max_clients; i++) {
		struct client *cl = &c->v[i];
		if (cl->state != C_FREE)
			continue;
		*cl = (struct client){.state = C_READING, .fd = fd,
				      .deadline_ms = now_ms + c->cfg.request_ms};
		c->used++;
		return;
	}
}

int pg_ctl_clients_pollfds(const struct pg_ctl_clients *c, struct pollfd *pfd, int room)
{
	int n = 0;

	for (unsigned i = 0; i < c->cfg.max_clients && n < room; i++) {
		const struct client *cl = &c->v[i];
		if (cl->state == C_FREE)
			continue;
		pfd[n++] = (struct pollfd){.fd = cl->fd,
					   .events = cl->state == C_READING ? POLLIN : POLLOUT};
	}
	return n;
}

/* The request is complete (or will never be): the answer is built now,
 * in memory, and sent as the client takes it. */
static void answer(struct pg_ctl_clients *c, struct client *cl,
		   const struct pg_ctl_request *req, uint64_t now_ms)
{
	FILE *out = open_memstream(&cl->reply, &cl->reply_len);

	if (!out) {
		drop(c, cl);
		return;
	}
	c->cfg.answer(c->cfg.ctx, cl->fd, req, out);
	if (fclose(out) != 0) {
		drop(c, cl);
		return;
	}
	/* The request was read: the client stops writing. */
	shutdown(cl->fd, SHUT_RD);
	cl->state = C_WRITING;
	cl->sent = 0;
	cl->deadline_ms = now_ms + c->cfg.reply_ms;
}

static void read_some(struct pg_ctl_clients *c, struct client *cl, uint64_t now_ms)
{
	struct pg_ctl_request req;
	ssize_t r = recv(cl->fd, cl->req + cl->req_len, sizeof(cl->req) - cl->req_len,
			 MSG_DONTWAIT);

	if (r < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (r < 0) {
		drop(c, cl);
		return;
	}
	cl->req_len += (size_t)r;
	pg_ctl_parse_request(cl->req, cl->req_len, r == 0, &req);
	if (req.status != PG_CTL_REQ_INCOMPLETE)
		answer(c, cl, &req, now_ms);
}

static void write_some(struct pg_ctl_clients *c, struct client *cl)
{
	while (cl->sent < cl->reply_len) {
		ssize_t w = send(cl->fd, cl->reply + cl->sent, cl->reply_len - cl->sent,
				 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			return;
		if (w <= 0)
			break;
		cl->sent += (size_t)w;
	}
	drop(c, cl);
}

/* The client whose socket is fd. */
static struct client *find(struct pg_ctl_clients *c, int fd)
{
	for (unsigned i = 0; i < c->cfg.max_clients; i++) {
		if (c->v[i].state != C_FREE && c->v[i].fd == fd)
			return &c->v[i];
	}
	return NULL;
}

void pg_ctl_clients_serve(struct pg_ctl_clients *c, const struct pollfd *pfd, int n,
			  uint64_t now_ms)
{
	for (int i = 0; i < n; i++) {
		struct client *cl = pfd[i].revents ? find(c, pfd[i].fd) : NULL;
		if (!cl)
			continue;
		if (cl->state == C_READING)
			read_some(c, cl, now_ms);
		else if (pfd[i].revents & (POLLOUT | POLLERR | POLLHUP))
			write_some(c, cl);
	}
	for (unsigned i = 0; i < c->cfg.max_clients; i++) {
		struct client *cl = &c->v[i];
		if (cl->state == C_FREE || now_ms < cl->deadline_ms)
			continue;
		if (cl->state == C_READING) {
			/* Too slow: it still gets the reason. */
			struct pg_ctl_request req;
			pg_ctl_parse_request(cl->req, cl->req_len, false, &req);
			answer(c, cl, &req, now_ms);
			if (cl->state == C_WRITING)
				write_some(c, cl);
			/* The error answer is short: no second chance. */
			if (cl->state == C_WRITING)
				drop(c, cl);
		} else {
			drop(c, cl);
		}
	}
}

int pg_ctl_clients_next_ms(const struct pg_ctl_clients *c, uint64_t now_ms)
{
	uint64_t next = UINT64_MAX;

	for (unsigned i = 0; i < c->cfg.max_clients; i++) {
		if (c->v[i].state != C_FREE && c->v[i].deadline_ms < next)
			next = c->v[i].deadline_ms;
	}
	if (next == UINT64_MAX)
		return -1;
	return next <= now_ms ? 0 : (int)(next - now_ms > 60000 ? 60000 : next - now_ms);
}
