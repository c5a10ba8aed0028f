/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * AIM and ICQ: OSCAR (FLAP/SNAC) login and BOS connections, TOC, the peer
 * connections a rendezvous proposal sets up (OFT file transfer, ODC direct
 * IM, the rendezvous proxy), and legacy ICQ v5 over UDP.
 *
 * Wire facts: signatures.md sections 2 and 3 (FLAP header, SNAC families,
 * ICBM channel 2, capability GUIDs, OFT/ODC/proxy headers, ICQ v5 header).
 */
#include "bytes.h"
#include "detectors.h"
#include "http_msg.h"

#include <netinet/in.h>

#include "peergate/packet.h"

/* ------------------------------------------------------------------------ */
/* FLAP and SNAC                                                            */

enum {
	FLAP_HDR = 6,
	FLAP_MARK = 0x2a,
	SNAC_HDR = 10,
	/* A flow that framed correctly but never showed a decisive frame is
	 * given up after this many payload packets. */
	OSCAR_GIVE_UP = 10,
};

enum sn_kind { SN_NONE = 0, SN_ICQ, SN_AIM };

/* The rendezvous (ICBM channel 2) facts one frame can carry. */
struct rendezvous {
	bool seen;
	bool proposal;          /* type 0: carries the connection details */
	bool proxied;           /* TLV 0x0010: connect through the proxy */
	enum pg_feature aim_feat, icq_feat;
	uint8_t ip[4];
	bool have_ip;
	uint16_t port;
};

struct oscar_scan {
	unsigned frames;         /* complete, well-formed frames */
	unsigned seq_follow;     /* frames whose sequence number is prev + 1 */
	bool bad;                /* framing broke */
	bool hello;              /* server ch1: version 1 (its hello) */
	bool signon_bare;        /* client ch1: version only */
	bool signon_cookie;      /* client ch1: TLV 0x0006 login cookie (BOS) */
	bool signon_login;       /* client ch1: TLV 0x0001 screen name */
	bool snac_known;         /* a ch2 frame with a known family/subtype */
	bool snac_parsed;        /* a SNAC whose body parsed (screen name ...) */
	bool auth_family;        /* SNAC family 0x0017 */
	bool icq_family;         /* SNAC family 0x0015 */
	bool bos_families;       /* server ready lists ICBM: a BOS connection */
	bool lists_icq;          /* ... and lists the ICQ family 0x0015 */
	enum sn_kind self_sn;    /* the user's own screen name */
	enum sn_kind peer_sn;    /* a correspondent's screen name */
	struct rendezvous rv;
};

/* ICQ screen names are UINs: 5 to 10 digits.  AIM names start with a letter;
 * either system allowed e-mail addresses, which tell nothing. */
static enum sn_kind classify_sn(const uint8_t *p, size_t len)
{
	bool letter = false;

	if (len == 0 || len > 97)
		return SN_NONE;
	for (size_t i = 0; i < len; i++) {
		if (p[i] == '@')
			return SN_NONE;
		if (!pg_is_print(p[i]))
			return SN_NONE;
		if (pg_is_alpha(p[i]))
			letter = true;
	}
	if (!letter && len >= 5 && len <= 10 && pg_all_digits(p, len))
		return SN_ICQ;
	return letter && pg_is_alpha(p[0]) ? SN_AIM : SN_NONE;
}

/* Walks a TLV list that must fill p[0..len) exactly. */
static bool tlvs_tile(const uint8_t *p, size_t len)
{
	size_t off = 0;
	while (off + 4 <= len) {
		size_t l = pg_be16(p + off + 2);
		if (off + 4 + l > len)
			return false;
		off += 4 + l;
	}
	return off == len;
}

/* Finds TLV `type` in a list p[0..len); stops at the first malformed TLV. */
static bool tlv_find(const uint8_t *p, size_t len, uint16_t type,
		     const uint8_t **val, size_t *vlen)
{
	size_t off = 0;
	while (off + 4 <= len) {
		uint16_t t = pg_be16(p + off);
		size_t l = pg_be16(p + off + 2);
		if (off + 4 + l > len)
			return false;
		if (t == type) {
			*val = p + off + 4;
			*vlen = l;
			return true;
		}
		off += 4 + l;
	}
	return false;
}

/* Maps a capability GUID to the feature it asks for (AIM, ICQ).  All the
 * OSCAR capabilities share the suffix 4C7F-11D1-8222-444553540000. */
