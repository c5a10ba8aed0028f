/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * policy.ini: good and bad files with their exact messages, resolution
 * order, defaults, prefixes, the shipped policy and the examples.
 */
#include <stdbool.h>
#include <unistd.h>

#include "check.h"
#include "peergate/engine_policy.h"
#include "peergate/policy.h"
#include "shipped_systems.h"

#define MAX_EXPECT 8

/* One policy text and the messages it must give, in order; none = loads. */
struct policy_case {
	const char *text;
	const char *errors[MAX_EXPECT];
};

static const struct policy_case cases[] = {
	/* ---- files that load ---- */
	{ "", { NULL } },
	{ "# only a comment\n; and another\n\n", { NULL } },
	{ "[msn]\nim = block ; an inline comment\nfile-transfer: log\n", { NULL } },
	{ "[msn]\r\nim = block\r\n", { NULL } },
	{ "\xEF\xBB\xBF[aim]\nim = block\n", { NULL } },
	{ "[aim] ; a comment after a header\nall = block\n", { NULL } },
	{ "[engine]\nhooks = input,output\n  forward\nqueue = 2 - 5\n", { NULL } },
	{ "[engine]\nhooks =\n    forward\n", { NULL } },
	{ "[msn]\nhosts =\n    a.example.com\n\n    b.example.com ; two lines on\n", { NULL } },
	{ "[exceptions]\nallow = 10.0.0.0/8, 2001:db8::/32 192.0.2.1\n  ::1\ninspect = 0.0.0.0/0\n",
	  { NULL } },
	{ "[msn]\n[aim]\n[engine]\n[exceptions]\n", { NULL } },

	/* ---- keys ---- */
	{ "[msn]\nim = allow\nfile-transfr = block\n",
	  { "t.ini:3: unknown key 'file-transfr' in [msn]; did you mean 'file-transfer'?" } },
	{ "[aim]\nwhiteboard = block\n",
	  { "t.ini:2: unknown key 'whiteboard' in [aim]; aim has no feature 'whiteboard' (valid keys: all, ports, hosts, any, login, im, images, voice, games, file-transfer, file-sharing, http-tunnel)" } },
	{ "[proxy]\nhttp-tunnel = block\n",
	  { "t.ini:2: unknown key 'http-tunnel' in [proxy]; proxy has no feature 'http-tunnel' (valid keys: all, ports, hosts, any, socks4, socks5, http-connect)" } },
	{ "[tor]\nfoo = block\n",
	  { "t.ini:2: unknown key 'foo' in [tor]; valid keys: all, ports, hosts, any, network, http-tunnel" } },
	{ "[aim]\nqueue = 3\nallow = 10.0.0.1\n",
	  { "t.ini:2: unknown key 'queue' in [aim]; 'queue' belongs in [engine]",
	    "t.ini:3: unknown key 'allow' in [aim]; 'allow' belongs in [exceptions]" } },
	{ "[engine]\nim = block\nfoo = 1\nmax-flow = 3\n",
	  { "t.ini:2: unknown key 'im' in [engine]; 'im' belongs in a system section such as [msn]",
	    "t.ini:3: unknown key 'foo' in [engine]; valid keys: queue, hooks, fail, inspect-bytes, inspect-packets, inspect-idle, inspect-slots, max-flows, tcp-timeout, udp-timeout, mark-mask, tcp-block, log-rate, event-log",
	    "t.ini:4: unknown key 'max-flow' in [engine]; did you mean 'max-flows'?" } },
	{ "[exceptions]\nalow = 10.0.0.1\nports = no\n",
	  { "t.ini:2: unknown key 'alow' in [exceptions]; did you mean 'allow'?",
	    "t.ini:3: unknown key 'ports' in [exceptions]; 'ports' belongs in a system section such as [msn]" } },
	{ "im = block\n[msn]\n",
	  { "t.ini:1: key 'im' is outside any section; put it under [engine], [exceptions] or a system section" } },
	{ "[msn]\nim = allow\nall = block\nim = block\n",
	  { "t.ini:4: duplicate key 'im' in [msn] (first set on line 2)" } },
	{ "[msn]\n= block\n", { "t.ini:2: missing key name before '='" } },
	{ "[bittorrent]\nheuristics = log\n[edonkey]\nheuristics = off\n[irc]\nheuristics = block\n",
	  { NULL } },
	{ "[aim]\nheuristics = log\n",
	  { "t.ini:2: 'heuristics' in [aim]: only bittorrent, edonkey, irc and xmpp are found by heuristics" } },
	{ "[bittorrent]\nheuristics = allow\nheuristics = off\n",
	  { "t.ini:2: invalid value 'allow' for 'heuristics' in [bittorrent]; expected block, log or off",
	    "t.ini:3: duplicate key 'heuristics' in [bittorrent] (first set on line 2)" } },
	{ "[xmpp]\nheuristic = log\n",
	  { "t.ini:2: unknown key 'heuristic' in [xmpp]; did you mean 'heuristics'?" } },

	/* ---- sections ---- */
	{ "[msm]\nim = allow\n", { "t.ini:1: unknown section [msm]; did you mean [msn]?" } },
	{ "[MSN]\n", { "t.ini:1: unknown section [MSN]; did you mean [msn]?" } },
	{ "[ msn ]\n", { "t.ini:1: unknown section [ msn ]; did you mean [msn]?" } },
	{ "[engnie]\n", { "t.ini:1: unknown section [engnie]; did you mean [engine]?" } },
	{ "[foo]\nbar = 1\n",
	  { "t.ini:1: unknown section [foo]; expected [engine], [exceptions] or a system: aim, icq, msn, yahoo, fasttrack, gnutella, proxy, bittorrent, edonkey, dc, xmpp, irc, telegram, whatsapp, signal, teams, skype, tor, qq, soulseek, manolito, ares" } },
	{ "[http]\nall = block\n", { "t.ini:1: section [http] names traffic peergate never polices" } },
	{ "[msn]\nim = block\n[aim]\n[msn]\nim = block\n",
	  { "t.ini:4: duplicate section [msn] (first on line 1)" } },
	{ "[engine]\n[engine]\n", { "t.ini:2: duplicate section [engine] (first on line 1)" } },
	{ "[msn\nim = bad\n", { "t.ini:1: missing ']' in section header" } },
	{ "[msn ; c]\n", { "t.ini:1: missing ']' in section header" } },
	{ "[msn] junk\nim = block\n", { "t.ini:1: unexpected text after [msn]" } },
	{ "[\x1b[31m]\n", { "t.ini:1: unknown section [?[31m]; expected [engine], [exceptions] or a system: aim, icq, msn, yahoo, fasttrack, gnutella, proxy, bittorrent, edonkey, dc, xmpp, irc, telegram, whatsapp, signal, teams, skype, tor, qq, soulseek, manolito, ares" } },
	{ "[msn]\njust words\n",
	  { "t.ini:2: cannot parse 'just words'; expected [section], key = value or a comment" } },

	/* ---- values ---- */
	{ "[msn]\nim = blok\nall = deny\nports = true\nvoice-video = Block\nwhiteboard =\n",
	  { "t.ini:2: invalid value 'blok' for 'im' in [msn]; did you mean 'block'?",
	    "t.ini:3: invalid value 'deny' for 'all' in [msn]; expected block, allow or log",
	    "t.ini:4: invalid value 'true' for 'ports' in [msn]; expected yes or no",
	    "t.ini:5: invalid value 'Block' for 'voice-video' in [msn]; did you mean 'block'?",
	    "t.ini:6: empty value for 'whiteboard' in [msn]; expected block, allow or log" } },
	{ "[msn]\nim = block # reason\n",
	  { "t.ini:2: invalid value 'block # reason' for 'im' in [msn]; expected block, allow or log (a comment after a value starts with ' ;')" } },
	{ "[engine]\nqueue = 5-2\nqueue = 1\n",
	  { "t.ini:2: invalid value '5-2' for 'queue' in [engine]; the first queue is above the last",
	    "t.ini:3: duplicate key 'queue' in [engine] (first set on line 2)" } },
	{ "[engine]\nqueue = 70000\n",
	  { "t.ini:2: invalid value '70000' for 'queue' in [engine]; expected N or N-M, queue numbers 0 to 65535" } },
	{ "[engine]\nqueue = 0-300\n",
	  { "t.ini:2: invalid value '0-300' for 'queue' in [engine]; a range holds at most 64 queues" } },
	{ "[engine]\nqueue = -1\n",
	  { "t.ini:2: invalid value '-1' for 'queue' in [engine]; expected N or N-M, queue numbers 0 to 65535" } },
	{ "[engine]\nhooks = forwad, input prerouting\n",
	  { "t.ini:2: invalid value 'forwad' for 'hooks' in [engine]; did you mean 'forward'?",
	    "t.ini:2: invalid value 'prerouting' for 'hooks' in [engine]; expected forward, input or output" } },
	{ "[aim]\nim = \n[engine]\nhooks =\n",
	  { "t.ini:2: empty value for 'im' in [aim]; expected block, allow or log",
	    "t.ini:4: empty value for 'hooks' in [engine]; expected forward, input or output" } },
	/* the empty hooks set is found at the end, but reported in line order */
	{ "[engine]\nhooks =\n[aim]\nim = \n",
	  { "t.ini:2: empty value for 'hooks' in [engine]; expected forward, input or output",
	    "t.ini:4: empty value for 'im' in [aim]; expected block, allow or log" } },
	{ "[engine]\nqueue =\nmax-flows =\nmark-mask =\nmark-mask = 0xg\n",
	  { "t.ini:2: empty value for 'queue' in [engine]; expected N or N-M, queue numbers 0 to 65535",
	    "t.ini:3: empty value for 'max-flows' in [engine]; expected a number from 1 to 16777216",
	    "t.ini:4: empty value for 'mark-mask' in [engine]; expected contiguous hex bits, at least 3 wide, such as 0x07000000",
	    "t.ini:5: duplicate key 'mark-mask' in [engine] (first set on line 4)" } },
	{ "[engine]\nmark-mask = 0xg\nqueue = 1-2-3\n",
	  { "t.ini:2: invalid value '0xg' for 'mark-mask' in [engine]; expected contiguous hex bits, at least 3 wide, such as 0x07000000",
	    "t.ini:3: invalid value '1-2-3' for 'queue' in [engine]; expected N or N-M, queue numbers 0 to 65535" } },
	/* two bits cannot hold code 4 (conntrack INVALID) */
	{ "[engine]\nmark-mask = 0x03000000\n",
	  { "t.ini:2: invalid value '0x03000000' for 'mark-mask' in [engine]; expected contiguous hex bits, at least 3 wide, such as 0x07000000" } },
	{ "[engine]\nfail = opn\ntcp-block = rst\n",
	  { "t.ini:2: invalid value 'opn' for 'fail' in [engine]; did you mean 'open'?",
	    "t.ini:3: invalid value 'rst' for 'tcp-block' in [engine]; did you mean 'reset'?" } },
	{ "[engine]\ninspect-packets = 0\ninspect-packets = 1\n",
	  { "t.ini:2: invalid value '0' for 'inspect-packets' in [engine]; expected a number from 1 to 255",
	    "t.ini:3: duplicate key 'inspect-packets' in [engine] (first set on line 2)" } },
	{ "[engine]\ninspect-packets = 256\ninspect-bytes = 255\nmax-flows = 16777217\ninspect-idle = 0\n",
	  { "t.ini:2: invalid value '256' for 'inspect-packets' in [engine]; expected a number from 1 to 255",
	    "t.ini:3: invalid value '255' for 'inspect-bytes' in [engine]; expected a number from 256 to 65535",
	    "t.ini:4: invalid value '16777217' for 'max-flows' in [engine]; expected a number from 1 to 16777216",
	    "t.ini:5: invalid value '0' for 'inspect-idle' in [engine]; expected a number of seconds from 1 to 3600" } },
	{ "[engine]\ntcp-timeout = 10s\nudp-timeout = 99999999999\nmax-flows = +5\n",
	  { "t.ini:2: invalid value '10s' for 'tcp-timeout' in [engine]; expected a number of seconds from 1 to 604800",
	    "t.ini:3: invalid value '99999999999' for 'udp-timeout' in [engine]; expected a number of seconds from 1 to 604800",
	    "t.ini:4: invalid value '+5' for 'max-flows' in [engine]; expected a number from 1 to 16777216" } },
	{ "[engine]\ninspect-slots = 0\ninspect-slots = 64\n",
	  { "t.ini:2: invalid value '0' for 'inspect-slots' in [engine]; expected a number from 1 to 16777216",
	    "t.ini:3: duplicate key 'inspect-slots' in [engine] (first set on line 2)" } },
	{ "[engine]\ninspect-slots = 2048\nmax-flows = 1024\n",
	  { "t.ini:2: invalid value '2048' for 'inspect-slots' in [engine]; expected at most max-flows (1024): a slot serves one flow" } },
	{ "[engine]\nmax-flows = 1024\ninspect-slots = 1024\n", { NULL } },
	{ "[engine]\nmark-mask = 0x05000000\n",
	  { "t.ini:2: invalid value '0x05000000' for 'mark-mask' in [engine]; expected contiguous hex bits, at least 3 wide, such as 0x07000000" } },
	{ "[engine]\nmark-mask = 0x01000000\n",
	  { "t.ini:2: invalid value '0x01000000' for 'mark-mask' in [engine]; expected contiguous hex bits, at least 3 wide, such as 0x07000000" } },
	{ "[engine]\nmark-mask = 0x1ffffffff\n",
	  { "t.ini:2: invalid value '0x1ffffffff' for 'mark-mask' in [engine]; expected contiguous hex bits, at least 3 wide, such as 0x07000000" } },

	/* ---- hosts ---- */
	{ "[msn]\nhosts = a..b *.ok.example\n   x_y.com * good.net.\n",
	  { "t.ini:2: invalid host pattern 'a..b' for 'hosts' in [msn]; empty label (a leading, trailing or doubled '.')",
	    "t.ini:3: invalid host pattern 'x_y.com' for 'hosts' in [msn]; '_' is not allowed; use letters, digits, '-', '.' and '*'",
	    "t.ini:3: invalid host pattern '*' for 'hosts' in [msn]; a pattern needs at least one letter or digit",
	    "t.ini:3: invalid host pattern 'good.net.' for 'hosts' in [msn]; empty label (a leading, trailing or doubled '.')" } },
	{ "[msn]\nhosts = caf\xc3\xa9.example\n",
	  { "t.ini:2: invalid host pattern 'caf\xc3\xa9.example' for 'hosts' in [msn]; byte 0xc3 is not allowed; use letters, digits, '-', '.' and '*'" } },
	{ "[msn]\nhosts = .lead\n",
	  { "t.ini:2: invalid host pattern '.lead' for 'hosts' in [msn]; empty label (a leading, trailing or doubled '.')" } },

	/* ---- prefixes ---- */
	{ "[exceptions]\nallow = 10.1.2.3/8 2001:db8::1/129 foo 1.2.3\n",
	  { "t.ini:2: invalid prefix '10.1.2.3/8' for 'allow' in [exceptions]; host bits are set beyond /8; did you mean '10.0.0.0/8'?",
	    "t.ini:2: invalid prefix '2001:db8::1/129' for 'allow' in [exceptions]; prefix length must be 0 to 128",
	    "t.ini:2: invalid prefix 'foo' for 'allow' in [exceptions]; expected an IPv4 or IPv6 address, optionally with /LENGTH",
	    "t.ini:2: invalid prefix '1.2.3' for 'allow' in [exceptions]; expected an IPv4 or IPv6 address, optionally with /LENGTH" } },
	{ "[exceptions]\ninspect =\n   2001:db8::1/32\n   10.0.0.0/33 /8 10.0.0.0/\n",
	  { "t.ini:3: invalid prefix '2001:db8::1/32' for 'inspect' in [exceptions]; host bits are set beyond /32; did you mean '2001:db8::/32'?",
	    "t.ini:4: invalid prefix '10.0.0.0/33' for 'inspect' in [exceptions]; prefix length must be 0 to 32",
	    "t.ini:4: invalid prefix '/8' for 'inspect' in [exceptions]; expected an IPv4 or IPv6 address, optionally with /LENGTH",
	    "t.ini:4: invalid prefix '10.0.0.0/' for 'inspect' in [exceptions]; prefix length must be 0 to 32" } },

	/* ---- continuation lines (inih's multi-line values) ---- */
	/* Indented keys: the second is read as more of the first's value. */
	{ "[msn]\n    im = allow\n    file-transfer = block\n",
	  { "t.ini:3: indented line is read as a continuation of 'im' (line 2); remove the indentation" } },
	/* An indented header is a continuation too, not a new section. */
	{ "[msn]\nhosts = a.example\n  [aim]\n",
	  { "t.ini:3: indented line is read as a continuation of 'hosts' (line 2); remove the indentation" } },
	/* ... even across a blank line and a comment. */
	{ "[msn]\nim = block\n\n# c\n   log\n",
	  { "t.ini:5: indented line is read as a continuation of 'im' (line 2); remove the indentation" } },
	/* A bad key line keeps its continuations quiet. */
	{ "[msn]\nimm = block\n   more\n",
	  { "t.ini:2: unknown key 'imm' in [msn]; did you mean 'im'?" } },
	/* An unknown section's keys are not reported again. */
	{ "[nope]\na = 1\nb = 2\n",
	  { "t.ini:1: unknown section [nope]; expected [engine], [exceptions] or a system: aim, icq, msn, yahoo, fasttrack, gnutella, proxy, bittorrent, edonkey, dc, xmpp, irc, telegram, whatsapp, signal, teams, skype, tor, qq, soulseek, manolito, ares" } },
};

