/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The nftables helper: builds `table inet peergate` with libnftnl and sends
 * it to the kernel as one nfnetlink batch over libmnl.  Over an existing
 * table the batch is an update in place (see build_apply): the base chains
 * stay, because deleting one unregisters its hook and the kernel then drops
 * every packet queued from it.
 *
 * Every message of a batch carries NLM_F_ACK and its own sequence number,
 * and every ACK is read back, also after an error, so that the kernel's
 * errno can be mapped to the object that caused it (the kernel goes on
 * through the whole batch and reports each refused message, then aborts).
 * That mapping is also how a kernel without the native `queue` expression
 * is recognised: the queue rules, and only they, fail with ENOENT, and the
 * batch is sent again with the xt NFQUEUE target through nft_compat.
 */
#include "peergate/nft.h"

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/xt_NFQUEUE.h>
#include <linux/netlink.h>

#include "peergate/mark.h"
#include "seterr.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* nft's datatype numbers (its enum datatypes); a set's key type is what
 * makes `nft list` print it as, e.g., `type inet_service`.  A concatenated
 * key's type is the fields' numbers, PG_NFT_TYPE_BITS each, the first
 * field in the highest bits. */
#define PG_NFT_TYPE_IPADDR 7
#define PG_NFT_TYPE_IP6ADDR 8
#define PG_NFT_TYPE_INET_PROTO 12
#define PG_NFT_TYPE_INET_SERVICE 13
#define PG_NFT_TYPE_BITS 6

/* The key of a blocked-flow element is what the rule's loads leave in the
 * registers: saddr . l4proto . sport . daddr . dport, each field starting
 * on a 32-bit register and zero-padded to it (the kernel zeroes the rest
 * of a register on a short load).  20 bytes for IPv4, 44 for IPv6. */
#define PG_NFT_FLOW_KEY_LEN(alen) (2u * (alen) + 12u)
#define PG_NFT_FLOW_KEY_MAX PG_NFT_FLOW_KEY_LEN(16u)

/* Room reserved for each batch message.  The largest message peergate
 * builds is one set's elements (at most 33 short elements), well below. */
#define PG_NFT_MSG_ROOM 16384

/* How long to wait for the kernel's ACKs.  After an error on the batch
 * header itself (no permission, nf_tables missing, out of memory) the
 * kernel sends nothing else, so only a short grace period applies. */
#define PG_NFT_ACK_TIMEOUT_MS 5000
#define PG_NFT_ACK_GRACE_MS 200

#define PG_NFT_RECV_SIZE 65536

static const struct {
	unsigned bit;
	const char *name;
	uint32_t hooknum;
} pg_nft_hooks[] = {
	{PG_HOOK_FORWARD, "forward", NF_INET_FORWARD},
	{PG_HOOK_INPUT, "input", NF_INET_LOCAL_IN},
	{PG_HOOK_OUTPUT, "output", NF_INET_LOCAL_OUT},
};
#define PG_NFT_NHOOKS (sizeof(pg_nft_hooks) / sizeof(pg_nft_hooks[0]))
#define PG_NFT_HOOK_MASK (PG_HOOK_FORWARD | PG_HOOK_INPUT | PG_HOOK_OUTPUT)

const char *pg_nft_queue_kind_name(enum pg_nft_queue_kind k)
{
	switch (k) {
	case PG_NFT_QUEUE_NATIVE:
		return "native";
	case PG_NFT_QUEUE_COMPAT:
		return "compat";
	}
	return "unknown";
}

/* The key type of blocked4 (v6 false) or blocked6. */
static uint32_t flow_key_type(bool v6)
{
	const uint32_t a = v6 ? PG_NFT_TYPE_IP6ADDR : PG_NFT_TYPE_IPADDR;
	const uint32_t fields[] = {
		a, PG_NFT_TYPE_INET_PROTO, PG_NFT_TYPE_INET_SERVICE, a,
		PG_NFT_TYPE_INET_SERVICE,
	};
	uint32_t t = 0;

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		t = t << PG_NFT_TYPE_BITS | fields[i];
	return t;
}

/* Writes the key of src:sport -> dst:dport (alen-byte addresses, ports in
 * host order) to key; returns its length. */
static uint32_t flow_key(uint8_t key[PG_NFT_FLOW_KEY_MAX], size_t alen,
			 uint8_t l4proto, const uint8_t *src, uint16_t sport,
			 const uint8_t *dst, uint16_t dport)
{
	uint8_t *p = key;

	memset(key, 0, PG_NFT_FLOW_KEY_MAX);
	memcpy(p, src, alen);
	p += alen;
	p[0] = l4proto;
	p += 4;
	p[0] = (uint8_t)(sport >> 8);
	p[1] = (uint8_t)sport;
	p += 4;
	memcpy(p, dst, alen);
	p += alen;
	p[0] = (uint8_t)(dport >> 8);
	p[1] = (uint8_t)dport;
	return PG_NFT_FLOW_KEY_LEN((uint32_t)alen);
}

/* "<system>_<feature>_<tcp|udp>", with anything but [a-z0-9_] as '_'
 * (feature names have dashes, which nft would need quoted). */
static int portset_name(const struct pg_nft_portset *s, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s_%s_%s", pg_system_name(s->system),
			 pg_feature_name(s->feature),
			 s->l4proto == IPPROTO_TCP ? "tcp" : "udp");

	if (n < 0 || (size_t)n >= len)
		return -1;
	for (char *p = buf; *p; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')))
			*p = '_';
	}
	return 0;
}

/* Sorts a set's ranges and merges overlapping and adjacent ones: the
 * kernel's interval sets refuse overlaps (EEXIST), and `nft` merges the
 * same way, so what `nft list` shows matches what was meant. */
static size_t merge_ranges(const struct pg_nft_portset *s,
			   struct pg_nft_range out[16])
{
	struct pg_nft_range tmp[16];
	size_t n = 0;

	memcpy(tmp, s->ranges, s->count * sizeof(tmp[0]));
	for (size_t i = 1; i < s->count; i++) {
		struct pg_nft_range r = tmp[i];
		size_t j = i;

		while (j > 0 && tmp[j - 1].lo > r.lo) {
			tmp[j] = tmp[j - 1];
			j--;
		}
		tmp[j] = r;
	}
	for (size_t i = 0; i < s->count; i++) {
		if (n && (uint32_t)tmp[i].lo <= (uint32_t)out[n - 1].hi + 1) {
			if (tmp[i].hi > out[n - 1].hi)
				out[n - 1].hi = tmp[i].hi;
			continue;
		}
		out[n++] = tmp[i];
	}
	return n;
}

static int validate_prefixes(const struct pg_prefix *v, size_t n,
			     const char *what, char *err, size_t errlen)
{
	int ret = -1;

	if (n && !v) {
		pg_seterr(err, errlen, "%zu %s prefixes announced but none given", n, what);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const struct pg_prefix *p = &v[i];

		if ((p->family != 4 && p->family != 6) ||
		    p->len > (p->family == 4 ? 32 : 128)) {
			pg_seterr(err, errlen,
				  "%s prefix %zu: family %u / length %u is not an IPv4 or IPv6 prefix",
				  what, i, p->family, p->len);
			goto out;
		}
	}
	ret = 0;
out:
	return ret;
}

static int validate(const struct pg_nft_config *cfg, char *err, size_t errlen)
{
	unsigned count = cfg->queue_count ? cfg->queue_count : 1;
	int ret = -1;

	if (!cfg->hooks || (cfg->hooks & ~(unsigned)PG_NFT_HOOK_MASK)) {
		pg_seterr(err, errlen,
			  "hook mask 0x%x is not usable: choose one or more of forward (0x1), input (0x2), output (0x4)",
			  cfg->hooks);
		goto out;
	}
	if (!pg_mark_mask_valid(cfg->mark_mask)) {
		pg_seterr(err, errlen,
			  "mark mask 0x%08" PRIx32 " is not usable: it must be one contiguous group of at least 3 bits",
			  cfg->mark_mask);
		goto out;
	}
	if ((uint32_t)cfg->queue_first + count - 1 > UINT16_MAX) {
		pg_seterr(err, errlen, "queue range %u-%u is beyond queue 65535",
			  cfg->queue_first, cfg->queue_first + count - 1);
		goto out;
	}
	if (cfg->nsets && !cfg->sets) {
		pg_seterr(err, errlen, "%zu port sets announced but none given",
			  cfg->nsets);
		goto out;
	}
	for (size_t i = 0; i < cfg->nsets; i++) {
		const struct pg_nft_portset *s = &cfg->sets[i];
		char name[64], other[64];

		if (!pg_system_is_policed(s->system) ||
		    (unsigned)s->feature >= PG_FEAT_COUNT) {
			pg_seterr(err, errlen,
				  "port set %zu: system %d / feature %d is not a policed class",
				  i, (int)s->system, (int)s->feature);
			goto out;
		}
		if (s->l4proto != IPPROTO_TCP && s->l4proto != IPPROTO_UDP) {
			pg_seterr(err, errlen,
				  "port set %zu: protocol %u is neither tcp nor udp",
				  i, s->l4proto);
			goto out;
		}
		if (portset_name(s, name, sizeof(name)) < 0) {
			pg_seterr(err, errlen, "port set %zu: name too long", i);
			goto out;
		}
		if (s->count > sizeof(s->ranges) / sizeof(s->ranges[0])) {
			pg_seterr(err, errlen, "port set %s: %zu ranges, at most 16",
				  name, s->count);
			goto out;
		}
		for (size_t r = 0; r < s->count; r++) {
			if (s->ranges[r].lo > s->ranges[r].hi) {
				pg_seterr(err, errlen,
					  "port set %s: range %u-%u is reversed",
					  name, s->ranges[r].lo, s->ranges[r].hi);
				goto out;
			}
		}
		for (size_t j = 0; j < i; j++) {
			if (portset_name(&cfg->sets[j], other, sizeof(other)) == 0 &&
			    strcmp(name, other) == 0) {
				pg_seterr(err, errlen, "port set %s is given twice", name);
				goto out;
			}
		}
	}
	if (validate_prefixes(cfg->allow, cfg->nallow, "allow", err, errlen) < 0 ||
	    validate_prefixes(cfg->inspect, cfg->ninspect, "inspect", err, errlen) < 0)
		goto out;
	ret = 0;
out:
	return ret;
}

/* ------------------------------------------------------------------ */
/* The batch: messages in one growing buffer, and what each one is.    */

struct batch_obj {
	char what[112];           /* "chain forward rule 12 (queue, native)" */
	bool queue;               /* the rule holds the queue expression */
	int status;               /* -1 pending, 0 ACKed, else errno */
};

struct batch {
	char *buf;
	size_t len, cap;
	uint32_t seq0;            /* the batch-begin message */
	struct batch_obj *objs;   /* objs[i] is message seq0 + 1 + i */
	size_t nobjs, capobjs;
	int head_err;             /* errno reported against seq0, or 0 */
	char head_extack[160];    /* the kernel's text for head_err */
	char extack[160];         /* the kernel's text for the first object error */
	size_t extack_idx;        /* which object extack belongs to */
};

static void batch_free(struct batch *b)
{
	free(b->buf);
	free(b->objs);
	memset(b, 0, sizeof(*b));
}

static void batch_reset(struct batch *b, uint32_t seq0)
{
	b->len = 0;
	b->nobjs = 0;
	b->seq0 = seq0;
	b->head_err = 0;
	b->head_extack[0] = '\0';
	b->extack[0] = '\0';
	b->extack_idx = SIZE_MAX;
}

static char *batch_room(struct batch *b)
{
	if (b->cap - b->len < PG_NFT_MSG_ROOM) {
		size_t ncap = b->cap ? b->cap * 2 : 65536;
		char *nbuf;

		while (ncap - b->len < PG_NFT_MSG_ROOM)
			ncap *= 2;
		nbuf = realloc(b->buf, ncap);
		if (!nbuf)
			return NULL;
		/* Zeroed so that padding bytes sent to the kernel are defined. */
		memset(nbuf + b->cap, 0, ncap - b->cap);
		b->buf = nbuf;
		b->cap = ncap;
	}
	return b->buf + b->len;
}

/* Accounts for the message just written at the end of the buffer. */
static void batch_close(struct batch *b)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)(b->buf + b->len);

	b->len += NLMSG_ALIGN(nlh->nlmsg_len);
}

static int batch_begin(struct batch *b)
{
	char *p = batch_room(b);

	if (!p)
		return -1;
	nftnl_batch_begin(p, b->seq0);
	batch_close(b);
	return 0;
}

static int batch_end(struct batch *b)
{
	char *p = batch_room(b);

	if (!p)
		return -1;
	nftnl_batch_end(p, b->seq0 + 1 + (uint32_t)b->nobjs);
	batch_close(b);
	return 0;
}

/* Starts an object message with NLM_F_ACK and the next sequence number,
 * and records what it is for the error report. */
__attribute__((format(printf, 5, 6)))
static struct nlmsghdr *batch_msg(struct batch *b, uint16_t type,
				  uint16_t flags, bool queue,
				  const char *fmt, ...)
{
	struct batch_obj *o;
	va_list ap;
	char *p;

	if (b->nobjs == b->capobjs) {
		size_t ncap = b->capobjs ? b->capobjs * 2 : 64;
		struct batch_obj *n = realloc(b->objs, ncap * sizeof(*n));

		if (!n)
			return NULL;
		b->objs = n;
		b->capobjs = ncap;
	}
	p = batch_room(b);
	if (!p)
		return NULL;
	o = &b->objs[b->nobjs];
	va_start(ap, fmt);
	vsnprintf(o->what, sizeof(o->what), fmt, ap);
	va_end(ap);
	o->queue = queue;
	o->status = -1;
	return nftnl_nlmsg_build_hdr(p, type, NFPROTO_INET, flags | NLM_F_ACK,
				     b->seq0 + 1 + (uint32_t)b->nobjs++);
}

/* ------------------------------------------------------------------ */
/* Netlink plumbing.                                                   */

static struct mnl_socket *nl_open(char *err, size_t errlen)
{
	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
	int one = 1;

	if (!nl) {
		pg_seterr(err, errlen, "cannot open a netfilter netlink socket: %s",
			  strerror(errno));
		return NULL;
	}
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		pg_seterr(err, errlen, "cannot bind the netfilter netlink socket: %s",
			  strerror(errno));
		mnl_socket_close(nl);
		return NULL;
	}
	/* Error ACKs without a copy of the request keep the receive buffer
	 * small; extended ACKs may carry the kernel's own text.  Both are
	 * optional, so failures are ignored. */
	(void)mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one));
	(void)mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one));
	return nl;
}

/* One ACK is one skb of roughly 1 KiB truesize: a batch of N messages
 * needs N of them queued at once, or the kernel drops ACKs and the socket
 * reports ENOBUFS (google/nftables#103).  The send buffer must also hold
 * the whole batch, or sendmsg fails with EMSGSIZE.  The *FORCE options
 * (CAP_NET_ADMIN, which changing nftables needs anyway) pass the sysctl
 * limits; the plain ones are the fallback. */
static void nl_size_buffers(struct mnl_socket *nl, size_t sndlen, size_t nacks)
{
	int fd = mnl_socket_get_fd(nl);
	size_t rcv = nacks * 1024 + 262144, snd = sndlen + 65536;
	int v;

	if (rcv > INT_MAX / 2)
		rcv = INT_MAX / 2;
	if (snd > INT_MAX / 2)
		snd = INT_MAX / 2;
	v = (int)snd;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof(v)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
	v = (int)rcv;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
}

/* The kernel's extended-ACK message of an error, if it sent one. */
static const char *extack_msg(const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr;
	size_t off = sizeof(*e);

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return NULL;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	if (off > mnl_nlmsg_get_payload_len(nlh))
		return NULL;
	mnl_attr_for_each(attr, nlh, off) {
		if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
		    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
			return mnl_attr_get_str(attr);
	}
	return NULL;
}