static bool capability_feature(const uint8_t g[16], enum pg_feature *aim,
			       enum pg_feature *icq)
{
	static const uint8_t suffix[12] = {0x4c, 0x7f, 0x11, 0xd1, 0x82, 0x22,
					   0x44, 0x45, 0x53, 0x54, 0x00, 0x00};
	static const uint8_t games2[12] = {0x4c, 0x7f, 0x11, 0xd1, 0x22, 0x82,
					   0x44, 0x45, 0x53, 0x54, 0x00, 0x00};
	static const uint8_t chat[16] = {0x74, 0x8f, 0x24, 0x20, 0x62, 0x87,
					 0x11, 0xd1, 0x82, 0x22, 0x44, 0x45,
					 0x53, 0x54, 0x00, 0x00};

	if (memcmp(g, chat, 16) == 0) {
		*aim = *icq = PG_FEAT_IM;  /* chat room invitation */
		return true;
	}
	if (g[0] != 0x09 || g[1] != 0x46)
		return false;
	if (memcmp(g + 4, suffix, 12) != 0 && memcmp(g + 4, games2, 12) != 0)
		return false;
	uint16_t id = pg_be16(g + 2);
	switch (id) {
	case 0x1341: /* talk */
	case 0x0100: /* video */
	case 0x0101: /* live video */
	case 0x0102: /* camera */
	case 0x0103: /* microphone */
		*aim = PG_FEAT_VOICE;
		*icq = PG_FEAT_VOICE_VIDEO;
		return true;
	case 0x1343: /* send file */
		*aim = *icq = PG_FEAT_FILE_TRANSFER;
		return true;
	case 0x1345: /* direct IM, IM images */
		*aim = PG_FEAT_IMAGES;
		*icq = PG_FEAT_IM;
		return true;
	case 0x1348: /* get file: browse a shared folder */
		*aim = *icq = PG_FEAT_FILE_SHARING;
		return true;
	case 0x134a: /* games */
		*aim = PG_FEAT_GAMES;
		*icq = PG_FEAT_IM;
		return true;
	default: /* buddy icon, buddy list, ICQ relay ...: part of IM */
		*aim = *icq = PG_FEAT_IM;
		return true;
	}
}

/* The ICBM message TLVs after the screen name: looks for the channel-2
 * rendezvous block (TLV 0x0005). */
static void parse_rendezvous(const uint8_t *p, size_t len, bool from_server,
			     struct rendezvous *rv)
{
	const uint8_t *v;
	size_t vl;

	if (!tlv_find(p, len, 0x0005, &v, &vl) || vl < 26)
		return;
	uint16_t type = pg_be16(v);
	if (type > 2)
		return;
	enum pg_feature aim, icq;
	if (!capability_feature(v + 10, &aim, &icq))
		return;
	rv->seen = true;
	rv->aim_feat = aim;
	rv->icq_feat = icq;
	if (type != 0)
		return;
	rv->proposal = true;

	/* The inner TLVs: 0x0002 proxy/rendezvous IP, 0x0003 client IP,
	 * 0x0004 IP the server saw, 0x0005 port, 0x0010 use the proxy. */
	const uint8_t *in = v + 26;
	size_t inl = vl - 26;
	const uint8_t *x;
	size_t xl;
	rv->proxied = tlv_find(in, inl, 0x0010, &x, &xl);
	/* A proposal our client sends names its own addresses; one relayed
	 * from the server also carries the address the server saw (0x0004),
	 * which is the one a peer outside the proposer's network can reach. */
	static const uint16_t order_sent[] = {0x0003, 0x0002, 0x0004};
	static const uint16_t order_recv[] = {0x0004, 0x0002, 0x0003};
	static const uint16_t order_proxy[] = {0x0002};
	const uint16_t *order = rv->proxied ? order_proxy
				: from_server ? order_recv : order_sent;
	size_t norder = rv->proxied ? 1 : 3;
	for (size_t i = 0; i < norder && !rv->have_ip; i++) {
		if (tlv_find(in, inl, order[i], &x, &xl) && xl == 4 &&
		    (x[0] | x[1] | x[2] | x[3]) != 0) {
			memcpy(rv->ip, x, 4);
			rv->have_ip = true;
		}
	}
	if (tlv_find(in, inl, 0x0005, &x, &xl) && xl == 2)
		rv->port = pg_be16(x);
	else if (rv->proxied)
		rv->port = 5190;   /* the proxy's default (peer.h) */
}

