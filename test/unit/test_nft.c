/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The nftables helper against the real kernel: the table it installs,
 * updates in place, shows and removes.  Needs root; everything runs in a
 * private network namespace made at start-up, so the host's ruleset is
 * never touched.  The `nft` CLI serves as the independent reader of what
 * was installed.  Real traffic through the table is test_nft_traffic.c.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "check.h"
#include "nft_test_util.h"
#include "peergate/mark.h"
#include "peergate/nft_policy.h"
#include "peergate/nft_show.h"
#include "peergate/nft_table.h"
#include "peergate/policy.h"

/* What this kernel supports, found with the nft CLI in a scratch table. */
static enum pg_nft_queue_kind probe_queue_kind(void)
{
	int rc = sh("nft add table inet pgprobe && "
		    "nft add chain inet pgprobe c && "
		    "nft add rule inet pgprobe c queue num 0 bypass 2>/dev/null");

	sh("nft delete table inet pgprobe 2>/dev/null");
	return rc == 0 ? PG_NFT_QUEUE_NATIVE : PG_NFT_QUEUE_COMPAT;
}

static void test_bad_configs(void)
{
	struct pg_nft_portset set = {PG_SYS_AIM, PG_FEAT_IMAGES, IPPROTO_TCP, 1, {{4443, 4443}}, ""};
	struct pg_nft_config c = {.hooks = PG_HOOK_FORWARD, .queue_count = 1,
				  .mark_mask = M, .sets = &set, .nsets = 1};
	enum pg_nft_queue_kind k;
	char err[512];

	c.hooks = 0;
	err[0] = '\0';
	CHECK(pg_nft_apply(&c, &k, err, sizeof(err)) < 0);
	CHECK_HAS(err, "hook mask 0x0");
	printf("bad hooks: %s\n", err);

	c.hooks = PG_HOOK_FORWARD;
	c.mark_mask = 0x00000005;   /* not contiguous */
	CHECK(pg_nft_apply(&c, &k, err, sizeof(err)) < 0);
	CHECK_HAS(err, "mark mask 0x00000005");
	printf("bad mask: %s\n", err);
	c.mark_mask = 0x00000001;   /* too narrow for the codes */
	CHECK(pg_nft_apply(&c, &k, err, sizeof(err)) < 0);
	CHECK_HAS(err, "mark mask");

	c.mark_mask = M;
	set.ranges[0].lo = 5000;
	set.ranges[0].hi = 4000;
	CHECK(pg_nft_apply(&c, &k, err, sizeof(err)) < 0);
	CHECK_HAS(err, "aim_images_tcp: range 5000-4000 is reversed");

	struct pg_nft_portset two[2] = {set, set};
	two[0].ranges[0].lo = 1;
	two[1].ranges[0].lo = 1;
	c.sets = two;
	c.nsets = 2;
	CHECK(pg_nft_apply(&c, &k, err, sizeof(err)) < 0);
	CHECK_HAS(err, "port set aim_images_tcp is given twice");

	c.nsets = 0;
	c.queue_first = 65535;
	c.queue_count = 2;
	CHECK(pg_nft_apply(&c, &k, err, sizeof(err)) < 0);
	CHECK_HAS(err, "queue range 65535-65536");

	/* Nothing reached the kernel. */
	CHECK(sh("nft list table inet peergate >/dev/null 2>&1") != 0);
}

static const struct pg_nft_portset demo_sets[] = {
	{PG_SYS_AIM, PG_FEAT_IMAGES, IPPROTO_TCP, 1, {{4443, 4443}}, ""},
	{PG_SYS_MSN, PG_FEAT_VOICE_VIDEO, IPPROTO_UDP, 1, {{13324, 13325}}, ""},
	/* unsorted, overlapping and adjacent ranges, merged on the way */
	{PG_SYS_GNUTELLA, PG_FEAT_NETWORK, IPPROTO_TCP, 4,
	 {{6346, 6347}, {1500, 1600}, {6348, 6348}, {1000, 2000}}, ""},
	/* a range up to the last port has no interval end element */
	{PG_SYS_BITTORRENT, PG_FEAT_NETWORK, IPPROTO_UDP, 2, {{65000, 65535}, {6881, 6889}}, ""},
};

static void demo_config(struct pg_nft_config *c, struct pg_prefix *allow)
{
	allow[0] = prefix("10.0.0.0/8");
	allow[1] = prefix("172.16.0.0/12");
	allow[2] = prefix("192.168.1.7/32");
	allow[3] = prefix("2001:db8::/32");
	memset(c, 0, sizeof(*c));
	c->hooks = PG_HOOK_FORWARD | PG_HOOK_OUTPUT;
	c->queue_first = 3;
	c->queue_count = 1;
	c->queue_bypass = true;
	c->mark_mask = M;
	c->tcp_reset = true;
	c->sets = demo_sets;
	c->nsets = sizeof(demo_sets) / sizeof(demo_sets[0]);
	c->allow = allow;
	c->nallow = 4;
}

/* The handle of our table (NULL) or of one of its chains, or -1 when it
 * does not exist.  Table handles come from one counter per network
 * namespace and chain handles from one per table, so a chain deleted and
 * made again, or a chain in a table made again, shows as a change of one
 * of the two (chain handles alone restart at 1 in a new table). */
