/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QUIC.  The client's first datagram carries the TLS ClientHello in CRYPTO
 * frames, protected with keys derived from the Destination Connection ID
 * (RFC 9001 §5.2), so a middlebox can read the SNI: derive the keys, remove
 * header protection, decrypt, put the CRYPTO frames back in order and parse
 * the ClientHello (signatures.md §16).
 *
 * One call sees one datagram.  Large ClientHellos (post-quantum key shares)
 * spill into a second Initial datagram; when the SNI is not in the first,
 * the detector answers MAYBE and, on the next datagram, scans its CRYPTO
 * data for a well-formed server_name extension (the start of the message
 * is gone by then, so a full parse is impossible without per-flow state).
 *
 * Google QUIC up to Q046 sends its CHLO in clear; the SNI tag is read from
 * it.  Later gQUIC versions are recognised by their version tag only.
 */
#include "peergate/crypto.h"
#include "peergate/detect.h"
#include "peergate/quic.h"
#include "peergate/tls_hello.h"

#include <string.h>

#include "bytes.h"
#include "detectors.h"

/* RFC 9000 §14.1: client datagrams with an Initial are at least 1200 bytes.
 * Demanding it keeps random UDP from reaching the decryption. */
#define QUIC_MIN_INITIAL 1200
/* Scratch for the unprotected header (AAD) plus the plaintext of one
 * packet; bigger packets (jumbo frames) are recognised but not opened. */
#define QUIC_MAX_PACKET 4096
#define QUIC_MAX_TOKEN 1024
/* CRYPTO data kept per datagram: a ClientHello with an ML-KEM key share is
 * about 1.8 KB; later bytes hold nothing we need. */
#define QUIC_CRYPTO_MAX 4096
#define QUIC_MAX_FRAMES 64
/* Initial packets coalesced in one datagram that we open. */
#define QUIC_MAX_COALESCED 3
/* Client datagrams after which an unfinished ClientHello stops holding the
 * decision back. */
#define QUIC_MAX_WAIT_PACKETS 4

#define QUIC_V1 0x00000001u
#define QUIC_V2 0x6b3343cfu

struct quic_version {
	uint32_t first, last;
	uint8_t salt[20];
	const char *key, *iv, *hp;  /* HKDF labels */
	uint8_t initial_type;       /* long-header type bits of Initial */
};

static const struct quic_version versions[] = {
	/* RFC 9001 §5.2 */
	{QUIC_V1, QUIC_V1,
	 {0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
	  0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a},
	 "quic key", "quic iv", "quic hp", 0},
	/* RFC 9369 §3.3.1, §3.3.2; Initial is type 0b01 in v2 */
	{QUIC_V2, QUIC_V2,
	 {0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
	  0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9},
	 "quicv2 key", "quicv2 iv", "quicv2 hp", 1},
	/* draft-ietf-quic-tls-29 to -34 share one salt.  Still sent by some
	 * older stacks; no test vector in the tree for it. */
	{0xff00001du, 0xff000022u,
	 {0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97,
	  0x86, 0xf1, 0x9c, 0x61, 0x11, 0xe0, 0x43, 0x90, 0xa8, 0x99},
	 "quic key", "quic iv", "quic hp", 0},
};

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static const struct quic_version *find_version(uint32_t v)
{
	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++)
		if (v >= versions[i].first && v <= versions[i].last)
			return &versions[i];
	return NULL;
}

/* RFC 9000 §16 variable-length integer; returns bytes used, 0 if cut. */
static size_t varint(const uint8_t *p, size_t n, uint64_t *v)
{
	if (n == 0)
		return 0;
	size_t len = (size_t)1 << (p[0] >> 6);
	if (len > n)
		return 0;
	uint64_t x = p[0] & 0x3f;
	for (size_t i = 1; i < len; i++)
		x = x << 8 | p[i];
	*v = x;
	return len;
}

/* ---- IETF QUIC ---- */

struct crypto_frame {
	size_t off, len;
};

struct crypto_buf {
	uint8_t data[QUIC_CRYPTO_MAX];
	struct crypto_frame frames[QUIC_MAX_FRAMES];
	size_t nframes;
};

/* Walks the frames of a decrypted Initial payload, copying CRYPTO data to
 * its stream offset.  Frames that fall outside the buffer are skipped. */
