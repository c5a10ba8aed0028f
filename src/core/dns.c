/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * DNS messages (RFC 1035 §4): the answer parser used for host learning and
 * the structural check used by the DNS detector.  Every length is checked
 * against the message; compression pointers must point backwards and are
 * followed at most PTR_HOPS times, so no input can loop.
 */
#include "peergate/dns.h"
#include "peergate/dns_wire.h"

#include <string.h>

#define HDR_LEN 12
#define PTR_HOPS 16
/* CNAME links followed from the question name.  Real chains are 1-3 long
 * (CDN indirection); the limit only bounds the work. */
#define CHAIN_MAX 8
/* Smallest possible resource record: root name, type, class, ttl, rdlen. */
#define RR_MIN 11

#define TYPE_A 1
#define TYPE_CNAME 5
#define TYPE_OPT 41
#define TYPE_AAAA 28
#define CLASS_IN 1

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static bool hostname_label_char(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_';
}

size_t pg_dns_read_name(const uint8_t *msg, size_t len, size_t off,
			char *out, size_t out_size, bool hostname_chars)
{
	size_t pos = off;
	size_t end = 0;       /* where the name's bytes at off end */
	size_t wire = 0;      /* octets of the uncompressed name */
	size_t w = 0;         /* chars written to out */
	unsigned hops = 0;

	if (out && out_size < PG_DNS_NAME_MAX)
		return 0;
	for (;;) {
		if (pos >= len)
			return 0;
		uint8_t l = msg[pos];
		if ((l & 0xc0) == 0xc0) {
			if (pos + 1 >= len || ++hops > PTR_HOPS)
				return 0;
			size_t target = (size_t)(l & 0x3f) << 8 | msg[pos + 1];
			/* Only backwards: a name can only refer to bytes
			 * that came before it, which also rules out loops. */
			if (target >= pos || target < HDR_LEN)
				return 0;
			if (!end)
				end = pos + 2;
			pos = target;
			continue;
		}
		if (l & 0xc0)
			return 0; /* 0x40/0x80: obsolete extended label types */
		if (l == 0) {
			wire += 1;
			if (wire > 255)
				return 0;
			if (!end)
				end = pos + 1;
			break;
		}
		if (l > len - pos - 1)
			return 0;
		wire += 1u + l;
		if (wire > 255)
			return 0;
		for (size_t i = 0; i < l; i++) {
			uint8_t c = msg[pos + 1 + i];
			if (hostname_chars && !hostname_label_char(c))
				return 0;
			/* A dot or NUL inside a label has no dotted form. */
			if (c == '.' || c == 0)
				return 0;
		}
		if (out) {
			if (w)
				out[w++] = '.';
			for (size_t i = 0; i < l; i++) {
				uint8_t c = msg[pos + 1 + i];
				out[w++] = (char)((c >= 'A' && c <= 'Z') ? c + 32 : c);
			}
		}
		pos += 1u + l;
	}
	if (out)
		out[w] = '\0';
	return end;
}

/* Skips one resource record at off; returns the offset past it or 0. */
static size_t skip_rr(const uint8_t *msg, size_t len, size_t off,
		      bool hostname_chars, uint16_t *type, uint16_t *class,
		      size_t *rdata, size_t *rdlen)
{
	/* Owner names follow the caller's character rule (the root owner of
	 * an OPT record passes any rule). */
	size_t p = pg_dns_read_name(msg, len, off, NULL, 0, hostname_chars);
	if (!p || len - p < 10)
		return 0;
	*type = be16(msg + p);
	*class = be16(msg + p + 2);
	*rdlen = be16(msg + p + 8);
	*rdata = p + 10;
	if (*rdlen > len - *rdata)
		return 0;
	return *rdata + *rdlen;
}

/* Checks the RDATA of the record types whose layout we know. */
static bool rdata_ok(const uint8_t *msg, size_t len, uint16_t type,
		     size_t rdata, size_t rdlen)
{
	switch (type) {
	case TYPE_A:
		return rdlen == 4;
	case TYPE_AAAA:
		return rdlen == 16;
	case TYPE_CNAME:
	case 2:  /* NS */
	case 12: /* PTR */ {
		/* The name must end exactly where the RDATA does. */
		size_t e = pg_dns_read_name(msg, rdata + rdlen, rdata, NULL, 0,
					    false);
		return e == rdata + rdlen;
	}
	default:
		return true;
	}
}

