/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * MSN Messenger: MSNP on the notification server (login) and switchboards
 * (IM), the features negotiated inside switchboard messages (legacy
 * text/x-msmsgsinvite invitations and MSNSLP over application/x-msnmsgrp2p),
 * MSNFTP and the MSNP2P direct connection, and the HTTP gateway.
 *
 * Wire facts: signatures.md section 4.
 */
#include "bytes.h"
#include "detectors.h"
#include "http_msg.h"

#include "peergate/packet.h"

enum {
	MSNP_MAX_LINE = 2048,
	MSNP_MAX_PAYLOAD = 65536,
	MSNP_GIVE_UP = 10,       /* payload packets without a decision */
	MSN_HTTP_MAX_HDR = 4096,
};

/* ------------------------------------------------------------------------ */
/* MSNP command lines                                                       */

/* The verbs of MSNP2..MSNP18, notification server and switchboard.  The
 * second column marks commands whose last argument is a payload length. */
struct msnp_verb {
	char name[4];
	bool payload;
};

static const struct msnp_verb msnp_verbs[] = {
	{"ACK", false}, {"ADC", false}, {"ADD", false}, {"ADG", false},
	{"ADL", true},  {"ANS", false}, {"BLP", false}, {"BPR", false},
	{"BYE", false}, {"CAL", false}, {"CHG", false}, {"CHL", false},
	{"CVR", false}, {"FLN", false}, {"FQY", true},  {"GCF", true},
	{"GTC", false}, {"ILN", false}, {"INF", false}, {"IRO", false},
	{"JOI", false}, {"LSG", false}, {"LST", false}, {"MSG", true},
	{"NAK", false}, {"NLN", false}, {"NOT", true},  {"OUT", false},
	{"PNG", false}, {"PRP", false}, {"QNG", false}, {"QRY", true},
	{"REA", false}, {"REG", false}, {"REM", false}, {"RMG", false},
	{"RML", true},  {"RNG", false}, {"SBP", false}, {"SBS", false},
	{"SDC", false}, {"SND", false}, {"SYN", false}, {"UBN", true},
	{"UBX", true},  {"URL", false}, {"USR", false}, {"UUM", true},
	{"UUN", true},  {"UUX", true},  {"VER", false}, {"XFR", false},
};

static const struct msnp_verb *msnp_verb(const uint8_t *p)
{
	for (size_t i = 0; i < sizeof(msnp_verbs) / sizeof(msnp_verbs[0]); i++)
		if (memcmp(p, msnp_verbs[i].name, 3) == 0)
			return &msnp_verbs[i];
	return NULL;
}

struct msnp_cmd {
	char verb[4];
	const uint8_t *args;     /* after "VERB ", up to CR */
	size_t args_len;
	const uint8_t *payload;  /* payload commands: the body */
	size_t payload_len;      /* declared */
	bool has_trid;           /* first argument is a number */
	bool error;              /* a numeric error reply "NNN trid" */
};

enum cmd_parse { CMD_BAD, CMD_PARTIAL, CMD_OK };

/* The i-th space-separated argument of a command. */
static bool msnp_arg(const struct msnp_cmd *c, unsigned idx,
		     const uint8_t **a, size_t *alen)
{
	size_t i = 0;
	for (unsigned k = 0; k <= idx; k++) {
		while (i < c->args_len && c->args[i] == ' ')
			i++;
		if (i == c->args_len)
			return false;
		size_t s = i;
		while (i < c->args_len && c->args[i] != ' ')
			i++;
		if (k == idx) {
			*a = c->args + s;
			*alen = i - s;
			return true;
		}
	}
	return false;
}

static unsigned msnp_argc(const struct msnp_cmd *c)
{
	unsigned n = 0;
	const uint8_t *a;
	size_t al;
	while (msnp_arg(c, n, &a, &al))
		n++;
	return n;
}

/* "user@domain" with printable characters; MSNP13+ prefixes "1:". */
static bool looks_email(const uint8_t *p, size_t len)
{
	size_t at = len;
	if (len >= 2 && pg_is_digit(p[0]) && p[1] == ':') {
		p += 2;
		len -= 2;
	}
	for (size_t i = 0; i < len; i++) {
		if (p[i] == '@' && at == len)
			at = i;
		else if (!pg_is_print(p[i]) || p[i] == ' ')
			return false;
	}
	return at > 0 && at + 3 < len;
}