static long chain_handle(const char *name)
{
	char cmd[128], head[80];
	char *text, *p;
	long h = -1;
	int st;

	if (name) {
		snprintf(cmd, sizeof(cmd), "nft -a list chain inet peergate %s 2>/dev/null", name);
		snprintf(head, sizeof(head), "chain %s { # handle ", name);
	} else {
		snprintf(cmd, sizeof(cmd), "nft -a list table inet peergate 2>/dev/null");
		snprintf(head, sizeof(head), "table inet peergate { # handle ");
	}
	text = run(cmd, &st);
	p = st == 0 ? strstr(text, head) : NULL;
	if (p)
		h = strtol(p + strlen(head), NULL, 10);
	free(text);
	return h;
}

/* Applies the demo configuration the first time; on a kernel without the
 * native queue expression the note says why the fallback was taken. */
static void apply_first(const struct pg_nft_config *c, enum pg_nft_queue_kind expect,
			char *err, size_t errlen)
{
	enum pg_nft_queue_kind k = (enum pg_nft_queue_kind)-1;

	CHECK(pg_nft_apply(c, &k, err, errlen) == 0);
	CHECK(k == expect);
	/* The fallback says why, naming the refused rule. */
	if (expect == PG_NFT_QUEUE_COMPAT) {
		printf("apply note: %s\n", err);
		CHECK_HAS(err, "native queue expression refused (chain forward rule 20 (queue tcp payload, native): "
			  "No such file or directory; chain forward rule 23 (queue, native): No such file or directory; "
			  "chain output rule 20 (queue tcp payload, native): No such file or directory; and 1 more); "
			  "using the xt NFQUEUE target");
	} else {
		CHECK_STR(err, "");
	}
	printf("queue kind installed: %s (kernel probe says %s)\n",
	       pg_nft_queue_kind_name(k), pg_nft_queue_kind_name(expect));
}

static void check_listing_chains_sets(const char *text)
{
	CHECK_HAS(text, "chain forward {");
	CHECK_HAS(text, "chain output {");
	CHECK(!strstr(text, "chain input"));
	CHECK_HAS(text, "type filter hook forward priority filter; policy accept;");
	CHECK_HAS(text, "type filter hook output priority filter; policy accept;");
	/* sets, elements, counters */
	CHECK_HAS(text, "set aim_images_tcp {");
	CHECK_HAS(text, "elements = { 4443 }");
	CHECK_HAS(text, "set msn_voice_video_udp {");
	CHECK_HAS(text, "elements = { 13324-13325 }");
	CHECK_HAS(text, "elements = { 1000-2000, 6346-6348 }");
	CHECK_HAS(text, "elements = { 6881-6889, 65000-65535 }");
	CHECK_HAS(text, "flags interval");
	CHECK_HAS(text, "counter gnutella_network_tcp {");
	CHECK_HAS(text, "counter bittorrent_network_udp {");
}

static void check_listing_rules(const char *text)
{
	/* the rules, in order */
	CHECK_HAS(text, "meta mark & 0x07000000 == 0x01000000 ct mark set");
	CHECK_HAS(text, "meta mark & 0x07000000 == 0x02000000 ct mark set");
	CHECK_HAS(text, "meta mark & 0x07000000 == 0x03000000 ct mark set");
	CHECK_HAS(text, "ct mark & 0x07000000 == 0x01000000 counter packets 0 bytes 0 accept");
	CHECK_HAS(text, "ct mark & 0x07000000 == 0x02000000 meta l4proto tcp counter packets 0 bytes 0 reject with tcp reset");
	CHECK_HAS(text, "ct mark & 0x07000000 == 0x02000000 counter packets 0 bytes 0 drop");
	CHECK_HAS(text, "ct mark & 0x07000000 == 0x03000000 counter packets 0 bytes 0 drop");
	/* the exception rules live once, in their own chain */
	CHECK_HAS(text, "chain exceptions {\n\t\tip saddr 10.0.0.0/8 accept");
	CHECK(count(text, "ip saddr 10.0.0.0/8 accept") == 1);
	CHECK(count(text, "jump exceptions") == 2);
	CHECK_HAS(text, "ip saddr 10.0.0.0/8 accept");
	CHECK_HAS(text, "ip daddr 10.0.0.0/8 accept");
	CHECK_HAS(text, "ip saddr 172.16.0.0/12 accept");
	CHECK_HAS(text, "ip daddr 192.168.1.7 accept");
	CHECK_HAS(text, "ip6 saddr 2001:db8::/32 accept");
	/* the port-set rules live once, in their own chain, entered only
	 * for a port in the union of the sets of its protocol */
	CHECK_HAS(text, "chain port_blocks {\n\t\ttcp dport @aim_images_tcp counter name \"aim_images_tcp\" drop");
	CHECK(count(text, "@aim_images_tcp counter name") == 1);
	CHECK_HAS(text, "udp dport @msn_voice_video_udp counter name \"msn_voice_video_udp\" drop");
	CHECK(count(text, "tcp dport @blocked_ports_tcp jump port_blocks") == 2);
	CHECK(count(text, "udp dport @blocked_ports_udp jump port_blocks") == 2);
	/* the unions: overlapping and adjacent ranges of different sets
	 * merged, single ports kept, a range to the last port open-ended */
	CHECK_HAS(text, "set blocked_ports_tcp {\n\t\ttype inet_service\n\t\tflags interval\n"
		  "\t\telements = { 1000-2000, 4443, 6346-6348 }");
	CHECK_HAS(text, "set blocked_ports_udp {\n\t\ttype inet_service\n\t\tflags interval\n"
		  "\t\telements = { 6881-6889, 13324-13325, 65000-65535 }");
}

