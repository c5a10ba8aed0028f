/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Subcommands that talk to a running peergated over its control socket:
 * stats, flows, reload.  The daemon answers JSON; --json passes it through,
 * otherwise it is rendered as tables.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "jsonread.h"
#include "peergate/ctlsock.h"
#include "stats_views.h"

/* `stats --watch` without SECONDS, and the range it takes. */
#define WATCH_DEFAULT_S 2.0
#define WATCH_MIN_S 0.1
#define WATCH_MAX_S 3600.0

struct daemon_opts {
	const char *socket;
	bool json;
	bool stats;               /* stats: --prometheus and --watch are known */
	bool prometheus;
	double watch_s;           /* 0: no --watch */
};

/* SECONDS of --watch, or -1 when text is not a number in range. */
static double watch_seconds(const char *text)
{
	char *end;
	double v = strtod(text, &end);

	if (end == text || *end || !(v >= WATCH_MIN_S && v <= WATCH_MAX_S))
		return -1;
	return v;
}

static int parse_opts(int argc, char **argv, struct daemon_opts *o, const char *usage)
{
	static const struct option options[] = {
		{"socket", required_argument, NULL, 's'},
		{"json", no_argument, NULL, 'j'},
		{"prometheus", no_argument, NULL, 'P'},
		{"watch", optional_argument, NULL, 'w'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *watch_arg = NULL;
	int c;
	o->socket = PG_CTL_DEFAULT_SOCKET;
	o->json = o->prometheus = false;
	o->watch_s = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "s:jh", options, NULL)) != -1) {
		switch (c) {
		case 's': o->socket = optarg; break;
		case 'j': o->json = true; break;
		case 'P':
			if (!o->stats)
				goto usage;
			o->prometheus = true;
			break;
		case 'w':
			if (!o->stats)
				goto usage;
			o->watch_s = WATCH_DEFAULT_S;
			watch_arg = optarg;
			break;
		case 'h': printf("%s", usage); return 1;
		default: goto usage;
		}
	}
	/* `--watch 5`: the optional SECONDS as a word of its own (getopt
	 * moved it behind the options). */
	if (o->watch_s && !watch_arg && optind == argc - 1 && watch_seconds(argv[optind]) > 0)
		watch_arg = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, "unexpected argument '%s'\n%s", argv[optind], usage);
		return -1;
	}
	if (watch_arg && (o->watch_s = watch_seconds(watch_arg)) < 0) {
		fprintf(stderr, "--watch: SECONDS must be a number from %g to %g, not '%s'\n%s",
			WATCH_MIN_S, WATCH_MAX_S, watch_arg, usage);
		return -1;
	}
	if (o->json + o->prometheus + (o->watch_s > 0) > 1) {
		fprintf(stderr, "--json, --prometheus and --watch exclude each other\n%s", usage);
		return -1;
	}
	return 0;
usage:
	fprintf(stderr, "%s", usage);
	return -1;
}

/* The daemon's refusal of a request (unknown command, not permitted):
 * an object with an "error" member on the reply's first line.  Replies the
 * command produces never carry that member. */
static bool refused(const char *reply, bool json)
{
	size_t n = strcspn(reply, "\n");
	char *first = strndup(reply, n);
	struct pg_jvalue *doc = first ? pg_json_parse(first) : NULL;
	const struct pg_jvalue *e = pg_json_get(doc, "error");
	bool is_error = e && e->type == PG_JSON_STR;
	if (is_error) {
		if (json)
			fputs(reply, stdout);
		fprintf(stderr, "peergatectl: peergated refused: %s\n", e->str);
	}
	pg_json_free(doc);
	free(first);
	return is_error;
}

/* Parses the options and sends cmd.  Returns -1 with *reply set (to free)
 * when the caller goes on, else the exit code (help, usage error, no
 * answer from the daemon, or a refusal, which is printed). */
static int request(int argc, char **argv, const char *usage, const char *cmd,
		   struct daemon_opts *o, char **reply)
{
	char err[512];
	int rc = parse_opts(argc, argv, o, usage);
	if (rc)
		return rc > 0 ? PG_EXIT_OK : PG_EXIT_USAGE;
	if (o->watch_s > 0)
		return pg_stats_watch(o->socket, o->watch_s);
	*reply = pg_ctl_request(o->socket, cmd, err, sizeof(err));
	if (!*reply) {
		fprintf(stderr, "peergatectl: %s\n", err);
		return PG_EXIT_FAILURE;
	}
	if (refused(*reply, o->json)) {
		free(*reply);
		*reply = NULL;
		return PG_EXIT_FAILURE;
	}
	return -1;
}

