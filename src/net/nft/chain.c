/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The rules of a base chain, one function per step, in the order of
 * nft_table.h and the README's chain diagram (add_chain_rules lists the
 * steps), and the regular chain `exceptions` that step 6 jumps to.
 */
#include "chain.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>

#include "config.h"
#include "expr.h"
#include "keys.h"
#include "objects.h"
#include "peergate/mark.h"

/* The kernel keeps 127 bytes of a log prefix (NF_LOG_PREFIXLEN). */
enum { PG_NFT_LOG_PREFIX_MAX = 128 };

/* One chain being built: where its rules go, and how many it has so far
 * (error reports number them from 1). */
struct chain_build {
	struct batch *b;
	const struct pg_nft_config *cfg;
	const char *chain;
	enum pg_nft_queue_kind kind;
	unsigned nr;
};

/* Appends the rule; reports call it "chain C rule N (what)". */
__attribute__((format(printf, 4, 5)))
static int emit(struct chain_build *cb, struct rule *ru, bool queue,
		const char *fmt, ...)
{
	char what[112];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return pgnft_rule_emit(cb->b, ru, queue, "chain %s rule %u (%s)", cb->chain,
			       ++cb->nr, what);
}

/* 1. Most packets belong to flows already accepted: settle them with the
 *    first rule (a packet that carries a verdict code of its own still
 *    goes through the copy rules below). */
static int step_accepted_fast(struct chain_build *cb)
{
	const uint32_t m = cb->cfg->mark_mask;
	struct rule ru;

	pgnft_rule_start_ct_code(&ru, cb->chain, m, pg_mark_value(m, PG_MARK_ACCEPT));
	e_meta_load(&ru, NFT_META_MARK);
	e_bitwise_u32(&ru, m, 0);
	e_cmp_u32(&ru, 0);
	e_counter(&ru);
	e_verdict(&ru, NF_ACCEPT);
	return emit(cb, &ru, false, "ct mark accept, fast path");
}

/* 2. The verdict code in the packet mark goes into the ct mark, and the
 *    ct mark's other bits (other tools' marks) stay.  nftables can only
 *    combine a register with constants, so
 *    `ct mark set ct mark & ~M | meta mark & M` becomes one rule per
 *    code: `meta mark & M == V ct mark set ct mark & ~M | V`. */
static int step_mark_copy(struct chain_build *cb)
{
	static const enum pg_mark_code codes[] = {
		PG_MARK_ACCEPT, PG_MARK_BLOCK, PG_MARK_DROP,
	};
	static const char *const code_names[] = {"accept", "block", "drop"};
	const uint32_t m = cb->cfg->mark_mask;
	struct rule ru;
	int ret = -1;

	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		uint32_t v = pg_mark_value(m, codes[i]);

		pgnft_rule_start(&ru, cb->chain);
		e_meta_load(&ru, NFT_META_MARK);
		e_bitwise_u32(&ru, m, 0);
		e_cmp_u32(&ru, v);
		e_ct_load(&ru, NFT_CT_MARK);
		e_bitwise_u32(&ru, ~m, v);
		e_ct_set(&ru, NFT_CT_MARK);
		if (emit(cb, &ru, false, "mark copy, %s", code_names[i]) < 0)
			goto out;
	}
	ret = 0;
out:
	return ret;
}

/* 3. A stamped packet is settled by its own mark, whether or not the copy
 *    above reached a ct mark: a packet that conntrack calls INVALID, or an
 *    untracked one, has no entry to carry the stamp, and without these
 *    rules the chain would queue it again, the daemon would stamp it
 *    again, and so on for ever.  `meta mark & M == accept counter accept`,
 *    `... == block` TCP reset (or drop), `... == drop counter drop`: the
 *    packet-mark twins of the ct-mark rules. */
