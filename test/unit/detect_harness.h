/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The harness of the detector tests: runs one detector over a scripted
 * exchange as the engine would run it, and checks what it said.
 *
 * Each step is one payload packet in one direction.  The detector's input
 * comes from the engine's own builder, pg_detect_input_of()
 * (src/core/detect_input.h), given a flow (IPv4, 192.0.2.1 -> 198.51.100.7)
 * and the packet; the streams beside it are kept as the engine's
 * inspection keeps them: for TCP each direction's bytes in order, for UDP
 * each direction's last datagram.  As in the engine, a TCP payload is the
 * packet itself, apart from the stream; a UDP datagram is both.
 *
 * Engine-level tests find an IPv4 packet builder at the end.
 */
#ifndef PEERGATE_TEST_DETECT_HARNESS_H
#define PEERGATE_TEST_DETECT_HARNESS_H

#include <netinet/in.h>
#include <stddef.h>

#include "check.h"
#include "packet_builder.h"
#include "peergate/detect.h"
#include "peergate/flow.h"
#include "peergate/packet.h"
#include "peergate/taxonomy.h"
#include "../../src/core/detect_input.h"
#include "../../src/detect/detectors.h"

#define TCP IPPROTO_TCP
#define UDP IPPROTO_UDP
#define C2S PG_DIR_C2S
#define S2C PG_DIR_S2C
#define NSTEPS(a) (sizeof(a) / sizeof((a)[0]))

/* A payload packet of a script, as hex (spaces allowed) or as text. */
struct pg_step {
	enum pg_dir dir;
	const char *hex;          /* NULL: use text */
	const char *text;         /* without its NUL */
};

#define C2S_HEX(h) {PG_DIR_C2S, (h), NULL}
#define S2C_HEX(h) {PG_DIR_S2C, (h), NULL}
#define C2S_TXT(t) {PG_DIR_C2S, NULL, (t)}
#define S2C_TXT(t) {PG_DIR_S2C, NULL, (t)}

enum {
	PG_RUN_STREAM = 8192,     /* one direction's stream, as inspection buffer */
	PG_RUN_WIRE = 16384,      /* every packet one direction sent */
	/* A watched packet comes after this many payload packets each way. */
	PG_RUN_WATCH_AFTER = 40,
};

/* How a run plays its flow (pg_run_start's flags). */
enum {
	/* Go on after a match, as the engine does while the match stays below
	 * PG_CONF_DECIDE (and for announcements): the result is the last
	 * match.  Otherwise the run stops at the first match. */
	PG_RUN_ALL = 1u << 0,
	/* The flow was seen from its handshake: its streams start at the
	 * first byte of the application protocol. */
	PG_RUN_FROM_START = 1u << 1,
	/* Packets of a decided flow that the engine only watches for
	 * announcements: each is read on its own, without streams. */
	PG_RUN_WATCHED = 1u << 2,
};

struct pg_run {
	enum pg_detect_status status;   /* of the last call */
	struct pg_detect_result result; /* of the first match (PG_RUN_ALL: last) */
	int matched_at;                 /* the step of that match, -1: none */
	unsigned steps;
	const struct pg_detector *det;
	unsigned flags;
	struct pg_flow flow;            /* as the engine holds it */
	size_t wire_len[2], stream_len[2];
	const uint8_t *last[2];         /* UDP: each direction's last datagram */
	size_t last_len[2];
	/* result.host points into these: they live as long as the run */
	uint8_t wire[2][PG_RUN_WIRE];
	uint8_t streams[2][PG_RUN_STREAM];
};

static inline void pg_run_start(struct pg_run *run, const struct pg_detector *d,
				uint8_t l4proto, uint16_t client_port,
				uint16_t server_port, unsigned flags)
{
	static const uint8_t caddr[4] = {192, 0, 2, 1};
	static const uint8_t saddr[4] = {198, 51, 100, 7};
	struct pg_flow *f = &run->flow;

	memset(run, 0, offsetof(struct pg_run, wire));
	run->status = PG_DETECT_MAYBE;
	run->matched_at = -1;
	run->det = d;
	run->flags = flags;
	memcpy(f->client_addr, caddr, sizeof(caddr));
	memcpy(f->server_addr, saddr, sizeof(saddr));
	f->client_port = client_port;
	f->server_port = server_port;
	f->family = 4;
	f->l4proto = l4proto;
	if (flags & PG_RUN_FROM_START)
		f->flags |= PG_FLOW_FROM_START;
	if (flags & PG_RUN_WATCHED)
		f->payload_pkts[0] = f->payload_pkts[1] = PG_RUN_WATCH_AFTER;
}

/* What the engine keeps of this direction's and the other's bytes once the
 * packet pkt[0..n) has arrived. */
