/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * peergated: the verdict engine.  Runs in the foreground: binds the queues,
 * applies the nftables table, answers the control socket, reloads the
 * policy on SIGHUP or `peergatectl reload`, and removes the table on exit.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "gateway.h"
#include "peergate/ctlsock.h"
#include "peergate/json.h"
#include "peergate/version.h"

#define DEFAULT_POLICY "/etc/peergate/policy.ini"

enum { EXIT_USAGE = 2 };

static const struct option options[] = {
	{"policy", required_argument, NULL, 'p'},
	{"socket", required_argument, NULL, 's'},
	{"state", required_argument, NULL, 'S'},
	{"keep-rules", no_argument, NULL, 'k'},
	{"no-rules", no_argument, NULL, 'n'},
	{"check", no_argument, NULL, 'c'},
	{"verbose", no_argument, NULL, 'v'},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, 'V'},
	{NULL, 0, NULL, 0},
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: peergated [OPTIONS]\n"
		"Inline IM/P2P verdict engine on NFQUEUE (runs in the foreground).\n\n"
		"  -p, --policy FILE   policy file (default " DEFAULT_POLICY ")\n"
		"  -s, --socket PATH   control socket (default " PG_CTL_DEFAULT_SOCKET ")\n"
		"  -S, --state FILE    decided flows kept across a restart (default\n"
		"                      flows.state beside the socket; '' for none)\n"
		"  -k, --keep-rules    leave the nftables table in place at exit\n"
		"  -n, --no-rules      do not manage the table (rules installed by hand)\n"
		"  -c, --check         validate the policy, print a summary, and exit\n"
		"  -v, --verbose       log every decided flow, not only blocked/logged ones\n"
		"  -h, --help          this text\n"
		"  -V, --version       print the version\n\n"
		"Signals: SIGHUP reloads the policy; SIGTERM/SIGINT stop.\n"
		"Exit status: 0 ok, 1 runtime or policy error, 2 usage error.\n"
		"See peergated(8) and peergate-policy.ini(5).\n");
}

static int check_policy(const char *path)
{
	struct pg_diag diag = {0};
	struct pg_policy *p = pg_policy_load_file(path, &diag);
	if (!p) {
		pg_diag_print(&diag, stderr);
		return 1;
	}
	printf("policy OK: %s\n", path);
	pg_policy_print_summary(p, stdout);
	pg_policy_destroy(p);
	return 0;
}

static void serve_client(struct pg_gateway *g, int fd)
{
	char line[256];
	char *doc = NULL;
	size_t len = 0;
	FILE *out;

	if (pg_ctl_read_command(fd, line, sizeof(line)) < 0)
		return;
	out = open_memstream(&doc, &len);
	if (!out)
		return;
	if (!strcmp(line, "stats")) {
		pg_gateway_stats_json(g, out);
	} else if (!strcmp(line, "flows")) {
		pg_gateway_flows_json(g, out);
	} else if (!strcmp(line, "ping")) {
		fprintf(out, "{\"ok\":true,\"version\":\"%s\"}\n", PEERGATE_VERSION);
	} else if (!strcmp(line, "reload")) {
		char *errs = NULL;
		size_t elen = 0;
		FILE *ef = open_memstream(&errs, &elen);
		int rc = ef ? pg_gateway_reload(g, ef) : -1;
		if (ef)
			fclose(ef);
		fprintf(out, "{\"ok\":%s,\"errors\":[", rc == 0 ? "true" : "false");
		bool first = true;
		for (char *tok = errs ? strtok(errs, "\n") : NULL; tok; tok = strtok(NULL, "\n")) {
			fprintf(out, "%s", first ? "" : ",");
			pg_json_string(out, tok);
			first = false;
		}
		fprintf(out, "]}\n");
		free(errs);
	} else {
		fprintf(out, "{\"ok\":false,\"errors\":[\"unknown command\"]}\n");
	}
	fclose(out);
	pg_ctl_write_all(fd, doc, len);
	free(doc);
}

