/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The notification protocol module of peergated, against datagram sockets
 * of its own (a path and an abstract name): what $NOTIFY_SOCKET and the
 * watchdog variables mean, and what arrives.  Needs no privileges.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "check.h"
/* The module lives with the daemon, outside the libraries. */
#include "../../src/daemon/sdnotify.c"

/* A listener like the service manager's; name as in $NOTIFY_SOCKET. */
static int listener(const char *name)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	size_t len = strlen(name);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	memcpy(a.sun_path, name, len);
	if (name[0] == '@')
		a.sun_path[0] = '\0';
	socklen_t alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len +
				     (name[0] == '@' ? 0 : 1));
	struct timeval tv = {.tv_sec = 2};
	if (bind(fd, (struct sockaddr *)&a, alen) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static bool received(int fd, const char *want)
{
	char buf[256];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
	if (n < 0)
		return false;
	buf[n] = '\0';
	if (strcmp(buf, want) != 0) {
		fprintf(stderr, "received \"%s\", want \"%s\"\n", buf, want);
		return false;
	}
	return true;
}

static void test_no_manager(void)
{
	char err[128] = "x";
	unsetenv("NOTIFY_SOCKET");
	struct pg_sdnotify *n = pg_sdnotify_open(err, sizeof(err));
	CHECK(n == NULL);
	CHECK(err[0] == '\0');
	/* everything is a no-op then */
	CHECK(pg_sdnotify_send(NULL, "READY=1") == 0);
	CHECK(pg_sdnotify_reloading(NULL) == 0);
	CHECK(pg_sdnotify_watchdog_ms(NULL) == 0);
	pg_sdnotify_close(NULL);
}

static void test_bad_names(void)
{
	char err[128];
	setenv("NOTIFY_SOCKET", "relative/notify", 1);
	CHECK(pg_sdnotify_open(err, sizeof(err)) == NULL);
	CHECK(strstr(err, "neither a path nor an abstract name") != NULL);
	char longname[200];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[0] = '/';
	longname[sizeof(longname) - 1] = '\0';
	setenv("NOTIFY_SOCKET", longname, 1);
	CHECK(pg_sdnotify_open(err, sizeof(err)) == NULL);
	CHECK(strstr(err, "too long") != NULL);
}

static void test_path_socket(void)
{
	char path[64], err[128];
	snprintf(path, sizeof(path), "/tmp/pg-sdnotify-%d", (int)getpid());
	unlink(path);
	int fd = listener(path);
	CHECK(fd >= 0);
	setenv("NOTIFY_SOCKET", path, 1);
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	struct pg_sdnotify *n = pg_sdnotify_open(err, sizeof(err));
	CHECK(n != NULL);
	CHECK(pg_sdnotify_watchdog_ms(n) == 0);
	CHECK(pg_sdnotify_send(n, "READY=1\nSTATUS=gateway running") == 0);
	CHECK(received(fd, "READY=1\nSTATUS=gateway running"));
	CHECK(pg_sdnotify_reloading(n) == 0);
	char buf[128] = {0};
	CHECK(recv(fd, buf, sizeof(buf) - 1, 0) > 0);
	CHECK(strncmp(buf, "RELOADING=1\nMONOTONIC_USEC=", 27) == 0 &&
	      strspn(buf + 27, "0123456789") == strlen(buf + 27) && buf[27]);
	pg_sdnotify_close(n);
	/* the manager went away: sending fails, nothing else happens */
	close(fd);
	unlink(path);
	n = pg_sdnotify_open(err, sizeof(err));
	CHECK(n != NULL);
	CHECK(pg_sdnotify_send(n, "WATCHDOG=1") == -1);
	pg_sdnotify_close(n);
}

static void test_abstract_socket(void)
{
	char name[64], err[128];
	snprintf(name, sizeof(name), "@pg-sdnotify-%d", (int)getpid());
	int fd = listener(name);
	CHECK(fd >= 0);
	setenv("NOTIFY_SOCKET", name, 1);
	struct pg_sdnotify *n = pg_sdnotify_open(err, sizeof(err));
	CHECK(n != NULL);
	CHECK(pg_sdnotify_send(n, "STOPPING=1") == 0);
	CHECK(received(fd, "STOPPING=1"));
	pg_sdnotify_close(n);
	close(fd);
}

static void test_watchdog(void)
{
	char path[64], err[128], pid[32];
	snprintf(path, sizeof(path), "/tmp/pg-sdnotify-wd-%d", (int)getpid());
	setenv("NOTIFY_SOCKET", path, 1);
	struct {
		const char *usec, *pid;
		unsigned want_ms;
	} cases[] = {
		{"30000000", NULL, 15000},   /* WatchdogSec=30s: every 15 s */
		{"400000", "self", 200},
		{"1500", NULL, 1},           /* never 0 when a watchdog is set */
		{"400000", "1", 0},          /* meant for another process */
		{"0", NULL, 0},
		{"12x", NULL, 0},
		{"", NULL, 0},
	};
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		setenv("WATCHDOG_USEC", cases[i].usec, 1);
		if (cases[i].pid)
			setenv("WATCHDOG_PID", strcmp(cases[i].pid, "self") ? cases[i].pid : pid, 1);
		else
			unsetenv("WATCHDOG_PID");
		struct pg_sdnotify *n = pg_sdnotify_open(err, sizeof(err));
		CHECK(n != NULL);
		if (pg_sdnotify_watchdog_ms(n) != cases[i].want_ms)
			fprintf(stderr, "WATCHDOG_USEC=%s: %u ms, want %u\n", cases[i].usec,
				pg_sdnotify_watchdog_ms(n), cases[i].want_ms);
		CHECK(pg_sdnotify_watchdog_ms(n) == cases[i].want_ms);
		pg_sdnotify_close(n);
	}
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
}

int main(void)
{
	test_no_manager();
	test_bad_names();
	test_path_socket();
	test_abstract_socket();
	test_watchdog();
	unsetenv("NOTIFY_SOCKET");
	return pg_test_summary("test_sdnotify");
}
