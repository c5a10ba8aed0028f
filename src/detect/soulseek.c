/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Soulseek (the protocol of SoulseekQt and Nicotine+; Nicotine+'s
 * SLSKPROTOCOL documentation, the museek and SoleSeek notes).
 *
 * Every message is a 32-bit little-endian length (of what follows) and a
 * body that starts with its code; strings are a 32-bit length and the
 * bytes; all numbers little-endian.  The code is 32 bits on the server
 * connection and on peer ("P") connections, 8 bits in the peer-init
 * messages that open every peer connection and on the distributed ("D")
 * search network.  File ("F") connections carry raw data after their
 * opening.  The connecting side always speaks first:
 *  - to the server (TCP 2242), Login: code 1, user name, password, version,
 *    the MD5 of name and password as 32 hex digits, minor version;
 *  - to a peer (default TCP 2234), PeerInit: code 1, user name, connection
 *    type "P", "F" or "D", token; or PierceFireWall: code 0, token, when
 *    the peer asked (through the server) to be called back, after which
 *    the connection's own messages follow at once.
 * Login and PeerInit fix every length: matching one is certain.
 * PierceFireWall is only nine bytes, so it takes the message after it, a
 * distributed or peer message whose length the layout of its code fixes,
 * to decide.
 *
 * Features: the server connection and the distributed network are
 * `network`; peer and file connections (shares, search results, transfers)
 * are `download`.
 */
#include <netinet/in.h>

#include "peergate/packet.h"

#include "bytes.h"
#include "detectors.h"

enum {
	SLSK_MAX_STRING = 1024,       /* user names, room names, queries */
	SLSK_MAX_FIRST = 4096,        /* an opening message larger than this is not one */
	SLSK_MAX_MESSAGE = 1u << 24,  /* shares lists are zlib-compressed, still large */
	SLSK_MD5_HEX = 32,
};

enum slsk_kind { SLSK_NONE, SLSK_PARTIAL, SLSK_NETWORK, SLSK_DOWNLOAD };

/* A string at p[*i]: 32-bit length, then that many bytes, none of them a
 * control character.  Moves *i past it. */
static bool slsk_string(const uint8_t *p, size_t len, size_t *i,
			size_t max, const uint8_t **s, size_t *slen)
{
	if (len - *i < 4)
		return false;
	size_t n = pg_le32(p + *i);
	if (n > max || n > len - *i - 4)
		return false;
	const uint8_t *v = p + *i + 4;
	for (size_t k = 0; k < n; k++)
		if (v[k] < 0x20 || v[k] == 0x7f)
			return false;
	*i += 4 + n;
	if (s) {
		*s = v;
		*slen = n;
	}
	return true;
}

/* The body m[0..len) (after the length field) is a PeerInit: code 1, user
 * name, connection type, token, nothing else. */
static enum slsk_kind slsk_peer_init(const uint8_t *m, size_t len)
{
	size_t i = 1;
	const uint8_t *type;
	size_t tlen;
	if (len < 1 || m[0] != 1)
		return SLSK_NONE;
	const uint8_t *user;
	size_t ulen;
	if (!slsk_string(m, len, &i, SLSK_MAX_STRING, &user, &ulen) || ulen == 0)
		return SLSK_NONE;
	if (!slsk_string(m, len, &i, 1, &type, &tlen) || tlen != 1)
		return SLSK_NONE;
	if (len - i != 4)
		return SLSK_NONE;
	switch (type[0]) {
	case 'D':
		return SLSK_NETWORK;
	case 'P':
	case 'F':
		return SLSK_DOWNLOAD;
	default:
		return SLSK_NONE;
	}
}

/* The body is the server Login: code 1 (32 bits), user name, password,
 * version, hash, minor version. */
static bool slsk_login(const uint8_t *m, size_t len)
{
	size_t i = 4;
	const uint8_t *hash;
	size_t hlen, ulen;
	const uint8_t *user;
	if (len < 4 || pg_le32(m) != 1)
		return false;
	if (!slsk_string(m, len, &i, SLSK_MAX_STRING, &user, &ulen) || ulen == 0)
		return false;
	if (!slsk_string(m, len, &i, SLSK_MAX_STRING, NULL, NULL))
		return false;
	if (len - i < 4)
		return false;
	i += 4; /* version */
	if (!slsk_string(m, len, &i, SLSK_MD5_HEX, &hash, &hlen) ||
	    hlen != SLSK_MD5_HEX)
		return false;
	for (size_t k = 0; k < hlen; k++)
		if (!pg_is_xdigit(hash[k]))
			return false;
	return len - i == 4; /* minor version */
}