bool pg_dns_message_ok(const uint8_t *msg, size_t len, unsigned flags,
		       bool *is_response)
{
	bool hostnames = flags & PG_DNS_CHECK_HOSTNAMES;
	bool partial = flags & PG_DNS_CHECK_PARTIAL;
	bool mdns = flags & PG_DNS_CHECK_MDNS;

	if (len < HDR_LEN)
		return false;
	uint16_t f = be16(msg + 2);
	bool qr = f & 0x8000;
	unsigned opcode = (f >> 11) & 0xf;
	unsigned rcode = f & 0xf;
	unsigned qd = be16(msg + 4), an = be16(msg + 6), ns = be16(msg + 8),
		 ar = be16(msg + 10);
	*is_response = qr;

	/* QUERY, STATUS, NOTIFY, UPDATE; IQUERY is obsolete (RFC 3425). */
	if (opcode != 0 && opcode != 2 && opcode != 4 && opcode != 5)
		return false;
	if (f & 0x0040) /* the one Z bit left (RFC 6840 §5.7) */
		return false;
	if (!qr && rcode != 0)
		return false;
	if (mdns) {
		if (qd + an + ns + ar == 0)
			return false;
	} else if (opcode == 0) {
		/* Every resolver sends exactly one question; queries carry
		 * nothing but an OPT (and perhaps TSIG) record. */
		if (qd != 1)
			return false;
		if (!qr && (an != 0 || ns != 0 || ar > 2))
			return false;
	}
	if ((size_t)(qd * 5u + (an + ns + ar) * (size_t)RR_MIN) >
	    (partial ? (size_t)65535 : len - HDR_LEN))
		return false;

	size_t off = HDR_LEN;
	for (unsigned i = 0; i < qd; i++) {
		if (partial && off >= len)
			return true;
		size_t p = pg_dns_read_name(msg, len, off, NULL, 0, hostnames);
		if (!p)
			return false; /* a cut question is not worth a match */
		if (len - p < 4)
			return false;
		uint16_t qtype = be16(msg + p);
		uint16_t qclass = be16(msg + p + 2);
		if (mdns)
			qclass &= 0x7fff;
		if (qtype == 0)
			return false;
		/* IN, CH, HS, NONE (UPDATE), ANY */
		if (qclass != 1 && qclass != 3 && qclass != 4 &&
		    qclass != 254 && qclass != 255)
			return false;
		off = p + 4;
	}
	unsigned records = an + ns + ar;
	for (unsigned i = 0; i < records; i++) {
		if (partial && off >= len)
			return true;
		uint16_t type, class;
		size_t rdata, rdlen;
		size_t next = skip_rr(msg, len, off, hostnames, &type, &class,
				      &rdata, &rdlen);
		if (!next)
			return partial;
		if (type == 0)
			return false;
		if (type != TYPE_OPT && !rdata_ok(msg, len, type, rdata, rdlen))
			return false;
		off = next;
	}
	return partial || off == len;
}

/* Is name one of the chain's names? */
static bool in_chain(char chain[][PG_DNS_NAME_MAX], size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(chain[i], name) == 0)
			return true;
	return false;
}

/* The answer section of a response: where it starts and how many records
 * it holds. */
struct answer_section {
	const uint8_t *msg;
	size_t len;
	size_t start;
	unsigned count;
};

/* The header and the one question: 1 with the question's name in qname
 * and sec set, else what pg_dns_parse_response returns for the message
 * (0: nothing to learn, -1: not a well-formed response). */
static int read_question(const uint8_t *msg, size_t len, char *qname,
			 struct answer_section *sec)
{
	if (!msg || len < HDR_LEN)
		return -1;
	uint16_t f = be16(msg + 2);
	if (!(f & 0x8000))
		return -1; /* a query */
	if (((f >> 11) & 0xf) != 0)
		return 0;  /* NOTIFY, UPDATE ...: nothing to learn */
	unsigned qd = be16(msg + 4), an = be16(msg + 6);
	if (qd != 1)
		return qd == 0 && an == 0 ? 0 : -1;
	if ((size_t)an * RR_MIN > len - HDR_LEN)
		return -1;
	size_t off = pg_dns_read_name(msg, len, HDR_LEN, qname, PG_DNS_NAME_MAX, false);
	if (!off || len - off < 4)
		return -1;
	if (qname[0] == '\0')
		return -1; /* the root has no addresses to learn */
	*sec = (struct answer_section){.msg = msg, .len = len, .start = off + 4, .count = an};
	return 1;
}

