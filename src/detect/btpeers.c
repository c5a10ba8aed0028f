/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Peers named by a swarm's own traffic (see peergate/btpeers.h).  Only the
 * compact forms are read: they are what every current client and tracker
 * sends, and a list of dictionaries would cost a parser for little gain.
 */
#include "peergate/btpeers.h"
#include "peergate/packet.h"

#include "bencode.h"
#include "bytes.h"
#include "http_msg.h"

enum {
	COMPACT4 = 6,            /* address 4, port 2 */
	COMPACT6 = 18,           /* address 16, port 2 */
	NODE4 = 20 + COMPACT4,   /* node id, then the compact address */
	NODE6 = 20 + COMPACT6,
	BT_HANDSHAKE = 68,
	BT_EXTENDED = 20,        /* BEP 10 message id */
	PEX_MAX_MSGS = 64,
};

/* Hands every entry of a compact list (stride bytes each, the address and
 * port in its last 6 or 18 bytes) to cb.  A list whose length is not a
 * multiple of the stride is not a compact list: nothing is taken from it. */
static size_t compact_list(const uint8_t *s, size_t n, size_t stride, uint8_t family,
			   enum pg_feature feat, pg_btpeer_cb cb, void *ctx)
{
	size_t alen = family == 6 ? 16 : 4, found = 0;
	if (n == 0 || n % stride != 0)
		return 0;
	for (size_t off = 0; off < n; off += stride) {
		const uint8_t *a = s + off + stride - alen - 2;
		uint16_t port = pg_be16(a + alen);
		if (port == 0)
			continue;
		cb(ctx, family, a, port, feat);
		found++;
	}
	return found;
}

/* The keys of one bencoded dictionary at p[*i] that carry peers: name ->
 * (stride, family, feature).  `values` is a list of compact strings. */
static size_t dict_peers(const uint8_t *p, size_t n, size_t *i, int depth,
			 pg_btpeer_cb cb, void *ctx)
{
	size_t found = 0;
	if (*i >= n || p[*i] != 'd' || depth > 4)
		return 0;
	(*i)++;
	while (*i < n && p[*i] != 'e') {
		const uint8_t *key, *val;
		size_t klen, vlen;
		if (!pg_benc_string(p, n, i, &key, &klen))
			return found;
		bool str = *i < n && pg_is_digit(p[*i]);
		if (str && (pg_equals(key, klen, "peers") || pg_equals(key, klen, "added"))) {
			if (!pg_benc_string(p, n, i, &val, &vlen))
				return found;
			found += compact_list(val, vlen, COMPACT4, 4, PG_FEAT_DOWNLOAD, cb, ctx);
		} else if (str && (pg_equals(key, klen, "peers6") || pg_equals(key, klen, "added6"))) {
			if (!pg_benc_string(p, n, i, &val, &vlen))
				return found;
			found += compact_list(val, vlen, COMPACT6, 6, PG_FEAT_DOWNLOAD, cb, ctx);
		} else if (str && pg_equals(key, klen, "nodes")) {
			if (!pg_benc_string(p, n, i, &val, &vlen))
				return found;
			found += compact_list(val, vlen, NODE4, 4, PG_FEAT_NETWORK, cb, ctx);
		} else if (str && pg_equals(key, klen, "nodes6")) {
			if (!pg_benc_string(p, n, i, &val, &vlen))
				return found;
			found += compact_list(val, vlen, NODE6, 6, PG_FEAT_NETWORK, cb, ctx);
		} else if (pg_equals(key, klen, "values") && *i < n && p[*i] == 'l') {
			(*i)++;
			while (*i < n && p[*i] != 'e') {
				if (!pg_benc_string(p, n, i, &val, &vlen))
					return found;
				if (vlen == COMPACT4)
					found += compact_list(val, vlen, COMPACT4, 4, PG_FEAT_DOWNLOAD, cb, ctx);
				else if (vlen == COMPACT6)
					found += compact_list(val, vlen, COMPACT6, 6, PG_FEAT_DOWNLOAD, cb, ctx);
			}
			if (*i >= n)
				return found;
			(*i)++;
		} else if (pg_equals(key, klen, "r") && *i < n && p[*i] == 'd') {
			found += dict_peers(p, n, i, depth + 1, cb, ctx);
		} else if (!pg_benc_skip(p, n, i, 2)) {
			return found;
		}
	}
	if (*i < n)
		(*i)++;
	return found;
}

size_t pg_btpeers_udp(const uint8_t *p, size_t n, uint8_t family, pg_btpeer_cb cb,
		      void *ctx)
{
	if (n >= 2 && p[0] == 'd') {
		size_t i = 0;
		return dict_peers(p, n, &i, 0, cb, ctx);
	}
	/* BEP 15 announce answer: action 1, transaction id, interval,
	 * leechers, seeders, then the peers (IPv6 ones over IPv6). */
	if (n >= 20 && pg_be32(p) == 1) {
		size_t stride = family == 6 ? COMPACT6 : COMPACT4;
		return compact_list(p + 20, n - 20, stride, family == 6 ? 6 : 4,
				    PG_FEAT_DOWNLOAD, cb, ctx);
	}
	return 0;
}

/* Peer-wire messages: the PEX ones among them (an extended message with
 * a nonzero extension id, whose dictionary has added/added6).  The
 * extension id that means ut_pex is the receiver's choice, so any
 * extended message with those keys is taken. */
static size_t pex_messages(const uint8_t *p, size_t n, pg_btpeer_cb cb, void *ctx)
{
	size_t off = 0, found = 0;
	for (unsigned k = 0; k < PEX_MAX_MSGS && off + 4 <= n; k++) {
		uint32_t len = pg_be32(p + off);
		if (len > n - off - 4)
			break; /* runs past what we have */
		if (len >= 3 && p[off + 4] == BT_EXTENDED && p[off + 5] != 0 &&
		    p[off + 6] == 'd') {
			size_t i = 0;
			found += dict_peers(p + off + 6, len - 2, &i, 0, cb, ctx);
		}
		off += 4 + (size_t)len;
	}
	return found;
}

size_t pg_btpeers_tcp(const uint8_t *p, size_t n, pg_btpeer_cb cb, void *ctx)
{
	if (pg_prefix(p, n, "HTTP/1.")) {
		size_t hend = pg_http_header_end(p, n);
		if (!hend || hend >= n)
			return 0;
		size_t i = hend;
		return dict_peers(p, n, &i, 0, cb, ctx);
	}
	if (n >= 2 && p[0] == 'd') {
		size_t i = 0;
		return dict_peers(p, n, &i, 0, cb, ctx);
	}
	if (n >= BT_HANDSHAKE && p[0] == 0x13 && pg_prefix(p + 1, n - 1, "BitTorrent protocol"))
		return pex_messages(p + BT_HANDSHAKE, n - BT_HANDSHAKE, cb, ctx);
	return pex_messages(p, n, cb, ctx);
}

uint16_t pg_btpeers_lsd_port(const uint8_t *p, size_t n)
{
	const uint8_t *v;
	size_t vl;
	uint64_t port;
	if (!pg_prefix(p, n, "BT-SEARCH * HTTP/1.1\r\n") ||
	    !pg_http_header(p, n, "Infohash", &v, &vl) || !pg_http_header(p, n, "Port", &v, &vl))
		return 0;
	if (!vl || pg_parse_uint(v, vl, 5, &port) != vl || port == 0 || port > 65535)
		return 0;
	return (uint16_t)port;
}