static int step_mark_settle(struct chain_build *cb)
{
	const uint32_t m = cb->cfg->mark_mask;
	struct rule ru;
	int ret = -1;

	pgnft_rule_start_mark_code(&ru, cb->chain, m, pg_mark_value(m, PG_MARK_ACCEPT));
	e_counter(&ru);
	e_verdict(&ru, NF_ACCEPT);
	if (emit(cb, &ru, false, "packet mark accept") < 0)
		goto out;
	if (cb->cfg->tcp_reset) {
		pgnft_rule_start_mark_code(&ru, cb->chain, m, pg_mark_value(m, PG_MARK_BLOCK));
		e_is_tcp(&ru);
		e_counter(&ru);
		e_reject_tcp_reset(&ru);
		if (emit(cb, &ru, false, "packet mark block, tcp reset") < 0)
			goto out;
	}
	pgnft_rule_start_mark_code(&ru, cb->chain, m, pg_mark_value(m, PG_MARK_BLOCK));
	e_counter(&ru);
	e_verdict(&ru, NF_DROP);
	if (emit(cb, &ru, false, "packet mark block, drop") < 0)
		goto out;
	pgnft_rule_start_mark_code(&ru, cb->chain, m, pg_mark_value(m, PG_MARK_DROP));
	e_counter(&ru);
	e_verdict(&ru, NF_DROP);
	if (emit(cb, &ru, false, "packet mark drop") < 0)
		goto out;
	ret = 0;
out:
	return ret;
}

/* 4. Decided flows are settled here, without user space.
 *
 *    The reset the kernel sends for a blocked flow carries that flow's
 *    conntrack (and so its BLOCK mark), and it leaves through the output
 *    hook: without the rule that lets RSTs pass, an output chain would
 *    drop our own reset, and a local client would hang instead of seeing
 *    "connection refused".  A peer's reset in a blocked flow only ends it
 *    sooner, so all RSTs pass.  Non-TCP blocked flows (and TCP when no
 *    reset is wanted) drop. */
static int step_ct_verdicts(struct chain_build *cb)
{
	const uint32_t m = cb->cfg->mark_mask;
	const uint32_t v_block = pg_mark_value(m, PG_MARK_BLOCK);
	struct rule ru;
	int ret = -1;

	pgnft_rule_start_ct_code(&ru, cb->chain, m, pg_mark_value(m, PG_MARK_ACCEPT));
	e_counter(&ru);
	e_verdict(&ru, NF_ACCEPT);
	if (emit(cb, &ru, false, "ct mark accept") < 0)
		goto out;
	if (cb->cfg->tcp_reset) {
		pgnft_rule_start_ct_code(&ru, cb->chain, m, v_block);
		e_is_tcp(&ru);
		e_tcp_flags(&ru, 0x04 /* RST */, NFT_CMP_NEQ);
		e_verdict(&ru, NF_ACCEPT);
		if (emit(cb, &ru, false, "ct mark block, tcp reset passes") < 0)
			goto out;
		pgnft_rule_start_ct_code(&ru, cb->chain, m, v_block);
		e_is_tcp(&ru);
		e_counter(&ru);
		e_reject_tcp_reset(&ru);
		if (emit(cb, &ru, false, "ct mark block, tcp reset") < 0)
			goto out;
	}
	pgnft_rule_start_ct_code(&ru, cb->chain, m, v_block);
	e_counter(&ru);
	e_verdict(&ru, NF_DROP);
	if (emit(cb, &ru, false, "ct mark block, drop") < 0)
		goto out;
	pgnft_rule_start_ct_code(&ru, cb->chain, m, pg_mark_value(m, PG_MARK_DROP));
	e_counter(&ru);
	e_verdict(&ru, NF_DROP);
	if (emit(cb, &ru, false, "ct mark drop") < 0)
		goto out;
	ret = 0;
out:
	return ret;
}

/* `meta nfproto ipvX ip[6] saddr . meta l4proto . th sport . ip[6] daddr .
 * th dport @blockedX counter name "blockedX" drop`.  The fields go to
 * consecutive 32-bit registers from NFT_REG32_00, which is the storage of
 * NFT_REG_1 that the lookup reads; see PG_NFT_FLOW_KEY_LEN.  Only TCP and
 * UDP elements are ever added, so the protocol field keeps other
 * protocols' `th` bytes from matching; non-first fragments have no
 * transport header and never match. */
