/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Yahoo! Messenger: the YMSG pager protocol (login, IM and the services
 * that announce file transfer, voice and webcam), the webcam server
 * connection, and the pager and file transfer carried over HTTP.
 *
 * Wire facts: signatures.md section 5.  Peer-connection offers (the address
 * keys of services 0x4F, 0x46/0x4D and 0xDD/0xDE): libpurple 2.10.9,
 * read in equalitie/np1sec contrib/libpurple-2.10.9/protocols/yahoo/
 * (libymsg.c, yahoo_filexfer.c, libymsg.h, yahoo_packet.h); see
 * ymsg_pdu_offer() below.
 */
#include "bytes.h"
#include "detectors.h"
#include "http_msg.h"

#include "peergate/packet.h"

enum {
	YMSG_HDR = 20,
	YMSG_GIVE_UP = 10,      /* payload packets without a decision */
	YAHOO_WEBCAM_PORT = 5100,
	YAHOO_HTTP_MAX_HDR = 4096,
	/* libymsg.h YAHOO_PAGER_PORT_P2P: a 0x4F offer names no port, the
	 * offering client listens on this one. */
	YAHOO_P2P_PORT = 5101,
	/* purple_url_parse()'s default when an http:// URL has no port. */
	YAHOO_URL_DEFAULT_PORT = 80,
	/* Longest key 12 value taken: base64 of "-2147483648" is 16
	 * characters; anything much longer is not an address. */
	YMSG_B64_MAX = 24,
};

/* ------------------------------------------------------------------------ */
/* YMSG                                                                     */

/* "YMSG"; very old clients and the notification server used "YPNS" and
 * "YHOO" (l7-filter yahoo.pat).  With n < 4, whether p could still become
 * one. */
static bool ymsg_magic_n(const uint8_t *p, size_t n)
{
	if (n > 4)
		n = 4;
	return memcmp(p, "YMSG", n) == 0 || memcmp(p, "YPNS", n) == 0 ||
	       memcmp(p, "YHOO", n) == 0;
}

static bool ymsg_magic(const uint8_t *p)
{
	return ymsg_magic_n(p, 4);
}

/* The feature a service code announces (section 5.3). */
static enum pg_feature ymsg_service_feature(uint16_t svc)
{
	switch (svc) {
	case 0x0057: /* auth (challenge request) */
	case 0x0054: /* auth response */
	case 0x004c: /* verify */
		return PG_FEAT_LOGIN;
	case 0x0046: /* file transfer (old) */
	case 0x004d: /* P2P file transfer (but see p2p_is_im) */
	case 0x00dc: /* Y7 file transfer */
	case 0x00dd: /* ... info */
	case 0x00de: /* ... accept */
		return PG_FEAT_FILE_TRANSFER;
	case 0x004a: /* voice chat */
	case 0x0050: /* webcam */
		return PG_FEAT_VOICE_VIDEO;
	default:
		return PG_FEAT_IM;
	}
}

/* How specific a feature is, so a run of PDUs reports the most telling. */
static int feature_rank(enum pg_feature f)
{
	switch (f) {
	case PG_FEAT_ANY:
		return 0;
	case PG_FEAT_IM:
		return 1;
	case PG_FEAT_LOGIN:
		return 2;
	default:
		return 3;
	}
}

/* A direct peer connection a PDU offers. */
struct ymsg_offer {
	bool have;
	uint8_t ip[4];
	uint16_t port;
	enum pg_feature feat;
};

struct ymsg_scan {
	unsigned pdus;           /* complete PDUs whose framing checked out */
	bool bad;
	enum pg_feature feat;
	struct ymsg_offer offer; /* the first offer among those PDUs */
};

/* Key/value pairs are each closed by C0 80, so a non-empty body ends with
 * them; some clients add one NUL after the last pair. */
static bool ymsg_body_end(const uint8_t *b, size_t n)
{
	if (n >= 3 && b[n - 1] == 0)
		n--;
	return n >= 2 && b[n - 2] == 0xc0 && b[n - 1] == 0x80;
}

/* The value of `key` in a body of "key C0 80 value C0 80" pairs. */
static bool ymsg_value(const uint8_t *b, size_t n, const char *key,
		       const uint8_t **val, size_t *vlen)
{
	size_t klen = strlen(key);
	size_t i = 0;
	bool is_key = true;
	const uint8_t *k = NULL;
	size_t kl = 0;

	while (i < n) {
		size_t s = i;
		while (i + 1 < n && !(b[i] == 0xc0 && b[i + 1] == 0x80))
			i++;
		if (i + 1 >= n)
			return false;
		if (is_key) {
			k = b + s;
			kl = i - s;
		} else if (kl == klen && memcmp(k, key, klen) == 0) {
			*val = b + s;
			*vlen = i - s;
			return true;
		}
		is_key = !is_key;
		i += 2;
	}
	return false;
}