/* An ICBM header: cookie(8) channel(2) snlen(1) sn.  Returns the offset just
 * past the screen name, or 0. */
static size_t icbm_sn(const uint8_t *b, size_t len, enum sn_kind *kind)
{
	if (len < 11)
		return 0;
	uint16_t ch = pg_be16(b + 8);
	size_t snl = b[10];
	if (ch < 1 || ch > 4 || snl == 0 || 11 + snl > len)
		return 0;
	*kind = classify_sn(b + 11, snl);
	return 11 + snl;
}

static void note_sn(enum sn_kind *slot, enum sn_kind k)
{
	if (k == SN_ICQ || (k == SN_AIM && *slot == SN_NONE))
		*slot = k;
}

/* Families the OSCAR servers of the period used (snactypes.h). */
static bool snac_family_known(uint16_t fam)
{
	return (fam >= 0x0001 && fam <= 0x0010) || fam == 0x0013 ||
	       fam == 0x0015 || fam == 0x0017 || fam == 0x0018 ||
	       fam == 0x0022 || fam == 0x0025 || fam == 0x0085;
}

/* An ICBM SNAC (family 0x0004) of subtype sub, body b[0..bl). */
static void scan_icbm(uint16_t sub, const uint8_t *b, size_t bl,
		      struct oscar_scan *s)
{
	enum sn_kind k = SN_NONE;
	size_t at;

	switch (sub) {
	case 0x0006: /* ICBM send (C->S) */
		at = icbm_sn(b, bl, &k);
		if (!at)
			return;
		s->snac_parsed = true;
		note_sn(&s->peer_sn, k);
		if (pg_be16(b + 8) == 2)
			parse_rendezvous(b + at, bl - at, false, &s->rv);
		return;
	case 0x0007: /* ICBM receive (S->C): then warning(2) ntlv(2) TLVs */
		at = icbm_sn(b, bl, &k);
		if (!at || at + 4 > bl)
			return;
		s->snac_parsed = true;
		note_sn(&s->peer_sn, k);
		if (pg_be16(b + 8) == 2) {
			unsigned ntlv = pg_be16(b + at + 2);
			size_t off = at + 4;
			for (unsigned i = 0; i < ntlv; i++) {
				if (off + 4 > bl)
					return;
				off += 4u + pg_be16(b + off + 2);
			}
			if (off <= bl)
				parse_rendezvous(b + off, bl - off, true,
						 &s->rv);
		}
		return;
	case 0x000b: /* client error */
	case 0x000c: /* host ack */
	case 0x0014: /* typing notification */
		if (icbm_sn(b, bl, &k)) {
			s->snac_parsed = true;
			note_sn(&s->peer_sn, k);
		}
		return;
	default:
		return;
	}
}

/* One SNAC (the body of a ch2 frame). */
static void scan_snac(const uint8_t *p, size_t len, struct oscar_scan *s)
{
	if (len < SNAC_HDR)
		return;
	uint16_t fam = pg_be16(p), sub = pg_be16(p + 2);
	uint16_t flags = pg_be16(p + 4);
	if (!snac_family_known(fam) || sub == 0 || sub > 0x40 ||
	    (flags & ~0x8001u) != 0)
		return;
	s->snac_known = true;
	if (fam == 0x0015)
		s->icq_family = true;
	if (fam == 0x0017)
		s->auth_family = true;

	const uint8_t *b = p + SNAC_HDR;
	size_t bl = len - SNAC_HDR;
	/* Flag 0x8000: a length-prefixed block of family versions first. */
	if (flags & 0x8000) {
		if (bl < 2 || 2u + pg_be16(b) > bl)
			return;
		size_t skip = 2u + pg_be16(b);
		b += skip;
		bl -= skip;
	}

	if (fam == 0x0004) {
		scan_icbm(sub, b, bl, s);
		return;
	}
	const uint8_t *v;
	size_t vl;
	switch (fam << 8 | sub) {
	case 0x0103: /* server ready: the families this connection serves */
		if (bl >= 2 && bl % 2 == 0) {
			s->snac_parsed = true;
			for (size_t i = 0; i + 1 < bl; i += 2) {
				uint16_t f = pg_be16(b + i);
				if (f == 0x0004)
					s->bos_families = true;
				if (f == 0x0015)
					s->lists_icq = true;
			}
		}
		return;
	case 0x010f: /* self info */
		if (bl >= 1 && 1u + b[0] <= bl) {
			s->snac_parsed = true;
			note_sn(&s->self_sn, classify_sn(b + 1, b[0]));
		}
		return;
	case 0x0206: /* user info */
	case 0x030b: /* buddy arrived */
	case 0x030c: /* buddy departed */
		if (bl >= 1 && 1u + b[0] <= bl) {
			s->snac_parsed = true;
			note_sn(&s->peer_sn, classify_sn(b + 1, b[0]));
		}
		return;
	case 0x1702: /* login request */
	case 0x1703: /* login reply */
	case 0x1706: /* key request */
		if (tlv_find(b, bl, 0x0001, &v, &vl)) {
			s->snac_parsed = true;
			note_sn(&s->self_sn, classify_sn(v, vl));
		}
		return;
	default:
		return;
	}
}

