/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * eDonkey2000 / eMule / Kad.
 *
 * TCP: every message is a protocol byte (E3 eDonkey, C5 eMule extensions,
 * D4 zlib-packed), a 32-bit little-endian length that counts the opcode
 * and body, an opcode and the body.  We require the whole first message,
 * its length to land exactly on the next message's protocol byte (or the
 * end of what was sent), and an opcode of the direction-free tables in
 * aMule's protocol headers.  The client's first message tells the feature
 * apart: OP_LOGINREQUEST to a server is `network`, OP_HELLO to another
 * client is `download`; both are opcode 0x01 and only their bodies differ
 * (HELLO has a hash-size byte and the server address after the tags), so
 * the body is parsed both ways.
 *
 * UDP has no length field: protocol byte and opcode, then a body whose
 * size each opcode fixes (or constrains to a record multiple).  Short
 * fixed-size datagrams stay WEAK.
 *
 * Not detectable: eMule "protocol obfuscation" (RC4 from the first byte),
 * see shared/reference/signatures.md section 9.
 */
#include <netinet/in.h>

#include "peergate/packet.h"

#include "bytes.h"
#include "detectors.h"

enum {
	ED_PROT_EDONKEY = 0xE3,
	ED_PROT_EMULE = 0xC5,
	ED_PROT_PACKED = 0xD4,
	ED_PROT_KAD = 0xE4,
	ED_PROT_KAD_PACKED = 0xE5,
	/* A first message above this is not a session opening; mid-session
	 * SENDINGPART frames are ~10 KB, eMule caps packets far below. */
	ED_MAX_FRAME = 256 * 1024,
};

/* ---- tags ------------------------------------------------------------ */

/* Skips one tag (old style: type, 16-bit name length, name; new style:
 * type|0x80, one-byte name id) at p[*i].  Value sizes per type follow
 * eMule's tag types (hash, string, uint32, float, bool, bool array, blob,
 * uint16, uint8, bsob, uint64, and the inline short strings 0x11..0x20). */
static bool ed_tag(const uint8_t *p, size_t len, size_t *i)
{
	if (*i >= len)
		return false;
	uint8_t type = p[(*i)++];
	if (type & 0x80) {
		type &= 0x7f;
		if (*i + 1 > len)
			return false;
		*i += 1;
	} else {
		if (*i + 2 > len)
			return false;
		size_t nlen = pg_le16(p + *i);
		*i += 2;
		if (nlen == 0 || nlen > len - *i)
			return false;
		*i += nlen;
	}
	size_t v;
	switch (type) {
	case 0x01: v = 16; break;
	case 0x02:
		if (*i + 2 > len)
			return false;
		v = 2 + (size_t)pg_le16(p + *i);
		break;
	case 0x03: case 0x04: v = 4; break;
	case 0x05: case 0x09: v = 1; break;
	case 0x06:
		if (*i + 2 > len)
			return false;
		v = 2 + ((size_t)pg_le16(p + *i) + 7) / 8;
		break;
	case 0x07:
		if (*i + 4 > len)
			return false;
		v = 4 + (size_t)pg_le32(p + *i);
		break;
	case 0x08: v = 2; break;
	case 0x0A:
		if (*i + 1 > len)
			return false;
		v = 1 + (size_t)p[*i];
		break;
	case 0x0B: v = 8; break;
	default:
		if (type >= 0x11 && type <= 0x20) {
			v = (size_t)(type - 0x10);
			break;
		}
		return false;
	}
	if (v > len - *i)
		return false;
	*i += v;
	return true;
}

/* Skips a tag set whose count is `count_bytes` (4 in ed2k, 1 in Kad)
 * little-endian bytes at p[*i]. */
static bool ed_tagset(const uint8_t *p, size_t len, size_t *i,
		      unsigned count_bytes)
{
	if (*i + count_bytes > len)
		return false;
	uint32_t count = count_bytes == 4 ? pg_le32(p + *i) : p[*i];
	*i += count_bytes;
	if (count > 64)
		return false;
	for (uint32_t k = 0; k < count; k++)
		if (!ed_tag(p, len, i))
			return false;
	return true;
}

/* <hash 16><id 4><port 2><tag set>, optionally followed by exactly
 * `tail` bytes (the server address of a HELLO / HELLOANSWER). */
