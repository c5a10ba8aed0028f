/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tor: connections between a client and a relay (feature `network`).
 *
 * Tor speaks ordinary TLS, but dresses it with random names: the client's
 * SNI is "www." + a random base32 label + ".com", and a relay's link
 * certificate (sent in clear up to TLS 1.2) has an issuer CN of the same
 * shape ending ".com" and a subject CN ending ".net".  Both certificate
 * names together are decisive (STRONG); the SNI alone fits plenty of real
 * names and stays WEAK, which never outranks the TLS detector's verdict.
 * Bridges with pluggable transports (obfs4, meek, snowflake) show none of
 * this.
 */
#include <netinet/in.h>

#include "peergate/packet.h"
#include "peergate/tls_hello.h"

#include "bytes.h"
#include "detectors.h"

static bool b32_char(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= '2' && c <= '7');
}

/* "www." + [a-z2-7]{4,32} + tld; *digits tells whether the label holds a
 * base32 digit (random labels nearly always do, words rarely). */
static bool tor_name(const uint8_t *p, size_t n, const char *tld, bool *digits)
{
	size_t tl = strlen(tld);
	if (n < 4 + 4 + tl || n > 4 + 32 + tl || memcmp(p, "www.", 4) != 0 ||
	    memcmp(p + n - tl, tld, tl) != 0)
		return false;
	*digits = false;
	for (size_t i = 4; i < n - tl; i++) {
		if (!b32_char(p[i]))
			return false;
		if (pg_is_digit(p[i]))
			*digits = true;
	}
	return true;
}

/* The client's ClientHello: PG_DETECT_MATCH when its SNI has Tor's shape. */
static enum pg_detect_status tor_client(const uint8_t *s, size_t n, bool *digits)
{
	if (n == 0)
		return PG_DETECT_MAYBE;
	if (s[0] != 0x16)
		return PG_DETECT_NO;
	if (n < 5)
		return PG_DETECT_MAYBE;
	if (s[1] != 0x03 || s[2] > 0x03)
		return PG_DETECT_NO;
	size_t rlen = pg_be16(s + 3);
	size_t have = n - 5 < rlen ? n - 5 : rlen;
	struct pg_tls_frag frag = {s + 5, have};
	struct pg_hello_info info;
	memset(&info, 0, sizeof(info));
	switch (pg_tls_client_hello(&frag, 1, &info)) {
	case PG_HELLO_NOT:
		return PG_DETECT_NO;
	case PG_HELLO_PARTIAL:
		return have < rlen ? PG_DETECT_MAYBE : PG_DETECT_NO;
	default:
		break;
	}
	if (!info.sni || !tor_name(info.sni, info.sni_len, ".com", digits))
		return PG_DETECT_NO;
	return PG_DETECT_MATCH;
}

/* Looks through the server's first bytes for the certificate's common
 * names (OID 2.5.4.3 followed by a string).  Returns MATCH for a Tor link
 * certificate, NO for another certificate, MAYBE when none is in view. */
static enum pg_detect_status tor_server(const uint8_t *s, size_t n)
{
	static const uint8_t cn_oid[5] = {0x06, 0x03, 0x55, 0x04, 0x03};
	bool com = false, net = false, other = false;
	if (n == 0)
		return PG_DETECT_MAYBE;
	if (s[0] != 0x16)
		return PG_DETECT_NO;
	for (size_t i = 0; i + 7 <= n; i++) {
		if (memcmp(s + i, cn_oid, 5) != 0)
			continue;
		uint8_t tag = s[i + 5], len = s[i + 6];
		if ((tag != 0x13 && tag != 0x0c && tag != 0x16) || len > 0x7f ||
		    i + 7 + len > n)
			continue;
		const uint8_t *v = s + i + 7;
		bool d;
		if (tor_name(v, len, ".com", &d))
			com = true;
		else if (tor_name(v, len, ".net", &d))
			net = true;
		else
			other = true;
	}
	if (com && net)
		return PG_DETECT_MATCH;
	return other ? PG_DETECT_NO : PG_DETECT_MAYBE;
}

static enum pg_detect_status tor_detect(const struct pg_detect_input *in,
					struct pg_detect_result *out)
{
	struct pg_sides sides = pg_sides_of(in);
	const uint8_t *c = sides.c2s, *sv = sides.s2c;
	size_t cn = sides.c2s_len, sn = sides.s2c_len;

	bool digits = false;
	enum pg_detect_status cs = tor_client(c, cn, &digits);
	if (cs != PG_DETECT_MATCH)
		return cs == PG_DETECT_NO ? PG_DETECT_NO
		       : sn ? PG_DETECT_NO /* a server that talks first */
			    : PG_DETECT_MAYBE;
	enum pg_detect_status ss = tor_server(sv, sn);
	if (ss == PG_DETECT_MATCH)
		return pg_match(out, PG_SYS_TOR, PG_FEAT_NETWORK, PG_CONF_STRONG);
	if (ss == PG_DETECT_NO)
		return PG_DETECT_NO;
	/* No certificate in view: TLS 1.3 encrypts it.  Give the SNI's shape
	 * as a weak hint once the server's opening flight is in. */
	if (sn >= 1200 && digits)
		return pg_match(out, PG_SYS_TOR, PG_FEAT_NETWORK, PG_CONF_WEAK);
	return sn >= 4096 ? PG_DETECT_NO : PG_DETECT_MAYBE;
}

const struct pg_detector pg_detector_tor = {
	.name = "tor",
	.l4_mask = PG_L4_TCP,
	.fn = tor_detect,
};
