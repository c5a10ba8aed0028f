/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * For the peer-list parsers' tests (btpeers.h, ed2kpeers.h): a callback
 * that keeps the first eight peers it is handed, and a check of one.
 */
#ifndef PEERGATE_TEST_PEER_SINK_H
#define PEERGATE_TEST_PEER_SINK_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "peergate/taxonomy.h"

struct seen {
	unsigned n;
	uint8_t family[8];
	uint8_t addr[8][16];
	uint16_t port[8];
	enum pg_feature feat[8];
};

static inline void collect(void *ctx, uint8_t family, const uint8_t *addr, uint16_t port,
			   enum pg_feature feat)
{
	struct seen *s = ctx;
	if (s->n >= 8)
		return;
	s->family[s->n] = family;
	memcpy(s->addr[s->n], addr, family == 6 ? 16 : 4);
	s->port[s->n] = port;
	s->feat[s->n] = feat;
	s->n++;
}

/* Peer i is IPv4 a.b.c.d:port with feature feat. */
static inline bool has4(const struct seen *s, unsigned i, uint8_t a, uint8_t b, uint8_t c,
			uint8_t d, uint16_t port, enum pg_feature feat)
{
	const uint8_t want[4] = {a, b, c, d};
	return i < s->n && s->family[i] == 4 && memcmp(s->addr[i], want, 4) == 0 &&
	       s->port[i] == port && s->feat[i] == feat;
}

#endif