static bool ed_hello_body(const uint8_t *b, size_t blen, size_t tail)
{
	size_t i = 22;
	if (blen < i + 4)
		return false;
	return ed_tagset(b, blen, &i, 4) && blen - i == tail;
}

/* ---- TCP ------------------------------------------------------------- */

/* The feature an opcode implies, or PG_FEAT_ANY when the opcode is not one
 * a client or server sends. */
static enum pg_feature ed_tcp_opcode(uint8_t prot, uint8_t op)
{
	if (prot == ED_PROT_EMULE) {
		switch (op) {
		case 0x01: case 0x02: case 0x40: case 0x60: case 0x61:
			return PG_FEAT_DOWNLOAD;
		default:
			if ((op >= 0x81 && op <= 0x87) || (op >= 0x90 && op <= 0x93) ||
			    (op >= 0x97 && op <= 0xA6))
				return PG_FEAT_DOWNLOAD;
			return PG_FEAT_ANY;
		}
	}
	switch (op) {
	/* client to server */
	case 0x05: case 0x14: case 0x15: case 0x16: case 0x18: case 0x19:
	case 0x1A: case 0x1C: case 0x21: case 0x23:
	/* server to client */
	case 0x32: case 0x33: case 0x34: case 0x35: case 0x36: case 0x38:
	case 0x40: case 0x41: case 0x42: case 0x43: case 0x44:
		return PG_FEAT_NETWORK;
	/* client to client */
	case 0x46: case 0x47: case 0x48: case 0x49: case 0x4A: case 0x4B:
	case 0x4C: case 0x4D: case 0x4E: case 0x4F: case 0x50: case 0x51:
	case 0x52: case 0x54: case 0x55: case 0x56: case 0x57: case 0x58:
	case 0x59: case 0x5B: case 0x5C: case 0x5D: case 0x5E: case 0x5F:
	case 0x60: case 0x61:
		return PG_FEAT_DOWNLOAD;
	case 0x01: /* HELLO or LOGINREQUEST: decided from the body */
		return PG_FEAT_LOGIN;
	default:
		return PG_FEAT_ANY;
	}
}

static bool ed_tcp_prot(uint8_t b)
{
	return b == ED_PROT_EDONKEY || b == ED_PROT_EMULE || b == ED_PROT_PACKED;
}

struct ed_verdict {
	enum pg_detect_status status;
	enum pg_feature feature;
};

static struct ed_verdict ed_tcp_dir(const uint8_t *s, size_t n)
{
	struct ed_verdict v = {PG_DETECT_MAYBE, PG_FEAT_ANY};
	if (n == 0)
		return v;
	v.status = PG_DETECT_NO;
	if (!ed_tcp_prot(s[0]))
		return v;
	if (n < 6) {
		v.status = PG_DETECT_MAYBE;
		return v;
	}
	uint32_t len = pg_le32(s + 1);
	if (len == 0 || len > ED_MAX_FRAME)
		return v;
	enum pg_feature f = ed_tcp_opcode(s[0], s[5]);
	if (f == PG_FEAT_ANY)
		return v;
	size_t end = 5 + (size_t)len;
	if (end > n) {
		v.status = PG_DETECT_MAYBE; /* the rest is still on its way */
		return v;
	}
	/* The length must land on the next message. */
	if (end < n) {
		if (!ed_tcp_prot(s[end]))
			return v;
		if (n - end >= 5) {
			uint32_t next = pg_le32(s + end + 1);
			if (next == 0 || next > ED_MAX_FRAME)
				return v;
		}
	}
	const uint8_t *body = s + 6;
	size_t blen = len - 1;
	if (f == PG_FEAT_LOGIN) {
		if (s[0] == ED_PROT_PACKED)
			return v; /* hellos and logins are never packed */
		if (blen >= 1 && body[0] == 16 && ed_hello_body(body + 1, blen - 1, 6))
			f = PG_FEAT_DOWNLOAD;
		else if (ed_hello_body(body, blen, 0))
			f = PG_FEAT_NETWORK;
		else if (blen >= 17 && body[0] == 16)
			f = PG_FEAT_DOWNLOAD; /* tags we cannot parse */
		else if (blen >= 22)
			f = PG_FEAT_NETWORK;
		else
			return v;
	} else if (s[5] == 0x4C && s[0] == ED_PROT_EDONKEY && blen < 26) {
		return v; /* a HELLOANSWER too short to hold its fixed part */
	}
	v.status = PG_DETECT_MATCH;
	v.feature = f;
	return v;
}