static void collect_crypto(const uint8_t *p, size_t n, struct crypto_buf *cb)
{
	size_t i = 0;
	while (i < n) {
		uint64_t type = p[i];
		size_t k;
		uint64_t a, b;
		switch (type) {
		case 0x00: /* PADDING */
		case 0x01: /* PING */
			i++;
			continue;
		case 0x02: /* ACK */
		case 0x03: { /* ACK with ECN counts */
			i++;
			uint64_t ranges;
			if (!(k = varint(p + i, n - i, &a))) /* largest */
				return;
			i += k;
			if (!(k = varint(p + i, n - i, &a))) /* delay */
				return;
			i += k;
			if (!(k = varint(p + i, n - i, &ranges)))
				return;
			i += k;
			if (!(k = varint(p + i, n - i, &a))) /* first range */
				return;
			i += k;
			if (ranges > n)
				return;
			for (uint64_t r = 0; r < 2 * ranges + (type == 3 ? 3 : 0); r++) {
				if (!(k = varint(p + i, n - i, &a)))
					return;
				i += k;
			}
			continue;
		}
		case 0x06: /* CRYPTO */
			i++;
			if (!(k = varint(p + i, n - i, &a))) /* offset */
				return;
			i += k;
			if (!(k = varint(p + i, n - i, &b))) /* length */
				return;
			i += k;
			if (b > n - i)
				return;
			if (a < QUIC_CRYPTO_MAX && b <= QUIC_CRYPTO_MAX - a &&
			    cb->nframes < QUIC_MAX_FRAMES) {
				memcpy(cb->data + a, p + i, (size_t)b);
				cb->frames[cb->nframes].off = (size_t)a;
				cb->frames[cb->nframes].len = (size_t)b;
				cb->nframes++;
			}
			i += (size_t)b;
			continue;
		default:
			/* CONNECTION_CLOSE or anything not allowed in an
			 * Initial: nothing further we need. */
			return;
		}
	}
}

/* Removes header and packet protection from the Initial at p[0..n) whose
 * header is parsed up to pn_off; the packet ends at pkt_end.  The
 * plaintext goes to scratch (after a copy of the header). */
static bool open_initial(const struct quic_version *qv, const uint8_t *p,
			 size_t pn_off, size_t pkt_end, const uint8_t *dcid,
			 size_t dcid_len, uint8_t *scratch, size_t *plain_off,
			 size_t *plain_len)
{
	uint8_t initial[PG_SHA256_LEN], client[PG_SHA256_LEN];
	uint8_t key[16], iv[12], hp[16], mask[16];

	/* The sample starts 4 bytes after the packet number's start
	 * (RFC 9001 §5.4.2), and a tag follows the payload. */
	if (pkt_end - pn_off < 4 + 16 || pn_off > QUIC_MAX_PACKET - 4 ||
	    pkt_end > QUIC_MAX_PACKET)
		return false;
	pg_hkdf_extract(qv->salt, sizeof(qv->salt), dcid, dcid_len, initial);
	if (!pg_hkdf_expand_label(initial, "client in", client, sizeof(client)) ||
	    !pg_hkdf_expand_label(client, qv->key, key, sizeof(key)) ||
	    !pg_hkdf_expand_label(client, qv->iv, iv, sizeof(iv)) ||
	    !pg_hkdf_expand_label(client, qv->hp, hp, sizeof(hp)))
		return false;

	struct pg_aes128 hpk;
	pg_aes128_init(&hpk, hp);
	pg_aes128_encrypt(&hpk, p + pn_off + 4, mask);

	memcpy(scratch, p, pn_off + 4);
	scratch[0] ^= mask[0] & 0x0f; /* long header: low 4 bits */
	size_t pn_len = (size_t)(scratch[0] & 0x03) + 1;
	uint64_t pn = 0;
	for (size_t i = 0; i < pn_len; i++) {
		scratch[pn_off + i] = p[pn_off + i] ^ mask[1 + i];
		pn = pn << 8 | scratch[pn_off + i];
	}
	size_t hdr_len = pn_off + pn_len;
	if (pkt_end - hdr_len < 16 + 1)
		return false;
	/* The nonce is the IV XOR the packet number, right-aligned.  The
	 * first Initials of a connection have small numbers, so the truncated
	 * number on the wire is the full one. */
	for (size_t i = 0; i < 8; i++)
		iv[11 - i] ^= (uint8_t)(pn >> (8 * i));
	size_t ct_len = pkt_end - hdr_len - 16;
	if (!pg_aes128_gcm_decrypt(key, iv, scratch, hdr_len, p + hdr_len,
				   ct_len, p + pkt_end - 16, scratch + hdr_len))
		return false;
	*plain_off = hdr_len;
	*plain_len = ct_len;
	return true;
}

