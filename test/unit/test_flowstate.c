/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The flow state file: round trip, refusals (corrupt, other version, stale,
 * other mark mask, truncated), the max-flows bound, and restoring an entry
 * into the engine. */
#include "check.h"
#include "peergate/engine.h"
#include "peergate/flowstate.h"
#include "peergate/detect_registry.h"

#include <netinet/in.h>
#include <sys/stat.h>
#include <unistd.h>

#define MASK 0x07000000u
#define NOW 1800000000

static char dir[] = "/tmp/pgflowstateXXXXXX";
static char path[256];

static struct pg_flowstate_limits limits(void)
{
	return (struct pg_flowstate_limits){
		.now_s = NOW, .max_age_s = 600, .mark_mask = MASK, .max_flows = 100,
	};
}

static struct pg_flow v4_flow(void)
{
	struct pg_flow f;
	memset(&f, 0, sizeof(f));
	f.family = 4;
	f.l4proto = IPPROTO_TCP;
	memcpy(f.client_addr, "\x0a\xe7\x01\x02", 4);
	memcpy(f.server_addr, "\x0a\xe7\x02\x02", 4);
	f.client_port = 40000;
	f.server_port = 7002;
	f.state = PG_FLOW_DECIDED;
	f.system = PG_SYS_BITTORRENT;
	f.feature = PG_FEAT_DOWNLOAD;
	f.method = PG_METHOD_PAYLOAD;
	f.confidence = 90;
	f.flags = PG_FLOW_FROM_START;
	f.packets[0] = 12;
	f.packets[1] = 10;
	f.bytes[0] = 5000000000ull; /* past 32 bits */
	f.bytes[1] = 1000;
	return f;
}

static struct pg_flow v6_flow(void)
{
	struct pg_flow f;
	memset(&f, 0, sizeof(f));
	f.family = 6;
	f.l4proto = IPPROTO_UDP;
	pg_hex("fd00 0231 0001 0000 0000 0000 0000 0002", f.client_addr, 16);
	pg_hex("fd00 0231 0002 0000 0000 0000 0000 0002", f.server_addr, 16);
	f.client_port = 50000;
	f.server_port = 443;
	f.state = PG_FLOW_DECIDED;
	f.system = PG_SYS_AIM;
	f.feature = PG_FEAT_IM;
	f.method = PG_METHOD_HOST;
	f.confidence = 70;
	f.via_proxy = PG_FEAT_SOCKS5;
	f.flags = PG_FLOW_WATCH;
	return f;
}

static bool same_flow(const struct pg_flow *a, const struct pg_flow *b)
{
	size_t alen = a->family == 6 ? 16 : 4;
	return a->family == b->family && a->l4proto == b->l4proto &&
	       !memcmp(a->client_addr, b->client_addr, alen) &&
	       !memcmp(a->server_addr, b->server_addr, alen) &&
	       a->client_port == b->client_port && a->server_port == b->server_port &&
	       a->state == b->state && a->system == b->system && a->feature == b->feature &&
	       a->method == b->method && a->confidence == b->confidence &&
	       a->via_proxy == b->via_proxy && a->flags == b->flags &&
	       a->packets[0] == b->packets[0] && a->packets[1] == b->packets[1] &&
	       a->bytes[0] == b->bytes[0] && a->bytes[1] == b->bytes[1];
}

/* Parses text as a state file. */
static struct pg_flowstate *read_text(const char *text, const struct pg_flowstate_limits *lim,
				      char *err, size_t errlen)
{
	FILE *in = fmemopen((void *)text, strlen(text), "r");
	struct pg_flowstate *fs = pg_flowstate_read(in, lim, err, errlen);
	fclose(in);
	return fs;
}

