/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "keys.h"

#include <string.h>

uint32_t pgnft_flow_key_type(bool v6)
{
	const uint32_t a = v6 ? PG_NFT_TYPE_IP6ADDR : PG_NFT_TYPE_IPADDR;
	const uint32_t fields[] = {
		a, PG_NFT_TYPE_INET_PROTO, PG_NFT_TYPE_INET_SERVICE, a,
		PG_NFT_TYPE_INET_SERVICE,
	};
	uint32_t t = 0;

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		t = t << PG_NFT_TYPE_BITS | fields[i];
	return t;
}

uint32_t pgnft_flow_key(uint8_t key[PG_NFT_FLOW_KEY_MAX], size_t alen,
			uint8_t l4proto, const uint8_t *src, uint16_t sport,
			const uint8_t *dst, uint16_t dport)
{
	uint8_t *p = key;

	memset(key, 0, PG_NFT_FLOW_KEY_MAX);
	memcpy(p, src, alen);
	p += alen;
	p[0] = l4proto;
	p += 4;
	p[0] = (uint8_t)(sport >> 8);
	p[1] = (uint8_t)sport;
	p += 4;
	memcpy(p, dst, alen);
	p += alen;
	p[0] = (uint8_t)(dport >> 8);
	p[1] = (uint8_t)dport;
	return PG_NFT_FLOW_KEY_LEN((uint32_t)alen);
}