static void print_stats_table(const struct pg_jvalue *doc)
{
	const struct pg_jvalue *v = pg_json_get(doc, "verdicts");
	printf("%-12s %-18s %7s %7s %12s %12s %14s %14s\n", "system", "feature", "flows",
	       "blocked", "pkts-accept", "pkts-drop", "bytes-accept", "bytes-drop");
	for (size_t i = 0; v && i < v->count; i++) {
		const struct pg_jvalue *r = &v->items[i];
		printf("%-12s %-18s %7.0f %7.0f %12.0f %12.0f %14.0f %14.0f\n",
		       pg_json_str(r, "system"), pg_json_str(r, "feature"),
		       pg_json_num(r, "flows"), pg_json_num(r, "flows_dropped"),
		       pg_json_num(r, "packets_accepted"), pg_json_num(r, "packets_dropped"),
		       pg_json_num(r, "bytes_accepted"), pg_json_num(r, "bytes_dropped"));
	}
	const struct pg_jvalue *e = pg_json_get(doc, "engine");
	printf("\nengine:");
	for (size_t i = 0; e && i < e->count; i++)
		printf("%s %s=%.0f", i % 6 ? "" : "\n ", e->keys[i], e->items[i].num);
	const struct pg_jvalue *rs = pg_json_get(doc, "restart");
	printf("\n\nrestart:");
	for (size_t i = 0; rs && i < rs->count; i++)
		printf(" %s=%.0f", rs->keys[i], rs->items[i].num);
	/* The reassembly pool in one line: a shortage means flows that could
	 * not be inspected (dropped under fail = closed). */
	if (pg_json_get(e, "inspect_slots"))
		printf("\n\ninspection slots: %.0f of %.0f in use, %.0f reclaimed from idle flows; "
		       "starved: %.0f flows, %.0f packets (%.0f dropped, %.0f accepted); "
		       "contradicting segments dropped: %.0f",
		       pg_json_num(e, "inspect_slots_used"), pg_json_num(e, "inspect_slots"),
		       pg_json_num(e, "slot_reclaims"), pg_json_num(e, "starved_flows"),
		       pg_json_num(e, "starved_packets"), pg_json_num(e, "starved_dropped"),
		       pg_json_num(e, "starved_accepted"), pg_json_num(e, "conflicts_dropped"));
	const struct pg_jvalue *k = pg_json_get(doc, "kernel");
	const struct pg_jvalue *present = pg_json_get(k, "present");
	/* What the kernel holds now, as the daemon read it for this answer. */
	if (present && present->type == PG_JSON_BOOL && present->boolean)
		printf("\n\nkernel: table %s present (%.0f chains, %.0f rules), queue %s, "
		       "stamping %s\n", pg_json_str(k, "table"), pg_json_num(k, "chains"),
		       pg_json_num(k, "rules"), pg_json_str(k, "queue"), pg_json_str(k, "stamping"));
	else
		printf("\n\nkernel: table %s MISSING, stamping %s\n", pg_json_str(k, "table"),
		       pg_json_str(k, "stamping"));
	if (pg_json_num(k, "table_reapplied") || pg_json_num(k, "table_reapply_failures")) {
		time_t when = (time_t)pg_json_num(k, "table_last_reapplied");
		char at[32] = "-";
		struct tm tm;

		if (when && localtime_r(&when, &tm))
			strftime(at, sizeof(at), "%Y-%m-%d %H:%M:%S", &tm);
		printf("  re-applied %.0f times after another program removed it (last: %s, at %s); "
		       "%.0f failed attempts\n", pg_json_num(k, "table_reapplied"),
		       pg_json_str(k, "table_last_loss"), at,
		       pg_json_num(k, "table_reapply_failures"));
	}
	if (!pg_json_get(k, "watched") || !pg_json_get(k, "watched")->boolean)
		printf("  not watched: a deleted or flushed table is not put back\n");
	const struct pg_jvalue *kc = pg_json_get(k, "counters");
	for (size_t i = 0; kc && i < kc->count; i++)
		printf("  %-34s %12.0f packets %14.0f bytes\n", pg_json_str(&kc->items[i], "name"),
		       pg_json_num(&kc->items[i], "packets"), pg_json_num(&kc->items[i], "bytes"));
}

