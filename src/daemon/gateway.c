/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "gateway.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "peergate/conntrack.h"
#include "peergate/engine.h"
#include "peergate/engine_policy.h"
#include "peergate/flowstate.h"
#include "peergate/hosts.h"
#include "peergate/json.h"
#include "peergate/mark.h"
#include "peergate/nfq.h"
#include "peergate/nft_dyn.h"
#include "peergate/nft_policy.h"
#include "peergate/nft_show.h"
#include "peergate/nft_table.h"
#include "peergate/stats.h"
#include "peergate/verdict.h"
#include "peergate/detect_registry.h"

enum { MAX_QUEUES = 16, MAX_PORTSETS = 64 };

/* After a failed pg_nft_dyn_block, no new attempt for this long: a full
 * set or a missing table does not heal from one packet to the next, and
 * under a flood every attempt would add a netlink round trip to each
 * queued packet.  Meanwhile blocked flows get per-packet verdicts. */
enum { DYN_BLOCK_HOLDOFF_MS = 1000 };

/* Receive batches served per wake-up before control goes back to poll():
 * a busy queue must never keep the loop from signals and the control
 * socket (poll returns at once while packets wait, so nothing is lost). */
enum { MAX_BATCHES_PER_WAKEUP = 16 };

struct engine_counters {
	uint64_t queued;
	uint64_t inspect_accepted;   /* undecided flows: accepted, still inspected */
	uint64_t exception_accepted; /* allowed by [exceptions] over a block */
	uint64_t watch_accepted;     /* watched IM control flows: accepted unstamped */
	uint64_t not_tracked;        /* malformed / fragments / not TCP-UDP: accepted */
	uint64_t reloads, reload_failures;
	uint64_t ct_marks_cleared, ct_clear_failures;
	uint64_t dyn_blocks, dyn_block_failures;   /* kernel blocked-flow sets */
	uint64_t ct_blocks, ct_block_failures;     /* conntrack entries made for them */
	uint64_t stamp_returned;     /* a stamped packet came back: final verdict */
	uint64_t invalid_flow_verdict; /* ct INVALID, decided flow: its verdict */
	uint64_t invalid_accepted, invalid_dropped; /* ct INVALID, no decided flow */
	uint64_t uninspectable_accepted, uninspectable_dropped; /* by fail policy */
	/* payload packets of undecided flows the engine could not add to
	 * their stream (no inspection slot): dropped under fail = closed,
	 * accepted under fail = open */
	uint64_t starved_dropped, starved_accepted;
	/* segments of undecided flows with other bytes than were read for
	 * the same place: always dropped */
	uint64_t conflicts_dropped;
};

/* What start-up did with the flows a previous run left marked. */
struct restart_counters {
	uint64_t state_flows;     /* flows read from the state file */
	uint64_t marked;          /* connections found carrying a verdict code */
	uint64_t restored;        /* put back into the engine as decided */
	uint64_t redecided;       /* of those, mark cleared: this policy differs */
	uint64_t cleared;         /* marked but unknown: cleared for inspection */
	uint64_t clear_failures;
};

struct pg_gateway {
	struct pg_gateway_options opt;
	struct pg_policy *policy;
	struct pg_host_rules *hosts;
	struct pg_engine *engine;
	struct pg_nfq *queues[MAX_QUEUES];
	unsigned nqueues;
	bool has_ct;                 /* verdicts can carry a ct mark */
	bool rules_applied;
	enum pg_nft_queue_kind queue_kind;
	struct pg_nft_dyn *dyn;      /* blocked-flow sets; NULL: rules not managed */
	uint64_t dyn_holdoff_until;  /* ms: no pg_nft_dyn_block before this */
	bool dyn_failing;            /* the last attempt failed (logged once) */
	uint32_t mark_mask;
	struct pg_verdict_stats vstats;
	struct engine_counters ec;
	struct restart_counters rs;
	bool ready;                  /* past start-up: its flows are worth saving */
	time_t started;
};

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static struct pg_engine *make_engine(const struct pg_policy *p,
				     const struct pg_host_rules *hosts)
{
	struct pg_engine_config cfg;
	pg_engine_config_from_policy(p, &cfg);
	cfg.detectors = pg_detector_registry();
	cfg.record_hosts = true; /* for `peergatectl flows` */
	return pg_engine_create(&cfg, hosts);
}

static int apply_rules(struct pg_gateway *g, const struct pg_policy *p, FILE *err)
{
	struct pg_nft_portset sets[MAX_PORTSETS];
	struct pg_nft_config cfg;
	char msg[512];

	pg_nft_config_from_policy(p, &cfg, sets, MAX_PORTSETS);
	if (pg_nft_apply(&cfg, &g->queue_kind, msg, sizeof(msg)) < 0) {
		fprintf(err, "cannot apply the nftables table: %s\n", msg);
		return -1;
	}
	g->rules_applied = true;
	return 0;
}

static void restore_flows(struct pg_gateway *g);
static void save_flows(struct pg_gateway *g);
static void restart_json(const struct pg_gateway *g, FILE *out);