/* Long header fields up to the packet number (RFC 9000 §17.2). */
struct long_hdr {
	uint32_t version;
	const uint8_t *dcid;
	size_t dcid_len;
	size_t pn_off, end;
	uint8_t type;
};

static bool parse_long(const uint8_t *p, size_t n, struct long_hdr *h)
{
	if (n < 7 || !(p[0] & 0x80))
		return false;
	h->version = be32(p + 1);
	h->type = (p[0] >> 4) & 3;
	size_t i = 5;
	size_t dl = p[i++];
	if (dl > 20 || dl > n - i)
		return false;
	h->dcid = p + i;
	h->dcid_len = dl;
	i += dl;
	if (i >= n)
		return false;
	size_t sl = p[i++];
	if (sl > 20 || sl > n - i)
		return false;
	return true;
}

/* The Initial-specific part: token and length. */
static bool parse_initial_tail(const uint8_t *p, size_t n, struct long_hdr *h)
{
	size_t i = 5 + 1 + h->dcid_len;
	i += 1 + p[i];
	uint64_t tok, len;
	size_t k = varint(p + i, n - i, &tok);
	if (!k || tok > QUIC_MAX_TOKEN || tok > n - i - k)
		return false;
	i += k + (size_t)tok;
	k = varint(p + i, n - i, &len);
	if (!k || len > n - i - k)
		return false;
	h->pn_off = i + k;
	h->end = h->pn_off + (size_t)len;
	return true;
}

/* Contiguous runs of CRYPTO data, as [start, end) pairs sorted by start. */
static size_t crypto_runs(const struct crypto_buf *cb, size_t runs[][2],
			  size_t max)
{
	struct crypto_frame f[QUIC_MAX_FRAMES];
	size_t n = cb->nframes, nr = 0;
	memcpy(f, cb->frames, n * sizeof(f[0]));
	for (size_t i = 1; i < n; i++) { /* insertion sort, n <= 64 */
		struct crypto_frame x = f[i];
		size_t j = i;
		while (j > 0 && f[j - 1].off > x.off) {
			f[j] = f[j - 1];
			j--;
		}
		f[j] = x;
	}
	for (size_t i = 0; i < n; i++) {
		size_t s = f[i].off, e = f[i].off + f[i].len;
		if (nr > 0 && s <= runs[nr - 1][1]) {
			if (e > runs[nr - 1][1])
				runs[nr - 1][1] = e;
		} else if (nr < max) {
			runs[nr][0] = s;
			runs[nr][1] = e;
			nr++;
		}
	}
	return nr;
}

static void set_sni(struct pg_quic_info *info, const uint8_t *p, size_t n)
{
	if (!pg_valid_host(p, n) || n >= PG_QUIC_SNI_MAX)
		return;
	memcpy(info->sni, p, n);
	info->sni[n] = '\0';
	info->sni_len = n;
}

static enum pg_quic_kind ietf_initial(const uint8_t *p, size_t n,
				      const struct quic_version *qv,
				      struct pg_quic_info *info)
{
	uint8_t scratch[QUIC_MAX_PACKET];
	struct crypto_buf cb;
	size_t off = 0;
	bool opened = false;

