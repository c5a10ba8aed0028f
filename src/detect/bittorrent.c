/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * BitTorrent: the peer-wire protocol and HTTP trackers over TCP; Mainline
 * DHT (KRPC), UDP trackers, Local Service Discovery and uTP over UDP.
 *
 * Feature mapping (taxonomy contract): DHT, trackers and LSD are the
 * `network` the swarm is found through; peer wire, uTP, web seeds and
 * BitTorrent Sync ("BSYNC\0" peers) carry the `download` itself.
 * Message Stream Encryption has no plaintext: a connection whose openings
 * have MSE's sizes stays in play in case a plaintext handshake follows (as
 * in bittorrent_tcp_miss), but is never matched on its own.
 *
 * References: BEP 3 (peer wire), BEP 5 (DHT), BEP 14 (LSD), BEP 15 (UDP
 * tracker), BEP 29 (uTP), BEP 10 (extension protocol); see
 * shared/reference/signatures.md section 8.  False positives to keep in
 * mind: nDPI#158 (non-BitTorrent UDP tagged BitTorrent) - the UDP
 * heuristics here never match on a single unstructured datagram, and uTP
 * alone stays WEAK.
 */
#include <netinet/in.h>

#include "peergate/packet.h"

#include "bencode.h"
#include "bytes.h"
#include "detectors.h"
#include "http_msg.h"

/* "\x13BitTorrent protocol": the length-prefixed protocol name that opens
 * every plaintext peer-wire connection, in both directions. */
static const uint8_t bt_handshake[20] = {
	0x13, 'B', 'i', 't', 'T', 'o', 'r', 'r', 'e', 'n',
	't', ' ', 'p', 'r', 'o', 't', 'o', 'c', 'o', 'l',
};

/* BEP 15: the connect request's fixed protocol id 0x41727101980. */
static const uint8_t udp_tracker_magic[8] = {
	0x00, 0x00, 0x04, 0x17, 0x27, 0x10, 0x19, 0x80,
};

/* Largest peer-wire message we accept: a piece carries at most 128 KiB
 * (clients refuse more), a bitfield of a huge torrent stays far below
 * 1 MiB. */
enum { BT_MAX_MSG = 1u << 20, BT_MAX_BLOCK = 128u * 1024 };

/* Ports that BitTorrent software uses by default; they only ever raise the
 * confidence of a weak heuristic. */
static bool bt_port(uint16_t port)
{
	return (port >= 6881 && port <= 6889) || port == 6969 ||
	       port == 51413 || port == 6771;
}

static bool bt_either_port(const struct pg_detect_input *in)
{
	return bt_port(in->client_port) || bt_port(in->server_port);
}

/* What a KRPC message (BEP 5) must carry, gathered from the top-level
 * dictionary. */
struct krpc_info {
	bool has_t;     /* transaction id */
	bool y_ok;      /* "y" is "q", "r" or "e" */
	bool id20;      /* "a" or "r" dictionary holds a 20-byte "id" */
};

/* Looks for a 20-byte "id" inside the dictionary at p[*i]. */
static bool krpc_args(const uint8_t *p, size_t len, size_t *i,
		      struct krpc_info *k)
{
	if (*i >= len || p[*i] != 'd')
		return pg_benc_skip(p, len, i, 1);
	(*i)++;
	while (*i < len && p[*i] != 'e') {
		const uint8_t *key, *val;
		size_t klen, vlen;
		if (!pg_benc_string(p, len, i, &key, &klen))
			return false;
		if (pg_equals(key, klen, "id") && *i < len &&
		    pg_is_digit(p[*i])) {
			if (!pg_benc_string(p, len, i, &val, &vlen))
				return false;
			if (vlen == 20)
				k->id20 = true;
		} else if (!pg_benc_skip(p, len, i, 2)) {
			return false;
		}
	}
	if (*i >= len)
		return false;
	(*i)++;
	return true;
}

/* True when the datagram is exactly one bencoded dictionary with the KRPC
 * keys.  A bencoded dictionary alone (a .torrent fragment, some game's
 * config blob) is not enough. */