static int add_blocked_rule(struct chain_build *cb, bool v6)
{
	const char *name = v6 ? PG_NFT_BLOCKED6 : PG_NFT_BLOCKED4;
	const uint32_t alen = v6 ? 16 : 4;
	uint32_t reg = NFT_REG32_00;
	struct rule ru;

	pgnft_rule_start(&ru, cb->chain);
	e_meta_load(&ru, NFT_META_NFPROTO);
	e_cmp_u8(&ru, v6 ? NFPROTO_IPV6 : NFPROTO_IPV4);
	e_payload_reg(&ru, NFT_PAYLOAD_NETWORK_HEADER, v6 ? 8 : 12, alen, reg);
	reg += alen / 4;
	e_meta_load_reg(&ru, NFT_META_L4PROTO, reg++);
	e_payload_reg(&ru, NFT_PAYLOAD_TRANSPORT_HEADER, 0, sizeof(uint16_t), reg++);
	e_payload_reg(&ru, NFT_PAYLOAD_NETWORK_HEADER, v6 ? 24 : 16, alen, reg);
	reg += alen / 4;
	e_payload_reg(&ru, NFT_PAYLOAD_TRANSPORT_HEADER, 2, sizeof(uint16_t), reg);
	e_lookup(&ru, name, pgnft_blocked_set_id(cb->cfg, v6));
	e_counter_ref(&ru, name);
	e_verdict(&ru, NF_DROP);
	return emit(cb, &ru, false, "blocked flows, set %s", name);
}

/* 5. Flows the daemon blocked, kept in sets because their ct mark may not
 *    survive (see nft_table.h).  After the ct-mark rules, so that the
 *    kernel's own reset of a blocked TCP flow still passes. */
static int step_blocked_flows(struct chain_build *cb)
{
	if (add_blocked_rule(cb, false) < 0 || add_blocked_rule(cb, true) < 0)
		return -1;
	return 0;
}

/* 6. Exception prefixes are never blocked nor queued, unless an inspect
 *    prefix claims the flow (chain `exceptions`). */
static int step_exceptions(struct chain_build *cb)
{
	struct rule ru;

	if (!cb->cfg->nallow)
		return 0;
	pgnft_rule_start(&ru, cb->chain);
	e_jump(&ru, PG_NFT_EXCEPTIONS_CHAIN);
	return emit(cb, &ru, false, "jump " PG_NFT_EXCEPTIONS_CHAIN);
}

/* `meta l4proto P th dport @set`: a rule that starts with a port lookup. */
static void start_port_lookup(struct rule *ru, const char *chain, uint8_t l4proto,
			      const char *set, uint32_t set_id)
{
	pgnft_rule_start(ru, chain);
	e_meta_load(ru, NFT_META_L4PROTO);
	e_cmp_u8(ru, l4proto);
	e_payload(ru, NFT_PAYLOAD_TRANSPORT_HEADER, 2, sizeof(uint16_t));
	e_lookup(ru, set, set_id);
}

/* The match of port set i. */
static void start_portset_match(struct rule *ru, const char *chain,
				const struct pg_nft_portset *s, const char *name, size_t i)
{
	start_port_lookup(ru, chain, s->l4proto, name, (uint32_t)i + 1);
}

/* The rules of chain port_blocks: `meta l4proto P th dport @set counter
 *    name "set" drop` per port set, after, when the drops are logged, `...
 *    @set limit rate N/second log prefix "peergate port set SET drop: "
 *    level warn`.  The log has a rule of its own because a limit ends the
 *    rule it is in once over the rate: in the drop rule it would let the
 *    excess through. */
static int port_set_rules(struct chain_build *cb)
{
	const uint32_t rate = cb->cfg->portset_log_rate;
	struct rule ru;
	int ret = -1;

	for (size_t i = 0; i < cb->cfg->nsets; i++) {
		const struct pg_nft_portset *s = &cb->cfg->sets[i];
		char name[64], prefix[PG_NFT_LOG_PREFIX_MAX];

		if (pgnft_portset_name(s, name, sizeof(name)) < 0)
			goto out;
		if (rate) {
			snprintf(prefix, sizeof(prefix), "peergate port set %s drop: ", name);
			start_portset_match(&ru, cb->chain, s, name, i);
			e_limit_per_second(&ru, rate, rate);
			e_log(&ru, prefix, LOG_WARNING);
			if (emit(cb, &ru, false, "port set %s log", name) < 0)
				goto out;
		}
		start_portset_match(&ru, cb->chain, s, name, i);
		e_counter_ref(&ru, name);
		e_verdict(&ru, NF_DROP);
		if (emit(cb, &ru, false, "port set %s", name) < 0)
			goto out;
	}
	ret = 0;
out:
	return ret;
}

