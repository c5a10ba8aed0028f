/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One worker: the packet loop of one queue, and the verdict logic.  The
 * worker owns its queue socket, its engine and its counters; nothing here
 * takes a lock per packet (the worker's own lock is held per batch, so
 * that the control thread can read a consistent engine).
 */
#include "gateway_priv.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "peergate/conntrack.h"
#include "peergate/engine_policy.h"
#include "peergate/mark.h"
#include "peergate/syn_table.h"
#include "peergate/systems.h"
#include "peergate/verdict.h"

/* After a failed pg_nft_dyn_block, no new attempt for this long: a full
 * set or a missing table does not heal from one packet to the next, and
 * under a flood every attempt would add a netlink round trip to each
 * queued packet.  Meanwhile blocked flows get per-packet verdicts. */
enum { DYN_BLOCK_HOLDOFF_MS = 1000 };

/* Receive batches served before the worker looks up again (a new
 * snapshot, stop, its tick); poll returns at once while packets wait. */
enum { MAX_BATCHES_PER_WAKEUP = 16 };

/* The longest a worker sleeps in poll: its heartbeat, and so the
 * watchdog, needs it to turn even when no packet comes. */
enum { WORKER_POLL_MS = 100, TICK_MS = 1000 };

/* The severity of a decided flow's line: blocks are what an admin looks
 * for, `log` flows were asked for, allowed ones only with --verbose. */
static int flow_level(enum pg_action a)
{
	return a == PG_ACTION_BLOCK ? LOG_NOTICE : a == PG_ACTION_LOG ? LOG_INFO : LOG_DEBUG;
}

/* One line per decided flow, key=value so that it greps and parses:
 *   flow action=block class=bittorrent/file-sharing method=payload
 *   confidence=90 l4=tcp client=10.0.0.2:40000 server=192.0.2.9:6881
 *   host=tracker.example via=socks5 excepted=yes
 * The host came off the wire: escaped, never trusted as text. */
