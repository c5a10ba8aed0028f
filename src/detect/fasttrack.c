/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * KaZaA / FastTrack (Kazaa, Grokster, iMesh, Morpheus <= 2): the HTTP
 * transfers between peers, the push request, the UDP supernode pings that
 * carry the network name in clear, and the encrypted supernode session,
 * which only its handshake sizes betray.
 *
 * Wire facts: signatures.md section 6 (giFT-FastTrack PROTOCOL).
 */
#include "bytes.h"
#include "detectors.h"
#include "http_msg.h"

#include <netinet/in.h>

#include "peergate/packet.h"

enum {
	FT_PORT = 1214,
	FT_HTTP_MAX_HDR = 4096,
	FT_CLIENT_HELLO = 12,  /* rand, outgoing seed, encryption type */
	FT_SERVER_HELLO = 8,   /* incoming seed, encryption type */
	FT_MAX_NETNAME = 32,
};

/* The network names FastTrack clients announced. */
static const char *const ft_networks[] = {
	"KaZaA", "fileshare", "Grokster", "MusicCity", "iMesh",
};

static bool known_network(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < sizeof(ft_networks) / sizeof(ft_networks[0]); i++)
		if (pg_equals(p, len, ft_networks[i]))
			return true;
	return false;
}

/* ------------------------------------------------------------------------ */
/* HTTP transfers and push                                                  */

/* "GIVE <push id>\r\n": a firewalled peer, asked by push, connects out and
 * names itself; nothing but digits between. */
static enum pg_detect_status give_line(const uint8_t *p, size_t len)
{
	if (len < 5)
		return pg_prefix_of(p, len, "GIVE ") ? PG_DETECT_MAYBE
						     : PG_DETECT_NO;
	if (!pg_prefix(p, len, "GIVE "))
		return PG_DETECT_NO;
	size_t d = pg_digits(p + 5, len - 5);
	if (d > 10)
		return PG_DETECT_NO;
	if (5 + d == len)
		return PG_DETECT_MAYBE;
	if (d == 0 || len < 5 + d + 2 || p[5 + d] != '\r' || p[6 + d] != '\n')
		return PG_DETECT_NO;
	return PG_DETECT_MATCH;
}

/* "/.hash=" followed by 40 hex digits (the FastTrack content hash). */
static bool hash_target(const uint8_t *t, size_t tl)
{
	if (!pg_prefix(t, tl, "/.hash="))
		return false;
	size_t n = 0;
	while (7 + n < tl && pg_is_xdigit(t[7 + n]))
		n++;
	return n == 40;
}

/* Headers only FastTrack clients sent. */
static bool kazaa_headers(const uint8_t *hdr, size_t len)
{
	const uint8_t *v;
	size_t vl;

	if (pg_find_ci(hdr, len, "\nX-Kazaa", NULL))
		return true;
	if ((pg_http_header(hdr, len, "User-Agent", &v, &vl) ||
	     pg_http_header(hdr, len, "Server", &v, &vl) ||
	     pg_http_header(hdr, len, "UserAgent", &v, &vl)) &&
	    (pg_prefix_ci(v, vl, "KazaaClient") ||
	     pg_prefix_ci(v, vl, "PeerEnabler/")))
		return true;
	return false;
}

/* What one side's first bytes are. */
enum ft_http_state {
	FT_NOT_HTTP,      /* neither HTTP nor a push line */
	FT_PLAIN_HTTP,    /* a complete HTTP header without FastTrack marks */
	FT_PENDING,       /* could still become either */
	FT_MATCHED,       /* *out filled in */
};

/* One side's first bytes: a push line, a request or a response; *m is
 * what they are as HTTP (kind PG_HTTP_NONE for a push line). */
static enum ft_http_state ft_http(const uint8_t *p, size_t len,
				  struct pg_http_msg *m,
				  struct pg_detect_result *out)
{
	m->kind = PG_HTTP_NONE;
	enum pg_detect_status g = give_line(p, len);
	if (g == PG_DETECT_MATCH) {
		pg_match(out, PG_SYS_FASTTRACK, PG_FEAT_DOWNLOAD,
			 PG_CONF_STRONG);
		return FT_MATCHED;
	}
	if (g == PG_DETECT_MAYBE)
		return FT_PENDING;