static void test_round_trip(void)
{
	struct pg_flow a = v4_flow(), b = v6_flow();
	char err[256] = "";
	struct pg_flowstate *fs = NULL;
	struct pg_flowstate_limits lim = limits();

	struct pg_flowstate_writer *w = pg_flowstate_writer_open(path, NOW - 5, MASK, NULL, err,
								 sizeof(err));
	CHECK(w != NULL);
	if (!w)
		return;
	pg_flowstate_writer_add(w, &b, "login.oscar.aol.com");
	pg_flowstate_writer_add(w, &a, "");
	/* a name from the wire with a space: kept on one field */
	struct pg_flow c = a;
	c.client_port = 40001;
	pg_flowstate_writer_add(w, &c, "bad host\x01");
	CHECK(pg_flowstate_writer_commit(w, err, sizeof(err)) == 0);
	char tmp[300];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	CHECK(access(tmp, F_OK) != 0);

	CHECK(pg_flowstate_load(path, &lim, &fs, err, sizeof(err)) == PG_FLOWSTATE_LOADED);
	CHECK(access(path, F_OK) != 0); /* used once */
	CHECK(pg_flowstate_count(fs) == 3);
	long i = pg_flowstate_find(fs, 4, IPPROTO_TCP, a.client_addr, a.client_port,
				   a.server_addr, a.server_port);
	CHECK(i >= 0);
	if (i >= 0) {
		const struct pg_flowstate_entry *e = pg_flowstate_at(fs, (size_t)i);
		CHECK(same_flow(&e->flow, &a));
		CHECK_STR(e->host, "");
	}
	i = pg_flowstate_find(fs, 6, IPPROTO_UDP, b.client_addr, b.client_port,
			      b.server_addr, b.server_port);
	CHECK(i >= 0);
	if (i >= 0) {
		const struct pg_flowstate_entry *e = pg_flowstate_at(fs, (size_t)i);
		CHECK(same_flow(&e->flow, &b));
		CHECK_STR(e->host, "login.oscar.aol.com");
	}
	i = pg_flowstate_find(fs, 4, IPPROTO_TCP, c.client_addr, c.client_port,
			      c.server_addr, c.server_port);
	CHECK(i >= 0 && !strcmp(pg_flowstate_at(fs, (size_t)i)->host, "bad?host?"));
	/* from the server's side: the same flow */
	long ia = pg_flowstate_find(fs, 4, IPPROTO_TCP, a.client_addr, a.client_port,
				    a.server_addr, a.server_port);
	CHECK(ia >= 0 && pg_flowstate_find(fs, 4, IPPROTO_TCP, a.server_addr, a.server_port,
					   a.client_addr, a.client_port) == ia);
	/* another port, another transport, ports crossed: not found */
	CHECK(pg_flowstate_find(fs, 4, IPPROTO_TCP, a.client_addr, a.server_port,
				a.server_addr, a.client_port) < 0);
	CHECK(pg_flowstate_find(fs, 4, IPPROTO_TCP, a.client_addr, 40002,
				a.server_addr, a.server_port) < 0);
	CHECK(pg_flowstate_find(fs, 4, IPPROTO_UDP, a.client_addr, a.client_port,
				a.server_addr, a.server_port) < 0);
	pg_flowstate_destroy(fs);

	/* no file at all */
	CHECK(pg_flowstate_load(path, &lim, &fs, err, sizeof(err)) == PG_FLOWSTATE_ABSENT);
	CHECK(fs == NULL);

	/* an empty table still makes a valid file */
	w = pg_flowstate_writer_open(path, NOW, MASK, NULL, err, sizeof(err));
	CHECK(w && pg_flowstate_writer_commit(w, err, sizeof(err)) == 0);
	CHECK(pg_flowstate_load(path, &lim, &fs, err, sizeof(err)) == PG_FLOWSTATE_LOADED);
	CHECK(pg_flowstate_count(fs) == 0);
	pg_flowstate_destroy(fs);
}

static const char *HEAD = "peergate-flows 1\nwritten 1800000000\nmark-mask 0x07000000\n";
static const char *LINE =
	"flow tcp 10.231.1.2 40000 10.231.2.2 7002 bittorrent download payload 90 - 0x02 "
	"12 10 1234 1000 -\n";

/* text is refused, and the reason holds want. */
static void refused(const char *text, const char *want, int line)
{
	char err[256] = "";
	struct pg_flowstate_limits lim = limits();
	struct pg_flowstate *fs = read_text(text, &lim, err, sizeof(err));
	if (fs || !strstr(err, want)) {
		pg_test_failed++;
		fprintf(stderr, "%s:%d: expected a refusal with '%s', got %s '%s'\n", __FILE__,
			line, want, fs ? "success" : "refusal", err);
	} else {
		pg_test_passed++;
	}
	pg_flowstate_destroy(fs);
}

static void refused_line(const char *flow_line, const char *want, int line)
{
	char text[1024];
	snprintf(text, sizeof(text), "%s%s\nend 1\n", HEAD, flow_line);
	refused(text, want, line);
}

