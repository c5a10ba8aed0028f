/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "peergate/ctlsock.h"

#include <errno.h>
#include <libgen.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static int fill_addr(const char *path, struct sockaddr_un *sa, char *err, size_t errlen)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path)) {
		snprintf(err, errlen, "socket path too long: %s", path);
		return -1;
	}
	strcpy(sa->sun_path, path);
	return 0;
}

int pg_ctl_listen(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	char dir[sizeof(sa.sun_path)];
	int fd = -1;

	if (fill_addr(path, &sa, err, errlen) < 0)
		return -1;
	snprintf(dir, sizeof(dir), "%s", path);
	char *d = dirname(dir);
	if (mkdir(d, 0750) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", d, strerror(errno));
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	/* A socket file left by a daemon that died is stale: nobody answers. */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		snprintf(err, errlen, "%s is in use: is another peergated running?", path);
		goto fail;
	}
	unlink(path);
	mode_t old = umask(0117);
	int rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc < 0 || listen(fd, 16) < 0) {
		snprintf(err, errlen, "cannot listen on %s: %s", path, strerror(errno));
		goto fail;
	}
	chmod(path, 0660);
	return fd;
fail:
	close(fd);
	return -1;
}

int pg_ctl_read_command(int fd, char *line, size_t size)
{
	size_t n = 0;
	while (n + 1 < size) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 1000) <= 0)
			return -1;
		ssize_t r = read(fd, line + n, size - 1 - n);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
		if (memchr(line, '\n', n))
			break;
	}
	line[n] = '\0';
	char *nl = strpbrk(line, "\r\n");
	if (nl)
		*nl = '\0';
	return n ? 0 : -1;
}

int pg_ctl_write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t w = send(fd, buf, len, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			struct pollfd p = {.fd = fd, .events = POLLOUT};
			if (poll(&p, 1, 1000) <= 0)
				return -1;
			continue;
		}
		if (w <= 0)
			return -1;
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

char *pg_ctl_request(const char *path, const char *command, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	char *reply = NULL;
	size_t len = 0, cap = 0;
	int fd = -1;

	if (fill_addr(path, &sa, err, errlen) < 0)
		return NULL;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		snprintf(err, errlen, "cannot connect to %s: %s (is peergated running? "
			 "are you root or in its group?)", path, strerror(errno));
		goto fail;
	}
	char msg[256];
	int m = snprintf(msg, sizeof(msg), "%s\n", command);
	if (pg_ctl_write_all(fd, msg, (size_t)m) < 0) {
		snprintf(err, errlen, "cannot send to %s: %s", path, strerror(errno));
		goto fail;
	}
	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			char *n = realloc(reply, cap);
			if (!n) {
				snprintf(err, errlen, "out of memory");
				goto fail;
			}
			reply = n;
		}
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 10000) <= 0) {
			snprintf(err, errlen, "no answer from %s", path);
			goto fail;
		}
		ssize_t r = read(fd, reply + len, cap - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, errlen, "read from %s: %s", path, strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	if (!reply) {
		snprintf(err, errlen, "empty answer from %s", path);
		return NULL;
	}
	reply[len] = '\0';
	return reply;
fail:
	if (fd >= 0)
		close(fd);
	free(reply);
	return NULL;
}