struct pg_gateway *pg_gateway_open(const struct pg_gateway_options *o)
{
	struct pg_diag diag = {0};
	char err[512];
	struct pg_gateway *g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	g->opt = *o;
	g->started = time(NULL);
	g->policy = pg_policy_load_file(o->policy_path, &diag);
	if (!g->policy) {
		pg_diag_print(&diag, stderr);
		goto fail;
	}
	const struct pg_engine_settings *s = pg_policy_engine(g->policy);
	g->mark_mask = s->mark_mask;
	g->hosts = pg_host_rules_for_policy(g->policy);
	g->engine = g->hosts ? make_engine(g->policy, g->hosts) : NULL;
	if (!g->engine) {
		fprintf(stderr, "peergated: out of memory\n");
		goto fail;
	}
	/* Bind the queues before the rules exist, so no packet is queued to
	 * nobody while we start. */
	for (unsigned i = 0; i < s->queue_count && i < MAX_QUEUES; i++) {
		struct pg_nfq_config qc;
		pg_nfq_config_defaults(&qc);
		qc.queue_num = (uint16_t)(s->queue_first + i);
		qc.fail_open = s->fail_open;
		g->queues[i] = pg_nfq_open(&qc, err, sizeof(err));
		if (!g->queues[i]) {
			fprintf(stderr, "peergated: queue %u: %s\n", qc.queue_num, err);
			goto fail;
		}
		g->nqueues++;
	}
	g->has_ct = g->nqueues && pg_nfq_has_ct(g->queues[0]);
	/* Before the table: the ct-mark rules would otherwise go on settling
	 * the previous run's flows by its verdicts, and every flow this
	 * clears is in the engine before its next packet can reach a queue
	 * (a table kept from the previous run queues to the sockets bound
	 * above, read only once start-up is over). */
	restore_flows(g);
	g->ready = true; /* the engine holds flows worth saving from here on */
	if (o->manage_rules && apply_rules(g, g->policy, stderr) < 0)
		goto fail;
	/* The blocked-flow sets live in our table, so only with it.  Without
	 * the socket blocked flows still get their per-packet verdicts. */
	if (g->rules_applied) {
		g->dyn = pg_nft_dyn_open(err, sizeof(err));
		if (!g->dyn)
			fprintf(stderr, "peergated: no blocked-flow sets: %s\n", err);
	}
	fprintf(stderr, "peergated: policy %s loaded; %u queue(s) from %u; "
		"verdict stamping via %s; table inet %s %s (queue: %s)\n",
		o->policy_path, g->nqueues, s->queue_first,
		g->has_ct ? "NFQA_CT ct mark" : "NF_REPEAT + packet mark",
		PG_NFT_TABLE, g->rules_applied ? "applied" : "not managed",
		g->rules_applied ? pg_nft_queue_kind_name(g->queue_kind) : "-");
	return g;
fail:
	pg_gateway_close(g, true);
	return NULL;
}

void pg_gateway_close(struct pg_gateway *g, bool keep_rules)
{
	char err[256];
	if (!g)
		return;
	if (g->ready)
		save_flows(g);
	if (g->rules_applied && !keep_rules && pg_nft_flush(err, sizeof(err)) < 0)
		fprintf(stderr, "peergated: cannot remove the table: %s\n", err);
	for (unsigned i = 0; i < g->nqueues; i++)
		pg_nfq_close(g->queues[i]);
	pg_nft_dyn_close(g->dyn);
	pg_engine_destroy(g->engine);
	pg_host_rules_destroy(g->hosts);
	pg_policy_destroy(g->policy);
	free(g);
}

int pg_gateway_fds(const struct pg_gateway *g, int *fds, int max)
{
	int n = 0;
	for (unsigned i = 0; i < g->nqueues && n < max; i++)
		fds[n++] = pg_nfq_fd(g->queues[i]);
	return n;
}

static void log_flow(const struct pg_flow *f, enum pg_action a)
{
	char c[64], s[64];
	pg_format_endpoint(f->family, f->client_addr, f->client_port, c, sizeof(c));
	pg_format_endpoint(f->family, f->server_addr, f->server_port, s, sizeof(s));
	fprintf(stderr, "peergated: %s flow %s %s -> %s: %s/%s by %s\n",
		a == PG_ACTION_BLOCK ? "blocked" : "logged",
		f->l4proto == IPPROTO_TCP ? "tcp" : "udp", c, s,
		pg_system_name(f->system), pg_feature_name(f->feature),
		pg_method_name(f->method));
}

/* A blocked flow whose conntrack entry may never be confirmed also goes
 * into the kernel's blocked-flow set: its REPEAT stamp lives in that entry
 * and dies with it when the packet is dropped, so every later packet of
 * the flow would be queued again.  UDP: any blocked packet that reaches us
 * (the first of its flow, or proof that the stamp did not hold).  TCP:
 * only a flow blocked on the packet that created it (its SYN dropped or
 * reset before the entry was confirmed); later TCP packets carry a
 * confirmed entry, where the stamp holds.
 * The set lives on this host only, so such a flow also gets a confirmed
 * conntrack entry carrying its code: conntrackd replicates it to a standby
 * router, whose table then drops the flow by its ct mark after a failover
 * (its later packets alone may not show what it is).  EEXIST (the flow
 * has an entry already) is no failure. */
