/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Engine benchmark: packets per second through the classification engine
 * over real captures, against a baseline of parsing alone measured in the
 * same run; the fixed size of a flow entry; and memory under a flood of new
 * flows (bounded by max-flows).  Prints medians over several runs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "peergate/capture.h"
#include "peergate/engine.h"
#include "shipped_systems.h"
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

int main(int argc, char **argv)
{
	enum { RUNS = 7 };
	struct pkt *pkts = NULL;
	size_t n = 0, cap = 0;
	uint64_t offset = 0;

	for (int i = 1; i < argc; i++) {
		char err[256];
		struct capture *c = capture_open(argv[i], err, sizeof(err));
		if (!c)
			continue;
		struct capture_frame fr;
		uint64_t last = 0;
		while (capture_next(c, &fr, err, sizeof(err)) == 1) {
			const uint8_t *ip;
			size_t len;
			if (!pg_link_to_ip(capture_dlt(c), fr.data, fr.caplen, &ip, &len))
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 4096;
				pkts = realloc(pkts, cap * sizeof(*pkts));
			}
			pkts[n].data = malloc(len);
			memcpy(pkts[n].data, ip, len);
			pkts[n].len = len;
			/* files follow one another on one clock */
			pkts[n].ts_ms = offset + fr.ts_ms;
			last = pkts[n].ts_ms;
			n++;
		}
		offset = last + 3600 * 1000;
		capture_close(c);
	}
	if (!n) {
		fprintf(stderr, "usage: bench_engine CAPTURE...\n");
		return 2;
	}

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
	printf("packets: %zu from %d capture(s), %d runs, medians\n", n, argc - 1, RUNS);
	printf("  parse only (baseline): %10.0f packets/s\n", mp);
	printf("  full engine          : %10.0f packets/s  (%.0f ns/packet, %.1fx the baseline's cost)\n",
	       me, 1e9 / me, mp / me);

	/* Flood: a million new flows into a 65536-flow table. */
	printf("flow entry: %zu bytes fixed state (target <= 128)\n", sizeof(struct pg_flow));
	long before = rss_kib();
	struct pg_engine_config cfg;
	pg_engine_config_defaults(&cfg);
	pg_detect_attach(&cfg);
	struct pg_engine *e = pg_engine_create(&cfg, NULL);
	long created = rss_kib();
	uint8_t syn[40] = {0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 0, 0, 192, 0, 2, 1,
			   0, 0, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0x20, 0, 0, 0, 0, 0};
	struct pg_packet_result res;
	double t0 = now_s();
	for (uint32_t i = 0; i < 1000000; i++) {
		syn[13] = (uint8_t)(i >> 16);
		syn[14] = (uint8_t)(i >> 8);
		syn[15] = (uint8_t)i;
		syn[20] = (uint8_t)(i >> 24);
		syn[21] = (uint8_t)(1024 + (i & 0xff));
		pg_engine_packet(e, syn, sizeof(syn), i / 1000, &res);
	}
	double flood = 1e6 / (now_s() - t0);
	long after = rss_kib();
	struct pg_engine_stats st;
	pg_engine_get_stats(e, &st);
	printf("flood: 1000000 new flows, max-flows %u: %u tracked, %llu evicted, %.0f new flows/s\n",
	       cfg.max_flows, st.flows.active, (unsigned long long)st.flows.evicted, flood);
	printf("  RSS: %ld KiB before, %ld KiB after create, %ld KiB after flood (growth during flood %ld KiB)\n",
	       before, created, after, after - created);
	pg_engine_destroy(e);
	for (size_t i = 0; i < n; i++)
		free(pkts[i].data);
	free(pkts);
	return 0;
}