static void test_cases(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct policy_case *c = &cases[i];
		struct pg_diag d;
		struct pg_policy *p = pg_policy_load_string(c->text, "t.ini", &d);
		unsigned want = 0;

		while (want < MAX_EXPECT && c->errors[want])
			want++;
		if ((p != NULL) != (want == 0) || d.count != want) {
			fprintf(stderr, "case %zu: %s with %u errors, expected %u:\n",
				i, p ? "loaded" : "refused", d.count, want);
			pg_diag_print(&d, stderr);
		}
		CHECK((p != NULL) == (want == 0));
		CHECK(d.count == want);
		for (unsigned k = 0; k < want && k < d.count; k++)
			CHECK_STR(d.msg[k], c->errors[k]);
		pg_policy_destroy(p);
	}
}

static struct pg_policy *load(const char *text)
{
	struct pg_diag d;
	struct pg_policy *p = pg_policy_load_string(text, "t.ini", &d);
	if (!p)
		pg_diag_print(&d, stderr);
	return p;
}

static void test_defaults(void)
{
	struct pg_policy *dflt = pg_policy_default();
	struct pg_policy *empty = load("");
	const struct pg_policy *all[] = { dflt, empty, NULL };

	CHECK(dflt && empty);
	for (int i = 0; i < 3; i++) {
		const struct pg_engine_settings *e = pg_policy_engine(all[i]);
		CHECK(e->queue_first == 0 && e->queue_count == 1);
		CHECK(e->hooks == PG_HOOK_FORWARD);
		CHECK(e->fail_open);
		CHECK(e->inspect_packets == 128 && e->inspect_bytes == 4096);
		CHECK(e->inspect_idle_s == 10);
		CHECK(e->max_flows == 65536);
		/* unset: one slot per 16 flows */
		CHECK(e->inspect_slots == 0 && pg_engine_inspect_slots(e) == 4096);
		CHECK(e->tcp_timeout_s == 600 && e->udp_timeout_s == 120);
		CHECK(e->mark_mask == 0x07000000u);
		CHECK(e->tcp_block == PG_TCP_BLOCK_RESET);
		for (int s = 1; s < PG_SYS_POLICED_END; s++) {
			CHECK(pg_policy_ports_enabled(all[i], (enum pg_system)s));
			for (int f = 0; f < PG_FEAT_COUNT; f++)
				CHECK(pg_policy_action(all[i], (enum pg_system)s,
						       (enum pg_feature)f) == PG_ACTION_ALLOW);
			CHECK(pg_policy_hosts(all[i], (enum pg_system)s, NULL) == 0);
			CHECK(pg_policy_heuristics(all[i], (enum pg_system)s) ==
			      (pg_system_has_heuristics((enum pg_system)s) ? PG_HEURISTICS_BLOCK
									: PG_HEURISTICS_OFF));
		}
		CHECK(pg_policy_allow_prefixes(all[i], NULL) == 0);
		CHECK(!pg_policy_system_changed(all[i], dflt, PG_SYS_MSN));
	}
	pg_policy_destroy(dflt);
	pg_policy_destroy(empty);
}

