/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tencent QQ (OICQ), the classic client-server protocol.
 *
 * Every packet is framed the same way (LumaQQ's and libeva's protocol
 * notes; Wireshark's OICQ dissector):
 *   0x02                 start tag
 *   version   (2, BE)    the client build
 *   command   (2, BE)    logout 0x0001, keep-alive 0x0002, send IM 0x0016,
 *                        login 0x0022, request login token 0x0062 ...: all
 *                        below 0x0100 in this protocol generation
 *   sequence  (2, BE)    chosen by the sender, echoed by the answer
 *   QQ number (4, BE)    the user's number (from 10000 up), client side
 *   body                 TEA-encrypted: whole 8-byte blocks
 *   0x03                 end tag
 * Over TCP a 16-bit big-endian length (the whole packet, itself included)
 * comes first; over UDP the datagram is the packet.  Servers listen on UDP
 * 8000 (and TCP 8000, 80, 443).
 *
 * A client packet whose tags, version, command range, QQ number and
 * block-aligned body all agree (over TCP its length field as well) is a
 * decision on any port, as clients move off 8000 to get around port
 * blocks; an answer that echoes its command and sequence makes it
 * certain.  Everything is `im`: the
 * commands of one session mix sign-on, presence and messages.
 */
#include <netinet/in.h>

#include "peergate/packet.h"

#include "bytes.h"
#include "detectors.h"

enum {
	QQ_TAG_START = 0x02,
	QQ_TAG_END = 0x03,
	QQ_HDR_SERVER = 7,         /* tag, version, command, sequence */
	QQ_HDR_CLIENT = 11,        /* ... and the QQ number */
	QQ_TEA_BLOCK = 8,
	QQ_MIN_NUMBER = 10000,
	QQ_CMD_LOGIN_TOKEN = 0x0062, /* its body is not encrypted */
	QQ_MAX_PACKET = 4096,
};

struct qq_packet {
	uint16_t version, command, sequence;
};

/* The fields every packet shares, with its tags. */
static bool qq_common(const uint8_t *p, size_t n, struct qq_packet *q)
{
	if (n < QQ_HDR_SERVER + 1 || p[0] != QQ_TAG_START || p[n - 1] != QQ_TAG_END)
		return false;
	q->version = pg_be16(p + 1);
	q->command = pg_be16(p + 3);
	q->sequence = pg_be16(p + 5);
	return q->version != 0 && q->command != 0 && q->command < 0x100;
}

/* A packet the client sent: its QQ number and a body of whole TEA blocks
 * (the login-token request excepted). */
static bool qq_client_packet(const uint8_t *p, size_t n, struct qq_packet *q)
{
	if (n < QQ_HDR_CLIENT + 1 || !qq_common(p, n, q))
		return false;
	if (pg_be32(p + 7) < QQ_MIN_NUMBER)
		return false;
	size_t body = n - QQ_HDR_CLIENT - 1;
	if (q->command == QQ_CMD_LOGIN_TOKEN)
		return true;
	return body >= QQ_TEA_BLOCK && body % QQ_TEA_BLOCK == 0;
}

/* A packet the server sent: with or without the QQ number, its body whole
 * blocks either way. */
static bool qq_server_packet(const uint8_t *p, size_t n, struct qq_packet *q)
{
	if (!qq_common(p, n, q))
		return false;
	return n >= QQ_HDR_SERVER + 1 + QQ_TEA_BLOCK && n % 4 == 0;
}

/* The answer belongs to the request: same command and sequence. */
static bool qq_answers(const struct qq_packet *req, const struct qq_packet *ans)
{
	return req->command == ans->command && req->sequence == ans->sequence;
}

/* The first TCP packet of one side: length field, then a packet.  MAYBE
 * while it is incomplete. */
static enum pg_detect_status qq_tcp_first(const uint8_t *s, size_t n,
					  bool client, struct qq_packet *q)
{
	if (n < 2)
		return PG_DETECT_MAYBE;
	size_t total = pg_be16(s);
	if (total < 2 + QQ_HDR_SERVER + 1 || total > QQ_MAX_PACKET)
		return PG_DETECT_NO;
	if (n > 2 && s[2] != QQ_TAG_START)
		return PG_DETECT_NO;
	if (n < total)
		return PG_DETECT_MAYBE;
	bool ok = client ? qq_client_packet(s + 2, total - 2, q)
			 : qq_server_packet(s + 2, total - 2, q);
	return ok ? PG_DETECT_MATCH : PG_DETECT_NO;
}

static enum pg_detect_status qq_tcp(const struct pg_detect_input *in,
				    struct pg_detect_result *out)
{
	struct pg_sides s = pg_sides_of(in);
	struct qq_packet req, ans;

	if (s.c2s_len == 0)
		return s.s2c_len > 0 ? PG_DETECT_NO : PG_DETECT_MAYBE;
	enum pg_detect_status st = qq_tcp_first(s.c2s, s.c2s_len, true, &req);
	if (st != PG_DETECT_MATCH)
		return st == PG_DETECT_NO && pg_in_grace(in) ? PG_DETECT_MAYBE : st;
	if (s.s2c_len > 0 &&
	    qq_tcp_first(s.s2c, s.s2c_len, false, &ans) == PG_DETECT_MATCH &&
	    qq_answers(&req, &ans))
		return pg_match(out, PG_SYS_QQ, PG_FEAT_IM, PG_CONF_STRONG);
	return pg_match(out, PG_SYS_QQ, PG_FEAT_IM, PG_CONF_DECIDE);
}

static enum pg_detect_status qq_udp(const struct pg_detect_input *in,
				    struct pg_detect_result *out)
{
	size_t on;
	const uint8_t *o = pg_other(in, &on);
	bool from_client = in->dir == PG_DIR_C2S;
	struct qq_packet cur, other;

	bool ok = from_client ? qq_client_packet(in->payload, in->payload_len, &cur)
			      : qq_server_packet(in->payload, in->payload_len, &cur);
	if (!ok)
		return PG_DETECT_NO;
	if (on > 0) {
		bool other_ok = from_client ? qq_server_packet(o, on, &other)
					    : qq_client_packet(o, on, &other);
		if (other_ok && qq_answers(&cur, &other))
			return pg_match(out, PG_SYS_QQ, PG_FEAT_IM, PG_CONF_STRONG);
	}
	if (!from_client)
		return PG_DETECT_MAYBE;
	return pg_match(out, PG_SYS_QQ, PG_FEAT_IM, PG_CONF_DECIDE);
}

static enum pg_detect_status qq_detect(const struct pg_detect_input *in,
				       struct pg_detect_result *out)
{
	return pg_is_tcp(in) ? qq_tcp(in, out) : qq_udp(in, out);
}

const struct pg_detector pg_detector_qq = {
	.name = "qq",
	.l4_mask = PG_L4_TCP | PG_L4_UDP,
	.fn = qq_detect,
};
