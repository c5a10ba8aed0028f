/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The eMule peers an eD2k server names: the sources of its OP_FOUNDSOURCES
 * (0x42) and OP_FOUNDSOURCES_OBFU (0x44) answers, with the address and
 * port each client accepts peers on.  eMule's obfuscated client traffic
 * has no plaintext and, off eMule's ports, no shape of its own (its
 * paddings overlap BitTorrent MSE's), but a client only ever connects to
 * sources a server (or Kad) named, so the server connection names the
 * peers the obfuscated flows go to.  A pure parser, as btpeers.h.
 */
#ifndef PEERGATE_ED2KPEERS_H
#define PEERGATE_ED2KPEERS_H

#include <stddef.h>
#include <stdint.h>

#include "peergate/btpeers.h"

/* Reads the bytes of the server-to-client side of an eD2k server
 * connection: whole eD2k frames from the first byte (frames that run past
 * n are read as far as their sources are complete).  Each high-ID source
 * (a low ID is a firewalled client, not an address) goes to cb as an IPv4
 * peer with feature download.  Returns the number of peers handed to cb. */
size_t pg_ed2kpeers_server(const uint8_t *p, size_t n, pg_btpeer_cb cb, void *ctx);

#endif
