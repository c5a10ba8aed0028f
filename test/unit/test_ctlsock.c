/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The control socket's file handling in a temporary directory: what is at
 * the path decides whether the daemon may bind there, and close removes
 * only the socket the listener created.  Also the request reader and the
 * peer credentials over a socket pair.  Needs no privileges.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "check.h"
#include "peergate/ctlsock.h"

static char dir[64];

static void path_in_dir(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

static bool file_has(const char *path, const char *text)
{
	char buf[128] = {0};
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	return n == strlen(text) && !memcmp(buf, text, n);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static bool is_socket(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0 && S_ISSOCK(st.st_mode);
}

static bool exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

/* A socket file nobody listens on: what a daemon that died leaves. */
static void make_stale_socket(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd >= 0) {
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			perror("bind");
		close(fd);
	}
}

static bool answers(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

static struct pg_ctl_listener *open_at(const char *path, char *err, size_t errlen)
{
	err[0] = '\0';
	return pg_ctl_listener_open(path, (uid_t)-1, (gid_t)-1, err, errlen);
}

static void test_regular_file_kept(void)
{
	char path[128], err[512];
	path_in_dir(path, sizeof(path), "file");
	write_file(path, "precious\n");
	struct pg_ctl_listener *l = open_at(path, err, sizeof(err));
	CHECK(l == NULL);
	CHECK(strstr(err, path) && strstr(err, "regular file"));
	CHECK(file_has(path, "precious\n"));
	pg_ctl_listener_close(l);
	unlink(path);
}

static void test_directory_and_symlink_kept(void)
{
	char path[128], target[128], err[512];
	path_in_dir(path, sizeof(path), "subdir");
	CHECK(mkdir(path, 0700) == 0);
	CHECK(open_at(path, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "a directory") != NULL);
	CHECK(exists(path));
	rmdir(path);

	/* a symbolic link is refused even when it points to a stale socket */
	path_in_dir(target, sizeof(target), "stale-target");
	path_in_dir(path, sizeof(path), "link");
	make_stale_socket(target);
	CHECK(symlink(target, path) == 0);
	CHECK(open_at(path, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "symbolic link") != NULL);
	CHECK(exists(path) && is_socket(target));
	unlink(path);
	unlink(target);
}

static void test_stale_replaced_live_refused(void)
{
	char path[128], err[512];
	struct stat st;
	path_in_dir(path, sizeof(path), "ctl.sock");
	make_stale_socket(path);
	CHECK(is_socket(path) && !answers(path));
	struct pg_ctl_listener *l = open_at(path, err, sizeof(err));
	CHECK(l != NULL);
	if (!l) {
		fprintf(stderr, "  %s\n", err);
		return;
	}
	CHECK(answers(path));
	CHECK(lstat(path, &st) == 0 && (st.st_mode & 07777) == 0660);

	/* a second daemon on the same path is refused; the first goes on */
	struct pg_ctl_listener *l2 = open_at(path, err, sizeof(err));
	CHECK(l2 == NULL);
	CHECK(strstr(err, "another peergated is listening on") && strstr(err, path));
	CHECK(answers(path));
	pg_ctl_listener_close(l2);

	CHECK(pg_ctl_listener_close(l) == 0);
	CHECK(!exists(path));
}

static void test_close_removes_only_its_own(void)
{
	char path[128], err[512];
	path_in_dir(path, sizeof(path), "own.sock");

	/* replaced by a regular file while running: the file stays */
	struct pg_ctl_listener *l = open_at(path, err, sizeof(err));
	CHECK(l != NULL);
	unlink(path);
	write_file(path, "not yours\n");
	CHECK(pg_ctl_listener_close(l) == 0);
	CHECK(file_has(path, "not yours\n"));
	unlink(path);

	/* replaced by another socket: that one stays */
	l = open_at(path, err, sizeof(err));
	CHECK(l != NULL);
	unlink(path);
	make_stale_socket(path);
	CHECK(pg_ctl_listener_close(l) == 0);
	CHECK(is_socket(path));
	unlink(path);
}

static void test_parent_created(void)
{
	char sub[128], path[160], err[512];
	struct stat st;
	path_in_dir(sub, sizeof(sub), "run");
	snprintf(path, sizeof(path), "%s/ctl.sock", sub);
	struct pg_ctl_listener *l = pg_ctl_listener_open(path, getuid(), getgid(), err,
							 sizeof(err));
	CHECK(l != NULL);
	CHECK(stat(sub, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0750);
	CHECK(lstat(path, &st) == 0 && st.st_uid == getuid() && st.st_gid == getgid());
	pg_ctl_listener_close(l);
	CHECK(!exists(path));
	rmdir(sub);
}

static void test_read_request(void)
{
	int sv[2];
	struct pg_ctl_request r;
	uid_t uid = (uid_t)-1;
	pid_t pid = 0;

	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	CHECK(write(sv[1], "stats\n", 6) == 6);
	CHECK(pg_ctl_read_request(sv[0], 1000, &r) == 0);
	CHECK(r.status == PG_CTL_REQ_OK && r.command == PG_CTL_STATS);
	CHECK(pg_ctl_peer_cred(sv[0], &uid, NULL, &pid) == 0);
	CHECK(uid == getuid() && pid == getpid());
	close(sv[0]);
	close(sv[1]);

	/* nothing arrives: the reader gives up after its deadline */
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	CHECK(write(sv[1], "sta", 3) == 3);
	CHECK(pg_ctl_read_request(sv[0], 50, &r) == 0);
	CHECK(r.status == PG_CTL_REQ_INCOMPLETE);
	close(sv[0]);
	close(sv[1]);

	/* the peer closes: an unterminated line is complete */
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	CHECK(write(sv[1], "reload", 6) == 6);
	shutdown(sv[1], SHUT_WR);
	CHECK(pg_ctl_read_request(sv[0], 1000, &r) == 0);
	CHECK(r.status == PG_CTL_REQ_OK && r.command == PG_CTL_RELOAD);
	close(sv[0]);
	close(sv[1]);

	/* more than the bound: the reader stops at it */
	char big[200];
	memset(big, 'x', sizeof(big));
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	CHECK(write(sv[1], big, sizeof(big)) == (ssize_t)sizeof(big));
	CHECK(pg_ctl_read_request(sv[0], 1000, &r) == 0);
	CHECK(r.status == PG_CTL_REQ_TOO_LONG);
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/pg-ctlsock-XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_regular_file_kept();
	test_directory_and_symlink_kept();
	test_stale_replaced_live_refused();
	test_close_removes_only_its_own();
	test_parent_created();
	test_read_request();
	rmdir(dir);
	return pg_test_summary("test_ctlsock");
}