static void check_listing_blocked_and_order(const char *text, enum pg_nft_queue_kind expect)
{
	/* the blocked-flow sets, read back by nft as the concatenation meant */
	CHECK_HAS(text, "set blocked4 {\n\t\ttype ipv4_addr . inet_proto . inet_service . ipv4_addr . inet_service\n"
		  "\t\tsize 65536\n\t\tflags timeout\n");
	CHECK_HAS(text, "set blocked6 {\n\t\ttype ipv6_addr . inet_proto . inet_service . ipv6_addr . inet_service\n"
		  "\t\tsize 65536\n\t\tflags timeout\n");
	CHECK_HAS(text, "ip saddr . meta l4proto . th sport . ip daddr . th dport @blocked4 counter name \"blocked4\" drop");
	CHECK_HAS(text, "ip6 saddr . meta l4proto . th sport . ip6 daddr . th dport @blocked6 counter name \"blocked6\" drop");
	CHECK_HAS(text, "counter blocked4 {");
	/* nft prints the native expression; an xt target only in JSON (and
	 * `nft list` without libxtables support shows nothing for it). */
	if (expect == PG_NFT_QUEUE_NATIVE)
		CHECK(strstr(text, "queue num 3 bypass") || strstr(text, "queue flags bypass to 3"));
	/* rule order inside a chain: copy, ct verdicts, blocked flows,
	 * exceptions, port sets, queue */
	{
		const char *out = strstr(text, "chain output {");
		const char *copy = out ? strstr(out, "ct mark set") : NULL;
		const char *ctacc = copy ? strstr(copy, "== 0x01000000 counter") : NULL;
		const char *ctdrop = ctacc ? strstr(ctacc, "== 0x03000000 counter") : NULL;
		const char *b4 = ctdrop ? strstr(ctdrop, "@blocked4") : NULL;
		const char *b6 = b4 ? strstr(b4, "@blocked6") : NULL;
		const char *exc = b6 ? strstr(b6, "jump exceptions") : NULL;
		const char *set = exc ? strstr(exc, "@blocked_ports_tcp jump port_blocks") : NULL;
		const char *q = set ? strstr(set, "counter packets 0 bytes 0") : NULL;

		CHECK(q != NULL);
	}
}

/* What `nft list table` reads back of the demo configuration. */
static void check_listing(enum pg_nft_queue_kind expect)
{
	int st;
	char *text = run("nft list table inet peergate 2>/dev/null", &st);

	CHECK(st == 0);
	printf("---- nft list table inet peergate ----\n%s--------\n", text);
	check_listing_chains_sets(text);
	check_listing_rules(text);
	check_listing_blocked_and_order(text, expect);
	free(text);
}

/* The objects `nft -j` counts, and the kernel's own view of the queue
 * rule's bytecode.  Returns the number of rules. */
static size_t check_json_and_bytecode(enum pg_nft_queue_kind expect)
{
	int st;

	/* 2 chains x (1 fast accept + 3 copy + 4 packet mark + 5 ct +
	 * 2 blocked + 1 jump + 2 port-union jumps (tcp, udp) + 1 ct invalid
	 * mark + 1 queue with payload + 1 empty tcp + 1 syn-ack + 1 queue),
	 * the 8 allow rules once and the 4 port-set rules once */
	char *json = run("nft -j list table inet peergate 2>/dev/null", &st);
	CHECK(st == 0);
	size_t nrules = count(json, "{\"rule\":");
	CHECK(nrules == 2 * 23 + 8 + 4);
	CHECK(count(json, "{\"chain\":") == 4);
	/* 4 port sets, blocked4/6, the two unions */
	CHECK(count(json, "{\"set\":") == 8);
	CHECK(count(json, "{\"counter\": {\"family\"") == 6);
	if (expect == PG_NFT_QUEUE_COMPAT)
		CHECK(count(json, "{\"xt\": {\"type\": \"target\", \"name\": \"NFQUEUE\"}}") == 4);
	else
		CHECK(count(json, "{\"queue\": {") == 4);
	CHECK(count(json, "{\"table\":") == 1);
	printf("json: %zu rules\n", nrules);
	free(json);

	char *dbg = run("nft --debug=netlink list chain inet peergate output 2>&1", &st);
	if (expect == PG_NFT_QUEUE_COMPAT)
		CHECK_HAS(dbg, "[ target name NFQUEUE rev 3 ]");
	else
		CHECK_HAS(dbg, "[ queue num 3");
	free(dbg);
	return nrules;
}

/* Re-apply: an update in place, not a second copy, and the chains stay
 * (the same handles: not deleted and made again, so their hooks and the
 * packets queued from them stay too). */