	if (!pg_http_read(p, len, m))
		return m->kind == PG_HTTP_PENDING ? FT_PENDING : FT_NOT_HTTP;
	if ((m->kind == PG_HTTP_REQUEST &&
	     hash_target(m->rq.target, m->rq.target_len)) ||
	    kazaa_headers(p, m->hdr_len)) {
		pg_http_report_host(p, m->hdr_len, out);
		pg_match(out, PG_SYS_FASTTRACK, PG_FEAT_DOWNLOAD,
			 PG_CONF_STRONG);
		return FT_MATCHED;
	}
	if (!m->hdr_done && len < FT_HTTP_MAX_HDR)
		return FT_PENDING;
	return FT_PLAIN_HTTP;
}

/* ------------------------------------------------------------------------ */
/* The encrypted supernode session                                          */

/* giFT-FastTrack (and the KaZaA clients of the era) open with this constant
 * "random" word. */
static const uint8_t ft_rand[4] = {0xfa, 0x00, 0xb6, 0x2b};

/*
 * C->S exactly 12 bytes, then S->C the 8-byte seed and encryption type,
 * usually with the encrypted network name (n bytes) right behind; the client
 * answers with its own encrypted network name.  Only sizes are visible.
 */
static enum pg_detect_status ft_handshake(const struct pg_detect_input *in,
					  struct pg_detect_result *out)
{
	bool c2s = in->dir == PG_DIR_C2S;
	struct pg_sides sides = pg_sides_of(in);
	const uint8_t *cs = sides.c2s;
	size_t cl = sides.c2s_len, sl = sides.s2c_len;
	bool port = in->server_port == FT_PORT;

	/* The client speaks first, with exactly 12 bytes. */
	if (cl < FT_CLIENT_HELLO)
		return PG_DETECT_NO;
	/* The client sends its 12 bytes alone and waits for the answer. */
	if (in->c2s_packets == 1 && cl != FT_CLIENT_HELLO)
		return PG_DETECT_NO;
	bool rand = memcmp(cs, ft_rand, 4) == 0;

	if (sl == 0) {
		if (cl != FT_CLIENT_HELLO)
			return PG_DETECT_NO;
		if (rand)
			return pg_match(out, PG_SYS_FASTTRACK, PG_FEAT_NETWORK,
					port ? PG_CONF_CERTAIN : PG_CONF_STRONG);
		if (port)
			return pg_match(out, PG_SYS_FASTTRACK, PG_FEAT_NETWORK,
					PG_CONF_WEAK);
		return PG_DETECT_MAYBE;
	}

	/* The server's first packet: 8 bytes, or 8 plus a short name. */
	if (in->s2c_packets == 1 && !c2s) {
		size_t first = in->payload_len;
		if (cl != FT_CLIENT_HELLO || first < FT_SERVER_HELLO ||
		    first > FT_SERVER_HELLO + FT_MAX_NETNAME)
			return PG_DETECT_NO;
		if (rand || port)
			return pg_match(out, PG_SYS_FASTTRACK, PG_FEAT_NETWORK,
					PG_CONF_STRONG);
		return pg_match(out, PG_SYS_FASTTRACK, PG_FEAT_NETWORK,
				PG_CONF_WEAK);
	}
	/* The client's second packet: its encrypted network name, as long as
	 * the name that followed the server's 8 bytes. */
	if (c2s && in->c2s_packets == 2 && in->s2c_packets == 1) {
		size_t name = in->payload_len;
		if (cl - name != FT_CLIENT_HELLO || sl < FT_SERVER_HELLO ||
		    sl > FT_SERVER_HELLO + FT_MAX_NETNAME)
			return PG_DETECT_NO;
		if (sl > FT_SERVER_HELLO && name == sl - FT_SERVER_HELLO)
			return pg_match(out, PG_SYS_FASTTRACK, PG_FEAT_NETWORK,
					rand || port ? PG_CONF_CERTAIN
						     : PG_CONF_DECIDE);
		return pg_match(out, PG_SYS_FASTTRACK, PG_FEAT_NETWORK,
				rand || port ? PG_CONF_STRONG : PG_CONF_WEAK);
	}
	return PG_DETECT_NO;
}

