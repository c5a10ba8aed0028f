/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * policy.ini: parse (inih) -> validate -> immutable snapshot.  A snapshot is
 * never changed after load; reload builds a new one and swaps it in only
 * when the whole file is valid.
 */
#ifndef PEERGATE_POLICY_H
#define PEERGATE_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "peergate/taxonomy.h"

enum pg_action {
	PG_ACTION_ALLOW = 0,
	PG_ACTION_BLOCK,
	PG_ACTION_LOG,            /* allow, and log each new flow */
};

const char *pg_action_name(enum pg_action a);

enum pg_hook {
	PG_HOOK_FORWARD = 1u << 0,
	PG_HOOK_INPUT = 1u << 1,
	PG_HOOK_OUTPUT = 1u << 2,
};

enum pg_tcp_block { PG_TCP_BLOCK_RESET = 0, PG_TCP_BLOCK_DROP };

/* Errors collected while loading: "FILE:LINE: message" each. */
#define PG_DIAG_MAX 32
struct pg_diag {
	unsigned count;           /* may exceed PG_DIAG_MAX; only the first are kept */
	char msg[PG_DIAG_MAX][384];
};

void pg_diag_print(const struct pg_diag *d, FILE *out);

/* An address prefix from [exceptions]. */
struct pg_prefix {
	uint8_t family;           /* 4 or 6 */
	uint8_t len;              /* prefix length in bits */
	uint8_t addr[16];
};

/* Room for "ADDR/LEN" of any prefix, with the NUL. */
#define PG_PREFIX_STRLEN 50

/* Parses "ADDR" or "ADDR/LEN", IPv4 or IPv6.  A bare address is a /32 or
 * /128.  A prefix with bits set beyond LEN is rejected, not normalised: the
 * writer may have meant the host or the network, and the error names the
 * network ("did you mean '10.0.0.0/8'?").  On failure returns false and
 * writes the reason (without the input) to err when err is not NULL.  The
 * same parser serves policy.ini and the command line. */
bool pg_prefix_parse(const char *text, struct pg_prefix *out, char *err,
		     size_t errlen);
/* True when addr (4 or 16 bytes, per family) lies in p. */
bool pg_prefix_contains(const struct pg_prefix *p, uint8_t family,
			const uint8_t *addr);
/* Writes "ADDR/LEN" (at most PG_PREFIX_STRLEN bytes with the NUL). */
void pg_prefix_format(const struct pg_prefix *p, char *buf, size_t len);

/* Checks a `hosts` pattern: letters, digits, '-', '.' and '*', no empty
 * labels, labels of at most 63 and names of at most 253 characters, and at
 * least one letter or digit.  On failure writes the reason to err. */
bool pg_host_pattern_check(const char *pattern, char *err, size_t errlen);

/* The most queues `queue = N-M` may span: peergated runs one worker
 * thread per queue, and `check` refuses what the daemon would not serve. */
#define PG_MAX_QUEUES 64u

/* [engine] settings, with their defaults filled in. */
struct pg_engine_settings {
	uint16_t queue_first;     /* queue = N or N-M */
	uint16_t queue_count;
	unsigned hooks;           /* enum pg_hook bits; default forward */
	bool fail_open;           /* fail = open|closed; default open */
	/* The inspection budget per flow and direction: bytes of in-order
	 * payload (also the reassembly buffer), and a cap on payload packets
	 * bringing new bytes; see pg_engine_config. */
	uint32_t inspect_packets; /* default 64 */
	uint32_t inspect_bytes;   /* default 4096 */
	uint32_t inspect_idle_s;  /* a slot idle this long may be reclaimed; default 10 */
	/* Inspection slots (reassembly buffers) in the pool; 0 = not set:
	 * derived from max_flows, see pg_engine_inspect_slots(). */
	uint32_t inspect_slots;
	uint32_t max_flows;       /* default 65536 */
	uint32_t tcp_timeout_s;   /* default 600 */
	uint32_t udp_timeout_s;   /* default 120 */
	/* Verdict codes (see mark.h) are stored in these bits of the packet
	 * and conntrack marks: contiguous, at least 2 bits; default 0x07000000
	 * (clear of the low bits used for routing, kube-proxy's 0xc000,
	 * Tailscale's 0xff0000 and zapret's 0x40000000). */
	uint32_t mark_mask;
	enum pg_tcp_block tcp_block; /* default reset */
	/* log-rate: lines per second, at most, of the daemon's flow log and
	 * of the kernel's log of each port set's drops; default 20 */
	uint32_t log_rate;
	/* event-log: a file that gets one JSON object per decided flow (an
	 * absolute path); "" (the default): none */
	char event_log[256];
};

struct pg_policy;

/* Loads and validates a file.  On any error returns NULL and fills diag
 * (diag may be NULL).  Nothing is half-applied. */