static void dyn_block(struct pg_gateway *g, const struct pg_flow *f,
		      const struct pg_packet_result *r, uint64_t now)
{
	const struct pg_engine_settings *s = pg_policy_engine(g->policy);
	bool udp = f->l4proto == IPPROTO_UDP;
	uint32_t timeout_s = udp ? s->udp_timeout_s : s->tcp_timeout_s;
	uint64_t timeout_ms = (uint64_t)timeout_s * 1000u;
	char err[256];

	if (!(udp || (f->l4proto == IPPROTO_TCP && r->created && r->just_decided)))
		return;
	if (pg_ct_create_marked(f->family, f->l4proto, f->client_addr, f->client_port,
				f->server_addr, f->server_port,
				pg_mark_value(g->mark_mask, pg_flow_verdict_of(g->policy, f).code),
				timeout_s) == 0)
		g->ec.ct_blocks++;
	else if (errno != EEXIST)
		g->ec.ct_block_failures++;
	if (!g->dyn || now < g->dyn_holdoff_until)
		return;
	/* As long as the daemon would remember the idle flow. */
	if (timeout_ms > UINT32_MAX)
		timeout_ms = UINT32_MAX;
	if (pg_nft_dyn_block(g->dyn, f->family, f->l4proto, f->client_addr, f->client_port,
			     f->server_addr, f->server_port, (uint32_t)timeout_ms,
			     err, sizeof(err)) == 0) {
		g->ec.dyn_blocks++;
		if (g->dyn_failing)
			fprintf(stderr, "peergated: blocked-flow sets take flows again\n");
		g->dyn_failing = false;
	} else {
		g->ec.dyn_block_failures++;
		g->dyn_holdoff_until = now + DYN_BLOCK_HOLDOFF_MS;
		if (!g->dyn_failing)
			fprintf(stderr, "peergated: cannot add a blocked flow to the kernel set: %s; "
				"per-packet verdicts until it works again\n", err);
		g->dyn_failing = true;
	}
}

static bool fail_open(const struct pg_gateway *g)
{
	return pg_policy_engine(g->policy)->fail_open;
}

/* A packet the daemon will not read: the fail policy settles it, and one
 * of the pair of counters says which way. */
static void by_fail_policy(const struct pg_gateway *g, uint64_t *accepted, uint64_t *dropped,
			   struct pg_nfq_verdict *v)
{
	bool open = fail_open(g);

	++*(open ? accepted : dropped);
	v->kind = open ? PG_NFQ_ACCEPT : PG_NFQ_DROP;
}

/* The final verdict (no stamp) a verdict code stands for. */
static enum pg_nfq_verdict_kind final_kind(enum pg_mark_code code)
{
	return code == PG_MARK_ACCEPT ? PG_NFQ_ACCEPT : PG_NFQ_DROP;
}

/* Counts one packet of a decided flow under its class. */
static void count_packet(struct pg_class_counters *c, bool dropped, size_t len)
{
	if (dropped) {
		c->packets_dropped++;
		c->bytes_dropped += len;
	} else {
		c->packets_accepted++;
		c->bytes_accepted += len;
	}
}

/* A packet that already carries one of our verdict codes came back to the
 * queue: the table did not settle it (its rules were replaced or removed
 * by someone else).  Answering with the stamp again could loop for ever;
 * the verdict the code names is final. */
static bool settle_returned_stamp(struct pg_gateway *g, enum pg_mark_code code,
				  struct pg_nfq_verdict *v)
{
	g->ec.stamp_returned++;
	v->kind = final_kind(code);
	return true;
}

/* Conntrack called this packet INVALID (the table marked it so): it has
 * no entry that a stamp could reach, so it gets a final verdict.  Its
 * bytes never reach the detectors: a segment with a bad checksum or one
 * outside the window is not what the receiver will read, and feeding it
 * to reassembly would let a sender plant bytes the inspection believes. */
static bool settle_ct_invalid(struct pg_gateway *g, const struct pg_nfq_packet *pkt,
			      struct pg_nfq_verdict *v)
{
	struct pg_packet_result r;

	if (pg_engine_find(g->engine, pkt->data, pkt->len, &r) == PG_ENGINE_TRACKED &&
	    r.flow && r.flow->state == PG_FLOW_DECIDED) {
		struct pg_flow *f = r.flow;
		struct pg_flow_verdict fv = pg_flow_verdict_of(g->policy, f);
		bool block = pg_flow_verdict_blocks(&fv);

		g->ec.invalid_flow_verdict++;
		count_packet(&g->vstats.cls[f->system][f->feature], block, pkt->orig_len);
		v->kind = block ? PG_NFQ_DROP : PG_NFQ_ACCEPT;
		return true;
	}
	by_fail_policy(g, &g->ec.invalid_accepted, &g->ec.invalid_dropped, v);
	return true;
}