/*
 * Parses one command at p[0..len): three capital letters (or a three-digit
 * error code), then CRLF or a space and arguments up to CRLF; payload
 * commands are followed by as many bytes as their last argument says.
 */
static enum cmd_parse msnp_parse(const uint8_t *p, size_t len,
				 struct msnp_cmd *c, size_t *used)
{
	const struct msnp_verb *v = NULL;

	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < 3 && i < len; i++)
		if (!(p[i] >= 'A' && p[i] <= 'Z') && !pg_is_digit(p[i]))
			return CMD_BAD;
	if (len < 4)
		return CMD_PARTIAL;
	if (pg_all_digits(p, 3)) {
		if (p[0] == '0')
			return CMD_BAD;
		c->error = true;
	} else if (!(v = msnp_verb(p))) {
		return CMD_BAD;
	}
	if (p[3] != ' ' && p[3] != '\r')
		return CMD_BAD;
	memcpy(c->verb, p, 3);

	size_t i = 3;
	while (i < len && p[i] != '\r') {
		/* Arguments are printable; nicknames are URL-encoded but
		 * some servers pass UTF-8 through. */
		if (p[i] < 0x20 || p[i] == 0x7f)
			return CMD_BAD;
		if (++i > MSNP_MAX_LINE)
			return CMD_BAD;
	}
	if (i + 1 >= len)
		return CMD_PARTIAL;
	if (p[i + 1] != '\n')
		return CMD_BAD;
	c->args = p + (p[3] == ' ' ? 4 : 3);
	c->args_len = (size_t)(p + i - c->args);
	size_t line = i + 2;

	const uint8_t *a;
	size_t al;
	if (msnp_arg(c, 0, &a, &al) && pg_all_digits(a, al))
		c->has_trid = true;
	/* An error is exactly "NNN trid": FTP and SMTP replies ("220 Ready")
	 * carry text after their code. */
	if (c->error && (!c->has_trid || msnp_argc(c) != 1))
		return CMD_BAD;

	if (v && v->payload) {
		unsigned n = msnp_argc(c);
		uint64_t plen;
		if (n == 0 || !msnp_arg(c, n - 1, &a, &al) ||
		    pg_parse_uint(a, al, 6, &plen) != al ||
		    plen > MSNP_MAX_PAYLOAD)
			return CMD_BAD;
		c->payload_len = plen;
		if (line + plen > len)
			return CMD_PARTIAL;
		c->payload = p + line;
		line += plen;
	}
	*used = line;
	return CMD_OK;
}

/* ------------------------------------------------------------------------ */
/* What a run of commands shows                                             */

struct msn_scan {
	unsigned cmds;            /* complete commands */
	unsigned payloads;        /* ... of which carried a complete payload */
	bool login;               /* VER ... MSNPx ... CVR0, USR MD5/TWN/SSO */
	bool sb_auth;             /* USR/ANS trid email cookie: switchboard */
	bool msnftp;              /* VER MSNFTP */
	bool ping_only;           /* only "PNG" so far */
	bool qng;                 /* "QNG n" */
	bool bad;                 /* a line that is not MSNP */
	bool ver_other;           /* VER that is neither MSNP nor MSNFTP */
	enum pg_feature feat;     /* from an invitation or MSNSLP body */
	bool have_addr;           /* an announced peer address */
	uint8_t ip[4];
	uint16_t port;
};

/* A "Name: value" line anywhere in p[0..len) (the line may start the buffer
 * or follow a LF).  Sets the trimmed value. */
static bool find_field(const uint8_t *p, size_t len, const char *name,
		       const uint8_t **val, size_t *vlen)
{
	size_t n = strlen(name);
	for (size_t i = 0; i + n <= len; i++) {
		if ((i == 0 || p[i - 1] == '\n') &&
		    pg_prefix_ci(p + i, len - i, name)) {
			size_t s = i + n;
			while (s < len && p[s] == ' ')
				s++;
			size_t e = s;
			while (e < len && p[e] != '\r' && p[e] != '\n')
				e++;
			*val = p + s;
			*vlen = e - s;
			return true;
		}
	}
	return false;
}

