/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SOCKS4 / SOCKS4a and SOCKS5 (RFC 1928, RFC 1929) proxy requests: a way
 * around a block, and the place where the real destination shows
 * (signatures.md §14).  The client's opening is only a few bytes, so a match
 * needs the exchange to agree with itself: SOCKS4 waits for the server's
 * reply; SOCKS5 needs its method choice, or a pipelined request, before the
 * request names the target.
 *
 * The host is reported for SOCKS4a and SOCKS5 domain targets.  IP targets
 * get no host: it must point into the input, and the bytes there are binary.
 */
#include "peergate/detect.h"

#include "bytes.h"
#include "detectors.h"

/* Longest SOCKS4 user id we wait for (the protocol sets no limit; real
 * clients send an empty one or a short user name). */
#define SOCKS4_MAX_FIELD 255
#define SOCKS5_MAX_METHODS 9

static enum pg_detect_status socks_match(struct pg_detect_result *out,
					 enum pg_feature feat,
					 const uint8_t *host, size_t host_len)
{
	pg_set_host(out, host, host_len);
	return pg_match(out, PG_SYS_PROXY, feat, PG_CONF_STRONG);
}

/* Finds the NUL that ends a printable field at p[off..n): its offset in *at.
 * 1 found, 0 not yet, -1 impossible. */
static int nul_field(const uint8_t *p, size_t n, size_t off, bool host,
		     size_t *at)
{
	for (size_t i = off; i < n; i++) {
		if (p[i] == 0) {
			*at = i;
			return 1;
		}
		if (i - off >= SOCKS4_MAX_FIELD)
			return -1;
		if (host ? !pg_is_host_char(p[i]) : (p[i] < 0x20 || p[i] > 0x7e))
			return -1;
	}
	return 0;
}

static enum pg_detect_status socks4(const struct pg_sides *s,
				    struct pg_detect_result *out)
{
	const uint8_t *c = s->c2s;
	size_t n = s->c2s_len;

	/* 04 CMD(01 connect, 02 bind) PORT(2) IP(4) USERID 00 [HOST 00] */
	if (n >= 2 && c[1] != 1 && c[1] != 2)
		return PG_DETECT_NO;
	if (n < 9)
		return PG_DETECT_MAYBE;
	if (c[2] == 0 && c[3] == 0)
		return PG_DETECT_NO; /* port 0 */
	size_t uid_end, host_end = 0;
	int f = nul_field(c, n, 8, false, &uid_end);
	if (f <= 0)
		return f < 0 ? PG_DETECT_NO : PG_DETECT_MAYBE;
	/* 4a: IP 0.0.0.x with x != 0 means "the name follows". */
	bool is4a = c[4] == 0 && c[5] == 0 && c[6] == 0 && c[7] != 0;
	if (is4a) {
		f = nul_field(c, n, uid_end + 1, true, &host_end);
		if (f < 0 || (f > 0 && host_end == uid_end + 1))
			return PG_DETECT_NO;
		if (f == 0)
			return PG_DETECT_MAYBE;
	} else if (c[4] == 0 && c[5] == 0 && c[6] == 0) {
		return PG_DETECT_NO; /* 0.0.0.0 */
	}

	/* Reply: 00 STATUS(5A granted, 5B-5D refused) PORT(2) IP(4). */
	const uint8_t *r = s->s2c;
	size_t rn = s->s2c_len;
	if (rn >= 1 && r[0] != 0)
		return PG_DETECT_NO;
	if (rn >= 2 && (r[1] < 0x5a || r[1] > 0x5d))
		return PG_DETECT_NO;
	if (rn < 8)
		return PG_DETECT_MAYBE;
	if (is4a)
		return socks_match(out, PG_FEAT_SOCKS4, c + uid_end + 1,
				   host_end - uid_end - 1);
	return socks_match(out, PG_FEAT_SOCKS4, NULL, 0);
}

static bool socks5_method_known(uint8_t m)
{
	/* 00 none, 01 GSSAPI, 02 user/password, 03 and 05-09 IANA-assigned
	 * (04 is unassigned), 80-FE private. */
	return (m <= 0x09 && m != 0x04) || (m >= 0x80 && m != 0xff);
}

/* The request q[0..qn), at least one byte:
 * 05 CMD(01-03) 00 ATYP(01 IPv4, 03 name, 04 IPv6) ADDR PORT */
