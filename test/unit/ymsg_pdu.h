/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * YMSG PDUs for the Yahoo tests (test_detect_yahoo.c, which runs the
 * detector, and test_yahoo_correlation.c, which runs the engine), built
 * from the documented layout (signatures.md 5.2: a 20-byte header, then
 * "key C0 80 value C0 80" pairs).
 */
#ifndef PEERGATE_TEST_YMSG_PDU_H
#define PEERGATE_TEST_YMSG_PDU_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* One PDU: version 16, the given service and status, session id
 * 0x0047e6ef (ws_h.pcap), pairs[] = key, value, key, value ..., NULL.
 * len_adj skews the header's length field for near misses. */
static inline size_t ymsg_pdu(uint8_t *buf, size_t cap, uint16_t svc,
			      uint32_t status, const char *const *pairs,
			      int len_adj)
{
	size_t n = 20;
	for (size_t i = 0; pairs[i]; i++) {
		size_t l = strlen(pairs[i]);
		if (n + l + 2 > cap)
			return 0;
		memcpy(buf + n, pairs[i], l);
		buf[n + l] = 0xc0;
		buf[n + l + 1] = 0x80;
		n += l + 2;
	}
	size_t blen = (size_t)((long)(n - 20) + len_adj);
	const uint8_t hdr[20] = {
		'Y', 'M', 'S', 'G', 0x00, 0x10, 0x00, 0x00,
		(uint8_t)(blen >> 8), (uint8_t)blen,
		(uint8_t)(svc >> 8), (uint8_t)svc,
		(uint8_t)(status >> 24), (uint8_t)(status >> 16),
		(uint8_t)(status >> 8), (uint8_t)status,
		0x00, 0x47, 0xe6, 0xef,
	};
	memcpy(buf, hdr, sizeof(hdr));
	return n;
}

#endif