/* A signon (ch1) body: version 00000001, then a TLV list.  The server's is
 * its hello; the client's tells login (bare, or a screen name) from a BOS or
 * service connection (the login cookie). */
static bool scan_signon(const uint8_t *p, size_t len, bool from_client,
			struct oscar_scan *s)
{
	const uint8_t *v;
	size_t vl;

	if (len < 4 || pg_be32(p) != 1)
		return false;
	if (len > 4 && !tlvs_tile(p + 4, len - 4))
		return false;
	if (!from_client) {
		s->hello = true;
		return true;
	}
	if (len == 4) {
		s->signon_bare = true;
		return true;
	}
	if (tlv_find(p + 4, len - 4, 0x0006, &v, &vl) && vl >= 16) {
		s->signon_cookie = true;
	} else if (tlv_find(p + 4, len - 4, 0x0001, &v, &vl)) {
		enum sn_kind k = classify_sn(v, vl);
		if (k == SN_NONE && vl == 0)
			return false;
		s->signon_login = true;
		note_sn(&s->self_sn, k);
	}
	return true;
}

/* TOC carries text in ch2 frames: client commands "toc_xxx"/"toc2_xxx",
 * server messages "WORD:" ("SIGN_ON:", "IM_IN2:", "CONFIG2:" ...). */
static bool toc_text(const uint8_t *p, size_t len)
{
	size_t i;

	if (pg_prefix(p, len, "toc_"))
		i = 4;
	else if (pg_prefix(p, len, "toc2_"))
		i = 5;
	else
		i = 0;
	if (i)
		return i < len && p[i] >= 'a' && p[i] <= 'z';
	while (i < len && i < 24 &&
	       ((p[i] >= 'A' && p[i] <= 'Z') || pg_is_digit(p[i]) ||
		p[i] == '_'))
		i++;
	return i >= 3 && i < len && p[i] == ':';
}

/*
 * Walks FLAP frames from p[0].  Returns false when the bytes do not start
 * with a frame header; a truncated last frame is fine.
 */
static bool scan_flaps(const uint8_t *p, size_t len, bool toc,
		       bool from_client, struct oscar_scan *s)
{
	size_t off = 0;
	uint16_t prev_seq = 0;
	bool started = false;

	while (off < len) {
		if (p[off] != FLAP_MARK) {
			s->bad = true;
			break;
		}
		if (off + 1 < len && (p[off + 1] < 1 || p[off + 1] > 5)) {
			s->bad = true;
			break;
		}
		if (off + FLAP_HDR > len)
			break;   /* header continues in a later packet */
		uint8_t ch = p[off + 1];
		uint16_t seq = pg_be16(p + off + 2);
		size_t flen = pg_be16(p + off + 4);
		if (off + FLAP_HDR + flen > len)
			break;   /* frame continues in a later packet */
		const uint8_t *b = p + off + FLAP_HDR;
		bool ok = true;
		switch (ch) {
		case 1:
			ok = scan_signon(b, flen, from_client, s);
			break;
		case 2:
			if (!(toc && toc_text(b, flen)))
				scan_snac(b, flen, s);
			ok = flen >= SNAC_HDR || (toc && flen > 0);
			break;
		case 4:
			ok = flen == 0 || tlvs_tile(b, flen);
			break;
		case 5:
			ok = flen <= 16;   /* keep-alives are empty */
			break;
		default:
			break;
		}
		if (!ok) {
			s->bad = true;
			break;
		}
		if (started && seq == (uint16_t)(prev_seq + 1))
			s->seq_follow++;
		prev_seq = seq;
		started = true;
		s->frames++;
		off += FLAP_HDR + flen;
	}
	return !s->bad && len > 0;
}

