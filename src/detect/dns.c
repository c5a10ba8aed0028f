/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * DNS (RFC 1035), mDNS (RFC 6762) and LLMNR (RFC 4795).  On the DNS ports
 * the structure check alone decides; on any other port a message must parse
 * completely, with host-name labels, to earn even a weak match, because a
 * few random bytes can pass a DNS header check.  The answers themselves are
 * learnt by the engine through pg_dns_parse_response(), not here.
 */
#include "peergate/detect.h"
#include "peergate/dns_wire.h"

#include <netinet/in.h>

#include "bytes.h"
#include "detectors.h"

#define PORT_DNS 53
#define PORT_MDNS 5353
#define PORT_LLMNR 5355
/* On port 53, a long TCP message is judged on its first bytes. */
#define TCP_PARTIAL_CHECK 512
/* Longest TCP message worth waiting for on another port. */
#define TCP_MAX_OFF_PORT 1024

static bool either_port(const struct pg_detect_input *in, uint16_t port)
{
	return in->server_port == port || in->client_port == port;
}

static enum pg_detect_status judge(const struct pg_detect_input *in,
				   const uint8_t *msg, size_t len, bool partial,
				   struct pg_detect_result *out)
{
	bool resp;
	if (either_port(in, PORT_DNS)) {
		if (!pg_dns_message_ok(msg, len,
				       partial ? PG_DNS_CHECK_PARTIAL : 0, &resp))
			return PG_DETECT_NO;
		return pg_match(out, PG_SYS_DNS, PG_FEAT_ANY, PG_CONF_STRONG);
	}
	if (in->l4proto == IPPROTO_UDP &&
	    (either_port(in, PORT_MDNS) || either_port(in, PORT_LLMNR))) {
		if (!pg_dns_message_ok(msg, len, PG_DNS_CHECK_MDNS, &resp))
			return PG_DETECT_NO;
		return pg_match(out, PG_SYS_DNS, PG_FEAT_ANY, PG_CONF_DECIDE);
	}
	if (partial || !pg_dns_message_ok(msg, len, PG_DNS_CHECK_HOSTNAMES, &resp))
		return PG_DETECT_NO;
	return pg_match(out, PG_SYS_DNS, PG_FEAT_ANY, PG_CONF_WEAK);
}

static enum pg_detect_status dns_detect(const struct pg_detect_input *in,
					struct pg_detect_result *out)
{
	if (in->l4proto == IPPROTO_UDP) {
		/* Each datagram is one message. */
		return judge(in, in->payload, in->payload_len, false, out);
	}

	/* TCP (RFC 1035 §4.2.2): a two-byte length, then the message.  Judge
	 * the client's side; a capture that missed it may still show the
	 * server's. */
	struct pg_sides s = pg_sides_of(in);
	const uint8_t *st = s.c2s_len > 0 ? s.c2s : s.s2c;
	size_t n = s.c2s_len > 0 ? s.c2s_len : s.s2c_len;
	if (n < 2)
		return PG_DETECT_MAYBE;
	size_t mlen = (size_t)st[0] << 8 | st[1];
	if (mlen < 12)
		return PG_DETECT_NO;
	if (n - 2 >= mlen)
		return judge(in, st + 2, mlen, false, out);
	bool port53 = either_port(in, PORT_DNS);
	/* Off port 53 only small, complete messages are judged: a length
	 * prefix that promises more is most likely some other protocol. */
	if (!port53 && mlen > TCP_MAX_OFF_PORT)
		return PG_DETECT_NO;
	bool resp;
	if (n - 2 >= 12 &&
	    !pg_dns_message_ok(st + 2, 12, PG_DNS_CHECK_PARTIAL, &resp))
		return PG_DETECT_NO;
	if (port53 && n - 2 >= TCP_PARTIAL_CHECK)
		return judge(in, st + 2, n - 2, true, out);
	return PG_DETECT_MAYBE;
}

const struct pg_detector pg_detector_dns = {
	.name = "dns",
	.l4_mask = PG_L4_TCP | PG_L4_UDP,
	.fn = dns_detect,
};