/* A payload packet of an undecided flow that the engine did not add to the
 * flow's stream.  Its bytes differ from those read before for the same
 * place: dropped, whatever `fail` says, so that the receiver cannot
 * assemble other bytes than the detectors read (no sender retransmits
 * other bytes).  No inspection slot was free, or the flow lost its slot:
 * fail = closed drops it, unstamped, so TCP sends it again and the flow
 * may find a slot then (its bytes were never delivered, so none are
 * missed); fail = open accepts it. */
static void unread_verdict(struct pg_gateway *g, const struct pg_packet_result *r,
			   struct pg_nfq_verdict *v)
{
	if (r->conflict) {
		g->ec.conflicts_dropped++;
		v->kind = PG_NFQ_DROP;
	} else {
		by_fail_policy(g, &g->ec.starved_accepted, &g->ec.starved_dropped, v);
	}
}

/* A packet the engine did not track: let through, unless it is of a kind
 * peergate refuses to inspect and `fail` says closed. */
static bool untracked_verdict(struct pg_gateway *g, enum pg_engine_status st,
			      struct pg_nfq_verdict *v)
{
	if (st != PG_ENGINE_UNINSPECTABLE) {
		/* Malformed (the receiver cannot read it either), a later
		 * fragment, or not TCP/UDP: nothing here for the detectors. */
		g->ec.not_tracked++;
		return true;
	}
	/* Let through uninspected, it would pass every block. */
	by_fail_policy(g, &g->ec.uninspectable_accepted, &g->ec.uninspectable_dropped, v);
	return true;
}

/* The verdict that stamps a decided flow's code, so that the kernel
 * settles the rest of the flow. */
static void stamp_verdict(const struct pg_gateway *g, const struct pg_nfq_packet *pkt,
			  enum pg_mark_code code, struct pg_nfq_verdict *v)
{
	if (g->has_ct && !pkt->has_ct) {
		/* The kernel reports conntrack with each packet and this one
		 * has no entry (untracked, or INVALID where the table could
		 * not mark it): no stamp can land, so the verdict is final. */
		v->kind = final_kind(code);
	} else if (g->has_ct && code == PG_MARK_ACCEPT) {
		/* CTA_MARK replaces the whole ct mark: keep the bits of the
		 * mark the packet reported that are not ours. */
		v->kind = PG_NFQ_ACCEPT_CTMARK;
		v->ct_mark = (pkt->ct_mark & ~g->mark_mask) | pg_mark_value(g->mark_mask, code);
	} else {
		/* The packet goes round the chain again; the head rule copies
		 * the mark into the ct mark and the ct-mark rules settle this
		 * packet and the rest of the flow in the kernel. */
		v->kind = PG_NFQ_REPEAT_MARK;
		v->mark = (pkt->mark & ~g->mark_mask) | pg_mark_value(g->mark_mask, code);
	}
}

/* A packet of a decided flow: counted, logged when it decided the flow,
 * and answered as the shared verdict logic says. */
static void decided_verdict(struct pg_gateway *g, const struct pg_nfq_packet *pkt,
			    const struct pg_packet_result *r, uint64_t now,
			    struct pg_nfq_verdict *v)
{
	struct pg_flow *f = r->flow;
	struct pg_flow_verdict fv = pg_flow_verdict_of(g->policy, f);
	bool block = pg_flow_verdict_blocks(&fv);
	struct pg_class_counters *c = &g->vstats.cls[f->system][f->feature];

	g->ec.exception_accepted += fv.excepted;
	if (r->just_decided) {
		c->flows++;
		c->flows_dropped += block;
		if (fv.action != PG_ACTION_ALLOW || g->opt.verbose)
			log_flow(f, fv.action);
	}
	count_packet(c, block, pkt->orig_len);
	if (fv.code == PG_MARK_NONE) {
		/* An allowed IM control flow stays in user space (unstamped)
		 * while the engine reads it for announced peer connections;
		 * such sessions carry few packets. */
		g->ec.watch_accepted++;
		return;
	}
	/* Before the verdict, so that the flow's next packet already meets
	 * the set. */
	if (block)
		dyn_block(g, f, r, now);
	stamp_verdict(g, pkt, fv.code, v);
}

/* The verdict for one queued packet.  Exactly one verdict leaves here; any
 * path that cannot classify accepts (or, for a flow that cannot be
 * inspected, does what `fail` says). */
static bool on_packet(void *ctx, const struct pg_nfq_packet *pkt, struct pg_nfq_verdict *v)
{
	struct pg_gateway *g = ctx;
	struct pg_packet_result r;
	uint64_t now = now_ms();
	enum pg_mark_code came_with = pg_mark_code_of(g->mark_mask, pkt->mark);

	g->ec.queued++;
	v->kind = PG_NFQ_ACCEPT;
	if (pg_mark_is_verdict(came_with))
		return settle_returned_stamp(g, came_with, v);
	if (came_with == PG_MARK_CT_INVALID)
		return settle_ct_invalid(g, pkt, v);
	enum pg_engine_status st = pg_engine_packet(g->engine, pkt->data, pkt->len, now, &r);
	if (st != PG_ENGINE_TRACKED)
		return untracked_verdict(g, st, v);
	if (r.starved || r.conflict)
		unread_verdict(g, &r, v);
	else if (r.flow->state != PG_FLOW_DECIDED)
		g->ec.inspect_accepted++;
	else
		decided_verdict(g, pkt, &r, now, v);
	return true;
}

