/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * TLS over TCP: the ClientHello's server_name (RFC 8446 §4.1.2, RFC 6066 §3)
 * is what names the service behind port 443, so the detector's main job is
 * to hand it to the host patterns.  The ClientHello is read from the
 * reassembled stream and may span segments and records (signatures.md §1,
 * §15).  Flows seen from the middle (capture or gateway started late) are
 * still recognised from a ServerHello or from a run of well-formed records.
 */
#include "peergate/detect.h"
#include "peergate/tls_hello.h"

#include <string.h>

#include "bytes.h"
#include "detectors.h"

#define TLS_HANDSHAKE 0x16
/* RFC 8446 §5.1: a record's fragment is at most 2^14 bytes; ciphertext may
 * add up to 256 (TLS 1.3) or 2048 (TLS 1.2) bytes. */
#define TLS_MAX_RECORD (16384 + 2048)
/* Records we follow for one handshake message.  Legitimate ClientHellos use
 * one or two; splitting into many tiny records is an evasion trick, and
 * past this many we settle for "TLS without a name". */
#define TLS_MAX_FRAGS 32
/* Detector runs on the client's side after which an unfinished
 * ClientHello no longer holds the decision back (the inspection buffer may
 * be full).  Runs, not packets: the engine spaces them out by bytes for a
 * stream cut into tiny segments, so cutting a ClientHello finely cannot
 * hide its server name. */
#define TLS_MAX_WAIT_PACKETS 64

/* A read cursor over the pieces of one handshake message. */
struct hs_reader {
	const struct pg_tls_frag *frags;
	size_t nfrags;
	size_t avail;   /* bytes present over all pieces */
	size_t limit;   /* end of the message, once its header is known */
};

/* 1: p[off..off+len) is present; 0: within the message but not here yet;
 * -1: runs past the end of the message (malformed). */
static int hs_need(const struct hs_reader *r, size_t off, size_t len)
{
	if (len > r->limit || off > r->limit - len)
		return -1;
	return off + len <= r->avail ? 1 : 0;
}

static uint8_t hs_byte(const struct hs_reader *r, size_t off)
{
	for (size_t i = 0; i < r->nfrags; i++) {
		if (off < r->frags[i].len)
			return r->frags[i].p[off];
		off -= r->frags[i].len;
	}
	return 0; /* callers check hs_need first */
}

static size_t hs_be16(const struct hs_reader *r, size_t off)
{
	return (size_t)hs_byte(r, off) << 8 | hs_byte(r, off + 1);
}

/* Pointer to len bytes at off when they sit in one piece, else NULL. */
static const uint8_t *hs_span(const struct hs_reader *r, size_t off, size_t len)
{
	for (size_t i = 0; i < r->nfrags; i++) {
		if (off < r->frags[i].len)
			return len <= r->frags[i].len - off ? r->frags[i].p + off
							    : NULL;
		off -= r->frags[i].len;
	}
	return NULL;
}

/* The server_name extension body (RFC 6066 §3). */
static enum pg_hello_status read_sni(const struct hs_reader *r, size_t off,
				     size_t len, struct pg_hello_info *info)
{
	if (len < 2 || hs_be16(r, off) != len - 2)
		return PG_HELLO_NOT;
	size_t p = off + 2, end = off + len;
	while (p < end) {
		if (end - p < 3)
			return PG_HELLO_NOT;
		uint8_t type = hs_byte(r, p);
		size_t nlen = hs_be16(r, p + 1);
		if (nlen > end - p - 3)
			return PG_HELLO_NOT;
		if (type == 0 && nlen > 0) {
			const uint8_t *name = hs_span(r, p + 3, nlen);
			if (name) {
				info->sni = name;
				info->sni_len = nlen;
			} else {
				info->sni_split = true;
			}
			return PG_HELLO_DONE;
		}
		p += 3 + nlen;
	}
	return PG_HELLO_DONE;
}

#define NEED(off, len)                                   \
	do {                                             \
		int need_ = hs_need(&r, (off), (len));   \
		if (need_ < 0)                           \
			return PG_HELLO_NOT;             \
		if (need_ == 0)                          \
			return PG_HELLO_PARTIAL;         \
	} while (0)

/* ClientHello (type 1) or ServerHello (type 2): the two share their first
 * fields; the ServerHello has a single cipher suite and compression byte. */
static enum pg_hello_status parse_hello(const struct pg_tls_frag *frags,
					size_t nfrags, uint8_t want_type,
					struct pg_hello_info *info)
{
	struct hs_reader r = {.frags = frags, .nfrags = nfrags, .limit = 4};
	memset(info, 0, sizeof(*info));
	for (size_t i = 0; i < nfrags; i++)
		r.avail += frags[i].len;