static enum pg_detect_status socks5_request(const uint8_t *q, size_t qn,
					    struct pg_detect_result *out)
{
	if (q[0] != 5 || (qn >= 2 && (q[1] < 1 || q[1] > 3)) ||
	    (qn >= 3 && q[2] != 0))
		return PG_DETECT_NO;
	if (qn < 5)
		return PG_DETECT_MAYBE;
	size_t need;
	switch (q[3]) {
	case 1:
		need = 4 + 4 + 2;
		break;
	case 4:
		need = 4 + 16 + 2;
		break;
	case 3:
		if (q[4] == 0)
			return PG_DETECT_NO;
		need = 4 + 1 + (size_t)q[4] + 2;
		break;
	default:
		return PG_DETECT_NO;
	}
	if (qn < need)
		return PG_DETECT_MAYBE;
	if (q[3] == 3) /* a name that is not a host name is just dropped */
		return socks_match(out, PG_FEAT_SOCKS5, q + 5, q[4]);
	return socks_match(out, PG_FEAT_SOCKS5, NULL, 0);
}

static enum pg_detect_status socks5(const struct pg_sides *s,
				    struct pg_detect_result *out)
{
	const uint8_t *c = s->c2s;
	size_t n = s->c2s_len;

	/* Greeting: 05 NMETHODS METHODS... */
	if (n < 2)
		return PG_DETECT_MAYBE;
	size_t nm = c[1];
	if (nm == 0 || nm > SOCKS5_MAX_METHODS)
		return PG_DETECT_NO;
	if (n < 2 + nm)
		return PG_DETECT_MAYBE;
	bool basic = false;
	for (size_t i = 0; i < nm; i++) {
		uint8_t m = c[2 + i];
		if (!socks5_method_known(m))
			return PG_DETECT_NO;
		for (size_t j = 0; j < i; j++)
			if (c[2 + j] == m)
				return PG_DETECT_NO;
		if (m <= 0x02)
			basic = true;
	}
	if (!basic)
		return PG_DETECT_NO;
	size_t off = 2 + nm;

	/* Method choice: 05 METHOD, one of those offered or FF (none). */
	const uint8_t *r = s->s2c;
	size_t rn = s->s2c_len;
	int chosen = -1;
	if (rn >= 1 && r[0] != 5)
		return PG_DETECT_NO;
	if (rn >= 2) {
		chosen = r[1];
		bool offered = chosen == 0xff;
		for (size_t i = 0; i < nm; i++)
			if (c[2 + i] == chosen)
				offered = true;
		if (!offered)
			return PG_DETECT_NO;
		if (chosen == 0xff) /* refused, but a SOCKS5 exchange */
			return socks_match(out, PG_FEAT_SOCKS5, NULL, 0);
		if (chosen != 0x00 && chosen != 0x02)
			/* GSSAPI and private methods: we cannot follow the
			 * negotiation to the request. */
			return socks_match(out, PG_FEAT_SOCKS5, NULL, 0);
	}
	if (n == off)
		return PG_DETECT_MAYBE;

	if (chosen == 0x02) {
		/* RFC 1929: 01 ULEN UNAME PLEN PASSWD */
		if (c[off] != 0x01)
			return PG_DETECT_NO;
		if (n - off < 2)
			return PG_DETECT_MAYBE;
		size_t ulen = c[off + 1];
		if (ulen == 0)
			return PG_DETECT_NO;
		if (n - off < 3 + ulen)
			return PG_DETECT_MAYBE;
		size_t plen = c[off + 2 + ulen];
		if (n - off < 3 + ulen + plen)
			return PG_DETECT_MAYBE;
		off += 3 + ulen + plen;
		if (n == off)
			return PG_DETECT_MAYBE;
	}

	return socks5_request(c + off, n - off, out);
}

static enum pg_detect_status socks_detect(const struct pg_detect_input *in,
					  struct pg_detect_result *out)
{
	struct pg_sides s = pg_sides_of(in);

	/* Client-first: a server that speaks first is not a SOCKS server. */
	if (s.c2s_len == 0)
		return s.s2c_len ? PG_DETECT_NO : PG_DETECT_MAYBE;
	switch (s.c2s[0]) {
	case 4:
		return socks4(&s, out);
	case 5:
		return socks5(&s, out);
	default:
		return PG_DETECT_NO;
	}
}

const struct pg_detector pg_detector_socks = {
	.name = "socks",
	.l4_mask = PG_L4_TCP,
	.fn = socks_detect,
};