int pg_gateway_process(struct pg_gateway *g, int fd)
{
	for (unsigned i = 0; i < g->nqueues; i++) {
		if (pg_nfq_fd(g->queues[i]) != fd)
			continue;
		int n = 0;
		for (unsigned b = 0; b < MAX_BATCHES_PER_WAKEUP; b++) {
			n = pg_nfq_process(g->queues[i], false, on_packet, g);
			if (n <= 0)
				break;
		}
		return n < 0 ? -1 : 0;
	}
	return 0;
}

void pg_gateway_tick(struct pg_gateway *g)
{
	pg_engine_tick(g->engine, now_ms());
}

struct reclassify_ctx {
	struct pg_gateway *g;
	const struct pg_policy *old;
};

/* A decided flow whose system's policy changed: clear peergate's bits of its
 * ct mark, so its next packet comes back to the queue and gets the new
 * verdict (the flow stays decided; only the action is looked up again). */
static void reclassify(struct pg_flow *f, void *ctx)
{
	struct reclassify_ctx *rc = ctx;
	if (f->state != PG_FLOW_DECIDED ||
	    (!pg_policy_system_changed(rc->old, rc->g->policy, f->system) &&
	     !(f->via_proxy && pg_policy_system_changed(rc->old, rc->g->policy, PG_SYS_PROXY))))
		return;
	if (pg_ct_clear_mark(f->family, f->l4proto, f->client_addr, f->client_port,
			     f->server_addr, f->server_port, rc->g->mark_mask) == 0)
		rc->g->ec.ct_marks_cleared++;
	else
		rc->g->ec.ct_clear_failures++;
}

/* The [engine] keys a running daemon cannot take over: the first one that
 * differs, or NULL. */
static const char *restart_only_change(const struct pg_engine_settings *a,
				       const struct pg_engine_settings *b)
{
	if (a->queue_first != b->queue_first || a->queue_count != b->queue_count)
		return "queue";
	if (a->mark_mask != b->mark_mask)
		return "mark-mask";
	if (a->fail_open != b->fail_open)
		return "fail";
	if (a->max_flows != b->max_flows)
		return "max-flows";
	if (a->inspect_packets != b->inspect_packets)
		return "inspect-packets";
	if (a->inspect_bytes != b->inspect_bytes)
		return "inspect-bytes";
	if (a->inspect_idle_s != b->inspect_idle_s)
		return "inspect-idle";
	if (pg_engine_inspect_slots(a) != pg_engine_inspect_slots(b))
		return "inspect-slots";
	if (a->tcp_timeout_s != b->tcp_timeout_s)
		return "tcp-timeout";
	if (a->udp_timeout_s != b->udp_timeout_s)
		return "udp-timeout";
	return NULL;
}

int pg_gateway_reload(struct pg_gateway *g, FILE *err)
{
	struct pg_diag diag = {0};
	struct pg_policy *np = pg_policy_load_file(g->opt.policy_path, &diag);
	struct pg_host_rules *nh = NULL;

	g->ec.reloads++;
	if (!np) {
		pg_diag_print(&diag, err);
		goto fail;
	}
	const char *fixed = restart_only_change(pg_policy_engine(g->policy), pg_policy_engine(np));
	if (fixed) {
		fprintf(err, "%s: [engine] %s cannot change on reload (it is bound to the running "
			"queue, flow table or stamped marks); restart peergated to change it\n",
			g->opt.policy_path, fixed);
		goto fail;
	}
	nh = pg_host_rules_for_policy(np);
	if (!nh) {
		fprintf(err, "out of memory\n");
		goto fail;
	}
	if (g->opt.manage_rules && apply_rules(g, np, err) < 0)
		goto fail;
	struct pg_policy *old = g->policy;
	struct pg_host_rules *oh = g->hosts;
	g->policy = np;
	g->hosts = nh;
	pg_engine_set_host_rules(g->engine, nh);
	struct reclassify_ctx rc = {g, old};
	pg_engine_foreach_flow(g->engine, reclassify, &rc);
	pg_policy_destroy(old);
	pg_host_rules_destroy(oh);
	fprintf(stderr, "peergated: policy %s reloaded\n", g->opt.policy_path);
	return 0;
fail:
	g->ec.reload_failures++;
	pg_host_rules_destroy(nh);
	pg_policy_destroy(np);
	fprintf(stderr, "peergated: reload failed; the previous policy stays in force\n");
	return -1;
}

/* The counters of all queues together: the stats speak of the gateway,
 * not of how its work is spread. */
static void sum_queue_stats(const struct pg_gateway *g, struct pg_nfq_stats *q)
{
	struct pg_nfq_stats qs;

	memset(q, 0, sizeof(*q));
	for (unsigned i = 0; i < g->nqueues; i++) {
		pg_nfq_get_stats(g->queues[i], &qs);
		q->received += qs.received;
		q->verdicts += qs.verdicts;
		q->verdict_errors += qs.verdict_errors;
		q->send_errors += qs.send_errors;
		q->enobufs += qs.enobufs;
		q->truncated += qs.truncated;
	}
}