static void merge_scan(struct oscar_scan *a, const struct oscar_scan *b)
{
	a->frames += b->frames;
	a->seq_follow += b->seq_follow;
	a->hello |= b->hello;
	a->signon_bare |= b->signon_bare;
	a->signon_cookie |= b->signon_cookie;
	a->signon_login |= b->signon_login;
	a->snac_known |= b->snac_known;
	a->snac_parsed |= b->snac_parsed;
	a->auth_family |= b->auth_family;
	a->icq_family |= b->icq_family;
	a->bos_families |= b->bos_families;
	a->lists_icq |= b->lists_icq;
	note_sn(&a->self_sn, b->self_sn);
	note_sn(&a->peer_sn, b->peer_sn);
	if (!a->rv.seen || (b->rv.proposal && !a->rv.proposal))
		if (b->rv.seen)
			a->rv = b->rv;
}

static const char toc_hello[] = "FLAPON\r\n\r\n";

/*
 * Scans one direction: from the stream start when it frames, otherwise from
 * this packet alone (a flow joined mid-session, or a stream that started
 * inside a frame).  Returns false when neither frames.
 */
static bool scan_direction(const uint8_t *stream, size_t slen,
			   const uint8_t *pkt, size_t plen, bool from_client,
			   bool *toc, struct oscar_scan *s)
{
	const uint8_t *p = stream;
	size_t len = slen;

	memset(s, 0, sizeof(*s));
	if (pg_prefix(p, len, toc_hello)) {
		*toc = true;
		p += sizeof(toc_hello) - 1;
		len -= sizeof(toc_hello) - 1;
		if (len == 0)
			return true;
	}
	memset(s, 0, sizeof(*s));
	if (len > 0 && scan_flaps(p, len, *toc, from_client, s))
		return true;
	if (pkt && plen > 0 && pkt != stream) {
		memset(s, 0, sizeof(*s));
		if (scan_flaps(pkt, plen, *toc, from_client, s))
			return true;
	}
	memset(s, 0, sizeof(*s));
	return false;
}

/* AIM or ICQ, from the strongest evidence the frames showed; *sure is false
 * when the answer is a guess. */
static enum pg_system oscar_system(const struct oscar_scan *s, bool *sure)
{
	*sure = true;
	if (s->self_sn != SN_NONE)      /* the user's own name */
		return s->self_sn == SN_ICQ ? PG_SYS_ICQ : PG_SYS_AIM;
	if (s->icq_family)              /* an ICQ-only SNAC in use */
		return PG_SYS_ICQ;
	if (s->peer_sn != SN_NONE)      /* a correspondent's name */
		return s->peer_sn == SN_ICQ ? PG_SYS_ICQ : PG_SYS_AIM;
	/* An ICQ BOS server always offers family 0x0015; whether AIM's did
	 * too is not known, so its presence is only a hint. */
	if (s->bos_families && !s->lists_icq)
		return PG_SYS_AIM;
	*sure = false;
	return s->lists_icq ? PG_SYS_ICQ : PG_SYS_AIM;
}

static enum pg_detect_status detect_oscar(const struct pg_detect_input *in,
					  struct pg_detect_result *out)
{
	struct oscar_scan me, other;
	bool toc_me = false, toc_other = false;
	bool me_client = in->dir == PG_DIR_C2S;

	bool ok_me = scan_direction(in->stream, in->stream_len, in->payload,
				    in->payload_len, me_client, &toc_me, &me);
	bool ok_other = in->other_len > 0 &&
			scan_direction(in->other_stream, in->other_len, NULL,
				       0, !me_client, &toc_other, &other);
	if (!ok_me) {
		/* This direction does not frame.  It may have joined in the
		 * middle of a long frame; give it a few packets. */
		return pg_in_grace(in) ? PG_DETECT_MAYBE : PG_DETECT_NO;
	}

	bool toc = toc_me || toc_other;
	struct oscar_scan all = me;
	if (ok_other)
		merge_scan(&all, &other);

