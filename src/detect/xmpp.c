/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * XMPP (Jabber), RFC 6120.
 *
 * A c2s or s2s connection opens with an optional XML declaration and the
 * <stream:stream> start tag, which declares the stream namespace
 * http://etherx.jabber.org/streams: that namespace is the signature (a bare
 * "<?xml" is every SOAP/RSS/config exchange).  The opening is reported as
 * `login` (authentication happens on it); a capture that joins
 * mid-session shows stanzas (<iq>, <presence>, <message>) or stream-level
 * elements in the XMPP namespaces and is reported as `im`.  In-band
 * bytestreams, SI file-transfer offers and Jingle file transfer inside the
 * stream are `file-transfer`.  The stream header's to= (or from=) names
 * the XMPP domain, handed to the engine as host.  BOSH (XEP-0124/0206)
 * carries the stream inside HTTP and is reported as `http-tunnel`.
 *
 * SOCKS5 bytestreams (XEP-0065) are left to the proxy detectors.  Direct
 * TLS on 5223 and the traffic after STARTTLS are TLS: the SNI names the
 * domain.
 */
#include <netinet/in.h>

#include "bytes.h"
#include "detectors.h"
#include "http_msg.h"

enum { XMPP_MAX_TAG = 2048, XMPP_MAX_HTTP = 4096 };

static const char etherx_ns[] = "http://etherx.jabber.org/streams";

