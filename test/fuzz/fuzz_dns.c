/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target for the DNS wire parsers: pg_dns_parse_response, the
 * structural check under every flag combination, and the name reader at
 * every offset of small inputs.
 */
#include <stdint.h>
#include <string.h>

#include "peergate/dns.h"
#include "peergate/dns_wire.h"

static void sink(void *ctx, uint8_t family, const uint8_t *addr,
		 const char *name, uint32_t ttl)
{
	volatile unsigned *acc = ctx;
	/* Touch everything handed out, so a bad pointer shows under ASan. */
	for (size_t i = 0; i < (family == 4 ? 4u : 16u); i++)
		*acc += addr[i];
	*acc += (unsigned)strlen(name) + ttl;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	volatile unsigned acc = 0;
	char name[PG_DNS_NAME_MAX];
	bool resp;

	(void)pg_dns_parse_response(data, size, sink, (void *)&acc);
	for (unsigned f = 0; f < 8; f++)
		(void)pg_dns_message_ok(data, size, f, &resp);
	for (size_t off = 0; off < size && off < 64; off++) {
		if (pg_dns_read_name(data, size, off, name, sizeof(name), off & 1))
			acc += (unsigned)strlen(name);
	}
	return 0;
}