static void check_reapply(const struct pg_nft_config *c, enum pg_nft_queue_kind expect,
			  char *err, size_t errlen, size_t nrules)
{
	long tab = chain_handle(NULL), fwd = chain_handle("forward");
	long outh = chain_handle("output"), exch = chain_handle("exceptions");
	enum pg_nft_queue_kind k;
	char note[512];
	int st;

	snprintf(note, sizeof(note), "%s", err);
	CHECK(tab > 0 && fwd > 0 && outh > 0 && exch > 0);
	CHECK(pg_nft_apply(c, &k, err, errlen) == 0);
	CHECK(k == expect);
	CHECK_STR(err, note);     /* the fallback is found the same way */
	CHECK(chain_handle(NULL) == tab);
	CHECK(chain_handle("forward") == fwd);
	CHECK(chain_handle("output") == outh);
	CHECK(chain_handle("exceptions") == exch);
	char *json2 = run("nft -j list table inet peergate 2>/dev/null", &st);
	CHECK(count(json2, "{\"rule\":") == nrules);
	CHECK(count(json2, "{\"table\":") == 1);
	CHECK(count(json2, "{\"set\":") == 8);
	CHECK(count(json2, "{\"counter\": {\"family\"") == 6);
	char *tables = run("nft list tables", &st);
	CHECK(count(tables, "table inet peergate") == 1);
	free(json2);
	free(tables);
}

/* A smaller policy replaces the whole table: chains and sets that are no
 * longer wanted disappear. */
static void check_smaller_policy(const struct pg_nft_config *c, enum pg_nft_queue_kind expect,
				 char *err, size_t errlen)
{
	struct pg_nft_config small = *c;
	enum pg_nft_queue_kind k;
	int st;

	small.hooks = PG_HOOK_INPUT;
	small.nsets = 1;
	small.nallow = 0;
	small.tcp_reset = false;
	small.queue_first = 8;
	small.queue_count = 4;
	small.queue_bypass = false;
	CHECK(pg_nft_apply(&small, &k, err, errlen) == 0);
	char *text2 = run("nft list table inet peergate 2>/dev/null", &st);
	CHECK_HAS(text2, "chain input {");
	CHECK(!strstr(text2, "chain forward"));
	CHECK(!strstr(text2, "msn_voice_video_udp"));
	CHECK(!strstr(text2, "reject"));
	{
		char *sb = NULL;
		size_t sl = 0;
		FILE *f = open_memstream(&sb, &sl);

		CHECK(pg_nft_show(f, false, err, errlen) == 0);
		fclose(f);
		CHECK_HAS(sb, expect == PG_NFT_QUEUE_COMPAT ?
			  "\t\tcounter packets 0 bytes 0 queue to 8-11 # xt NFQUEUE target (nft_compat)\n" :
			  "\t\tcounter packets 0 bytes 0 queue to 8-11\n");
		CHECK(!strstr(sb, "bypass"));
		free(sb);
	}
	char *json3 = run("nft -j list table inet peergate 2>/dev/null", &st);
	/* 1 fast + 3 copy + 3 packet mark + 3 ct + 2 blocked + 1 port-union
	 * jump + 1 ct invalid mark + 4 queue, and the set's rule in
	 * port_blocks; no allow, no jump to exceptions */
	CHECK(count(json3, "{\"rule\":") == 1 + 3 + 3 + 3 + 2 + 1 + 1 + 4 + 1);
	CHECK(!strstr(text2, "exceptions"));
	free(text2);
	free(json3);
}

static void test_apply(enum pg_nft_queue_kind expect)
{
	struct pg_prefix allow[4];
	struct pg_nft_config c;
	char err[512] = "";
	size_t nrules;

	demo_config(&c, allow);
	apply_first(&c, expect, err, sizeof(err));
	check_listing(expect);
	nrules = check_json_and_bytecode(expect);
	check_reapply(&c, expect, err, sizeof(err), nrules);
	check_smaller_policy(&c, expect, err, sizeof(err));
}

/* The handles of our table and chains, to tell a chain kept from one made
 * again. */
struct nft_handles {
	long tab, fwd, outh, inh, exch;
};

/* Other hooks and sets: forward stays, output goes, input comes; the old
 * port sets and their counters go. */
static void in_place_other_hooks(struct pg_nft_config *c2, struct nft_handles *h)
{
	static const struct pg_nft_portset sets2[] = {
		{PG_SYS_YAHOO, PG_FEAT_IM, IPPROTO_TCP, 1, {{5050, 5050}}, ""},
	};
	enum pg_nft_queue_kind k;
	char err[512] = "";
	char *text;
	int st;

	c2->hooks = PG_HOOK_FORWARD | PG_HOOK_INPUT;
	c2->sets = sets2;
	c2->nsets = 1;
	CHECK(pg_nft_apply(c2, &k, err, sizeof(err)) == 0);
	CHECK(chain_handle(NULL) == h->tab);
	CHECK(chain_handle("forward") == h->fwd);
	CHECK(chain_handle("exceptions") == h->exch);
	CHECK(chain_handle("output") == -1);
	h->inh = chain_handle("input");
	CHECK(h->inh > 0 && h->inh != h->outh);
	text = run("nft list table inet peergate 2>/dev/null", &st);
	CHECK(st == 0);
	CHECK_HAS(text, "set yahoo_im_tcp {");
	CHECK_HAS(text, "counter yahoo_im_tcp {");
	CHECK(!strstr(text, "aim_images_tcp"));
	CHECK(!strstr(text, "msn_voice_video_udp"));
	CHECK_HAS(text, "type filter hook input priority filter; policy accept;");
	free(text);
	text = run("nft -j list table inet peergate 2>/dev/null", &st);
	/* 2 chains x (23 - the udp port-union jump) and the 8 allow rules,
	 * and the one port-set rule */
	CHECK(count(text, "{\"rule\":") == 2 * 22 + 8 + 1);
	CHECK(count(text, "{\"set\":") == 4);
	CHECK(!strstr(text, "blocked_ports_udp"));
	CHECK(count(text, "{\"counter\": {\"family\"") == 3);
	free(text);
}

