/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * peergated: the verdict engine.  Runs in the foreground: binds the queues,
 * applies the nftables table, answers the control socket, reloads the
 * policy on SIGHUP or `peergatectl reload`, and removes the table on exit.
 * One worker thread per queue serves the packets; this (main) thread is
 * the control thread: signals, the control socket, reloads.
 * Under systemd (Type=notify) it reports READY once the table and the
 * queues are in place, RELOADING/READY around reloads, STOPPING at exit,
 * and pings the watchdog while every worker is alive.
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

#include "ctlclients.h"
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
/* Long options without a short form. */
enum { OPT_LOG_LEVEL = 256, OPT_LOG_TARGET };

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
	{"log-level", required_argument, NULL, OPT_LOG_LEVEL},
	{"log-target", required_argument, NULL, OPT_LOG_TARGET},
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
		"                      (the same as --log-level debug)\n"
		"      --log-level LEVEL\n"
		"                      err, warning, notice (blocked flows), info (logged\n"
		"                      flows, default) or debug (allowed flows)\n"
		"      --log-target TARGET\n"
		"                      syslog, stderr, both, or auto (default: syslog, and\n"
		"                      stderr too unless stderr is the journal)\n"
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
	struct pg_log *log;
};

/* A client has this long to send its request line, and this long to take
 * its answer; at most MAX_CLIENTS are served at once (more wait in the
 * listen backlog). */
enum { REQUEST_TIMEOUT_MS = 2000, REPLY_TIMEOUT_MS = 10000, MAX_CLIENTS = 16 };

/* A reload framed for the service manager: RELOADING, then READY again
 * whatever the outcome (a refused policy leaves the old one running).  The
 * errors, one per line, are logged and left in *errs (to free) for the
 * requester. */
static int reload_policy(const struct ctl_server *cs, char **errs)
{
	size_t elen = 0;
	FILE *ef = open_memstream(errs, &elen);
	int rc = -1;

	if (!ef) {
		pg_log(cs->log, LOG_ERR, PG_LOG_EVENT, "reload: out of memory");
		return -1;
	}
	pg_sdnotify_reloading(cs->notify);
	rc = pg_gateway_reload(cs->g, ef);
	fclose(ef);
	pg_log_lines(cs->log, LOG_ERR, PG_LOG_EVENT, *errs);
	pg_sdnotify_send(cs->notify, rc == 0 ? "READY=1\nSTATUS=policy reloaded"
				     : "READY=1\nSTATUS=reload refused; the previous policy stays in force");
	return rc;
}