/* Records one ACK or error; returns true when it settled a pending
 * object.  Anything else (duplicates, foreign sequence numbers, other
 * message types) is ignored. */
static bool batch_ack(struct batch *b, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e;
	const char *msg;
	uint32_t idx;

	if (nlh->nlmsg_type != NLMSG_ERROR ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*e))
		return false;
	e = mnl_nlmsg_get_payload(nlh);
	if (nlh->nlmsg_seq == b->seq0) {
		b->head_err = e->error ? -e->error : EPROTO;
		msg = extack_msg(nlh);
		if (msg)
			snprintf(b->head_extack, sizeof(b->head_extack), "%s", msg);
		return false;
	}
	idx = nlh->nlmsg_seq - b->seq0 - 1;
	if (idx >= b->nobjs || b->objs[idx].status != -1)
		return false;
	b->objs[idx].status = -e->error;
	msg = e->error ? extack_msg(nlh) : NULL;
	if (msg && idx < b->extack_idx) {
		snprintf(b->extack, sizeof(b->extack), "%s", msg);
		b->extack_idx = idx;
	}
	return true;
}

/* Sends the batch and reads every ACK.  Returns 0 when the kernel took
 * everything, 1 when it refused something (see objs[].status and
 * head_err), -1 on a transport failure (described in err). */
static int batch_talk(struct mnl_socket *nl, struct batch *b, char *err,
		      size_t errlen)
{
	size_t pending = b->nobjs;
	char *rbuf = NULL;
	int ret = -1;

	rbuf = malloc(PG_NFT_RECV_SIZE);
	if (!rbuf) {
		pg_seterr(err, errlen, "out of memory");
		goto out;
	}
	nl_size_buffers(nl, b->len, b->nobjs);
	if (mnl_socket_sendto(nl, b->buf, b->len) < 0) {
		pg_seterr(err, errlen, "cannot send the nftables batch (%zu bytes, %zu messages): %s",
			  b->len, b->nobjs, strerror(errno));
		goto out;
	}
	while (pending) {
		struct pollfd pfd = {.fd = mnl_socket_get_fd(nl), .events = POLLIN};
		int timeout = b->head_err ? PG_NFT_ACK_GRACE_MS : PG_NFT_ACK_TIMEOUT_MS;
		ssize_t n;
		int pr, rem;

		pr = poll(&pfd, 1, timeout);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0) {
			pg_seterr(err, errlen, "poll on the netlink socket: %s", strerror(errno));
			goto out;
		}
		if (pr == 0) {
			if (b->head_err)
				break;     /* the kernel refused the whole batch */
			pg_seterr(err, errlen, "no answer from the kernel for %zu of %zu nftables messages",
				  pending, b->nobjs);
			goto out;
		}
		n = mnl_socket_recvfrom(nl, rbuf, PG_NFT_RECV_SIZE);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			/* ENOBUFS: ACKs were dropped, so the outcome of some
			 * messages is unknown; say so rather than guess. */
			pg_seterr(err, errlen, "reading nftables ACKs: %s%s", strerror(errno),
				  errno == ENOBUFS ? " (ACKs lost: receive buffer too small)" : "");
			goto out;
		}
		rem = (int)n;
		for (const struct nlmsghdr *nlh = (const struct nlmsghdr *)rbuf;
		     mnl_nlmsg_ok(nlh, rem); nlh = mnl_nlmsg_next(nlh, &rem)) {
			if (batch_ack(b, nlh))
				pending--;
		}
	}
	ret = b->head_err ? 1 : 0;
	for (size_t i = 0; i < b->nobjs && !ret; i++) {
		if (b->objs[i].status != 0)
			ret = 1;
	}
out:
	free(rbuf);
	return ret;
}

/* head: the error came for the batch as a whole (capabilities, missing
 * subsystem), not for one object (where EPERM means a table owned by
 * another netlink socket). */
static const char *errno_hint(int e, bool head)
{
	switch (e) {
	case EPERM:
		return head ? " (need CAP_NET_ADMIN?)" : " (owned by another process?)";
	case EOPNOTSUPP:
	case EPROTONOSUPPORT:
		return head ? " (is nf_tables available in this kernel?)" : "";
	default:
		return "";
	}
}

/* The new end of a string after snprintf wrote n more bytes at off. */
static size_t str_advance(size_t off, int n, size_t len)
{
	if (n < 0)
		return off;
	return (size_t)n < len - off ? off + (size_t)n : len - 1;
}

/* "what: strerror" for up to three refused objects. */
static void batch_describe(const struct batch *b, const char *prefix,
			   char *err, size_t errlen)
{
	size_t nerr = 0, shown = 0, off = 0;
	int n;

	if (!err || !errlen)
		return;
	err[0] = '\0';
	n = snprintf(err, errlen, "%s", prefix);
	off = str_advance(0, n, errlen);
	if (b->head_err) {
		n = snprintf(err + off, errlen - off, "the kernel refused the batch: %s%s%s%s",
			     strerror(b->head_err), errno_hint(b->head_err, true),
			     b->head_extack[0] ? " - " : "", b->head_extack);
		off = str_advance(off, n, errlen);
		shown++;
	}
	for (size_t i = 0; i < b->nobjs; i++) {
		const struct batch_obj *o = &b->objs[i];

		/* -1 (no answer) only remains after the kernel refused the
		 * whole batch, which is reported above. */
		if (o->status <= 0)
			continue;
		nerr++;
		if (shown >= 3)
			continue;
		n = snprintf(err + off, errlen - off, "%s%s: %s%s%s%s", shown ? "; " : "",
			     o->what, strerror(o->status), errno_hint(o->status, false),
			     b->extack_idx == i ? " - " : "",
			     b->extack_idx == i ? b->extack : "");
		off = str_advance(off, n, errlen);
		shown++;
	}
	if (nerr + (b->head_err ? 1 : 0) > shown)
		snprintf(err + off, errlen - off, "; and %zu more",
			 nerr + (b->head_err ? 1 : 0) - shown);
}

/* True when every refusal is a queue rule the kernel has no expression
 * for: the sign of a kernel without CONFIG_NFT_QUEUE. */
static bool batch_only_queue_missing(const struct batch *b)
{
	bool any = false;

	if (b->head_err)
		return false;
	for (size_t i = 0; i < b->nobjs; i++) {
		const struct batch_obj *o = &b->objs[i];

		if (o->status == 0)
			continue;
		if (!o->queue || (o->status != ENOENT && o->status != EOPNOTSUPP))
			return false;
		any = true;
	}
	return any;
}

/* ------------------------------------------------------------------ */
/* Rule building.  A failed allocation marks the rule; rule_emit checks
 * once, so the builders stay free of error plumbing.                  */

struct rule {
	struct nftnl_rule *r;
	bool oom;
};

static void rule_start(struct rule *ru, const char *chain)
{
	ru->oom = false;
	ru->r = nftnl_rule_alloc();
	if (!ru->r) {
		ru->oom = true;
		return;
	}
	nftnl_rule_set_u32(ru->r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	if (nftnl_rule_set_str(ru->r, NFTNL_RULE_TABLE, PG_NFT_TABLE) < 0 ||
	    nftnl_rule_set_str(ru->r, NFTNL_RULE_CHAIN, chain) < 0)
		ru->oom = true;
}

static struct nftnl_expr *rule_expr(struct rule *ru, const char *name)
{
	struct nftnl_expr *e;

	if (ru->oom)
		return NULL;
	e = nftnl_expr_alloc(name);
	if (!e) {
		ru->oom = true;
		return NULL;
	}
	nftnl_rule_add_expr(ru->r, e);    /* the rule owns it from here */
	return e;
}

static void rule_data(struct rule *ru, struct nftnl_expr *e, uint16_t attr,
		      const void *data, uint32_t len)
{
	if (e && nftnl_expr_set(e, attr, data, len) < 0)
		ru->oom = true;
}

static void e_meta_load_reg(struct rule *ru, uint32_t key, uint32_t dreg)
{
	struct nftnl_expr *e = rule_expr(ru, "meta");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
}

static void e_meta_load(struct rule *ru, uint32_t key)
{
	e_meta_load_reg(ru, key, NFT_REG_1);
}

static void e_ct_load(struct rule *ru, uint32_t key)
{
	struct nftnl_expr *e = rule_expr(ru, "ct");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
}

static void e_ct_set(struct rule *ru, uint32_t key)
{
	struct nftnl_expr *e = rule_expr(ru, "ct");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_SREG, NFT_REG_1);
}

static void e_meta_set(struct rule *ru, uint32_t key)
{
	struct nftnl_expr *e = rule_expr(ru, "meta");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_SREG, NFT_REG_1);
}

/* reg1 = (reg1 & mask) ^ xor over len bytes. */
static void e_bitwise(struct rule *ru, uint32_t len, const void *mask,
		      const void *xor)
{
	struct nftnl_expr *e = rule_expr(ru, "bitwise");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
	rule_data(ru, e, NFTNL_EXPR_BITWISE_MASK, mask, len);
	rule_data(ru, e, NFTNL_EXPR_BITWISE_XOR, xor, len);
}

static void e_bitwise_u32(struct rule *ru, uint32_t mask, uint32_t xor)
{
	e_bitwise(ru, sizeof(uint32_t), &mask, &xor);
}

static void e_cmp(struct rule *ru, uint32_t op, const void *data, uint32_t len)
{
	struct nftnl_expr *e = rule_expr(ru, "cmp");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	rule_data(ru, e, NFTNL_EXPR_CMP_DATA, data, len);
}

static void e_cmp_u8(struct rule *ru, uint8_t v)
{
	e_cmp(ru, NFT_CMP_EQ, &v, sizeof(v));
}

/* Marks live in registers in host byte order (that is how meta/ct load
 * them), so the constants are compared as host-order u32. */
static void e_cmp_u32(struct rule *ru, uint32_t v)
{
	e_cmp(ru, NFT_CMP_EQ, &v, sizeof(v));
}

static void e_payload_reg(struct rule *ru, uint32_t base, uint32_t offset,
			  uint32_t len, uint32_t dreg)
{
	struct nftnl_expr *e = rule_expr(ru, "payload");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
}

static void e_payload(struct rule *ru, uint32_t base, uint32_t offset,
		      uint32_t len)
{
	e_payload_reg(ru, base, offset, len, NFT_REG_1);
}

static void e_lookup(struct rule *ru, const char *set, uint32_t set_id)
{
	struct nftnl_expr *e = rule_expr(ru, "lookup");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
	if (nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set) < 0)
		ru->oom = true;
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, set_id);
}

static void e_counter(struct rule *ru)
{
	(void)rule_expr(ru, "counter");
}

static void e_counter_ref(struct rule *ru, const char *name)
{
	struct nftnl_expr *e = rule_expr(ru, "objref");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_OBJREF_IMM_TYPE, NFT_OBJECT_COUNTER);
	if (nftnl_expr_set_str(e, NFTNL_EXPR_OBJREF_IMM_NAME, name) < 0)
		ru->oom = true;
}

static void e_verdict(struct rule *ru, int verdict)
{
	struct nftnl_expr *e = rule_expr(ru, "immediate");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)verdict);
}

/* `jump CHAIN`: a regular chain whose `return` (or end) comes back here. */
static void e_jump(struct rule *ru, const char *chain)
{
	struct nftnl_expr *e = rule_expr(ru, "immediate");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)NFT_JUMP);
	if (nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, chain) < 0)
		ru->oom = true;
}

static void e_reject_tcp_reset(struct rule *ru)
{
	struct nftnl_expr *e = rule_expr(ru, "reject");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_REJECT_TYPE, NFT_REJECT_TCP_RST);
	nftnl_expr_set_u8(e, NFTNL_EXPR_REJECT_CODE, 0);
}

/* Starts a rule matching `ct mark & mask == value`. */
static void rule_start_ct_code(struct rule *ru, const char *chain, uint32_t mask,
			       uint32_t value)
{
	rule_start(ru, chain);
	e_ct_load(ru, NFT_CT_MARK);
	e_bitwise_u32(ru, mask, 0);
	e_cmp_u32(ru, value);
}

/* Starts a rule matching `meta mark & mask == value`. */
static void rule_start_mark_code(struct rule *ru, const char *chain, uint32_t mask,
				 uint32_t value)
{
	rule_start(ru, chain);
	e_meta_load(ru, NFT_META_MARK);
	e_bitwise_u32(ru, mask, 0);
	e_cmp_u32(ru, value);
}

/* `meta l4proto tcp` */
static void e_is_tcp(struct rule *ru)
{
	uint8_t tcp = IPPROTO_TCP;

	e_meta_load(ru, NFT_META_L4PROTO);
	e_cmp(ru, NFT_CMP_EQ, &tcp, sizeof(tcp));
}

/* `tcp flags & bits OP value` */
static void e_tcp_flags_cmp(struct rule *ru, uint8_t bits, uint32_t op, uint8_t value)
{
	uint8_t zero = 0;

	e_payload(ru, NFT_PAYLOAD_TRANSPORT_HEADER, 13, 1);
	e_bitwise(ru, 1, &bits, &zero);
	e_cmp(ru, op, &value, sizeof(value));
}

/* `tcp flags & bits == 0` (op NFT_CMP_EQ) or `!= 0` (NFT_CMP_NEQ) */
static void e_tcp_flags(struct rule *ru, uint8_t bits, uint32_t op)
{
	e_tcp_flags_cmp(ru, bits, op, 0);
}

/* Never CPU fanout: the packets of one flow must all reach the same
 * queue (and so the same classifier state), which the default flow hash
 * over a queue range gives and per-CPU spreading does not. */
static void e_queue(struct rule *ru, const struct pg_nft_config *cfg,
		    enum pg_nft_queue_kind kind)
{
	uint16_t total = cfg->queue_count ? cfg->queue_count : 1;
	uint16_t flags = cfg->queue_bypass ? NFT_QUEUE_FLAG_BYPASS : 0;
	struct nftnl_expr *e;

	if (kind == PG_NFT_QUEUE_NATIVE) {
		e = rule_expr(ru, "queue");
		if (!e)
			return;
		nftnl_expr_set_u16(e, NFTNL_EXPR_QUEUE_NUM, cfg->queue_first);
		nftnl_expr_set_u16(e, NFTNL_EXPR_QUEUE_TOTAL, total);
		nftnl_expr_set_u16(e, NFTNL_EXPR_QUEUE_FLAGS, flags);
	} else {
		/* libnftnl takes ownership of the info blob (it frees it with
		 * the expression) and sends it padded to XT_ALIGN, so hand it
		 * a zeroed heap buffer of the aligned size. */
		struct xt_NFQ_info_v3 *info;

		e = rule_expr(ru, "target");
		if (!e)
			return;
		info = calloc(1, 8);
		if (!info) {
			ru->oom = true;
			return;
		}
		info->queuenum = cfg->queue_first;
		info->queues_total = total;
		info->flags = cfg->queue_bypass ? NFQ_FLAG_BYPASS : 0;
		if (nftnl_expr_set_str(e, NFTNL_EXPR_TG_NAME, "NFQUEUE") < 0)
			ru->oom = true;
		nftnl_expr_set_u32(e, NFTNL_EXPR_TG_REV, 3);
		if (nftnl_expr_set(e, NFTNL_EXPR_TG_INFO, info, sizeof(*info)) < 0) {
			free(info);
			ru->oom = true;
		}
	}
}

/* Appends the rule to the batch and frees it. */
__attribute__((format(printf, 4, 5)))
static int rule_emit(struct batch *b, struct rule *ru, bool queue,
		     const char *fmt, ...)
{
	struct nlmsghdr *nlh;
	char what[112];
	va_list ap;
	int ret = -1;

	if (ru->oom)
		goto out;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	nlh = batch_msg(b, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, queue,
			"%s", what);
	if (!nlh)
		goto out;
	nftnl_rule_nlmsg_build_payload(nlh, ru->r);
	batch_close(b);
	ret = 0;
out:
	if (ru->r)
		nftnl_rule_free(ru->r);
	ru->r = NULL;
	return ret;
}