int pgnft_add_port_blocks(struct batch *b, const struct pg_nft_config *cfg, bool kept)
{
	struct chain_build cb = {.b = b, .cfg = cfg, .chain = PG_NFT_PORT_BLOCKS_CHAIN};

	if (!cfg->nsets)
		return 0;
	if (!kept && pgnft_add_chain(b, cb.chain, false, 0) < 0)
		return -1;
	return port_set_rules(&cb);
}

/* 7. Port blocks: `meta l4proto P th dport @blocked_ports_P jump
 *    port_blocks`, one rule per protocol that has port sets: a packet to
 *    another port passes with one lookup, whatever the number of sets.
 *    In port_blocks the sets are tried in order, as they were in the base
 *    chain; a packet that none drops returns here. */
static int step_port_sets(struct chain_build *cb)
{
	struct rule ru;

	for (int udp = 0; udp <= 1; udp++) {
		uint8_t proto = udp ? IPPROTO_UDP : IPPROTO_TCP;
		const char *name = udp ? PG_NFT_PORTS_UDP : PG_NFT_PORTS_TCP;

		if (!pgnft_has_port_sets(cb->cfg, proto))
			continue;
		start_port_lookup(&ru, cb->chain, proto, name,
				  pgnft_port_union_set_id(cb->cfg, proto));
		e_jump(&ru, PG_NFT_PORT_BLOCKS_CHAIN);
		if (emit(cb, &ru, false, "%s ports: jump " PG_NFT_PORT_BLOCKS_CHAIN,
			 udp ? "udp" : "tcp") < 0)
			return -1;
	}
	return 0;
}

/* 8. A packet that conntrack calls INVALID has no entry to take a stamp.
 *    It is still queued (the daemon knows whether its flow is decided and
 *    what its verdict is), but with a code in its packet mark that tells
 *    the daemon to answer with a final verdict, never a stamp. */
static int step_ct_invalid(struct chain_build *cb)
{
	const uint32_t m = cb->cfg->mark_mask;
	const uint32_t invalid = NF_CT_STATE_INVALID_BIT, zero32 = 0;
	struct rule ru;

	pgnft_rule_start(&ru, cb->chain);
	e_ct_load(&ru, NFT_CT_STATE);
	e_bitwise_u32(&ru, invalid, 0);
	e_cmp(&ru, NFT_CMP_NEQ, &zero32, sizeof(zero32));
	e_meta_load(&ru, NFT_META_MARK);
	e_bitwise_u32(&ru, ~m, pg_mark_value(m, PG_MARK_CT_INVALID));
	e_meta_set(&ru, NFT_META_MARK);
	e_counter(&ru);
	return emit(cb, &ru, false, "ct state invalid: mark for a final verdict");
}

/* 9. An undecided flow's TCP segments without payload and without SYN
 *    (pure ACKs, FIN, RST) have nothing to classify; keeping them in the
 *    kernel halves what a short connection costs.  The first rule queues
 *    a non-SYN segment only when a payload byte loads (@ih,0,8 on an empty
 *    segment fails, which ends the rule); the second accepts the empty
 *    ones.  The SYN-ACK adds nothing the SYN did not say.
 *
 *    The SYN is needed (it anchors the client's stream at its first byte,
 *    so that segments sent out of order or overlapping before the first
 *    one are held or refused instead of being read as the stream's start,
 *    test/e2e_segments.sh b; it tells which side is the client; it
 *    decides flows to expected peers), but it need not wait: with
 *    syn_log, a new connection's SYN is logged to the daemon's NFLOG
 *    group and accepted, and the daemon hands it to the engine just
 *    before the connection's first queued packet (nflog.h says why it is
 *    always there first).  Only `ct state new`: a SYN that conntrack
 *    calls INVALID (a bad checksum, a SYN in an established connection)
 *    must not move the anchor, and is queued as before.  A SYN carrying
 *    data (TCP Fast Open) is queued: its bytes are the first payload.
 *
 *    So a short exchange queues its first payload packets only: an HTTPS
 *    connection its ClientHello, a plain HTTP one on a web or proxy port
 *    its request (pg_http_for_web_port: there a request without Gnutella
 *    or FastTrack marks decides the flow; on other ports those detectors
 *    still wait for the first response segment, since a servent may name
 *    itself only in its answer, X-Gnutella-, X-Kazaa- headers).  Without
 *    syn_log the SYN is queued too. */
