/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The BitTorrent peers a swarm's own traffic names: the `values` (peers)
 * and `nodes`/`nodes6` (DHT nodes) of a DHT answer (BEP 5), the compact
 * `peers`/`peers6` of an HTTP tracker's answer (BEP 23, BEP 7), the peer
 * list of a UDP tracker's announce answer (BEP 15), the `added`/`added6`
 * of a PEX message (ut_pex, BEP 11), and the port of an LSD announce
 * (BEP 14).  Pure parsers: each found peer is handed to a callback, so
 * that the engine can expect flows to it.
 */
#ifndef PEERGATE_BTPEERS_H
#define PEERGATE_BTPEERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "peergate/taxonomy.h"

/* One peer: family 4 or 6, addr (4 or 16 bytes), port; feature download
 * for a peer that serves pieces, network for a DHT node. */
typedef void (*pg_btpeer_cb)(void *ctx, uint8_t family, const uint8_t *addr,
			     uint16_t port, enum pg_feature feature);

/* Reads one UDP datagram of a BitTorrent network flow: a KRPC answer (its
 * `r` dictionary's values, nodes, nodes6) or a UDP tracker's announce
 * answer (action 1; its peers are IPv6 when family is 6).  Returns the
 * number of peers handed to cb. */
size_t pg_btpeers_udp(const uint8_t *p, size_t n, uint8_t family, pg_btpeer_cb cb,
		      void *ctx);

/* Reads the bytes of a TCP BitTorrent flow: an HTTP tracker's answer
 * (headers, then a bencoded dictionary with peers / peers6), or a
 * bencoded body on its own (the headers came in an earlier segment), or
 * peer-wire messages (after the 68-byte handshake when it is there) among
 * which a BEP 10 extended message carries ut_pex `added` / `added6`. */
size_t pg_btpeers_tcp(const uint8_t *p, size_t n, pg_btpeer_cb cb, void *ctx);

/* An LSD announce ("BT-SEARCH * HTTP/1.1" with Port and Infohash): the
 * port its sender accepts peers on; 0 when p is none. */
uint16_t pg_btpeers_lsd_port(const uint8_t *p, size_t n);

#endif