/* ------------------------------------------------------------------ */
/* Table contents.                                                     */

static int add_table_msg(struct batch *b, uint16_t type, uint16_t flags,
			 const char *what)
{
	struct nftnl_table *t = nftnl_table_alloc();
	struct nlmsghdr *nlh;
	int ret = -1;

	if (!t || nftnl_table_set_str(t, NFTNL_TABLE_NAME, PG_NFT_TABLE) < 0)
		goto out;
	nlh = batch_msg(b, type, flags, false, "%s", what);
	if (!nlh)
		goto out;
	nftnl_table_nlmsg_build_payload(nlh, t);
	batch_close(b);
	ret = 0;
out:
	if (t)
		nftnl_table_free(t);
	return ret;
}

static int add_counter_obj(struct batch *b, const char *name)
{
	struct nftnl_obj *o = nftnl_obj_alloc();
	struct nlmsghdr *nlh;
	int ret = -1;

	if (!o)
		goto out;
	nftnl_obj_set_str(o, NFTNL_OBJ_TABLE, PG_NFT_TABLE);
	nftnl_obj_set_str(o, NFTNL_OBJ_NAME, name);
	nftnl_obj_set_u32(o, NFTNL_OBJ_TYPE, NFT_OBJECT_COUNTER);
	if (!nftnl_obj_get_str(o, NFTNL_OBJ_NAME))
		goto out;
	nlh = batch_msg(b, NFT_MSG_NEWOBJ, NLM_F_CREATE | NLM_F_EXCL, false,
			"counter %s", name);
	if (!nlh)
		goto out;
	nftnl_obj_nlmsg_build_payload(nlh, o);
	batch_close(b);
	ret = 0;
out:
	if (o)
		nftnl_obj_free(o);
	return ret;
}

static int set_elem_add(struct nftnl_set *s, uint16_t port, bool end)
{
	struct nftnl_set_elem *e = nftnl_set_elem_alloc();
	uint16_t key = htons(port);
	int ret = -1;

	if (!e || nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, &key, sizeof(key)) < 0)
		goto out;
	if (end)
		nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_FLAGS, NFT_SET_ELEM_INTERVAL_END);
	nftnl_set_elem_add(s, e);          /* the set owns it from here */
	e = NULL;
	ret = 0;
out:
	if (e)
		nftnl_set_elem_free(e);
	return ret;
}

/* The set (interval only when a range needs it) and its elements: an
 * interval [lo, hi] is a start element lo and an end element hi + 1, and
 * a range reaching 65535 has no end element. */
static int add_port_set(struct batch *b, const struct pg_nft_portset *ps,
			const char *name, uint32_t set_id)
{
	struct pg_nft_range r[16];
	struct nftnl_set *s = NULL, *el = NULL;
	struct nlmsghdr *nlh;
	size_t n = merge_ranges(ps, r);
	bool interval = false;
	int ret = -1;

	for (size_t i = 0; i < n; i++)
		interval |= r[i].lo != r[i].hi;

	s = nftnl_set_alloc();
	if (!s)
		goto out;
	if (nftnl_set_set_str(s, NFTNL_SET_TABLE, PG_NFT_TABLE) < 0 ||
	    nftnl_set_set_str(s, NFTNL_SET_NAME, name) < 0)
		goto out;
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, PG_NFT_TYPE_INET_SERVICE);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, sizeof(uint16_t));
	nftnl_set_set_u32(s, NFTNL_SET_ID, set_id);
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, interval ? NFT_SET_INTERVAL : 0);
	nlh = batch_msg(b, NFT_MSG_NEWSET, NLM_F_CREATE | NLM_F_EXCL, false,
			"set %s", name);
	if (!nlh)
		goto out;
	nftnl_set_nlmsg_build_payload(nlh, s);
	batch_close(b);

	if (!n) {
		ret = 0;
		goto out;
	}
	el = nftnl_set_alloc();
	if (!el)
		goto out;
	if (nftnl_set_set_str(el, NFTNL_SET_TABLE, PG_NFT_TABLE) < 0 ||
	    nftnl_set_set_str(el, NFTNL_SET_NAME, name) < 0)
		goto out;
	nftnl_set_set_u32(el, NFTNL_SET_ID, set_id);
	for (size_t i = 0; i < n; i++) {
		if (set_elem_add(el, r[i].lo, false) < 0)
			goto out;
		if (interval && r[i].hi != UINT16_MAX &&
		    set_elem_add(el, (uint16_t)(r[i].hi + 1), true) < 0)
			goto out;
	}
	nlh = batch_msg(b, NFT_MSG_NEWSETELEM, NLM_F_CREATE | NLM_F_EXCL, false,
			"elements of set %s", name);
	if (!nlh)
		goto out;
	nftnl_set_elems_nlmsg_build_payload(nlh, el);
	batch_close(b);
	ret = 0;
out:
	if (s)
		nftnl_set_free(s);
	if (el)
		nftnl_set_free(el);
	return ret;
}

/* A blocked-flow set: a hash (no intervals) of 5-tuples whose elements
 * carry their own timeout, bounded by size.  It starts empty; the daemon
 * fills it through pg_nft_dyn_block. */
static int add_flow_set(struct batch *b, const char *name, bool v6,
			uint32_t size, uint32_t set_id)
{
	struct nftnl_set *s = nftnl_set_alloc();
	struct nlmsghdr *nlh;
	int ret = -1;

	if (!s || nftnl_set_set_str(s, NFTNL_SET_TABLE, PG_NFT_TABLE) < 0 ||
	    nftnl_set_set_str(s, NFTNL_SET_NAME, name) < 0)
		goto out;
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, flow_key_type(v6));
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, PG_NFT_FLOW_KEY_LEN(v6 ? 16u : 4u));
	nftnl_set_set_u32(s, NFTNL_SET_ID, set_id);
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_TIMEOUT);
	nftnl_set_set_u32(s, NFTNL_SET_DESC_SIZE, size);
	nlh = batch_msg(b, NFT_MSG_NEWSET, NLM_F_CREATE | NLM_F_EXCL, false,
			"set %s", name);
	if (!nlh)
		goto out;
	nftnl_set_nlmsg_build_payload(nlh, s);
	batch_close(b);
	ret = 0;
out:
	if (s)
		nftnl_set_free(s);
	return ret;
}

/* A base chain on hooknum, or (base false) a regular chain that is only
 * entered by a jump. */
static int add_chain(struct batch *b, const char *name, bool base,
		     uint32_t hooknum)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	struct nlmsghdr *nlh;
	int ret = -1;

	if (!c)
		goto out;
	if (nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, PG_NFT_TABLE) < 0 ||
	    nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name) < 0)
		goto out;
	if (base) {
		if (nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, "filter") < 0)
			goto out;
		nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, hooknum);
		nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, 0);
		nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	}
	nlh = batch_msg(b, NFT_MSG_NEWCHAIN, NLM_F_CREATE | NLM_F_EXCL, false,
			"chain %s", name);
	if (!nlh)
		goto out;
	nftnl_chain_nlmsg_build_payload(nlh, c);
	batch_close(b);
	ret = 0;
out:
	if (c)
		nftnl_chain_free(c);
	return ret;
}

static void prefix_text(const struct pg_prefix *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";

	inet_ntop(p->family == 4 ? AF_INET : AF_INET6, p->addr, a, sizeof(a));
	snprintf(buf, len, "%s/%u", a, p->len);
}

/* `meta nfproto ipvX ip[6] saddr|daddr PREFIX accept|return`: only the
 * bytes the prefix covers are loaded, and a partial last byte is masked.
 * what names the prefix list in error reports. */
static int add_prefix_rule(struct batch *b, const char *chain, unsigned *nr,
			   const struct pg_prefix *p, bool daddr, int verdict,
			   const char *what)
{
	bool v4 = p->family == 4;
	uint32_t off = v4 ? (daddr ? 16 : 12) : (daddr ? 24 : 8);
	/* nft's own shape, so that `nft list` reads it back as a prefix:
	 * byte-aligned prefixes load just their bytes, others load the whole
	 * address and mask it. */
	uint32_t nbytes = p->len % 8 ? (v4 ? 4u : 16u) : p->len / 8u;
	uint8_t addr[16] = {0}, mask[16] = {0}, zero[16] = {0};
	char text[64];
	struct rule ru;

	memcpy(addr, p->addr, nbytes);
	for (uint32_t i = 0; i < nbytes; i++) {
		unsigned bits = p->len <= i * 8u ? 0u :
				p->len - i * 8u >= 8u ? 8u : p->len - i * 8u;

		mask[i] = (uint8_t)(0xff00u >> bits);
		addr[i] &= mask[i];
	}
	rule_start(&ru, chain);
	e_meta_load(&ru, NFT_META_NFPROTO);
	e_cmp_u8(&ru, v4 ? NFPROTO_IPV4 : NFPROTO_IPV6);
	if (nbytes) {
		e_payload(&ru, NFT_PAYLOAD_NETWORK_HEADER, off, nbytes);
		if (p->len % 8)
			e_bitwise(&ru, nbytes, mask, zero);
		e_cmp(&ru, NFT_CMP_EQ, addr, nbytes);
	}
	e_verdict(&ru, verdict);
	prefix_text(p, text, sizeof(text));
	return rule_emit(b, &ru, false, "chain %s rule %u (%s %s %s %s)", chain,
			 ++*nr, what, v4 ? "ip" : "ip6", daddr ? "daddr" : "saddr", text);
}

/* The set IDs tie lookups to sets created in the same batch: port set i
 * is i + 1, and the blocked-flow sets follow. */
static uint32_t blocked_set_id(const struct pg_nft_config *cfg, bool v6)
{
	return (uint32_t)cfg->nsets + (v6 ? 2u : 1u);
}

/* `meta nfproto ipvX ip[6] saddr . meta l4proto . th sport . ip[6] daddr .
 * th dport @blockedX counter name "blockedX" drop`.  The fields go to
 * consecutive 32-bit registers from NFT_REG32_00, which is the storage of
 * NFT_REG_1 that the lookup reads; see PG_NFT_FLOW_KEY_LEN.  Only TCP and
 * UDP elements are ever added, so the protocol field keeps other
 * protocols' `th` bytes from matching; non-first fragments have no
 * transport header and never match. */
static int add_blocked_rule(struct batch *b, const struct pg_nft_config *cfg,
			    const char *chain, unsigned *nr, bool v6)
{
	const char *name = v6 ? PG_NFT_BLOCKED6 : PG_NFT_BLOCKED4;
	const uint32_t alen = v6 ? 16 : 4;
	uint32_t reg = NFT_REG32_00;
	struct rule ru;

	rule_start(&ru, chain);
	e_meta_load(&ru, NFT_META_NFPROTO);
	e_cmp_u8(&ru, v6 ? NFPROTO_IPV6 : NFPROTO_IPV4);
	e_payload_reg(&ru, NFT_PAYLOAD_NETWORK_HEADER, v6 ? 8 : 12, alen, reg);
	reg += alen / 4;
	e_meta_load_reg(&ru, NFT_META_L4PROTO, reg++);
	e_payload_reg(&ru, NFT_PAYLOAD_TRANSPORT_HEADER, 0, sizeof(uint16_t), reg++);
	e_payload_reg(&ru, NFT_PAYLOAD_NETWORK_HEADER, v6 ? 24 : 16, alen, reg);
	reg += alen / 4;
	e_payload_reg(&ru, NFT_PAYLOAD_TRANSPORT_HEADER, 2, sizeof(uint16_t), reg);
	e_lookup(&ru, name, blocked_set_id(cfg, v6));
	e_counter_ref(&ru, name);
	e_verdict(&ru, NF_DROP);
	return rule_emit(b, &ru, false, "chain %s rule %u (blocked flows, set %s)",
			 chain, ++*nr, name);
}

/* The regular chain `exceptions`, entered from each base chain.  Inspect
 * prefixes come first and `return`: a flow with either end in one goes
 * on to the port sets and the queue even when an allow prefix covers it
 * (the same address, or the other end).  Without allow prefixes there is
 * nothing for inspect to override, and no chain.  kept: the chain is
 * there already (emptied earlier in the batch), so only its rules are
 * added. */
static int add_exceptions(struct batch *b, const struct pg_nft_config *cfg,
			  bool kept)
{
	const char *chain = PG_NFT_EXCEPTIONS_CHAIN;
	unsigned nr = 0;
	int ret = -1;

	if (!cfg->nallow) {
		ret = 0;
		goto out;
	}
	if (!kept && add_chain(b, chain, false, 0) < 0)
		goto out;
	for (size_t i = 0; i < cfg->ninspect; i++) {
		if (add_prefix_rule(b, chain, &nr, &cfg->inspect[i], false, NFT_RETURN, "inspect") < 0 ||
		    add_prefix_rule(b, chain, &nr, &cfg->inspect[i], true, NFT_RETURN, "inspect") < 0)
			goto out;
	}
	for (size_t i = 0; i < cfg->nallow; i++) {
		if (add_prefix_rule(b, chain, &nr, &cfg->allow[i], false, NF_ACCEPT, "allow") < 0 ||
		    add_prefix_rule(b, chain, &nr, &cfg->allow[i], true, NF_ACCEPT, "allow") < 0)
			goto out;
	}
	ret = 0;
out:
	return ret;
}

/* `meta mark & M == accept counter accept`, `... == block` TCP reset (or
 * drop), `... == drop counter drop`: the packet-mark twins of the ct-mark
 * rules. */
static int add_mark_settle_rules(struct batch *b, const struct pg_nft_config *cfg,
				 const char *chain, unsigned *nr)
{
	const uint32_t m = cfg->mark_mask;
	struct rule ru;
	int ret = -1;

	rule_start_mark_code(&ru, chain, m, pg_mark_value(m, PG_MARK_ACCEPT));
	e_counter(&ru);
	e_verdict(&ru, NF_ACCEPT);
	if (rule_emit(b, &ru, false, "chain %s rule %u (packet mark accept)", chain, ++*nr) < 0)
		goto out;
	if (cfg->tcp_reset) {
		rule_start_mark_code(&ru, chain, m, pg_mark_value(m, PG_MARK_BLOCK));
		e_is_tcp(&ru);
		e_counter(&ru);
		e_reject_tcp_reset(&ru);
		if (rule_emit(b, &ru, false, "chain %s rule %u (packet mark block, tcp reset)",
			      chain, ++*nr) < 0)
			goto out;
	}
	rule_start_mark_code(&ru, chain, m, pg_mark_value(m, PG_MARK_BLOCK));
	e_counter(&ru);
	e_verdict(&ru, NF_DROP);
	if (rule_emit(b, &ru, false, "chain %s rule %u (packet mark block, drop)", chain, ++*nr) < 0)
		goto out;
	rule_start_mark_code(&ru, chain, m, pg_mark_value(m, PG_MARK_DROP));
	e_counter(&ru);
	e_verdict(&ru, NF_DROP);
	if (rule_emit(b, &ru, false, "chain %s rule %u (packet mark drop)", chain, ++*nr) < 0)
		goto out;
	ret = 0;
out:
	return ret;
}

