/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * peergated: the verdict engine.  Runs in the foreground: binds the queues,
 * applies the nftables table, answers the control socket, reloads the
 * policy on SIGHUP or `peergatectl reload`, and removes the table on exit.
 * Under systemd (Type=notify) it reports READY once the table and the
 * queues are in place, RELOADING/READY around reloads, STOPPING at exit,
 * and pings the watchdog from its packet loop.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "gateway.h"
#include "privilege.h"
#include "sdnotify.h"
#include "peergate/ctlsock.h"
#include "peergate/json.h"
#include "peergate/paths.h"
#include "peergate/systems.h"
#include "peergate/version.h"

#define DEFAULT_POLICY PG_PATH_POLICY
#define DEFAULT_SOCKET_GROUP "peergate"

enum { EXIT_USAGE = 2 };

static const struct option options[] = {
	{"policy", required_argument, NULL, 'p'},
	{"systems", required_argument, NULL, 'd'},
	{"socket", required_argument, NULL, 's'},
	{"socket-group", required_argument, NULL, 'g'},
	{"user", required_argument, NULL, 'u'},
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
		"  -d, --systems DIR   systems' data directory; repeat for more, later ones\n"
		"                      adding or replacing files (default " PG_PATH_SYSTEMS_DIR "\n"
		"                      then " PG_PATH_SYSTEMS_ETC_DIR ")\n"
		"  -s, --socket PATH   control socket (default " PG_CTL_DEFAULT_SOCKET ")\n"
		"  -g, --socket-group GROUP\n"
		"                      group that may read stats and flows over the socket\n"
		"                      (default " DEFAULT_SOCKET_GROUP ", else the daemon's own group)\n"
		"  -u, --user USER     after setup, run as USER (and its group) instead of root\n"
		"  -S, --state FILE    decided flows kept across a restart (default\n"
		"                      flows.state beside the socket; '' for none)\n"
		"  -k, --keep-rules    leave the nftables table in place at exit\n"
		"  -n, --no-rules      do not manage the table (rules installed by hand)\n"
		"  -c, --check         validate the policy, print a summary, and exit\n"
		"  -v, --verbose       log every decided flow, not only blocked/logged ones\n"
		"  -h, --help          this text\n"
		"  -V, --version       print the version\n\n"
		"After setup only CAP_NET_ADMIN is kept.  Signals: SIGHUP reloads the\n"
		"policy; SIGTERM/SIGINT stop.\n"
		"Exit status: 0 ok, 1 runtime or policy error, 2 usage error.\n"
		"See peergated(8) and peergate-policy.ini(5).\n");
}

static int check_policy(const struct pg_gateway_options *o)
{
	const char *path = o->policy_path;
	struct pg_diag diag = {0};
	struct pg_policy *p = pg_policy_load_all(path, o->systems_dirs, o->nsystems_dirs,
						 NULL, &diag);
	if (!p) {
		pg_diag_print(&diag, stderr);
		return 1;
	}
	printf("policy OK: %s\n", path);
	pg_policy_print_summary(p, stdout);
	pg_policy_destroy(p);
	return 0;
}

/* What serving the control socket needs besides the gateway. */
struct ctl_server {
	struct pg_gateway *g;
	uid_t daemon_uid;   /* who may reload besides root */
	const struct pg_sdnotify *notify;   /* NULL without a service manager */
};

enum { REQUEST_TIMEOUT_MS = 1000 };

/* A reload framed for the service manager: RELOADING, then READY again
 * whatever the outcome (a refused policy leaves the old one running). */
static int reload_policy(const struct ctl_server *cs, FILE *err)
{
	pg_sdnotify_reloading(cs->notify);
	int rc = pg_gateway_reload(cs->g, err);
	pg_sdnotify_send(cs->notify, rc == 0 ? "READY=1\nSTATUS=policy reloaded"
				     : "READY=1\nSTATUS=reload refused; the previous policy stays in force");
	return rc;
}

static void reply_reload(const struct ctl_server *cs, FILE *out)
{
	char *errs = NULL;
	size_t elen = 0;
	FILE *ef = open_memstream(&errs, &elen);
	int rc = ef ? reload_policy(cs, ef) : -1;
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
}