	/* The header alone can already rule the message out. */
	if (r.avail >= 1 && hs_byte(&r, 0) != want_type)
		return PG_HELLO_NOT;
	if (r.avail >= 2 && hs_byte(&r, 1) != 0)
		return PG_HELLO_NOT; /* hellos are far below 64 KiB */
	NEED(0, 4);
	size_t len = hs_be16(&r, 2);
	if (len < 2 + 32 + 1 + 2 + 1)
		return PG_HELLO_NOT;
	r.limit = 4 + len;

	size_t off = 4;
	NEED(off, 2);
	if (hs_byte(&r, off) != 3 || hs_byte(&r, off + 1) > 4)
		return PG_HELLO_NOT;
	off += 2 + 32;
	NEED(off, 1);
	size_t sid = hs_byte(&r, off);
	if (sid > 32)
		return PG_HELLO_NOT;
	off += 1 + sid;
	if (want_type == 1) {
		NEED(off, 2);
		size_t cs = hs_be16(&r, off);
		if (cs < 2 || (cs & 1))
			return PG_HELLO_NOT;
		off += 2 + cs;
		NEED(off, 1);
		size_t comp = hs_byte(&r, off);
		if (comp < 1)
			return PG_HELLO_NOT;
		off += 1 + comp;
	} else {
		off += 2 + 1; /* cipher_suite, compression_method */
	}
	NEED(off, 0);
	if (off == r.limit) { /* TLS 1.0-era hello without extensions */
		info->complete = true;
		return PG_HELLO_DONE;
	}
	NEED(off, 2);
	if (off + 2 + hs_be16(&r, off) != r.limit)
		return PG_HELLO_NOT;
	off += 2;
	while (off < r.limit) {
		NEED(off, 4);
		size_t type = hs_be16(&r, off);
		size_t elen = hs_be16(&r, off + 2);
		NEED(off + 4, elen);
		if (type == 0 && want_type == 1) {
			enum pg_hello_status s = read_sni(&r, off + 4, elen, info);
			if (s != PG_HELLO_DONE)
				return s;
			if (info->sni || info->sni_split)
				return PG_HELLO_DONE;
		}
		off += 4 + elen;
	}
	info->complete = true;
	return PG_HELLO_DONE;
}

#undef NEED

enum pg_hello_status pg_tls_client_hello(const struct pg_tls_frag *frags,
					 size_t nfrags,
					 struct pg_hello_info *info)
{
	return parse_hello(frags, nfrags, 1, info);
}

bool pg_tls_scan_sni(const uint8_t *p, size_t n, const uint8_t **sni,
		     size_t *sni_len)
{
	/* 00 00 | ext_len | list_len = ext_len - 2 | 00 | name_len = list_len - 3 | name */
	for (size_t i = 0; n >= 9 && i <= n - 9; i++) {
		if (p[i] != 0 || p[i + 1] != 0 || p[i + 6] != 0)
			continue;
		size_t ext = (size_t)p[i + 2] << 8 | p[i + 3];
		size_t list = (size_t)p[i + 4] << 8 | p[i + 5];
		size_t name = (size_t)p[i + 7] << 8 | p[i + 8];
		if (ext < 6 || list != ext - 2 || name != list - 3)
			continue;
		if (name > n - i - 9 || !pg_valid_host(p + i + 9, name))
			continue;
		/* A bare label is not worth the risk of a chance match. */
		if (!memchr(p + i + 9, '.', name))
			continue;
		*sni = p + i + 9;
		*sni_len = name;
		return true;
	}
	return false;
}

static bool record_header_ok(const uint8_t *p)
{
	return p[0] >= 0x14 && p[0] <= 0x17 && p[1] == 3 && p[2] >= 1 &&
	       p[2] <= 4;
}

/*
 * Collects the handshake records at the start of a stream and parses the
 * hello they carry.  Stops at the first record of another type: nothing but
 * the hello can precede the peer's answer.
 */
static enum pg_hello_status hello_from_records(const uint8_t *s, size_t n,
					       uint8_t want_type,
					       struct pg_hello_info *info)
{
	struct pg_tls_frag frags[TLS_MAX_FRAGS];
	size_t nf = 0, off = 0;
	bool can_grow = true;