static void engine_json(const struct pg_gateway *g, FILE *out)
{
	struct pg_engine_stats es;
	struct pg_nfq_stats q;

	pg_engine_get_stats(g->engine, &es);
	sum_queue_stats(g, &q);
	fprintf(out,
		",\"engine\":{\"queued\":%llu,\"verdicts\":%llu,\"verdict_errors\":%llu,"
		"\"send_errors\":%llu,\"enobufs\":%llu,\"truncated\":%llu,"
		"\"malformed\":%llu,\"fragments\":%llu,\"not_tracked\":%llu,"
		"\"inspect_accepted\":%llu,\"exception_accepted\":%llu,\"watch_accepted\":%llu,"
		"\"flows_tracked\":%u,\"flows_created\":%llu,\"flows_evicted\":%llu,"
		"\"flows_expired\":%llu,\"flows_decided\":%llu,\"dns_learned\":%llu,"
		"\"expectations\":%llu,\"reloads\":%llu,\"reload_failures\":%llu,"
		"\"ct_marks_cleared\":%llu,\"ct_clear_failures\":%llu,"
		"\"dyn_blocks\":%llu,\"dyn_block_failures\":%llu,"
		"\"ct_blocks\":%llu,\"ct_block_failures\":%llu,"
		"\"stamp_returned\":%llu,\"invalid_flow_verdict\":%llu,"
		"\"invalid_accepted\":%llu,\"invalid_dropped\":%llu,\"too_deep\":%llu,"
		"\"uninspectable_accepted\":%llu,\"uninspectable_dropped\":%llu,"

		"\"inspect_slots\":%u,\"inspect_slots_used\":%u,\"slot_reclaims\":%llu,"
		"\"starved_flows\":%llu,\"starved_packets\":%llu,"
		"\"starved_dropped\":%llu,\"starved_accepted\":%llu,"
		"\"segments_held\":%llu,\"segments_beyond\":%llu,"
		"\"overlap_conflicts\":%llu,\"conflicts_dropped\":%llu}",
		(unsigned long long)g->ec.queued, (unsigned long long)q.verdicts,
		(unsigned long long)q.verdict_errors, (unsigned long long)q.send_errors,
		(unsigned long long)q.enobufs, (unsigned long long)q.truncated,
		(unsigned long long)es.malformed, (unsigned long long)es.fragments,
		(unsigned long long)es.not_tracked, (unsigned long long)g->ec.inspect_accepted,
		(unsigned long long)g->ec.exception_accepted,
		(unsigned long long)g->ec.watch_accepted, es.flows.active,
		(unsigned long long)es.flows.created, (unsigned long long)es.flows.evicted,
		(unsigned long long)es.flows.expired, (unsigned long long)es.decided,
		(unsigned long long)es.dns_learned, (unsigned long long)es.expectations,
		(unsigned long long)g->ec.reloads, (unsigned long long)g->ec.reload_failures,
		(unsigned long long)g->ec.ct_marks_cleared,
		(unsigned long long)g->ec.ct_clear_failures,
		(unsigned long long)g->ec.dyn_blocks,
		(unsigned long long)g->ec.dyn_block_failures,
		(unsigned long long)g->ec.ct_blocks,
		(unsigned long long)g->ec.ct_block_failures,
		(unsigned long long)g->ec.stamp_returned,
		(unsigned long long)g->ec.invalid_flow_verdict,
		(unsigned long long)g->ec.invalid_accepted,
		(unsigned long long)g->ec.invalid_dropped,
		(unsigned long long)es.too_deep,
		(unsigned long long)g->ec.uninspectable_accepted,
		(unsigned long long)g->ec.uninspectable_dropped,
		es.slots, es.slots_used, (unsigned long long)es.slot_reclaims,
		(unsigned long long)es.starved_flows, (unsigned long long)es.starved_packets,
		(unsigned long long)g->ec.starved_dropped,
		(unsigned long long)g->ec.starved_accepted,
		(unsigned long long)es.segments_held, (unsigned long long)es.segments_beyond,
		(unsigned long long)es.overlap_conflicts,
		(unsigned long long)g->ec.conflicts_dropped);
}

/* The table's own counters, read from the kernel (none when the table is
 * not ours to manage). */
static void kernel_json(const struct pg_gateway *g, FILE *out)
{
	struct pg_nft_counter kc[128];
	char err[256];
	int n = g->rules_applied ? pg_nft_counters(kc, 128, err, sizeof(err)) : -1;

	fprintf(out, ",\"kernel\":{\"table\":\"inet %s\",\"queue\":\"%s\",\"stamping\":\"%s\","
		"\"counters\":[", PG_NFT_TABLE,
		g->rules_applied ? pg_nft_queue_kind_name(g->queue_kind) : "unmanaged",
		g->has_ct ? "nfqa_ct" : "nf_repeat");
	for (int i = 0; i < n; i++) {
		fprintf(out, "%s{\"name\":", i ? "," : "");
		pg_json_string(out, kc[i].name);
		fprintf(out, ",\"packets\":%llu,\"bytes\":%llu}",
			(unsigned long long)kc[i].packets, (unsigned long long)kc[i].bytes);
	}
	fputs("]}", out);
}