int cmd_stats(int argc, char **argv)
{
	struct daemon_opts o = {.stats = true};
	char *reply;
	int rc = request(argc, argv,
		"Usage: peergatectl stats [--json | --prometheus | --watch [SECONDS]] [--socket PATH]\n"
		"  Verdict counters per system and feature, the engine's counters and\n"
		"  the kernel table's counters, from the running peergated.\n"
		"  --json          the daemon's answer as it is\n"
		"  --prometheus    Prometheus text format (node_exporter textfile collector)\n"
		"  --watch [SECONDS]\n"
		"                  redraw every SECONDS (default 2) with rates per second,\n"
		"                  until Ctrl-C\n",
		"stats", &o, &reply);
	if (rc >= 0)
		return rc;
	int ret = PG_EXIT_OK;
	if (o.json) {
		fputs(reply, stdout);
	} else if (o.prometheus) {
		struct pg_jvalue *doc = pg_json_parse(reply);
		if (!doc) {
			fprintf(stderr, "peergatectl: malformed answer from peergated\n");
			ret = PG_EXIT_FAILURE;
		} else {
			pg_stats_prometheus(doc, stdout);
		}
		pg_json_free(doc);
	} else {
		struct pg_jvalue *doc = pg_json_parse(reply);
		if (!doc) {
			fprintf(stderr, "peergatectl: malformed answer from peergated\n");
			ret = PG_EXIT_FAILURE;
		} else {
			print_stats_table(doc);
		}
		pg_json_free(doc);
	}
	free(reply);
	return ret;
}

int cmd_flows(int argc, char **argv)
{
	struct daemon_opts o = {0};
	char *reply;
	int rc = request(argc, argv,
		"Usage: peergatectl flows [--json] [--socket PATH]\n"
		"  The flows peergated tracks now, with class and action.\n",
		"flows", &o, &reply);
	if (rc >= 0)
		return rc;
	if (o.json) {
		fputs(reply, stdout);
		free(reply);
		return PG_EXIT_OK;
	}
	printf("%-3s %-40s %-40s %-26s %-11s %-10s %8s  %s\n", "l4", "client", "server",
	       "system/feature", "method", "action", "packets", "host");
	for (char *line = strtok(reply, "\n"); line; line = strtok(NULL, "\n")) {
		struct pg_jvalue *f = pg_json_parse(line);
		if (!f)
			continue;
		char cls[64];
		snprintf(cls, sizeof(cls), "%s/%s", pg_json_str(f, "system"), pg_json_str(f, "feature"));
		printf("%-3s %-40s %-40s %-26s %-11s %-10s %8.0f  %s\n", pg_json_str(f, "l4"),
		       pg_json_str(f, "client"), pg_json_str(f, "server"), cls,
		       pg_json_str(f, "method"), pg_json_str(f, "action"), pg_json_num(f, "packets"),
		       pg_json_str(f, "host"));
		pg_json_free(f);
	}
	free(reply);
	return PG_EXIT_OK;
}

int cmd_reload(int argc, char **argv)
{
	struct daemon_opts o = {0};
	char *reply;
	int rc = request(argc, argv,
		"Usage: peergatectl reload [--json] [--socket PATH]\n"
		"  Makes peergated re-read its policy file.  On any error the running\n"
		"  policy stays in force and the errors are printed.\n",
		"reload", &o, &reply);
	if (rc >= 0)
		return rc;
	struct pg_jvalue *doc = pg_json_parse(reply);
	const struct pg_jvalue *ok = pg_json_get(doc, "ok");
	bool good = ok && ok->type == PG_JSON_BOOL && ok->boolean;
	if (o.json) {
		fputs(reply, stdout);
	} else if (good) {
		printf("policy reloaded\n");
	} else {
		const struct pg_jvalue *errs = pg_json_get(doc, "errors");
		for (size_t i = 0; errs && i < errs->count; i++)
			fprintf(stderr, "%s\n", errs->items[i].str);
		fprintf(stderr, "reload failed; the previous policy stays in force\n");
	}
	pg_json_free(doc);
	free(reply);
	return good ? PG_EXIT_OK : PG_EXIT_FAILURE;
}