struct guid_feature {
	const char *guid;         /* without braces, upper or lower case */
	enum pg_feature feat;
};

/* Legacy invitation Application-GUIDs and MSNSLP EUF-GUIDs (section 4.3;
 * the whiteboard and application-sharing GUIDs are those Windows Messenger
 * itself registers). */
static const struct guid_feature msn_guids[] = {
	{"5D3E02AB-6190-11D3-BBBB-00C04F795683", PG_FEAT_FILE_TRANSFER},
	{"02D3C01F-BF30-4825-A83A-DE7AF41648AA", PG_FEAT_VOICE_VIDEO},
	{"4BD96FC0-AB17-4425-A14A-439185962DC8", PG_FEAT_VOICE_VIDEO},
	{"1C9AA97E-9C05-4583-A3BD-908A196F1E92", PG_FEAT_VOICE_VIDEO},
	{"2A23868E-B45F-401D-B8B0-1E16B774A5B7", PG_FEAT_VOICE_VIDEO},
	{"F1B1920C-6A3C-4CE7-B18C-AFAB305FD03D", PG_FEAT_APP_SHARING},
	{"44BBA842-CC51-11CF-AAFA-00AA00B6015C", PG_FEAT_APP_SHARING},
	{"1DF57D09-637A-4CA5-91B9-2C3EDAAF62FE", PG_FEAT_WHITEBOARD},
	{"56B994A7-380F-410B-9985-C809D78C1BDC", PG_FEAT_REMOTE_ASSISTANCE},
	/* display pictures and emoticons: part of IM */
	{"A4268EEC-FEC5-49E5-95C3-F126696BDBF6", PG_FEAT_IM},
};

static enum pg_feature guid_feature(const uint8_t *v, size_t vl)
{
	if (vl > 0 && v[0] == '{') {
		v++;
		vl--;
	}
	for (size_t i = 0; i < sizeof(msn_guids) / sizeof(msn_guids[0]); i++) {
		size_t n = strlen(msn_guids[i].guid);
		if (vl >= n && pg_prefix_ci(v, vl, msn_guids[i].guid))
			return msn_guids[i].feat;
	}
	return PG_FEAT_ANY;
}

/* A more specific feature wins over IM, IM over nothing. */
static void note_feature(struct msn_scan *s, enum pg_feature f)
{
	if (f == PG_FEAT_ANY)
		return;
	if (s->feat == PG_FEAT_ANY || s->feat == PG_FEAT_IM)
		s->feat = f;
}

/* IP and port from "IP-Address:"/"Port:" (legacy invitation ACCEPT) or
 * "IPv4Internal-Addrs:"/"IPv4Internal-Port:" and the External pair
 * (MSNSLP transport negotiation). */
static void note_address(struct msn_scan *s, const uint8_t *p, size_t len)
{
	static const char *const pairs[][2] = {
		{"IP-Address:", "Port:"},
		{"IPv4Internal-Addrs:", "IPv4Internal-Port:"},
		{"IPv4External-Addrs:", "IPv4External-Port:"},
	};
	if (s->have_addr)
		return;
	for (size_t i = 0; i < 3; i++) {
		const uint8_t *a, *b;
		size_t al, bl;
		uint8_t ip[4];
		uint64_t port;
		if (!find_field(p, len, pairs[i][0], &a, &al) ||
		    !find_field(p, len, pairs[i][1], &b, &bl))
			continue;
		if (!pg_parse_ipv4(a, al, ip) ||
		    pg_parse_uint(b, bl, 9, &port) == 0 || port == 0 ||
		    port > 65535)
			continue;
		memcpy(s->ip, ip, 4);
		s->port = (uint16_t)port;
		s->have_addr = true;
		return;
	}
}

