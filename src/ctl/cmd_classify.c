/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * peergatectl classify: feed capture files (or standard input) through the
 * same engine the daemon uses, with the capture's own clock, and report
 * every flow; or, with -i, read an interface live and report each flow as
 * it is decided: the audit mode, which enforces nothing.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "peergate/capture.h"
#include "commands.h"
#include "peergate/paths.h"
#include "peergate/engine.h"
#include "peergate/engine_policy.h"
#include "peergate/hosts.h"
#include "peergate/json.h"
#include "peergate/linklayer.h"
#include "peergate/policy.h"
#include "peergate/verdict.h"
#include "peergate/detect_registry.h"

struct kept_flow {
	struct pg_flow flow;
	char host[64];
};

struct flow_list {
	struct kept_flow *items;
	size_t count, cap;
	bool oom;
	const struct pg_engine *engine;
	/* Set when only the per-system summary is printed: each flow goes
	 * into the totals as it ends and is not kept. */
	struct totals *totals;
	const struct classify_opts *opts;
};

struct totals {
	uint64_t flows, packets, bytes, blocked_flows;
};

struct classify_opts {
	bool json;
	bool quiet;
	bool actions;                   /* --policy given: print actions */
	const struct pg_policy *policy; /* engine settings (and actions) */
};

static bool blocks(const struct classify_opts *o, const struct pg_flow *f);

/* Adds an ended flow to its system's totals. */
static void add_totals(const struct classify_opts *o, const struct pg_flow *f,
		       struct totals sys_totals[PG_SYS_COUNT])
{
	struct totals *t = &sys_totals[f->system < PG_SYS_COUNT ? f->system : 0];

	t->flows++;
	t->packets += (uint64_t)f->packets[0] + f->packets[1];
	t->bytes += f->bytes[0] + f->bytes[1];
	if (o->actions && blocks(o, f))
		t->blocked_flows++;
}

static void keep_flow(const struct pg_flow *flow, void *ctx)
{
	struct flow_list *l = ctx;
	if (l->totals) {
		add_totals(l->opts, flow, l->totals);
		return;
	}
	if (l->count == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		struct kept_flow *n = realloc(l->items, cap * sizeof(*n));
		if (!n) {
			l->oom = true;
			return;
		}
		l->items = n;
		l->cap = cap;
	}
	struct kept_flow *k = &l->items[l->count++];
	k->flow = *flow;
	const char *host = pg_engine_flow_host(l->engine, flow);
	size_t n = strnlen(host, sizeof(k->host) - 1);
	memcpy(k->host, host, n);
	k->host[n] = '\0';
}

/* The kept flows in the order they began: flow ids count from 1 in each
 * engine, so a table by id orders them in one pass, where sorting the
 * (large) kept entries would cost more than classifying the capture.
 * NULL when out of memory. */
static uint32_t *order_by_id(const struct flow_list *l, size_t *n)
{
	uint32_t max_id = 0;
	for (size_t i = 0; i < l->count; i++)
		if (l->items[i].flow.id > max_id)
			max_id = l->items[i].flow.id;
	uint32_t *at = calloc(max_id ? max_id : 1, sizeof(*at));
	if (!at)
		return NULL;
	for (size_t i = 0; i < l->count; i++)
		if (l->items[i].flow.id)
			at[l->items[i].flow.id - 1] = (uint32_t)i + 1;
	*n = max_id;
	return at; /* index + 1 into items; 0 where no flow has the id */
}

static const char *l4_name(uint8_t proto)
{
	return proto == 6 ? "tcp" : "udp";
}

/* The policy's action for the flow as the gateway would apply it, from
 * the daemon's own logic: block, allow or log (a flow still under
 * inspection when it ended is allowed: the gateway never stamped it; an
 * [exceptions] allow prefix turns a block into allow). */
static const char *action_of(const struct classify_opts *o, const struct pg_flow *f)
{
	return pg_action_name(pg_flow_verdict_of(o->policy, f).action);
}