	memset(info, 0, sizeof(*info));
	while (off < n) {
		if (n - off < 5) {
			/* Check what we have of the header. */
			if (s[off] != TLS_HANDSHAKE ||
			    (n - off >= 2 && s[off + 1] != 3) ||
			    (n - off >= 3 && s[off + 2] > 4))
				can_grow = false;
			break;
		}
		if (s[off] != TLS_HANDSHAKE || !record_header_ok(s + off)) {
			can_grow = false;
			break;
		}
		size_t rlen = (size_t)s[off + 3] << 8 | s[off + 4];
		if (rlen == 0 || rlen > TLS_MAX_RECORD) {
			can_grow = false;
			break;
		}
		size_t take = n - off - 5 < rlen ? n - off - 5 : rlen;
		frags[nf].p = s + off + 5;
		frags[nf].len = take;
		nf++;
		off += 5 + take;
		if (take < rlen)
			break;
		if (nf == TLS_MAX_FRAGS) {
			can_grow = false;
			break;
		}
	}
	if (nf == 0)
		return can_grow ? PG_HELLO_PARTIAL : PG_HELLO_NOT;
	enum pg_hello_status st = parse_hello(frags, nf, want_type, info);
	if (st == PG_HELLO_PARTIAL && !can_grow) {
		/* Well-formed as far as it goes, but what follows cannot
		 * complete it: a handshake record all the same. */
		return PG_HELLO_DONE;
	}
	return st;
}

/* A stream made of well-formed records from its first byte: at least one
 * complete record, the last one possibly still arriving.  A stream that
 * opens with a hello was judged by the strict parse above; a damaged hello
 * must not pass as TLS through this back door. */
static bool records_tile(const uint8_t *s, size_t n)
{
	size_t off = 0, complete = 0;
	if (n > 5 && s[0] == TLS_HANDSHAKE && (s[5] == 1 || s[5] == 2))
		return false;
	while (off < n) {
		if (n - off < 5)
			return complete > 0;
		if (!record_header_ok(s + off))
			return false;
		size_t rlen = (size_t)s[off + 3] << 8 | s[off + 4];
		if (rlen == 0 || rlen > TLS_MAX_RECORD)
			return false;
		if (rlen > n - off - 5)
			return complete > 0;
		off += 5 + rlen;
		complete++;
	}
	return complete > 0;
}

static enum pg_detect_status tls_detect(const struct pg_detect_input *in,
					struct pg_detect_result *out)
{
	struct pg_sides s = pg_sides_of(in);
	struct pg_hello_info info;
	enum pg_hello_status ch = PG_HELLO_NOT;

	if (s.c2s_len > 0) {
		ch = hello_from_records(s.c2s, s.c2s_len, 1, &info);
		if (ch == PG_HELLO_DONE) {
			pg_set_host(out, info.sni, info.sni_len);
			return pg_match(out, PG_SYS_TLS, PG_FEAT_ANY,
					PG_CONF_DECIDE);
		}
		if (ch == PG_HELLO_PARTIAL) {
			if (in->c2s_packets < TLS_MAX_WAIT_PACKETS &&
			    s.s2c_len == 0)
				return PG_DETECT_MAYBE;
			/* The server answered, or we waited long enough:
			 * it is TLS, the name is out of reach. */
			return pg_match(out, PG_SYS_TLS, PG_FEAT_ANY,
					PG_CONF_DECIDE);
		}
	}

	/* No ClientHello: joined mid-flow.  A ServerHello still says TLS. */
	if (s.s2c_len > 0) {
		enum pg_hello_status sh =
			hello_from_records(s.s2c, s.s2c_len, 2, &info);
		if (sh == PG_HELLO_DONE)
			return pg_match(out, PG_SYS_TLS, PG_FEAT_ANY,
					PG_CONF_DECIDE);
		if (sh == PG_HELLO_PARTIAL &&
		    in->s2c_packets < TLS_MAX_WAIT_PACKETS)
			return PG_DETECT_MAYBE;
	}

	/* Only records: encrypted traffic of a session set up before we
	 * looked.  A heuristic, so only PG_CONF_WEAK. */
	if (in->stream_len > 0 && records_tile(in->stream, in->stream_len))
		return pg_match(out, PG_SYS_TLS, PG_FEAT_ANY, PG_CONF_WEAK);

	/* A record header in the client stream that is not a hello: wait for
	 * the server's side before giving up. */
	if (s.s2c_len == 0 && s.c2s_len > 5 && record_header_ok(s.c2s) &&
	    !(s.c2s[0] == TLS_HANDSHAKE && s.c2s[5] == 1))
		return PG_DETECT_MAYBE;
	return PG_DETECT_NO;
}

const struct pg_detector pg_detector_tls = {
	.name = "tls",
	.l4_mask = PG_L4_TCP,
	.fn = tls_detect,
};