/* The body of a MSG: invitations and MSNSLP name the feature. */
static void scan_msg_body(const uint8_t *p, size_t len, struct msn_scan *s)
{
	const uint8_t *v;
	size_t vl;

	if (!find_field(p, len, "Content-Type:", &v, &vl))
		return;
	if (pg_prefix_ci(v, vl, "text/x-msmsgsinvite")) {
		if (find_field(p, len, "Application-GUID:", &v, &vl))
			note_feature(s, guid_feature(v, vl));
		note_address(s, p, len);
	} else if (pg_prefix_ci(v, vl, "application/x-msnmsgrp2p")) {
		/* A 48-byte binary header precedes the SLP text, so the
		 * fields are found by their line starts. */
		if (find_field(p, len, "EUF-GUID:", &v, &vl))
			note_feature(s, guid_feature(v, vl));
		else if (find_field(p, len, "AppID:", &v, &vl) && vl == 1 &&
			 v[0] == '2')
			note_feature(s, PG_FEAT_FILE_TRANSFER);
		note_address(s, p, len);
	}
}

/* VER's arguments after the trid: protocol names "MSNP<n>" (and "CVR0"). */
static bool ver_msnp(const struct msnp_cmd *c)
{
	const uint8_t *a;
	size_t al;
	bool msnp = false;
	for (unsigned i = 1; msnp_arg(c, i, &a, &al); i++) {
		if (al >= 5 && al <= 6 && memcmp(a, "MSNP", 4) == 0 &&
		    pg_all_digits(a + 4, al - 4))
			msnp = true;
		else if (!(al == 4 && memcmp(a, "CVR", 3) == 0))
			return false;
	}
	return msnp;
}

/* One command: what it shows about the session. */
static void judge_cmd(const struct msnp_cmd *c, bool first,
		      struct msn_scan *s)
{
	const uint8_t *a;
	size_t al;

	s->cmds++;
	if (c->payload) {
		s->payloads++;
		if (memcmp(c->verb, "MSG", 3) == 0)
			scan_msg_body(c->payload, c->payload_len, s);
	}
	if (memcmp(c->verb, "PNG", 3) != 0)
		s->ping_only = false;
	else if (first)
		s->ping_only = true;

	if (memcmp(c->verb, "VER", 3) == 0) {
		if (msnp_arg(c, 0, &a, &al) && al == 6 &&
		    memcmp(a, "MSNFTP", 6) == 0) {
			s->msnftp = true;
		} else if (c->has_trid && ver_msnp(c)) {
			s->login = true;   /* VER trid MSNPx [MSNPy ...] CVR0 */
		} else {
			s->ver_other = true;
		}
	} else if (memcmp(c->verb, "USR", 3) == 0 ||
		   memcmp(c->verb, "ANS", 3) == 0) {
		const uint8_t *b;
		size_t bl;
		if (!c->has_trid || !msnp_arg(c, 1, &a, &al))
			return;
		if (memcmp(c->verb, "USR", 3) == 0 && msnp_arg(c, 2, &b, &bl) &&
		    bl == 1 && (b[0] == 'I' || b[0] == 'S') &&
		    ((al == 3 && (memcmp(a, "MD5", 3) == 0 ||
				  memcmp(a, "TWN", 3) == 0 ||
				  memcmp(a, "SSO", 3) == 0))))
			s->login = true;
		else if (looks_email(a, al) && msnp_arg(c, 2, &b, &bl))
			s->sb_auth = true;  /* USR/ANS trid email cookie */
		else if (pg_equals(a, al, "OK") &&
			 msnp_arg(c, 2, &b, &bl) && looks_email(b, bl))
			s->sb_auth = true;  /* USR trid OK email nick */
	} else if (memcmp(c->verb, "QNG", 3) == 0) {
		if (msnp_arg(c, 0, &a, &al) && pg_all_digits(a, al))
			s->qng = true;
	}
}

/* Parses commands from p[0]; stops at the first partial one. */
static void scan_cmds(const uint8_t *p, size_t len, struct msn_scan *s)
{
	size_t off = 0;
	bool first = true;
	while (off < len) {
		struct msnp_cmd c;
		size_t used = 0;
		enum cmd_parse r = msnp_parse(p + off, len - off, &c, &used);
		if (r == CMD_BAD) {
			s->bad = true;
			return;
		}
		if (r == CMD_PARTIAL)
			return;
		judge_cmd(&c, first, s);
		first = false;
		off += used;
	}
}

/* The MSNP2P direct connection's first packet: length 4, then "foo\0". */
static const uint8_t p2p_foo[8] = {0x04, 0x00, 0x00, 0x00, 'f', 'o', 'o', 0x00};