static bool blocks(const struct classify_opts *o, const struct pg_flow *f)
{
	struct pg_flow_verdict v = pg_flow_verdict_of(o->policy, f);
	return pg_flow_verdict_blocks(&v);
}

/* One flow; source names the capture file ("-" for standard input), or
 * the interface when live. */
static void print_flow(const struct classify_opts *o, const char *source, bool live,
		       const struct pg_flow *f, const char *host)
{
	if (o->quiet && !o->json)
		return;
	char client[64], server[64];
	pg_format_endpoint(f->family, f->client_addr, f->client_port, client, sizeof(client));
	pg_format_endpoint(f->family, f->server_addr, f->server_port, server, sizeof(server));
	uint64_t packets = (uint64_t)f->packets[0] + f->packets[1];
	uint64_t bytes = f->bytes[0] + f->bytes[1];

	if (o->json) {
		printf("{\"%s\":", live ? "interface" : "file");
		pg_json_string(stdout, source);
		printf(",\"l4\":\"%s\",\"client\":\"%s\",\"server\":\"%s\","
		       "\"system\":\"%s\",\"feature\":\"%s\",\"method\":\"%s\","
		       "\"confidence\":%u,\"packets\":%llu,\"bytes\":%llu,"
		       "\"packets_c2s\":%u,\"packets_s2c\":%u,\"decided\":%s",
		       l4_name(f->l4proto), client, server,
		       pg_systems_name(pg_policy_systems(o->policy), f->system),
		       pg_feature_name(f->feature), pg_method_name(f->method),
		       f->confidence, (unsigned long long)packets,
		       (unsigned long long)bytes, f->packets[0], f->packets[1],
		       f->state == PG_FLOW_DECIDED ? "true" : "false");
		if (f->via_proxy)
			printf(",\"via\":\"%s\"", pg_feature_name(f->via_proxy));
		if (host[0]) {
			printf(",\"host\":");
			pg_json_string(stdout, host);
		}
		if (o->actions)
			printf(",\"action\":\"%s\"", action_of(o, f));
		printf("}\n");
		fflush(stdout);
		return;
	}
	if (o->quiet)
		return;
	char cls[48];
	snprintf(cls, sizeof(cls), "%s/%s", pg_systems_name(pg_policy_systems(o->policy), f->system),
		 pg_feature_name(f->feature));
	printf("  %-3s %-40s %-40s %-26s %-11s %6llu %9llu%s%s%s%s\n", l4_name(f->l4proto),
	       client, server, cls, pg_method_name(f->method),
	       (unsigned long long)packets, (unsigned long long)bytes,
	       o->actions ? "  " : "", o->actions ? action_of(o, f) : "",
	       host[0] ? "  " : "", host);
	if (live)
		fflush(stdout);
}

/* An engine set up as the daemon's (the policy's settings, the standard
 * detectors and heuristics, the host each flow named), calling on_end with
 * ctx for every flow that ends: files and live capture alike. */
static struct pg_engine *classify_engine(const struct classify_opts *o,
					 const struct pg_host_rules *hosts,
					 pg_flow_end_cb on_end, void *ctx)
{
	struct pg_engine_config cfg;

	pg_engine_config_from_policy(o->policy, &cfg);
	pg_detect_attach(&cfg);
	cfg.record_hosts = true;
	cfg.on_flow_end = on_end;
	cfg.cb_ctx = ctx;
	return pg_engine_create(&cfg, hosts);
}

/* One that keeps every flow that ends in flows. */
static struct pg_engine *open_engine(const struct classify_opts *o,
				     const struct pg_host_rules *hosts, struct flow_list *flows)
{
	struct pg_engine *e = classify_engine(o, hosts, keep_flow, flows);
	flows->engine = e;
	return e;
}

struct frame_counts {
	uint64_t frames;
	uint64_t skipped;       /* not IP under the link layer */
};

/* Every frame through the engine on the capture's clock, then every flow
 * still open ended, so that each reaches the list.  Fails on a read error. */