/* heuristics = block|log|off per system; systems without heuristics
 * report off. */
static void test_heuristics(void)
{
	struct pg_policy *p = load("[bittorrent]\nall = block\nheuristics = log\n"
				   "[edonkey]\nheuristics = off\n[xmpp]\nim = block\n");
	CHECK(p != NULL);
	CHECK(pg_policy_heuristics(p, PG_SYS_BITTORRENT) == PG_HEURISTICS_LOG);
	CHECK(pg_policy_heuristics(p, PG_SYS_EDONKEY) == PG_HEURISTICS_OFF);
	CHECK(pg_policy_heuristics(p, PG_SYS_XMPP) == PG_HEURISTICS_BLOCK);
	CHECK(pg_policy_heuristics(p, PG_SYS_IRC) == PG_HEURISTICS_BLOCK);
	CHECK(pg_policy_heuristics(p, PG_SYS_AIM) == PG_HEURISTICS_OFF);
	CHECK(pg_policy_action(p, PG_SYS_BITTORRENT, PG_FEAT_DOWNLOAD) == PG_ACTION_BLOCK);
	pg_policy_destroy(p);
}

static void test_engine(void)
{
	struct pg_policy *p = load("[engine]\n"
				   "queue = 4-7\n"
				   "hooks = input output\n"
				   "fail = closed\n"
				   "inspect-packets = 255\n"
				   "inspect-bytes = 65535\n"
				   "inspect-idle = 3600\n"
				   "max-flows = 16777216\n"
				   "tcp-timeout = 1\n"
				   "udp-timeout = 604800\n"
				   "mark-mask = E0000000\n"
				   "tcp-block = drop\n");
	CHECK(p);
	if (!p)
		return;
	const struct pg_engine_settings *e = pg_policy_engine(p);
	CHECK(e->queue_first == 4 && e->queue_count == 4);
	CHECK(e->hooks == (PG_HOOK_INPUT | PG_HOOK_OUTPUT));
	CHECK(!e->fail_open);
	CHECK(e->inspect_packets == 255 && e->inspect_bytes == 65535);
	CHECK(e->inspect_idle_s == 3600);
	CHECK(e->max_flows == 16777216);
	CHECK(e->tcp_timeout_s == 1 && e->udp_timeout_s == 604800);
	CHECK(e->mark_mask == 0xe0000000u);
	CHECK(e->tcp_block == PG_TCP_BLOCK_DROP);

	/* the summary prints a queue range back as written */
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	if (mem) {
		pg_policy_print_summary(p, mem);
		fclose(mem);
		CHECK(strstr(text, "  queue            = 4-7\n") != NULL);
		CHECK(strstr(text, "  hooks            = input output\n") != NULL);
		CHECK(strstr(text, "  fail             = closed\n") != NULL);
		CHECK(strstr(text, "  mark-mask        = 0xe0000000\n") != NULL);
	}
	free(text);
	pg_policy_destroy(p);

	/* the reassembly pool: as set, else from max-flows (at least 64,
	 * never more than the flows) */
	static const struct { const char *text; uint32_t slots; const char *shown; } pools[] = {
		{ "[engine]\ninspect-slots = 100\n", 100, "  inspect-slots    = 100\n" },
		{ "[engine]\nmax-flows = 1024\n", 64, "  inspect-slots    = 64 (from max-flows)\n" },
		{ "[engine]\nmax-flows = 20\n", 20, "  inspect-slots    = 20 (from max-flows)\n" },
		{ "[engine]\nmax-flows = 1048576\n", 4096, "  inspect-slots    = 4096 (from max-flows)\n" },
		{ "[engine]\nmax-flows = 1048576\ninspect-slots = 65536\n", 65536, "  inspect-slots    = 65536\n" },
	};
	for (size_t i = 0; i < sizeof(pools) / sizeof(pools[0]); i++) {
		p = load(pools[i].text);
		CHECK(p && pg_engine_inspect_slots(pg_policy_engine(p)) == pools[i].slots);
		struct pg_engine_config cfg;
		pg_engine_config_from_policy(p, &cfg);
		CHECK(cfg.max_inspecting == pools[i].slots);
		text = NULL;
		mem = open_memstream(&text, &len);
		if (p && mem) {
			pg_policy_print_summary(p, mem);
			fclose(mem);
			CHECK(strstr(text, pools[i].shown) != NULL);
		} else if (mem) {
			fclose(mem);
		}
		free(text);
		pg_policy_destroy(p);
	}

	p = load("[engine]\nqueue = 65535\nhooks = output,forward\n\toutput\n");
	CHECK(p && pg_policy_engine(p)->queue_first == 65535 &&
	      pg_policy_engine(p)->queue_count == 1 &&
	      pg_policy_engine(p)->hooks == (PG_HOOK_FORWARD | PG_HOOK_OUTPUT));
	pg_policy_destroy(p);
}

