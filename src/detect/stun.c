/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * STUN / TURN (RFC 5389/8489, RFC 8656, classic RFC 3489) and the
 * messengers that can be told from their STUN attributes.
 *
 * A message is a 20-byte header (type with the two top bits clear, a body
 * length that is a multiple of 4, the magic cookie 0x2112A442 since RFC
 * 5389, a 96-bit transaction id) and attributes that must tile the body
 * exactly; over UDP the datagram holds exactly one message.  (With the
 * cookie present, attributes without RFC 5389's padding are accepted too:
 * Microsoft's TURN and WhatsApp's relays send them.)
 *
 * Attribution (each STRONG, feature `voice-video`):
 *  - attributes 0x4000..0x4007: WhatsApp calls (Meta's relays answer in
 *    kind);
 *  - REALM naming signal.org / whispersystems.org, telegram, whatsapp;
 *  - Microsoft's attributes: the MS-TURN magic cookie attribute (0x000F,
 *    value 72 C6 4B C6) and the multiplexed-TURN / service-quality family
 *    (0x8036, 0x8037, 0x8055, 0x8095) mark Teams media; the MS-ICE2
 *    attributes alone (candidate identifier 0x8054, implementation version
 *    0x8070, and 0x8006/0x8008/0x24DF/0x3802) mark Skype.  Consumer Skype
 *    runs on Teams infrastructure, so this split is a heuristic taken from
 *    what each client sends in the corpus captures.
 * Plain STUN with no such marker is the ordinary protocol `stun` (not
 * policed), reported WEAK, and only once an answer (or a repeated request)
 * has had the chance to carry a marker: see stun_result().
 */
#include <netinet/in.h>

#include "peergate/packet.h"

#include "bytes.h"
#include "detectors.h"

enum { STUN_COOKIE = 0x2112A442u, STUN_HDR = 20 };

struct stun_info {
	bool cookie;
	bool request;         /* message class "request" */
	enum pg_system app;   /* PG_SYS_STUN when nothing more specific */
};

static bool stun_realm_has(const uint8_t *v, size_t n, const char *s)
{
	return pg_find_ci(v, n, s, NULL);
}

/* Walks the attributes of a message of `total` bytes; they must tile the
 * body exactly.  RFC 5389 pads every value to 4 bytes; Microsoft's TURN
 * (MS-TURN, from the pre-RFC drafts) and WhatsApp's relays do not, so a
 * message with the cookie may also tile unpadded.  Sets *app to the
 * application its attributes mark, PG_SYS_STUN for none. */
static bool stun_attributes(const uint8_t *p, size_t total, bool cookie,
			    bool pad, enum pg_system *app)
{
	bool teams = false, skype = false, whatsapp = false;
	enum pg_system realm_app = PG_SYS_UNKNOWN;
	unsigned attrs = 0;
	size_t off = STUN_HDR;

	while (off < total) {
		if (total - off < 4)
			return false;
		uint16_t at = pg_be16(p + off);
		size_t al = pg_be16(p + off + 2);
		size_t step = pad ? (al + 3) & ~(size_t)3 : al;
		if (step > total - off - 4)
			return false;
		const uint8_t *v = p + off + 4;
		/* RFC 3489 knew attribute types up to 0x0011 and the
		 * comprehension-optional range; anything else in a message
		 * without the cookie is not STUN. */
		if (!cookie && at > 0x0030 && at < 0x8000)
			return false;
		if (at >= 0x4000 && at <= 0x4007) {
			whatsapp = true;
		} else if (at == 0x0014) { /* REALM */
			if (stun_realm_has(v, al, "signal.org") ||
			    stun_realm_has(v, al, "whispersystems.org"))
				realm_app = PG_SYS_SIGNAL;
			else if (stun_realm_has(v, al, "telegram"))
				realm_app = PG_SYS_TELEGRAM;
			else if (stun_realm_has(v, al, "whatsapp"))
				realm_app = PG_SYS_WHATSAPP;
		} else if (at == 0x000F) { /* MS-TURN magic cookie attribute */
			if (al == 4 && pg_be32(v) == 0x72C64BC6u)
				teams = true;
		} else if (at == 0x8036 || at == 0x8037 || at == 0x8055 ||
			   at == 0x8095) {
			teams = true;
		} else if (at == 0x8054 || at == 0x8070 || at == 0x8006 ||
			   at == 0x8008 || at == 0x24DF || at == 0x3802) {
			skype = true;
		}
		attrs++;
		off += 4 + step;
	}
	if (!cookie && attrs == 0 && total != STUN_HDR)
		return false;
	if (whatsapp)
		*app = PG_SYS_WHATSAPP;
	else if (realm_app != PG_SYS_UNKNOWN)
		*app = realm_app;
	else if (teams)
		*app = PG_SYS_TEAMS;
	else if (skype)
		*app = PG_SYS_SKYPE;
	else
		*app = PG_SYS_STUN;
	return true;
}

