/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Host classification: name patterns per system and feature, and a bounded
 * cache of DNS answers that maps server addresses back to the names that
 * matched a pattern.
 */
#ifndef PEERGATE_HOSTS_H
#define PEERGATE_HOSTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "peergate/policy.h"
#include "peergate/taxonomy.h"

struct pg_host_rules;

struct pg_host_rules *pg_host_rules_create(void);
void pg_host_rules_destroy(struct pg_host_rules *r);

/* Adds a pattern.  Patterns are case-insensitive; `*` matches one or more
 * characters within a label sequence ("*.msgr.hotmail.com" matches
 * "bay.msgr.hotmail.com" but not "msgr.hotmail.com").  A pattern without `*`
 * matches that name and every name below it ("signal.org" matches
 * "chat.signal.org").  Returns false on an invalid pattern. */
bool pg_host_rules_add(struct pg_host_rules *r, const char *pattern,
		       enum pg_system sys, enum pg_feature feat);

/* An address range of a system's feature (a data file's `ranges`); a
 * prefix given twice keeps its first class.  False on an invalid prefix or
 * when out of memory. */
bool pg_host_rules_add_range(struct pg_host_rules *r, const struct pg_prefix *p,
			     enum pg_system sys, enum pg_feature feat);

/* The class of the longest range holding addr (4 or 16 bytes, per
 * family); false when none does. */
bool pg_host_rules_match_addr(const struct pg_host_rules *r, uint8_t family,
			      const uint8_t *addr, enum pg_system *sys,
			      enum pg_feature *feat);

/* Server ports of a system's feature (a data file's `tcp`/`udp`): a
 * classification hint, as the built-in port table's (ports.h). */
bool pg_host_rules_add_ports(struct pg_host_rules *r, uint8_t l4proto,
			     uint16_t lo, uint16_t hi, enum pg_system sys,
			     enum pg_feature feat);
bool pg_host_rules_port_hint(const struct pg_host_rules *r, uint8_t l4proto,
			     uint16_t port, enum pg_system *sys,
			     enum pg_feature *feat);

/* Matches a name (not NUL-terminated; a trailing dot and a ":port" suffix
 * are ignored).  The most specific (longest) matching pattern wins. */
bool pg_host_rules_match(const struct pg_host_rules *r, const char *name,
			 size_t len, enum pg_system *sys, enum pg_feature *feat);

struct pg_policy;

/* The signals of the policy's systems registry (the data files: hosts,
 * ranges, ports) plus the policy's `hosts = ...` patterns (policy may be
 * NULL: no rules).  Returns NULL on allocation failure. */
struct pg_host_rules *pg_host_rules_for_policy(const struct pg_policy *p);

/* Thread-safe: one cache may serve several engines at once (the daemon's
 * workers share one, see pg_engine_config.dns_cache). */
struct pg_dns_cache;

struct pg_dns_cache *pg_dns_cache_create(uint32_t max_entries);
void pg_dns_cache_destroy(struct pg_dns_cache *c);

/* Remembers that addr answered for name until now_s + ttl_s (the TTL is
 * clamped to [60, 86400] s).  When full, the entry closest to expiry goes. */
void pg_dns_cache_learn(struct pg_dns_cache *c, uint8_t family,
			const uint8_t *addr, const char *name, size_t name_len,
			uint32_t ttl_s, uint32_t now_s);

/* Copies the name learnt for addr into name (NUL-terminated); false when
 * unknown or expired. */
bool pg_dns_cache_lookup(struct pg_dns_cache *c, uint8_t family,
			 const uint8_t *addr, uint32_t now_s, char *name,
			 size_t name_size);

uint32_t pg_dns_cache_size(struct pg_dns_cache *c);

#endif