/* Service 0x4D also sets up direct (peer-to-peer) IM sessions: libpurple
 * marks those with key 49 "PEERTOPEER"; file offers say "FILEXFER". */
static bool p2p_is_im(const uint8_t *b, size_t n)
{
	const uint8_t *v;
	size_t vl;
	return ymsg_value(b, n, "49", &v, &vl) && vl == 10 &&
	       memcmp(v, "PEERTOPEER", 10) == 0;
}

/* ------------------------------------------------------------------------ */
/* Peer-connection offers                                                   */

/* 0..63 for a character of the standard base64 alphabet, -1 otherwise. */
static int b64_val(uint8_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * Strict base64: whole quads, '=' only as the last one or two characters.
 * (libpurple encodes with g_base64_encode, which always pads; its decoder
 * is lenient, but a gateway has no reason to guess at damaged values.)
 * Returns the decoded length, or 0 when v is not such text or does not
 * fit in out[cap].
 */
static size_t b64_decode(const uint8_t *v, size_t n, uint8_t *out, size_t cap)
{
	if (n == 0 || n % 4 != 0)
		return 0;
	size_t pad = 0;
	if (v[n - 1] == '=')
		pad = v[n - 2] == '=' ? 2 : 1;
	size_t olen = n / 4 * 3 - pad;
	if (olen > cap)
		return 0;
	size_t o = 0;
	for (size_t i = 0; i < n; i += 4) {
		uint32_t q = 0;
		for (size_t k = 0; k < 4; k++) {
			int d;
			if (i + k >= n - pad)
				d = 0;   /* padding: only in the last quad */
			else if ((d = b64_val(v[i + k])) < 0)
				return 0;
			q = q << 6 | (uint32_t)d;
		}
		uint8_t b[3] = {(uint8_t)(q >> 16), (uint8_t)(q >> 8),
				(uint8_t)q};
		for (size_t k = 0; k < 3 && o < olen; k++)
			out[o++] = b[k];
	}
	/* Non-canonical padding (bits set under '=') is not what an encoder
	 * writes. */
	uint32_t last = (uint32_t)b64_val(v[n - 1 - pad]);
	if ((pad == 1 && (last & 0x3)) || (pad == 2 && (last & 0xf)))
		return 0;
	return olen;
}

/* An address a peer could listen on: not 0.0.0.0 (unspecified) and not
 * 255.255.255.255 (broadcast), which a bad value decodes to most easily. */
static bool ip_usable(const uint8_t ip[4])
{
	static const uint8_t zero[4], ones[4] = {255, 255, 255, 255};
	return memcmp(ip, zero, 4) != 0 && memcmp(ip, ones, 4) != 0;
}

/*
 * Key 12 of service 0x4F (PEERTOPEER): the offering client's IPv4 address
 * as base64 of decimal text.  libymsg.c yahoo_send_p2p_pkt() builds the
 * number as ip[3] << 24 | ip[2] << 16 | ip[1] << 8 | ip[0] (first octet in
 * the low byte) and prints it with "%d", so addresses whose last octet is
 * 128 or more go out negative; yahoo_process_p2p() reads it back with
 * strtol and takes the octets from the low byte up.  Other clients may
 * print the same number unsigned: both ranges are accepted.
 */
static bool p2p_addr(const uint8_t *v, size_t n, uint8_t ip[4])
{
	uint8_t txt[YMSG_B64_MAX];
	if (n > YMSG_B64_MAX)
		return false;
	size_t tl = b64_decode(v, n, txt, sizeof(txt));
	if (tl == 0)
		return false;
	bool neg = txt[0] == '-';
	size_t i = neg ? 1 : 0;
	size_t nd = tl - i;
	if (nd > 10 || !pg_all_digits(txt + i, nd))
		return false;
	uint64_t mag = 0;
	for (; i < tl; i++)
		mag = mag * 10 + (uint64_t)(txt[i] - '0');
	if (neg ? mag > 0x80000000u : mag > 0xffffffffu)
		return false;
	uint32_t u = neg ? (uint32_t)(0u - (uint32_t)mag) : (uint32_t)mag;
	ip[0] = (uint8_t)u;
	ip[1] = (uint8_t)(u >> 8);
	ip[2] = (uint8_t)(u >> 16);
	ip[3] = (uint8_t)(u >> 24);
	return ip_usable(ip);
}

/*
 * "http://a.b.c.d[:port][/...]" with a literal IPv4 host: the URL of a
 * direct transfer (key 20 of 0x46/0x4D, key 250 of 0xDD/0xDE).  libpurple
 * hands these to purple_url_parse(), which defaults the port to 80.  A
 * host name (filetransfer.msg.yahoo.com, a relay) is no peer offer: the
 * host rules cover it.
 */
static bool url_addr(const uint8_t *v, size_t n, uint8_t ip[4], uint16_t *port)
{
	if (!pg_prefix_ci(v, n, "http://"))
		return false;
	v += 7;
	n -= 7;
	size_t used = pg_parse_ipv4(v, n, ip);
	if (used == 0)
		return false;
	uint64_t p = YAHOO_URL_DEFAULT_PORT;
	if (used < n && v[used] == ':') {
		size_t nd = pg_parse_uint(v + used + 1, n - used - 1, 5, &p);
		if (nd == 0 || p == 0 || p > 65535)
			return false;
		used += 1 + nd;
	}
	/* The host must end here: "1.2.3.4.example.com" is a name. */
	if (used < n && v[used] != '/' && v[used] != '?')
		return false;
	*port = (uint16_t)p;
	return ip_usable(ip);
}

/* The value of a key, when present exactly as text. */
static bool ymsg_value_is(const uint8_t *b, size_t n, const char *key,
			  const char *want)
{
	const uint8_t *v;
	size_t vl;
	return ymsg_value(b, n, key, &v, &vl) && pg_equals(v, vl, want);
}

/*
 * The direct peer connection one PDU body offers, if any.  From libpurple
 * 2.10.9 (equalitie/np1sec, contrib/libpurple-2.10.9/protocols/yahoo/):
 *
 * - 0x4F PEERTOPEER (libymsg.c yahoo_send_p2p_pkt / yahoo_process_p2p):
 *   key 12 = the sender's address (p2p_addr above); the sender listens on
 *   YAHOO_PAGER_PORT_P2P 5101 and the receiver connects there for direct
 *   IM.  The server relays the PDU to the buddy, and bounces it back to
 *   the sender when the buddy cannot take it: in either direction it
 *   names a host listening on 5101.
 * - 0x46 FILETRANSFER and 0x4D P2PFILEXFER (yahoo_filexfer.c
 *   yahoo_process_filetransfer): key 20 = the file URL.  On 0x4D, key 49
 *   tells the application; only "FILEXFER" (or none) is a file, while
 *   "PEERTOPEER" and "IMVIRONMENT" PDUs carry no URL.
 * - 0xDD FILETRANS_INFO_15 and 0xDE FILETRANS_ACC_15
 *   (yahoo_process_filetrans_info_15 / _acc_15,
 *   yahoo_p2p_ft_server_listen_cb): key 249 = 1 or 2 for a direct
 *   transfer, with key 250 = "http://<listener ip>:<port>/Messenger...";
 *   249 = 3 is a relay (key 250 = the relay host, key 251 = the token),
 *   which needs no expectation.
 * - 0xDC FILETRANS_15 (the offer itself) carries names, file name and
 *   size, but no address.
 */
static bool ymsg_pdu_offer(uint16_t svc, const uint8_t *b, size_t n,
			   struct ymsg_offer *o)
{
	const uint8_t *v;
	size_t vl;

	switch (svc) {
	case 0x004f:
		if (!ymsg_value(b, n, "12", &v, &vl) || !p2p_addr(v, vl, o->ip))
			return false;
		o->port = YAHOO_P2P_PORT;
		o->feat = PG_FEAT_IM;
		break;
	case 0x004d:
		if (ymsg_value(b, n, "49", &v, &vl) &&
		    !pg_equals(v, vl, "FILEXFER"))
			return false;
		/* fall through */
	case 0x0046:
		if (!ymsg_value(b, n, "20", &v, &vl) ||
		    !url_addr(v, vl, o->ip, &o->port))
			return false;
		o->feat = PG_FEAT_FILE_TRANSFER;
		break;
	case 0x00dd:
	case 0x00de:
		if (!ymsg_value_is(b, n, "249", "1") &&
		    !ymsg_value_is(b, n, "249", "2"))
			return false;
		if (!ymsg_value(b, n, "250", &v, &vl) ||
		    !url_addr(v, vl, o->ip, &o->port))
			return false;
		o->feat = PG_FEAT_FILE_TRANSFER;
		break;
	default:
		return false;
	}
	o->have = true;
	return true;
}

/*
 * Walks back-to-back PDUs from p[0].  Each has the magic, a sane version,
 * and a length that lands on the next PDU or the end of the bytes.
 */
static void ymsg_walk(const uint8_t *p, size_t len, struct ymsg_scan *s)
{
	size_t off = 0;
	while (off < len) {
		if (!ymsg_magic_n(p + off, len - off)) {
			s->bad = true;
			return;
		}
		if (off + YMSG_HDR > len)
			return;
		const uint8_t *h = p + off;
		uint16_t ver = pg_be16(h + 4);
		size_t blen = pg_be16(h + 8);
		uint16_t svc = pg_be16(h + 10);
		/* Versions ran up to the low twenties; services up to
		 * 0x2EA (libymsg.h). */
		if (ver == 0 || ver > 0x7f || svc == 0 || svc > 0x3ff) {
			s->bad = true;
			return;
		}
		if (off + YMSG_HDR + blen > len)
			return;   /* body continues in a later packet */
		if (blen > 0 && !ymsg_body_end(h + YMSG_HDR, blen)) {
			s->bad = true;
			return;
		}
		s->pdus++;
		enum pg_feature f = ymsg_service_feature(svc);
		if (svc == 0x004d && p2p_is_im(h + YMSG_HDR, blen))
			f = PG_FEAT_IM;
		if (!s->offer.have)
			ymsg_pdu_offer(svc, h + YMSG_HDR, blen, &s->offer);
		if (feature_rank(f) > feature_rank(s->feat))
			s->feat = f;
		off += YMSG_HDR + blen;
	}
}

static bool ymsg_scan_dir(const uint8_t *stream, size_t slen,
			  const uint8_t *pkt, size_t plen, struct ymsg_scan *s)
{
	memset(s, 0, sizeof(*s));
	ymsg_walk(stream, slen, s);
	if (!s->bad)
		return true;
	if (pkt && pkt != stream && plen > 0) {
		/* Joined mid-session: this packet may start a PDU. */
		memset(s, 0, sizeof(*s));
		ymsg_walk(pkt, plen, s);
		return !s->bad;
	}
	return false;
}

static enum pg_detect_status detect_ymsg(const struct pg_detect_input *in,
					 struct pg_detect_result *out)
{
	struct ymsg_scan me, other;
	if (!ymsg_scan_dir(in->stream, in->stream_len, in->payload,
			   in->payload_len, &me))
		return pg_in_grace(in) ? PG_DETECT_MAYBE : PG_DETECT_NO;
	bool ok_other = in->other_len > 0 &&
			ymsg_scan_dir(in->other_stream, in->other_len, NULL, 0,
				      &other);
	unsigned pdus = me.pdus;
	enum pg_feature feat = me.feat;
	if (ok_other) {
		pdus += other.pdus;
		if (feature_rank(other.feat) > feature_rank(feat))
			feat = other.feat;
	}
	if (pdus == 0) {
		if (in->c2s_packets + in->s2c_packets > YMSG_GIVE_UP)
			return PG_DETECT_NO;
		return PG_DETECT_MAYBE;
	}
	/* An offer in this direction's bytes, else in the other's: the peer
	 * flow is classified on its first packet (README "How a flow is
	 * decided").  Offers come only from PDUs whose framing checked out. */
	const struct ymsg_offer *o = me.offer.have ? &me.offer
				     : ok_other && other.offer.have ? &other.offer
				     : NULL;
	if (o)
		pg_expect4(out, o->ip, o->port, PG_SYS_YAHOO, o->feat);
	/* Four magic bytes and a length that lands exactly on the next PDU
	 * (or the end of the data) are strong framing evidence. */
	return pg_match(out, PG_SYS_YAHOO, feat,
			pdus >= 2 ? PG_CONF_CERTAIN : PG_CONF_STRONG);
}

const struct pg_detector pg_detector_ymsg = {
	.name = "ymsg",
	.l4_mask = PG_L4_TCP,
	.fn = detect_ymsg,
};

/* ------------------------------------------------------------------------ */
/* Webcam and HTTP side channels                                            */

/* The webcam server connection (TCP 5100) opens with a bracketed tag. */
static const char *const webcam_tags[] = {
	"<SNDIMG>", "<REQIMG>", "<RVWCFG>", "<RUPCFG>",
};

/* 1: a tag; 0: could still become one; -1: no. */
static int webcam_tag(const uint8_t *p, size_t len)
{
	int maybe = 0;
	for (size_t i = 0; i < 4; i++) {
		if (pg_prefix_of(p, len, webcam_tags[i])) {
			if (len >= 8)
				return 1;
			maybe = 1;
		}
	}
	return maybe ? 0 : -1;
}

/* "…msg.yahoo.com" and the other messenger domains (section 5.1). */
static bool yahoo_msg_host(const uint8_t *h, size_t hl)
{
	return pg_find_ci(h, hl, ".msg.yahoo.com", NULL) ||
	       pg_find_ci(h, hl, ".msg.dcn.yahoo.com", NULL) ||
	       pg_find_ci(h, hl, ".msg.yahoo.co.jp", NULL);
}

/* One HTTP request at the start of p. */
static enum pg_detect_status yahoo_http(const uint8_t *p, size_t len,
					struct pg_detect_result *out)
{
	struct pg_http_msg m;
	if (!pg_http_read(p, len, &m) || m.kind != PG_HTTP_REQUEST)
		return pg_http_not_yet(&m);
	size_t hlen = m.hdr_len;
	const uint8_t *path, *ahost, *hv;
	size_t pl, ahl, hvl;
	pg_http_split_target(m.rq.target, m.rq.target_len, &ahost, &ahl, &path,
			     &pl);

	bool yhost = yahoo_msg_host(ahost, ahl) ||
		     (pg_http_header(p, hlen, "Host", &hv, &hvl) &&
		      yahoo_msg_host(hv, hvl));
	bool body_ymsg = m.hdr_done && len >= hlen + 4 && ymsg_magic(p + hlen);
	bool cookie = pg_http_header(p, hlen, "Cookie", &hv, &hvl) &&
		      pg_prefix(hv, hvl, "Y=") &&
		      pg_find(hv, hvl, "T=", NULL);

	enum pg_feature feat;
	bool evidence;
	if (pg_prefix(path, pl, "/notifyft")) {
		/* File (or buddy icon) upload through the server. */
		feat = PG_FEAT_FILE_TRANSFER;
		evidence = yhost || body_ymsg || cookie;
	} else if (pg_prefix(path, pl, "/notify/") ||
		   pg_equals(path, pl, "/notify")) {
		/* The HTTP pager: YMSG PDUs in POST bodies. */
		feat = PG_FEAT_HTTP_TUNNEL;
		evidence = yhost || body_ymsg;
	} else if (pg_prefix(path, pl, "/relay?token=")) {
		/* YMSG 15+ transfers relayed by relay.msg.yahoo.com. */
		feat = PG_FEAT_FILE_TRANSFER;
		evidence = yhost || pg_find(path, pl, "&sender=", NULL) ||
			   pg_find(path, pl, "&recver=", NULL);
	} else {
		return PG_DETECT_NO;
	}
	pg_http_report_host(p, hlen, out);
	if (evidence)
		return pg_match(out, PG_SYS_YAHOO, feat, PG_CONF_STRONG);
	/* The path alone: wait for the headers and body, then settle for a
	 * weak guess. */
	if (!m.hdr_done && len < YAHOO_HTTP_MAX_HDR)
		return PG_DETECT_MAYBE;
	return pg_match(out, PG_SYS_YAHOO, feat, PG_CONF_WEAK);
}

static enum pg_detect_status detect_yahoo_side(const struct pg_detect_input *in,
					       struct pg_detect_result *out)
{
	/* Both signatures are the client's first bytes; a server packet only
	 * re-reads them. */
	bool c2s = in->dir == PG_DIR_C2S;
	struct pg_sides sides = pg_sides_of(in);
	const uint8_t *p = sides.c2s;
	size_t len = sides.c2s_len;

	if (len == 0)
		return pg_in_grace(in) ? PG_DETECT_MAYBE : PG_DETECT_NO;
	int tag = webcam_tag(p, len);
	if (tag == 1) {
		/* Eight ASCII bytes: trusted on the webcam port only. */
		bool port = in->server_port == YAHOO_WEBCAM_PORT;
		return pg_match(out, PG_SYS_YAHOO, PG_FEAT_VOICE_VIDEO,
				port ? PG_CONF_STRONG : PG_CONF_WEAK);
	}
	if (tag == 0)
		return PG_DETECT_MAYBE;
	enum pg_detect_status r = yahoo_http(p, len, out);
	if (r != PG_DETECT_NO)
		return r;
	/* A keep-alive connection joined mid-way: this packet may start a
	 * later request. */
	if (c2s && pg_packet_starts_later(in) &&
	    yahoo_http(in->payload, in->payload_len, out) == PG_DETECT_MATCH)
		return PG_DETECT_MATCH;
	return PG_DETECT_NO;
}

const struct pg_detector pg_detector_yahoo_side = {
	.name = "yahoo-side",
	.l4_mask = PG_L4_TCP,
	.fn = detect_yahoo_side,
};