static int feed_capture(struct capture *cap, int dlt, struct pg_engine *engine,
			const char *path, struct frame_counts *n)
{
	struct capture_frame fr;
	char err[512];
	int rc;

	while ((rc = capture_next(cap, &fr, err, sizeof(err))) == 1) {
		const uint8_t *ip;
		size_t ip_len;
		struct pg_packet_result r;

		n->frames++;
		if (!pg_link_to_ip(dlt, fr.data, fr.caplen, &ip, &ip_len)) {
			n->skipped++;
			continue;
		}
		pg_engine_packet(engine, ip, ip_len, fr.ts_ms, &r);
		pg_engine_tick(engine, fr.ts_ms);
	}
	if (rc < 0) {
		fprintf(stderr, "peergatectl: %s: read error after %llu frames: %s\n",
			path, (unsigned long long)n->frames, err);
		return -1;
	}
	pg_engine_flush(engine);
	return 0;
}

/* The file's flows in the order they began, each printed and added to the
 * totals of its system.  Fails when out of memory. */
static int report_flows(const struct classify_opts *o, const char *path,
			 const struct pg_engine *engine, struct flow_list *flows,
			 const struct frame_counts *n, struct totals sys_totals[PG_SYS_COUNT])
{
	struct pg_engine_stats st;

	size_t nids = 0;
	uint32_t *order = order_by_id(flows, &nids);
	if (!order) {
		fprintf(stderr, "peergatectl: %s: out of memory\n", path);
		return -1;
	}
	pg_engine_get_stats(engine, &st);
	if (!o->json && !o->quiet)
		printf("%s: %llu frames, %zu flows, %llu malformed, %llu fragments, %llu not IP/TCP/UDP\n",
		       path, (unsigned long long)n->frames, flows->count,
		       (unsigned long long)st.malformed, (unsigned long long)st.fragments,
		       (unsigned long long)(st.not_tracked + n->skipped));
	for (size_t id = 0; id < nids; id++) {
		if (!order[id])
			continue;
		const struct kept_flow *k = &flows->items[order[id] - 1];
		print_flow(o, path, false, &k->flow, k->host);
		add_totals(o, &k->flow, sys_totals);
	}
	free(order);
	return 0;
}

static int classify_file(const struct classify_opts *o, const char *path,
			 const struct pg_host_rules *hosts,
			 struct totals sys_totals[PG_SYS_COUNT])
{
	char err[512];
	int ret = -1;
	struct flow_list flows = {.opts = o};
	struct pg_engine *engine = NULL;
	struct frame_counts n = {0};
	/* "-": standard input, read as it comes */
	struct capture *cap = strcmp(path, "-") ? capture_open(path, err, sizeof(err))
						: capture_open_stream(stdin, err, sizeof(err));

	if (!cap) {
		fprintf(stderr, "peergatectl: %s: %s\n", path, err);
		goto out;
	}
	int dlt = capture_dlt(cap);
	if (!pg_dlt_supported(dlt)) {
		fprintf(stderr, "peergatectl: %s: unsupported link type %d\n", path, dlt);
		goto out;
	}
	if (o->quiet && !o->json)
		flows.totals = sys_totals;
	engine = open_engine(o, hosts, &flows);
	if (!engine) {
		fprintf(stderr, "peergatectl: %s: out of memory\n", path);
		goto out;
	}
	if (feed_capture(cap, dlt, engine, path, &n) < 0)
		goto out;
	if (flows.oom) {
		fprintf(stderr, "peergatectl: %s: out of memory\n", path);
		goto out;
	}
	if (report_flows(o, path, engine, &flows, &n, sys_totals) < 0)
		goto out;
	ret = 0;
out:
	pg_engine_destroy(engine);
	free(flows.items);
	capture_close(cap);
	return ret;
}