static void test_resolution(void)
{
	struct pg_policy *p = load("[msn]\n"
				   "all = block\n"
				   "im = allow\n"
				   "login = log\n"
				   "[aim]\n"
				   "file-transfer = block\n"
				   "ports = no\n"
				   "[proxy]\n"
				   "socks5 = log\n"
				   "any = block\n");
	CHECK(p);
	if (!p)
		return;
	/* the feature's own key wins over `all` */
	CHECK(pg_policy_action(p, PG_SYS_MSN, PG_FEAT_IM) == PG_ACTION_ALLOW);
	CHECK(pg_policy_action(p, PG_SYS_MSN, PG_FEAT_LOGIN) == PG_ACTION_LOG);
	/* else `all` */
	CHECK(pg_policy_action(p, PG_SYS_MSN, PG_FEAT_FILE_TRANSFER) == PG_ACTION_BLOCK);
	CHECK(pg_policy_action(p, PG_SYS_MSN, PG_FEAT_ANY) == PG_ACTION_BLOCK);
	CHECK(pg_policy_action(p, PG_SYS_MSN, PG_FEAT_HTTP_TUNNEL) == PG_ACTION_BLOCK);
	/* else allow */
	CHECK(pg_policy_action(p, PG_SYS_AIM, PG_FEAT_FILE_TRANSFER) == PG_ACTION_BLOCK);
	CHECK(pg_policy_action(p, PG_SYS_AIM, PG_FEAT_IM) == PG_ACTION_ALLOW);
	CHECK(pg_policy_action(p, PG_SYS_AIM, PG_FEAT_ANY) == PG_ACTION_ALLOW);
	CHECK(pg_policy_action(p, PG_SYS_YAHOO, PG_FEAT_FILE_TRANSFER) == PG_ACTION_ALLOW);
	/* `any` is a feature like the others: it does not spread */
	CHECK(pg_policy_action(p, PG_SYS_PROXY, PG_FEAT_ANY) == PG_ACTION_BLOCK);
	CHECK(pg_policy_action(p, PG_SYS_PROXY, PG_FEAT_SOCKS5) == PG_ACTION_LOG);
	CHECK(pg_policy_action(p, PG_SYS_PROXY, PG_FEAT_SOCKS4) == PG_ACTION_ALLOW);
	/* unpoliced systems and nonsense are always allowed */
	CHECK(pg_policy_action(p, PG_SYS_HTTP, PG_FEAT_ANY) == PG_ACTION_ALLOW);
	CHECK(pg_policy_action(p, PG_SYS_UNKNOWN, PG_FEAT_ANY) == PG_ACTION_ALLOW);
	CHECK(pg_policy_action(p, PG_SYS_COUNT, PG_FEAT_ANY) == PG_ACTION_ALLOW);
	CHECK(pg_policy_action(p, PG_SYS_MSN, PG_FEAT_COUNT) == PG_ACTION_ALLOW);
	CHECK(pg_policy_action(NULL, PG_SYS_MSN, PG_FEAT_IM) == PG_ACTION_ALLOW);
	/* ports */
	CHECK(!pg_policy_ports_enabled(p, PG_SYS_AIM));
	CHECK(pg_policy_ports_enabled(p, PG_SYS_MSN));
	CHECK(!pg_policy_ports_enabled(p, PG_SYS_HTTP));

	/* system_changed: any feature resolving differently */
	struct pg_policy *q = load("[msn]\n"
				   "all = block\n"
				   "im = allow\n"
				   "login = log\n"
				   "[aim]\n"
				   "file-transfer = block\n"
				   "[proxy]\n"
				   "socks5 = log\n"
				   "any = block\n"
				   "socks4 = allow\n");
	CHECK(q);
	CHECK(!pg_policy_system_changed(p, q, PG_SYS_MSN));
	CHECK(!pg_policy_system_changed(p, q, PG_SYS_AIM));   /* only ports differ */
	CHECK(!pg_policy_system_changed(p, q, PG_SYS_PROXY)); /* explicit = implicit allow */
	CHECK(pg_policy_system_changed(p, NULL, PG_SYS_MSN));
	CHECK(!pg_policy_system_changed(p, NULL, PG_SYS_YAHOO));
	CHECK(!pg_policy_system_changed(p, q, PG_SYS_HTTP));
	pg_policy_destroy(q);
	q = load("[msn]\nall = block\nim = allow\nlogin = allow\n");
	CHECK(q && pg_policy_system_changed(p, q, PG_SYS_MSN));
	pg_policy_destroy(q);

	CHECK(pg_action_name(PG_ACTION_BLOCK)[0] == 'b');
	CHECK_STR(pg_action_name(PG_ACTION_LOG), "log");
	CHECK_STR(pg_action_name(PG_ACTION_ALLOW), "allow");
	pg_policy_destroy(p);
}