	/* How sure the framing is: a lone 0x2A with a plausible length is not
	 * enough; a signon whose TLVs tile exactly, a SNAC whose body parsed,
	 * or sequence numbers that follow one another are. */
	bool strong = false;
	if (toc && (all.frames > 0 || toc_me))
		strong = true;  /* "FLAPON\r\n\r\n" */
	if (all.signon_cookie || all.signon_login)
		strong = true;
	if (all.hello && (all.signon_bare || all.snac_known))
		strong = true;
	if (all.signon_bare && all.snac_known)
		strong = true;
	if (all.snac_parsed)
		strong = true;
	if (all.snac_known && all.seq_follow >= 1)
		strong = true;
	if (!strong) {
		if (in->c2s_packets + in->s2c_packets > OSCAR_GIVE_UP)
			return PG_DETECT_NO;
		return PG_DETECT_MAYBE;
	}

	bool sure;
	enum pg_system sys = oscar_system(&all, &sure);

	/* Login: the authorizer connection (bare or screen-name signon, the
	 * auth family).  BOS and service connections present a cookie.  TOC
	 * runs the whole session on one connection: im. */
	enum pg_feature feat = PG_FEAT_IM;
	if (!toc && !all.signon_cookie &&
	    (all.signon_bare || all.signon_login || all.auth_family))
		feat = PG_FEAT_LOGIN;

	if (all.rv.seen) {
		feat = sys == PG_SYS_ICQ ? all.rv.icq_feat : all.rv.aim_feat;
		if (all.rv.proposal && all.rv.have_ip && all.rv.port != 0)
			pg_expect4(out, all.rv.ip, all.rv.port, sys, feat);
	}
	/* Until something tells AIM from ICQ the answer is a guess; a later
	 * packet may still name a UIN. */
	return pg_match(out, sys, feat, sure ? PG_CONF_STRONG : PG_CONF_WEAK);
}

const struct pg_detector pg_detector_oscar = {
	.name = "oscar",
	.l4_mask = PG_L4_TCP,
	.fn = detect_oscar,
};

/* ------------------------------------------------------------------------ */
/* Peer connections: OFT file transfer, ODC direct IM, rendezvous proxy.    */

static bool oft_type_known(uint16_t t)
{
	switch (t) {
	case 0x0101: /* prompt */
	case 0x0106: /* resume accept */
	case 0x0202: /* ack */
	case 0x0204: /* done */
	case 0x0205: /* resume */
	case 0x0207: /* resume ack */
	case 0x1108: /* get-file listing request */
	case 0x1209: /* listing */
	case 0x120a:
	case 0x120b:
	case 0x120c:
		return true;
	default:
		return false;
	}
}

/* The proxy packet: len16 (bytes after it), 0x044A, command, 4 unknown,
 * flags; then for create/join the screen name, cookie and the capability. */
static enum pg_detect_status detect_proxy(const uint8_t *p, size_t len,
					  struct pg_detect_result *out)
{
	if (len < 12)
		return PG_DETECT_MAYBE;
	size_t plen = pg_be16(p);
	uint16_t cmd = pg_be16(p + 4);
	if (plen < 10 || plen > 1024 || cmd < 1 || cmd > 5)
		return PG_DETECT_NO;
	if (len < plen + 2)
		return PG_DETECT_MAYBE;
	const uint8_t *b = p + 12;
	size_t bl = plen + 2 - 12;

	switch (cmd) {
	case 0x0002: /* create */
	case 0x0004: /* join: screen name, port, cookie, capability */
	{
		if (bl < 1 || 1u + b[0] > bl)
			return PG_DETECT_NO;
		enum sn_kind k = classify_sn(b + 1, b[0]);
		size_t off = 1u + b[0] + (cmd == 4 ? 2u : 0u) + 8u;
		const uint8_t *v;
		size_t vl;
		enum pg_feature aim = PG_FEAT_ANY, icq = PG_FEAT_ANY;
		if (off > bl || !tlv_find(b + off, bl - off, 0x0001, &v, &vl) ||
		    vl != 16 || !capability_feature(v, &aim, &icq))
			return PG_DETECT_NO;
		enum pg_system sys = k == SN_ICQ ? PG_SYS_ICQ : PG_SYS_AIM;
		return pg_match(out, sys, sys == PG_SYS_ICQ ? icq : aim,
				PG_CONF_STRONG);
	}
	case 0x0003: /* acknowledge: port(2) ip(4) */
		if (plen != 16)
			return PG_DETECT_NO;
		return pg_match(out, PG_SYS_AIM, PG_FEAT_ANY, PG_CONF_STRONG);
	case 0x0005: /* ready */
		if (plen != 10)
			return PG_DETECT_NO;
		return pg_match(out, PG_SYS_AIM, PG_FEAT_ANY, PG_CONF_STRONG);
	default: /* error: a code follows */
		return pg_match(out, PG_SYS_AIM, PG_FEAT_ANY, PG_CONF_DECIDE);
	}
}

