/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Yahoo! Messenger: the YMSG pager protocol (login, IM and the services
 * that announce file transfer, voice and webcam), the webcam server
 * connection, and the pager and file transfer carried over HTTP.
 *
 * Wire facts: signatures.md section 5.
 */
#include "paper_detectors.h"

#include "peergate/packet.h"

enum {
	YMSG_HDR = 20,
	YMSG_GIVE_UP = 10,      /* payload packets without a decision */
	YAHOO_WEBCAM_PORT = 5100,
	YAHOO_HTTP_MAX_HDR = 4096,
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

struct ymsg_scan {
	unsigned pdus;           /* complete PDUs whose framing checked out */
	bool bad;
	enum pg_feature feat;
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
		return pg_paper_early(in) ? PG_DETECT_MAYBE : PG_DETECT_NO;
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
		size_t n = len < 8 ? len : 8;
		if (memcmp(p, webcam_tags[i], n) == 0) {
			if (len >= 8)
				return 1;
			maybe = 1;
		}
	}
	return maybe ? 0 : -1;
}

/* The path of a request target, skipping "http://host" when absolute;
 * *host gets the authority of an absolute target. */
static void target_path(const uint8_t *t, size_t tl, const uint8_t **path,
			size_t *pl, const uint8_t **host, size_t *hl)
{
	*host = NULL;
	*hl = 0;
	if (pg_bytes_prefix_ci(t, tl, "http://")) {
		size_t i = 7;
		while (i < tl && t[i] != '/')
			i++;
		*host = t + 7;
		*hl = i - 7;
		t += i;
		tl -= i;
	}
	*path = t;
	*pl = tl;
}

/* "…msg.yahoo.com" and the other messenger domains (section 5.1). */
static bool yahoo_msg_host(const uint8_t *h, size_t hl)
{
	return pg_paper_find_ci(h, hl, ".msg.yahoo.com") ||
	       pg_paper_find_ci(h, hl, ".msg.dcn.yahoo.com") ||
	       pg_paper_find_ci(h, hl, ".msg.yahoo.co.jp");
}

/* One HTTP request at the start of p. */
static enum pg_detect_status yahoo_http(const uint8_t *p, size_t len,
					struct pg_detect_result *out)
{
	struct pg_paper_request rq;

	if (!pg_paper_http_request(p, len, &rq)) {
		if (pg_paper_http_pending(p, len))
			return PG_DETECT_MAYBE;
		return PG_DETECT_NO;
	}
	size_t hend = pg_paper_header_end(p, len);
	size_t hlen = hend ? hend : len;
	const uint8_t *path, *ahost, *hv;
	size_t pl, ahl, hvl;
	target_path(rq.target, rq.target_len, &path, &pl, &ahost, &ahl);

	bool yhost = (ahost && yahoo_msg_host(ahost, ahl)) ||
		     (pg_http_header(p, hlen, "Host", &hv, &hvl) &&
		      yahoo_msg_host(hv, hvl));
	bool body_ymsg = hend && len >= hend + 4 && ymsg_magic(p + hend);
	bool cookie = pg_http_header(p, hlen, "Cookie", &hv, &hvl) &&
		      pg_bytes_prefix(hv, hvl, "Y=") &&
		      pg_bytes_find(hv, hvl, "T=", NULL);

	enum pg_feature feat;
	bool evidence;
	if (pg_bytes_prefix(path, pl, "/notifyft")) {
		/* File (or buddy icon) upload through the server. */
		feat = PG_FEAT_FILE_TRANSFER;
		evidence = yhost || body_ymsg || cookie;
	} else if (pg_bytes_prefix(path, pl, "/notify/") ||
		   (pl == 7 && memcmp(path, "/notify", 7) == 0)) {
		/* The HTTP pager: YMSG PDUs in POST bodies. */
		feat = PG_FEAT_HTTP_TUNNEL;
		evidence = yhost || body_ymsg;
	} else if (pg_bytes_prefix(path, pl, "/relay?token=")) {
		/* YMSG 15+ transfers relayed by relay.msg.yahoo.com. */
		feat = PG_FEAT_FILE_TRANSFER;
		evidence = yhost || pg_bytes_find(path, pl, "&sender=", NULL) ||
			   pg_bytes_find(path, pl, "&recver=", NULL);
	} else {
		return PG_DETECT_NO;
	}
	pg_paper_set_host(p, hlen, out);
	if (evidence)
		return pg_match(out, PG_SYS_YAHOO, feat, PG_CONF_STRONG);
	/* The path alone: wait for the headers and body, then settle for a
	 * weak guess. */
	if (!hend && len < YAHOO_HTTP_MAX_HDR)
		return PG_DETECT_MAYBE;
	return pg_match(out, PG_SYS_YAHOO, feat, PG_CONF_WEAK);
}

static enum pg_detect_status detect_yahoo_side(const struct pg_detect_input *in,
					       struct pg_detect_result *out)
{
	/* Both signatures are the client's first bytes; a server packet only
	 * re-reads them. */
	bool c2s = in->dir == PG_DIR_C2S;
	const uint8_t *p = c2s ? in->stream : in->other_stream;
	size_t len = c2s ? in->stream_len : in->other_len;

	if (len == 0)
		return pg_paper_early(in) ? PG_DETECT_MAYBE : PG_DETECT_NO;
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
	if (c2s && in->payload != in->stream && in->payload_len > 0 &&
	    yahoo_http(in->payload, in->payload_len, out) == PG_DETECT_MATCH)
		return PG_DETECT_MATCH;
	return PG_DETECT_NO;
}

const struct pg_detector pg_detector_yahoo_side = {
	.name = "yahoo-side",
	.l4_mask = PG_L4_TCP,
	.fn = detect_yahoo_side,
};