static enum pg_detect_status detect_fasttrack_tcp(const struct pg_detect_input *in,
						  struct pg_detect_result *out)
{
	/* Transfers and pushes: the first bytes of either side. */
	struct pg_http_msg am, bm;
	enum ft_http_state a = ft_http(in->stream, in->stream_len, &am, out);
	if (a == FT_MATCHED)
		return PG_DETECT_MATCH;
	enum ft_http_state b = FT_NOT_HTTP;
	if (in->other_len > 0) {
		b = ft_http(in->other_stream, in->other_len, &bm, out);
		if (b == FT_MATCHED)
			return PG_DETECT_MATCH;
	} else if (a == FT_PLAIN_HTTP && in->dir == PG_DIR_C2S &&
		   !(am.kind == PG_HTTP_REQUEST &&
		     pg_http_for_web_port(&am.rq, in->server_port))) {
		/* A KaZaA peer's requests carry its marks (/.hash=,
		 * X-Kazaa-*), so a request without them comes from a browser
		 * or download tool, and only the answer would show a KaZaA
		 * peer behind it.  That answer is awaited where peers listen
		 * (1214, a random port); on the ports of web servers and
		 * proxies the request decides, so that ordinary web traffic
		 * is settled on its request.  What that gives up is a
		 * browser fetching from a peer moved to port 80, whose own
		 * peers' requests still show it. */
		b = FT_PENDING;   /* the response has yet to come */
	}
	if (a == FT_PENDING || b == FT_PENDING)
		return PG_DETECT_MAYBE;
	if (a == FT_PLAIN_HTTP || b == FT_PLAIN_HTTP)
		return PG_DETECT_NO;
	memset(out, 0, sizeof(*out));
	return ft_handshake(in, out);
}

/* UDP: 0x27 node ping = 27, minimum encryption type (4), 80, network name
 * NUL-terminated; 0x28 pong ends with the network name too. */
static enum pg_detect_status detect_fasttrack_udp(const struct pg_detect_input *in,
						  struct pg_detect_result *out)
{
	const uint8_t *p = in->payload;
	size_t len = in->payload_len;

	if (len < 8 || len > 64 || p[len - 1] != 0)
		return PG_DETECT_NO;
	if (p[0] == 0x27) {
		if (pg_be32(p + 1) > 0xffff || p[5] != 0x80)
			return PG_DETECT_NO;
		size_t n = len - 7;   /* the name, without its NUL */
		if (n == 0 || n > FT_MAX_NETNAME)
			return PG_DETECT_NO;
		for (size_t i = 0; i < n; i++)
			if (!pg_is_print(p[6 + i]))
				return PG_DETECT_NO;
		return pg_match(out, PG_SYS_FASTTRACK, PG_FEAT_NETWORK,
				known_network(p + 6, n) ? PG_CONF_CERTAIN
							: PG_CONF_STRONG);
	}
	if (p[0] == 0x28) {
		/* Binary fields precede the name, so only a known network
		 * name right before the final NUL counts. */
		for (size_t i = 0; i < sizeof(ft_networks) / sizeof(ft_networks[0]); i++) {
			size_t n = strlen(ft_networks[i]);
			if (len >= 6 + n + 1 &&
			    memcmp(p + len - 1 - n, ft_networks[i], n) == 0)
				return pg_match(out, PG_SYS_FASTTRACK,
						PG_FEAT_NETWORK, PG_CONF_STRONG);
		}
	}
	return PG_DETECT_NO;
}

static enum pg_detect_status detect_fasttrack(const struct pg_detect_input *in,
					      struct pg_detect_result *out)
{
	if (in->l4proto == IPPROTO_UDP)
		return detect_fasttrack_udp(in, out);
	return detect_fasttrack_tcp(in, out);
}

const struct pg_detector pg_detector_fasttrack = {
	.name = "fasttrack",
	.l4_mask = PG_L4_TCP | PG_L4_UDP,
	.fn = detect_fasttrack,
};