/* Validates one message of exactly `total` bytes at p and collects the
 * application markers of its attributes. */
static bool stun_message(const uint8_t *p, size_t total, struct stun_info *si)
{
	si->cookie = pg_be32(p + 4) == STUN_COOKIE;
	uint16_t type = pg_be16(p);
	si->request = (type & 0x0110) == 0; /* class bits C1 C0 both clear */
	if (!si->cookie) {
		/* Classic STUN: only its binding and shared-secret messages. */
		switch (type) {
		case 0x0001: case 0x0101: case 0x0111:
		case 0x0002: case 0x0102: case 0x0112:
			break;
		default:
			return false;
		}
		return stun_attributes(p, total, false, true, &si->app);
	}
	return stun_attributes(p, total, true, true, &si->app) ||
	       stun_attributes(p, total, true, false, &si->app);
}

/* Header checks; returns the message's total length or 0.  The body
 * length is a multiple of 4 by the RFCs, but deployed servers (WhatsApp,
 * Microsoft) send unpadded attributes: with the magic cookie present the
 * attribute walk judges the length instead. */
static size_t stun_header(const uint8_t *p, size_t n)
{
	if (n < STUN_HDR || (p[0] & 0xC0) != 0)
		return 0;
	size_t body = pg_be16(p + 2);
	if (body % 4 != 0 && pg_be32(p + 4) != STUN_COOKIE)
		return 0;
	return STUN_HDR + body;
}

/* A message without an application marker: the engine stops asking a
 * detector once it has named an ordinary protocol, so an unmarked request
 * waits for its answer (a TURN 401 carries the REALM, the relays of
 * WhatsApp and Microsoft answer with their own attributes) before the flow
 * is called plain STUN.  A request repeated without answer is plain STUN
 * too. */
static enum pg_detect_status stun_result(const struct pg_detect_input *in,
					 const struct stun_info *si,
					 struct pg_detect_result *out)
{
	if (si->app != PG_SYS_STUN)
		return pg_match(out, si->app, PG_FEAT_VOICE_VIDEO, PG_CONF_STRONG);
	if (si->request && in->index < 2 && in->other_len == 0)
		return PG_DETECT_MAYBE;
	return pg_match(out, PG_SYS_STUN, PG_FEAT_ANY,
			si->cookie ? PG_CONF_WEAK : PG_CONF_WEAK - 10);
}

static enum pg_detect_status stun_detect(const struct pg_detect_input *in,
					 struct pg_detect_result *out)
{
	struct stun_info si;

	if (pg_is_tcp(in)) {
		/* TURN over TCP: back-to-back messages from the first byte. */
		const uint8_t *s = in->stream;
		size_t n = in->stream_len;
		if (n == 0)
			return PG_DETECT_MAYBE;
		if (n < STUN_HDR) {
			static const uint8_t cookie[4] = {0x21, 0x12, 0xA4, 0x42};
			size_t k = n > 8 ? 4 : n > 4 ? n - 4 : 0;
			if ((s[0] & 0xC0) != 0 || memcmp(s + 4, cookie, k) != 0)
				return PG_DETECT_NO;
			return PG_DETECT_MAYBE;
		}
		size_t total = stun_header(s, n);
		if (total == 0)
			return PG_DETECT_NO;
		if (pg_be32(s + 4) != STUN_COOKIE)
			return PG_DETECT_NO; /* classic STUN never ran over TCP */
		if (total > n)
			return total <= 4096 ? PG_DETECT_MAYBE : PG_DETECT_NO;
		if (!stun_message(s, total, &si))
			return PG_DETECT_NO;
		return stun_result(in, &si, out);
	}

	const uint8_t *p = in->payload;
	size_t n = in->payload_len;
	size_t total = stun_header(p, n);
	if (total != 0 && total == n && stun_message(p, total, &si))
		return stun_result(in, &si, out);
	/* Not STUN.  On the flow's very first datagram that rules STUN out;
	 * later, media (RTP, DTLS) follows the connectivity checks on the same
	 * ports, so stay in play for the STUN messages still to come. */
	if (in->index == 0 && in->other_len == 0)
		return PG_DETECT_NO;
	return PG_DETECT_MAYBE;
}

const struct pg_detector pg_detector_stun = {
	.name = "stun",
	.l4_mask = PG_L4_UDP | PG_L4_TCP,
	.fn = stun_detect,
};
