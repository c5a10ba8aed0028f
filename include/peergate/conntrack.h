/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Conntrack netlink: clearing peergate's ct-mark bits of one connection. */
#ifndef PEERGATE_CONNTRACK_H
#define PEERGATE_CONNTRACK_H

#include <stdint.h>

/* Clears the bits of mask in the ct mark of the connection whose original
 * tuple is client -> server (tried as the reply tuple too, for connections
 * seen after NAT).  Other mark bits are kept.  Returns 0, or -1 with errno
 * (ENOENT: no such connection). */
int pg_ct_clear_mark(uint8_t family, uint8_t l4proto, const uint8_t *client,
		     uint16_t client_port, const uint8_t *server,
		     uint16_t server_port, uint32_t mask);

#endif