/* A distributed message (8-bit code) whose code fixes its length: ping,
 * search request, branch level, branch root, child depth. */
static bool slsk_distributed(const uint8_t *m, size_t len)
{
	size_t i = 1;
	switch (m[0]) {
	case 0: /* ping */
		return len == 1;
	case 3: /* search: unknown uint32, user, token, query */
		if (len < 5)
			return false;
		i = 5;
		if (!slsk_string(m, len, &i, SLSK_MAX_STRING, NULL, NULL) ||
		    len - i < 4)
			return false;
		i += 4;
		return slsk_string(m, len, &i, SLSK_MAX_STRING, NULL, NULL) &&
		       i == len;
	case 4: /* branch level */
	case 7: /* child depth */
		return len == 5;
	case 5: /* branch root: a user name */
		return slsk_string(m, len, &i, SLSK_MAX_STRING, NULL, NULL) &&
		       i == len;
	default:
		return false;
	}
}

/* A peer message (32-bit code) whose code fixes its length: the requests
 * without a body (shares, user info, upload queue notification), and the
 * ones made of one file name (queue upload, place in queue). */
static bool slsk_peer_message(const uint8_t *m, size_t len)
{
	if (len < 4)
		return false;
	size_t i = 4;
	switch (pg_le32(m)) {
	case 4:  /* GetSharedFileList */
	case 15: /* UserInfoRequest */
	case 52: /* UploadQueueNotification */
		return len == 4;
	case 43: /* QueueUpload */
	case 51: /* PlaceInQueueRequest */
		return slsk_string(m, len, &i, SLSK_MAX_STRING, NULL, NULL) &&
		       i == len;
	default:
		return false;
	}
}

/* The message after a PierceFireWall, at s[0..n). */
static enum slsk_kind slsk_after_pierce(const uint8_t *s, size_t n)
{
	if (n < 4)
		return SLSK_PARTIAL;
	size_t len = pg_le32(s);
	if (len == 0 || len > SLSK_MAX_MESSAGE)
		return SLSK_NONE;
	if (len > SLSK_MAX_FIRST)
		return SLSK_NONE; /* no message that fixes its length is this long */
	if (n - 4 < len)
		return SLSK_PARTIAL;
	if (slsk_distributed(s + 4, len))
		return SLSK_NETWORK;
	if (slsk_peer_message(s + 4, len))
		return SLSK_DOWNLOAD;
	return SLSK_NONE;
}

/* The connecting side's first message, and the one after a
 * PierceFireWall. */
static enum slsk_kind slsk_opening(const uint8_t *s, size_t n)
{
	if (n < 4)
		return SLSK_PARTIAL;
	size_t len = pg_le32(s);
	if (len == 0 || len > SLSK_MAX_FIRST)
		return SLSK_NONE;
	if (n < 5)
		return SLSK_PARTIAL;
	if (len == 5 && s[4] == 0) { /* PierceFireWall: token */
		if (n < 9)
			return SLSK_PARTIAL;
		return slsk_after_pierce(s + 9, n - 9);
	}
	if (s[4] != 1)
		return SLSK_NONE;
	if (n - 4 < len)
		return SLSK_PARTIAL;
	if (slsk_login(s + 4, len))
		return SLSK_NETWORK;
	return slsk_peer_init(s + 4, len);
}

static enum pg_detect_status slsk_detect(const struct pg_detect_input *in,
					 struct pg_detect_result *out)
{
	struct pg_sides s = pg_sides_of(in);

	if (s.c2s_len == 0)
		return s.s2c_len > 0 ? PG_DETECT_NO : PG_DETECT_MAYBE;
	switch (slsk_opening(s.c2s, s.c2s_len)) {
	case SLSK_NETWORK:
		return pg_match(out, PG_SYS_SOULSEEK, PG_FEAT_NETWORK, PG_CONF_STRONG);
	case SLSK_DOWNLOAD:
		return pg_match(out, PG_SYS_SOULSEEK, PG_FEAT_DOWNLOAD, PG_CONF_STRONG);
	case SLSK_PARTIAL:
		return PG_DETECT_MAYBE;
	case SLSK_NONE:
	default:
		return pg_in_grace(in) ? PG_DETECT_MAYBE : PG_DETECT_NO;
	}
}

const struct pg_detector pg_detector_soulseek = {
	.name = "soulseek",
	.l4_mask = PG_L4_TCP,
	.fn = slsk_detect,
};
