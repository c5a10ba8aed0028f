/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "peergate/stats.h"
#include "peergate/systems.h"

#include <stdbool.h>

void pg_verdict_stats_json(const struct pg_verdict_stats *s,
			   const struct pg_systems *systems, FILE *out)
{
	bool first = true;
	fputc('[', out);
	for (int sys = 0; sys < PG_SYS_COUNT; sys++) {
		for (int f = 0; f < PG_FEAT_COUNT; f++) {
			const struct pg_class_counters *c = &s->cls[sys][f];
			if (!c->flows && !c->packets_accepted && !c->packets_dropped)
				continue;
			fprintf(out,
				"%s{\"system\":\"%s\",\"feature\":\"%s\",\"flows\":%llu,"
				"\"flows_dropped\":%llu,\"flows_logged\":%llu,"
				"\"packets_accepted\":%llu,"
				"\"packets_dropped\":%llu,\"bytes_accepted\":%llu,"
				"\"bytes_dropped\":%llu}",
				first ? "" : ",", pg_systems_name(systems, sys), pg_feature_name(f),
				(unsigned long long)c->flows,
				(unsigned long long)c->flows_dropped,
				(unsigned long long)c->flows_logged,
				(unsigned long long)c->packets_accepted,
				(unsigned long long)c->packets_dropped,
				(unsigned long long)c->bytes_accepted,
				(unsigned long long)c->bytes_dropped);
			first = false;
		}
	}
	fputc(']', out);
}
