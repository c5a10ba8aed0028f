/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * peergatectl classify: feed capture files through the same engine the
 * daemon uses, with the capture's own clock, and report every flow.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peergate/capture.h"
#include "commands.h"
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
	uint64_t flows, packets, bytes, dropped_flows;
};

struct classify_opts {
	bool json;
	bool quiet;
	bool verdicts;                  /* --policy given: print verdicts */
	const struct pg_policy *policy; /* engine settings (and verdicts) */
};

static const char *verdict_of(const struct classify_opts *o, const struct pg_flow *f);

static void count_flow(const struct classify_opts *o, struct totals sys_totals[PG_SYS_COUNT],
		       const struct pg_flow *f)
{
	struct totals *t = &sys_totals[f->system < PG_SYS_COUNT ? f->system : 0];
	t->flows++;
	t->packets += (uint64_t)f->packets[0] + f->packets[1];
	t->bytes += f->bytes[0] + f->bytes[1];
	if (o->verdicts && !strcmp(verdict_of(o, f), "drop"))
		t->dropped_flows++;
}

static void keep_flow(const struct pg_flow *flow, void *ctx)
{
	struct flow_list *l = ctx;
	if (l->totals) {
		count_flow(l->opts, l->totals, flow);
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

/* The verdict the gateway would give, from the daemon's own logic: a
 * blocked flow's packets are dropped (or answered by a reset); all others,
 * those still under inspection when the flow ended included, accepted. */
static const char *verdict_of(const struct classify_opts *o, const struct pg_flow *f)
{
	struct pg_flow_verdict v = pg_flow_verdict_of(o->policy, f);
	return pg_flow_verdict_blocks(&v) ? "drop" : "accept";
}

static void print_flow(const struct classify_opts *o, const char *file,
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
		printf("{\"file\":");
		pg_json_string(stdout, file);
		printf(",\"l4\":\"%s\",\"client\":\"%s\",\"server\":\"%s\","
		       "\"system\":\"%s\",\"feature\":\"%s\",\"method\":\"%s\","
		       "\"confidence\":%u,\"packets\":%llu,\"bytes\":%llu,"
		       "\"packets_c2s\":%u,\"packets_s2c\":%u,\"decided\":%s",
		       l4_name(f->l4proto), client, server, pg_system_name(f->system),
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
		if (o->verdicts)
			printf(",\"verdict\":\"%s\"", verdict_of(o, f));
		printf("}\n");
		return;
	}
	if (o->quiet)
		return;
	char cls[48];
	snprintf(cls, sizeof(cls), "%s/%s", pg_system_name(f->system), pg_feature_name(f->feature));
	printf("  %-3s %-40s %-40s %-26s %-11s %6llu %9llu%s%s%s%s\n", l4_name(f->l4proto),
	       client, server, cls, pg_method_name(f->method),
	       (unsigned long long)packets, (unsigned long long)bytes,
	       o->verdicts ? "  " : "", o->verdicts ? verdict_of(o, f) : "",
	       host[0] ? "  " : "", host);
}

/* An engine set up as the daemon's, that keeps every flow that ends. */
static struct pg_engine *open_engine(const struct classify_opts *o,
				     const struct pg_host_rules *hosts, struct flow_list *flows)
{
	struct pg_engine_config cfg;

	pg_engine_config_from_policy(o->policy, &cfg);
	cfg.detectors = pg_detector_registry();
	cfg.record_hosts = true;
	cfg.on_flow_end = keep_flow;
	cfg.cb_ctx = flows;
	struct pg_engine *e = pg_engine_create(&cfg, hosts);
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
		print_flow(o, path, &k->flow, k->host);
		count_flow(o, sys_totals, &k->flow);
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
	struct capture *cap = capture_open(path, err, sizeof(err));

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
	       "packets", "bytes", o->verdicts ? "  dropped-flows" : "");
	for (int s = 0; s < PG_SYS_COUNT; s++) {
		if (!t[s].flows)
			continue;
		printf("  %-12s %8llu %10llu %12llu", pg_system_name(s),
		       (unsigned long long)t[s].flows, (unsigned long long)t[s].packets,
		       (unsigned long long)t[s].bytes);
		if (o->verdicts)
			printf("  %13llu", (unsigned long long)t[s].dropped_flows);
		printf("%s\n", pg_system_is_policed(s) ? "  (IM/P2P)" : "");
	}
}

static void classify_usage(FILE *out)
{
	fprintf(out,
		"Usage: peergatectl classify [--policy FILE] [--json] [--quiet] PCAP...\n"
		"  Classifies every flow of the capture files (pcap or pcapng; Ethernet,\n"
		"  Linux cooked, BSD loopback or raw IP) with the daemon's engine.\n"
		"  --policy FILE  also print the verdict the policy gives each flow\n"
		"  --json         one JSON object per flow, one per line\n"
		"  --quiet        only the per-system summary\n");
}

int cmd_classify(int argc, char **argv)
{
	static const struct option options[] = {
		{"policy", required_argument, NULL, 'p'},
		{"json", no_argument, NULL, 'j'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct classify_opts o = {0};
	const char *policy_path = NULL;
	struct pg_policy *policy = NULL;
	struct pg_host_rules *hosts = NULL;
	int ret = PG_EXIT_FAILURE, c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "p:jqh", options, NULL)) != -1) {
		switch (c) {
		case 'p':
			policy_path = optarg;
			break;
		case 'j':
			o.json = true;
			break;
		case 'q':
			o.quiet = true;
			break;
		case 'h':
			classify_usage(stdout);
			return PG_EXIT_OK;
		default:
			classify_usage(stderr);
			return PG_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "peergatectl classify: no capture file given\n");
		classify_usage(stderr);
		return PG_EXIT_USAGE;
	}
	if (policy_path) {
		struct pg_diag diag = {0};
		policy = pg_policy_load_file(policy_path, &diag);
		if (!policy) {
			pg_diag_print(&diag, stderr);
			return PG_EXIT_FAILURE;
		}
		o.verdicts = true;
	} else {
		policy = pg_policy_default();
		if (!policy)
			goto out;
	}
	o.policy = policy;
	hosts = pg_host_rules_for_policy(policy);
	if (!hosts) {
		fprintf(stderr, "peergatectl: out of memory\n");
		goto out;
	}

	struct totals totals[PG_SYS_COUNT];
	memset(totals, 0, sizeof(totals));
	unsigned failed = 0;
	for (int i = optind; i < argc; i++)
		if (classify_file(&o, argv[i], hosts, totals) != 0)
			failed++;
	if (!o.json)
		print_summary(&o, totals);
	ret = failed ? PG_EXIT_FAILURE : PG_EXIT_OK;
out:
	pg_host_rules_destroy(hosts);
	pg_policy_destroy(policy);
	return ret;
}