/* A base chain someone changed (policy drop) is made again as ours;
 * chains, sets and counters someone added to our table go. */
static void in_place_strays(const struct pg_nft_config *c2, const struct nft_handles *h)
{
	enum pg_nft_queue_kind k;
	char err[512] = "";
	char *text;
	int st;

	CHECK(sh("nft add chain inet peergate input '{ policy drop; }' && "
		 "nft add chain inet peergate stray && "
		 "nft add rule inet peergate stray counter && "
		 "nft add rule inet peergate forward jump stray && "
		 "nft add set inet peergate strayset '{ type ipv4_addr; }' && "
		 "nft add rule inet peergate forward ip saddr @strayset drop && "
		 "nft add rule inet peergate forward tcp dport '{ 1, 2 }' drop && "
		 "nft add counter inet peergate straycounter && "
		 "nft add quota inet peergate strayquota 25 mbytes") == 0);
	CHECK(pg_nft_apply(c2, &k, err, sizeof(err)) == 0);
	if (err[0] && !strstr(err, "native queue expression refused"))
		fprintf(stderr, "apply over strays: %s\n", err);
	CHECK(chain_handle("forward") == h->fwd);
	CHECK(chain_handle("input") > h->inh);
	CHECK(chain_handle("stray") == -1);
	text = run("nft list table inet peergate 2>/dev/null", &st);
	CHECK(st == 0);
	CHECK(!strstr(text, "stray"));
	CHECK(!strstr(text, "policy drop"));
	CHECK(!strstr(text, "{ 1, 2 }"));
	free(text);
	text = run("nft -j list table inet peergate 2>/dev/null", &st);
	CHECK(count(text, "{\"rule\":") == 2 * 22 + 8 + 1);
	CHECK(count(text, "{\"set\":") == 4);
	free(text);
}

/* Without allow prefixes the exceptions chain goes, and comes back once
 * they are there again. */
static void in_place_exceptions(struct pg_nft_config *c2, const struct nft_handles *h)
{
	enum pg_nft_queue_kind k;
	char err[512] = "";
	char *text;
	int st;

	c2->nallow = 0;
	CHECK(pg_nft_apply(c2, &k, err, sizeof(err)) == 0);
	CHECK(chain_handle("exceptions") == -1);
	CHECK(chain_handle("forward") == h->fwd);
	text = run("nft -j list table inet peergate 2>/dev/null", &st);
	CHECK(count(text, "{\"rule\":") == 2 * 21 + 1);
	CHECK(!strstr(text, "exceptions"));
	free(text);
	/* ...and comes back, once. */
	c2->nallow = 4;
	CHECK(pg_nft_apply(c2, &k, err, sizeof(err)) == 0);
	CHECK(chain_handle("exceptions") > h->exch);
	CHECK(chain_handle("forward") == h->fwd);
	CHECK(chain_handle(NULL) == h->tab);
	CHECK(pg_nft_flush(err, sizeof(err)) == 0);
}

/* Applying over a table that differs: what the new configuration keeps
 * stays, the rest goes, and whatever else was put into our table goes too. */
static void test_apply_in_place(void)
{
	struct pg_prefix allow[4];
	struct pg_nft_config c, c2;
	struct nft_handles h;
	enum pg_nft_queue_kind k;
	char err[512] = "";

	demo_config(&c, allow);
	CHECK(pg_nft_apply(&c, &k, err, sizeof(err)) == 0);
	h.tab = chain_handle(NULL);
	h.fwd = chain_handle("forward");
	h.outh = chain_handle("output");
	h.exch = chain_handle("exceptions");
	h.inh = -1;
	CHECK(chain_handle("input") == -1);

	c2 = c;
	in_place_other_hooks(&c2, &h);
	in_place_strays(&c2, &h);
	in_place_exceptions(&c2, &h);
}

/* Applies the demo configuration and reads its counters, all still 0. */
static enum pg_nft_queue_kind counters_after_apply(void)
{
	struct pg_prefix allow[4];
	struct pg_nft_config c;
	struct pg_nft_counter ctr[8];
	enum pg_nft_queue_kind k;
	char err[512] = "";
	int n;

	demo_config(&c, allow);
	CHECK(pg_nft_apply(&c, &k, err, sizeof(err)) == 0);
	n = pg_nft_counters(ctr, 8, err, sizeof(err));
	CHECK(n == 6);
	for (int i = 0; i < n && i < 8; i++) {
		CHECK(ctr[i].packets == 0);
		printf("counter %s packets %llu\n", ctr[i].name,
		       (unsigned long long)ctr[i].packets);
	}
	bool seen = false;
	for (int i = 0; i < n && i < 8; i++)
		seen |= strcmp(ctr[i].name, "msn_voice_video_udp") == 0;
	CHECK(seen);
	CHECK(pg_nft_counters(ctr, 2, err, sizeof(err)) == 2);
	return k;
}

/* pg_nft_show's text (malloc'd), and nothing on stderr either: libxtables
 * complains about the xt target there, straight to fd 2, and pg_nft_show
 * keeps that out. */
