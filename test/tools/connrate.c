/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * connrate: new TCP connections per second, for scripts/bench/inline.
 *
 *   connrate server ADDR PORT                 answer each connection's tiny
 *                                             HTTP request, then close
 *   connrate client ADDR PORT SECONDS THREADS each thread: connect, send the
 *                                             request, read the answer,
 *                                             close, again; prints the
 *                                             completed connections per second
 *
 * The client closes with a reset (SO_LINGER 0) so that a run leaves no
 * TIME_WAIT sockets behind to exhaust the ephemeral ports of the next one.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char request[] = "GET / HTTP/1.1\r\nHost: bench\r\nUser-Agent: connrate\r\n\r\n";
static const char answer[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";

static struct sockaddr_storage target;
static socklen_t target_len;
static double stop_at;
static atomic_ullong done, failed;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int parse_addr(const char *a, const char *p, struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, a, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)atoi(p));
		*len = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, a, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)atoi(p));
		*len = sizeof(*s6);
		return 0;
	}
	return -1;
}

static void *client_thread(void *arg)
{
	(void)arg;
	char buf[512];
	struct linger lg = {1, 0};
	struct timeval tv = {2, 0};
	while (now() < stop_at) {
		int fd = socket(target.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			break;
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		bool ok = false;
		if (connect(fd, (struct sockaddr *)&target, target_len) == 0 &&
		    send(fd, request, sizeof(request) - 1, MSG_NOSIGNAL) == (ssize_t)sizeof(request) - 1) {
			size_t got = 0;
			ssize_t n;
			while (got < sizeof(answer) - 1 &&
			       (n = recv(fd, buf, sizeof(buf), 0)) > 0)
				got += (size_t)n;
			ok = got >= sizeof(answer) - 1;
		}
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(fd);
		if (ok)
			atomic_fetch_add(&done, 1);
		else
			atomic_fetch_add(&failed, 1);
	}
	return NULL;
}

static int run_client(int threads, double seconds)
{
	pthread_t t[256];
	if (threads < 1 || threads > 256)
		return 2;
	double t0 = now();
	stop_at = t0 + seconds;
	for (int i = 0; i < threads; i++)
		pthread_create(&t[i], NULL, client_thread, NULL);
	for (int i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	double el = now() - t0;
	printf("%.0f conn/s (%llu connections, %llu failed, %.2f s, %d threads)\n",
	       (double)atomic_load(&done) / el, (unsigned long long)atomic_load(&done),
	       (unsigned long long)atomic_load(&failed), el, threads);
	return atomic_load(&done) ? 0 : 1;
}

static int run_server(void)
{
	int one = 1;
	int ls = socket(target.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ls < 0 || setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(ls, (struct sockaddr *)&target, target_len) < 0 || listen(ls, 4096) < 0) {
		perror("connrate server");
		return 1;
	}
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = ls};
	epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
	char buf[2048];
	for (;;) {
		struct epoll_event evs[256];
		int n = epoll_wait(ep, evs, 256, -1);
		if (n < 0 && errno != EINTR)
			return 1;
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if (fd == ls) {
				int c;
				while ((c = accept4(ls, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
					struct epoll_event ce = {.events = EPOLLIN, .data.fd = c};
					epoll_ctl(ep, EPOLL_CTL_ADD, c, &ce);
				}
				continue;
			}
			ssize_t r = recv(fd, buf, sizeof(buf), 0);
			if (r > 0) {
				/* the whole request comes in one segment */
				if (send(fd, answer, sizeof(answer) - 1, MSG_NOSIGNAL) < 0) {
					close(fd);
				}
			} else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
				close(fd); /* also leaves the epoll set */
			}
		}
	}
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "server")) {
		if (parse_addr(argv[2], argv[3], &target, &target_len) < 0)
			return 2;
		return run_server();
	}
	if (argc == 6 && !strcmp(argv[1], "client")) {
		if (parse_addr(argv[2], argv[3], &target, &target_len) < 0)
			return 2;
		return run_client(atoi(argv[5]), atof(argv[4]));
	}
	fprintf(stderr, "usage: connrate server ADDR PORT\n"
			"       connrate client ADDR PORT SECONDS THREADS\n");
	return 2;
}