/* Answers one request: the peer's credentials decide what it may do. */
static void serve_client(const struct ctl_server *cs, int fd)
{
	struct pg_ctl_request req;
	char msg[256];
	char *doc = NULL;
	size_t len = 0;
	uid_t uid;
	pid_t pid;
	FILE *out;

	if (pg_ctl_read_request(fd, REQUEST_TIMEOUT_MS, &req) < 0 ||
	    pg_ctl_peer_cred(fd, &uid, NULL, &pid) < 0)
		return;
	out = open_memstream(&doc, &len);
	if (!out)
		return;
	if (req.status != PG_CTL_REQ_OK) {
		pg_ctl_request_error(&req, msg, sizeof(msg));
		pg_ctl_error_reply(out, msg);
	} else if (!pg_ctl_permitted(req.command, uid, cs->daemon_uid)) {
		snprintf(msg, sizeof(msg), "permission denied: %s needs root or the daemon's "
			 "user (uid %u); you are uid %u", pg_ctl_command_name(req.command),
			 (unsigned)cs->daemon_uid, (unsigned)uid);
		fprintf(stderr, "peergated: %s refused to uid %u (pid %d)\n",
			pg_ctl_command_name(req.command), (unsigned)uid, (int)pid);
		pg_ctl_error_reply(out, msg);
	} else {
		switch (req.command) {
		case PG_CTL_STATS:
			pg_gateway_stats_json(cs->g, out);
			break;
		case PG_CTL_FLOWS:
			pg_gateway_flows_json(cs->g, out);
			break;
		case PG_CTL_PING:
			fprintf(out, "{\"ok\":true,\"version\":\"%s\"}\n", PEERGATE_VERSION);
			break;
		case PG_CTL_RELOAD:
			fprintf(stderr, "peergated: reload asked by uid %u (pid %d)\n",
				(unsigned)uid, (int)pid);
			reply_reload(cs, out);
			break;
		}
	}
	fclose(out);
	pg_ctl_write_all(fd, doc, len);
	free(doc);
}

static uint64_t monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int run(const struct ctl_server *cs, int ctl_fd, int sig_fd)
{
	enum { MAXFD = 20, TICK_MS = 1000 };
	struct pollfd pfd[MAXFD];
	int qfds[16];
	struct pg_gateway *g = cs->g;
	int nq = pg_gateway_fds(g, qfds, 16);
	int watch_fd = pg_gateway_watch_fd(g);
	time_t last_tick = 0;
	/* The watchdog is pinged from this loop only, after the queues were
	 * served: a packet path that hangs or dies stops the pings, and the
	 * service manager restarts the daemon. */
	unsigned watchdog_ms = pg_sdnotify_watchdog_ms(cs->notify);
	int timeout = watchdog_ms && watchdog_ms < TICK_MS ? (int)watchdog_ms : TICK_MS;
	uint64_t last_ping = 0;

	for (;;) {
		int n = 0;
		for (int i = 0; i < nq; i++)
			pfd[n++] = (struct pollfd){.fd = qfds[i], .events = POLLIN};
		pfd[n++] = (struct pollfd){.fd = sig_fd, .events = POLLIN};
		if (ctl_fd >= 0)
			pfd[n++] = (struct pollfd){.fd = ctl_fd, .events = POLLIN};
		if (watch_fd >= 0)
			pfd[n++] = (struct pollfd){.fd = watch_fd, .events = POLLIN};
		int rc = poll(pfd, (nfds_t)n, timeout);
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
					reload_policy(cs, stderr);
				else
					return 0;
			} else if (pfd[i].fd == watch_fd) {
				pg_gateway_watch_events(g);
			} else {
				int c = accept4(ctl_fd, NULL, NULL, SOCK_CLOEXEC);
				if (c >= 0) {
					serve_client(cs, c);
					close(c);
				}
			}
		}
		time_t now = time(NULL);
		if (now != last_tick) {
			last_tick = now;
			pg_gateway_tick(g);
		}
		if (watchdog_ms && monotonic_ms() - last_ping >= watchdog_ms) {
			pg_sdnotify_send(cs->notify, "WATCHDOG=1");
			last_ping = monotonic_ms();
		}
	}
}

/* The group the control socket goes to: the named one; without a name,
 * peergate when it exists, else the daemon's own group. */
static int socket_group(const char *name, const struct pg_identity *self, gid_t *gid)
{
	if (pg_group_lookup(name ? name : DEFAULT_SOCKET_GROUP, gid) == 0)
		return 0;
	if (name) {
		fprintf(stderr, "peergated: --socket-group %s: no such group\n", name);
		return -1;
	}
	*gid = self->gid;
	fprintf(stderr, "peergated: no group '%s'; the control socket goes to the daemon's "
		"own group (gid %u)\n", DEFAULT_SOCKET_GROUP, (unsigned)self->gid);
	return 0;
}

/* What the command line asked for. */
struct daemon_args {
	struct pg_gateway_options o;
	const char *socket_path;
	const char *group_name, *user_name;
	bool keep_rules, check;
	char state_buf[4096];   /* the default state path, when built */
	const char *systems_dirs[PG_SYSTEMS_DIRS_MAX];
	char systems_buf[4096]; /* $PEERGATE_SYSTEMS_DIRS, split */
};

/* Fills a from the command line: -1 to go on, else the exit status for a
 * run that ends here (help, version, usage error). */