static void print_summary(const struct classify_opts *o,
			  const struct totals t[PG_SYS_COUNT])
{
	printf("\nper-system summary:\n  %-12s %8s %10s %12s%s\n", "system", "flows",
	       "packets", "bytes", o->actions ? "  blocked-flows" : "");
	for (int s = 0; s < PG_SYS_COUNT; s++) {
		if (!t[s].flows)
			continue;
		printf("  %-12s %8llu %10llu %12llu",
		       pg_systems_name(pg_policy_systems(o->policy), (enum pg_system)s),
		       (unsigned long long)t[s].flows, (unsigned long long)t[s].packets,
		       (unsigned long long)t[s].bytes);
		if (o->actions)
			printf("  %13llu", (unsigned long long)t[s].blocked_flows);
		printf("%s\n", pg_system_is_policed(s) ? "  (IM/P2P)" : "");
	}
}

/* ---- live: -i IFACE ---- */

struct live_limits {
	uint64_t count;           /* frames to read; 0: no limit */
	uint64_t duration_ms;     /* how long; 0: until SIGINT/SIGTERM */
};

struct live_run {
	const struct classify_opts *o;
	const char *iface;
	struct pg_engine *engine;
	struct totals *sys_totals;
};

/* A flow leaves the table: counted; printed now unless it was printed
 * when it was decided. */
static void live_flow_end(const struct pg_flow *f, void *ctx)
{
	struct live_run *lr = ctx;

	if (f->state != PG_FLOW_DECIDED)
		print_flow(lr->o, lr->iface, true, f, pg_engine_flow_host(lr->engine, f));
	add_totals(lr->o, f, lr->sys_totals);
}

static uint64_t clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* SIGINT and SIGTERM as a descriptor, so that the loop ends cleanly (the
 * summary is printed) without a handler and its global flag. */
static int stop_signal_fd(void)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return -1;
	return signalfd(-1, &mask, SFD_CLOEXEC);
}

/* Reads what is waiting: each frame through the engine on the frame's
 * clock, a flow printed when it is decided.  1: go on; 0: the count is
 * reached; -1: read error. */
static int live_drain(struct live_run *lr, struct capture *cap, int dlt,
		      const struct live_limits *lim, struct frame_counts *n)
{
	struct capture_frame fr;
	char err[512];
	int rc;

	while ((rc = capture_next(cap, &fr, err, sizeof(err))) == 1) {
		const uint8_t *ip;
		size_t ip_len;
		struct pg_packet_result r;

		n->frames++;
		if (!pg_link_to_ip(dlt, fr.data, fr.caplen, &ip, &ip_len)) {
			n->skipped++;
		} else if (pg_engine_packet(lr->engine, ip, ip_len, fr.ts_ms, &r) ==
				   PG_ENGINE_TRACKED && r.just_decided) {
			print_flow(lr->o, lr->iface, true, r.flow,
				   pg_engine_flow_host(lr->engine, r.flow));
		}
		if (lim->count && n->frames >= lim->count)
			return 0;
	}
	if (rc < 0) {
		fprintf(stderr, "peergatectl: %s: %s\n", lr->iface, err);
		return -1;
	}
	return 1;
}

static int classify_live(const struct classify_opts *o, const char *iface,
			 const struct pg_host_rules *hosts, const struct live_limits *lim,
			 struct totals sys_totals[PG_SYS_COUNT])
{
	struct live_run lr = {.o = o, .iface = iface, .sys_totals = sys_totals};
	struct frame_counts n = {0};
	char err[512];
	int ret = -1, sig_fd = stop_signal_fd(), rc = 1;
	struct capture *cap = NULL;
	uint64_t start = clock_ms(CLOCK_MONOTONIC);