static int add_chain_rules(struct batch *b, const struct pg_nft_config *cfg,
			   const char *chain, enum pg_nft_queue_kind kind)
{
	static const enum pg_mark_code codes[] = {
		PG_MARK_ACCEPT, PG_MARK_BLOCK, PG_MARK_DROP,
	};
	static const char *const code_names[] = {"accept", "block", "drop"};
	const uint32_t m = cfg->mark_mask;
	const uint32_t v_accept = pg_mark_value(m, PG_MARK_ACCEPT);
	const uint32_t v_block = pg_mark_value(m, PG_MARK_BLOCK);
	const uint32_t v_drop = pg_mark_value(m, PG_MARK_DROP);
	unsigned nr = 0;
	struct rule ru;
	int ret = -1;

	/* 0. Most packets belong to flows already accepted: settle them with
	 *    the first rule (a packet that carries a verdict code of its own
	 *    still goes through the copy rules below). */
	rule_start_ct_code(&ru, chain, m, v_accept);
	e_meta_load(&ru, NFT_META_MARK);
	e_bitwise_u32(&ru, m, 0);
	e_cmp_u32(&ru, 0);
	e_counter(&ru);
	e_verdict(&ru, NF_ACCEPT);
	if (rule_emit(b, &ru, false, "chain %s rule %u (ct mark accept, fast path)", chain, ++nr) < 0)
		goto out;

	/* 1. The verdict code in the packet mark goes into the ct mark, and
	 *    the ct mark's other bits (other tools' marks) stay.  nftables
	 *    can only combine a register with constants, so
	 *    `ct mark set ct mark & ~M | meta mark & M` becomes one rule per
	 *    code: `meta mark & M == V ct mark set ct mark & ~M | V`. */
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		uint32_t v = pg_mark_value(m, codes[i]);

		rule_start(&ru, chain);
		e_meta_load(&ru, NFT_META_MARK);
		e_bitwise_u32(&ru, m, 0);
		e_cmp_u32(&ru, v);
		e_ct_load(&ru, NFT_CT_MARK);
		e_bitwise_u32(&ru, ~m, v);
		e_ct_set(&ru, NFT_CT_MARK);
		if (rule_emit(b, &ru, false, "chain %s rule %u (mark copy, %s)",
			      chain, ++nr, code_names[i]) < 0)
			goto out;
	}

	/* 1b. A stamped packet is settled by its own mark, whether or not
	 *     the copy above reached a ct mark: a packet that conntrack
	 *     calls INVALID, or an untracked one, has no entry to carry the
	 *     stamp, and without these rules the chain would queue it again,
	 *     the daemon would stamp it again, and so on for ever. */
	if (add_mark_settle_rules(b, cfg, chain, &nr) < 0)
		goto out;

	/* 2.-3. Decided flows are settled here, without user space. */
	rule_start_ct_code(&ru, chain, m, v_accept);
	e_counter(&ru);
	e_verdict(&ru, NF_ACCEPT);
	if (rule_emit(b, &ru, false, "chain %s rule %u (ct mark accept)", chain, ++nr) < 0)
		goto out;

	if (cfg->tcp_reset) {

		/* The reset the kernel sends for a blocked flow carries that
		 * flow's conntrack (and so its BLOCK mark), and it leaves
		 * through the output hook: without this rule an output chain
		 * would drop our own reset, and a local client would hang
		 * instead of seeing "connection refused".  A peer's reset in a
		 * blocked flow only ends it sooner, so all RSTs pass. */
		rule_start_ct_code(&ru, chain, m, v_block);
		e_is_tcp(&ru);
		e_tcp_flags(&ru, 0x04 /* RST */, NFT_CMP_NEQ);
		e_verdict(&ru, NF_ACCEPT);
		if (rule_emit(b, &ru, false, "chain %s rule %u (ct mark block, tcp reset passes)",
			      chain, ++nr) < 0)
			goto out;

		rule_start_ct_code(&ru, chain, m, v_block);
		e_is_tcp(&ru);
		e_counter(&ru);
		e_reject_tcp_reset(&ru);
		if (rule_emit(b, &ru, false, "chain %s rule %u (ct mark block, tcp reset)",
			      chain, ++nr) < 0)
			goto out;
	}
	/* Non-TCP blocked flows (and TCP when no reset is wanted) drop. */
	rule_start_ct_code(&ru, chain, m, v_block);
	e_counter(&ru);
	e_verdict(&ru, NF_DROP);
	if (rule_emit(b, &ru, false, "chain %s rule %u (ct mark block, drop)", chain, ++nr) < 0)
		goto out;

	rule_start_ct_code(&ru, chain, m, v_drop);
	e_counter(&ru);
	e_verdict(&ru, NF_DROP);
	if (rule_emit(b, &ru, false, "chain %s rule %u (ct mark drop)", chain, ++nr) < 0)
		goto out;

	/* 4. Flows the daemon blocked, kept in sets because their ct mark
	 *    may not survive (see nft.h).  After the ct-mark rules, so that
	 *    the kernel's own reset of a blocked TCP flow still passes. */
	if (add_blocked_rule(b, cfg, chain, &nr, false) < 0 ||
	    add_blocked_rule(b, cfg, chain, &nr, true) < 0)
		goto out;

	/* 5. Exception prefixes are never blocked nor queued, unless an
	 *    inspect prefix claims the flow (chain `exceptions`). */
	if (cfg->nallow) {
		rule_start(&ru, chain);
		e_jump(&ru, PG_NFT_EXCEPTIONS_CHAIN);
		if (rule_emit(b, &ru, false, "chain %s rule %u (jump " PG_NFT_EXCEPTIONS_CHAIN ")",
			      chain, ++nr) < 0)
			goto out;
	}

	/* 6. Port blocks: `meta l4proto P th dport @set counter name "set" drop`. */
	for (size_t i = 0; i < cfg->nsets; i++) {
		const struct pg_nft_portset *s = &cfg->sets[i];
		char name[64];

		if (portset_name(s, name, sizeof(name)) < 0)
			goto out;
		rule_start(&ru, chain);
		e_meta_load(&ru, NFT_META_L4PROTO);
		e_cmp_u8(&ru, s->l4proto);
		e_payload(&ru, NFT_PAYLOAD_TRANSPORT_HEADER, 2, sizeof(uint16_t));
		e_lookup(&ru, name, (uint32_t)i + 1);
		e_counter_ref(&ru, name);
		e_verdict(&ru, NF_DROP);
		if (rule_emit(b, &ru, false, "chain %s rule %u (port set %s)", chain,
			      ++nr, name) < 0)
			goto out;
	}

	/* 6b. A packet that conntrack calls INVALID has no entry to take a
	 *     stamp.  It is still queued (the daemon knows whether its flow
	 *     is decided and what its verdict is), but with a code in its
	 *     packet mark that tells the daemon to answer with a final
	 *     verdict, never a stamp. */
	rule_start(&ru, chain);
	e_ct_load(&ru, NFT_CT_STATE);
	{
		uint32_t invalid = NF_CT_STATE_INVALID_BIT, zero32 = 0;

		e_bitwise_u32(&ru, invalid, 0);
		e_cmp(&ru, NFT_CMP_NEQ, &zero32, sizeof(zero32));
	}
	e_meta_load(&ru, NFT_META_MARK);
	e_bitwise_u32(&ru, ~m, pg_mark_value(m, PG_MARK_CT_INVALID));
	e_meta_set(&ru, NFT_META_MARK);
	e_counter(&ru);
	if (rule_emit(b, &ru, false, "chain %s rule %u (ct state invalid: mark for a final verdict)",
		      chain, ++nr) < 0)
		goto out;

	/* 7. An undecided flow's TCP segments without payload and without SYN
	 *    (pure ACKs, FIN, RST) have nothing to classify; keeping them in
	 *    the kernel halves what a short connection costs.  The first rule
	 *    queues a non-SYN segment only when a payload byte loads (@ih,0,8
	 *    on an empty segment fails, which ends the rule); the second
	 *    accepts the empty ones.  SYNs still go to the queue: they tell the
	 *    classifier which side is the client (their SYN-ACKs stay here). */
	{
		uint8_t zero = 0;

		rule_start(&ru, chain);
		e_is_tcp(&ru);
		e_tcp_flags(&ru, 0x02 /* SYN */, NFT_CMP_EQ);
		e_payload(&ru, NFT_PAYLOAD_INNER_HEADER, 0, 1);
		e_bitwise(&ru, 1, &zero, &zero);
		e_cmp(&ru, NFT_CMP_EQ, &zero, sizeof(zero));
		e_counter(&ru);
		e_queue(&ru, cfg, kind);
		if (rule_emit(b, &ru, true, "chain %s rule %u (queue tcp payload, %s)", chain,
			      ++nr, pg_nft_queue_kind_name(kind)) < 0)
			goto out;

		rule_start(&ru, chain);
		e_is_tcp(&ru);
		e_tcp_flags(&ru, 0x02 /* SYN */, NFT_CMP_EQ);
		e_counter(&ru);
		e_verdict(&ru, NF_ACCEPT);
		if (rule_emit(b, &ru, false, "chain %s rule %u (tcp without payload)", chain,
			      ++nr) < 0)
			goto out;

		/* The SYN-ACK adds nothing the SYN did not say. */
		rule_start(&ru, chain);
		e_is_tcp(&ru);
		e_tcp_flags_cmp(&ru, 0x12 /* SYN|ACK */, NFT_CMP_EQ, 0x12);
		e_counter(&ru);
		e_verdict(&ru, NF_ACCEPT);
		if (rule_emit(b, &ru, false, "chain %s rule %u (tcp syn-ack)", chain, ++nr) < 0)
			goto out;
	}

	/* 8. Everything else undecided goes to the classifier. */
	rule_start(&ru, chain);
	e_counter(&ru);
	e_queue(&ru, cfg, kind);
	if (rule_emit(b, &ru, true, "chain %s rule %u (queue, %s)", chain, ++nr,
		      pg_nft_queue_kind_name(kind)) < 0)
		goto out;
	ret = 0;
out:
	return ret;
}

/* ------------------------------------------------------------------ */
/* Applying in place.                                                  */

/* What the table holds before an apply, as far as the batch needs to
 * know: which chains (and their hooks), sets and stateful objects exist. */
struct existing_chain {
	char name[NFT_NAME_MAXLEN];
	bool base;
	uint32_t hooknum, policy;
	int32_t prio;
	char type[16];
};

struct existing_obj {
	char name[NFT_NAME_MAXLEN];
	uint32_t type;            /* NFT_OBJECT_*; unused for sets */
};

struct existing {
	bool table;
	struct existing_chain *chains;
	struct existing_obj *sets, *objs;
	size_t nchains, nsets, nobjs;
};

static int existing_read(struct mnl_socket *nl, struct existing *ex, char *err,
			 size_t errlen);
static void existing_free(struct existing *ex);

/* A chain of the current table that the new one keeps as it is: a base
 * chain on the hook its name stands for, with our type, priority and
 * policy, when the new configuration still hooks there; the exceptions
 * chain, as a regular chain, when there are still allow prefixes.  Only
 * a kept base chain keeps its netfilter hook registered; deleting one
 * makes the kernel drop every packet queued from that hook. */
static bool chain_kept(const struct pg_nft_config *cfg,
		       const struct existing_chain *c)
{
	if (!c->base)
		return cfg->nallow && strcmp(c->name, PG_NFT_EXCEPTIONS_CHAIN) == 0;
	for (size_t h = 0; h < PG_NFT_NHOOKS; h++) {
		if (strcmp(c->name, pg_nft_hooks[h].name) == 0)
			return (cfg->hooks & pg_nft_hooks[h].bit) &&
			       c->hooknum == pg_nft_hooks[h].hooknum && c->prio == 0 &&
			       c->policy == NF_ACCEPT && strcmp(c->type, "filter") == 0;
	}
	return false;
}

static bool chain_name_kept(const struct pg_nft_config *cfg,
			    const struct existing *ex, const char *name)
{
	for (size_t i = 0; i < ex->nchains; i++) {
		if (strcmp(ex->chains[i].name, name) == 0)
			return chain_kept(cfg, &ex->chains[i]);
	}
	return false;
}

/* DELRULE naming only the table: every rule of every chain in it. */
static int del_all_rules(struct batch *b)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct nlmsghdr *nlh;
	int ret = -1;

	if (!r || nftnl_rule_set_str(r, NFTNL_RULE_TABLE, PG_NFT_TABLE) < 0)
		goto out;
	nlh = batch_msg(b, NFT_MSG_DELRULE, 0, false,
			"delete of the rules of table inet " PG_NFT_TABLE);
	if (!nlh)
		goto out;
	nftnl_rule_nlmsg_build_payload(nlh, r);
	batch_close(b);
	ret = 0;
out:
	if (r)
		nftnl_rule_free(r);
	return ret;
}

static int del_chain(struct batch *b, const char *name)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	struct nlmsghdr *nlh;
	int ret = -1;

	if (!c || nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, PG_NFT_TABLE) < 0 ||
	    nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name) < 0)
		goto out;
	nlh = batch_msg(b, NFT_MSG_DELCHAIN, 0, false, "delete of chain %s", name);
	if (!nlh)
		goto out;
	nftnl_chain_nlmsg_build_payload(nlh, c);
	batch_close(b);
	ret = 0;
out:
	if (c)
		nftnl_chain_free(c);
	return ret;
}

static int del_set(struct batch *b, const char *name)
{
	struct nftnl_set *s = nftnl_set_alloc();
	struct nlmsghdr *nlh;
	int ret = -1;

	if (!s || nftnl_set_set_str(s, NFTNL_SET_TABLE, PG_NFT_TABLE) < 0 ||
	    nftnl_set_set_str(s, NFTNL_SET_NAME, name) < 0)
		goto out;
	nlh = batch_msg(b, NFT_MSG_DELSET, 0, false, "delete of set %s", name);
	if (!nlh)
		goto out;
	nftnl_set_nlmsg_build_payload(nlh, s);
	batch_close(b);
	ret = 0;
out:
	if (s)
		nftnl_set_free(s);
	return ret;
}

static int del_obj(struct batch *b, const struct existing_obj *eo)
{
	struct nftnl_obj *o = nftnl_obj_alloc();
	struct nlmsghdr *nlh;
	int ret = -1;

	if (!o)
		goto out;
	nftnl_obj_set_str(o, NFTNL_OBJ_TABLE, PG_NFT_TABLE);
	nftnl_obj_set_str(o, NFTNL_OBJ_NAME, eo->name);
	nftnl_obj_set_u32(o, NFTNL_OBJ_TYPE, eo->type);
	if (!nftnl_obj_get_str(o, NFTNL_OBJ_NAME))
		goto out;
	nlh = batch_msg(b, NFT_MSG_DELOBJ, 0, false, "delete of %s %s",
			eo->type == NFT_OBJECT_COUNTER ? "counter" : "object", eo->name);
	if (!nlh)
		goto out;
	nftnl_obj_nlmsg_build_payload(nlh, o);
	batch_close(b);
	ret = 0;
out:
	if (o)
		nftnl_obj_free(o);
	return ret;
}

/* Empties what the new table does not keep: all rules first (they hold
 * the references that would make the other deletes fail with EBUSY), then
 * the chains that are not kept, every set and every object.
 *
 * The blocked-flow sets go too, with their elements, and come back empty:
 * after a reload the daemon re-decides flows whose system's action
 * changed (it clears their ct marks), and a flow left in blocked4/6 would
 * stay dropped in the kernel even when the new policy allows it.  A flow
 * that is still blocked meets the daemon again on its next packet and is
 * put back.  The port sets and the named counters are replaced as well,
 * so the counters restart from zero, as they did when the whole table was
 * rebuilt. */
static int clear_old(struct batch *b, const struct pg_nft_config *cfg,
		     const struct existing *ex)
{
	int ret = -1;

	if (del_all_rules(b) < 0)
		goto out;
	for (size_t i = 0; i < ex->nchains; i++) {
		if (!chain_kept(cfg, &ex->chains[i]) && del_chain(b, ex->chains[i].name) < 0)
			goto out;
	}
	for (size_t i = 0; i < ex->nsets; i++) {
		if (del_set(b, ex->sets[i].name) < 0)
			goto out;
	}
	for (size_t i = 0; i < ex->nobjs; i++) {
		if (del_obj(b, &ex->objs[i]) < 0)
			goto out;
	}
	ret = 0;
out:
	return ret;
}

