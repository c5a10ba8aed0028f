/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "peergate/ctlsock.h"

#include <errno.h>
#include <libgen.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "peergate/seterr.h"

static int fill_addr(const char *path, struct sockaddr_un *sa, char *err, size_t errlen)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path)) {
		pg_seterr(err, errlen, "socket path too long: %s", path);
		return -1;
	}
	strcpy(sa->sun_path, path);
	return 0;
}

struct pg_ctl_listener {
	int fd;
	char *path;
	dev_t dev;   /* the socket file bind created: the only file close */
	ino_t ino;   /* may remove */
	bool have_file;
};

static const char *file_kind(mode_t mode)
{
	if (S_ISREG(mode))
		return "a regular file";
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISLNK(mode))
		return "a symbolic link";
	if (S_ISFIFO(mode))
		return "a FIFO";
	return "a device or other special file";
}

/* Makes path free for bind, or says why it must not be.  Only a socket that
 * refuses connections (its daemon died) is removed; whatever else is there
 * stays untouched. */
static int clear_path(const char *path, const struct sockaddr_un *sa, char *err, size_t errlen)
{
	struct stat seen, now;
	int fd, rc, e;

	if (lstat(path, &seen) < 0) {
		if (errno == ENOENT)
			return 0;
		pg_seterr(err, errlen, "cannot examine %s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(seen.st_mode)) {
		pg_seterr(err, errlen, "%s exists and is %s, not a socket: refusing to replace it "
			  "(remove it, or choose another --socket)", path, file_kind(seen.st_mode));
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		pg_seterr(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	rc = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	e = errno;
	close(fd);
	/* EAGAIN: a listener whose backlog is full is still a listener. */
	if (rc == 0 || e == EAGAIN || e == EINPROGRESS) {
		pg_seterr(err, errlen, "another peergated is listening on %s", path);
		return -1;
	}
	if (e != ECONNREFUSED) {
		pg_seterr(err, errlen, "cannot tell whether the socket %s is in use (%s); "
			  "not replacing it", path, strerror(e));
		return -1;
	}
	if (lstat(path, &now) < 0) {
		if (errno == ENOENT)
			return 0;
		pg_seterr(err, errlen, "cannot examine %s: %s", path, strerror(errno));
		return -1;
	}
	if (now.st_dev != seen.st_dev || now.st_ino != seen.st_ino) {
		pg_seterr(err, errlen, "%s changed while it was examined; not replacing it", path);
		return -1;
	}
	if (unlink(path) < 0 && errno != ENOENT) {
		pg_seterr(err, errlen, "cannot remove the stale socket %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* The parent directory, created 0750 for owner:group when it is missing,
 * so that the socket's group can reach the socket and the daemon can remove
 * it after giving up its privileges.  An existing directory is left as is. */
static int make_parent(const char *path, uid_t owner, gid_t group, char *err, size_t errlen)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	snprintf(dir, sizeof(dir), "%s", path);
	char *d = dirname(dir);
	if (mkdir(d, 0750) < 0) {
		if (errno == EEXIST)
			return 0;
		pg_seterr(err, errlen, "cannot create %s: %s", d, strerror(errno));
		return -1;
	}
	if (chmod(d, 0750) < 0 ||
	    ((owner != (uid_t)-1 || group != (gid_t)-1) && lchown(d, owner, group) < 0)) {
		pg_seterr(err, errlen, "cannot set up %s: %s", d, strerror(errno));
		return -1;
	}
	return 0;
}

struct pg_ctl_listener *pg_ctl_listener_open(const char *path, uid_t owner, gid_t group,
					     char *err, size_t errlen)
{
	struct sockaddr_un sa;
	struct stat st;
	struct pg_ctl_listener *l = NULL;

	if (fill_addr(path, &sa, err, errlen) < 0)
		return NULL;
	l = calloc(1, sizeof(*l));
	if (!l || !(l->path = strdup(path))) {
		pg_seterr(err, errlen, "out of memory");
		goto fail;
	}
	l->fd = -1;
	if (make_parent(path, owner, group, err, errlen) < 0 ||
	    clear_path(path, &sa, err, errlen) < 0)
		goto fail;
	l->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (l->fd < 0) {
		pg_seterr(err, errlen, "socket: %s", strerror(errno));
		goto fail;
	}
	/* The mode comes from the umask at bind: never wider than 0660, not
	 * even for a moment. */
	mode_t old = umask(0117);
	int rc = bind(l->fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc < 0) {
		pg_seterr(err, errlen, "cannot bind %s: %s", path, strerror(errno));
		goto fail;
	}
	if (lstat(path, &st) < 0) {
		pg_seterr(err, errlen, "%s vanished after bind: %s", path, strerror(errno));
		goto fail;
	}
	l->dev = st.st_dev;
	l->ino = st.st_ino;
	l->have_file = true;
	if ((owner != (uid_t)-1 || group != (gid_t)-1) && lchown(path, owner, group) < 0) {
		pg_seterr(err, errlen, "cannot give %s to uid %d gid %d: %s", path,
			  owner == (uid_t)-1 ? -1 : (int)owner,
			  group == (gid_t)-1 ? -1 : (int)group, strerror(errno));
		goto fail;
	}
	if (listen(l->fd, 16) < 0) {
		pg_seterr(err, errlen, "cannot listen on %s: %s", path, strerror(errno));
		goto fail;
	}
	return l;
fail:
	pg_ctl_listener_close(l);
	return NULL;
}

int pg_ctl_listener_fd(const struct pg_ctl_listener *l)
{
	return l->fd;
}

int pg_ctl_listener_close(struct pg_ctl_listener *l)
{
	struct stat st;
	int rc = 0, e = 0;

	if (!l)
		return 0;
	if (l->fd >= 0)
		close(l->fd);
	if (l->have_file && lstat(l->path, &st) == 0 && S_ISSOCK(st.st_mode) &&
	    st.st_dev == l->dev && st.st_ino == l->ino && unlink(l->path) < 0) {
		rc = -1;
		e = errno;
	}
	free(l->path);
	free(l);
	errno = e;
	return rc;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int pg_ctl_read_request(int fd, int timeout_ms, struct pg_ctl_request *req)
{
	uint8_t buf[PG_CTL_REQUEST_MAX];
	size_t n = 0;
	int64_t deadline = now_ms() + timeout_ms;

	pg_ctl_parse_request(buf, 0, false, req);
	/* One deadline for the whole request, not one per read: a client
	 * that drips bytes gets no more time than one that sends nothing. */
	for (;;) {
		int64_t left = deadline - now_ms();
		if (left <= 0)
			return 0;
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int rc = poll(&p, 1, (int)left);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return -1;
		if (rc == 0)
			return 0;
		ssize_t r = recv(fd, buf + n, sizeof(buf) - n, MSG_DONTWAIT);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r < 0)
			return -1;
		n += (size_t)r;
		pg_ctl_parse_request(buf, n, r == 0, req);
		if (req->status != PG_CTL_REQ_INCOMPLETE)
			return 0;
	}
}

int pg_ctl_peer_cred(int fd, uid_t *uid, gid_t *gid, pid_t *pid)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0)
		return -1;
	if (uid)
		*uid = uc.uid;
	if (gid)
		*gid = uc.gid;
	if (pid)
		*pid = uc.pid;
	return 0;
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
		pg_seterr(err, errlen, "cannot connect to %s: %s (is peergated running? "
			  "are you root or in its group?)", path, strerror(errno));
		goto fail;
	}
	char msg[256];
	int m = snprintf(msg, sizeof(msg), "%s\n", command);
	if (pg_ctl_write_all(fd, msg, (size_t)m) < 0) {
		pg_seterr(err, errlen, "cannot send to %s: %s", path, strerror(errno));
		goto fail;
	}
	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			char *n = realloc(reply, cap);
			if (!n) {
				pg_seterr(err, errlen, "out of memory");
				goto fail;
			}
			reply = n;
		}
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 10000) <= 0) {
			pg_seterr(err, errlen, "no answer from %s", path);
			goto fail;
		}
		ssize_t r = read(fd, reply + len, cap - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			pg_seterr(err, errlen, "read from %s: %s", path, strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	if (!reply) {
		pg_seterr(err, errlen, "empty answer from %s", path);
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