static bool krpc_message(const uint8_t *p, size_t len)
{
	struct krpc_info k = {false, false, false};
	size_t i = 0;

	if (len < 12 || p[0] != 'd')
		return false;
	i = 1;
	while (i < len && p[i] != 'e') {
		const uint8_t *key, *val;
		size_t klen, vlen;
		if (!pg_benc_string(p, len, &i, &key, &klen))
			return false;
		if (pg_equals(key, klen, "y") && i < len && pg_is_digit(p[i])) {
			if (!pg_benc_string(p, len, &i, &val, &vlen))
				return false;
			k.y_ok = vlen == 1 &&
				 (val[0] == 'q' || val[0] == 'r' || val[0] == 'e');
		} else if (pg_equals(key, klen, "t") && i < len &&
			   pg_is_digit(p[i])) {
			if (!pg_benc_string(p, len, &i, &val, &vlen))
				return false;
			k.has_t = vlen >= 1 && vlen <= 16;
		} else if (pg_equals(key, klen, "a") ||
			   pg_equals(key, klen, "r")) {
			if (!krpc_args(p, len, &i, &k))
				return false;
		} else if (!pg_benc_skip(p, len, &i, 1)) {
			return false;
		}
	}
	if (i >= len || i + 1 != len)
		return false; /* unterminated, or bytes after the dictionary */
	return (k.has_t && k.y_ok) || (k.id20 && (k.has_t || k.y_ok));
}

/* ---- peer wire over TCP ---------------------------------------------- */

static bool pow2_block(uint32_t v)
{
	return v >= 1024 && v <= BT_MAX_BLOCK && (v & (v - 1)) == 0;
}

/* Walks the length-prefixed peer-wire messages at the start of a stream
 * that joined mid-session (no handshake seen).  Returns -1 as soon as a
 * length or message id is impossible, else an evidence score: 2 for a
 * message whose fields fit the block arithmetic of real transfers (a
 * request/piece of a power-of-two block at an aligned offset, a bencoded
 * extension message), 1 for a plausible but unremarkable one. */
static int bt_message_score(const uint8_t *s, size_t n)
{
	size_t off = 0;
	int score = 0;

	for (unsigned msgs = 0; msgs < 64 && off + 4 <= n; msgs++) {
		uint32_t len = pg_be32(s + off);
		if (len == 0) { /* keep-alive */
			off += 4;
			continue;
		}
		if (len > BT_MAX_MSG)
			return -1;
		if (off + 5 > n)
			break;
		uint8_t id = s[off + 4];
		const uint8_t *m = s + off + 5; /* message body */
		size_t avail = n - off - 5;     /* body bytes seen */
		switch (id) {
		case 0: case 1: case 2: case 3: case 14: case 15:
			if (len != 1)
				return -1;
			score += 1;
			break;
		case 4: case 13: case 17: /* have, suggest, allowed fast */
			if (len != 5)
				return -1;
			score += 1;
			break;
		case 5: /* bitfield */
			if (len < 2)
				return -1;
			score += 1;
			break;
		case 6: case 8: case 16: /* request, cancel, reject */
			if (len != 13)
				return -1;
			if (avail >= 12) {
				uint32_t begin = pg_be32(m + 4);
				uint32_t block = pg_be32(m + 8);
				if (block == 0 || block > BT_MAX_BLOCK)
					return -1;
				score += pow2_block(block) && begin % block == 0 ? 2 : 1;
			} else {
				score += 1;
			}
			break;
		case 7: { /* piece */
			if (len < 9 || len - 9 > BT_MAX_BLOCK)
				return -1;
			uint32_t block = len - 9;
			if (avail >= 8 && pow2_block(block) &&
			    pg_be32(m + 4) % block == 0)
				score += 2;
			else
				score += 1;
			break;
		}
		case 9: /* DHT port */
			if (len != 3)
				return -1;
			score += 1;
			break;
		case 20: /* BEP 10 extension message: bencoded dictionary */
			if (len < 2)
				return -1;
			score += avail >= 2 && m[1] == 'd' ? 2 : 1;
			break;
		case 21: case 22: case 23: /* BEP 52 hash request/hashes/reject */
			if (len < 49)
				return -1;
			score += 1;
			break;
		default:
			return -1;
		}
		off += 4 + (size_t)len;
	}
	return score;
}

/* Mostly printable text (an HTTP request, an SMTP banner, XML ...). */
static bool mostly_text(const uint8_t *s, size_t n)
{
	size_t text = 0, k = n < 96 ? n : 96;
	for (size_t i = 0; i < k; i++)
		if ((s[i] >= 0x20 && s[i] < 0x7f) || s[i] == '\r' ||
		    s[i] == '\n' || s[i] == '\t')
			text++;
	return k > 0 && text * 4 >= k * 3;
}

