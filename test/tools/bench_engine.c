/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Engine benchmark: packets per second through the classification engine
 * over real captures, against a baseline of parsing alone measured in the
 * same run; the fixed size of a flow entry; and memory: an idle engine as
 * a policy sizes it, and a flood of new flows up to a million tracked.
 * Prints medians over several runs.
 *
 *   bench_engine CAPTURE...
 *   bench_engine --write-pcap OUT REPEAT CAPTURE...
 *       writes the captures' IP packets REPEAT times over as one raw-IP
 *       pcap (each copy a month after the last, so flows expire between
 *       copies), for comparing `peergatectl classify` with other tools on
 *       the same file (scripts/bench/engine)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "peergate/capture.h"
#include "peergate/engine.h"
#include "shipped_systems.h"
#include "peergate/engine_policy.h"
#include "peergate/policy.h"
#include "peergate/linklayer.h"
#include "peergate/detect_registry.h"

struct pkt {
	uint64_t ts_ms;
	size_t len;
	uint8_t *data;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long rss_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kib = -1;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return kib;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return v[n / 2];
}

static void put32(FILE *f, uint32_t v)
{
	fwrite(&v, sizeof(v), 1, f);
}

/* Classic pcap, host byte order (the magic tells readers which),
 * LINKTYPE_RAW: each record is one IP packet. */
static int write_pcap(const char *path, const struct pkt *pkts, size_t n, unsigned repeat)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	static const uint16_t version[2] = {2, 4};
	put32(f, 0xa1b2c3d4);
	fwrite(version, sizeof(version), 1, f);
	put32(f, 0);
	put32(f, 0);
	put32(f, 65535);
	put32(f, 101);
	const uint64_t month_ms = 30ull * 86400 * 1000;
	for (unsigned r = 0; r < repeat; r++) {
		for (size_t i = 0; i < n; i++) {
			uint64_t ts = pkts[i].ts_ms + r * month_ms;
			put32(f, (uint32_t)(ts / 1000));
			put32(f, (uint32_t)(ts % 1000) * 1000);
			put32(f, (uint32_t)pkts[i].len);
			put32(f, (uint32_t)pkts[i].len);
			fwrite(pkts[i].data, 1, pkts[i].len, f);
		}
	}
	return fclose(f) == 0 ? 0 : -1;
}

/* A TCP SYN of flow number i: every i gives another 5-tuple. */
static void flood_syn(uint8_t syn[40], uint32_t i)
{
	syn[13] = (uint8_t)(i >> 16);
	syn[14] = (uint8_t)(i >> 8);
	syn[15] = (uint8_t)i;
	syn[20] = (uint8_t)(i >> 24);
	syn[21] = (uint8_t)(1024 + (i & 0xff));
}

/* An engine set up as `policy` says (an [engine] section), its RSS when
 * created, and after `flows` new flows. */
static void memory_case(const char *label, const char *policy, uint32_t flows)
{
	struct pg_diag diag = {0};
	struct pg_policy *p = pg_policy_load_string(policy, label, &diag);
	if (!p) {
		pg_diag_print(&diag, stderr);
		return;
	}
	struct pg_engine_config cfg;
	pg_engine_config_from_policy(p, &cfg);
	pg_detect_attach(&cfg);
	cfg.record_hosts = true; /* as the daemon's (64 bytes a flow, touched
				  * when a flow names a host or ends) */
	long before = rss_kib();
	struct pg_engine *e = pg_engine_create(&cfg, NULL);
	if (!e) {
		fprintf(stderr, "%s: engine not created\n", label);
		pg_policy_destroy(p);
		return;
	}
	long created = rss_kib();
	uint8_t syn[40] = {0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 0, 0, 192, 0, 2, 1,
			   0, 0, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0x20, 0, 0, 0, 0, 0};
	struct pg_packet_result res;
	double t0 = now_s();
	for (uint32_t i = 0; i < flows; i++) {
		flood_syn(syn, i);
		pg_engine_packet(e, syn, sizeof(syn), i / 1000, &res);
	}
	double rate = flows ? flows / (now_s() - t0) : 0;
	long after = rss_kib();
	struct pg_engine_stats st;
	pg_engine_get_stats(e, &st);
	printf("  %-34s slots %5u: RSS +%6ld KiB idle", label, cfg.max_inspecting,
	       created - before);
	if (flows)
		printf(", +%7ld KiB with %u flows tracked (%.0f bytes/flow; %llu evicted; %.0f new flows/s)",
		       after - before, st.flows.active,
		       st.flows.active ? (after - before) * 1024.0 / st.flows.active : 0.0,
		       (unsigned long long)st.flows.evicted, rate);
	printf("\n");
	pg_engine_destroy(e);
	pg_policy_destroy(p);
}

