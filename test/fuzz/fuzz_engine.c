/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The whole engine over arbitrary packets: the input is a sequence of
 * [len16][bytes] records, each fed as one IP packet (half of them with the
 * addresses of the first packet swapped, to make both directions of a
 * flow).  Exercises parsing, the flow table, reassembly (reordered and
 * overlapping segments, slots running out) and every detector.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "peergate/engine.h"
#include "shipped_systems.h"
#include "peergate/hosts.h"
#include "peergate/detect_registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pg_engine_config cfg;
	pg_engine_config_defaults(&cfg);
	pg_detect_attach(&cfg);
	cfg.max_flows = 64;
	cfg.max_inspecting = 8;
	cfg.inspect_bytes = 512;
	cfg.dns_cache_entries = 64;
	cfg.max_expectations = 64;
	/* half the inputs as under fail = closed (starved packets not read) */
	cfg.starved_dropped = size & 1;
	struct pg_host_rules *hosts = pg_host_rules_create();
	add_shipped_signals(hosts);
	struct pg_engine *e = pg_engine_create(&cfg, hosts);
	if (!e) {
		pg_host_rules_destroy(hosts);
		return 0;
	}
	uint8_t pkt[2048];
	uint64_t now = 0;
	while (size >= 2) {
		size_t n = (size_t)(data[0] << 8 | data[1]) % sizeof(pkt);
		data += 2;
		size -= 2;
		if (n > size)
			n = size;
		memcpy(pkt, data, n);
		data += n;
		size -= n;
		struct pg_packet_result r;
		pg_engine_packet(e, pkt, n, now, &r);
		/* the reverse direction of the same bytes */
		if (n >= 20 && (pkt[0] >> 4) == 4) {
			uint8_t tmp[4];
			memcpy(tmp, pkt + 12, 4);
			memcpy(pkt + 12, pkt + 16, 4);
			memcpy(pkt + 16, tmp, 4);
			size_t ihl = (size_t)(pkt[0] & 15) * 4;
			if (ihl >= 20 && ihl + 4 <= n) {
				uint8_t t0 = pkt[ihl], t1 = pkt[ihl + 1];
				pkt[ihl] = pkt[ihl + 2];
				pkt[ihl + 1] = pkt[ihl + 3];
				pkt[ihl + 2] = t0;
				pkt[ihl + 3] = t1;
			}
			pg_engine_packet(e, pkt, n, now, &r);
		}
		now += 1000;
		pg_engine_tick(e, now);
	}
	pg_engine_destroy(e);
	pg_host_rules_destroy(hosts);
	return 0;
}