/* The table updated in place, in one batch that the kernel commits whole
 * or not at all: the table is created if missing (NLM_F_CREATE without
 * EXCL leaves an existing one alone), the old contents that ex lists are
 * emptied, and the new contents added, base chains only where they are
 * not kept.  A kept base chain gets its new rules without its hook ever
 * being unregistered, so packets waiting in the queue survive the reload
 * and meet the new rules when they come back (NF_REPEAT).  With no table
 * (ex->table false) the batch is the same as a first install. */
static int build_apply(struct batch *b, const struct pg_nft_config *cfg,
		       const struct existing *ex, enum pg_nft_queue_kind kind)
{
	int ret = -1;

	if (batch_begin(b) < 0 ||
	    add_table_msg(b, NFT_MSG_NEWTABLE, NLM_F_CREATE, "table inet " PG_NFT_TABLE) < 0)
		goto out;
	if (ex->table && clear_old(b, cfg, ex) < 0)
		goto out;
	for (size_t i = 0; i < cfg->nsets; i++) {
		char name[64];

		if (portset_name(&cfg->sets[i], name, sizeof(name)) < 0 ||
		    add_counter_obj(b, name) < 0 ||
		    add_port_set(b, &cfg->sets[i], name, (uint32_t)i + 1) < 0)
			goto out;
	}
	for (int v6 = 0; v6 <= 1; v6++) {
		const char *name = v6 ? PG_NFT_BLOCKED6 : PG_NFT_BLOCKED4;

		if (add_counter_obj(b, name) < 0 ||
		    add_flow_set(b, name, v6, cfg->blocked_size ? cfg->blocked_size :
				 PG_NFT_BLOCKED_SIZE, blocked_set_id(cfg, v6)) < 0)
			goto out;
	}
	/* Before the base chains, whose rules jump to it. */
	if (add_exceptions(b, cfg, chain_name_kept(cfg, ex, PG_NFT_EXCEPTIONS_CHAIN)) < 0)
		goto out;
	for (size_t h = 0; h < PG_NFT_NHOOKS; h++) {
		const char *name = pg_nft_hooks[h].name;

		if (!(cfg->hooks & pg_nft_hooks[h].bit))
			continue;
		if ((!chain_name_kept(cfg, ex, name) &&
		     add_chain(b, name, true, pg_nft_hooks[h].hooknum) < 0) ||
		    add_chain_rules(b, cfg, name, kind) < 0)
			goto out;
	}
	if (batch_end(b) < 0)
		goto out;
	ret = 0;
out:
	return ret;
}

/* On success err holds "" or, when the native queue expression was
 * refused, a note saying so (for the caller's log). */
int pg_nft_apply(const struct pg_nft_config *cfg,
		 enum pg_nft_queue_kind *used, char *err, size_t errlen)
{
	static const enum pg_nft_queue_kind kinds[] = {
		PG_NFT_QUEUE_NATIVE, PG_NFT_QUEUE_COMPAT,
	};
	struct mnl_socket *nl = NULL;
	struct existing ex = {0};
	struct batch b = {0};
	char native_err[256] = "";
	int ret = -1;

	if (!cfg) {
		pg_seterr(err, errlen, "no configuration");
		goto out;
	}
	if (validate(cfg, err, errlen) < 0)
		goto out;
	nl = nl_open(err, errlen);
	if (!nl)
		goto out;
	/* Read once: a refused batch changes nothing, so the compat attempt
	 * starts from the same table. */
	if (existing_read(nl, &ex, err, errlen) < 0)
		goto out;
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		int rc;

		batch_reset(&b, (uint32_t)time(NULL) + (uint32_t)k * 0x100000u);
		if (build_apply(&b, cfg, &ex, kinds[k]) < 0) {
			pg_seterr(err, errlen, "out of memory while building the nftables batch");
			goto out;
		}
		rc = batch_talk(nl, &b, err, errlen);
		if (rc < 0)
			goto out;
		if (rc == 0) {
			if (used)
				*used = kinds[k];
			/* Success leaves err empty, or says why the fallback was
			 * taken, for the caller's log. */
			if (native_err[0])
				pg_seterr(err, errlen,
					  "native queue expression refused (%s); using the xt NFQUEUE target",
					  native_err);
			else
				pg_seterr(err, errlen, "%s", "");
			ret = 0;
			goto out;
		}
		if (kinds[k] == PG_NFT_QUEUE_NATIVE && batch_only_queue_missing(&b)) {
			/* Remembered for the report should compat fail too. */
			batch_describe(&b, "", native_err, sizeof(native_err));
			continue;
		}
		batch_describe(&b, "cannot install table inet " PG_NFT_TABLE ": ", err, errlen);
		if (native_err[0] && err && errlen) {
			size_t l = strlen(err);

			snprintf(err + l, errlen - l, " (native queue failed before: %s)",
				 native_err);
		}
		goto out;
	}
out:
	existing_free(&ex);
	batch_free(&b);
	if (nl)
		mnl_socket_close(nl);
	return ret;
}

int pg_nft_flush(char *err, size_t errlen)
{
	struct mnl_socket *nl = NULL;
	struct batch b = {0};
	int ret = -1, rc;

	nl = nl_open(err, errlen);
	if (!nl)
		goto out;
	batch_reset(&b, (uint32_t)time(NULL));
	/* Creating it first makes the delete succeed whether or not the
	 * table existed, in one atomic step. */
	if (batch_begin(&b) < 0 ||
	    add_table_msg(&b, NFT_MSG_NEWTABLE, NLM_F_CREATE, "table inet " PG_NFT_TABLE) < 0 ||
	    add_table_msg(&b, NFT_MSG_DELTABLE, 0, "delete of table inet " PG_NFT_TABLE) < 0 ||
	    batch_end(&b) < 0) {
		pg_seterr(err, errlen, "out of memory while building the nftables batch");
		goto out;
	}
	rc = batch_talk(nl, &b, err, errlen);
	if (rc < 0)
		goto out;
	if (rc > 0) {
		batch_describe(&b, "cannot remove table inet " PG_NFT_TABLE ": ", err, errlen);
		goto out;
	}
	ret = 0;
out:
	batch_free(&b);
	if (nl)
		mnl_socket_close(nl);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Blocked flows at run time.                                          */

/* Room for one call's batch: begin, one NEWSETELEM of two elements (44-
 * byte keys at most, about 270 bytes in all), end. */
#define PG_NFT_DYN_MSG_ROOM 1024
/* The kernel handles a batch inside sendmsg, so its ACK is normally
 * queued before sendmsg returns; the wait only guards against surprises. */
#define PG_NFT_DYN_ACK_TIMEOUT_MS 1000
/* With NETLINK_CAP_ACK an error carries the request's header only, plus
 * the kernel's extended-ACK text. */
#define PG_NFT_DYN_RECV_SIZE 8192

struct pg_nft_dyn {
	_Alignas(struct nlmsghdr) char rbuf[PG_NFT_DYN_RECV_SIZE];
	struct mnl_socket *nl;
	uint32_t seq;             /* of the next batch-begin message */
};

void pg_nft_dyn_close(struct pg_nft_dyn *d)
{
	if (!d)
		return;
	if (d->nl)
		mnl_socket_close(d->nl);
	free(d);
}

struct pg_nft_dyn *pg_nft_dyn_open(char *err, size_t errlen)
{
	struct pg_nft_dyn *d = calloc(1, sizeof(*d)), *ret = NULL;

	if (!d) {
		pg_seterr(err, errlen, "out of memory");
		goto out;
	}
	d->nl = nl_open(err, errlen);
	if (!d->nl)
		goto out;
	d->seq = (uint32_t)time(NULL);
	ret = d;
	d = NULL;
out:
	pg_nft_dyn_close(d);
	return ret;
}

/* Appends one element (key, timeout) to the open element list. */
static void dyn_put_elem(struct nlmsghdr *nlh, const uint8_t *key, uint32_t klen,
			 uint32_t timeout_ms)
{
	struct nlattr *elem = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
	struct nlattr *k = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_KEY);

	mnl_attr_put(nlh, NFTA_DATA_VALUE, klen, key);
	mnl_attr_nest_end(nlh, k);
	/* Milliseconds, big-endian.  The expiration is the time left: for a
	 * new element it equals the timeout, and for one already there it
	 * restarts the clock (the kernel updates an existing element's
	 * expiry only when asked to, or when the timeout differs). */
	mnl_attr_put_u64(nlh, NFTA_SET_ELEM_TIMEOUT, htobe64((uint64_t)timeout_ms));
	mnl_attr_put_u64(nlh, NFTA_SET_ELEM_EXPIRATION, htobe64((uint64_t)timeout_ms));
	mnl_attr_nest_end(nlh, elem);
}

/* Reads until the kernel has answered the batch that began at seq0: the
 * ACK of its one message (seq0 + 1), or an error against the batch as a
 * whole (seq0, after which the kernel sends nothing more).  Answers to
 * other sequence numbers (a late ACK of an earlier call) are skipped.
 * Returns 0 with *kerr the kernel's errno (0: added) and *head true for
 * an error against the batch, or -1 with *kerr the socket's errno. */
static int dyn_wait_ack(struct pg_nft_dyn *d, uint32_t seq0, int *kerr,
			bool *head)
{
	int fd = mnl_socket_get_fd(d->nl), ret = -1;

	for (;;) {
		ssize_t n = recv(fd, d->rbuf, sizeof(d->rbuf), MSG_DONTWAIT);
		int rem;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd pfd = {.fd = fd, .events = POLLIN};
			int pr = poll(&pfd, 1, PG_NFT_DYN_ACK_TIMEOUT_MS);

			if (pr < 0 && errno == EINTR)
				continue;
			if (pr <= 0) {
				*kerr = pr == 0 ? ETIMEDOUT : errno;
				goto out;
			}
			continue;
		}
		if (n < 0) {
			*kerr = errno;
			goto out;
		}
		rem = (int)n;
		for (const struct nlmsghdr *nlh = (const struct nlmsghdr *)d->rbuf;
		     mnl_nlmsg_ok(nlh, rem); nlh = mnl_nlmsg_next(nlh, &rem)) {
			const struct nlmsgerr *e;

			if (nlh->nlmsg_type != NLMSG_ERROR ||
			    (nlh->nlmsg_seq != seq0 && nlh->nlmsg_seq != seq0 + 1) ||
			    mnl_nlmsg_get_payload_len(nlh) < sizeof(*e))
				continue;
			e = mnl_nlmsg_get_payload(nlh);
			/* A batch-begin answer is always an error. */
			*head = nlh->nlmsg_seq == seq0;
			*kerr = *head && !e->error ? EPROTO : -e->error;
			ret = 0;
			goto out;
		}
	}
out:
	return ret;
}

int pg_nft_dyn_block(struct pg_nft_dyn *d, uint8_t family, uint8_t l4proto,
		     const uint8_t *src, uint16_t sport, const uint8_t *dst,
		     uint16_t dport, uint32_t timeout_ms, char *err,
		     size_t errlen)
{
	_Alignas(struct nlmsghdr) char buf[PG_NFT_DYN_MSG_ROOM];
	uint8_t fwd[PG_NFT_FLOW_KEY_MAX], rev[PG_NFT_FLOW_KEY_MAX];
	const char *set = family == 6 ? PG_NFT_BLOCKED6 : PG_NFT_BLOCKED4;
	const size_t alen = family == 6 ? 16 : 4;
	struct nlmsghdr *nlh;
	struct nlattr *list;
	uint32_t seq0, klen;
	size_t len = 0;
	int kerr = EINVAL, ret = -1;
	bool head = false;

	if (!d || !src || !dst || (family != 4 && family != 6) ||
	    (l4proto != IPPROTO_TCP && l4proto != IPPROTO_UDP) || !timeout_ms) {
		pg_seterr(err, errlen, "pg_nft_dyn_block: bad arguments (family %u, protocol %u, timeout %" PRIu32 " ms)",
			  family, l4proto, timeout_ms);
		goto out;
	}
	/* Both directions: a reply (or a peer's unsolicited datagram) is the
	 * same flow and must not reach the queue either. */
	klen = flow_key(fwd, alen, l4proto, src, sport, dst, dport);
	(void)flow_key(rev, alen, l4proto, dst, dport, src, sport);

	seq0 = d->seq;
	d->seq += 3;
	nftnl_batch_begin(buf, seq0);
	len += NLMSG_ALIGN(((struct nlmsghdr *)buf)->nlmsg_len);
	/* No NLM_F_EXCL: a flow that is already there is not an error. */
	nlh = nftnl_nlmsg_build_hdr(buf + len, NFT_MSG_NEWSETELEM, NFPROTO_INET,
				    NLM_F_CREATE | NLM_F_ACK, seq0 + 1);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, PG_NFT_TABLE);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, set);
	list = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
	dyn_put_elem(nlh, fwd, klen, timeout_ms);
	dyn_put_elem(nlh, rev, klen, timeout_ms);
	mnl_attr_nest_end(nlh, list);
	len += NLMSG_ALIGN(nlh->nlmsg_len);
	nftnl_batch_end(buf + len, seq0 + 2);
	len += NLMSG_ALIGN(((struct nlmsghdr *)(buf + len))->nlmsg_len);

	if (mnl_socket_sendto(d->nl, buf, len) < 0) {
		kerr = errno;
		pg_seterr(err, errlen, "cannot send to the kernel: %s", strerror(kerr));
		goto out;
	}
	if (dyn_wait_ack(d, seq0, &kerr, &head) < 0) {
		pg_seterr(err, errlen, "no answer from the kernel for set %s: %s", set,
			  strerror(kerr));
		goto out;
	}
	switch (kerr) {
	case 0:
		ret = 0;
		break;
	case ENFILE:
		pg_seterr(err, errlen, "set %s is full", set);
		break;
	case ENOENT:
		pg_seterr(err, errlen, "set %s of table inet " PG_NFT_TABLE " does not exist", set);
		break;
	default:
		pg_seterr(err, errlen, "cannot add to set %s: %s%s", set, strerror(kerr),
			  errno_hint(kerr, head));
		break;
	}
out:
	if (ret < 0)
		errno = kerr;
	return ret;
}

/* ------------------------------------------------------------------ */
/* Reading the table back.                                             */

/* The replies of one request, copied in order, NLMSG_ALIGNed. */
struct replies {
	char *buf;
	size_t len, cap;
};

static int replies_add(struct replies *r, const struct nlmsghdr *nlh)
{
	size_t need = NLMSG_ALIGN(nlh->nlmsg_len);

	if (r->cap - r->len < need) {
		size_t ncap = r->cap ? r->cap * 2 : 65536;
		char *n;

		while (ncap - r->len < need)
			ncap *= 2;
		n = realloc(r->buf, ncap);
		if (!n)
			return -1;
		r->buf = n;
		r->cap = ncap;
	}
	memset(r->buf + r->len, 0, need);
	memcpy(r->buf + r->len, nlh, nlh->nlmsg_len);
	r->len += need;
	return 0;
}

/* Sends one GET request (a dump, or a single GET with NLM_F_ACK) and
 * collects the answers.  A dump that the kernel flags as interrupted (the
 * ruleset changed meanwhile) is run again.  Returns 0, or -1 with
 * *kerr set to the errno (the kernel's or the socket's). */
static int nl_request(struct mnl_socket *nl, struct nlmsghdr *req,
		      struct replies *r, int *kerr)
{
	char *rbuf = malloc(PG_NFT_RECV_SIZE);
	unsigned portid = mnl_socket_get_portid(nl);
	int ret = -1;