static enum pg_detect_status peer_start(const uint8_t *p, size_t len,
					struct pg_detect_result *out)
{
	if (len < 4) {
		/* Too short to tell; a prefix of a magic, or of a proxy
		 * header (length, then 04 4A), may still become one. */
		if (len == 0 || pg_prefix_of(p, len, "OFT2") ||
		    pg_prefix_of(p, len, "OFT3") || pg_prefix_of(p, len, "ODC2"))
			return PG_DETECT_MAYBE;
		return len < 3 || p[2] == 0x04 ? PG_DETECT_MAYBE : PG_DETECT_NO;
	}
	if (pg_prefix(p, len, "OFT2") || pg_prefix(p, len, "OFT3")) {
		if (len < 8)
			return PG_DETECT_MAYBE;
		size_t hl = pg_be16(p + 4);
		uint16_t type = pg_be16(p + 6);
		/* Header length: 192 fixed bytes plus the file name field. */
		if (hl < 192 || hl > 2048 || !oft_type_known(type))
			return PG_DETECT_NO;
		enum pg_feature f = (type >> 12) == 1 ? PG_FEAT_FILE_SHARING
						      : PG_FEAT_FILE_TRANSFER;
		return pg_match(out, PG_SYS_AIM, f, PG_CONF_STRONG);
	}
	if (pg_prefix(p, len, "ODC2")) {
		if (len < 12)
			return PG_DETECT_MAYBE;
		size_t hl = pg_be16(p + 4);
		if (hl < 52 || hl > 512 || pg_be16(p + 6) != 0x0001 ||
		    pg_be16(p + 8) != 0x0006)
			return PG_DETECT_NO;
		/* The sender's screen name sits at offset 44 (16 bytes). */
		if (len >= 60) {
			size_t n = 0;
			while (n < 16 && p[44 + n] != 0)
				n++;
			if (classify_sn(p + 44, n) == SN_ICQ)
				return pg_match(out, PG_SYS_ICQ, PG_FEAT_IM,
						PG_CONF_STRONG);
		}
		return pg_match(out, PG_SYS_AIM, PG_FEAT_IMAGES, PG_CONF_STRONG);
	}
	if (p[2] == 0x04 && p[3] == 0x4a)
		return detect_proxy(p, len, out);
	return PG_DETECT_NO;
}

static enum pg_detect_status detect_oscar_peer(const struct pg_detect_input *in,
					       struct pg_detect_result *out)
{
	/* These connections open with their header from either side (the
	 * file's sender speaks first in OFT); nothing mid-session is framed
	 * well enough to find, so only the stream starts count. */
	enum pg_detect_status a = peer_start(in->stream, in->stream_len, out);
	if (a == PG_DETECT_MATCH)
		return a;
	if (in->other_len == 0)
		return a;
	enum pg_detect_status b = peer_start(in->other_stream, in->other_len, out);
	if (b == PG_DETECT_MATCH)
		return b;
	return (a == PG_DETECT_NO && b == PG_DETECT_NO) ? PG_DETECT_NO
							: PG_DETECT_MAYBE;
}

const struct pg_detector pg_detector_oscar_peer = {
	.name = "oscar-peer",
	.l4_mask = PG_L4_TCP,
	.fn = detect_oscar_peer,
};

/* ------------------------------------------------------------------------ */
/* OSCAR over HTTP: the clients' HTTP proxy mode ("GET http://aimhttp.oscar.
 * aol.com/hello", signatures.md 2.5 and 3.1) wraps FLAP in HTTP bodies.    */

/* The proxy-mode host, as an absolute target's authority or a Host value;
 * a ":port" may follow. */
static enum pg_system oscar_http_host(const uint8_t *h, size_t hl)
{
	static const struct {
		const char *name;
		enum pg_system sys;
	} hosts[] = {
		{"aimhttp.oscar.aol.com", PG_SYS_AIM},
		{"http.proxy.icq.com", PG_SYS_ICQ},
	};
	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		size_t n = strlen(hosts[i].name);
		if (hl >= n && pg_prefix_ci(h, hl, hosts[i].name) &&
		    (hl == n || h[n] == ':'))
			return hosts[i].sys;
	}
	return PG_SYS_UNKNOWN;
}