static void test_corrupt(void)
{
	char text[2048];
	char err[256];
	struct pg_flowstate_limits lim = limits();

	/* the good file these are variations of */
	snprintf(text, sizeof(text), "%s%send 1\n", HEAD, LINE);
	struct pg_flowstate *fs = read_text(text, &lim, err, sizeof(err));
	CHECK(fs && pg_flowstate_count(fs) == 1);
	pg_flowstate_destroy(fs);

	refused("", "empty file", __LINE__);
	refused("\x89PNG\r\n", "not a peergate flow state file", __LINE__);
	refused("peergate-flows 2\nwritten 1800000000\nmark-mask 0x07000000\nend 0\n",
		"format version 2", __LINE__);
	refused("peergate-flows 1\nmark-mask 0x07000000\nend 0\n", "line 2", __LINE__);
	refused("peergate-flows 1\nwritten 1800000000\nend 0\n", "line 3", __LINE__);
	refused("peergate-flows 1\nwritten 1800000000\nmark-mask 0x0700000g\nend 0\n", "line 3",
		__LINE__);
	/* stale, from the future, another mask */
	refused("peergate-flows 1\nwritten 1799999399\nmark-mask 0x07000000\nend 0\n", "stale",
		__LINE__);
	refused("peergate-flows 1\nwritten 1800000100\nmark-mask 0x07000000\nend 0\n", "stale",
		__LINE__);
	refused("peergate-flows 1\nwritten 1800000000\nmark-mask 0x00700000\nend 0\n",
		"mark-mask", __LINE__);
	/* bad fields */
	refused_line("flow icmp 10.231.1.2 40000 10.231.2.2 7002 bittorrent download payload 90 "
		     "- 0x02 12 10 1234 1000 -", "transport", __LINE__);
	refused_line("flow tcp 10.231.1.256 40000 10.231.2.2 7002 bittorrent download payload "
		     "90 - 0x02 12 10 1234 1000 -", "bad address", __LINE__);
	refused_line("flow tcp 10.231.1.2 40000 fd00::2 7002 bittorrent download payload 90 - "
		     "0x02 12 10 1234 1000 -", "bad address", __LINE__);
	refused_line("flow tcp 10.231.1.2 65536 10.231.2.2 7002 bittorrent download payload 90 "
		     "- 0x02 12 10 1234 1000 -", "bad port", __LINE__);
	refused_line("flow tcp 10.231.1.2 -1 10.231.2.2 7002 bittorrent download payload 90 - "
		     "0x02 12 10 1234 1000 -", "bad port", __LINE__);
	refused_line("flow tcp 10.231.1.2 40000 10.231.2.2 7002 bittorent download payload 90 "
		     "- 0x02 12 10 1234 1000 -", "unknown system", __LINE__);
	refused_line("flow tcp 10.231.1.2 40000 10.231.2.2 7002 bittorrent downloads payload "
		     "90 - 0x02 12 10 1234 1000 -", "unknown feature", __LINE__);
	refused_line("flow tcp 10.231.1.2 40000 10.231.2.2 7002 bittorrent download magic 90 "
		     "- 0x02 12 10 1234 1000 -", "unknown method", __LINE__);
	refused_line("flow tcp 10.231.1.2 40000 10.231.2.2 7002 bittorrent download payload "
		     "256 - 0x02 12 10 1234 1000 -", "confidence", __LINE__);
	refused_line("flow tcp 10.231.1.2 40000 10.231.2.2 7002 bittorrent download payload 90 "
		     "socks9 0x02 12 10 1234 1000 -", "proxy", __LINE__);
	refused_line("flow tcp 10.231.1.2 40000 10.231.2.2 7002 bittorrent download payload 90 "
		     "- 2 12 10 1234 1000 -", "flags", __LINE__);
	refused_line("flow tcp 10.231.1.2 40000 10.231.2.2 7002 bittorrent download payload 90 "
		     "- 0x02 4294967296 10 1234 1000 -", "packet count", __LINE__);
	refused_line("flow tcp 10.231.1.2 40000 10.231.2.2 7002 bittorrent download payload 90 "
		     "- 0x02 12 10 18446744073709551616 1000 -", "byte count", __LINE__);
	refused_line("flow tcp 10.231.1.2 40000 10.231.2.2 7002 bittorrent download payload 90 "
		     "- 0x02 12 10 1234 1000 a\"b", "host", __LINE__);
	refused_line("flow tcp 10.231.1.2 40000 10.231.2.2 7002 bittorrent download payload 90 "
		     "- 0x02 12 10 1234 1000 "
		     "a234567890123456789012345678901234567890123456789012345678901234",
		     "too long", __LINE__);
	/* field counts and spacing */
	refused_line("flow tcp 10.231.1.2 40000 10.231.2.2 7002 bittorrent download payload 90 "
		     "- 0x02 12 10 1234 1000", "not a flow line", __LINE__);
	refused_line("flow tcp 10.231.1.2 40000 10.231.2.2 7002 bittorrent download payload 90 "
		     "- 0x02 12 10 1234 1000 - extra", "not a flow line", __LINE__);
	refused_line("flow tcp  10.231.1.2 40000 10.231.2.2 7002 bittorrent download payload 90 "
		     "- 0x02 12 10 1234 1000 -", "not a flow line", __LINE__);
	refused_line("", "not a flow line", __LINE__);
	/* a line longer than any valid one */
	char longline[700];
	memset(longline, 'x', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	refused_line(longline, "too long", __LINE__);
	/* text after the end */
	snprintf(text, sizeof(text), "%s%send 1\n%s", HEAD, LINE, LINE);
	refused(text, "after the end", __LINE__);
}

static void test_truncated(void)
{
	char text[2048];
	/* the end line missing, counting other flows, or cut off */
	snprintf(text, sizeof(text), "%s%s%s", HEAD, LINE, LINE);
	refused(text, "no end line", __LINE__);
	snprintf(text, sizeof(text), "%s%send 3\n", HEAD, LINE);
	refused(text, "counts 3 flows", __LINE__);
	snprintf(text, sizeof(text), "%s%send 1", HEAD, LINE);
	refused(text, "cut off", __LINE__);
	/* every cut of a good file that does not end at its last byte */
	snprintf(text, sizeof(text), "%s%s%send 2\n", HEAD, LINE, LINE);
	size_t len = strlen(text);
	unsigned accepted = 0;
	for (size_t cut = 0; cut < len; cut++) {
		char part[2048];
		char err[256];
		struct pg_flowstate_limits lim = limits();
		memcpy(part, text, cut);
		part[cut] = '\0';
		struct pg_flowstate *fs = read_text(part, &lim, err, sizeof(err));
		accepted += fs != NULL;
		pg_flowstate_destroy(fs);
	}
	CHECK(accepted == 0);
	/* a state file of a pipe or directory is refused, and not followed */
	char sub[300];
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	CHECK(mkdir(sub, 0700) == 0);
	struct pg_flowstate *fs = NULL;
	char err[256] = "";
	struct pg_flowstate_limits lim = limits();
	CHECK(pg_flowstate_load(sub, &lim, &fs, err, sizeof(err)) == PG_FLOWSTATE_REJECTED);
	rmdir(sub);
}

static void test_max_flows(void)
{
	char text[4096];
	char err[256];
	struct pg_flowstate_limits lim = limits();
	size_t n = 0;
	n += (size_t)snprintf(text + n, sizeof(text) - n, "%s", HEAD);
	for (int i = 0; i < 5; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
				      "flow udp 10.0.0.%d 1000 10.0.0.99 53 dns any payload 70 - "
				      "0x00 1 1 80 120 -\n", i + 1);
	snprintf(text + n, sizeof(text) - n, "end 5\n");
	lim.max_flows = 3;
	struct pg_flowstate *fs = read_text(text, &lim, err, sizeof(err));
	CHECK(fs && pg_flowstate_count(fs) == 3 && pg_flowstate_skipped(fs) == 2);
	pg_flowstate_destroy(fs);
}

static void test_engine_restore(void)
{
	struct pg_engine_config cfg;
	pg_engine_config_defaults(&cfg);
	pg_detect_attach(&cfg);
	cfg.max_flows = 16;
	cfg.max_inspecting = 4;
	cfg.record_hosts = true;
	struct pg_engine *e = pg_engine_create(&cfg, NULL);
	CHECK(e != NULL);
	if (!e)
		return;
	struct pg_flow saved = v4_flow();
	saved.flags |= PG_FLOW_WATCH;
	struct pg_flow *f = pg_engine_restore_flow(e, &saved, "tracker.example", 5000);
	CHECK(f && f->state == PG_FLOW_DECIDED && f->system == PG_SYS_BITTORRENT &&
	      f->feature == PG_FEAT_DOWNLOAD && f->client_port == 40000 &&
	      (f->flags & PG_FLOW_WATCH) && f->packets[0] == 12);
	if (f)
		CHECK_STR(pg_engine_flow_host(e, f), "tracker.example");

	/* its next packet (server -> client, mid-stream) finds it decided and
	 * is not inspected: the class stays */
	uint8_t pkt[60];
	size_t n = pg_hex("45000030 0001 0000 4006 0000 0ae70202 0ae70102"
			  "1b5a 9c40 00000001 00000001 5018 ffff 0000 0000"
			  "0000000000000000", pkt, sizeof(pkt));
	struct pg_packet_result r;
	CHECK(pg_engine_packet(e, pkt, n, 6000, &r) == PG_ENGINE_TRACKED);
	CHECK(r.flow == f && !r.created && !r.just_decided && r.dir == PG_DIR_S2C);
	CHECK(f && f->system == PG_SYS_BITTORRENT && f->packets[1] == 11);

	/* restoring the same flow again updates it in place */
	saved.system = PG_SYS_GNUTELLA;
	struct pg_flow *g = pg_engine_restore_flow(e, &saved, NULL, 7000);
	CHECK(g == f && g && g->system == PG_SYS_GNUTELLA);
	struct pg_engine_stats st;
	pg_engine_get_stats(e, &st);
	CHECK(st.flows.active == 1);
	pg_engine_destroy(e);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/flows.state", dir);
	test_round_trip();
	test_corrupt();
	test_truncated();
	test_max_flows();
	test_engine_restore();
	unlink(path);
	rmdir(dir);
	return pg_test_summary("test_flowstate");
}