static bool xml_space(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool xml_name_char(uint8_t c)
{
	return pg_is_alpha(c) || pg_is_digit(c) || c == ':' || c == '-' ||
	       c == '_' || c == '.';
}

/* Finds attribute `name` (exact, preceded by white space) in a start tag
 * and returns its quoted value. */
static bool xml_attr(const uint8_t *tag, size_t tlen, const char *name,
		     const uint8_t **val, size_t *vlen)
{
	size_t n = strlen(name);
	for (size_t i = 1; i + n + 2 <= tlen; i++) {
		if (!xml_space(tag[i - 1]) || memcmp(tag + i, name, n) != 0)
			continue;
		size_t j = i + n;
		while (j < tlen && xml_space(tag[j]))
			j++;
		if (j >= tlen || tag[j] != '=')
			continue;
		j++;
		while (j < tlen && xml_space(tag[j]))
			j++;
		if (j >= tlen || (tag[j] != '\'' && tag[j] != '"'))
			continue;
		uint8_t q = tag[j++];
		size_t start = j;
		while (j < tlen && tag[j] != q)
			j++;
		if (j >= tlen)
			return false;
		*val = tag + start;
		*vlen = j - start;
		return true;
	}
	return false;
}

/* Namespaces only XMPP uses. */
static bool xmpp_namespace(const uint8_t *p, size_t n)
{
	return pg_find(p, n, "jabber:", NULL) ||
	       pg_find(p, n, "urn:xmpp:", NULL) ||
	       pg_find(p, n, "jabber.org/protocol", NULL) ||
	       pg_find(p, n, "urn:ietf:params:xml:ns:xmpp-", NULL);
}

/* File-transfer negotiations carried in the stream: in-band bytestreams
 * (XEP-0047), stream initiation file transfer (XEP-0096) and Jingle file
 * transfer (XEP-0234). */
static bool xmpp_file_transfer(const uint8_t *p, size_t n)
{
	return pg_find(p, n, "http://jabber.org/protocol/ibb", NULL) ||
	       pg_find(p, n, "http://jabber.org/protocol/si/profile/file-transfer",
		       NULL) ||
	       pg_find(p, n, "urn:xmpp:jingle:apps:file-transfer", NULL);
}

struct xmpp_verdict {
	enum pg_detect_status status;
	enum pg_feature feature;
	uint8_t confidence;
	const uint8_t *host;
	size_t host_len;
};

static struct xmpp_verdict xv(enum pg_detect_status st, enum pg_feature f)
{
	struct xmpp_verdict v = {st, f, PG_CONF_STRONG, NULL, 0};
	return v;
}

/* BOSH: an HTTP request or response whose body is the httpbind <body/>
 * wrapper.  The body may follow the headers in a later segment. */
static struct xmpp_verdict xmpp_http(const uint8_t *s, size_t n)
{
	size_t k = n < XMPP_MAX_HTTP ? n : XMPP_MAX_HTTP;
	if (pg_find(s, k, "http://jabber.org/protocol/httpbind", NULL))
		return xv(PG_DETECT_MATCH, PG_FEAT_HTTP_TUNNEL);
	size_t hdr_end = pg_http_header_end(s, k);
	if (n >= XMPP_MAX_HTTP)
		return xv(PG_DETECT_NO, 0);
	/* Headers done and some body seen without the wrapper: not BOSH. */
	if (hdr_end && n > hdr_end + 64)
		return xv(PG_DETECT_NO, 0);
	return xv(PG_DETECT_MAYBE, 0);
}

/* The first element of a stream, at tag[0] == '<'. */
static struct xmpp_verdict xmpp_element(const uint8_t *tag, size_t avail)
{
	size_t name_end = 1;
	if (avail > 1 && tag[1] == '/')
		name_end = 2;
	while (name_end < avail && xml_name_char(tag[name_end]))
		name_end++;
	if (name_end == avail)
		return xv(avail < 64 ? PG_DETECT_MAYBE : PG_DETECT_NO, 0);
	const uint8_t *name = tag + 1;
	size_t nlen = name_end - 1;
	const uint8_t *gt = memchr(tag, '>', avail < XMPP_MAX_TAG ? avail : XMPP_MAX_TAG);
	if (!gt)
		return xv(avail < XMPP_MAX_TAG ? PG_DETECT_MAYBE : PG_DETECT_NO, 0);
	size_t tlen = (size_t)(gt - tag) + 1;

	/* The stream's closing tag on a connection that joined late. */
	if (name[0] == '/') {
		if (nlen >= 8 && memcmp(name + nlen - 7, ":stream", 7) == 0)
			return xv(PG_DETECT_MATCH, PG_FEAT_IM);
		return xv(PG_DETECT_NO, 0);
	}

	/* The stream header: the element is "stream" in some prefix and the
	 * start tag binds that prefix to the etherx namespace. */
	if (nlen >= 7 && memcmp(name + nlen - 7, ":stream", 7) == 0) {
		if (!pg_find(tag, tlen, etherx_ns, NULL))
			return xv(PG_DETECT_NO, 0);
		struct xmpp_verdict v = xv(PG_DETECT_MATCH, PG_FEAT_LOGIN);
		/* Servers federating (jabber:server) or components exchange
		 * the users' traffic, not a user's sign-on. */
		if (pg_find(tag, tlen, "jabber:server", NULL) ||
		    pg_find(tag, tlen, "jabber:component", NULL))
			v.feature = PG_FEAT_IM;
		if (!xml_attr(tag, tlen, "to", &v.host, &v.host_len))
			(void)xml_attr(tag, tlen, "from", &v.host, &v.host_len);
		return v;
	}
	/* Stanzas and stream-level elements: an XMPP namespace in the first
	 * element or two decides. */
	size_t look = avail < XMPP_MAX_TAG ? avail : XMPP_MAX_TAG;
	bool stanza = pg_equals(name, nlen, "iq") ||
		      pg_equals(name, nlen, "presence") ||
		      pg_equals(name, nlen, "message");
	if (xmpp_namespace(tag, tlen) || (stanza && xmpp_namespace(tag, look))) {
		struct xmpp_verdict v = xv(PG_DETECT_MATCH, PG_FEAT_IM);
		if (pg_find(tag, tlen, "urn:ietf:params:xml:ns:xmpp-sasl", NULL) ||
		    pg_find(tag, tlen, "urn:ietf:params:xml:ns:xmpp-tls", NULL))
			v.feature = PG_FEAT_LOGIN;
		return v;
	}
	/* A chat message carries no namespace of its own, but its shape does:
	 * <message ... type='chat|groupchat|...'><body>. */
	if (stanza && nlen == 7) {
		const uint8_t *t;
		size_t tl;
		if (xml_attr(tag, tlen, "type", &t, &tl) &&
		    pg_find(tag + tlen, look - tlen, "<body", NULL))
			return xv(PG_DETECT_MATCH, PG_FEAT_IM);
	}
	if (stanza && look < XMPP_MAX_TAG && !pg_find(tag, look, "</", NULL))
		return xv(PG_DETECT_MAYBE, 0); /* the children are coming */
	return xv(PG_DETECT_NO, 0);
}

static struct xmpp_verdict xmpp_dir(const uint8_t *s, size_t n)
{
	size_t i = 0;
	while (i < n && xml_space(s[i]))
		i++;
	if (i == n)
		return xv(PG_DETECT_MAYBE, 0);

	if (pg_prefix_of(s + i, n - i, "POST ") ||
	    pg_prefix_of(s + i, n - i, "HTTP/1.")) {
		if (n - i < 7)
			return xv(PG_DETECT_MAYBE, 0);
		return xmpp_http(s + i, n - i);
	}
	if (s[i] != '<')
		return xv(PG_DETECT_NO, 0);

	/* Optional XML declaration. */
	if (pg_prefix_of(s + i, n - i, "<?xml")) {
		if (n - i < 5)
			return xv(PG_DETECT_MAYBE, 0);
		size_t end;
		if (!pg_find(s + i, n - i < 256 ? n - i : 256, "?>", &end))
			return xv(n - i < 256 ? PG_DETECT_MAYBE : PG_DETECT_NO, 0);
		i += end + 2;
		while (i < n && xml_space(s[i]))
			i++;
		if (i == n)
			return xv(PG_DETECT_MAYBE, 0);
		if (s[i] != '<')
			return xv(PG_DETECT_NO, 0);
	}

	return xmpp_element(s + i, n - i);
}

static enum pg_detect_status xmpp_detect(const struct pg_detect_input *in,
					 struct pg_detect_result *out)
{
	const uint8_t *s = in->stream;
	size_t n = in->stream_len, on;
	const uint8_t *o = pg_other(in, &on);
	struct xmpp_verdict a = xmpp_dir(s, n);
	struct xmpp_verdict b = xmpp_dir(o, on);
	const struct xmpp_verdict *m = a.status == PG_DETECT_MATCH ? &a
				      : b.status == PG_DETECT_MATCH ? &b : NULL;
	if (!m) {
		if (a.status == PG_DETECT_NO || b.status == PG_DETECT_NO)
			return PG_DETECT_NO;
		return PG_DETECT_MAYBE;
	}
	enum pg_feature f = m->feature;
	/* The client's stream header names the domain; prefer it. */
	const struct xmpp_verdict *h = in->dir == PG_DIR_C2S ? &a : &b;
	if (!h->host)
		h = m;
	/* A file transfer negotiated later in the stream (this packet, so
	 * offers past the inspection buffer are seen while the engine still
	 * asks). */
	if (f != PG_FEAT_HTTP_TUNNEL &&
	    (xmpp_file_transfer(in->payload, in->payload_len) ||
	     xmpp_file_transfer(s, n)))
		f = PG_FEAT_FILE_TRANSFER;
	pg_set_host_as_sent(out, h->host, h->host_len);
	return pg_match(out, PG_SYS_XMPP, f, m->confidence);
}

const struct pg_detector pg_detector_xmpp = {
	.name = "xmpp",
	.l4_mask = PG_L4_TCP,
	.fn = xmpp_detect,
	.vetoes_port_of = PG_SYS_XMPP,
};
