/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target for the table of logged SYNs (syn_table.h): the input is a
 * logged packet, kept if it is a SYN; then any packet the same bytes parse
 * to, and its reversed twin, try to take it.  What is handed back must be
 * the bytes that were put in.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "peergate/syn_table.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pg_syn_table *t = pg_syn_table_create(64, 1000, 0);
	uint8_t out[PG_SYN_MAX];
	struct pg_packet p;

	if (!t)
		return 0;
	int kept = pg_syn_table_put(t, data, size, 5);
	if (pg_packet_parse(data, size, &p) == PG_PARSE_OK) {
		struct pg_packet r = p;

		memcpy(r.src, p.dst, sizeof(r.src));
		memcpy(r.dst, p.src, sizeof(r.dst));
		r.sport = p.dport;
		r.dport = p.sport;
		size_t n = pg_syn_table_take(t, &r, 6, out, sizeof(out));
		if (n && (kept != 0 || n != size || memcmp(out, data, n) != 0))
			abort();
		if (kept == 0 && n != size)
			abort(); /* a kept SYN is found from the other side */
		if (pg_syn_table_take(t, &p, 6, out, sizeof(out)) && n)
			abort(); /* taken once only */
	}
	pg_syn_table_destroy(t);
	return 0;
}