static char *show_text_quietly(void)
{
	char path[] = "/tmp/test_nft_stderr_XXXXXX";
	int fd = mkstemp(path), saved = dup(2);
	char err[512] = "";
	char *buf = NULL;
	size_t len = 0;
	struct stat st;
	FILE *f;

	if (fd < 0 || saved < 0)
		abort();
	fflush(stderr);
	dup2(fd, 2);
	f = open_memstream(&buf, &len);
	CHECK(pg_nft_show(f, false, err, sizeof(err)) == 0);
	fclose(f);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	CHECK(fstat(fd, &st) == 0 && st.st_size == 0);
	close(fd);
	unlink(path);
	return buf;
}

static void check_show_text(const char *buf, enum pg_nft_queue_kind k)
{
	printf("---- pg_nft_show ----\n%s--------\n", buf);
	CHECK_HAS(buf, k == PG_NFT_QUEUE_COMPAT ? "# queue: compat" : "# queue: native");
	/* nft's own text (libnftables renders it), without the handles */
	CHECK_HAS(buf, "table inet peergate {\n\t# queue: ");
	CHECK(!strstr(buf, "# handle"));
	CHECK_HAS(buf, "type filter hook output priority filter; policy accept;");
	CHECK_HAS(buf, "meta mark & 0x07000000 == 0x01000000 ct mark set ct mark & 0xf9ffffff | 0x01000000");
	CHECK_HAS(buf, "\t\ttcp dport @aim_images_tcp counter name \"aim_images_tcp\" drop\n");
	CHECK_HAS(buf, "\t\tip saddr 172.16.0.0/12 accept\n");
	CHECK_HAS(buf, "\t\tip6 daddr 2001:db8::/32 accept\n");
	CHECK_HAS(buf, "\tset gnutella_network_tcp {\n\t\ttype inet_service\n\t\tflags interval\n"
		  "\t\telements = { 1000-2000, 6346-6348 }\n\t}\n");
	CHECK_HAS(buf, "\tset aim_images_tcp {\n\t\ttype inet_service\n\t\telements = { 4443 }\n\t}\n");
	CHECK_HAS(buf, "elements = { 6881-6889, 65000-65535 }");
	CHECK_HAS(buf, "\tcounter msn_voice_video_udp {\n\t\tpackets 0 bytes 0\n\t}\n");
	/* the queue statement nft prints for the native expression, and for
	 * the xt target ours in the same shape, marked */
	CHECK_HAS(buf, k == PG_NFT_QUEUE_COMPAT ?
		  "\t\tcounter packets 0 bytes 0 queue flags bypass to 3 # xt NFQUEUE target (nft_compat)\n" :
		  "\t\tcounter packets 0 bytes 0 queue flags bypass to 3\n");
	CHECK(count(buf, "queue flags bypass to 3") == 4);
	CHECK_HAS(buf, "\tchain exceptions {\n\t\tip saddr 10.0.0.0/8 accept\n");
	CHECK_HAS(buf, "ct mark & 0x07000000 == 0x03000000 counter packets 0 bytes 0 drop\n"
		  "\t\tip saddr . meta l4proto . th sport . ip daddr . th dport @blocked4 counter name \"blocked4\" drop\n"
		  "\t\tip6 saddr . meta l4proto . th sport . ip6 daddr . th dport @blocked6 counter name \"blocked6\" drop\n"
		  "\t\tjump exceptions\n");
	CHECK_HAS(buf, "\tset blocked4 {\n\t\ttype ipv4_addr . inet_proto . inet_service . ipv4_addr . inet_service\n"
		  "\t\tsize 65536\n\t\tflags timeout\n\t}\n");
	CHECK_HAS(buf, "\tset blocked6 {\n\t\ttype ipv6_addr . inet_proto . inet_service . ipv6_addr . inet_service\n");
	CHECK_HAS(buf, "\tcounter blocked6 {\n\t\tpackets 0 bytes 0\n\t}\n");
}

/* Every line the nft CLI prints is ours too, but for the lines of the xt
 * NFQUEUE rules, which it cannot print (and ours complete). */
static void check_show_has_nft_lines(const char *buf)
{
	char *nft = run("nft list table inet peergate 2>/dev/null", NULL);
	size_t missing = 0, lines = 0;

	for (char *line = strtok(nft, "\n"); line; line = strtok(NULL, "\n")) {
		const char *at = strstr(buf, line);

		lines++;
		if (!at || (at[strlen(line)] != '\n' && !strstr(line, "counter packets 0 bytes 0 ")))
			missing++;
	}
	printf("lines of `nft list table` in ours: %zu of %zu\n", lines - missing, lines);
	CHECK(missing == 0 && lines > 100);
	free(nft);
}

/* nft -j's JSON, the xt target replaced by the queue statement nft prints
 * for the native expression, and marked in the rule's comment. */