static int run(struct pg_gateway *g, int ctl_fd, int sig_fd)
{
	enum { MAXFD = 20 };
	struct pollfd pfd[MAXFD];
	int qfds[16];
	int nq = pg_gateway_fds(g, qfds, 16);
	time_t last_tick = 0;

	for (;;) {
		int n = 0;
		for (int i = 0; i < nq; i++)
			pfd[n++] = (struct pollfd){.fd = qfds[i], .events = POLLIN};
		pfd[n++] = (struct pollfd){.fd = sig_fd, .events = POLLIN};
		if (ctl_fd >= 0)
			pfd[n++] = (struct pollfd){.fd = ctl_fd, .events = POLLIN};
		int rc = poll(pfd, (nfds_t)n, 1000);
		if (rc < 0 && errno != EINTR) {
			perror("peergated: poll");
			return 1;
		}
		for (int i = 0; rc > 0 && i < n; i++) {
			if (!(pfd[i].revents & (POLLIN | POLLERR)))
				continue;
			if (i < nq) {
				if (pg_gateway_process(g, pfd[i].fd) < 0) {
					fprintf(stderr, "peergated: queue socket failed: %s\n",
						strerror(errno));
					return 1;
				}
			} else if (pfd[i].fd == sig_fd) {
				struct signalfd_siginfo si;
				if (read(sig_fd, &si, sizeof(si)) != sizeof(si))
					continue;
				if (si.ssi_signo == SIGHUP)
					pg_gateway_reload(g, stderr);
				else
					return 0;
			} else {
				int c = accept4(ctl_fd, NULL, NULL, SOCK_CLOEXEC);
				if (c >= 0) {
					serve_client(g, c);
					close(c);
				}
			}
		}
		time_t now = time(NULL);
		if (now != last_tick) {
			last_tick = now;
			pg_gateway_tick(g);
		}
	}
}

int main(int argc, char **argv)
{
	struct pg_gateway_options o = {.policy_path = DEFAULT_POLICY, .manage_rules = true};
	const char *socket_path = PG_CTL_DEFAULT_SOCKET;
	bool keep_rules = false, check = false;
	int c, ret = 1, ctl_fd = -1, sig_fd = -1;
	struct pg_gateway *g = NULL;

	while ((c = getopt_long(argc, argv, "p:s:S:kncvhV", options, NULL)) != -1) {
		switch (c) {
		case 'p': o.policy_path = optarg; break;
		case 's': socket_path = optarg; break;
		case 'S': o.state_path = optarg; break;
		case 'k': keep_rules = true; break;
		case 'n': o.manage_rules = false; break;
		case 'c': check = true; break;
		case 'v': o.verbose = true; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("peergated %s\n", PEERGATE_VERSION); return 0;
		default:
			fprintf(stderr, "Try 'peergated --help'.\n");
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "peergated: unexpected argument '%s'\nTry 'peergated --help'.\n",
			argv[optind]);
		return EXIT_USAGE;
	}
	if (check)
		return check_policy(o.policy_path);
	/* The socket's directory is the runtime directory the daemon can
	 * still write to at exit. */
	char state_buf[4096];
	if (!o.state_path) {
		const char *slash = strrchr(socket_path, '/');
		int dirlen = slash ? (int)(slash - socket_path) : 1;
		snprintf(state_buf, sizeof(state_buf), "%.*s/flows.state", dirlen,
			 slash ? socket_path : ".");
		o.state_path = state_buf;
	}

	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	sig_fd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sig_fd < 0) {
		perror("peergated: signalfd");
		goto out;
	}
	char err[512];
	ctl_fd = pg_ctl_listen(socket_path, err, sizeof(err));
	if (ctl_fd < 0) {
		fprintf(stderr, "peergated: %s\n", err);
		goto out;
	}
	g = pg_gateway_open(&o);
	if (!g)
		goto out;
	fprintf(stderr, "peergated: ready; control socket %s\n", socket_path);
	ret = run(g, ctl_fd, sig_fd);
	fprintf(stderr, "peergated: stopping%s\n", keep_rules ? " (table kept)" : "");
out:
	pg_gateway_close(g, keep_rules);
	if (ctl_fd >= 0) {
		close(ctl_fd);
		unlink(socket_path);
	}
	if (sig_fd >= 0)
		close(sig_fd);
	return ret;
}
