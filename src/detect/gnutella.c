/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Gnutella 0.4/0.6 and Gnutella2: the overlay handshakes ("GNUTELLA
 * CONNECT"), the HTTP file transfers between servents (/get/, /uri-res/),
 * the push reply (GIV), and the UDP traffic: Gnutella2 "GND" datagrams and
 * plain 23-byte Gnutella descriptors.
 *
 * Wire facts: signatures.md section 7.
 */
#include "bytes.h"
#include "detectors.h"
#include "http_msg.h"

#include "peergate/packet.h"

enum {
	GNUT_HTTP_MAX_HDR = 4096,
	GNUT_DESC_HDR = 23,      /* GUID(16) type ttl hops len(4, LE) */
	GNUT_MAX_TTL = 16,       /* TTL + hops never exceed this in practice */
};

/* ------------------------------------------------------------------------ */
/* TCP: handshakes, push, HTTP transfers                                    */

/* Servent names seen in User-Agent and Server headers. */
static const char *const servents[] = {
	"LimeWire", "BearShare", "Shareaza", "gtk-gnutella", "Gnucleus",
	"Morpheus", "Phex", "FrostWire", "Cabos", "Acquisition", "XoloX",
	"Gnotella", "Mutella", "Qtella", "WireShare", "Swapper", "Gnutella",
};

static bool servent_name(const uint8_t *v, size_t vl)
{
	for (size_t i = 0; i < sizeof(servents) / sizeof(servents[0]); i++)
		if (pg_find_ci(v, vl, servents[i], NULL))
			return true;
	return false;
}

/* Headers that only Gnutella servents exchange over HTTP. */
static bool gnutella_headers(const uint8_t *hdr, size_t len)
{
	const uint8_t *v;
	size_t vl;

	if (pg_find_ci(hdr, len, "\nX-Gnutella-", NULL))
		return true;
	if ((pg_http_header(hdr, len, "User-Agent", &v, &vl) ||
	     pg_http_header(hdr, len, "Server", &v, &vl)) &&
	    servent_name(v, vl))
		return true;
	if (pg_http_header(hdr, len, "Content-Type", &v, &vl) &&
	    (pg_prefix_ci(v, vl, "application/x-gnutella-packets") ||
	     pg_prefix_ci(v, vl, "application/x-gnutella2")))
		return true;
	if (pg_http_header(hdr, len, "Referrer", &v, &vl) &&
	    pg_prefix_ci(v, vl, "Gnutella"))
		return true;   /* BearShare's misspelt referrer */
	return false;
}

/* Weaker hints: transfer headers Gnutella introduced, but that some hybrid
 * clients (Shareaza's BitTorrent side) also send. */
static bool gnutella_hints(const uint8_t *hdr, size_t len)
{
	const uint8_t *v;
	size_t vl;
	return pg_http_header(hdr, len, "X-Queue", &v, &vl) ||
	       pg_http_header(hdr, len, "X-Alt", &v, &vl) ||
	       pg_http_header(hdr, len, "X-Features", &v, &vl);
}

/* 1: p starts with s; 0: p is still a prefix of s; -1: neither. */
static int prefix_state(const uint8_t *p, size_t len, const char *s)
{
	if (!pg_prefix_of(p, len, s))
		return -1;
	return len >= strlen(s) ? 1 : 0;
}

/* "GNUTELLA CONNECT/0.x" then "\r\n" (0.6) or "\n\n" (0.4). */
static enum pg_detect_status gnutella_connect(const uint8_t *p, size_t len)
{
	int st = prefix_state(p, len, "GNUTELLA CONNECT/");
	if (st <= 0)
		return st < 0 ? PG_DETECT_NO : PG_DETECT_MAYBE;
	if (len < 21)
		return PG_DETECT_MAYBE;
	if (!pg_is_digit(p[17]) || p[18] != '.' || !pg_is_digit(p[19]))
		return PG_DETECT_NO;
	if (len < 22)
		return PG_DETECT_MAYBE;
	if ((p[20] == '\r' && p[21] == '\n') || (p[20] == '\n' && p[21] == '\n'))
		return PG_DETECT_MATCH;
	return PG_DETECT_NO;
}

/* The answers: "GNUTELLA/0.6 200 OK\r\n" (or another code), "GNUTELLA OK". */
static enum pg_detect_status gnutella_reply(const uint8_t *p, size_t len)
{
	int st = prefix_state(p, len, "GNUTELLA");
	if (st <= 0)
		return st < 0 ? PG_DETECT_NO : PG_DETECT_MAYBE;
	if (len < 11)
		return PG_DETECT_MAYBE;
	if (memcmp(p + 8, " OK", 3) == 0)
		return len >= 13 ? (p[11] == '\n' || p[11] == '\r'
					    ? PG_DETECT_MATCH : PG_DETECT_NO)
				 : PG_DETECT_MAYBE;
	if (memcmp(p + 8, "/0.", 3) != 0)
		return PG_DETECT_NO;
	if (len < 17)
		return PG_DETECT_MAYBE;
	if (pg_is_digit(p[11]) && p[12] == ' ' &&
	    pg_digits(p + 13, len - 13) == 3 &&
	    (len == 16 || p[16] == ' ' || p[16] == '\r'))
		return PG_DETECT_MATCH;
	return PG_DETECT_NO;
}

/* "GIV <file index>:<32 hex servent GUID>/<file name>\n\n". */
static enum pg_detect_status gnutella_giv(const uint8_t *p, size_t len)
{
	int st = prefix_state(p, len, "GIV ");
	if (st <= 0)
		return st < 0 ? PG_DETECT_NO : PG_DETECT_MAYBE;
	size_t d = pg_digits(p + 4, len - 4);
	if (4 + d == len)
		return d <= 10 ? PG_DETECT_MAYBE : PG_DETECT_NO;
	if (d == 0 || d > 10 || p[4 + d] != ':')
		return PG_DETECT_NO;
	size_t g = 5 + d, x = 0;
	while (g + x < len && x < 32 && pg_is_xdigit(p[g + x]))
		x++;
	if (g + x == len)
		return PG_DETECT_MAYBE;
	return x == 32 && p[g + x] == '/' ? PG_DETECT_MATCH : PG_DETECT_NO;
}

/* The request paths of Gnutella transfers. */
enum gnut_path { GP_NONE, GP_GET_INDEX, GP_URIRES, GP_GNUTELLA, GP_PUSH };

static enum gnut_path gnutella_path(const uint8_t *t, size_t tl)
{
	/* "/get/<index>/<name>" (0.4 style). */
	if (pg_prefix(t, tl, "/get/")) {
		size_t d = pg_digits(t + 5, tl - 5);
		if (d > 0 && d <= 10 && 5 + d < tl && t[5 + d] == '/')
			return GP_GET_INDEX;
		return GP_NONE;
	}
	/* HUGE: "/uri-res/N2R?urn:sha1:..." and the other resolvers. */
	if (pg_prefix(t, tl, "/uri-res/N2") && tl > 13 &&
	    (t[11] == 'R' || t[11] == 'X') &&
	    pg_find(t, tl, "?urn:", NULL))
		return GP_URIRES;
	if (pg_prefix(t, tl, "/gnutella/push-proxy?") ||
	    pg_prefix(t, tl, "/gnet/push-proxy?"))
		return GP_PUSH;
	/* THEX hash trees, tiger trees, metadata: parts of a download. */
	if (pg_prefix(t, tl, "/gnutella/thex/") ||
	    pg_prefix(t, tl, "/gnutella/tigertree/") ||
	    pg_prefix(t, tl, "/gnutella/metadata/"))
		return GP_GNUTELLA;
	return GP_NONE;
}

/* One side's HTTP message at p. */
static enum pg_detect_status gnutella_http(const uint8_t *p, size_t len,
					   struct pg_detect_result *out)
{
	struct pg_http_msg m;
	if (!pg_http_read(p, len, &m))
		return pg_http_not_yet(&m);
	size_t hlen = m.hdr_len;
	enum gnut_path path = GP_NONE;
	if (m.kind == PG_HTTP_REQUEST)
		path = gnutella_path(m.rq.target, m.rq.target_len);

	bool strong_hdr = gnutella_headers(p, hlen);
	switch (path) {
	case GP_URIRES:
	case GP_GNUTELLA:
		pg_http_report_host(p, hlen, out);
		return pg_match(out, PG_SYS_GNUTELLA, PG_FEAT_DOWNLOAD,
				PG_CONF_STRONG);
	case GP_PUSH:
		pg_http_report_host(p, hlen, out);
		return pg_match(out, PG_SYS_GNUTELLA, PG_FEAT_NETWORK,
				PG_CONF_STRONG);
	case GP_GET_INDEX:
		/* "/get/1/name" alone could be any web server. */
		if (strong_hdr || gnutella_hints(p, hlen)) {
			pg_http_report_host(p, hlen, out);
			return pg_match(out, PG_SYS_GNUTELLA, PG_FEAT_DOWNLOAD,
					PG_CONF_STRONG);
		}
		if (!m.hdr_done && len < GNUT_HTTP_MAX_HDR)
			return PG_DETECT_MAYBE;
		pg_http_report_host(p, hlen, out);
		return pg_match(out, PG_SYS_GNUTELLA, PG_FEAT_DOWNLOAD,
				PG_CONF_WEAK);
	case GP_NONE:
		if (strong_hdr) {
			/* A browse-host or transfer request, or a servent's
			 * answer. */
			pg_http_report_host(p, hlen, out);
			return pg_match(out, PG_SYS_GNUTELLA, PG_FEAT_DOWNLOAD,
					PG_CONF_STRONG);
		}
		break;
	}
	if (!m.hdr_done && len < GNUT_HTTP_MAX_HDR)
		return PG_DETECT_MAYBE;
	return PG_DETECT_NO;
}

/* The first bytes of one side. */
static enum pg_detect_status gnutella_start(const uint8_t *p, size_t len,
					    struct pg_detect_result *out)
{
	if (len == 0)
		return PG_DETECT_MAYBE;
	enum pg_detect_status c = gnutella_connect(p, len);
	if (c == PG_DETECT_MATCH)
		return pg_match(out, PG_SYS_GNUTELLA, PG_FEAT_NETWORK,
				PG_CONF_CERTAIN);
	enum pg_detect_status r = gnutella_reply(p, len);
	if (r == PG_DETECT_MATCH)
		return pg_match(out, PG_SYS_GNUTELLA, PG_FEAT_NETWORK,
				PG_CONF_STRONG);
	enum pg_detect_status g = gnutella_giv(p, len);
	if (g == PG_DETECT_MATCH)
		return pg_match(out, PG_SYS_GNUTELLA, PG_FEAT_DOWNLOAD,
				PG_CONF_STRONG);
	if (c == PG_DETECT_MAYBE || r == PG_DETECT_MAYBE || g == PG_DETECT_MAYBE)
		return PG_DETECT_MAYBE;
	return gnutella_http(p, len, out);
}

/*
 * A complete request without Gnutella marks, nothing answered yet: is the
 * answer worth waiting for?  Every servent names itself in its requests
 * (the paths, headers and User-Agents above), so only a client that is no
 * servent, a browser or a download tool, sends a plain request to a
 * servent, and only the answer (Server: LimeWire, X-Gnutella-...) shows
 * it.  Servents listen on 6346-6347 or a random port: there the answer is
 * awaited.  On the ports of web servers and proxies (pg_http_for_web_port)
 * the request decides, so that ordinary web traffic is settled by its
 * request instead of one packet later; what that gives up is a browser
 * fetching from a servent moved to port 80, whose own peers' requests
 * still show it.  A request with the transfer headers Gnutella introduced
 * (X-Alt, X-Queue, X-Features) comes from a servent or a hybrid client:
 * its answer is awaited on any port.
 */
static bool plain_request_awaits_answer(const struct pg_detect_input *in)
{
	struct pg_http_msg m;
	if (!pg_http_read(in->stream, in->stream_len, &m) ||
	    m.kind != PG_HTTP_REQUEST)
		return false;
	return !pg_http_for_web_port(&m.rq, in->server_port) ||
	       gnutella_hints(in->stream, m.hdr_len);
}

static enum pg_detect_status detect_gnutella(const struct pg_detect_input *in,
					     struct pg_detect_result *out)
{
	enum pg_detect_status a = gnutella_start(in->stream, in->stream_len, out);
	if (a == PG_DETECT_MATCH)
		return a;
	enum pg_detect_status b = PG_DETECT_MAYBE;
	if (in->other_len > 0) {
		b = gnutella_start(in->other_stream, in->other_len, out);
		if (b == PG_DETECT_MATCH)
			return b;
	}
	/* A keep-alive transfer connection joined mid-way: this packet may
	 * start a later request or response. */
	if (pg_packet_starts_later(in) &&
	    gnutella_http(in->payload, in->payload_len, out) == PG_DETECT_MATCH)
		return PG_DETECT_MATCH;
	memset(out, 0, sizeof(*out));
	if (a == PG_DETECT_NO && in->dir == PG_DIR_C2S && in->other_len == 0 &&
	    plain_request_awaits_answer(in))
		return PG_DETECT_MAYBE;
	if (a == PG_DETECT_NO)
		return PG_DETECT_NO;
	return PG_DETECT_MAYBE;
}

const struct pg_detector pg_detector_gnutella = {
	.name = "gnutella",
	.l4_mask = PG_L4_TCP,
	.fn = detect_gnutella,
};

/* ------------------------------------------------------------------------ */
/* UDP                                                                      */

/*
 * A Gnutella2 packet header: control byte (length-field size in bits 6-7,
 * name length - 1 in bits 3-5, compound flag bit 2, big-endian bit 1), the
 * length, then the name: capital letters and digits.
 */
static bool g2_packet(const uint8_t *p, size_t len)
{
	if (len < 2)
		return false;
	uint8_t cb = p[0];
	size_t lenlen = cb >> 6;
	size_t namelen = ((cb >> 3) & 7) + 1;
	if (cb & 1)
		return false;   /* reserved */
	if (1 + lenlen + namelen > len)
		return false;
	size_t plen = 0;
	for (size_t i = 0; i < lenlen; i++) {
		size_t b = p[1 + i];
		plen |= (cb & 2) ? b << (8 * (lenlen - 1 - i)) : b << (8 * i);
	}
	for (size_t i = 0; i < namelen; i++) {
		uint8_t c = p[1 + lenlen + i];
		if (!((c >= 'A' && c <= 'Z') || pg_is_digit(c) || c == '_'))
			return false;
	}
	return 1 + lenlen + namelen + plen <= len;
}

/* "GND" flags(1) sequence(2) part(1) count(1), then (part 1) a G2 packet,
 * deflated when flag 0x01 is set.  Count 0 is an acknowledgement. */
static bool gnd_datagram(const uint8_t *p, size_t len)
{
	if (len < 8 || memcmp(p, "GND", 3) != 0)
		return false;
	uint8_t flags = p[3], part = p[6], count = p[7];
	if (count == 0)
		return len == 8 && part >= 1;
	if (part == 0 || part > count)
		return false;
	if (part != 1)
		return len > 8;
	const uint8_t *b = p + 8;
	size_t bl = len - 8;
	if (flags & 0x01) {
		/* A zlib stream: CMF 0x78 and a header check multiple of 31. */
		return bl >= 2 && b[0] == 0x78 && ((b[0] << 8) | b[1]) % 31 == 0;
	}
	/* Only the first fragment of a split packet holds the whole header;
	 * a single-part datagram holds the whole packet. */
	return g2_packet(b, bl);
}

/* Four printable letters or digits, as in vendor codes ("LIME", "GTKG"). */
static bool vendor_code(const uint8_t *v)
{
	for (int i = 0; i < 4; i++)
		if (!pg_is_alpha(v[i]) && !pg_is_digit(v[i]))
			return false;
	return true;
}

/* A Gnutella 0.6 descriptor filling the datagram exactly, with a payload
 * that fits its type. */
static bool gnutella_descriptor(const uint8_t *p, size_t len)
{
	if (len < GNUT_DESC_HDR || len > 65535)
		return false;
	uint8_t type = p[16], ttl = p[17], hops = p[18];
	uint32_t plen = pg_le32(p + 19);
	if (plen != len - GNUT_DESC_HDR)
		return false;
	if ((unsigned)ttl + hops > GNUT_MAX_TTL)
		return false;
	const uint8_t *b = p + GNUT_DESC_HDR;
	switch (type) {
	case 0x00: /* ping: empty, or GGEP extensions (magic 0xC3) */
		return plen == 0 || b[0] == 0xc3;
	case 0x01: /* pong: port(2) ip(4) files(4) kbytes(4) [GGEP] */
		return plen >= 14 && (plen == 14 || b[14] == 0xc3);
	case 0x02: /* bye: code(2) and a NUL-terminated message */
		return plen >= 3 && b[plen - 1] == 0;
	case 0x31: /* vendor message: vendor(4) selector(2) version(2) */
	case 0x32: /* standard vendor message */
		return plen >= 8 && vendor_code(b);
	case 0x40: /* push: servent GUID(16) index(4) ip(4) port(2) */
		return plen >= 26;
	case 0x80: /* query: speed(2), search text NUL-terminated, extensions */
		return plen >= 3 && memchr(b + 2, 0, plen - 2) != NULL;
	case 0x81: /* query hit: count(1) port(2) ip(4) speed(4) results,
		    * servent GUID(16) at the end */
		return plen >= 11 + 16 && b[0] > 0;
	case 0x44: /* Mojito DHT (LimeWire, gtk-gnutella): TTL and hops are
		    * always 0; an opcode, then the vendor code */
		return ttl == 0 && hops == 0 && plen >= 7 &&
		       vendor_code(b + 1);
	default:
		return false;
	}
}

static enum pg_detect_status detect_gnutella_udp(const struct pg_detect_input *in,
						 struct pg_detect_result *out)
{
	const uint8_t *p = in->payload;
	size_t len = in->payload_len;

	if (gnd_datagram(p, len) || gnutella_descriptor(p, len))
		return pg_match(out, PG_SYS_GNUTELLA, PG_FEAT_NETWORK,
				PG_CONF_STRONG);
	return PG_DETECT_NO;
}

const struct pg_detector pg_detector_gnutella_udp = {
	.name = "gnutella-udp",
	.l4_mask = PG_L4_UDP,
	.fn = detect_gnutella_udp,
};
