/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Link-layer framing of captured packets, down to the IP header. */
#ifndef PEERGATE_LINKLAYER_H
#define PEERGATE_LINKLAYER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* libpcap DLT_* values, repeated here so the core needs no libpcap. */
enum pg_dlt {
	PG_DLT_NULL = 0,          /* BSD loopback, host-order family */
	PG_DLT_EN10MB = 1,        /* Ethernet, with 802.1Q/802.1ad tags, PPPoE */
	PG_DLT_RAW = 12,          /* raw IP */
	PG_DLT_LOOP = 108,        /* OpenBSD loopback, network-order family */
	PG_DLT_LINUX_SLL = 113,   /* Linux cooked v1 */
	PG_DLT_IPV4 = 228,
	PG_DLT_IPV6 = 229,
	PG_DLT_LINUX_SLL2 = 276,  /* Linux cooked v2 */
};

bool pg_dlt_supported(int dlt);

/* Points *ip at the IP header inside frame; returns false when the frame is
 * not IPv4/IPv6 or too short. */
bool pg_link_to_ip(int dlt, const uint8_t *frame, size_t caplen,
		   const uint8_t **ip, size_t *ip_len);

#endif
