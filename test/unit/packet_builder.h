/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * IP packets for tests that drive the whole engine.  Apart from the
 * detector harness so that a test of the core alone (no detectors linked)
 * can use it too.
 */
#ifndef PEERGATE_TEST_PACKET_BUILDER_H
#define PEERGATE_TEST_PACKET_BUILDER_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct pktbuf {
	uint8_t b[2048];
	size_t n;
};

/* An IPv4 TCP or UDP packet (no options; checksums left zero: the engine
 * does not verify them). */
static inline void ip4(struct pktbuf *p, uint8_t proto, const uint8_t src[4],
		       uint16_t sport, const uint8_t dst[4], uint16_t dport,
		       uint8_t flags, uint32_t seq, const uint8_t *data,
		       size_t len)
{
	size_t l4 = proto == IPPROTO_TCP ? 20 : 8;
	size_t total = 20 + l4 + len;
	memset(p->b, 0, 20 + l4);
	p->b[0] = 0x45;
	p->b[2] = (uint8_t)(total >> 8);
	p->b[3] = (uint8_t)total;
	p->b[8] = 64;
	p->b[9] = proto;
	memcpy(p->b + 12, src, 4);
	memcpy(p->b + 16, dst, 4);
	uint8_t *h = p->b + 20;
	h[0] = (uint8_t)(sport >> 8);
	h[1] = (uint8_t)sport;
	h[2] = (uint8_t)(dport >> 8);
	h[3] = (uint8_t)dport;
	if (proto == IPPROTO_TCP) {
		h[4] = (uint8_t)(seq >> 24);
		h[5] = (uint8_t)(seq >> 16);
		h[6] = (uint8_t)(seq >> 8);
		h[7] = (uint8_t)seq;
		h[12] = 0x50;
		h[13] = flags;
	} else {
		h[4] = (uint8_t)((8 + len) >> 8);
		h[5] = (uint8_t)(8 + len);
	}
	if (len)
		memcpy(p->b + 20 + l4, data, len);
	p->n = total;
}

#endif