/* A TLS record header: content type 20..23, version 3.x. */
static bool tls_record(const uint8_t *s, size_t n)
{
	return n >= 3 && s[0] >= 0x14 && s[0] <= 0x17 && s[1] == 0x03 &&
	       s[2] <= 0x04;
}

/* True when the query string of an HTTP request target has the
 * parameter `name=`. */
static bool query_has(const uint8_t *q, size_t qlen, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i + n <= qlen; i++) {
		if ((i == 0 || q[i - 1] == '&') && memcmp(q + i, name, n) == 0)
			return true;
	}
	return false;
}

struct dir_verdict {
	enum pg_detect_status status;
	enum pg_feature feature;
	uint8_t confidence;
};

static struct dir_verdict dv(enum pg_detect_status st, enum pg_feature f,
			     uint8_t c)
{
	struct dir_verdict v = {st, f, c};
	return v;
}

/* An HTTP request to a tracker (BEP 3 announce, scrape) or a BEP 17 web
 * seed: every one of them names the torrent by an `info_hash=` query
 * parameter, which ordinary web requests never carry. */
static struct dir_verdict bt_http_request(const uint8_t *s, size_t n)
{
	struct pg_http_request rq;
	switch (pg_http_request_line(s, n, &rq)) {
	case PG_HTTP_PARTIAL:
		return dv(PG_DETECT_MAYBE, 0, 0);
	case PG_HTTP_NO:
		return dv(PG_DETECT_NO, 0, 0);
	case PG_HTTP_OK:
		break;
	}
	const uint8_t *target = rq.target;
	size_t tlen = rq.target_len;
	const uint8_t *qm = memchr(target, '?', tlen);
	if (!qm)
		return dv(PG_DETECT_NO, 0, 0);
	size_t plen = (size_t)(qm - target);
	const uint8_t *q = qm + 1;
	size_t qlen = tlen - plen - 1;
	if (!query_has(q, qlen, "info_hash="))
		return dv(PG_DETECT_NO, 0, 0);
	if (pg_find(target, plen, "announce", NULL) ||
	    pg_find(target, plen, "scrape", NULL))
		return dv(PG_DETECT_MATCH, PG_FEAT_NETWORK, PG_CONF_CERTAIN);
	/* Web seeds (BEP 17 "/seed?info_hash=") serve the pieces. */
	return dv(PG_DETECT_MATCH, PG_FEAT_DOWNLOAD, PG_CONF_STRONG);
}

/* A tracker's reply: a bencoded dictionary with the announce/scrape keys
 * right after the headers (seen when a capture misses the request). */
static struct dir_verdict bt_http_response(const uint8_t *s, size_t n)
{
	size_t hend = pg_http_header_end(s, n < 4096 ? n : 4096);
	if (!hend)
		return dv(n < 4096 ? PG_DETECT_MAYBE : PG_DETECT_NO, 0, 0);
	const uint8_t *b = s + hend;
	size_t blen = n - hend;
	static const char *const keys[] = {
		"d8:interval", "d8:complete", "d10:incomplete", "d5:files",
		"d14:failure reason", "d12:min interval", "d5:peers",
	};
	if (blen < 11)
		return dv(blen == 0 ? PG_DETECT_MAYBE : PG_DETECT_NO, 0, 0);
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
		if (pg_prefix(b, blen, keys[k]))
			return dv(PG_DETECT_MATCH, PG_FEAT_NETWORK, PG_CONF_STRONG);
	return dv(PG_DETECT_NO, 0, 0);
}

/* Judges one direction's bytes.  `first_len` is the length of that
 * direction's first payload packet when known (0 otherwise). */