static bool scan_buffer(const uint8_t *stream, size_t slen,
			const uint8_t *pkt, size_t plen, struct msn_scan *s)
{
	memset(s, 0, sizeof(*s));
	scan_cmds(stream, slen, s);
	if (!s->bad)
		return true;
	if (pkt && pkt != stream && plen > 0) {
		/* The stream did not start on a command: a flow joined in
		 * the middle, so try this packet on its own. */
		memset(s, 0, sizeof(*s));
		scan_cmds(pkt, plen, s);
		return !s->bad;
	}
	return false;
}

/* The MSNP2P direct connection: "foo\0" with a length prefix, then a
 * 48-byte nonce packet prefixed by its length (0x30).  True when the
 * client's bytes c2s[0..n) settle it, with the verdict in *st. */
static bool msnp2p_direct(const uint8_t *c2s, size_t n,
			  struct pg_detect_result *out,
			  enum pg_detect_status *st)
{
	if (n == 0 || c2s[0] != 0x04 ||
	    memcmp(c2s, p2p_foo, n < 8 ? n : 8) != 0)
		return false;
	if (n < 8)
		*st = PG_DETECT_MAYBE;
	else if (n >= 12 && pg_le32(c2s + 8) == 48)
		*st = pg_match(out, PG_SYS_MSN, PG_FEAT_FILE_TRANSFER,
			       PG_CONF_STRONG);
	else if (n == 8)
		*st = pg_match(out, PG_SYS_MSN, PG_FEAT_FILE_TRANSFER,
			       PG_CONF_WEAK);
	else
		return false;
	return true;
}

/* Adds what the other direction showed to this one's scan. */
static void merge_other(struct msn_scan *all, const struct msn_scan *other)
{
	all->cmds += other->cmds;
	all->payloads += other->payloads;
	all->login |= other->login;
	all->sb_auth |= other->sb_auth;
	all->msnftp |= other->msnftp;
	all->qng |= other->qng;
	note_feature(all, other->feat);
	if (!all->have_addr && other->have_addr) {
		all->have_addr = true;
		memcpy(all->ip, other->ip, 4);
		all->port = other->port;
	}
}

static enum pg_detect_status detect_msn(const struct pg_detect_input *in,
					struct pg_detect_result *out)
{
	struct pg_sides sides = pg_sides_of(in);
	enum pg_detect_status st;
	if (msnp2p_direct(sides.c2s, sides.c2s_len, out, &st))
		return st;

	struct msn_scan me, other;
	bool ok_me = scan_buffer(in->stream, in->stream_len, in->payload,
				 in->payload_len, &me);
	bool ok_other = in->other_len > 0 &&
			scan_buffer(in->other_stream, in->other_len, NULL, 0,
				    &other);
	if (!ok_me)
		return pg_in_grace(in) ? PG_DETECT_MAYBE : PG_DETECT_NO;
	if (me.ver_other && me.cmds == 1 && !me.login && !me.msnftp)
		return PG_DETECT_NO;   /* "VER" of some other protocol */

	struct msn_scan all = me;
	if (ok_other)
		merge_other(&all, &other);

	if (all.msnftp)
		return pg_match(out, PG_SYS_MSN, PG_FEAT_FILE_TRANSFER,
				PG_CONF_STRONG);

	enum pg_feature feat = PG_FEAT_ANY;
	uint8_t conf = 0;
	if (all.login) {
		feat = PG_FEAT_LOGIN;
		conf = PG_CONF_CERTAIN;
	} else if (all.sb_auth) {
		feat = PG_FEAT_IM;
		conf = PG_CONF_STRONG;
	} else if (all.payloads >= 1 && all.cmds >= 2) {
		/* A payload whose declared length lands exactly on the next
		 * command is hard to fake. */
		feat = PG_FEAT_IM;
		conf = PG_CONF_STRONG;
	} else if ((me.ping_only || (ok_other && other.ping_only)) && all.qng) {
		feat = PG_FEAT_IM;   /* PNG answered by QNG n */
		conf = PG_CONF_STRONG;
	} else if (all.cmds >= 3) {
		feat = PG_FEAT_IM;
		conf = PG_CONF_STRONG;
	} else if (all.cmds >= 1 && all.payloads >= 1) {
		feat = PG_FEAT_IM;
		conf = PG_CONF_DECIDE;
	}
	if (!conf) {
		if (in->c2s_packets + in->s2c_packets > MSNP_GIVE_UP)
			return PG_DETECT_NO;
		return PG_DETECT_MAYBE;
	}
	if (all.feat != PG_FEAT_ANY && all.feat != PG_FEAT_IM)
		feat = all.feat;
	if (all.have_addr)
		pg_expect4(out, all.ip, all.port, PG_SYS_MSN,
			   feat == PG_FEAT_LOGIN || feat == PG_FEAT_IM
				   ? PG_FEAT_ANY : feat);
	return pg_match(out, PG_SYS_MSN, feat, conf);
}