static inline struct pg_detect_bytes pg_run_keep(struct pg_run *run,
						 enum pg_dir dir,
						 const uint8_t *pkt, size_t n)
{
	struct pg_detect_bytes b = {
		.from_start = (run->flow.flags & PG_FLOW_FROM_START) != 0,
	};
	if (run->flow.l4proto == IPPROTO_TCP) {
		size_t room = PG_RUN_STREAM - run->stream_len[dir];
		size_t take = n < room ? n : room;
		memcpy(run->streams[dir] + run->stream_len[dir], pkt, take);
		run->stream_len[dir] += take;
		b.stream = run->streams[dir];
		b.stream_len = run->stream_len[dir];
		b.other = run->streams[!dir];
		b.other_len = run->stream_len[!dir];
	} else {
		run->last[dir] = pkt;
		run->last_len[dir] = n;
		b.stream = pkt;
		b.stream_len = n;
		b.other = run->last[!dir] ? run->last[!dir] : run->wire[!dir];
		b.other_len = run->last_len[!dir];
	}
	return b;
}

/* One payload packet p[0..n) in direction dir. */
static inline enum pg_detect_status pg_run_packet(struct pg_run *run,
						  enum pg_dir dir,
						  const uint8_t *p, size_t n)
{
	struct pg_flow *f = &run->flow;
	uint8_t *pkt = run->wire[dir] + run->wire_len[dir];
	size_t room = PG_RUN_WIRE - run->wire_len[dir];
	if (n > room)
		n = room;
	memcpy(pkt, p, n);
	run->wire_len[dir] += n;
	struct pg_packet packet = {
		.family = 4,
		.l4proto = f->l4proto,
		.payload = pkt,
		.payload_len = n,
	};

	struct pg_detect_input in;
	if (run->flags & PG_RUN_WATCHED) {
		in = pg_detect_input_of(f, dir, &packet, f->payload_pkts[dir], NULL);
	} else {
		struct pg_detect_bytes b = pg_run_keep(run, dir, pkt, n);
		if (f->payload_pkts[dir] < 255)
			f->payload_pkts[dir]++;
		in = pg_detect_input_of(f, dir, &packet, f->payload_pkts[dir] - 1u, &b);
	}
	struct pg_detect_result r;
	memset(&r, 0, sizeof(r));
	run->status = run->det->fn(&in, &r);
	if (run->status == PG_DETECT_MATCH &&
	    (run->matched_at < 0 || (run->flags & PG_RUN_ALL))) {
		run->result = r;
		/* a name the detector decoded into its own buffer (QUIC) */
		if (r.host >= r.host_buf && r.host < r.host_buf + sizeof(r.host_buf))
			run->result.host = run->result.host_buf + (r.host - r.host_buf);
		run->matched_at = (int)run->steps;
	}
	run->steps++;
	return run->status;
}

static inline enum pg_detect_status pg_run_step(struct pg_run *run,
						const struct pg_step *step)
{
	uint8_t pkt[PG_RUN_STREAM];
	size_t n;
	if (step->hex) {
		n = pg_hex(step->hex, pkt, sizeof(pkt));
	} else {
		n = strlen(step->text);
		if (n > sizeof(pkt))
			n = sizeof(pkt);
		memcpy(pkt, step->text, n);
	}
	return pg_run_packet(run, step->dir, pkt, n);
}

/* Plays steps[0..n) until the detector says NO, or (without PG_RUN_ALL)
 * matches; returns the last status. */
static inline enum pg_detect_status
pg_run_steps(const struct pg_detector *d, uint8_t l4proto, uint16_t client_port,
	     uint16_t server_port, const struct pg_step *steps, size_t n,
	     unsigned flags, struct pg_run *run)
{
	pg_run_start(run, d, l4proto, client_port, server_port, flags);
	for (size_t i = 0; i < n; i++) {
		enum pg_detect_status st = pg_run_step(run, &steps[i]);
		if (st == PG_DETECT_NO ||
		    (st == PG_DETECT_MATCH && !(flags & PG_RUN_ALL)))
			break;
	}
	return run->status;
}

/* Until the first MATCH or NO. */
static inline enum pg_detect_status
pg_run_detector(const struct pg_detector *d, uint8_t l4proto,
		uint16_t client_port, uint16_t server_port,
		const struct pg_step *steps, size_t n, struct pg_run *run)
{
	return pg_run_steps(d, l4proto, client_port, server_port, steps, n, 0,
			    run);
}

/* Every step until NO; run->result is the last match. */
static inline enum pg_detect_status
pg_run_all(const struct pg_detector *d, uint8_t l4proto, uint16_t client_port,
	   uint16_t server_port, const struct pg_step *steps, size_t n,
	   struct pg_run *run)
{
	return pg_run_steps(d, l4proto, client_port, server_port, steps, n,
			    PG_RUN_ALL, run);
}

/* ---- checks ---------------------------------------------------------- */