static void check_show_json(enum pg_nft_queue_kind k)
{
	char err[512] = "";
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	CHECK(pg_nft_show(f, true, err, sizeof(err)) == 0);
	fclose(f);
	printf("show json: %.300s...\n", buf);
	CHECK_HAS(buf, "{\"nftables\": [{\"metainfo\": {");
	CHECK_HAS(buf, "\"name\": \"output\", \"handle\": ");
	CHECK_HAS(buf, "\"type\": \"filter\", \"hook\": \"output\", \"prio\": 0, \"policy\": \"accept\"}}");
	CHECK(count(buf, "{\"rule\":") == 2 * 25 + 8);
	CHECK(count(buf, "{\"counter\": {\"family\"") == 6);
	CHECK(count(buf, "{\"queue\": {\"num\": 3, \"flags\": [\"bypass\"]}}") == 4);
	CHECK(!strstr(buf, "\"xt\""));
	CHECK(count(buf, "\"comment\": \"xt NFQUEUE target (nft_compat)\", \"expr\": [") ==
	      (k == PG_NFT_QUEUE_COMPAT ? 4u : 0u));
	CHECK_HAS(buf, "\"elem\": [{\"range\": [13324, 13325]}]");
	CHECK_HAS(buf, "\"name\": \"blocked4\", \"table\": \"peergate\", \"type\": [\"ipv4_addr\", \"inet_proto\", "
		  "\"inet_service\", \"ipv4_addr\", \"inet_service\"], \"handle\": ");
	CHECK_HAS(buf, "\"size\": 65536, \"flags\": [\"timeout\"]}}");
	CHECK_HAS(buf, "{\"jump\": {\"target\": \"exceptions\"}}");
	CHECK(buf[strlen(buf) - 1] == '\n');
	free(buf);
}

static void test_counters_and_show(void)
{
	enum pg_nft_queue_kind k = counters_after_apply();
	char *buf = show_text_quietly();

	check_show_text(buf, k);
	check_show_has_nft_lines(buf);
	free(buf);
	check_show_json(k);
}

/* Many messages in one batch: the ACK receive buffer must be sized for
 * them (google/nftables#103), or ACKs are lost with ENOBUFS. */
static void test_big_batch(void)
{
	enum { N = 1500 };
	struct pg_prefix *allow = calloc(N, sizeof(*allow));
	struct pg_nft_config c = {.hooks = PG_HOOK_FORWARD, .queue_count = 1,
				  .queue_bypass = true, .mark_mask = M};
	enum pg_nft_queue_kind k;
	char err[512] = "";
	int st;

	if (!allow)
		abort();
	for (int i = 0; i < N; i++) {
		allow[i].family = 4;
		allow[i].len = 32;
		allow[i].addr[0] = 10;
		allow[i].addr[2] = (uint8_t)(i >> 8);
		allow[i].addr[3] = (uint8_t)i;
	}
	c.allow = allow;
	c.nallow = N;
	CHECK(pg_nft_apply(&c, &k, err, sizeof(err)) == 0);
	if (err[0])
		fprintf(stderr, "big batch: %s\n", err);
	char *json = run("nft -j list table inet peergate", &st);
	/* 1 fast + 3 copy + 3 packet mark + 3 ct + 2 blocked + 1 jump +
	 * 1 ct invalid mark + 4 queue, and the exceptions */
	CHECK(count(json, "{\"rule\":") == 1 + 3 + 3 + 3 + 2 + 1 + 1 + 4 + 2 * N);
	free(json);
	free(allow);
}

/* A table called peergate owned (NFT_TABLE_F_OWNER) by another netlink
 * socket: the kernel refuses us per message, and the report names them. */
static void test_kernel_errors(void)
{
	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
	char buf[8192];
	struct nftnl_table *t = nftnl_table_alloc();
	struct nlmsghdr *nlh;
	size_t len = 0;
	uint32_t seq = 100;
	enum pg_nft_queue_kind k;
	struct pg_nft_config c = {.hooks = PG_HOOK_FORWARD, .queue_count = 1,
				  .mark_mask = M};
	char err[512] = "";

	if (!nl || !t || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		abort();
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, PG_NFT_TABLE);
	nftnl_table_set_u32(t, NFTNL_TABLE_FLAGS, NFT_TABLE_F_OWNER);
	nftnl_batch_begin(buf, seq++);
	len += NLMSG_ALIGN(((struct nlmsghdr *)buf)->nlmsg_len);
	nlh = nftnl_nlmsg_build_hdr(buf + len, NFT_MSG_NEWTABLE, NFPROTO_INET,
				    NLM_F_CREATE | NLM_F_ACK, seq++);
	nftnl_table_nlmsg_build_payload(nlh, t);
	len += NLMSG_ALIGN(nlh->nlmsg_len);
	nftnl_batch_end(buf + len, seq++);
	len += NLMSG_ALIGN(((struct nlmsghdr *)(buf + len))->nlmsg_len);
	CHECK(mnl_socket_sendto(nl, buf, len) == (ssize_t)len);
	CHECK(mnl_socket_recvfrom(nl, buf, sizeof(buf)) > 0);   /* the ACK */
	nftnl_table_free(t);

	CHECK(pg_nft_apply(&c, &k, err, sizeof(err)) < 0);
	printf("owned table, apply: %s\n", err);
	CHECK_HAS(err, "table inet peergate: Operation not permitted");
	CHECK_HAS(err, "and ");
	CHECK(pg_nft_flush(err, sizeof(err)) < 0);
	printf("owned table, flush: %s\n", err);
	CHECK_HAS(err, "cannot remove table inet peergate: table inet peergate: Operation not permitted");

	/* The owner's table goes away with its socket. */
	mnl_socket_close(nl);
	for (int i = 0; i < 20 && sh("nft list table inet peergate >/dev/null 2>&1") == 0; i++)
		usleep(50000);
	CHECK(pg_nft_flush(err, sizeof(err)) == 0);

	/* Without CAP_NET_ADMIN the kernel refuses the batch as a whole.
	 * (Flushed first, or the child would print our buffer again.) */
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		char e[512] = "";
		int rc;

		if (setgid(65534) < 0 || setuid(65534) < 0)
			_exit(3);
		rc = pg_nft_apply(&c, &k, e, sizeof(e));
		printf("unprivileged apply: %s\n", e);
		fflush(stdout);
		_exit(rc < 0 && strstr(e, "Operation not permitted (need CAP_NET_ADMIN?)") ? 0 : 1);
	}
	int st = -1;
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void test_flush_and_others(void)
{
	struct pg_prefix allow[4];
	struct pg_nft_config c;
	struct pg_nft_counter ctr[4];
	enum pg_nft_queue_kind k;
	char err[512] = "";
	int st;

	CHECK(sh("nft add table inet other && "
		 "nft add chain inet other c '{ type filter hook forward priority 5; }' && "
		 "nft add rule inet other c tcp dport 22 counter accept && "
		 "nft add table ip peergate") == 0);
	char *before = run("nft list table inet other; nft list table ip peergate", &st);

	demo_config(&c, allow);
	CHECK(pg_nft_apply(&c, &k, err, sizeof(err)) == 0);
	{
		char *sb = NULL;
		size_t sl = 0;
		FILE *f = open_memstream(&sb, &sl);

		CHECK(pg_nft_show(f, false, err, sizeof(err)) == 0);
		fclose(f);
		CHECK(!strstr(sb, "chain c {") && !strstr(sb, "dport 22"));
		free(sb);
	}
	CHECK(pg_nft_flush(err, sizeof(err)) == 0);
	CHECK(sh("nft list table inet peergate >/dev/null 2>&1") != 0);
	/* A second flush is not an error. */
	CHECK(pg_nft_flush(err, sizeof(err)) == 0);

	CHECK(pg_nft_counters(ctr, 4, err, sizeof(err)) == -1);
	CHECK_HAS(err, "table inet peergate does not exist");
	FILE *f = fopen("/dev/null", "w");
	CHECK(pg_nft_show(f, false, err, sizeof(err)) < 0);
	fclose(f);
	CHECK_HAS(err, "table inet peergate does not exist");

	char *after = run("nft list table inet other; nft list table ip peergate", &st);
	CHECK_STR(before, after);
	free(before);
	free(after);
	sh("nft delete table inet other; nft delete table ip peergate");
}

