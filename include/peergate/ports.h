/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The port table: every port the source paper gives per system and feature,
 * and the well-known ports of the later systems.  A port is a low-confidence
 * hint that a payload match overrides, and (for `block` entries) a
 * kernel-side port block when the policy blocks that feature.
 */
#ifndef PEERGATE_PORTS_H
#define PEERGATE_PORTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "peergate/taxonomy.h"

struct pg_port_rule {
	enum pg_system system;
	enum pg_feature feature;
	uint8_t l4proto;          /* IPPROTO_TCP or IPPROTO_UDP */
	uint16_t lo, hi;          /* inclusive range */
	bool hint;                /* used as a classification hint */
	bool block;               /* a kernel port block when the feature is blocked */
	const char *source;       /* where the port comes from */
};

extern const struct pg_port_rule pg_port_rules[];
extern const size_t pg_port_rule_count;

/* The hint for a server port, or false. */
bool pg_port_hint(uint8_t l4proto, uint16_t port, enum pg_system *sys,
		  enum pg_feature *feat);

#endif
