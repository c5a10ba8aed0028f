/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "peergate/linklayer.h"

#include "peergate/packet.h"

enum {
	ETHERTYPE_IPV4 = 0x0800,
	ETHERTYPE_IPV6 = 0x86dd,
	ETHERTYPE_VLAN = 0x8100,
	ETHERTYPE_QINQ = 0x88a8,
	ETHERTYPE_PPPOE = 0x8864,
	PPP_IPV4 = 0x0021,
	PPP_IPV6 = 0x0057,
};

bool pg_dlt_supported(int dlt)
{
	switch (dlt) {
	case PG_DLT_NULL:
	case PG_DLT_EN10MB:
	case PG_DLT_RAW:
	case PG_DLT_LOOP:
	case PG_DLT_LINUX_SLL:
	case PG_DLT_IPV4:
	case PG_DLT_IPV6:
	case PG_DLT_LINUX_SLL2:
		return true;
	default:
		return false;
	}
}

static bool ethertype_payload(uint16_t type, const uint8_t *p, size_t len,
			      const uint8_t **ip, size_t *ip_len)
{
	/* Tags and PPPoE sessions nest; a few levels are plenty. */
	for (int depth = 0; depth < 4; depth++) {
		if (type == ETHERTYPE_IPV4 || type == ETHERTYPE_IPV6) {
			*ip = p;
			*ip_len = len;
			return len > 0;
		}
		if (type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ) {
			if (len < 4)
				return false;
			type = pg_be16(p + 2);
			p += 4;
			len -= 4;
		} else if (type == ETHERTYPE_PPPOE) {
			/* 6-byte PPPoE header, then the 2-byte PPP protocol */
			if (len < 8)
				return false;
			uint16_t proto = pg_be16(p + 6);
			if (proto != PPP_IPV4 && proto != PPP_IPV6)
				return false;
			*ip = p + 8;
			*ip_len = len - 8;
			return *ip_len > 0;
		} else {
			return false;
		}
	}
	return false;
}

bool pg_link_to_ip(int dlt, const uint8_t *f, size_t caplen,
		   const uint8_t **ip, size_t *ip_len)
{
	switch (dlt) {
	case PG_DLT_EN10MB:
		if (caplen < 14)
			return false;
		return ethertype_payload(pg_be16(f + 12), f + 14, caplen - 14, ip, ip_len);
	case PG_DLT_LINUX_SLL:
		if (caplen < 16)
			return false;
		return ethertype_payload(pg_be16(f + 14), f + 16, caplen - 16, ip, ip_len);
	case PG_DLT_LINUX_SLL2:
		if (caplen < 20)
			return false;
		return ethertype_payload(pg_be16(f), f + 20, caplen - 20, ip, ip_len);
	case PG_DLT_NULL:
	case PG_DLT_LOOP: {
		if (caplen < 5)
			return false;
		/* The family word's byte order depends on the writer; the IP
		 * version nibble that follows is the reliable tell. */
		uint8_t v = f[4] >> 4;
		if (v != 4 && v != 6)
			return false;
		*ip = f + 4;
		*ip_len = caplen - 4;
		return true;
	}
	case PG_DLT_RAW:
	case PG_DLT_IPV4:
	case PG_DLT_IPV6:
		if (caplen < 1)
			return false;
		*ip = f;
		*ip_len = caplen;
		return true;
	default:
		return false;
	}
}