static void test_hosts(void)
{
	struct pg_policy *p = load("[msn]\n"
				   "hosts = Chat.Example.COM, *.msgr.example.net\n"
				   "   chat.example.com\n"
				   "\tgw-1.example.org\n"
				   "[aim]\n"
				   "hosts =\n");
	const char *const *v = NULL;

	CHECK(p);
	CHECK(pg_policy_hosts(p, PG_SYS_MSN, &v) == 3);
	if (v) {
		CHECK_STR(v[0], "chat.example.com");
		CHECK_STR(v[1], "*.msgr.example.net");
		CHECK_STR(v[2], "gw-1.example.org");
	}
	CHECK(pg_policy_hosts(p, PG_SYS_AIM, &v) == 0 && v == NULL);
	CHECK(pg_policy_hosts(p, PG_SYS_HTTP, &v) == 0);
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	if (mem) {
		pg_policy_print_summary(p, mem);
		fclose(mem);
		CHECK(strstr(text, "extra hosts:\n  msn         chat.example.com *.msgr.example.net gw-1.example.org\nexceptions:") != NULL);
	}
	free(text);
	pg_policy_destroy(p);

	char why[128];
	CHECK(pg_host_pattern_check("a-b.*.example", why, sizeof(why)));
	CHECK(!pg_host_pattern_check("", why, sizeof(why)));
	CHECK_STR(why, "empty pattern");
	CHECK(!pg_host_pattern_check("a\x01", NULL, 0));
	char label[80];
	memset(label, 'a', 64);
	label[64] = '\0';
	CHECK(!pg_host_pattern_check(label, why, sizeof(why)));
	CHECK_STR(why, "a label is longer than 63 characters");
	label[63] = '\0';
	CHECK(pg_host_pattern_check(label, why, sizeof(why)));
	char name[300];
	for (int i = 0; i < 254; i++)
		name[i] = i % 4 == 3 ? '.' : 'a';
	name[254] = '\0';
	CHECK(!pg_host_pattern_check(name, why, sizeof(why)));
	CHECK_STR(why, "longer than 253 characters");
	name[253] = '\0';
	CHECK(pg_host_pattern_check(name, why, sizeof(why)));
}