/* The whole answer section must parse before anything is reported, so a
 * damaged message teaches nothing. */
static bool answers_well_formed(const struct answer_section *sec)
{
	size_t off = sec->start;

	for (unsigned i = 0; i < sec->count; i++) {
		uint16_t type, class;
		size_t rdata, rdlen;
		size_t next = skip_rr(sec->msg, sec->len, off, false, &type, &class,
				      &rdata, &rdlen);
		if (!next || !rdata_ok(sec->msg, sec->len, type, rdata, rdlen))
			return false;
		off = next;
	}
	return true;
}

/* Grows the set of names that stand for the question (chain[0]): CNAME
 * owners already in it add their targets.  Answers may come in any order,
 * so this repeats until nothing changes (at most CHAIN_MAX times).
 * Returns the names in the set. */
static size_t follow_cnames(const struct answer_section *sec,
			    char chain[CHAIN_MAX][PG_DNS_NAME_MAX])
{
	const uint8_t *msg = sec->msg;
	char owner[PG_DNS_NAME_MAX], target[PG_DNS_NAME_MAX];
	size_t nchain = 1;

	for (bool grew = true; grew && nchain < CHAIN_MAX;) {
		size_t off = sec->start;
		grew = false;
		for (unsigned i = 0; i < sec->count && nchain < CHAIN_MAX; i++) {
			uint16_t type, class;
			size_t rdata, rdlen;
			size_t next = skip_rr(msg, sec->len, off, false, &type,
					      &class, &rdata, &rdlen);
			if (type == TYPE_CNAME && (class & 0x7fff) == CLASS_IN &&
			    pg_dns_read_name(msg, sec->len, off, owner, sizeof(owner), false) &&
			    in_chain(chain, nchain, owner) &&
			    pg_dns_read_name(msg, sec->len, rdata, target, sizeof(target), false) &&
			    !in_chain(chain, nchain, target)) {
				memcpy(chain[nchain++], target, sizeof(target));
				grew = true;
			}
			off = next;
		}
	}
	return nchain;
}

/* Reports every A and AAAA record whose owner stands for the question,
 * under the question's name.  Returns how many. */
static int report_addresses(const struct answer_section *sec,
			    char chain[CHAIN_MAX][PG_DNS_NAME_MAX], size_t nchain,
			    pg_dns_answer_cb cb, void *ctx)
{
	const uint8_t *msg = sec->msg;
	char owner[PG_DNS_NAME_MAX];
	size_t off = sec->start;
	int reported = 0;

	for (unsigned i = 0; i < sec->count; i++) {
		uint16_t type, class;
		size_t rdata, rdlen;
		size_t next = skip_rr(msg, sec->len, off, false, &type, &class,
				      &rdata, &rdlen);
		if ((type == TYPE_A || type == TYPE_AAAA) &&
		    (class & 0x7fff) == CLASS_IN &&
		    pg_dns_read_name(msg, sec->len, off, owner, sizeof(owner), false) &&
		    in_chain(chain, nchain, owner)) {
			uint32_t ttl = be32(msg + rdata - 6);
			/* RFC 2181 §8: a TTL with the top bit set means 0. */
			if (ttl & 0x80000000u)
				ttl = 0;
			if (cb)
				cb(ctx, type == TYPE_A ? 4 : 6, msg + rdata,
				   chain[0], ttl);
			reported++;
		}
		off = next;
	}
	return reported;
}

int pg_dns_parse_response(const uint8_t *msg, size_t len, pg_dns_answer_cb cb,
			  void *ctx)
{
	char chain[CHAIN_MAX][PG_DNS_NAME_MAX];
	struct answer_section sec;
	int ret = read_question(msg, len, chain[0], &sec);

	if (ret <= 0)
		return ret;
	if (!answers_well_formed(&sec))
		return -1;
	size_t nchain = follow_cnames(&sec, chain);
	return report_addresses(&sec, chain, nchain, cb, ctx);
}
