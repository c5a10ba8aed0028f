/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "sdnotify.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

struct pg_sdnotify {
	int fd;
	struct sockaddr_un addr;
	socklen_t addrlen;
	unsigned watchdog_ms;
};

static void seterr(char *err, size_t errlen, const char *msg, const char *value)
{
	if (errlen)
		snprintf(err, errlen, "%s: %s", msg, value);
}

/* The manager's watchdog timeout is for the process it names (when it
 * names one); pinging at half the timeout leaves room for one late loop. */
static unsigned watchdog_from_env(void)
{
	const char *usec = getenv("WATCHDOG_USEC");
	const char *pid = getenv("WATCHDOG_PID");
	char *end;

	if (!usec || !*usec)
		return 0;
	if (pid && *pid) {
		errno = 0;
		long long p = strtoll(pid, &end, 10);
		if (errno || *end || p != (long long)getpid())
			return 0;
	}
	errno = 0;
	unsigned long long us = strtoull(usec, &end, 10);
	if (errno || *end || us == 0)
		return 0;
	unsigned long long ms = us / 2000;
	if (ms > 3600000ULL)
		ms = 3600000ULL;
	return ms ? (unsigned)ms : 1;
}

struct pg_sdnotify *pg_sdnotify_open(char *err, size_t errlen)
{
	const char *name = getenv("NOTIFY_SOCKET");
	struct pg_sdnotify *n = NULL;
	size_t len;

	if (errlen)
		err[0] = '\0';
	if (!name || !*name)
		return NULL;
	len = strlen(name);
	if (name[0] != '/' && name[0] != '@') {
		seterr(err, errlen, "NOTIFY_SOCKET is neither a path nor an abstract name", name);
		return NULL;
	}
	if (len >= sizeof(n->addr.sun_path)) {
		seterr(err, errlen, "NOTIFY_SOCKET is too long", name);
		return NULL;
	}
	n = calloc(1, sizeof(*n));
	if (!n) {
		seterr(err, errlen, "out of memory", name);
		return NULL;
	}
	n->addr.sun_family = AF_UNIX;
	memcpy(n->addr.sun_path, name, len);
	if (name[0] == '@')
		n->addr.sun_path[0] = '\0';   /* abstract: no terminating NUL counted */
	n->addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len +
				 (name[0] == '/' ? 1 : 0));
	n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (n->fd < 0) {
		seterr(err, errlen, "cannot create the notification socket", strerror(errno));
		free(n);
		return NULL;
	}
	n->watchdog_ms = watchdog_from_env();
	return n;
}

int pg_sdnotify_send(const struct pg_sdnotify *n, const char *state)
{
	if (!n)
		return 0;
	ssize_t sent = sendto(n->fd, state, strlen(state), MSG_NOSIGNAL,
			      (const struct sockaddr *)&n->addr, n->addrlen);
	return sent < 0 ? -1 : 0;
}

int pg_sdnotify_reloading(const struct pg_sdnotify *n)
{
	struct timespec ts;
	char msg[64];

	if (!n)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%" PRIu64,
		 (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u);
	return pg_sdnotify_send(n, msg);
}

unsigned pg_sdnotify_watchdog_ms(const struct pg_sdnotify *n)
{
	return n ? n->watchdog_ms : 0;
}

void pg_sdnotify_close(struct pg_sdnotify *n)
{
	if (!n)
		return;
	close(n->fd);
	free(n);
}