static void reply_reload(const struct ctl_server *cs, FILE *out)
{
	char *errs = NULL;
	int rc = reload_policy(cs, &errs);

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
static void answer_client(void *ctx, int fd, const struct pg_ctl_request *req, FILE *out)
{
	const struct ctl_server *cs = ctx;
	char msg[256];
	uid_t uid;
	pid_t pid;

	if (pg_ctl_peer_cred(fd, &uid, NULL, &pid) < 0) {
		pg_ctl_error_reply(out, "cannot read the peer's credentials");
		return;
	}
	if (req->status != PG_CTL_REQ_OK) {
		pg_ctl_request_error(req, msg, sizeof(msg));
		pg_ctl_error_reply(out, msg);
	} else if (!pg_ctl_permitted(req->command, uid, cs->daemon_uid)) {
		snprintf(msg, sizeof(msg), "permission denied: %s needs root or the daemon's "
			 "user (uid %u); you are uid %u", pg_ctl_command_name(req->command),
			 (unsigned)cs->daemon_uid, (unsigned)uid);
		pg_log(cs->log, LOG_WARNING, PG_LOG_EVENT, "%s refused to uid %u (pid %d)",
		       pg_ctl_command_name(req->command), (unsigned)uid, (int)pid);
		pg_ctl_error_reply(out, msg);
	} else {
		switch (req->command) {
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
			pg_log(cs->log, LOG_NOTICE, PG_LOG_EVENT, "reload asked by uid %u (pid %d)",
			       (unsigned)uid, (int)pid);
			reply_reload(cs, out);
			break;
		}
	}
}

static uint64_t monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The control thread's loop state.  The packets never come here: the
 * workers serve them, so nothing this loop does (a slow client, a reload,
 * a large flows answer) holds a packet. */
struct control {
	const struct ctl_server *cs;
	struct pg_ctl_clients *clients;
	int ctl_fd, sig_fd;
	bool done;
	int status;                  /* the exit status once done */
};

/* One descriptor the loop watches besides the clients, and what to do
 * when it is ready.  A new source (a table watch, ...) is one more entry
 * in control_fds() below. */
struct control_fd {
	int fd;
	short events;
	void (*ready)(struct control *c, short revents);
};

static void on_signal(struct control *c, short revents)
{
	struct signalfd_siginfo si;

	if (read(c->sig_fd, &si, sizeof(si)) != sizeof(si))
		return;
	if (si.ssi_signo == SIGHUP) {
		char *errs = NULL;
		reload_policy(c->cs, &errs);
		free(errs);
	} else {
		c->done = true;
		c->status = 0;
	}
}

static void on_listener(struct control *c, short revents)
{
	int fd = accept4(c->ctl_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd >= 0)
		pg_ctl_clients_add(c->clients, fd, monotonic_ms());
}

static void on_worker_event(struct control *c, short revents)
{
	uint64_t v;

	if (read(pg_gateway_event_fd(c->cs->g), &v, sizeof(v)) < 0 && errno != EAGAIN)
		return;
	if (pg_gateway_failed(c->cs->g)) {
		pg_log(c->cs->log, LOG_ERR, PG_LOG_EVENT, "a worker stopped on a queue socket "
		       "failure");
		c->done = true;
		c->status = 1;
	}
}

/* The nftables events: another program deleted or flushed the table. */
static void on_table_event(struct control *c, short revents)
{
	pg_gateway_watch_events(c->cs->g);
}

/* The fixed sources; returns how many.  The listener is left out while
 * the clients are at their cap, so that further clients wait in the
 * backlog instead of taking memory. */
static int control_fds(const struct control *c, struct control_fd *v)
{
	int n = 0;

	v[n++] = (struct control_fd){c->sig_fd, POLLIN, on_signal};
	v[n++] = (struct control_fd){pg_gateway_event_fd(c->cs->g), POLLIN, on_worker_event};
	if (pg_gateway_watch_fd(c->cs->g) >= 0)
		v[n++] = (struct control_fd){pg_gateway_watch_fd(c->cs->g), POLLIN, on_table_event};
	if (c->ctl_fd >= 0 && !pg_ctl_clients_full(c->clients))
		v[n++] = (struct control_fd){c->ctl_fd, POLLIN, on_listener};
	return n;
}

static int run(const struct ctl_server *cs, int ctl_fd, int sig_fd)
{
	enum { MAX_FIXED = 8, TICK_MS = 1000 };
	struct pollfd pfd[MAX_FIXED + MAX_CLIENTS];
	struct control_fd fixed[MAX_FIXED];
	struct pg_ctl_clients_config cc = {
		.max_clients = MAX_CLIENTS, .request_ms = REQUEST_TIMEOUT_MS,
		.reply_ms = REPLY_TIMEOUT_MS, .answer = answer_client, .ctx = (void *)cs,
	};
	struct control c = {.cs = cs, .ctl_fd = ctl_fd, .sig_fd = sig_fd,
			    .clients = pg_ctl_clients_create(&cc)};
	/* WATCHDOG=1 only while every worker turns its loop: a worker that
	 * hangs or dies stops the pings, and the service manager restarts
	 * the daemon. */
	unsigned watchdog_ms = pg_sdnotify_watchdog_ms(cs->notify);
	uint64_t last_tick = monotonic_ms(), last_ping = 0;

	if (!c.clients) {
		pg_log(cs->log, LOG_ERR, PG_LOG_EVENT, "out of memory");
		return 1;
	}
	while (!c.done) {
		int nf = control_fds(&c, fixed);
		for (int i = 0; i < nf; i++)
			pfd[i] = (struct pollfd){.fd = fixed[i].fd, .events = fixed[i].events};
		int ncl = pg_ctl_clients_pollfds(c.clients, pfd + nf, MAX_CLIENTS);
		uint64_t now = monotonic_ms();
		int timeout = TICK_MS;
		int next = pg_ctl_clients_next_ms(c.clients, now);
		if (next >= 0 && next < timeout)
			timeout = next;
		if (watchdog_ms && (int)watchdog_ms < timeout)
			timeout = (int)watchdog_ms;
		int rc = poll(pfd, (nfds_t)(nf + ncl), timeout);
		if (rc < 0 && errno != EINTR) {
			pg_log(cs->log, LOG_ERR, PG_LOG_EVENT, "poll: %s", strerror(errno));
			c.status = 1;
			break;
		}
		for (int i = 0; rc > 0 && i < nf && !c.done; i++) {
			if (pfd[i].revents)
				fixed[i].ready(&c, pfd[i].revents);
		}
		now = monotonic_ms();
		pg_ctl_clients_serve(c.clients, pfd + nf, rc > 0 ? ncl : 0, now);
		if (now - last_tick >= TICK_MS) {
			last_tick = now;
			pg_gateway_tick(cs->g);
		}
		if (watchdog_ms && now - last_ping >= watchdog_ms) {
			last_ping = now;
			if (pg_gateway_alive(cs->g))
				pg_sdnotify_send(cs->notify, "WATCHDOG=1");
		}
	}
	pg_ctl_clients_destroy(c.clients);
	return c.status;
}

/* The group the control socket goes to: the named one; without a name,
 * peergate when it exists, else the daemon's own group. */
static int socket_group(struct pg_log *log, const char *name, const struct pg_identity *self,
			gid_t *gid)
{
	if (pg_group_lookup(name ? name : DEFAULT_SOCKET_GROUP, gid) == 0)
		return 0;
	if (name) {
		pg_log(log, LOG_ERR, PG_LOG_EVENT, "--socket-group %s: no such group", name);
		return -1;
	}
	*gid = self->gid;
	pg_log(log, LOG_WARNING, PG_LOG_EVENT, "no group '%s'; the control socket goes to the "
	       "daemon's own group (gid %u)", DEFAULT_SOCKET_GROUP, (unsigned)self->gid);
	return 0;
}

/* What the command line asked for. */
struct daemon_args {
	struct pg_gateway_options o;
	const char *socket_path;
	const char *group_name, *user_name;
	bool keep_rules, check;
	struct pg_log_config log;
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
		case 'v': a->log.level = LOG_DEBUG; break;
		case OPT_LOG_LEVEL:
			a->log.level = pg_log_level_parse(optarg);
			if (a->log.level < 0) {
				fprintf(stderr, "peergated: --log-level %s: expected err, warning, "
					"notice, info or debug\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_LOG_TARGET: {
			int t = pg_log_target_parse(optarg);
			if (t < 0) {
				fprintf(stderr, "peergated: --log-target %s: expected syslog, stderr, "
					"both or auto\n", optarg);
				return EXIT_USAGE;
			}
			a->log.target = (enum pg_log_target)t;
			break;
		}
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
		pg_log(a->o.log, LOG_ERR, PG_LOG_EVENT, "--user: %s", err);
		return -1;
	}
	return socket_group(a->o.log, a->group_name, self, sock_gid);
}

/* The signals the loop serves, as a descriptor: blocked for delivery so
 * that they only arrive there.  SIGPIPE is ignored, a client that goes
 * away must not end the daemon. */
static int open_signal_fd(struct pg_log *log)
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
		pg_log(log, LOG_ERR, PG_LOG_EVENT, "signalfd: %s", strerror(errno));
	return fd;
}

