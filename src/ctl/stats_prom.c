/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `peergatectl stats --prometheus`: the stats document in the Prometheus
 * text exposition format (version 0.0.4).  Each family is written whole,
 * HELP and TYPE first, so that no family is split; label values are
 * escaped as the format says (backslash, double quote, newline).  Members
 * the daemon adds later still appear (engine counters with a generic HELP),
 * so the output never lags behind `stats --json`.
 */
#include <float.h>
#include <stdbool.h>
#include <string.h>

#include "stats_views.h"

/* The engine members that are levels, not running counts. */
static const char *const engine_gauges[] = {
	"flows_tracked", "inspect_slots", "inspect_slots_used",
};

/* HELP texts of the engine members; others get a generic one. */
/* The help line of a member of a stats object. */
struct member_help {
	const char *name, *help;
};

static const struct member_help engine_help[] = {
	{"queued", "Packets received from the queue."},
	{"verdicts", "Verdicts sent back to the kernel."},
	{"verdict_errors", "Verdicts the kernel refused."},
	{"send_errors", "Verdicts that could not be sent."},
	{"enobufs", "Times the queue socket overflowed (packets lost to the queue)."},
	{"truncated", "Queued packets that arrived truncated."},
	{"malformed", "Packets that could not be parsed (accepted)."},
	{"fragments", "IP fragments (accepted, not inspected)."},
	{"not_tracked", "Packets that are not TCP or UDP (accepted)."},
	{"inspect_accepted", "Packets of undecided flows accepted while inspected."},
	{"exception_accepted", "Packets allowed by [exceptions] over a block."},
	{"watch_accepted", "Packets of watched IM control flows accepted unstamped."},
	{"flows_tracked", "Flows in the flow table now."},
	{"flows_created", "Flows created."},
	{"flows_evicted", "Flows evicted from a full flow table."},
	{"flows_expired", "Flows expired after their idle timeout."},
	{"flows_reused", "Flows ended by a new connection's SYN on the same addresses and ports."},
	{"flows_decided", "Flows whose class was decided."},
	{"dns_learned", "Addresses learned from DNS answers."},
	{"expectations", "Peer connections announced by IM sessions."},
	{"bt_peers_learned", "BitTorrent peers and DHT nodes learned from the swarm's traffic."},
	{"bt_peer_hits", "Flows to a learned BitTorrent peer."},
	{"ed2k_peers_learned", "eMule sources named by eD2k servers' answers."},
	{"ed2k_peer_hits", "Flows to a learned eMule source."},
	{"reloads", "Policy reloads asked for."},
	{"reload_failures", "Policy reloads refused."},
	{"ct_marks_cleared", "Conntrack marks cleared for re-decision after a reload."},
	{"ct_clear_failures", "Conntrack marks that could not be cleared."},
	{"dyn_blocks", "Flows added to the kernel's blocked-flow sets."},
	{"dyn_block_failures", "Flows the blocked-flow sets refused."},
	{"ct_blocks", "Conntrack entries made for flows blocked on their first packet."},
	{"ct_block_failures", "Conntrack entries that could not be made."},
	{"stamp_returned", "Stamped packets that came back to the queue."},
	{"invalid_flow_verdict", "Conntrack-INVALID packets given their flow's verdict."},
	{"invalid_accepted", "Conntrack-INVALID packets without a decided flow, accepted (fail open)."},
	{"invalid_dropped", "Conntrack-INVALID packets without a decided flow, dropped (fail closed)."},
	{"too_deep", "IPv6 packets with extension-header chains past the parser's limit."},
	{"uninspectable_accepted", "Packets that cannot be inspected, accepted (fail open)."},
	{"uninspectable_dropped", "Packets that cannot be inspected, dropped (fail closed)."},
	{"inspect_slots", "Reassembly slots in the inspection pool."},
	{"inspect_slots_used", "Reassembly slots in use now."},
	{"slot_reclaims", "Reassembly slots taken from idle flows."},
	{"starved_flows", "TCP flows that found no reassembly slot."},
	{"starved_packets", "Packets of flows that found no reassembly slot."},
	{"starved_dropped", "Packets of starved flows dropped (fail closed)."},
	{"starved_accepted", "Packets of starved flows accepted (fail open)."},
	{"segments_held", "Out-of-order segments held for a gap."},
	{"segments_beyond", "Segments beyond the inspection buffer."},
	{"overlap_conflicts", "Segments whose bytes contradict those read before."},
	{"conflicts_dropped", "Contradicting segments dropped."},
	{"syns_replayed", "Logged SYNs handed to the engine before their connection's first "
	 "queued packet."},
};