/* `tcp flags & bits == value`, a payload byte loads (@ih,0,8 on an empty
 * segment fails, which ends the rule): counter, queue. */
static int emit_queue_with_payload(struct chain_build *cb, uint8_t bits, uint8_t value,
				   const char *what)
{
	uint8_t zero = 0;
	struct rule ru;

	pgnft_rule_start(&ru, cb->chain);
	e_is_tcp(&ru);
	e_tcp_flags_cmp(&ru, bits, NFT_CMP_EQ, value);
	e_payload(&ru, NFT_PAYLOAD_INNER_HEADER, 0, 1);
	e_bitwise(&ru, 1, &zero, &zero);
	e_cmp(&ru, NFT_CMP_EQ, &zero, sizeof(zero));
	e_counter(&ru);
	e_queue(&ru, cb->cfg, cb->kind);
	return emit(cb, &ru, true, "%s, %s", what, pg_nft_queue_kind_name(cb->kind));
}

static int emit_syn_rules(struct chain_build *cb)
{
	struct rule ru;
	const uint32_t new_bit = NF_CT_STATE_BIT(IP_CT_NEW);

	if (emit_queue_with_payload(cb, 0x12 /* SYN|ACK */, 0x02, "queue tcp syn with data") < 0)
		return -1;
	pgnft_rule_start(&ru, cb->chain);
	e_is_tcp(&ru);
	e_tcp_flags_cmp(&ru, 0x12 /* SYN|ACK */, NFT_CMP_EQ, 0x02);
	e_ct_load(&ru, NFT_CT_STATE);
	e_bitwise_u32(&ru, new_bit, 0);
	e_cmp_u32(&ru, new_bit);
	e_counter(&ru);
	e_log_group(&ru, cb->cfg->syn_log_group, PG_NFT_SYN_SNAPLEN);
	e_verdict(&ru, NF_ACCEPT);
	return emit(cb, &ru, false, "tcp syn of a new connection: log group %u",
		    (unsigned)cb->cfg->syn_log_group);
}

static int step_tcp(struct chain_build *cb)
{
	struct rule ru;
	int ret = -1;

	if (emit_queue_with_payload(cb, 0x02 /* SYN */, 0, "queue tcp payload") < 0)
		goto out;
	pgnft_rule_start(&ru, cb->chain);
	e_is_tcp(&ru);
	e_tcp_flags(&ru, 0x02 /* SYN */, NFT_CMP_EQ);
	e_counter(&ru);
	e_verdict(&ru, NF_ACCEPT);
	if (emit(cb, &ru, false, "tcp without payload") < 0)
		goto out;
	pgnft_rule_start(&ru, cb->chain);
	e_is_tcp(&ru);
	e_tcp_flags_cmp(&ru, 0x12 /* SYN|ACK */, NFT_CMP_EQ, 0x12);
	e_counter(&ru);
	e_verdict(&ru, NF_ACCEPT);
	if (emit(cb, &ru, false, "tcp syn-ack") < 0)
		goto out;
	if (cb->cfg->syn_log && emit_syn_rules(cb) < 0)
		goto out;
	ret = 0;
out:
	return ret;
}

/* 10. Everything else undecided goes to the classifier. */
static int step_queue(struct chain_build *cb)
{
	struct rule ru;

	pgnft_rule_start(&ru, cb->chain);
	e_counter(&ru);
	e_queue(&ru, cb->cfg, cb->kind);
	return emit(cb, &ru, true, "queue, %s", pg_nft_queue_kind_name(cb->kind));
}

int pgnft_add_chain_rules(struct batch *b, const struct pg_nft_config *cfg,
			  const char *chain, enum pg_nft_queue_kind kind)
{
	static int (*const steps[])(struct chain_build *) = {
		step_accepted_fast,     /* accepted flow (ct mark) -> accept */
		step_mark_copy,         /* packet mark code -> ct mark */
		step_mark_settle,       /* packet mark accept / block / drop */
		step_ct_verdicts,       /* ct mark accept / block / drop */
		step_blocked_flows,     /* blocked4/blocked6 -> drop */
		step_exceptions,        /* jump exceptions */
		step_port_sets,         /* port in a set -> jump port_blocks */
		step_ct_invalid,        /* ct state invalid -> mark code 4 */
		step_tcp,               /* TCP payload -> queue, SYN -> log or queue, rest accept */
		step_queue,             /* the rest -> queue */
	};
	struct chain_build cb = {.b = b, .cfg = cfg, .chain = chain, .kind = kind};
	int ret = -1;

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		if (steps[i](&cb) < 0)
			goto out;
	}
	ret = 0;