/* Addresses inside and outside 10.0.0.0/8 and 2001:db8::/32. */
static const uint8_t v4_in[4] = { 10, 200, 3, 4 }, v4_out[4] = { 11, 0, 0, 1 };
static const uint8_t v6_in[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 1 };
static const uint8_t v6_out[16] = { 0x20, 0x01, 0x0d, 0xb9 };

static void prefixes_parse_and_contain(void)
{
	struct pg_prefix pfx;
	char buf[PG_PREFIX_STRLEN], why[128];

	CHECK(pg_prefix_parse("10.0.0.0/8", &pfx, why, sizeof(why)));
	CHECK(pfx.family == 4 && pfx.len == 8);
	CHECK(pg_prefix_contains(&pfx, 4, v4_in));
	CHECK(!pg_prefix_contains(&pfx, 4, v4_out));
	CHECK(!pg_prefix_contains(&pfx, 6, v6_in));
	pg_prefix_format(&pfx, buf, sizeof(buf));
	CHECK_STR(buf, "10.0.0.0/8");

	/* a bare address is a host route */
	CHECK(pg_prefix_parse("192.0.2.1", &pfx, NULL, 0));
	CHECK(pfx.family == 4 && pfx.len == 32);
	pg_prefix_format(&pfx, buf, sizeof(buf));
	CHECK_STR(buf, "192.0.2.1/32");
	CHECK(pg_prefix_parse("2001:db8::1", &pfx, NULL, 0));
	CHECK(pfx.family == 6 && pfx.len == 128);

	/* prefix lengths that are not byte multiples */
	CHECK(pg_prefix_parse("10.192.0.0/10", &pfx, NULL, 0));
	CHECK(pg_prefix_contains(&pfx, 4, (const uint8_t[]){ 10, 255, 1, 1 }));
	CHECK(pg_prefix_contains(&pfx, 4, (const uint8_t[]){ 10, 192, 0, 0 }));
	CHECK(!pg_prefix_contains(&pfx, 4, (const uint8_t[]){ 10, 191, 255, 255 }));
	CHECK(pg_prefix_parse("2001:db8::/29", &pfx, NULL, 0));
	CHECK(pg_prefix_contains(&pfx, 6, v6_in));
	CHECK(pg_prefix_contains(&pfx, 6, v6_out)); /* 0x0db9 shares 29 bits */
	CHECK(pg_prefix_parse("2001:db8::/32", &pfx, NULL, 0));
	CHECK(!pg_prefix_contains(&pfx, 6, v6_out));
	pg_prefix_format(&pfx, buf, sizeof(buf));
	CHECK_STR(buf, "2001:db8::/32");

	/* /0 holds everything of its family only */
	CHECK(pg_prefix_parse("::/0", &pfx, NULL, 0));
	CHECK(pg_prefix_contains(&pfx, 6, v6_out) && !pg_prefix_contains(&pfx, 4, v4_in));

	/* the reasons */
	CHECK(!pg_prefix_parse("10.1.0.0/8", &pfx, why, sizeof(why)));
	CHECK_STR(why, "host bits are set beyond /8; did you mean '10.0.0.0/8'?");
	CHECK(!pg_prefix_parse("10.0.0.0/0008", &pfx, why, sizeof(why)));
	CHECK_STR(why, "prefix length must be 0 to 32");
	CHECK(!pg_prefix_parse("fe80::1%eth0", &pfx, why, sizeof(why)));
	CHECK(!pg_prefix_parse("010.0.0.1", &pfx, NULL, 0));
	CHECK(!pg_prefix_parse("", &pfx, NULL, 0));
}

/* through [exceptions]: either address of a flow */
static void prefixes_exceptions(void)
{
	struct pg_policy *p = load("[exceptions]\n"
				   "allow = 10.0.0.0/8 2001:db8::/32\n"
				   "inspect = 192.0.2.7\n"
				   "   10.0.0.0/8\n");
	CHECK(p);
	CHECK(pg_policy_exception_allow(p, 4, v4_in, v4_out));
	CHECK(pg_policy_exception_allow(p, 4, v4_out, v4_in));
	CHECK(!pg_policy_exception_allow(p, 4, v4_out, v4_out));
	CHECK(pg_policy_exception_allow(p, 6, v6_out, v6_in));
	CHECK(!pg_policy_exception_allow(p, 6, v6_out, v6_out));
	CHECK(pg_policy_exception_allow(p, 4, v4_in, NULL));
	CHECK(pg_policy_exception_inspect(p, 4, (const uint8_t[]){ 192, 0, 2, 7 }, v4_out));
	CHECK(!pg_policy_exception_inspect(p, 4, (const uint8_t[]){ 192, 0, 2, 8 }, v4_out));
	CHECK(!pg_policy_exception_inspect(p, 6, v6_in, v6_out));
	CHECK(!pg_policy_exception_allow(NULL, 4, v4_in, v4_in));
	const struct pg_prefix *list = NULL;
	CHECK(pg_policy_allow_prefixes(p, &list) == 2 && list && list[1].family == 6);
	CHECK(pg_policy_inspect_prefixes(p, &list) == 2 && list && list[1].len == 8);
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	if (mem) {
		pg_policy_print_summary(p, mem);
		fclose(mem);
		CHECK(strstr(text, "exceptions:\n  allow       10.0.0.0/8 2001:db8::/32\n  inspect     192.0.2.7/32 10.0.0.0/8\n") != NULL);
	}
	free(text);
	pg_policy_destroy(p);
}

