/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * WhatsApp chat connections (TCP, usually 443 or 5222; not XMPP despite the
 * port).
 *
 * Current clients open with the edge routing prologue "ED\0\1", a 24-bit
 * length and that many routing bytes, then the Noise prologue "WA" and
 * two version bytes (e.g. "WA\5\2"), then 24-bit-length-framed handshake
 * messages.  Old clients (FunXMPP) open directly with "WA" and the version
 * ("WA\1\5") followed by the same 24-bit framing.  The client may send
 * "ED\0\1" in a packet of its own, so the stream is read across packets.
 * Calls are STUN with WhatsApp's attributes (stun.c); media files are
 * HTTPS to the mmg/media hosts (host patterns).
 */
#include <netinet/in.h>

#include "bytes.h"
#include "detectors.h"

static uint32_t be24(const uint8_t *p)
{
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

/* "WA" + major + minor + the first 24-bit frame length. */
static enum pg_detect_status wa_prologue(const uint8_t *s, size_t n)
{
	if (!pg_prefix_of(s, n, "WA"))
		return PG_DETECT_NO;
	if (n < 7)
		return PG_DETECT_MAYBE;
	uint8_t major = s[2], minor = s[3];
	if (major < 1 || major > 6 || minor > 9)
		return PG_DETECT_NO;
	uint32_t flen = be24(s + 4);
	/* A first handshake frame is a few hundred bytes. */
	if (flen < 1 || flen > 16384)
		return PG_DETECT_NO;
	return PG_DETECT_MATCH;
}

static enum pg_detect_status wa_dir(const uint8_t *s, size_t n)
{
	if (n == 0)
		return PG_DETECT_MAYBE;
	static const uint8_t edge[4] = {'E', 'D', 0, 1};
	if (s[0] == 'E') {
		size_t k = n < 4 ? n : 4;
		if (memcmp(s, edge, k) != 0)
			return PG_DETECT_NO;
		if (n < 7)
			return PG_DETECT_MAYBE;
		uint32_t rlen = be24(s + 4);
		if (rlen > 255)
			return PG_DETECT_NO;
		size_t at = 7 + (size_t)rlen;
		if (n <= at)
			return PG_DETECT_MAYBE;
		return wa_prologue(s + at, n - at);
	}
	return wa_prologue(s, n);
}

static enum pg_detect_status wa_detect(const struct pg_detect_input *in,
				       struct pg_detect_result *out)
{
	/* Only the client opens with a prologue; the server's replies are
	 * bare frames and prove nothing on their own. */
	struct pg_sides sides = pg_sides_of(in);
	/* A server that talks first is not WhatsApp's. */
	if (sides.c2s_len == 0 && sides.s2c_len > 0)
		return PG_DETECT_NO;
	enum pg_detect_status st = wa_dir(sides.c2s, sides.c2s_len);
	if (st == PG_DETECT_MATCH)
		return pg_match(out, PG_SYS_WHATSAPP, PG_FEAT_IM, PG_CONF_STRONG);
	return st;
}

const struct pg_detector pg_detector_whatsapp = {
	.name = "whatsapp",
	.l4_mask = PG_L4_TCP,
	.fn = wa_detect,
};