	cb.nframes = 0;
	/* The datagram may hold several coalesced packets; open the
	 * Initials at its start. */
	for (int pkts = 0; pkts < QUIC_MAX_COALESCED && n - off >= 7; pkts++) {
		struct long_hdr h;
		const uint8_t *q = p + off;
		size_t qn = n - off;
		if (!parse_long(q, qn, &h) || h.version != info->version ||
		    h.type != qv->initial_type || !(q[0] & 0x40) ||
		    !parse_initial_tail(q, qn, &h))
			break;
		size_t plain_off, plain_len;
		if (!open_initial(qv, q, h.pn_off, h.end, h.dcid, h.dcid_len,
				  scratch, &plain_off, &plain_len))
			break;
		opened = true;
		collect_crypto(scratch + plain_off, plain_len, &cb);
		off += h.end;
	}
	if (!opened)
		return PG_QUIC_LONG;

	size_t runs[QUIC_MAX_FRAMES][2];
	size_t nr = crypto_runs(&cb, runs, QUIC_MAX_FRAMES);
	size_t parsed = 0;
	if (nr > 0 && runs[0][0] == 0) {
		/* The start of the ClientHello: parse it properly. */
		struct pg_tls_frag frag = {cb.data, runs[0][1]};
		struct pg_hello_info hi;
		enum pg_hello_status st = pg_tls_client_hello(&frag, 1, &hi);
		if (st == PG_HELLO_NOT)
			return PG_QUIC_LONG;
		if (st == PG_HELLO_DONE) {
			if (hi.sni)
				set_sni(info, hi.sni, hi.sni_len);
			return PG_QUIC_INITIAL;
		}
		parsed = 1;
	}
	/* The rest of the message is elsewhere: look for the extension in
	 * the pieces we do have (Chrome scatters CRYPTO frames, and the
	 * second datagram of a split ClientHello starts mid-message). */
	for (size_t r = parsed; r < nr; r++) {
		const uint8_t *sni;
		size_t sni_len;
		if (pg_tls_scan_sni(cb.data + runs[r][0], runs[r][1] - runs[r][0],
				    &sni, &sni_len)) {
			set_sni(info, sni, sni_len);
			return PG_QUIC_INITIAL;
		}
	}
	info->hello_incomplete = nr > 0;
	return PG_QUIC_INITIAL;
}

/* ---- Google QUIC ---- */

/* 'Q' or 'T' and three digits: Q024 ... Q050, T048 ... T051. */
static bool gquic_version(const uint8_t *v)
{
	return (v[0] == 'Q' || v[0] == 'T') && v[1] == '0' &&
	       pg_is_digit(v[2]) && pg_is_digit(v[3]);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[1] << 8 | p[0];
}

/*
 * A CHLO handshake message: "CHLO", a 16-bit little-endian tag count, two
 * bytes of padding, then (tag, end offset) pairs sorted by tag, then the
 * values back to back.  Looked for just after the header, where the crypto
 * stream's first STREAM frame puts it.
 */
static bool gquic_chlo(const uint8_t *p, size_t n, size_t from,
		       struct pg_quic_info *info)
{
	size_t at;
	if (from >= n)
		return false;
	size_t window = n - from < 64 ? n - from : 64;
	if (!pg_find(p + from, window, "CHLO", &at))
		return false;
	const uint8_t *m = p + from + at;
	size_t avail = n - from - at;
	if (avail < 8)
		return false;
	size_t count = (size_t)m[4] | (size_t)m[5] << 8;
	if (count == 0 || count > 128 || 8 + count * 8 > avail)
		return false;
	size_t values = 8 + count * 8;
	uint32_t prev_tag = 0, prev_end = 0;
	const uint8_t *sni = NULL;
	size_t sni_len = 0;
	for (size_t i = 0; i < count; i++) {
		uint32_t tag = le32(m + 8 + 8 * i);
		uint32_t end = le32(m + 12 + 8 * i);
		if ((i > 0 && tag <= prev_tag) || end < prev_end || end > 0xffff)
			return false;
		if (memcmp(m + 8 + 8 * i, "SNI\0", 4) == 0 &&
		    values + end <= avail) {
			sni = m + values + prev_end;
			sni_len = end - prev_end;
		}
		prev_tag = tag;
		prev_end = end;
	}
	info->chlo = true;
	if (sni && pg_valid_host(sni, sni_len) && sni_len < PG_QUIC_SNI_MAX) {
		info->sni_in_dgram = sni;
		set_sni(info, sni, sni_len);
	}
	return true;
}

enum pg_quic_kind pg_quic_inspect(const uint8_t *p, size_t n,
				  struct pg_quic_info *info)
{
	memset(info, 0, sizeof(*info));
	if (n < 13)
		return PG_QUIC_NONE;