struct pg_policy *pg_policy_load_file(const char *path, struct pg_diag *diag);
/* The same over a string; name is used in messages in place of FILE. */
struct pg_policy *pg_policy_load_string(const char *text, const char *name,
					struct pg_diag *diag);
/* The policy used when no file is given: everything allowed, defaults. */
struct pg_policy *pg_policy_default(void);

/* The systems registry (systems.h) a policy names its systems from.  The
 * loaders above use the built-in systems only; these take a registry
 * (NULL: built-in only), which the policy then owns (it is destroyed on
 * failure too), so a reload swaps the two together. */
struct pg_systems;
struct pg_policy *pg_policy_load_file_systems(const char *path,
					      struct pg_systems *systems,
					      struct pg_diag *diag);
struct pg_policy *pg_policy_load_string_systems(const char *text, const char *name,
						struct pg_systems *systems,
						struct pg_diag *diag);
struct pg_policy *pg_policy_default_systems(struct pg_systems *systems);
/* The registry of p (NULL for built-in only, or for a NULL p). */
const struct pg_systems *pg_policy_systems(const struct pg_policy *p);

/* The data files of dirs (pg_systems_load), then the policy at path (NULL:
 * the default policy) against them: what the daemon, `check` and
 * `classify` load.  prev (may be NULL) is the running policy, whose data
 * systems keep their ids.  On any error returns NULL and fills diag. */
struct pg_policy *pg_policy_load_all(const char *path, const char *const *dirs,
				     size_t ndirs, const struct pg_policy *prev,
				     struct pg_diag *diag);
void pg_policy_destroy(struct pg_policy *p);

/* The action for a class: the feature's key, else the system's `all`, else
 * allow.  Unpoliced systems (http, tls, unknown ...) are always allowed.
 * The snapshot resolves every class at load, so this is a table lookup.  A
 * NULL policy acts like pg_policy_default() in this and every query below. */
enum pg_action pg_policy_action(const struct pg_policy *p, enum pg_system sys,
				enum pg_feature feat);

/* The action for a flow between a and b: never blocked when either address
 * is in an `allow` exception prefix, unless either is in an `inspect` one
 * (inspect wins, as in the kernel's exceptions chain); else as
 * pg_policy_action. */
enum pg_action pg_policy_flow_action(const struct pg_policy *p, enum pg_system sys,
				     enum pg_feature feat, uint8_t family,
				     const uint8_t *a, const uint8_t *b);

/* The same for a flow read through a proxy (via is the proxy's feature:
 * socks4, socks5 or http-connect; PG_FEAT_ANY for none): the stricter of the
 * inner class's action and [proxy]'s, so `[proxy] all = block` also stops a
 * CONNECT to a messenger that is allowed directly. */
enum pg_action pg_policy_flow_action_via(const struct pg_policy *p, enum pg_system sys,
					 enum pg_feature feat, enum pg_feature via,
					 uint8_t family, const uint8_t *a, const uint8_t *b);

const struct pg_engine_settings *pg_policy_engine(const struct pg_policy *p);

/* `heuristics = block|log|off` for a system (default block): what a flow
 * classified with method `heuristic` gets.  block: the system's actions,
 * like any other match; log: logged, never blocked; off: not classified
 * by heuristics at all (the engine does not run them for the system). */
enum pg_heuristics_mode {
	PG_HEURISTICS_BLOCK = 0,
	PG_HEURISTICS_LOG,
	PG_HEURISTICS_OFF,
};

enum pg_heuristics_mode pg_policy_heuristics(const struct pg_policy *p, enum pg_system sys);

/* `ports = yes|no` for a system (default yes). */
bool pg_policy_ports_enabled(const struct pg_policy *p, enum pg_system sys);

/* Extra host patterns from `hosts = ...`, per system; returns the count and
 * sets *patterns to a borrowed array. */
size_t pg_policy_hosts(const struct pg_policy *p, enum pg_system sys,
		       const char *const **patterns);

/* [exceptions]: true when either address falls in `allow` (never blocked)
 * / `inspect` (always inspected). */
bool pg_policy_exception_allow(const struct pg_policy *p, uint8_t family,
			       const uint8_t *a, const uint8_t *b);
bool pg_policy_exception_inspect(const struct pg_policy *p, uint8_t family,
				 const uint8_t *a, const uint8_t *b);

/* The [exceptions] prefixes, in file order without duplicates; returns the
 * count and sets *out to a borrowed array (NULL when empty). */
size_t pg_policy_allow_prefixes(const struct pg_policy *p,
				const struct pg_prefix **out);
size_t pg_policy_inspect_prefixes(const struct pg_policy *p,
				  const struct pg_prefix **out);

/* Human summary for `check`: what is blocked, per system. */
void pg_policy_print_summary(const struct pg_policy *p, FILE *out);

/* True when the two policies act differently on any feature of sys. */
bool pg_policy_system_changed(const struct pg_policy *a,
			      const struct pg_policy *b, enum pg_system sys);

#endif