static const struct member_help synlog_help[] = {
	{"group", "The NFLOG group new connections' SYNs are logged to."},
	{"read", "SYNs read from the log group."},
	{"kept", "SYNs kept for their connection's first payload."},
	{"replaced", "Kept SYNs replaced by another connection's (a full table)."},
	{"refused", "Logged packets that were no SYN to keep."},
	{"taken", "Kept SYNs handed to the engine."},
	{"stale", "Kept SYNs too old to trust when their connection spoke."},
	{"socket_overruns", "Times the log socket overflowed (SYNs lost)."},
	{"read_failures", "Failed reads of the log socket."},
};

static const struct member_help restart_help[] = {
	{"state_flows", "Flows read from the state file at start-up."},
	{"marked", "Connections found carrying a verdict mark at start-up."},
	{"restored", "Flows restored as decided at start-up."},
	{"redecided", "Restored flows whose mark was cleared because the policy differs."},
	{"cleared", "Marked connections unknown to the state file, cleared for inspection."},
	{"clear_failures", "Marks that could not be cleared at start-up."},
};

/* A sample value: integers as integers, anything else as Go's float
 * syntax accepts it. */
static void value(FILE *out, double v)
{
	if (v != v)
		fputs("NaN", out);
	else if (v > DBL_MAX || v < -DBL_MAX)
		fputs(v > 0 ? "+Inf" : "-Inf", out);
	else if (v > -1e15 && v < 1e15 && v == (double)(long long)v)
		fprintf(out, "%.0f", v);
	else
		fprintf(out, "%.17g", v);
}

/* A label value, escaped: \\, \" and \n. */
static void label_value(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(out, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", out);
		else
			fputc(*s, out);
	}
	fputc('"', out);
}

/* HELP text, escaped as the format wants it there (\\ and \n). */
static void help_text(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\\\", out);
		else if (*s == '\n')
			fputs("\\n", out);
		else
			fputc(*s, out);
	}
}

/* A name part made of [a-zA-Z0-9_] only: anything else becomes '_'. */
static void name_part(FILE *out, const char *s)
{
	for (; *s; s++) {
		char c = *s;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '_';
		fputc(ok ? c : '_', out);
	}
}

static void family(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s ", name);
	help_text(out, help);
	fprintf(out, "\n# TYPE %s %s\n", name, type);
}

/* One sample with n labels (name, value). */
static void sample(FILE *out, const char *name, const char *labels[][2], size_t n,
		   double v)
{
	fputs(name, out);
	for (size_t i = 0; i < n; i++) {
		fprintf(out, "%s%s=", i ? "," : "{", labels[i][0]);
		label_value(out, labels[i][1]);
	}
	fputs(n ? "} " : " ", out);
	value(out, v);
	fputc('\n', out);
}

/* Verdict counters per class: flows by policy action, packets and bytes
 * by kernel verdict. */
