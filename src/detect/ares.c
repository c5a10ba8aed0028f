/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Ares Galaxy: its supernode network and its chat rooms.
 *
 * Every Ares TCP message is a 16-bit little-endian length (of the data), a
 * type byte and the data (Ares Galaxy's sources, const_supernode_commands
 * and the chat-room protocol notes of the cb0t/sb0t projects).
 *
 * Supernode network (`network`): a client opens with the six-byte
 * prelogin, length 3, type MSG_CLIENT_FIRST_LOG (0x5A; a supernode linking
 * to another sends 0x5D) and three marker bytes, the last 0x05 (the
 * "new stack" marker; l7-filter's ares pattern has the same six bytes).
 * It then waits for the supernode, which answers with one of its prelogin
 * messages (types 51, 52, 56 and 60 accept, 58 and 59 refuse).  The rest
 * of the session is encrypted.  shared/corpus/manolito/ws_Manolito2.cap
 * holds three such openings (03 00 5A 04 03 05, answered by a 21-byte
 * type-51 message).  The prelogin alone is a heuristic; with a
 * prelogin answer it is certain.
 *
 * Chat rooms (`chat`), in clear: the client's MSG_CHAT_CLIENT_LOGIN (type
 * 2, or 1 to re-login) carries a 16-byte GUID, the shared file count, a
 * byte, the data port, the supernode's address and port, four bytes, then
 * the user name and the client version as NUL-terminated strings, and the
 * client's local and external addresses; the room answers with
 * MSG_CHAT_SERVER_LOGIN_ACK (type 3: two NUL-terminated names) or an error
 * (type 0).  A login whose strings end where they must is a heuristic;
 * with the room's answer it is certain.
 *
 * No capture of an Ares chat room is at hand: that shape comes from the
 * notes above only, and is kept strict.
 */
#include <netinet/in.h>

#include "peergate/packet.h"

#include "bytes.h"
#include "detectors.h"

enum {
	ARES_HDR = 3,
	ARES_PRELOGIN_CLIENT = 0x5A,
	ARES_PRELOGIN_SUPERNODE = 0x5D,
	ARES_MARKER_NEWSTACK = 0x05,
	ARES_CHAT_RELOGIN = 1,
	ARES_CHAT_LOGIN = 2,
	ARES_CHAT_LOGIN_ACK = 3,
	ARES_CHAT_ERROR = 0,
	/* GUID, files, byte, data port, supernode address and port, 4 bytes */
	ARES_CHAT_FIXED = 16 + 2 + 1 + 2 + 4 + 2 + 4,
	ARES_NAME_MAX = 64,
	/* the fixed part, two names, addresses, a few status bytes and a
	 * location: a chat login is far below this.  (TLS 1.0 records start
	 * 16 03 01, which reads as a 790-byte type-1 message.) */
	ARES_CHAT_MAX = 512,
	ARES_MAX_ANSWER = 1024,   /* a prelogin answer: a key and a few addresses */
};

/* The supernode's answers to a prelogin. */
static bool ares_prelogin_answer(uint8_t type)
{
	switch (type) {
	case 51: case 52: case 56: case 60: /* PRELOGIN_OK and variants */
	case 58: case 59:                   /* refused: security, busy */
		return true;
	default:
		return false;
	}
}

/* A NUL-terminated printable string of 1..max bytes at p[*i], within len.
 * Moves *i past its NUL. */
static bool ares_cstring(const uint8_t *p, size_t len, size_t *i, size_t max)
{
	size_t k = *i;
	while (k < len && p[k] != 0) {
		if (!pg_is_print(p[k]) || k - *i >= max)
			return false;
		k++;
	}
	if (k >= len || k == *i)
		return false;
	*i = k + 1;
	return true;
}

/* The data of a chat login: fixed part, user name, version, then at least
 * the two addresses. */
static bool ares_chat_login(const uint8_t *d, size_t len)
{
	size_t i = ARES_CHAT_FIXED;
	if (len < ARES_CHAT_FIXED + 2 + 8)
		return false;
	if (!ares_cstring(d, len, &i, ARES_NAME_MAX) ||
	    !ares_cstring(d, len, &i, ARES_NAME_MAX))
		return false;
	return len - i >= 8;
}

/* The room's first answer: an acknowledgement with two names, or an error. */
static bool ares_chat_answer(const uint8_t *s, size_t n)
{
	if (n < ARES_HDR)
		return false;
	size_t len = pg_le16(s);
	if (n - ARES_HDR < len)
		return false;
	if (s[2] == ARES_CHAT_ERROR)
		return true;
	size_t i = 0;
	return s[2] == ARES_CHAT_LOGIN_ACK &&
	       ares_cstring(s + ARES_HDR, len, &i, ARES_NAME_MAX) &&
	       ares_cstring(s + ARES_HDR, len, &i, ARES_NAME_MAX);
}

static enum pg_detect_status ares_prelogin(const struct pg_sides *s,
					   struct pg_detect_result *out)
{
	const uint8_t *c = s->c2s;
	if (s->c2s_len > 6 || (s->c2s_len == 6 && c[5] != ARES_MARKER_NEWSTACK))
		return PG_DETECT_NO;
	if (s->c2s_len < 6)
		return PG_DETECT_MAYBE;
	if (s->s2c_len == 0)
		return pg_match(out, PG_SYS_ARES, PG_FEAT_NETWORK, PG_CONF_WEAK);
	if (s->s2c_len < ARES_HDR)
		return PG_DETECT_MAYBE;
	size_t len = pg_le16(s->s2c);
	if (len == 0 || len > ARES_MAX_ANSWER || !ares_prelogin_answer(s->s2c[2]))
		return PG_DETECT_NO;
	return pg_match(out, PG_SYS_ARES, PG_FEAT_NETWORK, PG_CONF_STRONG);
}

static enum pg_detect_status ares_detect(const struct pg_detect_input *in,
					 struct pg_detect_result *out)
{
	struct pg_sides s = pg_sides_of(in);

	if (s.c2s_len == 0)
		return s.s2c_len > 0 ? PG_DETECT_NO : PG_DETECT_MAYBE;
	if (s.c2s_len < ARES_HDR)
		return PG_DETECT_MAYBE;
	size_t len = pg_le16(s.c2s);
	uint8_t type = s.c2s[2];

	if (len == 3 && (type == ARES_PRELOGIN_CLIENT ||
			 type == ARES_PRELOGIN_SUPERNODE))
		return ares_prelogin(&s, out);
	if (type != ARES_CHAT_LOGIN && type != ARES_CHAT_RELOGIN)
		return PG_DETECT_NO;
	if (len < ARES_CHAT_FIXED || len > ARES_CHAT_MAX)
		return PG_DETECT_NO;
	if (s.c2s_len - ARES_HDR < len)
		return PG_DETECT_MAYBE;
	if (!ares_chat_login(s.c2s + ARES_HDR, len))
		return PG_DETECT_NO;
	if (s.s2c_len > 0 && ares_chat_answer(s.s2c, s.s2c_len))
		return pg_match(out, PG_SYS_ARES, PG_FEAT_CHAT, PG_CONF_STRONG);
	return pg_match(out, PG_SYS_ARES, PG_FEAT_CHAT, PG_CONF_WEAK);
}

const struct pg_detector pg_detector_ares = {
	.name = "ares",
	.l4_mask = PG_L4_TCP,
	.fn = ares_detect,
};