static inline void pg_run_report(const char *what, const char *expected,
				 const struct pg_run *run)
{
	fprintf(stderr, "%s: %s, got status %d system %s feature %s conf %u at %d\n",
		what, expected, (int)run->status,
		pg_system_name(run->result.system),
		pg_feature_name(run->result.feature), run->result.confidence,
		run->matched_at);
}

/* The result names this host. */
static inline bool pg_run_host_is(const struct pg_run *run, const char *want)
{
	const struct pg_detect_result *r = &run->result;
	return r->host && r->host_len == strlen(want) &&
	       memcmp(r->host, want, r->host_len) == 0;
}

/* Runs steps; checks a MATCH of (sys, feat) with a confidence in
 * [min_conf, max_conf], at step `at` (-1: any step). */
static inline void check_class(const char *what, const struct pg_detector *d,
			       uint8_t l4proto, uint16_t cport, uint16_t sport,
			       const struct pg_step *steps, size_t n,
			       enum pg_system sys, enum pg_feature feat,
			       uint8_t min_conf, uint8_t max_conf, int at,
			       struct pg_run *run)
{
	enum pg_detect_status st =
		pg_run_detector(d, l4proto, cport, sport, steps, n, run);
	bool ok = st == PG_DETECT_MATCH && run->result.system == sys &&
		  run->result.feature == feat &&
		  run->result.confidence >= min_conf &&
		  run->result.confidence <= max_conf &&
		  (at < 0 || run->matched_at == at);
	if (!ok)
		pg_run_report(what, "expected a match", run);
	CHECK(ok);
}

#define EXPECT_CLASS(what, d, l4, cp, sp, steps, sys, feat, minc, at)          \
	do {                                                                   \
		struct pg_run run_;                                            \
		check_class(what, d, l4, cp, sp, steps, NSTEPS(steps), sys,    \
			    feat, minc, PG_CONF_CERTAIN, at, &run_);           \
	} while (0)

/* Runs steps; checks that none matched and the last status is want (NO or
 * MAYBE). */
static inline void check_status(const char *what, const struct pg_detector *d,
				uint8_t l4proto, uint16_t cport, uint16_t sport,
				const struct pg_step *steps, size_t n,
				enum pg_detect_status want)
{
	struct pg_run run;
	enum pg_detect_status st =
		pg_run_detector(d, l4proto, cport, sport, steps, n, &run);
	if (st != want)
		pg_run_report(what, want == PG_DETECT_NO ? "expected NO"
							 : "expected MAYBE", &run);
	CHECK(st == want);
}

#define EXPECT_STATUS(what, d, l4, cp, sp, steps, want)                        \
	check_status(what, d, l4, cp, sp, steps, NSTEPS(steps), want)

/* Runs steps as a flow seen from its handshake (PG_RUN_FROM_START); checks
 * that the detector rules its protocol out (NO), as it may at once when
 * bytes cannot open the protocol. */
static inline void check_no_from_start(const char *what, const struct pg_detector *d,
				       uint8_t l4, uint16_t cport, uint16_t sport,
				       const struct pg_step *steps, size_t n)
{
	struct pg_run run;
	pg_run_steps(d, l4, cport, sport, steps, n, PG_RUN_FROM_START, &run);
	if (run.status != PG_DETECT_NO)
		pg_run_report(what, "expected NO", &run);
	CHECK(run.status == PG_DETECT_NO);
}

#define EXPECT_NO(what, d, l4, cp, sp, steps)                                  \
	check_no_from_start(what, d, l4, cp, sp, steps, NSTEPS(steps))

/* Runs steps; checks that the detector did not match. */
static inline void check_no_match(const char *what, const struct pg_detector *d,
				  uint8_t l4proto, uint16_t cport, uint16_t sport,
				  const struct pg_step *steps, size_t n)
{
	struct pg_run run;
	enum pg_detect_status st =
		pg_run_detector(d, l4proto, cport, sport, steps, n, &run);
	if (st == PG_DETECT_MATCH)
		pg_run_report(what, "expected no match", &run);
	CHECK(st != PG_DETECT_MATCH);
}

/* Every detector of a list (pg_detectors_paper, _modern ...) that reads
 * this transport, on bytes of another protocol: none may match. */
static inline void check_list_clean(const char *what,
				    const struct pg_detector *const *list,
				    uint8_t l4proto, uint16_t cport,
				    uint16_t sport, const struct pg_step *steps,
				    size_t n)
{
	unsigned need = l4proto == IPPROTO_TCP ? PG_L4_TCP : PG_L4_UDP;
	for (size_t i = 0; list[i]; i++) {
		if (!(list[i]->l4_mask & need))
			continue;
		struct pg_run run;
		enum pg_detect_status st =
			pg_run_detector(list[i], l4proto, cport, sport, steps, n, &run);
		if (st == PG_DETECT_MATCH) {
			fprintf(stderr, "detector %s: ", list[i]->name);
			pg_run_report(what, "expected no match", &run);
		}
		CHECK(st != PG_DETECT_MATCH);
	}
}

#endif