static void verdict_families(const struct pg_jvalue *stats, FILE *out)
{
	const struct pg_jvalue *rows = pg_json_get(stats, "verdicts");
	size_t n = rows && rows->type == PG_JSON_ARR ? rows->count : 0;

	family(out, "peergate_flows_total", "counter",
	       "Flows decided, by class (system, feature) and the policy action they got.");
	for (size_t i = 0; i < n; i++) {
		const struct pg_jvalue *r = &rows->items[i];
		double flows = pg_json_num(r, "flows"), blocked = pg_json_num(r, "flows_dropped");
		double logged = pg_json_num(r, "flows_logged");
		const char *l[3][2] = {{"system", pg_json_str(r, "system")},
				       {"feature", pg_json_str(r, "feature")},
				       {"action", "block"}};

		sample(out, "peergate_flows_total", l, 3, blocked);
		l[2][1] = "log";
		sample(out, "peergate_flows_total", l, 3, logged);
		l[2][1] = "allow";
		/* allowed: what neither blocked nor logged (never below 0,
		 * should a counter read be torn) */
		sample(out, "peergate_flows_total", l, 3,
		       flows > blocked + logged ? flows - blocked - logged : 0);
	}
	static const char *const units[2][3] = {
		{"peergate_packets_total", "packets_accepted", "packets_dropped"},
		{"peergate_bytes_total", "bytes_accepted", "bytes_dropped"},
	};
	for (int u = 0; u < 2; u++) {
		family(out, units[u][0], "counter",
		       u ? "Bytes of decided flows peergated gave a verdict for, by class and "
			   "kernel verdict (after the stamp the kernel counts the rest)."
			 : "Packets of decided flows peergated gave a verdict for, by class and "
			   "kernel verdict (after the stamp the kernel counts the rest).");
		for (size_t i = 0; i < n; i++) {
			const struct pg_jvalue *r = &rows->items[i];
			const char *l[3][2] = {{"system", pg_json_str(r, "system")},
					       {"feature", pg_json_str(r, "feature")},
					       {"verdict", "accept"}};

			sample(out, units[u][0], l, 3, pg_json_num(r, units[u][1]));
			l[2][1] = "drop";
			sample(out, units[u][0], l, 3, pg_json_num(r, units[u][2]));
		}
	}
}

static bool is_engine_gauge(const char *name)
{
	for (size_t i = 0; i < sizeof(engine_gauges) / sizeof(engine_gauges[0]); i++)
		if (!strcmp(name, engine_gauges[i]))
			return true;
	return false;
}

static const char *help_in(const struct member_help *table, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(key, table[i].name))
			return table[i].help;
	return NULL;
}

/* One family per numeric member of an object (engine, syn_log, restart),
 * with its help line from table (n entries). */
static void member_families(FILE *out, const struct pg_jvalue *obj, const char *prefix,
			    const char *generic, const struct member_help *table, size_t n)
{
	for (size_t i = 0; obj && obj->type == PG_JSON_OBJ && i < obj->count; i++) {
		const char *key = obj->keys[i];
		bool gauge = (!strcmp(prefix, "peergate_engine_") && is_engine_gauge(key)) ||
			     (!strcmp(prefix, "peergate_syn_log_") && !strcmp(key, "group"));
		const char *help = help_in(table, n, key);
		char name[160], fallback[200];
		FILE *m;

		if (obj->items[i].type != PG_JSON_NUM)
			continue;
		m = fmemopen(name, sizeof(name), "w");
		if (!m)
			continue;
		fputs(prefix, m);
		name_part(m, key);
		fputs(gauge ? "" : "_total", m);
		fclose(m);
		if (!help) {
			snprintf(fallback, sizeof(fallback), "%s %s (see peergatectl(8)).", generic, key);
			help = fallback;
		}
		family(out, name, gauge ? "gauge" : "counter", help);
		sample(out, name, NULL, 0, obj->items[i].num);
	}
}

static double boolean(const struct pg_jvalue *obj, const char *key)
{
	const struct pg_jvalue *v = pg_json_get(obj, key);
	return v && v->type == PG_JSON_BOOL && v->boolean ? 1 : 0;
}

/* The table as the kernel holds it, its re-applies, and its named
 * counters. */