static enum pg_detect_status detect_oscar_http(const struct pg_detect_input *in,
					       struct pg_detect_result *out)
{
	/* The client's request names the host; a server packet re-reads it. */
	struct pg_sides sides = pg_sides_of(in);
	const uint8_t *p = sides.c2s;
	size_t len = sides.c2s_len;
	struct pg_http_msg m;

	if (len == 0)
		return pg_in_grace(in) ? PG_DETECT_MAYBE : PG_DETECT_NO;
	if (!pg_http_read(p, len, &m) || m.kind != PG_HTTP_REQUEST)
		return pg_http_not_yet(&m);
	enum pg_system sys = PG_SYS_UNKNOWN;
	const uint8_t *v, *path;
	size_t vl, pl;
	if (pg_http_split_target(m.rq.target, m.rq.target_len, &v, &vl, &path,
				 &pl))
		sys = oscar_http_host(v, vl);
	if (sys == PG_SYS_UNKNOWN &&
	    pg_http_header(p, m.hdr_len, "Host", &v, &vl))
		sys = oscar_http_host(v, vl);
	if (sys != PG_SYS_UNKNOWN) {
		pg_http_report_host(p, m.hdr_len, out);
		return pg_match(out, sys, PG_FEAT_HTTP_TUNNEL, PG_CONF_STRONG);
	}
	return m.hdr_done || len >= 4096 ? PG_DETECT_NO : PG_DETECT_MAYBE;
}

const struct pg_detector pg_detector_oscar_http = {
	.name = "oscar-http",
	.l4_mask = PG_L4_TCP,
	.fn = detect_oscar_http,
};

/* ------------------------------------------------------------------------ */
/* ICQ v5 over UDP (ICQ 98/99): version 5 little-endian.                    */

enum { ICQ_PORT = 4000, ICQ_MIN_UIN = 10000 };

static bool uin_plausible(uint32_t uin)
{
	return uin >= ICQ_MIN_UIN && uin <= 0x7fffffffu;
}

/* Client packets: 05 00, four zero bytes, UIN (LE), then a body the client
 * scrambles (so the command is not readable).  Returns the UIN or 0. */
static uint32_t icq5_client(const uint8_t *p, size_t len)
{
	if (len < 24 || len > 1024 || p[0] != 5 || p[1] != 0 ||
	    pg_le32(p + 2) != 0)
		return 0;
	uint32_t uin = pg_le32(p + 6);
	return uin_plausible(uin) ? uin : 0;
}

/* Server packets are not scrambled: 05 00, 00, session, command (LE),
 * seq1, seq2, UIN, check.  Commands are decimal multiples of ten. */
static uint32_t icq5_server(const uint8_t *p, size_t len)
{
	if (len < 21 || len > 1024 || p[0] != 5 || p[1] != 0 || p[2] != 0 ||
	    pg_le32(p + 2) == 0)
		return 0;
	uint16_t cmd = pg_le16(p + 7);
	if (cmd == 0 || cmd > 2000 || cmd % 10 != 0)
		return 0;
	uint32_t uin = pg_le32(p + 13);
	return uin_plausible(uin) ? uin : 0;
}

static enum pg_detect_status detect_icq_udp(const struct pg_detect_input *in,
					    struct pg_detect_result *out)
{
	const uint8_t *p = in->payload;
	size_t len = in->payload_len;

	uint32_t cu = icq5_client(p, len), su = 0;
	if (!cu)
		su = icq5_server(p, len);
	if (!cu && !su)
		return PG_DETECT_NO;

	/* The other direction's last datagram, when it is the other kind and
	 * names the same UIN, confirms the exchange. */
	if (in->other_len > 0) {
		uint32_t o = cu ? icq5_server(in->other_stream, in->other_len)
				: icq5_client(in->other_stream, in->other_len);
		if (o != 0 && o == (cu ? cu : su))
			return pg_match(out, PG_SYS_ICQ, PG_FEAT_IM,
					PG_CONF_CERTAIN);
	}
	/* Two version bytes, zeros and a UIN are a thin signature on their
	 * own: strong only on the ICQ server port. */
	bool port = in->server_port == ICQ_PORT || in->client_port == ICQ_PORT;
	return pg_match(out, PG_SYS_ICQ, PG_FEAT_IM,
			port ? PG_CONF_STRONG : PG_CONF_WEAK);
}

const struct pg_detector pg_detector_icq_udp = {
	.name = "icq-udp",
	.l4_mask = PG_L4_UDP,
	.fn = detect_icq_udp,
};