	*kerr = ENOMEM;
	if (!rbuf)
		goto out;
	for (int attempt = 0; attempt < 4; attempt++) {
		bool done = false, intr = false;

		r->len = 0;
		req->nlmsg_seq++;
		if (mnl_socket_sendto(nl, req, req->nlmsg_len) < 0) {
			*kerr = errno;
			goto out;
		}
		while (!done) {
			ssize_t n = mnl_socket_recvfrom(nl, rbuf, PG_NFT_RECV_SIZE);
			int rem;

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				*kerr = errno;
				goto out;
			}
			rem = (int)n;
			for (const struct nlmsghdr *nlh = (const struct nlmsghdr *)rbuf;
			     mnl_nlmsg_ok(nlh, rem); nlh = mnl_nlmsg_next(nlh, &rem)) {
				/* Only the kernel's answers to this request. */
				if (nlh->nlmsg_seq != req->nlmsg_seq ||
				    (nlh->nlmsg_pid != 0 && nlh->nlmsg_pid != portid))
					continue;
				if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
					intr = true;
				if (nlh->nlmsg_type == NLMSG_DONE) {
					done = true;
				} else if (nlh->nlmsg_type == NLMSG_ERROR) {
					const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

					if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e)) {
						*kerr = EPROTO;
						goto out;
					}
					if (e->error) {
						*kerr = -e->error;
						goto out;
					}
					done = true;
				} else if (replies_add(r, nlh) < 0) {
					*kerr = ENOMEM;
					goto out;
				}
			}
		}
		if (!intr) {
			ret = 0;
			goto out;
		}
	}
	*kerr = EINTR;
out:
	free(rbuf);
	return ret;
}

#define for_each_reply(nlh, r, rem)                                          \
	for (int rem = (int)(r)->len, pg_once_ = 1; pg_once_; pg_once_ = 0)  \
		for (const struct nlmsghdr *nlh = (const struct nlmsghdr *)(r)->buf; \
		     (r)->buf && mnl_nlmsg_ok(nlh, rem);                      \
		     nlh = mnl_nlmsg_next(nlh, &rem))

/* Sets *exists; returns -1 with a message only when the kernel could not
 * be asked (no permission, no nf_tables). */
static int table_lookup(struct mnl_socket *nl, bool *exists, char *err,
			size_t errlen)
{
	char buf[512];
	struct nftnl_table *t = nftnl_table_alloc();
	struct replies r = {0};
	struct nlmsghdr *nlh;
	int kerr, rc, ret = -1;

	*exists = false;
	if (!t || nftnl_table_set_str(t, NFTNL_TABLE_NAME, PG_NFT_TABLE) < 0) {
		pg_seterr(err, errlen, "out of memory");
		goto out;
	}
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETTABLE, NFPROTO_INET, NLM_F_ACK,
				    (uint32_t)time(NULL));
	nftnl_table_nlmsg_build_payload(nlh, t);
	rc = nl_request(nl, nlh, &r, &kerr);
	if (rc < 0 && kerr != ENOENT) {
		pg_seterr(err, errlen, "cannot read table inet " PG_NFT_TABLE ": %s%s",
			  strerror(kerr), errno_hint(kerr, true));
		goto out;
	}
	*exists = rc == 0;
	ret = 0;
out:
	free(r.buf);
	if (t)
		nftnl_table_free(t);
	return ret;
}

/* 0 when our table exists, else -1 with a message. */
static int table_exists(struct mnl_socket *nl, char *err, size_t errlen)
{
	bool exists;

	if (table_lookup(nl, &exists, err, errlen) < 0)
		return -1;
	if (!exists) {
		pg_seterr(err, errlen, "table inet " PG_NFT_TABLE " does not exist");
		return -1;
	}
	return 0;
}

/* GETOBJ dump of the table's stateful objects of one type, or of all
 * types (NFT_OBJECT_UNSPEC). */
static int dump_objs(struct mnl_socket *nl, uint32_t type, struct replies *r,
		     char *err, size_t errlen)
{
	char buf[512];
	struct nftnl_obj *o = nftnl_obj_alloc();
	struct nlmsghdr *nlh;
	int kerr, ret = -1;

	if (!o) {
		pg_seterr(err, errlen, "out of memory");
		goto out;
	}
	nftnl_obj_set_str(o, NFTNL_OBJ_TABLE, PG_NFT_TABLE);
	if (type != NFT_OBJECT_UNSPEC)
		nftnl_obj_set_u32(o, NFTNL_OBJ_TYPE, type);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETOBJ, NFPROTO_INET, NLM_F_DUMP,
				    (uint32_t)time(NULL));
	nftnl_obj_nlmsg_build_payload(nlh, o);
	if (nl_request(nl, nlh, r, &kerr) < 0) {
		pg_seterr(err, errlen, "cannot read the %s of table inet " PG_NFT_TABLE ": %s",
			  type == NFT_OBJECT_COUNTER ? "counters" : "objects", strerror(kerr));
		goto out;
	}
	ret = 0;
out:
	if (o)
		nftnl_obj_free(o);
	return ret;
}

static int dump_counters(struct mnl_socket *nl, struct replies *r, char *err,
			 size_t errlen)
{
	return dump_objs(nl, NFT_OBJECT_COUNTER, r, err, errlen);
}

/* Parses one counter object of our table into c; false for others. */
static bool parse_counter(const struct nlmsghdr *nlh, struct pg_nft_counter *c)
{
	struct nftnl_obj *o = nftnl_obj_alloc();
	const char *table, *name;
	bool ok = false;

	if (!o || nftnl_obj_nlmsg_parse(nlh, o) < 0)
		goto out;
	table = nftnl_obj_get_str(o, NFTNL_OBJ_TABLE);
	name = nftnl_obj_get_str(o, NFTNL_OBJ_NAME);
	if (!table || !name || strcmp(table, PG_NFT_TABLE) != 0 ||
	    nftnl_obj_get_u32(o, NFTNL_OBJ_TYPE) != NFT_OBJECT_COUNTER)
		goto out;
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->packets = nftnl_obj_get_u64(o, NFTNL_OBJ_CTR_PKTS);
	c->bytes = nftnl_obj_get_u64(o, NFTNL_OBJ_CTR_BYTES);
	ok = true;
out:
	if (o)
		nftnl_obj_free(o);
	return ok;
}

int pg_nft_counters(struct pg_nft_counter *out, size_t max, char *err,
		    size_t errlen)
{
	struct mnl_socket *nl = NULL;
	struct replies r = {0};
	int ret = -1, n = 0;

	nl = nl_open(err, errlen);
	if (!nl || table_exists(nl, err, errlen) < 0 ||
	    dump_counters(nl, &r, err, errlen) < 0)
		goto out;
	for_each_reply(nlh, &r, rem) {
		struct pg_nft_counter c;

		if ((size_t)n < max && n < INT_MAX && parse_counter(nlh, &c))
			out[n++] = c;
	}
	ret = n;
out:
	free(r.buf);
	if (nl)
		mnl_socket_close(nl);
	return ret;
}

/* ---- rendering rules back into nft-like text ---- */

enum regkind {
	RK_NONE, RK_MARK, RK_L4PROTO, RK_NFPROTO, RK_PORT, RK_ADDR4, RK_ADDR6,
	RK_RAW,
};

struct render {
	char text[512];
	size_t len;
	char reg[128];            /* what register 1 holds, as text */
	enum regkind kind;
	unsigned prefix;          /* address prefix from a bitwise mask */
	bool masked;              /* a bitwise changed the register */
	uint8_t l4proto, nfproto; /* the last protocol matched, for names */
	int queue_kind;           /* -1, or the pg_nft_queue_kind seen */
	/* The rule's loads so far (32-bit register index, length, text), so
	 * that a lookup reading several consecutive registers prints as the
	 * concatenation `a . b . c`. */
	struct {
		unsigned at, len;
		char text[48];
	} loads[12];
	size_t nloads;
};

__attribute__((format(printf, 2, 3)))
static void r_put(struct render *rd, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (rd->len >= sizeof(rd->text) - 1)
		return;
	if (rd->len)
		rd->text[rd->len++] = ' ';
	va_start(ap, fmt);
	n = vsnprintf(rd->text + rd->len, sizeof(rd->text) - rd->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		rd->len += (size_t)n < sizeof(rd->text) - rd->len ? (size_t)n
								   : sizeof(rd->text) - 1 - rd->len;
}

static uint32_t get_u32_data(const struct nftnl_expr *e, uint16_t attr)
{
	uint32_t len = 0, v = 0;
	const void *d = nftnl_expr_get(e, attr, &len);

	if (d)
		memcpy(&v, d, len < sizeof(v) ? len : sizeof(v));
	return v;
}

/* Copies text into the register description, cut if too long. */
static void r_settext(struct render *rd, const char *text)
{
	size_t n = strlen(text);

	if (n >= sizeof(rd->reg))
		n = sizeof(rd->reg) - 1;
	memcpy(rd->reg, text, n);
	rd->reg[n] = '\0';
}

static void r_reg(struct render *rd, const char *text, enum regkind kind)
{
	r_settext(rd, text);
	rd->kind = kind;
	rd->prefix = 0;
	rd->masked = false;
}

/* Registers as 32-bit slots: NFT_REG_1..4 are 16 bytes wide and share
 * their storage with NFT_REG32_00..15 (NFT_REG_1 is NFT_REG32_00-03). */
static unsigned reg32_of(uint32_t reg)
{
	return reg <= NFT_REG_4 ? reg * 4u : reg - NFT_REG32_00 + 4u;
}

/* Records the load just described by r_reg (its text is rd->reg). */
static void r_note_load(struct render *rd, uint32_t dreg, uint32_t len)
{
	const size_t cap = sizeof(rd->loads) / sizeof(rd->loads[0]);
	size_t n = strlen(rd->reg);
	char *t;

	if (rd->nloads == cap)
		return;
	t = rd->loads[rd->nloads].text;
	if (n >= sizeof(rd->loads[0].text))
		n = sizeof(rd->loads[0].text) - 1;     /* cut, as r_settext does */
	memcpy(t, rd->reg, n);
	t[n] = '\0';
	rd->loads[rd->nloads].at = reg32_of(dreg);
	rd->loads[rd->nloads].len = len;
	rd->nloads++;
}

/* The text of what a lookup from sreg reads: the last load into sreg,
 * then each later load into the register right after the previous one.
 * A single field prints as the register's own text (which may carry a
 * mask). */
static void r_concat(const struct render *rd, uint32_t sreg, char *out,
		     size_t outlen)
{
	size_t i = rd->nloads, off, fields = 1;
	unsigned next;

	snprintf(out, outlen, "%s", rd->reg);
	while (i > 0 && rd->loads[i - 1].at != reg32_of(sreg))
		i--;
	if (i == 0)
		return;
	i--;
	off = str_advance(0, snprintf(out, outlen, "%s", rd->loads[i].text), outlen);
	next = rd->loads[i].at + (rd->loads[i].len + 3) / 4;
	for (size_t j = i + 1; j < rd->nloads; j++) {
		if (rd->loads[j].at != next)
			continue;
		off = str_advance(off, snprintf(out + off, outlen - off, " . %s",
						rd->loads[j].text), outlen);
		next = rd->loads[j].at + (rd->loads[j].len + 3) / 4;
		fields++;
	}
	if (fields == 1)
		snprintf(out, outlen, "%s", rd->reg);
}

static const char *l4_name(uint8_t p)
{
	return p == IPPROTO_TCP ? "tcp" : p == IPPROTO_UDP ? "udp" : NULL;
}

static void r_payload(struct render *rd, const struct nftnl_expr *e)
{
	uint32_t base = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_BASE);
	uint32_t off = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET);
	uint32_t len = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_LEN);
	char t[64];

	if (base == NFT_PAYLOAD_TRANSPORT_HEADER && len == 1 && off == 13 &&
	    rd->l4proto == IPPROTO_TCP) {
		r_reg(rd, "tcp flags", RK_RAW);
	} else if (base == NFT_PAYLOAD_TRANSPORT_HEADER && len == 2 && (off == 0 || off == 2)) {
		const char *p = l4_name(rd->l4proto);

		snprintf(t, sizeof(t), "%s %s", p ? p : "th", off ? "dport" : "sport");
		r_reg(rd, t, RK_PORT);
	} else if (base == NFT_PAYLOAD_NETWORK_HEADER && rd->nfproto == NFPROTO_IPV4 &&
		   (off == 12 || off == 16) && len <= 4) {
		r_reg(rd, off == 12 ? "ip saddr" : "ip daddr", RK_ADDR4);
		rd->prefix = len * 8;
	} else if (base == NFT_PAYLOAD_NETWORK_HEADER && rd->nfproto == NFPROTO_IPV6 &&
		   (off == 8 || off == 24) && len <= 16) {
		r_reg(rd, off == 8 ? "ip6 saddr" : "ip6 daddr", RK_ADDR6);
		rd->prefix = len * 8;
	} else {
		snprintf(t, sizeof(t), "@%s,%u,%u",
			 base == NFT_PAYLOAD_NETWORK_HEADER ? "nh" :
			 base == NFT_PAYLOAD_TRANSPORT_HEADER ? "th" :
			 base == NFT_PAYLOAD_INNER_HEADER ? "ih" : "ll",
			 off * 8, len * 8);
		r_reg(rd, t, RK_RAW);
	}
	r_note_load(rd, nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_DREG), len);
}

static void r_bitwise(struct render *rd, const struct nftnl_expr *e)
{
	uint32_t mlen = 0, xlen = 0;
	const uint8_t *mask = nftnl_expr_get(e, NFTNL_EXPR_BITWISE_MASK, &mlen);
	char t[160];

	(void)nftnl_expr_get(e, NFTNL_EXPR_BITWISE_XOR, &xlen);

	if ((rd->kind == RK_ADDR4 || rd->kind == RK_ADDR6) && mask) {
		unsigned bits = 0;

		for (uint32_t i = 0; i < mlen; i++)
			bits += (unsigned)__builtin_popcount(mask[i]);
		rd->prefix = bits;
		return;
	}
	if (mlen == 4 && xlen == 4) {
		uint32_t m = get_u32_data(e, NFTNL_EXPR_BITWISE_MASK);
		uint32_t x = get_u32_data(e, NFTNL_EXPR_BITWISE_XOR);

		if (x == 0)
			snprintf(t, sizeof(t), "%s & 0x%08" PRIx32, rd->reg, m);
		else if ((m & x) == 0)
			snprintf(t, sizeof(t), "%s & 0x%08" PRIx32 " | 0x%08" PRIx32,
				 rd->reg, m, x);
		else
			snprintf(t, sizeof(t), "(%s & 0x%08" PRIx32 ") ^ 0x%08" PRIx32,
				 rd->reg, m, x);
		r_settext(rd, t);
		return;
	}
	if (mask && mlen <= 4) {
		size_t l = (size_t)snprintf(t, sizeof(t), "%s & 0x", rd->reg);

		for (uint32_t i = 0; i < mlen && l + 3 < sizeof(t); i++)
			l += (size_t)snprintf(t + l, sizeof(t) - l, "%02x", mask[i]);
	} else {
		snprintf(t, sizeof(t), "%s & <mask>", rd->reg);
	}
	rd->masked = true;
	r_settext(rd, t);
}