void pg_gateway_stats_json(struct pg_gateway *g, FILE *out)
{
	fprintf(out, "{\"verdicts\":");
	pg_verdict_stats_json(&g->vstats, out);
	engine_json(g, out);
	kernel_json(g, out);
	restart_json(g, out);
	fprintf(out, ",\"policy\":");
	pg_json_string(out, g->opt.policy_path);
	fprintf(out, ",\"uptime_s\":%lld}\n", (long long)(time(NULL) - g->started));
}

struct flows_json_ctx {
	struct pg_gateway *g;
	FILE *out;
};

static void flow_json(struct pg_flow *f, void *ctx)
{
	struct flows_json_ctx *c = ctx;
	char cl[64], sv[64];
	pg_format_endpoint(f->family, f->client_addr, f->client_port, cl, sizeof(cl));
	pg_format_endpoint(f->family, f->server_addr, f->server_port, sv, sizeof(sv));
	const char *action = f->state == PG_FLOW_DECIDED ?
		pg_action_name(pg_flow_verdict_of(c->g->policy, f).action) : "inspecting";
	fprintf(c->out,
		"{\"l4\":\"%s\",\"client\":\"%s\",\"server\":\"%s\",\"system\":\"%s\","
		"\"feature\":\"%s\",\"method\":\"%s\",\"state\":\"%s\",\"action\":\"%s\","
		"\"packets\":%llu,\"bytes\":%llu,\"host\":",
		f->l4proto == IPPROTO_TCP ? "tcp" : "udp", cl, sv, pg_system_name(f->system),
		pg_feature_name(f->feature), pg_method_name(f->method),
		f->state == PG_FLOW_DECIDED ? "decided" : "inspecting", action,
		(unsigned long long)f->packets[0] + f->packets[1],
		(unsigned long long)(f->bytes[0] + f->bytes[1]));
	pg_json_string(c->out, pg_engine_flow_host(c->g->engine, f));
	fputs("}\n", c->out);
}

void pg_gateway_flows_json(struct pg_gateway *g, FILE *out)
{
	struct flows_json_ctx c = {g, out};
	pg_engine_foreach_flow(g->engine, flow_json, &c);
}

struct restore_ctx {
	struct pg_gateway *g;
	const struct pg_flowstate *fs;
	uint8_t *matched;            /* per state entry: a marked connection was its */
	uint64_t now;
};

/* The state entry of a connection: the daemon saw the flow between the
 * ends of its original tuple, or, behind DNAT, of its reply tuple. */
static long state_index(const struct pg_flowstate *fs, const struct pg_ct_entry *ct)
{
	long i = pg_flowstate_find(fs, ct->family, ct->l4proto, ct->orig_src, ct->orig_sport,
				   ct->orig_dst, ct->orig_dport);
	if (i < 0)
		i = pg_flowstate_find(fs, ct->family, ct->l4proto, ct->reply_src,
				      ct->reply_sport, ct->reply_dst, ct->reply_dport);
	return i;
}

/* One connection that carries a verdict code from a previous run: true to
 * clear the code, so that its next packet comes to the queue. */
static bool review_marked(const struct pg_ct_entry *ct, void *ctx)
{
	struct restore_ctx *rc = ctx;
	struct pg_gateway *g = rc->g;
	long i = state_index(rc->fs, ct);
	struct pg_flow *f = NULL;

	g->rs.marked++;
	if (i >= 0) {
		const struct pg_flowstate_entry *se = pg_flowstate_at(rc->fs, (size_t)i);
		rc->matched[i] = 1;
		f = pg_engine_restore_flow(g->engine, &se->flow, se->host, rc->now);
	}
	if (!f) {
		/* Its class is unknown here (no state file, or not in it):
		 * inspected again from where it is. */
		g->rs.cleared++;
		return true;
	}
	g->rs.restored++;
	if (pg_flow_verdict_of(g->policy, f).code == pg_mark_code_of(g->mark_mask, ct->mark))
		return false;
	g->rs.redecided++;
	return true;
}

/* Decided flows of the state file that carry no code on purpose (allowed
 * IM control flows stay in user space): put back when their connection is
 * still there, so that they keep their class and their announcements. */
static void restore_unmarked(struct restore_ctx *rc)
{
	struct pg_gateway *g = rc->g;
	for (size_t i = 0; i < pg_flowstate_count(rc->fs); i++) {
		const struct pg_flowstate_entry *se = pg_flowstate_at(rc->fs, i);
		const struct pg_flow *f = &se->flow;
		uint32_t mark;
		if (rc->matched[i] || !(f->flags & PG_FLOW_WATCH) ||
		    pg_ct_get_mark(f->family, f->l4proto, f->client_addr, f->client_port,
				   f->server_addr, f->server_port, &mark) < 0 ||
		    pg_mark_code_of(g->mark_mask, mark) != PG_MARK_NONE)
			continue;
		if (pg_engine_restore_flow(g->engine, f, se->host, rc->now))
			g->rs.restored++;
	}
}