/* duplicates are kept once; more than 4096 prefixes are refused */
static void prefixes_too_many(void)
{
	size_t cap = 4200 * 16, used = 0;
	char *big = malloc(cap);
	struct pg_policy *p;

	if (!big)
		return;
	used += (size_t)snprintf(big, cap, "[exceptions]\nallow = 10.0.0.1 10.0.0.1/32\n");
	for (int i = 0; i < 4097; i++)
		used += (size_t)snprintf(big + used, cap - used, "  10.1.%d.%d\n", i / 256, i % 256);
	struct pg_diag d;
	p = pg_policy_load_string(big, "t.ini", &d);
	CHECK(p == NULL && d.count == 1);
	CHECK_STR(d.msg[0], "t.ini:4098: too many prefixes for 'allow' in [exceptions] (at most 4096)");
	/* one fewer fits */
	char *last = strstr(big, "  10.1.15.255\n");
	if (last)
		*last = '\0';
	p = pg_policy_load_string(big, "t.ini", &d);
	CHECK(p != NULL && pg_policy_allow_prefixes(p, NULL) == 4096);
	pg_policy_destroy(p);
	free(big);
}

static void test_prefixes(void)
{
	prefixes_parse_and_contain();
	prefixes_exceptions();
	prefixes_too_many();
}

/* A file holding the given bytes; returns its path (static buffer). */
static const char *temp_file(const char *data, size_t len)
{
	static char path[64];
	snprintf(path, sizeof(path), "/tmp/test_policy.XXXXXX");
	int fd = mkstemp(path);
	if (fd < 0)
		return NULL;
	bool ok = write(fd, data, len) == (ssize_t)len;
	close(fd);
	return ok ? path : NULL;
}

/* the shipped policy: plain IM allowed, the paper's risks blocked */
static void check_shipped_policy(const struct pg_policy *p)
{
	CHECK(pg_policy_action(p, PG_SYS_MSN, PG_FEAT_IM) == PG_ACTION_ALLOW);
	CHECK(pg_policy_action(p, PG_SYS_MSN, PG_FEAT_LOGIN) == PG_ACTION_ALLOW);
	CHECK(pg_policy_action(p, PG_SYS_AIM, PG_FEAT_IM) == PG_ACTION_ALLOW);
	CHECK(pg_policy_action(p, PG_SYS_MSN, PG_FEAT_FILE_TRANSFER) == PG_ACTION_BLOCK);
	CHECK(pg_policy_action(p, PG_SYS_MSN, PG_FEAT_APP_SHARING) == PG_ACTION_BLOCK);
	CHECK(pg_policy_action(p, PG_SYS_MSN, PG_FEAT_WHITEBOARD) == PG_ACTION_BLOCK);
	CHECK(pg_policy_action(p, PG_SYS_MSN, PG_FEAT_REMOTE_ASSISTANCE) == PG_ACTION_BLOCK);
	CHECK(pg_policy_action(p, PG_SYS_AIM, PG_FEAT_FILE_SHARING) == PG_ACTION_BLOCK);
	CHECK(pg_policy_action(p, PG_SYS_YAHOO, PG_FEAT_FILE_SHARING) == PG_ACTION_BLOCK);
	CHECK(pg_policy_action(p, PG_SYS_ICQ, PG_FEAT_FILE_TRANSFER) == PG_ACTION_BLOCK);
	static const enum pg_system p2p[] = { PG_SYS_FASTTRACK, PG_SYS_GNUTELLA,
		PG_SYS_BITTORRENT, PG_SYS_EDONKEY, PG_SYS_DC };
	for (size_t i = 0; i < sizeof(p2p) / sizeof(p2p[0]); i++)
		for (int f = 0; f < PG_FEAT_COUNT; f++)
			CHECK(pg_policy_action(p, p2p[i], (enum pg_feature)f) == PG_ACTION_BLOCK);
	CHECK(pg_policy_action(p, PG_SYS_PROXY, PG_FEAT_SOCKS5) == PG_ACTION_LOG);
	CHECK(pg_policy_action(p, PG_SYS_PROXY, PG_FEAT_HTTP_CONNECT) == PG_ACTION_LOG);
}

/* the summary, for `check` (p may be NULL: nothing to print) */
static void check_shipped_summary(const struct pg_policy *p)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	if (mem && p) {
		pg_policy_print_summary(p, mem);
		fclose(mem);
		CHECK(strstr(text, "  msn         block voice-video, file-transfer, app-sharing, whiteboard, remote-assistance; log http-tunnel; allow any, login, im; port blocks on\n") != NULL);
		CHECK(strstr(text, "  fasttrack   block all; port blocks on\n") != NULL);
		CHECK(strstr(text, "  proxy       log all\n") != NULL);
		CHECK(strstr(text, "  mark-mask        = 0x07000000\n") != NULL);
		CHECK(strstr(text, "exceptions:\n  allow       none\n") != NULL);
	} else if (mem) {
		fclose(mem);
	}
	free(text);
}

/* The policy files in the source tree load, and say what they mean. */
static void files_shipped(const char *srcdir)
{
	static const char *const shipped[] = {
		"policy/policy.ini",
		"policy/examples/block-everything.ini",
		"policy/examples/allow-all.ini",
	};
	char path[4096];
	struct pg_diag d;
	struct pg_policy *p[3];

	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", srcdir, shipped[i]);
		p[i] = pg_policy_load_file_systems(path, shipped_systems(), &d);
		if (!p[i]) {
			fprintf(stderr, "%s:\n", path);
			pg_diag_print(&d, stderr);
		}
		CHECK(p[i] != NULL);
	}
	if (p[0])
		check_shipped_policy(p[0]);
	if (p[1])
		for (int s = 1; s < PG_SYS_POLICED_END; s++)
			if (pg_systems_defined(pg_policy_systems(p[1]), (enum pg_system)s))
				CHECK(pg_policy_action(p[1], (enum pg_system)s, PG_FEAT_ANY) ==
				      PG_ACTION_BLOCK);
	if (p[2])
		for (int s = 1; s < PG_SYS_POLICED_END; s++)
			CHECK(!pg_policy_system_changed(p[2], NULL, (enum pg_system)s));
	check_shipped_summary(p[0]);
	for (int i = 0; i < 3; i++)
		pg_policy_destroy(p[i]);
}

/* A file that does not exist, and a bad file: refused whole, and its
 * name is in every message. */