	if (sig_fd < 0) {
		fprintf(stderr, "peergatectl: signalfd: %s\n", strerror(errno));
		goto out;
	}
	cap = capture_open_live(iface, err, sizeof(err));
	if (!cap) {
		fprintf(stderr, "peergatectl: %s: %s\n", iface, err);
		goto out;
	}
	int dlt = capture_dlt(cap);
	if (!pg_dlt_supported(dlt)) {
		fprintf(stderr, "peergatectl: %s: unsupported link type %d\n", iface, dlt);
		goto out;
	}
	lr.engine = classify_engine(o, hosts, live_flow_end, &lr);
	if (!lr.engine) {
		fprintf(stderr, "peergatectl: out of memory\n");
		goto out;
	}
	/* On stderr, so that --json output stays one object per line; a
	 * script may wait for this line before it sends traffic. */
	fprintf(stderr, "peergatectl: classifying live traffic on %s (audit: nothing is "
		"blocked); Ctrl-C ends it\n", iface);
	while (rc > 0) {
		struct pollfd pfd[2] = {
			{.fd = capture_fd(cap), .events = POLLIN},
			{.fd = sig_fd, .events = POLLIN},
		};
		int timeout = 1000;
		if (lim->duration_ms) {
			uint64_t spent = clock_ms(CLOCK_MONOTONIC) - start;
			if (spent >= lim->duration_ms)
				break;
			if (lim->duration_ms - spent < (uint64_t)timeout)
				timeout = (int)(lim->duration_ms - spent);
		}
		if (poll(pfd, 2, timeout) < 0 && errno != EINTR) {
			fprintf(stderr, "peergatectl: poll: %s\n", strerror(errno));
			goto out;
		}
		if (pfd[1].revents & POLLIN)
			break;
		rc = live_drain(&lr, cap, dlt, lim, &n);
		/* pcap stamps frames with the wall clock: expiry runs on it */
		pg_engine_tick(lr.engine, clock_ms(CLOCK_REALTIME));
	}
	if (rc < 0)
		goto out;
	pg_engine_flush(lr.engine);
	if (!o->json && !o->quiet)
		printf("%s: %llu frames (%llu not IP)\n", iface, (unsigned long long)n.frames,
		       (unsigned long long)n.skipped);
	ret = 0;
out:
	pg_engine_destroy(lr.engine);
	capture_close(cap);
	if (sig_fd >= 0)
		close(sig_fd);
	return ret;
}

/* A positive count or number of seconds for -c / --duration. */
static bool parse_positive(const char *s, uint64_t *out)
{
	char *end;

	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end || v == 0 || s[0] == '-')
		return false;
	*out = v;
	return true;
}

static void classify_usage(FILE *out)
{
	fprintf(out,
		"Usage: peergatectl classify [--policy FILE] [--systems DIR]... [--json] [--quiet] PCAP...\n"
		"       peergatectl classify [--policy FILE] [--systems DIR]... [--json] [--quiet]\n"
		"                            -i IFACE [--count N] [--duration SECONDS]\n"
		"  Classifies every flow of the capture files (pcap or pcapng; Ethernet,\n"
		"  Linux cooked, BSD loopback or raw IP; '-' reads standard input) with\n"
		"  the daemon's engine, or, with -i, the live traffic of an interface\n"
		"  (audit mode: flows are printed as they are decided, nothing is\n"
		"  blocked; ends on Ctrl-C, after N frames or after SECONDS).\n"
		"  --policy FILE          also print the policy's action for each flow\n"
		"                         (block, allow, log)\n"
		"  --systems DIR          the systems' data files (repeatable; default\n"
		"                         " PG_PATH_SYSTEMS_DIR " then " PG_PATH_SYSTEMS_ETC_DIR ")\n"
		"  --json                 one JSON object per flow, one per line\n"
		"  --quiet                only the per-system summary\n"
		"  -i, --interface IFACE  classify live traffic of IFACE (libpcap)\n"
		"  -c, --count N          with -i: stop after N frames\n"
		"  -d, --duration SECONDS with -i: stop after SECONDS\n");
}

/* Long options without a short form. */
enum { OPT_SYSTEMS = 256 };

/* What the command line asked for. */
struct classify_args {
	struct classify_opts o;
	const char *policy_path, *iface;
	struct live_limits lim;
	struct ctl_systems sys;
};