static void log_flow(struct pg_log *log, const struct pg_flow *f,
		     const struct pg_flow_verdict *fv, const char *system, const char *wire_host)
{
	int level = flow_level(fv->action);
	char c[64], s[64], host[200];

	if (!pg_log_enabled(log, level))
		return;
	pg_format_endpoint(f->family, f->client_addr, f->client_port, c, sizeof(c));
	pg_format_endpoint(f->family, f->server_addr, f->server_port, s, sizeof(s));
	pg_log_clean(host, sizeof(host), wire_host);
	pg_log(log, level, PG_LOG_FLOW,
	       "flow action=%s class=%s/%s method=%s confidence=%u l4=%s client=%s server=%s"
	       "%s%s%s%s%s",
	       pg_action_name(fv->action), system, pg_feature_name(f->feature), pg_method_name(f->method), f->confidence,
	       f->l4proto == IPPROTO_TCP ? "tcp" : "udp", c, s, host[0] ? " host=" : "", host,
	       f->via_proxy ? " via=" : "", f->via_proxy ? pg_feature_name(f->via_proxy) : "",
	       fv->excepted ? " excepted=yes" : "");
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
static void dyn_block(struct gw_worker *w, const struct pg_flow *f,
		      const struct pg_packet_result *r, uint64_t now)
{
	const struct pg_engine_settings *s = pg_policy_engine(w->snap->policy);
	bool udp = f->l4proto == IPPROTO_UDP;
	uint32_t timeout_s = udp ? s->udp_timeout_s : s->tcp_timeout_s;
	uint64_t timeout_ms = (uint64_t)timeout_s * 1000u;
	char err[256];

	if (!(udp || (f->l4proto == IPPROTO_TCP && r->created && r->just_decided)))
		return;
	if (pg_ct_create_marked(f->family, f->l4proto, f->client_addr, f->client_port,
				f->server_addr, f->server_port,
				pg_mark_value(w->g->mark_mask, pg_flow_verdict_of(w->snap->policy, f).code),
				timeout_s) == 0)
		w->ec.ct_blocks++;
	else if (errno != EEXIST)
		w->ec.ct_block_failures++;
	if (!w->dyn || now < w->dyn_holdoff_until)
		return;
	/* As long as the daemon would remember the idle flow. */
	if (timeout_ms > UINT32_MAX)
		timeout_ms = UINT32_MAX;
	if (pg_nft_dyn_block(w->dyn, f->family, f->l4proto, f->client_addr, f->client_port,
			     f->server_addr, f->server_port, (uint32_t)timeout_ms,
			     err, sizeof(err)) == 0) {
		w->ec.dyn_blocks++;
		if (w->dyn_failing)
			pg_log(w->g->opt.log, LOG_NOTICE, PG_LOG_EVENT, "queue %u: blocked-flow "
			       "sets take flows again", (unsigned)w->queue_num);
		w->dyn_failing = false;
	} else {
		w->ec.dyn_block_failures++;
		w->dyn_holdoff_until = now + DYN_BLOCK_HOLDOFF_MS;
		if (!w->dyn_failing)
			pg_log(w->g->opt.log, LOG_WARNING, PG_LOG_EVENT, "queue %u: cannot add a "
			       "blocked flow to the kernel set: %s; per-packet verdicts until it "
			       "works again", (unsigned)w->queue_num, err);
		w->dyn_failing = true;
	}
}

static bool fail_open(const struct gw_worker *w)
{
	return pg_policy_engine(w->snap->policy)->fail_open;
}

/* A packet the daemon will not read: the fail policy settles it, and one
 * of the pair of counters says which way. */
static void by_fail_policy(const struct gw_worker *w, uint64_t *accepted, uint64_t *dropped,
			   struct pg_nfq_verdict *v)
{
	bool open = fail_open(w);

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
static bool settle_returned_stamp(struct gw_worker *w, enum pg_mark_code code,
				  struct pg_nfq_verdict *v)
{
	w->ec.stamp_returned++;
	v->kind = final_kind(code);
	return true;
}

/* Conntrack called this packet INVALID (the table marked it so): it has
 * no entry that a stamp could reach, so it gets a final verdict.  Its
 * bytes never reach the detectors: a segment with a bad checksum or one
 * outside the window is not what the receiver will read, and feeding it
 * to reassembly would let a sender plant bytes the inspection believes. */
static bool settle_ct_invalid(struct gw_worker *w, const struct pg_nfq_packet *pkt,
			      struct pg_nfq_verdict *v)
{
	struct pg_packet_result r;

	if (pg_engine_find(w->engine, pkt->data, pkt->len, &r) == PG_ENGINE_TRACKED &&
	    r.flow && r.flow->state == PG_FLOW_DECIDED) {
		struct pg_flow *f = r.flow;
		struct pg_flow_verdict fv = pg_flow_verdict_of(w->snap->policy, f);
		bool block = pg_flow_verdict_blocks(&fv);

		w->ec.invalid_flow_verdict++;
		count_packet(&w->vstats.cls[f->system][f->feature], block, pkt->orig_len);
		v->kind = block ? PG_NFQ_DROP : PG_NFQ_ACCEPT;
		return true;
	}
	by_fail_policy(w, &w->ec.invalid_accepted, &w->ec.invalid_dropped, v);
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
static void unread_verdict(struct gw_worker *w, const struct pg_packet_result *r,
			   struct pg_nfq_verdict *v)
{
	if (r->conflict) {
		w->ec.conflicts_dropped++;
		v->kind = PG_NFQ_DROP;
	} else {
		by_fail_policy(w, &w->ec.starved_accepted, &w->ec.starved_dropped, v);
	}
}

/* A packet the engine did not track: let through, unless it is of a kind
 * peergate refuses to inspect and `fail` says closed. */
static bool untracked_verdict(struct gw_worker *w, enum pg_engine_status st,
			      struct pg_nfq_verdict *v)
{
	if (st != PG_ENGINE_UNINSPECTABLE) {
		/* Malformed (the receiver cannot read it either), a later
		 * fragment, or not TCP/UDP: nothing here for the detectors. */
		w->ec.not_tracked++;
		return true;
	}
	/* Let through uninspected, it would pass every block. */
	by_fail_policy(w, &w->ec.uninspectable_accepted, &w->ec.uninspectable_dropped, v);
	return true;
}

/* The verdict that stamps a decided flow's code, so that the kernel
 * settles the rest of the flow. */
static void stamp_verdict(const struct gw_worker *w, const struct pg_nfq_packet *pkt,
			  enum pg_mark_code code, struct pg_nfq_verdict *v)
{
	if (w->g->has_ct && !pkt->has_ct) {
		/* The kernel reports conntrack with each packet and this one
		 * has no entry (untracked, or INVALID where the table could
		 * not mark it): no stamp can land, so the verdict is final. */
		v->kind = final_kind(code);
	} else if (w->g->has_ct && code == PG_MARK_ACCEPT) {
		/* CTA_MARK replaces the whole ct mark: keep the bits of the
		 * mark the packet reported that are not ours. */
		v->kind = PG_NFQ_ACCEPT_CTMARK;
		v->ct_mark = (pkt->ct_mark & ~w->g->mark_mask) | pg_mark_value(w->g->mark_mask, code);
	} else {
		/* The packet goes round the chain again; the head rule copies
		 * the mark into the ct mark and the ct-mark rules settle this
		 * packet and the rest of the flow in the kernel. */
		v->kind = PG_NFQ_REPEAT_MARK;
		v->mark = (pkt->mark & ~w->g->mark_mask) | pg_mark_value(w->g->mark_mask, code);
	}
}

/* A flow decided by this packet: counted once, and logged. */
static void note_decision(struct gw_worker *w, const struct pg_flow *f,
			  const struct pg_flow_verdict *fv, bool block)
{
	struct pg_class_counters *c = &w->vstats.cls[f->system][f->feature];
	/* the name data systems have in this snapshot's registry */
	const char *system = pg_systems_name(pg_policy_systems(w->snap->policy), f->system);
	const char *host = pg_engine_flow_host(w->engine, f);

	c->flows++;
	c->flows_dropped += block;
	c->flows_logged += fv->action == PG_ACTION_LOG;
	log_flow(w->g->opt.log, f, fv, system, host);
	if (pg_eventlog_flow(w->g->events, f, fv, system, host) < 0)
		pg_log(w->g->opt.log, LOG_ERR, PG_LOG_EVENT, "cannot write to the event file");
}

/* A packet of a decided flow: counted, logged when it decided the flow,
 * and answered as the shared verdict logic says. */
static void decided_verdict(struct gw_worker *w, const struct pg_nfq_packet *pkt,
			    const struct pg_packet_result *r, uint64_t now,
			    struct pg_nfq_verdict *v)
{
	struct pg_flow *f = r->flow;
	struct pg_flow_verdict fv = pg_flow_verdict_of(w->snap->policy, f);
	bool block = pg_flow_verdict_blocks(&fv);

	w->ec.exception_accepted += fv.excepted;
	if (r->just_decided)
		note_decision(w, f, &fv, block);
	count_packet(&w->vstats.cls[f->system][f->feature], block, pkt->orig_len);
	if (fv.code == PG_MARK_NONE) {
		/* An allowed IM control flow stays in user space (unstamped)
		 * while the engine reads it for announced peer connections;
		 * such sessions carry few packets. */
		w->ec.watch_accepted++;
		return;
	}
	/* Before the verdict, so that the flow's next packet already meets
	 * the set. */
	if (block)
		dyn_block(w, f, r, now);
	stamp_verdict(w, pkt, fv.code, v);
}

/* The first queued packet of a connection whose SYN the table logged
 * instead of queueing (synlog.h): the engine gets that SYN first, so it
 * sees what it saw when SYNs were queued.  A flow the SYN decides (an
 * expected peer, a learned address) is counted and logged here, and a
 * blocked one goes into the blocked-flow sets at once; the SYN itself
 * already passed, so the packet in hand is the first one that verdict
 * stops.  The socket is drained when the SYN is not in the table yet: the
 * packet in hand was queued after its SYN was logged, so by now the SYN
 * is in the socket. */
static void replay_logged_syn(struct gw_worker *w, const struct pg_nfq_packet *pkt, uint64_t now)
{
	struct pg_packet p;
	struct pg_packet_result r;
	uint8_t syn[PG_SYN_MAX];

	if (pg_packet_parse(pkt->data, pkt->len, &p) != PG_PARSE_OK || p.l4proto != IPPROTO_TCP ||
	    (p.tcp_flags & (PG_TCP_SYN | PG_TCP_ACK)) == PG_TCP_SYN)
		return;
	size_t n = gw_synlog_take(w->g->synlog, &p, false, now, syn, sizeof(syn));
	if (!n)
		n = gw_synlog_take(w->g->synlog, &p, true, now, syn, sizeof(syn));
	if (!n)
		return;
	w->ec.syns_replayed++;
	if (pg_engine_packet(w->engine, syn, n, now, &r) != PG_ENGINE_TRACKED || !r.flow ||
	    r.flow->state != PG_FLOW_DECIDED || !r.just_decided)
		return;
	struct pg_flow_verdict fv = pg_flow_verdict_of(w->snap->policy, r.flow);
	bool block = pg_flow_verdict_blocks(&fv);
	note_decision(w, r.flow, &fv, block);
	if (block)
		dyn_block(w, r.flow, &r, now);
}

/* The verdict for one queued packet.  Exactly one verdict leaves here; any
 * path that cannot classify accepts (or, for a flow that cannot be
 * inspected, does what `fail` says). */
static bool on_packet(void *ctx, const struct pg_nfq_packet *pkt, struct pg_nfq_verdict *v)
{
	struct gw_worker *w = ctx;
	struct pg_packet_result r;
	uint64_t now = gw_now_ms();
	enum pg_mark_code came_with = pg_mark_code_of(w->g->mark_mask, pkt->mark);

	w->ec.queued++;
	v->kind = PG_NFQ_ACCEPT;
	if (pg_mark_is_verdict(came_with))
		return settle_returned_stamp(w, came_with, v);
	if (came_with == PG_MARK_CT_INVALID)
		return settle_ct_invalid(w, pkt, v);
	if (w->g->synlog)
		replay_logged_syn(w, pkt, now);
	enum pg_engine_status st = pg_engine_packet(w->engine, pkt->data, pkt->len, now, &r);
	if (st != PG_ENGINE_TRACKED)
		return untracked_verdict(w, st, v);
	if (r.starved || r.conflict)
		unread_verdict(w, &r, v);
	else if (r.flow->state != PG_FLOW_DECIDED)
		w->ec.inspect_accepted++;
	else
		decided_verdict(w, pkt, &r, now, v);
	return true;
}


/* A decided flow whose system's policy changed: clear peergate's bits of its
 * ct mark, so its next packet comes back to the queue and gets the new
 * verdict (the flow stays decided; only the action is looked up again). */
struct reclassify_ctx {
	struct gw_worker *w;
	const struct pg_policy *old, *now;
};

static void reclassify(struct pg_flow *f, void *ctx)
{
	struct reclassify_ctx *rc = ctx;
	if (f->state != PG_FLOW_DECIDED ||
	    (!pg_policy_system_changed(rc->old, rc->now, f->system) &&
	     !(f->via_proxy && pg_policy_system_changed(rc->old, rc->now, PG_SYS_PROXY))))
		return;
	if (pg_ct_clear_mark(f->family, f->l4proto, f->client_addr, f->client_port,
			     f->server_addr, f->server_port, rc->w->g->mark_mask) == 0)
		rc->w->ec.ct_marks_cleared++;
	else
		rc->w->ec.ct_clear_failures++;
}

void gw_worker_adopt_snapshot(struct gw_worker *w, const struct gw_snapshot *s)
{
	const struct gw_snapshot *old = w->snap;

	pthread_mutex_lock(&w->lock);
	w->snap = s;
	pg_engine_set_host_rules(w->engine, s->hosts);
	pg_engine_set_heuristics_off(w->engine, pg_engine_heuristics_off(s->policy));
	if (old) {
		struct reclassify_ctx rc = {w, old->policy, s->policy};
		pg_engine_foreach_flow(w->engine, reclassify, &rc);
	}
	pthread_mutex_unlock(&w->lock);
	/* After the last use of old: the control thread may free it now. */
	atomic_store_explicit(&w->seen_gen, s->gen, memory_order_release);
}

/* Between batches: the snapshot the control thread published last. */
static void follow_snapshot(struct gw_worker *w)
{
	struct gw_snapshot *cur = atomic_load_explicit(&w->g->current, memory_order_acquire);

	if (cur != w->snap)
		gw_worker_adopt_snapshot(w, cur);
}

/* Serves what waits on the queue, batch by batch.  Returns -1 when the
 * socket failed. */
static int serve_queue(struct gw_worker *w)
{
	int n = 0;

	for (unsigned b = 0; b < MAX_BATCHES_PER_WAKEUP; b++) {
		pthread_mutex_lock(&w->lock);
		n = pg_nfq_process(w->nfq, false, on_packet, w);
		pthread_mutex_unlock(&w->lock);
		if (n <= 0)
			break;
	}
	return n < 0 ? -1 : 0;
}

static void tick(struct gw_worker *w)
{
	uint64_t now = gw_now_ms();

	if (now - w->last_tick_ms < TICK_MS)
		return;
	w->last_tick_ms = now;
	pthread_mutex_lock(&w->lock);
	pg_engine_tick(w->engine, now);
	pthread_mutex_unlock(&w->lock);
}

/* The worker cannot go on: the control thread learns it from the event
 * descriptor and stops the daemon (its queue would hold packets for
 * ever otherwise). */
static void worker_failed(struct gw_worker *w, const char *what)
{
	uint64_t one = 1;

	pg_log(w->g->opt.log, LOG_ERR, PG_LOG_EVENT, "queue %u: %s: %s",
	       (unsigned)w->queue_num, what, strerror(errno));
	atomic_store(&w->failed, true);
	if (write(w->g->event_fd, &one, sizeof(one)) < 0)
		perror("peergated: worker event");
}

void *gw_worker_main(void *arg)
{
	struct gw_worker *w = arg;
	struct pollfd pfd[2] = {
		{.fd = pg_nfq_fd(w->nfq), .events = POLLIN},
		{.fd = w->wake_fd, .events = POLLIN},
	};

	for (;;) {
		atomic_fetch_add_explicit(&w->heartbeat, 1, memory_order_relaxed);
		if (atomic_load(&w->g->stopping))
			break;
		follow_snapshot(w);
		tick(w);
		int rc = poll(pfd, 2, WORKER_POLL_MS);
		if (rc < 0 && errno != EINTR) {
			worker_failed(w, "poll");
			break;
		}
		if (rc <= 0)
			continue;
		if (pfd[1].revents & POLLIN) {
			uint64_t v;
			if (read(w->wake_fd, &v, sizeof(v)) < 0 && errno != EAGAIN) {
				worker_failed(w, "wake-up descriptor");
				break;
			}
		}
		if ((pfd[0].revents & (POLLIN | POLLERR)) && serve_queue(w) < 0) {
			worker_failed(w, "queue socket failed");
			break;
		}
	}
	return NULL;
}