/* The policy glue, when the policy module is linked in. */
static void test_from_policy(void)
{
	static const char text[] =
		"[engine]\n"
		"queue = 4-5\n"
		"hooks = forward, output\n"
		"[aim]\n"
		"images = block\n"
		"[msn]\n"
		"voice-video = block\n"
		"[gnutella]\n"
		"all = block\n"
		"ports = no\n"
		"[exceptions]\n"
		"allow = 10.1.0.0/16\n"
		"inspect = 10.1.2.0/24\n";
	struct pg_diag diag = {0};
	struct pg_policy *p = pg_policy_load_string(text, "test.ini", &diag);
	struct pg_nft_portset sets[32];
	struct pg_nft_config c;
	enum pg_nft_queue_kind k;
	char err[512] = "";

	if (!p) {
		pg_diag_print(&diag, stderr);
		CHECK(p != NULL);
		return;
	}
	pg_nft_config_from_policy(p, &c, sets, 32);
	CHECK(c.hooks == (PG_HOOK_FORWARD | PG_HOOK_OUTPUT));
	CHECK(c.queue_first == 4 && c.queue_count == 2);
	CHECK(c.nsets == 2);
	for (size_t i = 0; i < c.nsets; i++) {
		CHECK(sets[i].system != PG_SYS_GNUTELLA);
		if (sets[i].system == PG_SYS_MSN) {
			CHECK(sets[i].l4proto == IPPROTO_UDP && sets[i].count == 1);
			CHECK(sets[i].ranges[0].lo == 13324 && sets[i].ranges[0].hi == 13325);
		}
	}
	CHECK(c.nallow == 1);
	CHECK(c.ninspect == 1 && c.inspect && c.inspect[0].len == 24);
	CHECK(c.blocked_size == 0);
	CHECK(pg_nft_apply(&c, &k, err, sizeof(err)) == 0);
	if (err[0])
		fprintf(stderr, "from policy: %s\n", err);
	char *text2 = run("nft list table inet peergate", NULL);
	CHECK_HAS(text2, "tcp dport @aim_images_tcp");
	CHECK_HAS(text2, "udp dport @msn_voice_video_udp");
	CHECK_HAS(text2, "ip saddr 10.1.0.0/16 accept");
	CHECK_HAS(text2, "ip daddr 10.1.2.0/24 return");
	free(text2);
	{
		char *sb = NULL;
		size_t sl = 0;
		FILE *f = open_memstream(&sb, &sl);

		CHECK(pg_nft_show(f, false, err, sizeof(err)) == 0);
		fclose(f);
		CHECK_HAS(sb, "queue flags bypass to 4-5");
		free(sb);
	}
	CHECK(pg_nft_flush(err, sizeof(err)) == 0);
	pg_policy_destroy(p);
}

int main(void)
{
	enum pg_nft_queue_kind expect;
	int rc = nft_test_enter_netns("test_nft");

	if (rc >= 0)
		return rc;
	expect = probe_queue_kind();

	test_bad_configs();
	test_apply(expect);
	test_apply_in_place();
	test_counters_and_show();
	test_big_batch();
	test_flush_and_others();
	test_kernel_errors();
	test_from_policy();
	return pg_test_summary("test_nft");
}