static void r_cmp(struct render *rd, const struct nftnl_expr *e)
{
	static const char *const ops[] = {"==", "!=", "<", "<=", ">", ">="};
	uint32_t op = nftnl_expr_get_u32(e, NFTNL_EXPR_CMP_OP);
	uint32_t len = 0;
	const uint8_t *d = nftnl_expr_get(e, NFTNL_EXPR_CMP_DATA, &len);
	const char *ops_ = op < 6 ? ops[op] : "?";
	/* nft leaves out "==" for plain selectors */
	const char *shown_op = op == NFT_CMP_EQ && rd->kind != RK_MARK &&
			       !(rd->masked && rd->kind == RK_RAW) ? "" : ops_;
	char v[INET6_ADDRSTRLEN + 8] = "?";

	if (!d)
		return;
	switch (rd->kind) {
	case RK_MARK:
		snprintf(v, sizeof(v), "0x%08" PRIx32, get_u32_data(e, NFTNL_EXPR_CMP_DATA));
		break;
	case RK_L4PROTO:
		rd->l4proto = d[0];
		if (l4_name(d[0]))
			snprintf(v, sizeof(v), "%s", l4_name(d[0]));
		else
			snprintf(v, sizeof(v), "%u", d[0]);
		break;
	case RK_NFPROTO:
		rd->nfproto = d[0];
		snprintf(v, sizeof(v), "%s", d[0] == NFPROTO_IPV4 ? "ipv4" :
			 d[0] == NFPROTO_IPV6 ? "ipv6" : "?");
		break;
	case RK_PORT:
		if (len == 2)
			snprintf(v, sizeof(v), "%u", (unsigned)(d[0] << 8 | d[1]));
		break;
	case RK_ADDR4:
	case RK_ADDR6: {
		uint8_t a[16] = {0};
		bool v4 = rd->kind == RK_ADDR4;
		unsigned full = v4 ? 32 : 128;

		memcpy(a, d, len < sizeof(a) ? len : sizeof(a));
		inet_ntop(v4 ? AF_INET : AF_INET6, a, v, sizeof(v));
		if (rd->prefix < full) {
			size_t l = strlen(v);

			snprintf(v + l, sizeof(v) - l, "/%u", rd->prefix);
		}
		break;
	}
	default: {
		size_t l = 0;

		l += (size_t)snprintf(v, sizeof(v), "0x");
		for (uint32_t i = 0; i < len && l + 3 < sizeof(v); i++)
			l += (size_t)snprintf(v + l, sizeof(v) - l, "%02x", d[i]);
		break;
	}
	}
	if (shown_op[0])
		r_put(rd, "%s %s %s", rd->reg, shown_op, v);
	else
		r_put(rd, "%s %s", rd->reg, v);
}

static void r_queue(struct render *rd, uint16_t num, uint16_t total,
		    uint16_t flags, const char *how)
{
	char range[32];

	if (total > 1)
		snprintf(range, sizeof(range), "%u-%u", num, num + total - 1);
	else
		snprintf(range, sizeof(range), "%u", num);
	r_put(rd, "queue num %s%s%s%s%s", range,
	      flags & NFT_QUEUE_FLAG_BYPASS ? " bypass" : "",
	      (flags & NFT_QUEUE_FLAG_CPU_FANOUT) && (flags & NFT_QUEUE_FLAG_BYPASS) ? "," : "",
	      flags & NFT_QUEUE_FLAG_CPU_FANOUT ? (flags & NFT_QUEUE_FLAG_BYPASS ? "fanout" : " fanout") : "",
	      how);
}

static int render_expr(struct nftnl_expr *e, void *data)
{
	struct render *rd = data;
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);

	if (!name)
		return 0;
	if (strcmp(name, "meta") == 0) {
		uint32_t key = nftnl_expr_get_u32(e, NFTNL_EXPR_META_KEY);

		if (nftnl_expr_is_set(e, NFTNL_EXPR_META_SREG)) {
			r_put(rd, "meta %s set %s", key == NFT_META_MARK ? "mark" : "?", rd->reg);
		} else {
			uint32_t dreg = nftnl_expr_get_u32(e, NFTNL_EXPR_META_DREG);

			if (key == NFT_META_MARK) {
				r_reg(rd, "meta mark", RK_MARK);
			} else if (key == NFT_META_L4PROTO) {
				r_reg(rd, "meta l4proto", RK_L4PROTO);
			} else if (key == NFT_META_NFPROTO) {
				r_reg(rd, "meta nfproto", RK_NFPROTO);
			} else {
				char t[32];

				snprintf(t, sizeof(t), "meta key %u", key);
				r_reg(rd, t, RK_RAW);
			}
			r_note_load(rd, dreg, key == NFT_META_L4PROTO ||
					      key == NFT_META_NFPROTO ? 1 : 4);
		}
	} else if (strcmp(name, "ct") == 0) {
		uint32_t key = nftnl_expr_get_u32(e, NFTNL_EXPR_CT_KEY);
		const char *k = key == NFT_CT_MARK ? "mark" : key == NFT_CT_STATE ? "state" : "key";
		char load[16];

		if (nftnl_expr_is_set(e, NFTNL_EXPR_CT_SREG)) {
			r_put(rd, "ct %s set %s", k, rd->reg);
		} else {
			snprintf(load, sizeof(load), "ct %s", k);
			r_reg(rd, load, RK_MARK);
			r_note_load(rd, nftnl_expr_get_u32(e, NFTNL_EXPR_CT_DREG), 4);
		}
	} else if (strcmp(name, "payload") == 0) {
		r_payload(rd, e);
	} else if (strcmp(name, "bitwise") == 0) {
		r_bitwise(rd, e);
	} else if (strcmp(name, "cmp") == 0) {
		r_cmp(rd, e);
	} else if (strcmp(name, "lookup") == 0) {
		const char *set = nftnl_expr_get_str(e, NFTNL_EXPR_LOOKUP_SET);
		char what[256];

		r_concat(rd, nftnl_expr_get_u32(e, NFTNL_EXPR_LOOKUP_SREG), what, sizeof(what));
		r_put(rd, "%s @%s", what, set ? set : "?");
	} else if (strcmp(name, "counter") == 0) {
		r_put(rd, "counter packets %" PRIu64 " bytes %" PRIu64,
		      nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_PACKETS),
		      nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_BYTES));
	} else if (strcmp(name, "objref") == 0) {
		const char *n = nftnl_expr_get_str(e, NFTNL_EXPR_OBJREF_IMM_NAME);

		r_put(rd, "%s name \"%s\"",
		      nftnl_expr_get_u32(e, NFTNL_EXPR_OBJREF_IMM_TYPE) == NFT_OBJECT_COUNTER ?
		      "counter" : "objref", n ? n : "?");
	} else if (strcmp(name, "immediate") == 0) {
		if (nftnl_expr_is_set(e, NFTNL_EXPR_IMM_VERDICT)) {
			int v = (int)nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_VERDICT);
			const char *to = nftnl_expr_is_set(e, NFTNL_EXPR_IMM_CHAIN) ?
					 nftnl_expr_get_str(e, NFTNL_EXPR_IMM_CHAIN) : NULL;

			if (v == NFT_JUMP || v == NFT_GOTO)
				r_put(rd, "%s %s", v == NFT_JUMP ? "jump" : "goto", to ? to : "?");
			else
				r_put(rd, "%s", v == NF_ACCEPT ? "accept" : v == NF_DROP ? "drop" :
				      v == NFT_CONTINUE ? "continue" : v == NFT_RETURN ? "return" :
				      "verdict");
		}
	} else if (strcmp(name, "reject") == 0) {
		r_put(rd, "%s", nftnl_expr_get_u32(e, NFTNL_EXPR_REJECT_TYPE) == NFT_REJECT_TCP_RST ?
		      "reject with tcp reset" : "reject");
	} else if (strcmp(name, "queue") == 0) {
		r_queue(rd, nftnl_expr_get_u16(e, NFTNL_EXPR_QUEUE_NUM),
			nftnl_expr_get_u16(e, NFTNL_EXPR_QUEUE_TOTAL),
			nftnl_expr_get_u16(e, NFTNL_EXPR_QUEUE_FLAGS), "");
		rd->queue_kind = PG_NFT_QUEUE_NATIVE;
	} else if (strcmp(name, "target") == 0) {
		const char *tg = nftnl_expr_get_str(e, NFTNL_EXPR_TG_NAME);
		uint32_t len = 0;
		const void *info = nftnl_expr_get(e, NFTNL_EXPR_TG_INFO, &len);

		if (tg && strcmp(tg, "NFQUEUE") == 0 && info &&
		    len >= sizeof(struct xt_NFQ_info_v3) &&
		    nftnl_expr_get_u32(e, NFTNL_EXPR_TG_REV) == 3) {
			struct xt_NFQ_info_v3 q;

			memcpy(&q, info, sizeof(q));
			r_queue(rd, q.queuenum, q.queues_total, q.flags, " (xt NFQUEUE)");
			rd->queue_kind = PG_NFT_QUEUE_COMPAT;
		} else {
			r_put(rd, "xt target \"%s\"", tg ? tg : "?");
		}
	} else {
		r_put(rd, "<%s>", name);
	}
	return 0;
}

static void render_rule(struct nftnl_rule *r, struct render *rd)
{
	int qk = rd->queue_kind;

	memset(rd, 0, sizeof(*rd));
	rd->queue_kind = qk;
	nftnl_expr_foreach(r, render_expr, rd);
}

/* ---- the show command ---- */

static void json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static const char *hook_name(uint32_t hooknum)
{
	for (size_t h = 0; h < PG_NFT_NHOOKS; h++) {
		if (pg_nft_hooks[h].hooknum == hooknum)
			return pg_nft_hooks[h].name;
	}
	return "?";
}

/* Everything show needs, read in one go. */
struct snapshot {
	struct replies chains, rules, sets, counters;
	struct replies *elems;    /* one per set message, in order */
	size_t nelems;
};

static void snapshot_free(struct snapshot *s)
{
	free(s->chains.buf);
	free(s->rules.buf);
	free(s->sets.buf);
	free(s->counters.buf);
	for (size_t i = 0; i < s->nelems; i++)
		free(s->elems[i].buf);
	free(s->elems);
}

static int dump_simple(struct mnl_socket *nl, uint16_t type, struct replies *r,
		       const char *what, char *err, size_t errlen)
{
	char buf[512];
	struct nlmsghdr *nlh;
	int kerr;

	nlh = nftnl_nlmsg_build_hdr(buf, type, NFPROTO_INET, NLM_F_DUMP,
				    (uint32_t)time(NULL));
	/* The same attribute (number 1) names the table in chain, rule and
	 * set requests, and the kernel filters the dump by it. */
	mnl_attr_put_strz(nlh, NFTA_CHAIN_TABLE, PG_NFT_TABLE);
	if (nl_request(nl, nlh, r, &kerr) < 0) {
		pg_seterr(err, errlen, "cannot read the %s of table inet " PG_NFT_TABLE ": %s",
			  what, strerror(kerr));
		return -1;
	}
	return 0;
}

static int dump_elems(struct mnl_socket *nl, const char *set, struct replies *r,
		      char *err, size_t errlen)
{
	char buf[512];
	struct nftnl_set *s = nftnl_set_alloc();
	struct nlmsghdr *nlh;
	int kerr, ret = -1;

	if (!s || nftnl_set_set_str(s, NFTNL_SET_TABLE, PG_NFT_TABLE) < 0 ||
	    nftnl_set_set_str(s, NFTNL_SET_NAME, set) < 0) {
		pg_seterr(err, errlen, "out of memory");
		goto out;
	}
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM, NFPROTO_INET, NLM_F_DUMP,
				    (uint32_t)time(NULL));
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	if (nl_request(nl, nlh, r, &kerr) < 0) {
		pg_seterr(err, errlen, "cannot read the elements of set %s: %s", set,
			  strerror(kerr));
		goto out;
	}
	ret = 0;
out:
	if (s)
		nftnl_set_free(s);
	return ret;
}

/* Dumps are filtered by table in the request; this guards against a
 * kernel that ignores the filter. */
static bool ours(const char *table)
{
	return table && strcmp(table, PG_NFT_TABLE) == 0;
}

static int snapshot_read(struct mnl_socket *nl, struct snapshot *s, char *err,
			 size_t errlen)
{
	size_t nsets = 0;
	int ret = -1;

	if (table_exists(nl, err, errlen) < 0 ||
	    dump_simple(nl, NFT_MSG_GETCHAIN, &s->chains, "chains", err, errlen) < 0 ||
	    dump_simple(nl, NFT_MSG_GETRULE, &s->rules, "rules", err, errlen) < 0 ||
	    dump_simple(nl, NFT_MSG_GETSET, &s->sets, "sets", err, errlen) < 0 ||
	    dump_counters(nl, &s->counters, err, errlen) < 0)
		goto out;
	for_each_reply(nlh, &s->sets, rem)
		nsets++;
	s->elems = calloc(nsets ? nsets : 1, sizeof(*s->elems));
	if (!s->elems) {
		pg_seterr(err, errlen, "out of memory");
		goto out;
	}
	for_each_reply(nlh, &s->sets, rem) {
		struct nftnl_set *set = nftnl_set_alloc();
		const char *name;
		int rc = -1;

		if (set && nftnl_set_nlmsg_parse(nlh, set) == 0 &&
		    (name = nftnl_set_get_str(set, NFTNL_SET_NAME)) != NULL)
			rc = ours(nftnl_set_get_str(set, NFTNL_SET_TABLE)) ?
			     dump_elems(nl, name, &s->elems[s->nelems], err, errlen) : 0;
		else
			pg_seterr(err, errlen, "cannot parse a set of table inet " PG_NFT_TABLE);
		s->nelems++;
		if (set)
			nftnl_set_free(set);
		if (rc < 0)
			goto out;
	}
	ret = 0;
out:
	return ret;
}

/* ---- what an apply finds (see struct existing) ---- */

static void existing_free(struct existing *ex)
{
	free(ex->chains);
	free(ex->sets);
	free(ex->objs);
	memset(ex, 0, sizeof(*ex));
}

static size_t count_replies(const struct replies *r)
{
	size_t n = 0;

	for_each_reply(nlh, r, rem)
		n++;
	return n;
}

/* Copies a name the kernel gave; false when there is none. */
static bool copy_name(char dst[NFT_NAME_MAXLEN], const char *src)
{
	if (!src)
		return false;
	snprintf(dst, NFT_NAME_MAXLEN, "%s", src);
	return true;
}

static int existing_chains(const struct replies *r, struct existing *ex)
{
	ex->chains = calloc(count_replies(r) + 1, sizeof(*ex->chains));
	if (!ex->chains)
		return -1;
	for_each_reply(nlh, r, rem) {
		struct nftnl_chain *c = nftnl_chain_alloc();
		struct existing_chain *ec = &ex->chains[ex->nchains];

		if (!c)
			return -1;
		/* A chain bound to a rule (NFT_CHAIN_BINDING) goes with its
		 * rule; peergate makes none. */
		if (nftnl_chain_nlmsg_parse(nlh, c) == 0 &&
		    ours(nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE)) &&
		    !(nftnl_chain_is_set(c, NFTNL_CHAIN_FLAGS) &&
		      (nftnl_chain_get_u32(c, NFTNL_CHAIN_FLAGS) & NFT_CHAIN_BINDING)) &&
		    copy_name(ec->name, nftnl_chain_get_str(c, NFTNL_CHAIN_NAME))) {
			ec->base = nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM);
			if (ec->base) {
				const char *type = nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE);

				ec->hooknum = nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM);
				ec->prio = nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO);
				ec->policy = nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY);
				snprintf(ec->type, sizeof(ec->type), "%s", type ? type : "");
			}
			ex->nchains++;
		}
		nftnl_chain_free(c);
	}
	return 0;
}

static int existing_sets(const struct replies *r, struct existing *ex)
{
	ex->sets = calloc(count_replies(r) + 1, sizeof(*ex->sets));
	if (!ex->sets)
		return -1;
	for_each_reply(nlh, r, rem) {
		struct nftnl_set *s = nftnl_set_alloc();

		if (!s)
			return -1;
		/* Anonymous sets belong to the rule that made them. */
		if (nftnl_set_nlmsg_parse(nlh, s) == 0 &&
		    ours(nftnl_set_get_str(s, NFTNL_SET_TABLE)) &&
		    !(nftnl_set_get_u32(s, NFTNL_SET_FLAGS) & NFT_SET_ANONYMOUS) &&
		    copy_name(ex->sets[ex->nsets].name, nftnl_set_get_str(s, NFTNL_SET_NAME)))
			ex->nsets++;
		nftnl_set_free(s);
	}
	return 0;
}