/* One option into *a: -1 to go on, else the exit status. */
static int classify_option(int c, const char *arg, struct classify_args *a)
{
	uint64_t seconds = 0;

	switch (c) {
	case 'p': a->policy_path = arg; return -1;
	case OPT_SYSTEMS: return ctl_systems_add(&a->sys, arg) ? -1 : PG_EXIT_USAGE;
	case 'j': a->o.json = true; return -1;
	case 'q': a->o.quiet = true; return -1;
	case 'i': a->iface = arg; return -1;
	case 'c':
		if (parse_positive(arg, &a->lim.count))
			return -1;
		fprintf(stderr, "peergatectl classify: --count %s: expected a positive number "
			"of frames\n", arg);
		return PG_EXIT_USAGE;
	case 'd':
		if (parse_positive(arg, &seconds) && seconds <= 86400u * 365) {
			a->lim.duration_ms = seconds * 1000;
			return -1;
		}
		fprintf(stderr, "peergatectl classify: --duration %s: expected a positive number "
			"of seconds\n", arg);
		return PG_EXIT_USAGE;
	case 'h':
		classify_usage(stdout);
		return PG_EXIT_OK;
	default:
		classify_usage(stderr);
		return PG_EXIT_USAGE;
	}
}

/* Fills *a; -1 to go on, else the exit status (help, usage error).
 * optind is left at the first capture file. */
static int classify_args_parse(int argc, char **argv, struct classify_args *a)
{
	static const struct option options[] = {
		{"policy", required_argument, NULL, 'p'},
		/* long only here: -d is --duration for classify */
		{"systems", required_argument, NULL, OPT_SYSTEMS},
		{"json", no_argument, NULL, 'j'},
		{"quiet", no_argument, NULL, 'q'},
		{"interface", required_argument, NULL, 'i'},
		{"count", required_argument, NULL, 'c'},
		{"duration", required_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "p:jqi:c:d:h", options, NULL)) != -1) {
		if ((rc = classify_option(c, optarg, a)) >= 0)
			return rc;
	}
	if (a->iface && optind < argc) {
		fprintf(stderr, "peergatectl classify: -i reads an interface; no capture file "
			"goes with it\n");
		return PG_EXIT_USAGE;
	}
	if (!a->iface && (a->lim.count || a->lim.duration_ms)) {
		fprintf(stderr, "peergatectl classify: --count and --duration go with -i\n");
		return PG_EXIT_USAGE;
	}
	if (!a->iface && optind >= argc) {
		fprintf(stderr, "peergatectl classify: no capture file given\n");
		classify_usage(stderr);
		return PG_EXIT_USAGE;
	}
	return -1;
}

int cmd_classify(int argc, char **argv)
{
	struct classify_args a = {0};
	struct pg_policy *policy = NULL;
	struct pg_host_rules *hosts = NULL;
	int ret = classify_args_parse(argc, argv, &a);

	if (ret >= 0)
		return ret;
	ret = PG_EXIT_FAILURE;
	policy = ctl_policy_load(a.policy_path, &a.sys);
	if (!policy)
		return PG_EXIT_FAILURE;
	a.o.actions = a.policy_path != NULL;
	a.o.policy = policy;
	hosts = pg_host_rules_for_policy(policy);
	if (!hosts) {
		fprintf(stderr, "peergatectl: out of memory\n");
		goto out;
	}

	struct totals totals[PG_SYS_COUNT];
	memset(totals, 0, sizeof(totals));
	unsigned failed = 0;
	if (a.iface && classify_live(&a.o, a.iface, hosts, &a.lim, totals) != 0)
		failed++;
	for (int i = optind; i < argc; i++)
		if (classify_file(&a.o, argv[i], hosts, totals) != 0)
			failed++;
	if (!a.o.json)
		print_summary(&a.o, totals);
	ret = failed ? PG_EXIT_FAILURE : PG_EXIT_OK;
out:
	pg_host_rules_destroy(hosts);
	pg_policy_destroy(policy);
	return ret;
}
