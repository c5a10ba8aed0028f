/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Expected flows: peer connections that a control flow announced (an AIM
 * rendezvous, an MSN invitation, an IRC DCC offer ...).  Bounded, with a
 * fixed lifetime; a flow to an announced addr:port is classified on its
 * first packet.
 */
#ifndef PEERGATE_EXPECT_H
#define PEERGATE_EXPECT_H

#include <stdbool.h>
#include <stdint.h>

#include "peergate/taxonomy.h"

/* A peer connection that a control flow announced (AIM rendezvous, MSN
 * invitation, IRC DCC ...): the flow to addr:port is classified on its first
 * packet with method `correlation`. */
struct pg_expectation {
	uint8_t family;           /* 0 = none */
	uint8_t addr[16];
	uint16_t port;
	enum pg_system system;
	enum pg_feature feature;
};

struct pg_expect_table;

struct pg_expect_table *pg_expect_create(uint32_t max_entries, uint32_t lifetime_s);
void pg_expect_destroy(struct pg_expect_table *t);

void pg_expect_add(struct pg_expect_table *t, const struct pg_expectation *e,
		   uint32_t now_s);

/* Finds (and keeps) an unexpired expectation for addr:port. */
bool pg_expect_match(const struct pg_expect_table *t, uint8_t family,
		     const uint8_t *addr, uint16_t port, uint32_t now_s,
		     struct pg_expectation *out);

#endif