/* Start-up re-decides: the verdict codes a previous run left in conntrack
 * would otherwise settle its flows by its policy until they end.  Flows the
 * state file knows are restored with their class, and only those whose
 * verdict this policy changes are cleared; flows it does not know (after a
 * crash or kill) are cleared and inspected again.  Only our mark bits are
 * touched: connections are never deleted (that would break NATed flows). */
static void restore_flows(struct pg_gateway *g)
{
	const struct pg_engine_settings *s = pg_policy_engine(g->policy);
	const char *path = g->opt.state_path;
	struct pg_flowstate_limits lim = {
		.now_s = (int64_t)time(NULL),
		.max_age_s = s->tcp_timeout_s,
		.mark_mask = g->mark_mask,
		.max_flows = s->max_flows,
	};
	struct pg_flowstate *fs = NULL;
	struct restore_ctx rc = {.g = g, .now = now_ms()};
	struct pg_ct_sweep_result res;
	char err[512], state[600];

	snprintf(state, sizeof(state), "no state file");
	if (path && *path) {
		switch (pg_flowstate_load(path, &lim, &fs, err, sizeof(err))) {
		case PG_FLOWSTATE_ABSENT:
			snprintf(state, sizeof(state), "no state file %s", path);
			break;
		case PG_FLOWSTATE_REJECTED:
			fprintf(stderr, "peergated: state file %s ignored: %s\n", path, err);
			snprintf(state, sizeof(state), "state file ignored");
			break;
		case PG_FLOWSTATE_LOADED:
			g->rs.state_flows = pg_flowstate_count(fs);
			snprintf(state, sizeof(state), "%zu flows in %s", pg_flowstate_count(fs),
				 path);
			if (pg_flowstate_skipped(fs))
				fprintf(stderr, "peergated: state file %s: %zu flows beyond "
					"max-flows skipped\n", path, pg_flowstate_skipped(fs));
			break;
		}
	}
	rc.fs = fs;
	rc.matched = calloc(pg_flowstate_count(fs) + 1, 1);
	if (!rc.matched) {
		fprintf(stderr, "peergated: start-up: out of memory; verdict marks of the "
			"previous run left as they are\n");
		goto out;
	}
	if (pg_ct_sweep_marks(g->mark_mask, review_marked, &rc, &res, err, sizeof(err)) < 0) {
		fprintf(stderr, "peergated: start-up: cannot review the previous run's verdict "
			"marks: %s; they stay in force until their flows end\n", err);
		goto out;
	}
	g->rs.clear_failures = res.failures;
	restore_unmarked(&rc);
	fprintf(stderr, "peergated: start-up: %s; %llu marked connections; %llu flows "
		"restored (%llu re-decided under this policy), %llu unknown cleared for "
		"inspection, %llu clear failures\n", state,
		(unsigned long long)g->rs.marked, (unsigned long long)g->rs.restored,
		(unsigned long long)g->rs.redecided, (unsigned long long)g->rs.cleared,
		(unsigned long long)g->rs.clear_failures);
out:
	free(rc.matched);
	pg_flowstate_destroy(fs);
}

struct save_ctx {
	const struct pg_gateway *g;
	struct pg_flowstate_writer *w;
	size_t count;
};

static void save_flow(struct pg_flow *f, void *ctx)
{
	struct save_ctx *sc = ctx;
	if (f->state != PG_FLOW_DECIDED)
		return;
	pg_flowstate_writer_add(sc->w, f, pg_engine_flow_host(sc->g->engine, f));
	sc->count++;
}

/* The decided flows, for the next run's start-up (see restore_flows). */
static void save_flows(struct pg_gateway *g)
{
	const char *path = g->opt.state_path;
	char err[512];
	if (!path || !*path)
		return;
	struct save_ctx sc = {.g = g};
	sc.w = pg_flowstate_writer_open(path, (int64_t)time(NULL), g->mark_mask, err,
					sizeof(err));
	if (!sc.w) {
		fprintf(stderr, "peergated: flows not saved: %s\n", err);
		return;
	}
	pg_engine_foreach_flow(g->engine, save_flow, &sc);
	if (pg_flowstate_writer_commit(sc.w, err, sizeof(err)) < 0)
		fprintf(stderr, "peergated: flows not saved: %s\n", err);
	else
		fprintf(stderr, "peergated: %zu decided flows saved to %s\n", sc.count, path);
}

static void restart_json(const struct pg_gateway *g, FILE *out)
{
	fprintf(out, ",\"restart\":{\"state_flows\":%llu,\"marked\":%llu,\"restored\":%llu,"
		"\"redecided\":%llu,\"cleared\":%llu,\"clear_failures\":%llu}",
		(unsigned long long)g->rs.state_flows, (unsigned long long)g->rs.marked,
		(unsigned long long)g->rs.restored, (unsigned long long)g->rs.redecided,
		(unsigned long long)g->rs.cleared, (unsigned long long)g->rs.clear_failures);
}