out:
	return ret;
}

static void prefix_text(const struct pg_prefix *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";

	inet_ntop(p->family == 4 ? AF_INET : AF_INET6, p->addr, a, sizeof(a));
	snprintf(buf, len, "%s/%u", a, p->len);
}

/* `meta nfproto ipvX ip[6] saddr|daddr PREFIX accept|return`: only the
 * bytes the prefix covers are loaded, and a partial last byte is masked.
 * what names the prefix list in error reports. */
static int add_prefix_rule(struct chain_build *cb, const struct pg_prefix *p,
			   bool daddr, int verdict, const char *what)
{
	bool v4 = p->family == 4;
	uint32_t off = v4 ? (daddr ? 16 : 12) : (daddr ? 24 : 8);
	/* nft's own shape, so that `nft list` reads it back as a prefix:
	 * byte-aligned prefixes load just their bytes, others load the whole
	 * address and mask it. */
	uint32_t nbytes = p->len % 8 ? (v4 ? 4u : 16u) : p->len / 8u;
	uint8_t addr[16] = {0}, mask[16] = {0}, zero[16] = {0};
	char text[64];
	struct rule ru;

	memcpy(addr, p->addr, nbytes);
	for (uint32_t i = 0; i < nbytes; i++) {
		unsigned bits = p->len <= i * 8u ? 0u :
				p->len - i * 8u >= 8u ? 8u : p->len - i * 8u;

		mask[i] = (uint8_t)(0xff00u >> bits);
		addr[i] &= mask[i];
	}
	pgnft_rule_start(&ru, cb->chain);
	e_meta_load(&ru, NFT_META_NFPROTO);
	e_cmp_u8(&ru, v4 ? NFPROTO_IPV4 : NFPROTO_IPV6);
	if (nbytes) {
		e_payload(&ru, NFT_PAYLOAD_NETWORK_HEADER, off, nbytes);
		if (p->len % 8)
			e_bitwise(&ru, nbytes, mask, zero);
		e_cmp(&ru, NFT_CMP_EQ, addr, nbytes);
	}
	e_verdict(&ru, verdict);
	prefix_text(p, text, sizeof(text));
	return emit(cb, &ru, false, "%s %s %s %s", what, v4 ? "ip" : "ip6",
		    daddr ? "daddr" : "saddr", text);
}

/* Both ends of every prefix of a list, as add_prefix_rule. */
static int add_prefix_rules(struct chain_build *cb, const struct pg_prefix *v,
			    size_t n, int verdict, const char *what)
{
	int ret = -1;

	for (size_t i = 0; i < n; i++) {
		if (add_prefix_rule(cb, &v[i], false, verdict, what) < 0 ||
		    add_prefix_rule(cb, &v[i], true, verdict, what) < 0)
			goto out;
	}
	ret = 0;
out:
	return ret;
}

/* Inspect prefixes come first and `return`: a flow with either end in one
 * goes on to the port sets and the queue even when an allow prefix covers
 * it (the same address, or the other end).  Without allow prefixes there
 * is nothing for inspect to override, and no chain. */
int pgnft_add_exceptions(struct batch *b, const struct pg_nft_config *cfg,
			 bool kept)
{
	struct chain_build cb = {.b = b, .cfg = cfg, .chain = PG_NFT_EXCEPTIONS_CHAIN};
	int ret = -1;

	if (!cfg->nallow) {
		ret = 0;
		goto out;
	}
	if (!kept && pgnft_add_chain(b, cb.chain, false, 0) < 0)
		goto out;
	if (add_prefix_rules(&cb, cfg->inspect, cfg->ninspect, NFT_RETURN, "inspect") < 0 ||
	    add_prefix_rules(&cb, cfg->allow, cfg->nallow, NF_ACCEPT, "allow") < 0)
		goto out;
	ret = 0;
out:
	return ret;
}
