/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The bridge from a policy's [engine] settings to the engine's
 * configuration, so that the daemon and offline classification run the
 * engine alike.
 */
#ifndef PEERGATE_ENGINE_POLICY_H
#define PEERGATE_ENGINE_POLICY_H

#include "peergate/engine.h"
#include "peergate/policy.h"

/* Sets cfg to the engine defaults with every setting the policy holds
 * (a NULL policy gives the default policy's).  What only a caller knows
 * (record_hosts, on_flow_end, cb_ctx) stays at its default. */
void pg_engine_config_from_policy(const struct pg_policy *p, struct pg_engine_config *cfg);

/* The systems (bit 1 << enum pg_system) whose heuristics the policy turns
 * off (`heuristics = off`): pg_engine_config.heuristics_off, and what a
 * reload hands a running engine (pg_engine_set_heuristics_off). */
uint64_t pg_engine_heuristics_off(const struct pg_policy *p);

/* The inspection slots the settings give: inspect-slots, or when that is
 * unset one per 16 flows of max-flows, from 64 (or max-flows when smaller)
 * to 4096. */
uint32_t pg_engine_inspect_slots(const struct pg_engine_settings *s);

#endif