struct pkt_list {
	struct pkt *items;
	size_t n, cap;
};

/* Every IP packet of the captures, the files one after another on one
 * clock (an hour apart, so flows of one file end before the next). */
static void load_captures(char **paths, int count, struct pkt_list *l)
{
	uint64_t offset = 0;
	for (int i = 0; i < count; i++) {
		char err[256];
		struct capture *c = capture_open(paths[i], err, sizeof(err));
		if (!c)
			continue;
		struct capture_frame fr;
		uint64_t last = 0;
		while (capture_next(c, &fr, err, sizeof(err)) == 1) {
			const uint8_t *ip;
			size_t len;
			if (!pg_link_to_ip(capture_dlt(c), fr.data, fr.caplen, &ip, &len))
				continue;
			if (l->n == l->cap) {
				l->cap = l->cap ? l->cap * 2 : 4096;
				l->items = realloc(l->items, l->cap * sizeof(*l->items));
			}
			struct pkt *p = &l->items[l->n++];
			p->data = malloc(len);
			memcpy(p->data, ip, len);
			p->len = len;
			p->ts_ms = last = offset + fr.ts_ms;
		}
		offset = last + 3600 * 1000;
		capture_close(c);
	}
}

static void free_packets(struct pkt_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i].data);
	free(l->items);
}

/* Medians of RUNS: parsing alone (the baseline) and the full engine. */
static void time_engine(const struct pkt *pkts, size_t n, int ncaptures)
{
	enum { RUNS = 7 };
	double parse[RUNS], engine[RUNS];
	for (int r = 0; r < RUNS; r++) {
		struct pg_packet p;
		volatile size_t sink = 0;
		double t0 = now_s();
		for (size_t i = 0; i < n; i++)
			if (pg_packet_parse(pkts[i].data, pkts[i].len, &p) == PG_PARSE_OK)
				sink += p.payload_len;
		parse[r] = (double)n / (now_s() - t0);
		(void)sink; /* clang counts only the writes as a use */

		struct pg_engine_config cfg;
		pg_engine_config_defaults(&cfg);
		pg_detect_attach(&cfg);
		struct pg_host_rules *h = pg_host_rules_create();
		add_shipped_signals(h);
		struct pg_engine *e = pg_engine_create(&cfg, h);
		struct pg_packet_result res;
		t0 = now_s();
		for (size_t i = 0; i < n; i++) {
			pg_engine_packet(e, pkts[i].data, pkts[i].len, pkts[i].ts_ms, &res);
			pg_engine_tick(e, pkts[i].ts_ms);
		}
		engine[r] = (double)n / (now_s() - t0);
		pg_engine_destroy(e);
		pg_host_rules_destroy(h);
	}
	double mp = median(parse, RUNS), me = median(engine, RUNS);
	printf("packets: %zu from %d capture(s), %d runs, medians\n", n, ncaptures, RUNS);
	printf("  parse only (baseline): %10.0f packets/s\n", mp);
	printf("  full engine          : %10.0f packets/s  (%.0f ns/packet, %.1fx the baseline's cost)\n",
	       me, 1e9 / me, mp / me);
}

int main(int argc, char **argv)
{
	struct pkt_list l = {0};
	const char *pcap_out = NULL;
	unsigned repeat = 1;
	int first = 1, rc = 0;

	if (argc >= 4 && !strcmp(argv[1], "--write-pcap")) {
		pcap_out = argv[2];
		repeat = (unsigned)atoi(argv[3]);
		first = 4;
	}
	/* Memory first, while the process holds nothing else. */
	if (!pcap_out) {
		printf("memory (RSS growth of this process, flows are TCP SYNs, no payload):\n");
		memory_case("max-flows = 1024", "[engine]\nmax-flows = 1024\n", 0);
		memory_case("default (max-flows = 65536)", "", 0);
		memory_case("max-flows = 1048576", "[engine]\nmax-flows = 1048576\n", 1000000);
	}
	load_captures(argv + first, argc - first, &l);
	if (!l.n) {
		fprintf(stderr, "usage: bench_engine [--write-pcap OUT REPEAT] CAPTURE...\n");
		return 2;
	}
	if (pcap_out) {
		rc = write_pcap(pcap_out, l.items, l.n, repeat ? repeat : 1);
		if (rc == 0)
			printf("%zu packets\n", l.n * (repeat ? repeat : 1));
		else
			perror(pcap_out);
	} else {
		time_engine(l.items, l.n, argc - 1);
		printf("flow entry: %zu bytes fixed state (target <= 128)\n", sizeof(struct pg_flow));
	}
	free_packets(&l);
	return rc == 0 ? 0 : 1;
}