static struct dir_verdict bt_tcp_dir(const uint8_t *s, size_t n,
				     size_t first_len)
{
	if (n == 0)
		return dv(PG_DETECT_MAYBE, 0, 0);

	/* The handshake, possibly still arriving byte by byte. */
	if (s[0] == 0x13) {
		size_t k = n < sizeof(bt_handshake) ? n : sizeof(bt_handshake);
		if (memcmp(s, bt_handshake, k) == 0) {
			if (n < sizeof(bt_handshake))
				return dv(PG_DETECT_MAYBE, 0, 0);
			return dv(PG_DETECT_MATCH, PG_FEAT_DOWNLOAD,
				  PG_CONF_CERTAIN);
		}
	}

	/* BitTorrent Sync / Resilio peers: "BSYNC\0", a 32-bit length, then
	 * a bencoded dictionary. */
	if (pg_prefix_of(s, n < 6 ? n : 6, "BSYNC") &&
	    (n < 6 || s[5] == 0)) {
		if (n < 11)
			return dv(PG_DETECT_MAYBE, 0, 0);
		uint32_t blen = pg_be32(s + 6);
		if (blen >= 2 && blen <= 65536 && s[10] == 'd')
			return dv(PG_DETECT_MATCH, PG_FEAT_DOWNLOAD,
				  PG_CONF_STRONG);
		return dv(PG_DETECT_NO, 0, 0);
	}

	if (pg_prefix_of(s, n, "GET "))
		return n < 4 ? dv(PG_DETECT_MAYBE, 0, 0) : bt_http_request(s, n);
	if (pg_prefix_of(s, n, "HTTP/1."))
		return n < 7 ? dv(PG_DETECT_MAYBE, 0, 0) : bt_http_response(s, n);

	/* A plaintext handshake further into the stream: captures that begin
	 * mid-connection, or a client falling back from a failed encrypted
	 * (MSE) attempt on the same connection. */
	if (pg_find(s, n, "\x13" "BitTorrent protocol", NULL))
		return dv(PG_DETECT_MATCH, PG_FEAT_DOWNLOAD, PG_CONF_STRONG);

	/* Joined mid-session: a train of well-formed peer-wire messages. */
	int score = bt_message_score(s, n);
	if (score >= 2)
		return dv(PG_DETECT_MATCH, PG_FEAT_DOWNLOAD, PG_CONF_WEAK);
	if (score >= 0)
		return dv(PG_DETECT_MAYBE, 0, 0);

	/* Message Stream Encryption has no plaintext at all: each side opens
	 * with a 96-byte Diffie-Hellman key plus 0..512 bytes of padding.
	 * Such a stream stays possible (a plaintext handshake may still come,
	 * see above) unless its first packet had another size or it is text
	 * or TLS. */
	if (mostly_text(s, n) || tls_record(s, n))
		return dv(PG_DETECT_NO, 0, 0);
	if (first_len && (first_len < 96 || first_len > 608))
		return dv(PG_DETECT_NO, 0, 0);
	return dv(PG_DETECT_MAYBE, 0, 0);
}

static enum pg_detect_status bt_tcp(const struct pg_detect_input *in,
				    struct pg_detect_result *out)
{
	const uint8_t *s = in->stream;
	size_t n = in->stream_len, on;
	const uint8_t *o = pg_other(in, &on);

	/* This direction's first packet length is known on its first call. */
	size_t first = in->index == 0 ? in->payload_len : 0;
	struct dir_verdict a = bt_tcp_dir(s, n, first);
	struct dir_verdict b = bt_tcp_dir(o, on, 0);

	const struct dir_verdict *best = NULL;
	if (a.status == PG_DETECT_MATCH)
		best = &a;
	if (b.status == PG_DETECT_MATCH &&
	    (!best || b.confidence > best->confidence))
		best = &b;
	if (best) {
		uint8_t conf = best->confidence;
		if (conf < PG_CONF_DECIDE && bt_either_port(in))
			conf = PG_CONF_WEAK + 10;
		return pg_match(out, PG_SYS_BITTORRENT, best->feature, conf);
	}
	if (a.status == PG_DETECT_NO || b.status == PG_DETECT_NO)
		return PG_DETECT_NO;
	return PG_DETECT_MAYBE;
}

const struct pg_detector pg_detector_bittorrent = {
	.name = "bittorrent",
	.l4_mask = PG_L4_TCP,
	.fn = bt_tcp,
};

/* ---- UDP: DHT, tracker, LSD, uTP -------------------------------------- */

struct utp_header {
	unsigned type;       /* 0 DATA, 1 FIN, 2 STATE, 3 RESET, 4 SYN */
	uint16_t conn_id;
	size_t data_off;     /* payload after header and extensions */
};

/* Parses a BEP 29 header: version 1, a known type, a well-formed
 * extension chain, and the payload rules of each type (only DATA carries
 * data; a SYN's timestamp difference is still 0). */