	if (p[0] & 0x80) {
		uint32_t v = be32(p + 1);
		info->version = v;
		if (gquic_version(p + 1)) {
			/* Q046+: IETF-style long header, CHLO still in clear
			 * up to Q046; encrypted from Q050 on. */
			gquic_chlo(p, n, 5, info);
			return PG_QUIC_GQUIC;
		}
		const struct quic_version *qv = find_version(v);
		struct long_hdr h;
		if (!qv || !(p[0] & 0x40) || !parse_long(p, n, &h))
			return PG_QUIC_NONE;
		if (h.type != qv->initial_type || n < QUIC_MIN_INITIAL)
			return PG_QUIC_LONG;
		return ietf_initial(p, n, qv, info);
	}

	/* gQUIC public header (up to Q043): flags, 8-byte connection ID,
	 * version when flag 0x01 is set (the client's first packets). */
	if ((p[0] & 0x09) == 0x09 && !(p[0] & 0x02) && gquic_version(p + 9)) {
		info->version = be32(p + 9);
		static const size_t pn_len[4] = {1, 2, 4, 6};
		gquic_chlo(p, n, 13 + pn_len[(p[0] >> 4) & 3], info);
		return PG_QUIC_GQUIC;
	}
	return PG_QUIC_NONE;
}

/* ---- the detector ---- */

static enum pg_detect_status with_host(struct pg_detect_result *out,
				       const struct pg_quic_info *info)
{
	if (info->sni_in_dgram) {
		pg_set_host(out, info->sni_in_dgram, info->sni_len);
	}
#ifdef PG_DETECT_HOST_BUF
	/* The decrypted name lives only in this call's stack; it needs a
	 * caller-owned buffer in the result (see the report on detect.h). */
	else if (info->sni_len > 0 && info->sni_len < sizeof(out->host_buf)) {
		memcpy(out->host_buf, info->sni, info->sni_len);
		out->host = out->host_buf;
		out->host_len = info->sni_len;
	}
#endif
	return pg_match(out, PG_SYS_QUIC, PG_FEAT_ANY, PG_CONF_DECIDE);
}

static enum pg_detect_status quic_detect(const struct pg_detect_input *in,
					 struct pg_detect_result *out)
{
	struct pg_quic_info info;
	enum pg_quic_kind k = pg_quic_inspect(in->payload, in->payload_len, &info);

	if (in->dir == PG_DIR_S2C) {
		/* Server packets cannot be opened with what the datagram
		 * holds.  If the client side is still being judged, let it;
		 * otherwise (we joined late) a known long header is a hint. */
		if (in->c2s_packets > 0)
			return PG_DETECT_MAYBE;
		if (k == PG_QUIC_LONG)
			return pg_match(out, PG_SYS_QUIC, PG_FEAT_ANY,
					PG_CONF_WEAK);
		return PG_DETECT_NO;
	}

	switch (k) {
	case PG_QUIC_INITIAL:
		if (info.sni_len > 0 || !info.hello_incomplete ||
		    in->c2s_packets >= QUIC_MAX_WAIT_PACKETS)
			return with_host(out, &info);
		return PG_DETECT_MAYBE;
	case PG_QUIC_GQUIC:
		return with_host(out, &info);
	case PG_QUIC_LONG:
		/* Not openable (a later Initial after the server changed the
		 * connection ID, Handshake, 0-RTT).  After an Initial we
		 * waited on, that settles it; first thing in a flow, it is
		 * only a hint. */
		return pg_match(out, PG_SYS_QUIC, PG_FEAT_ANY,
				in->index > 0 ? PG_CONF_DECIDE : PG_CONF_WEAK);
	case PG_QUIC_NONE:
	default:
		/* Short header after an Initial we waited on: the handshake
		 * is over without the name showing. */
		if (in->index > 0)
			return pg_match(out, PG_SYS_QUIC, PG_FEAT_ANY,
					PG_CONF_DECIDE);
		return PG_DETECT_NO;
	}
}

const struct pg_detector pg_detector_quic = {
	.name = "quic",
	.l4_mask = PG_L4_UDP,
	.fn = quic_detect,
};