/* ---- UDP ------------------------------------------------------------- */

/* One UDP opcode: the body (after protocol byte and opcode) must be
 * min_body + k*unit bytes, at most max_body. */
struct ed_udp_rule {
	uint8_t prot, op;
	uint16_t min_body, max_body;
	uint8_t unit;
	uint8_t conf;
	uint8_t feature;
};

#define NET PG_FEAT_NETWORK
#define DL PG_FEAT_DOWNLOAD
#define W PG_CONF_WEAK
#define S PG_CONF_STRONG
static const struct ed_udp_rule ed_udp_rules[] = {
	/* eDonkey client <-> server (aMule ed2k/Client2Server/UDP.h) */
	{0xE3, 0x96, 0, 4, 4, W, NET},        /* server status req (+challenge) */
	{0xE3, 0x97, 8, 40, 4, W, NET},       /* server status res */
	{0xE3, 0x9A, 16, 16 * 32, 16, S, NET},/* get sources: hashes */
	{0xE3, 0x94, 20, 20 * 32, 20, S, NET},/* get sources 2: hash+size */
	{0xE3, 0x94, 28, 28 * 32, 28, S, NET},/* ... large-file sizes */
	{0xE3, 0x9B, 23, 17 + 6 * 255, 6, S, NET}, /* found sources */
	{0xE3, 0x90, 3, 1400, 0, W, NET},     /* search req 3 */
	{0xE3, 0x92, 3, 1400, 0, W, NET},     /* search req 2 */
	{0xE3, 0x98, 3, 1400, 0, W, NET},     /* search req */
	{0xE3, 0x99, 26, 1400, 0, W, NET},    /* search result */
	{0xE3, 0x9C, 10, 10, 0, W, NET},      /* callback req */
	{0xE3, 0x9E, 4, 4, 0, W, NET},        /* invalid low id */
	{0xE3, 0xA0, 6, 6, 0, W, NET},        /* server list req */
	{0xE3, 0xA1, 7, 1 + 6 * 255, 6, W, NET}, /* server list res */
	{0xE3, 0xA2, 0, 4, 4, W, NET},        /* server desc req */
	{0xE3, 0xA3, 4, 1400, 0, W, NET},     /* server desc res */
	{0xE3, 0xA4, 0, 0, 0, W, NET},        /* server list req 2 */
	/* eMule client <-> client (ed2k/Client2Client/UDP.h) */
	{0xC5, 0x90, 16, 1400, 0, W, DL},     /* reask file ping */
	{0xC5, 0x91, 2, 1400, 0, W, DL},      /* reask ack */
	{0xC5, 0x92, 0, 0, 0, W, DL},         /* file not found */
	{0xC5, 0x93, 0, 0, 0, W, DL},         /* queue full */
	{0xC5, 0x94, 16, 1400, 0, W, DL},     /* reask callback */
	/* Kad 2 (kad2/Client2Client/UDP.h) and Kad 1 */
	{0xE4, 0x01, 0, 0, 0, W, NET},        /* bootstrap req */
	{0xE4, 0x09, 46, 21 + 25 * 60, 25, S, NET}, /* bootstrap res */
	{0xE4, 0x21, 33, 33, 0, S, NET},      /* kademlia2 req */
	{0xE4, 0x29, 17, 17 + 25 * 60, 25, S, NET}, /* kademlia2 res */
	{0xE4, 0x20, 33, 33, 0, S, NET},      /* kademlia1 req */
	{0xE4, 0x28, 18, 18 + 25 * 60, 25, S, NET}, /* kademlia1 res */
	{0xE4, 0x00, 25, 25, 0, W, NET},      /* kad1 bootstrap req */
	{0xE4, 0x10, 25, 25, 0, W, NET},      /* kad1 hello req */
	{0xE4, 0x18, 25, 25, 0, W, NET},      /* kad1 hello res */
	{0xE4, 0x33, 18, 1400, 0, W, NET},    /* search key req */
	{0xE4, 0x35, 24, 1400, 0, W, NET},    /* search notes req */
	{0xE4, 0x3B, 34, 1400, 0, W, NET},    /* search res */
	{0xE4, 0x43, 34, 1400, 0, W, NET},    /* publish key req */
	{0xE4, 0x44, 34, 1400, 0, W, NET},    /* publish source req */
	{0xE4, 0x45, 34, 1400, 0, W, NET},    /* publish notes req */
	{0xE4, 0x4B, 17, 1400, 0, W, NET},    /* publish res */
	{0xE4, 0x50, 2, 2, 0, W, NET},        /* firewalled req */
	{0xE4, 0x53, 19, 19, 0, W, NET},      /* firewalled 2 req */
	{0xE4, 0x58, 4, 4, 0, W, NET},        /* firewalled res */
	{0xE4, 0x59, 0, 0, 0, W, NET},        /* firewalled ack */
	{0xE4, 0x60, 0, 0, 0, W, NET},        /* ping */
	{0xE4, 0x61, 2, 2, 0, W, NET},        /* pong */
	{0xE4, 0x62, 3, 3, 0, W, NET},        /* firewall udp */
};
#undef NET
#undef DL
#undef W
#undef S