static void kernel_families(const struct pg_jvalue *stats, FILE *out)
{
	const struct pg_jvalue *k = pg_json_get(stats, "kernel");
	const struct pg_jvalue *kc = pg_json_get(k, "counters");
	size_t n = kc && kc->type == PG_JSON_ARR ? kc->count : 0;

	family(out, "peergate_table_present", "gauge",
	       "1 when table inet peergate exists in the kernel (read when asked).");
	sample(out, "peergate_table_present", NULL, 0, boolean(k, "present"));
	family(out, "peergate_table_rules", "gauge", "Rules of table inet peergate in the kernel.");
	sample(out, "peergate_table_rules", NULL, 0, pg_json_num(k, "rules"));
	family(out, "peergate_table_watched", "gauge",
	       "1 when peergated watches nftables events to put its table back.");
	sample(out, "peergate_table_watched", NULL, 0, boolean(k, "watched"));
	family(out, "peergate_table_reapplied_total", "counter",
	       "Times peergated put its table back after another program deleted or flushed it.");
	sample(out, "peergate_table_reapplied_total", NULL, 0, pg_json_num(k, "table_reapplied"));
	family(out, "peergate_table_reapply_failures_total", "counter",
	       "Attempts to put the table back that failed.");
	sample(out, "peergate_table_reapply_failures_total", NULL, 0,
	       pg_json_num(k, "table_reapply_failures"));
	family(out, "peergate_table_last_reapplied_timestamp_seconds", "gauge",
	       "When the table was last put back (Unix time; 0: never).");
	sample(out, "peergate_table_last_reapplied_timestamp_seconds", NULL, 0,
	       pg_json_num(k, "table_last_reapplied"));
	family(out, "peergate_kernel_packets_total", "counter",
	       "Packets counted by a named counter of table inet peergate (port sets, "
	       "blocked-flow sets).");
	for (size_t i = 0; i < n; i++) {
		const char *l[1][2] = {{"counter", pg_json_str(&kc->items[i], "name")}};
		sample(out, "peergate_kernel_packets_total", l, 1,
		       pg_json_num(&kc->items[i], "packets"));
	}
	family(out, "peergate_kernel_bytes_total", "counter",
	       "Bytes counted by a named counter of table inet peergate.");
	for (size_t i = 0; i < n; i++) {
		const char *l[1][2] = {{"counter", pg_json_str(&kc->items[i], "name")}};
		sample(out, "peergate_kernel_bytes_total", l, 1, pg_json_num(&kc->items[i], "bytes"));
	}
}

void pg_stats_prometheus(const struct pg_jvalue *stats, FILE *out)
{
	const struct pg_jvalue *k = pg_json_get(stats, "kernel");
	const char *info[3][2] = {{"policy", pg_json_str(stats, "policy")},
				  {"queue", pg_json_str(k, "queue")},
				  {"stamping", pg_json_str(k, "stamping")}};

	family(out, "peergate_info", "gauge",
	       "Always 1; the labels say which policy file is loaded and how verdicts reach "
	       "the kernel.");
	sample(out, "peergate_info", info, 3, 1);
	family(out, "peergate_uptime_seconds", "gauge", "Seconds since peergated started.");
	sample(out, "peergate_uptime_seconds", NULL, 0, pg_json_num(stats, "uptime_s"));
	verdict_families(stats, out);
	member_families(out, pg_json_get(stats, "engine"), "peergate_engine_",
			"peergated engine counter", engine_help,
			sizeof(engine_help) / sizeof(engine_help[0]));
	member_families(out, pg_json_get(stats, "syn_log"), "peergate_syn_log_",
			"SYN log count", synlog_help, sizeof(synlog_help) / sizeof(synlog_help[0]));
	member_families(out, pg_json_get(stats, "restart"), "peergate_restart_",
			"Start-up count", restart_help,
			sizeof(restart_help) / sizeof(restart_help[0]));
	kernel_families(stats, out);
}