/* Everything that needed more than CAP_NET_ADMIN is done: queues bound,
 * table applied, socket bound and given away, netlink sockets open.
 * Reloads, verdicts, set updates and ct marks need only it. */
static int go_live(const struct daemon_args *a, const struct pg_identity *self,
		   struct pg_gateway *g, struct pg_sdnotify *notify)
{
	char err[512];

	if (pg_privileges_drop(a->user_name ? self : NULL, err, sizeof(err)) < 0) {
		pg_log(a->o.log, LOG_ERR, PG_LOG_EVENT, "cannot drop privileges: %s", err);
		return -1;
	}
	/* After the drop: capabilities are per thread, and the workers
	 * inherit this thread's. */
	if (pg_gateway_start(g) < 0)
		return -1;
	pg_privileges_describe(err, sizeof(err));
	pg_log(a->o.log, LOG_INFO, PG_LOG_EVENT, "running as %s", err);
	pg_log(a->o.log, LOG_NOTICE, PG_LOG_EVENT, "ready; control socket %s", a->socket_path);
	/* Only now: the table is applied and the queues are bound, so a
	 * unit ordered after this one finds the gateway in place. */
	if (pg_sdnotify_send(notify, "READY=1\nSTATUS=gateway running") < 0)
		pg_log(a->o.log, LOG_WARNING, PG_LOG_EVENT, "cannot notify the service manager: %s",
		       strerror(errno));
	return 0;
}

