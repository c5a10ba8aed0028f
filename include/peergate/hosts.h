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

/* Adds the built-in host list (the paper's hosts and signatures.md). */
bool pg_host_rules_add_defaults(struct pg_host_rules *r);

/* Matches a name (not NUL-terminated; a trailing dot and a ":port" suffix
 * are ignored).  The most specific (longest) matching pattern wins. */
bool pg_host_rules_match(const struct pg_host_rules *r, const char *name,
			 size_t len, enum pg_system *sys, enum pg_feature *feat);

struct pg_policy;

/* The defaults plus the policy's `hosts = ...` patterns (policy may be
 * NULL).  Returns NULL on allocation failure. */
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