static enum pg_detect_status ed_udp(const struct pg_detect_input *in,
				    struct pg_detect_result *out)
{
	const uint8_t *p = in->payload;
	size_t n = in->payload_len;
	if (n < 2)
		return n == 0 ? PG_DETECT_MAYBE : PG_DETECT_NO;
	uint8_t prot = p[0], op = p[1];
	size_t body = n - 2;

	/* Kad hello: Kad id, TCP port, version, then a one-byte-counted tag
	 * set that must end exactly at the end of the datagram. */
	if (prot == ED_PROT_KAD && (op == 0x11 || op == 0x19)) {
		size_t i = 2 + 16 + 2 + 1;
		if (n >= i + 1 && ed_tagset(p, n, &i, 1) && i == n)
			return pg_match(out, PG_SYS_EDONKEY, PG_FEAT_NETWORK,
					PG_CONF_STRONG);
		return PG_DETECT_NO;
	}
	/* Packed Kad: the body is a zlib stream, whose two-byte header is a
	 * multiple of 31 with method 8. */
	if (prot == ED_PROT_KAD_PACKED) {
		if (body >= 8 && (p[2] & 0x0f) == 8 && (p[2] >> 4) <= 7 &&
		    pg_be16(p + 2) % 31 == 0)
			return pg_match(out, PG_SYS_EDONKEY, PG_FEAT_NETWORK,
					PG_CONF_WEAK);
		return PG_DETECT_NO;
	}
	for (size_t k = 0; k < sizeof(ed_udp_rules) / sizeof(ed_udp_rules[0]); k++) {
		const struct ed_udp_rule *r = &ed_udp_rules[k];
		if (r->prot != prot || r->op != op)
			continue;
		if (body < r->min_body || body > r->max_body)
			continue;
		if (r->unit && (body - r->min_body) % r->unit != 0)
			continue;
		/* The Kad 2 request names its lookup type in 1..0x1f. */
		if (prot == ED_PROT_KAD && (op == 0x21 || op == 0x20) &&
		    (p[2] == 0 || p[2] > 0x1f))
			continue;
		return pg_match(out, PG_SYS_EDONKEY, (enum pg_feature)r->feature,
				r->conf);
	}
	return PG_DETECT_NO;
}

static enum pg_detect_status ed_detect(const struct pg_detect_input *in,
				       struct pg_detect_result *out)
{
	if (!pg_is_tcp(in))
		return ed_udp(in, out);

	const uint8_t *s = in->stream;
	size_t n = in->stream_len, on;
	const uint8_t *o = pg_other(in, &on);
	struct ed_verdict a = ed_tcp_dir(s, n);
	struct ed_verdict b = ed_tcp_dir(o, on);
	/* The client's opening tells login from hello; prefer this packet's
	 * direction, then the other. */
	if (a.status == PG_DETECT_MATCH)
		return pg_match(out, PG_SYS_EDONKEY, a.feature, PG_CONF_STRONG);
	if (b.status == PG_DETECT_MATCH)
		return pg_match(out, PG_SYS_EDONKEY, b.feature, PG_CONF_STRONG);
	if (a.status == PG_DETECT_NO || b.status == PG_DETECT_NO)
		return PG_DETECT_NO;
	return PG_DETECT_MAYBE;
}

const struct pg_detector pg_detector_edonkey = {
	.name = "edonkey",
	.l4_mask = PG_L4_TCP | PG_L4_UDP,
	.fn = ed_detect,
};