int main(int argc, char **argv)
{
	struct daemon_args a = {
		.o = {.policy_path = DEFAULT_POLICY, .manage_rules = true},
		.socket_path = PG_CTL_DEFAULT_SOCKET,
		.log = {.ident = "peergated", .level = LOG_INFO, .target = PG_LOG_TARGET_AUTO,
			.flow_rate = 20},
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
	a.o.log = pg_log_open(&a.log);
	if (!a.o.log) {
		fprintf(stderr, "peergated: out of memory\n");
		goto out;
	}
	default_state_path(&a);
	if (settle_identity(&a, &self, &sock_gid) < 0)
		goto out;
	notify = pg_sdnotify_open(err, sizeof(err));
	if (!notify && err[0])
		pg_log(a.o.log, LOG_WARNING, PG_LOG_EVENT, "no service manager notifications: %s",
		       err);
	sig_fd = open_signal_fd(a.o.log);
	if (sig_fd < 0)
		goto out;
	ctl = pg_ctl_listener_open(a.socket_path, self.uid, sock_gid, err, sizeof(err));
	if (!ctl) {
		pg_log(a.o.log, LOG_ERR, PG_LOG_EVENT, "%s", err);
		goto out;
	}
	g = pg_gateway_open(&a.o);
	if (!g || go_live(&a, &self, g, notify) < 0)
		goto out;
	struct ctl_server cs = {.g = g, .daemon_uid = geteuid(), .notify = notify,
				.log = a.o.log};
	ret = run(&cs, pg_ctl_listener_fd(ctl), sig_fd);
	pg_sdnotify_send(notify, "STOPPING=1");
	pg_log(a.o.log, LOG_NOTICE, PG_LOG_EVENT, "stopping%s",
	       a.keep_rules ? " (table kept)" : "");
out:
	pg_gateway_close(g, a.keep_rules);
	if (pg_ctl_listener_close(ctl) < 0)
		pg_log(a.o.log, LOG_WARNING, PG_LOG_EVENT, "cannot remove %s: %s", a.socket_path,
		       strerror(errno));
	if (sig_fd >= 0)
		close(sig_fd);
	pg_sdnotify_close(notify);
	pg_log_close(a.o.log);
	return ret;
}