static int existing_objs(const struct replies *r, struct existing *ex)
{
	ex->objs = calloc(count_replies(r) + 1, sizeof(*ex->objs));
	if (!ex->objs)
		return -1;
	for_each_reply(nlh, r, rem) {
		struct nftnl_obj *o = nftnl_obj_alloc();

		if (!o)
			return -1;
		if (nftnl_obj_nlmsg_parse(nlh, o) == 0 &&
		    ours(nftnl_obj_get_str(o, NFTNL_OBJ_TABLE)) &&
		    copy_name(ex->objs[ex->nobjs].name, nftnl_obj_get_str(o, NFTNL_OBJ_NAME))) {
			ex->objs[ex->nobjs].type = nftnl_obj_get_u32(o, NFTNL_OBJ_TYPE);
			ex->nobjs++;
		}
		nftnl_obj_free(o);
	}
	return 0;
}

/* Reads which chains, sets and objects the table has now; an absent table
 * is not an error (ex->table false, nothing listed).  Between this read and
 * the batch another program may change the table; the batch then fails as
 * a whole (ENOENT, EEXIST) and changes nothing. */
static int existing_read(struct mnl_socket *nl, struct existing *ex, char *err,
			 size_t errlen)
{
	struct replies chains = {0}, sets = {0}, objs = {0};
	int ret = -1;

	memset(ex, 0, sizeof(*ex));
	if (table_lookup(nl, &ex->table, err, errlen) < 0)
		goto out;
	if (!ex->table) {
		ret = 0;
		goto out;
	}
	if (dump_simple(nl, NFT_MSG_GETCHAIN, &chains, "chains", err, errlen) < 0 ||
	    dump_simple(nl, NFT_MSG_GETSET, &sets, "sets", err, errlen) < 0 ||
	    dump_objs(nl, NFT_OBJECT_UNSPEC, &objs, err, errlen) < 0)
		goto out;
	if (existing_chains(&chains, ex) < 0 || existing_sets(&sets, ex) < 0 ||
	    existing_objs(&objs, ex) < 0) {
		pg_seterr(err, errlen, "out of memory while reading table inet " PG_NFT_TABLE);
		goto out;
	}
	ret = 0;
out:
	free(chains.buf);
	free(sets.buf);
	free(objs.buf);
	return ret;
}

/* Element keys of one set in key order, with their interval-end flags. */
struct elem {
	uint16_t key;
	bool end;
};

static int elem_cmp(const void *a, const void *b)
{
	const struct elem *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return (int)x->end - (int)y->end;
}

static int collect_elem(struct nftnl_set_elem *e, void *data)
{
	struct { struct elem *v; size_t n, cap; } *acc = data;
	uint32_t len = 0;
	const uint8_t *k = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len);

	if (!k || len != 2 || acc->n == acc->cap)
		return 0;
	acc->v[acc->n].key = (uint16_t)(k[0] << 8 | k[1]);
	acc->v[acc->n].end = nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_FLAGS) &&
			     (nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_FLAGS) &
			      NFT_SET_ELEM_INTERVAL_END);
	acc->n++;
	return 0;
}

/* Writes "4443, 13324-13325" for one set's element dump. */
static void format_elems(const struct replies *r, bool interval, char *out,
			 size_t outlen)
{
	struct elem v[256];
	struct { struct elem *v; size_t n, cap; } acc = {v, 0, 256};
	size_t off = 0;

	out[0] = '\0';
	for_each_reply(nlh, r, rem) {
		struct nftnl_set *s = nftnl_set_alloc();

		if (s && nftnl_set_elems_nlmsg_parse(nlh, s) == 0)
			nftnl_set_elem_foreach(s, collect_elem, &acc);
		if (s)
			nftnl_set_free(s);
	}
	qsort(v, acc.n, sizeof(v[0]), elem_cmp);
	for (size_t i = 0; i < acc.n && off + 16 < outlen; i++) {
		unsigned lo = v[i].key, hi = lo;
		int n;

		if (v[i].end)
			continue;      /* an end without a start before it */
		if (interval) {
			if (i + 1 < acc.n && v[i + 1].end) {
				hi = v[i + 1].key - 1u;
				i++;
			} else {
				hi = UINT16_MAX;
			}
		}
		if (hi != lo)
			n = snprintf(out + off, outlen - off, "%s%u-%u", off ? ", " : "", lo, hi);
		else
			n = snprintf(out + off, outlen - off, "%s%u", off ? ", " : "", lo);
		if (n > 0)
			off += (size_t)n;
	}
}

/* "ipv4_addr . inet_proto . ..." for a set's key type. */
static void set_type_text(uint32_t type, char *out, size_t outlen)
{
	const uint32_t mask = (1u << PG_NFT_TYPE_BITS) - 1;
	uint32_t field[32 / PG_NFT_TYPE_BITS + 1];
	size_t n = 0, off = 0;

	out[0] = '\0';
	do {
		field[n++] = type & mask;
		type >>= PG_NFT_TYPE_BITS;
	} while (type && n < sizeof(field) / sizeof(field[0]));
	/* The first field sits in the highest bits. */
	while (n-- > 0) {
		const char *name = field[n] == PG_NFT_TYPE_IPADDR ? "ipv4_addr" :
				   field[n] == PG_NFT_TYPE_IP6ADDR ? "ipv6_addr" :
				   field[n] == PG_NFT_TYPE_INET_PROTO ? "inet_proto" :
				   field[n] == PG_NFT_TYPE_INET_SERVICE ? "inet_service" : NULL;
		int w = name ? snprintf(out + off, outlen - off, "%s%s", off ? " . " : "", name)
			     : snprintf(out + off, outlen - off, "%stype %" PRIu32,
					off ? " . " : "", field[n]);

		off = str_advance(off, w, outlen);
	}
}

/* "120s" or "1500ms". */
static void duration_text(uint64_t ms, char *out, size_t outlen)
{
	if (ms % 1000 == 0)
		snprintf(out, outlen, "%" PRIu64 "s", ms / 1000);
	else
		snprintf(out, outlen, "%" PRIu64 "ms", ms);
}

struct flow_elems {
	char *out;
	size_t outlen, off;
	size_t n, shown;
	bool full;
};

/* Room kept at the end of the text for the "(N in all)" note. */
#define PG_NFT_ELEMS_NOTE 40

static int collect_flow_elem(struct nftnl_set_elem *e, void *data)
{
	struct flow_elems *fe = data;
	uint32_t len = 0;
	const uint8_t *k = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len);
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN], p[8], t[200], tmo[64] = "";
	size_t alen, tl;

	if (!k || (len != PG_NFT_FLOW_KEY_LEN(4u) && len != PG_NFT_FLOW_KEY_LEN(16u)))
		return 0;
	fe->n++;
	if (fe->full)
		return 0;
	alen = len == PG_NFT_FLOW_KEY_LEN(4u) ? 4 : 16;
	inet_ntop(alen == 4 ? AF_INET : AF_INET6, k, a, sizeof(a));
	inet_ntop(alen == 4 ? AF_INET : AF_INET6, k + alen + 8, b, sizeof(b));
	if (l4_name(k[alen]))
		snprintf(p, sizeof(p), "%s", l4_name(k[alen]));
	else
		snprintf(p, sizeof(p), "%u", k[alen]);
	if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_TIMEOUT)) {
		char d1[24], d2[24] = "";

		duration_text(nftnl_set_elem_get_u64(e, NFTNL_SET_ELEM_TIMEOUT), d1, sizeof(d1));
		if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_EXPIRATION))
			duration_text(nftnl_set_elem_get_u64(e, NFTNL_SET_ELEM_EXPIRATION),
				      d2, sizeof(d2));
		snprintf(tmo, sizeof(tmo), " timeout %s%s%s", d1, d2[0] ? " expires " : "", d2);
	}
	snprintf(t, sizeof(t), "%s . %s . %u . %s . %u%s", a, p,
		 (unsigned)(k[alen + 4] << 8 | k[alen + 5]), b,
		 (unsigned)(k[2 * alen + 8] << 8 | k[2 * alen + 9]), tmo);
	tl = strlen(t);
	if (fe->off + tl + 2 + PG_NFT_ELEMS_NOTE >= fe->outlen) {
		fe->full = true;
		return 0;
	}
	fe->off = str_advance(fe->off, snprintf(fe->out + fe->off, fe->outlen - fe->off,
						"%s%s", fe->off ? ", " : "", t), fe->outlen);
	fe->shown++;
	return 0;
}

/* The elements of a blocked-flow set, as many as fit in out. */
static void format_flow_elems(const struct replies *r, char *out, size_t outlen)
{
	struct flow_elems fe = {.out = out, .outlen = outlen};

	out[0] = '\0';
	if (outlen <= PG_NFT_ELEMS_NOTE)
		return;
	for_each_reply(nlh, r, rem) {
		struct nftnl_set *s = nftnl_set_alloc();

		if (s && nftnl_set_elems_nlmsg_parse(nlh, s) == 0)
			nftnl_set_elem_foreach(s, collect_flow_elem, &fe);
		if (s)
			nftnl_set_free(s);
	}
	if (fe.shown < fe.n)
		snprintf(out + fe.off, outlen - fe.off, "%s... (%zu in all)",
			 fe.off ? ", " : "", fe.n);
}

/* Scans all rules once for the queue kind in use. */
static int snapshot_queue_kind(const struct snapshot *s)
{
	struct render rd = {.queue_kind = -1};

	for_each_reply(nlh, &s->rules, rem) {
		struct nftnl_rule *r = nftnl_rule_alloc();

		if (r && nftnl_rule_nlmsg_parse(nlh, r) == 0 &&
		    ours(nftnl_rule_get_str(r, NFTNL_RULE_TABLE)))
			render_rule(r, &rd);
		if (r)
			nftnl_rule_free(r);
	}
	return rd.queue_kind;
}

static void show_chain(FILE *out, bool json, const struct snapshot *s,
		       struct nftnl_chain *c, bool first)
{
	const char *name = nftnl_chain_get_str(c, NFTNL_CHAIN_NAME);
	const char *type = nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE);
	bool base = nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM);
	const char *hook = base ? hook_name(nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM)) : "";
	int prio = base ? nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO) : 0;
	const char *policy = base && nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY) == NF_DROP ?
			     "drop" : "accept";
	bool firstrule = true;

	if (!name)
		return;
	if (json) {
		fprintf(out, "%s{\"name\":", first ? "" : ",");
		json_str(out, name);
		if (base)
			fprintf(out, ",\"type\":\"%s\",\"hook\":\"%s\",\"priority\":%d,\"policy\":\"%s\"",
				type ? type : "filter", hook, prio, policy);
		fprintf(out, ",\"rules\":[");
	} else {
		fprintf(out, "\tchain %s {\n", name);
		if (base)
			fprintf(out, "\t\ttype %s hook %s priority %d; policy %s;\n",
				type ? type : "filter", hook, prio, policy);
	}
	for_each_reply(nlh, &s->rules, rem) {
		struct nftnl_rule *r = nftnl_rule_alloc();
		struct render rd = {.queue_kind = -1};
		const char *rc;

		if (r && nftnl_rule_nlmsg_parse(nlh, r) == 0 &&
		    ours(nftnl_rule_get_str(r, NFTNL_RULE_TABLE)) &&
		    (rc = nftnl_rule_get_str(r, NFTNL_RULE_CHAIN)) != NULL &&
		    strcmp(rc, name) == 0) {
			render_rule(r, &rd);
			if (json) {
				if (!firstrule)
					fputc(',', out);
				json_str(out, rd.text);
			} else {
				fprintf(out, "\t\t%s\n", rd.text);
			}
			firstrule = false;
		}
		if (r)
			nftnl_rule_free(r);
	}
	fputs(json ? "]}" : "\t}\n", out);
}

int pg_nft_show(FILE *out, bool json, char *err, size_t errlen)
{
	struct mnl_socket *nl = NULL;
	struct snapshot s = {0};
	const char *kind;
	bool first;
	size_t si = 0;
	int ret = -1, qk;

	nl = nl_open(err, errlen);
	if (!nl || snapshot_read(nl, &s, err, errlen) < 0)
		goto out;
	qk = snapshot_queue_kind(&s);
	kind = qk < 0 ? "none" : pg_nft_queue_kind_name((enum pg_nft_queue_kind)qk);

	if (json)
		fprintf(out, "{\"family\":\"inet\",\"table\":\"%s\",\"queue_kind\":\"%s\",\"chains\":[",
			PG_NFT_TABLE, kind);
	else
		fprintf(out, "table inet %s {\n\t# queue: %s%s\n", PG_NFT_TABLE, kind,
			qk == PG_NFT_QUEUE_COMPAT ? " (xt NFQUEUE target through nft_compat)" :
			qk == PG_NFT_QUEUE_NATIVE ? " (nft queue expression)" : "");

	first = true;
	for_each_reply(nlh, &s.chains, rem) {
		struct nftnl_chain *c = nftnl_chain_alloc();

		if (c && nftnl_chain_nlmsg_parse(nlh, c) == 0 &&
		    ours(nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE))) {
			show_chain(out, json, &s, c, first);
			first = false;
		}
		if (c)
			nftnl_chain_free(c);
	}

	fputs(json ? "],\"sets\":[" : "", out);
	first = true;
	for_each_reply(nlh, &s.sets, rem) {
		struct nftnl_set *set = nftnl_set_alloc();
		const char *name;
		char elems[2048];

		if (set && nftnl_set_nlmsg_parse(nlh, set) == 0 &&
		    (name = nftnl_set_get_str(set, NFTNL_SET_NAME)) != NULL && si < s.nelems &&
		    ours(nftnl_set_get_str(set, NFTNL_SET_TABLE))) {
			uint32_t flags = nftnl_set_get_u32(set, NFTNL_SET_FLAGS);
			uint32_t ktype = nftnl_set_get_u32(set, NFTNL_SET_KEY_TYPE);
			uint32_t size = nftnl_set_is_set(set, NFTNL_SET_DESC_SIZE) ?
					nftnl_set_get_u32(set, NFTNL_SET_DESC_SIZE) : 0;
			bool interval = flags & NFT_SET_INTERVAL, timeout = flags & NFT_SET_TIMEOUT;
			char type[160], sz[32] = "";

			set_type_text(ktype, type, sizeof(type));
			if (ktype == PG_NFT_TYPE_INET_SERVICE)
				format_elems(&s.elems[si], interval, elems, sizeof(elems));
			else
				format_flow_elems(&s.elems[si], elems, sizeof(elems));
			if (size)
				snprintf(sz, sizeof(sz), " size %" PRIu32 ";", size);
			if (json) {
				fprintf(out, "%s{\"name\":", first ? "" : ",");
				json_str(out, name);
				fprintf(out, ",\"type\":");
				json_str(out, type);
				fprintf(out, ",\"interval\":%s,\"timeout\":%s,\"size\":%" PRIu32 ",\"elements\":",
					interval ? "true" : "false", timeout ? "true" : "false", size);
				json_str(out, elems);
				fputc('}', out);
			} else {
				fprintf(out, "\tset %s { type %s;%s%s elements = { %s } }\n",
					name, type, sz, interval ? " flags interval;" :
					timeout ? " flags timeout;" : "", elems);
			}
			first = false;
		}
		si++;
		if (set)
			nftnl_set_free(set);
	}

	fputs(json ? "],\"counters\":[" : "", out);
	first = true;
	for_each_reply(nlh, &s.counters, rem) {
		struct pg_nft_counter c;

		if (!parse_counter(nlh, &c))
			continue;
		if (json) {
			fprintf(out, "%s{\"name\":", first ? "" : ",");
			json_str(out, c.name);
			fprintf(out, ",\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64 "}",
				c.packets, c.bytes);
		} else {
			fprintf(out, "\tcounter %s { packets %" PRIu64 " bytes %" PRIu64 " }\n",
				c.name, c.packets, c.bytes);
		}
		first = false;
	}
	fputs(json ? "]}\n" : "}\n", out);
	ret = 0;
out:
	snapshot_free(&s);
	if (nl)
		mnl_socket_close(nl);
	return ret;
}