static bool utp_parse(const uint8_t *p, size_t len, struct utp_header *h)
{
	if (len < 20 || (p[0] & 0x0f) != 1)
		return false;
	h->type = p[0] >> 4;
	if (h->type > 4)
		return false;
	h->conn_id = pg_be16(p + 2);
	size_t off = 20;
	uint8_t ext = p[1];
	for (unsigned k = 0; ext != 0; k++) {
		/* 1 selective ack, 2 extension bits, 3 close reason (libtorrent) */
		if (k >= 4 || ext > 4 || off + 2 > len)
			return false;
		uint8_t next = p[off], elen = p[off + 1];
		if (ext == 1 && (elen < 4 || elen % 4 != 0))
			return false;
		if (elen == 0 || off + 2 + elen > len)
			return false;
		off += 2 + (size_t)elen;
		ext = next;
	}
	h->data_off = off;
	size_t data = len - off;
	if (h->type == 0)
		return data > 0;
	if (h->type == 4 && pg_be32(p + 8) != 0)
		return false;
	return data == 0;
}

/* Ports where a uTP-shaped header is more likely someone else's: Teredo,
 * CAPWAP, and the well-known range (nDPI learned these the hard way). */
static bool utp_excluded_port(uint16_t port)
{
	return port < 1024 || port == 3544 || port == 5246 || port == 5247;
}

static enum pg_detect_status bt_udp(const struct pg_detect_input *in,
				    struct pg_detect_result *out)
{
	const uint8_t *p = in->payload;
	size_t n = in->payload_len;
	size_t on;
	const uint8_t *o = pg_other(in, &on);

	if (n == 0)
		return PG_DETECT_MAYBE;

	if (p[0] == 'd' && krpc_message(p, n))
		return pg_match(out, PG_SYS_BITTORRENT, PG_FEAT_NETWORK,
				PG_CONF_STRONG);

	/* UDP tracker connect request and its reply (action 0, same
	 * transaction id). */
	if (n >= 16 && memcmp(p, udp_tracker_magic, 8) == 0 &&
	    pg_be32(p + 8) == 0)
		return pg_match(out, PG_SYS_BITTORRENT, PG_FEAT_NETWORK,
				PG_CONF_STRONG);
	if (n >= 16 && pg_be32(p) == 0 && on >= 16 &&
	    memcmp(o, udp_tracker_magic, 8) == 0 && pg_be32(o + 8) == 0 &&
	    memcmp(p + 4, o + 12, 4) == 0)
		return pg_match(out, PG_SYS_BITTORRENT, PG_FEAT_NETWORK,
				PG_CONF_STRONG);

	/* Local Service Discovery multicast announce (HTTP over UDP). */
	if (pg_prefix(p, n, "BT-SEARCH * HTTP/1.1\r\n")) {
		const uint8_t *v;
		size_t vl;
		if (pg_http_header(p, n, "Infohash", &v, &vl))
			return pg_match(out, PG_SYS_BITTORRENT, PG_FEAT_NETWORK,
					PG_CONF_STRONG);
		return PG_DETECT_NO;
	}

	struct utp_header h;
	if (!utp_parse(p, n, &h))
		return PG_DETECT_NO;
	/* A uTP DATA packet that opens with the peer-wire handshake. */
	if (h.type == 0 && n - h.data_off >= sizeof(bt_handshake) &&
	    memcmp(p + h.data_off, bt_handshake, sizeof(bt_handshake)) == 0)
		return pg_match(out, PG_SYS_BITTORRENT, PG_FEAT_DOWNLOAD,
				PG_CONF_STRONG);
	/* A lone uTP-shaped datagram proves little (games and VoIP collide):
	 * wait until the other side answers in kind on the same connection id
	 * (the initiator sends with id+1 after its SYN, so ids differ by at
	 * most one). */
	if (utp_excluded_port(in->client_port) ||
	    utp_excluded_port(in->server_port))
		return PG_DETECT_MAYBE;
	struct utp_header oh;
	if (on > 0 && utp_parse(o, on, &oh)) {
		uint16_t d = (uint16_t)(h.conn_id - oh.conn_id);
		if (d == 0 || d == 1 || d == 0xffff) {
			uint8_t conf = bt_either_port(in) ? PG_CONF_WEAK + 10
							  : PG_CONF_WEAK;
			return pg_match(out, PG_SYS_BITTORRENT,
					PG_FEAT_DOWNLOAD, conf);
		}
	}
	return PG_DETECT_MAYBE;
}

const struct pg_detector pg_detector_bittorrent_udp = {
	.name = "bittorrent-udp",
	.l4_mask = PG_L4_UDP,
	.fn = bt_udp,
};
