/* SPDX-License-Identifier: GPL-2.0-or-later */
/* DNS response parsing for host learning.  Pure function over bytes. */
#ifndef PEERGATE_DNS_H
#define PEERGATE_DNS_H

#include <stddef.h>
#include <stdint.h>

/* name is the question's name (CNAME chains followed back to it), dotted,
 * lower-case, NUL-terminated; addr is 4 or 16 bytes per family. */
typedef void (*pg_dns_answer_cb)(void *ctx, uint8_t family, const uint8_t *addr,
				 const char *name, uint32_t ttl_s);

/* Parses one DNS response message (a UDP payload, or a TCP payload after its
 * 2-byte length prefix) and calls cb for every A and AAAA answer.  Returns
 * the number of answers reported, or -1 when the message is not a
 * well-formed response.  Compression pointers are followed with a hop
 * limit; every length is checked. */
int pg_dns_parse_response(const uint8_t *msg, size_t len, pg_dns_answer_cb cb,
			  void *ctx);

#endif
