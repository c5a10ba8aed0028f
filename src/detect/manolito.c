/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Manolito (MP2P), the network of Blubster, Piolet and RockItNet.
 *
 * Searches, pings and their answers travel over UDP (the clients' port is
 * 41170); transfers run over TCP, obfuscated, and are not read here.  A
 * datagram starts with the header Wireshark's MANOLITO dissector names
 * (checksum, sequence number, forwarded and destination IPv4 addresses,
 * 24 bits of options); the rest is as every datagram of
 * shared/corpus/manolito/ws_Manolito2.cap (Piolet 1.0.5, Blubster 2.5,
 * RockItNet 1.0) has it:
 *    0  checksum    32 bits, of which the upper two bytes are zero
 *    4  sequence    32 bits
 *    8  forwarded   IPv4 address of the sender, or zero
 *   12  destination IPv4 address of the receiver
 *   16  options     3 bytes; a fourth byte, present from 20 bytes on,
 *                   counts the bytes of the fields that follow
 *   20  fields      a two-letter upper-case name ("CN" client name, "CV"
 *                   version, "FN" file name ...), a type (0 number,
 *                   1 string), a length and the value
 * The destination (or, when set, the forwarded address) is the address
 * the IP header of the datagram carries, which no other protocol writes at
 * these offsets with the zero bytes around it.  A datagram whose fields
 * tile its length exactly is certain; a bare ping (19 or 20 bytes) decides.
 * Behind NAT an answer names the public address, which the gateway does
 * not see: the other direction's datagrams still name the peer.
 *
 * Feature: `network` (searches, pings, client announcements).
 */
#include <netinet/in.h>

#include "peergate/packet.h"

#include "bytes.h"
#include "detectors.h"

enum {
	MANO_PING_SHORT = 19,   /* three option bytes, no fields */
	MANO_HDR = 20,          /* four option bytes */
	MANO_FIELD_HDR = 4,     /* name (2), type, length */
};

static bool mano_addr_is(const uint8_t *field, const uint8_t *addr)
{
	return addr && memcmp(field, addr, 4) == 0;
}

static bool mano_addr_zero(const uint8_t *field)
{
	return pg_be32(field) == 0;
}

/* The fields f[0..n) tile exactly; at least one. */
static bool mano_fields(const uint8_t *f, size_t n)
{
	size_t i = 0;
	if (n == 0)
		return false;
	while (i < n) {
		if (n - i < MANO_FIELD_HDR)
			return false;
		if (f[i] < 'A' || f[i] > 'Z' || f[i + 1] < 'A' || f[i + 1] > 'Z')
			return false;
		if (f[i + 2] > 1)
			return false;
		size_t vlen = f[i + 3];
		if (vlen > n - i - MANO_FIELD_HDR)
			return false;
		i += MANO_FIELD_HDR + vlen;
	}
	return true;
}

static enum pg_detect_status mano_detect(const struct pg_detect_input *in,
					 struct pg_detect_result *out)
{
	const uint8_t *p = in->payload;
	size_t n = in->payload_len;

	if (in->family != 4 || n < MANO_PING_SHORT || p[2] != 0 || p[3] != 0)
		return PG_DETECT_NO;
	bool c2s = in->dir == PG_DIR_C2S;
	const uint8_t *src = c2s ? in->client_addr : in->server_addr;
	const uint8_t *dst = c2s ? in->server_addr : in->client_addr;
	bool addressed = mano_addr_is(p + 12, dst) ||
			 (!mano_addr_zero(p + 8) && mano_addr_is(p + 8, src));
	if (!addressed)
		return PG_DETECT_NO;
	if (n == MANO_PING_SHORT)
		return pg_match(out, PG_SYS_MANOLITO, PG_FEAT_NETWORK, PG_CONF_DECIDE);
	if (p[19] != n - MANO_HDR)
		return PG_DETECT_NO;
	if (n == MANO_HDR)
		return pg_match(out, PG_SYS_MANOLITO, PG_FEAT_NETWORK, PG_CONF_DECIDE);
	if (!mano_fields(p + MANO_HDR, n - MANO_HDR))
		return PG_DETECT_NO;
	return pg_match(out, PG_SYS_MANOLITO, PG_FEAT_NETWORK, PG_CONF_STRONG);
}

const struct pg_detector pg_detector_manolito = {
	.name = "manolito",
	.l4_mask = PG_L4_UDP,
	.fn = mano_detect,
};