const struct pg_detector pg_detector_msn = {
	.name = "msn",
	.l4_mask = PG_L4_TCP,
	.fn = detect_msn,
};

/* ------------------------------------------------------------------------ */
/* The HTTP gateway: MSNP inside HTTP POSTs to gateway.dll.                 */

static bool msn_http_markers(const uint8_t *hdr, size_t len)
{
	const uint8_t *v;
	size_t vl;
	if (pg_http_header(hdr, len, "X-MSN-Messenger", &v, &vl))
		return true;
	if (pg_http_header(hdr, len, "Content-Type", &v, &vl) &&
	    pg_prefix_ci(v, vl, "application/x-msn-messenger"))
		return true;
	return false;
}

/* One side's HTTP message at p: MATCH, NO (HTTP but not the gateway, or
 * not HTTP), or MAYBE (header incomplete). */
static enum pg_detect_status msn_http_one(const uint8_t *p, size_t len,
					  struct pg_detect_result *out)
{
	struct pg_http_msg m;
	if (!pg_http_read(p, len, &m))
		return pg_http_not_yet(&m);
	const uint8_t *t = m.rq.target;
	size_t tl = m.rq.target_len;
	if ((m.kind == PG_HTTP_REQUEST &&
	     (pg_find_ci(t, tl, "/gateway/gateway.dll", NULL) ||
	      pg_find_ci(t, tl, "/gateway.dll?", NULL))) ||
	    msn_http_markers(p, m.hdr_len)) {
		pg_http_report_host(p, m.hdr_len, out);
		return pg_match(out, PG_SYS_MSN, PG_FEAT_HTTP_TUNNEL,
				PG_CONF_STRONG);
	}
	if (!m.hdr_done && len < MSN_HTTP_MAX_HDR)
		return PG_DETECT_MAYBE;
	return PG_DETECT_NO;
}

static enum pg_detect_status detect_msn_http(const struct pg_detect_input *in,
					     struct pg_detect_result *out)
{
	/* The request names gateway.dll; the response carries X-MSN-Messenger.
	 * Either side is enough. */
	enum pg_detect_status a = msn_http_one(in->stream, in->stream_len, out);
	if (a == PG_DETECT_MATCH)
		return a;
	/* A keep-alive connection joined mid-way: this packet may start a
	 * later request or response. */
	if (pg_packet_starts_later(in) &&
	    msn_http_one(in->payload, in->payload_len, out) == PG_DETECT_MATCH)
		return PG_DETECT_MATCH;
	/* A complete request that does not name the gateway settles it: the
	 * gateway's requests always do. */
	struct pg_http_request rq;
	if (a == PG_DETECT_NO && in->dir == PG_DIR_C2S &&
	    pg_http_request_line(in->stream, in->stream_len, &rq) == PG_HTTP_OK)
		return PG_DETECT_NO;
	enum pg_detect_status b = PG_DETECT_MAYBE;
	if (in->other_len > 0) {
		b = msn_http_one(in->other_stream, in->other_len, out);
		if (b == PG_DETECT_MATCH)
			return b;
	}
	if (a == PG_DETECT_NO && (b == PG_DETECT_NO || !pg_in_grace(in)))
		return PG_DETECT_NO;
	return PG_DETECT_MAYBE;
}

const struct pg_detector pg_detector_msn_http = {
	.name = "msn-http",
	.l4_mask = PG_L4_TCP,
	.fn = detect_msn_http,
};