static int parse_args(int argc, char **argv, struct daemon_args *a)
{
	int c;

	while ((c = getopt_long(argc, argv, "p:d:s:S:g:u:kncvhV", options, NULL)) != -1) {
		switch (c) {
		case 'p': a->o.policy_path = optarg; break;
		case 'd':
			if (a->o.nsystems_dirs == PG_SYSTEMS_DIRS_MAX) {
				fprintf(stderr, "peergated: at most %d --systems\n",
					PG_SYSTEMS_DIRS_MAX);
				return EXIT_USAGE;
			}
			a->systems_dirs[a->o.nsystems_dirs++] = optarg;
			break;
		case 's': a->socket_path = optarg; break;
		case 'g': a->group_name = optarg; break;
		case 'u': a->user_name = optarg; break;
		case 'S': a->o.state_path = optarg; break;
		case 'k': a->keep_rules = true; break;
		case 'n': a->o.manage_rules = false; break;
		case 'c': a->check = true; break;
		case 'v': a->o.verbose = true; break;
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
	return -1;
}

/* Without --state, the flows are saved beside the socket: its directory
 * is the runtime directory the daemon can still write to at exit. */
static void default_state_path(struct daemon_args *a)
{
	const char *slash = strrchr(a->socket_path, '/');
	int dirlen = slash ? (int)(slash - a->socket_path) : 1;

	if (a->o.state_path)
		return;
	snprintf(a->state_buf, sizeof(a->state_buf), "%.*s/flows.state", dirlen,
		 slash ? a->socket_path : ".");
	a->o.state_path = a->state_buf;
}

/* Who the daemon will be and the group of its socket, settled before
 * anything is created. */
static int settle_identity(const struct daemon_args *a, struct pg_identity *self,
			   gid_t *sock_gid)
{
	char err[512];

	if (!a->user_name)
		pg_identity_current(self);
	else if (pg_identity_of_user(a->user_name, self, err, sizeof(err)) < 0) {
		fprintf(stderr, "peergated: --user: %s\n", err);
		return -1;
	}
	return socket_group(a->group_name, self, sock_gid);
}

/* The signals the loop serves, as a descriptor: blocked for delivery so
 * that they only arrive there.  SIGPIPE is ignored, a client that goes
 * away must not end the daemon. */
static int open_signal_fd(void)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	int fd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (fd < 0)
		perror("peergated: signalfd");
	return fd;
}

/* Everything that needed more than CAP_NET_ADMIN is done: queues bound,
 * table applied, socket bound and given away, netlink sockets open.
 * Reloads, verdicts, set updates and ct marks need only it. */
static int go_live(const struct daemon_args *a, const struct pg_identity *self,
		   struct pg_sdnotify *notify)
{
	char err[512];

	if (pg_privileges_drop(a->user_name ? self : NULL, err, sizeof(err)) < 0) {
		fprintf(stderr, "peergated: cannot drop privileges: %s\n", err);
		return -1;
	}
	pg_privileges_describe(err, sizeof(err));
	fprintf(stderr, "peergated: running as %s\n", err);
	fprintf(stderr, "peergated: ready; control socket %s\n", a->socket_path);
	/* Only now: the table is applied and the queues are bound, so a
	 * unit ordered after this one finds the gateway in place. */
	if (pg_sdnotify_send(notify, "READY=1\nSTATUS=gateway running") < 0)
		fprintf(stderr, "peergated: cannot notify the service manager: %s\n",
			strerror(errno));
	return 0;
}

int main(int argc, char **argv)
{
	struct daemon_args a = {
		.o = {.policy_path = DEFAULT_POLICY, .manage_rules = true},
		.socket_path = PG_CTL_DEFAULT_SOCKET,
	};
	int ret = parse_args(argc, argv, &a), sig_fd = -1;
	struct pg_ctl_listener *ctl = NULL;
	struct pg_gateway *g = NULL;
	struct pg_sdnotify *notify = NULL;
	struct pg_identity self;
	gid_t sock_gid;
	char err[512];

	if (ret >= 0)
		return ret;
	if (!a.o.nsystems_dirs)
		a.o.nsystems_dirs = pg_systems_default_dirs(a.systems_dirs, PG_SYSTEMS_DIRS_MAX,
							    a.systems_buf, sizeof(a.systems_buf));
	a.o.systems_dirs = a.systems_dirs;
	if (a.check)
		return check_policy(&a.o);
	ret = 1;
	default_state_path(&a);
	if (settle_identity(&a, &self, &sock_gid) < 0)
		goto out;
	notify = pg_sdnotify_open(err, sizeof(err));
	if (!notify && err[0])
		fprintf(stderr, "peergated: no service manager notifications: %s\n", err);
	sig_fd = open_signal_fd();
	if (sig_fd < 0)
		goto out;
	ctl = pg_ctl_listener_open(a.socket_path, self.uid, sock_gid, err, sizeof(err));
	if (!ctl) {
		fprintf(stderr, "peergated: %s\n", err);
		goto out;
	}
	g = pg_gateway_open(&a.o);
	if (!g || go_live(&a, &self, notify) < 0)
		goto out;
	struct ctl_server cs = {.g = g, .daemon_uid = geteuid(), .notify = notify};
	ret = run(&cs, pg_ctl_listener_fd(ctl), sig_fd);
	pg_sdnotify_send(notify, "STOPPING=1");
	fprintf(stderr, "peergated: stopping%s\n", a.keep_rules ? " (table kept)" : "");
out:
	pg_gateway_close(g, a.keep_rules);
	if (pg_ctl_listener_close(ctl) < 0)
		fprintf(stderr, "peergated: cannot remove %s: %s\n", a.socket_path,
			strerror(errno));
	if (sig_fd >= 0)
		close(sig_fd);
	pg_sdnotify_close(notify);
	return ret;
}