static void files_missing_and_bad(void)
{
	char path[4096];
	struct pg_diag d;
	struct pg_policy *p;

	p = pg_policy_load_file("/nonexistent/policy.ini", &d);
	CHECK(p == NULL && d.count == 1);
	CHECK_STR(d.msg[0], "/nonexistent/policy.ini: cannot open: No such file or directory");

	static const char bad[] = "[msn]\nim = block\nfile-transfer = nope\n";
	const char *tmp = temp_file(bad, sizeof(bad) - 1);
	CHECK(tmp != NULL);
	if (tmp) {
		p = pg_policy_load_file(tmp, &d);
		CHECK(p == NULL && d.count == 1);
		snprintf(path, sizeof(path), "%s:3: invalid value 'nope' for 'file-transfer' in [msn]; expected block, allow or log", tmp);
		CHECK_STR(d.msg[0], path);
		CHECK(pg_policy_load_file(tmp, NULL) == NULL); /* diag is optional */
		unlink(tmp);
	}
}

/* A NUL byte inside a file, and a file larger than any policy should be. */
static void files_nul_and_large(void)
{
	char path[4096];
	struct pg_diag d;
	struct pg_policy *p;

	static const char nul[] = "[msn]\nim = bl\0ck\nall = block\n";
	const char *tmp = temp_file(nul, sizeof(nul) - 1);
	if (tmp) {
		p = pg_policy_load_file(tmp, &d);
		snprintf(path, sizeof(path), "%s:2: line contains a NUL byte", tmp);
		CHECK(p == NULL && d.count == 1);
		CHECK_STR(d.msg[0], path);
		unlink(tmp);
	}

	size_t big = (1u << 20) + 1;
	char *junk = malloc(big);
	if (junk) {
		memset(junk, '#', big);
		tmp = temp_file(junk, big);
		if (tmp) {
			p = pg_policy_load_file(tmp, &d);
			snprintf(path, sizeof(path), "%s: file too large (more than 1048576 bytes)", tmp);
			CHECK(p == NULL && d.count == 1);
			CHECK_STR(d.msg[0], path);
			unlink(tmp);
		}
		free(junk);
	}
}

static void test_files(const char *srcdir)
{
	files_shipped(srcdir);
	files_missing_and_bad();
	files_nul_and_large();
}

static void test_limits(void)
{
	struct pg_diag d;
	char text[8192];
	size_t used;

	/* inih's line buffer holds 197 characters: longer lines are refused
	 * rather than split, and the reader keeps counting lines. */
	used = (size_t)snprintf(text, sizeof(text), "[msn]\nhosts = ");
	while (used < 6 + 198)
		used += (size_t)snprintf(text + used, sizeof(text) - used, "a.example ");
	snprintf(text + used, sizeof(text) - used, "\n  b.example\nim = nope\n");
	CHECK(pg_policy_load_string(text, "t.ini", &d) == NULL);
	CHECK(d.count == 2);
	CHECK(strncmp(d.msg[0], "t.ini:2: line too long (", 24) == 0);
	CHECK(strstr(d.msg[0], "characters, at most 197); continue a long list on indented lines") != NULL);
	CHECK_STR(d.msg[1], "t.ini:4: invalid value 'nope' for 'im' in [msn]; expected block, allow or log");

	/* a run of '\r' is content, not line end: it counts against the limit
	 * (this once overflowed inih's line buffer) */
	used = (size_t)snprintf(text, sizeof(text), "[msn]\nim = block");
	memset(text + used, '\r', 300);
	snprintf(text + used + 300, sizeof(text) - used - 300, "\nall = log\n");
	CHECK(pg_policy_load_string(text, "t.ini", &d) == NULL);
	CHECK(d.count == 1);
	CHECK_STR(d.msg[0], "t.ini:2: line too long (309 characters, at most 197); continue a long list on indented lines");

	/* a line of exactly 197 characters is fine */
	used = (size_t)snprintf(text, sizeof(text), "[msn]\n; ");
	memset(text + used, 'x', 195);
	snprintf(text + used + 195, sizeof(text) - used - 195, "\r\nim = block\n");
	struct pg_policy *p = pg_policy_load_string(text, "t.ini", &d);
	CHECK(p != NULL);
	pg_policy_destroy(p);

	/* more errors than are kept: all counted, the first PG_DIAG_MAX kept */
	used = (size_t)snprintf(text, sizeof(text), "[msn]\n");
	for (int i = 0; i < 40; i++)
		used += (size_t)snprintf(text + used, sizeof(text) - used, "k%d = 1\n", i);
	CHECK(pg_policy_load_string(text, "t.ini", &d) == NULL);
	CHECK(d.count == 40);
	CHECK(strncmp(d.msg[PG_DIAG_MAX - 1], "t.ini:33: unknown key 'k31'", 27) == 0);
	char *out = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&out, &len);
	if (mem) {
		pg_diag_print(&d, mem);
		fclose(mem);
		CHECK(strstr(out, "\n(8 more errors not shown)\n") != NULL);
	}
	free(out);

	/* host pattern and prefix caps */
	used = (size_t)snprintf(text, sizeof(text), "[aim]\nhosts =\n");
	for (int i = 0; i < 260; i++)
		used += (size_t)snprintf(text + used, sizeof(text) - used, "  h%d.example\n", i);
	CHECK(pg_policy_load_string(text, "t.ini", &d) == NULL);
	CHECK(d.count == 1);
	CHECK_STR(d.msg[0], "t.ini:259: too many host patterns in [aim] (at most 256)");

	/* no text, no name, no diag */
	CHECK(pg_policy_load_string(NULL, NULL, &d) == NULL);
	CHECK_STR(d.msg[0], "policy: no policy text");
	CHECK(pg_policy_load_string("[bad", NULL, NULL) == NULL);
	p = pg_policy_load_string("[aim]\nall = block\n", NULL, NULL);
	CHECK(p && pg_policy_action(p, PG_SYS_AIM, PG_FEAT_IM) == PG_ACTION_BLOCK);
	pg_policy_destroy(p);
}

int main(int argc, char **argv)
{
	/* The source tree: given, else two levels above this file. */
	char srcdir[4096];
	if (argc > 1) {
		snprintf(srcdir, sizeof(srcdir), "%s", argv[1]);
	} else {
		snprintf(srcdir, sizeof(srcdir), "%s", __FILE__);
		char *slash = strrchr(srcdir, '/');
		if (slash)
			*slash = '\0';
		strncat(srcdir, "/../..", sizeof(srcdir) - strlen(srcdir) - 1);
	}

	test_cases();
	test_defaults();
	test_heuristics();
	test_engine();
	test_resolution();
	test_hosts();
	test_prefixes();
	test_files(srcdir);
	test_limits();
	return pg_test_summary("test_policy");
}
