/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Netlink and batch plumbing for table inet peergate.  Every message of a
 * batch carries NLM_F_ACK and its own sequence number, and every ACK is
 * read back, also after an error, so that the kernel's errno can be mapped
 * to the object that caused it (the kernel goes on through the whole batch
 * and reports each refused message, then aborts).  That mapping is also
 * how a kernel without the native `queue` expression is recognised: the
 * queue rules, and only they, fail with ENOENT
 * (pgnft_batch_only_queue_missing).
 */
#include "netlink.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libnftnl/common.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>

#include "peergate/seterr.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* Room reserved for each batch message.  The largest message peergate
 * builds is one set's elements (at most 33 short elements), well below. */
#define PG_NFT_MSG_ROOM 16384

/* How long to wait for the kernel's ACKs.  After an error on the batch
 * header itself (no permission, nf_tables missing, out of memory) the
 * kernel sends nothing else, so only a short grace period applies. */
#define PG_NFT_ACK_TIMEOUT_MS 5000
#define PG_NFT_ACK_GRACE_MS 200

#define PG_NFT_RECV_SIZE 65536

void pgnft_batch_free(struct batch *b)
{
	free(b->buf);
	free(b->objs);
	memset(b, 0, sizeof(*b));
}

void pgnft_batch_reset(struct batch *b, uint32_t seq0)
{
	b->len = 0;
	b->nobjs = 0;
	b->seq0 = seq0;
	b->head_err = 0;
	b->head_extack[0] = '\0';
	b->extack[0] = '\0';
	b->extack_idx = SIZE_MAX;
}

/* Makes room for need more bytes after len in *buf (*cap bytes), growing
 * it to twice its size (at first 64 KiB) as often as that takes.  Grown
 * bytes are zeroed, so that padding sent to the kernel is defined. */
static int buf_reserve(char **buf, size_t *cap, size_t len, size_t need)
{
	size_t ncap = *cap ? *cap * 2 : 65536;
	char *nbuf;

	if (*cap - len >= need)
		return 0;
	while (ncap - len < need)
		ncap *= 2;
	nbuf = realloc(*buf, ncap);
	if (!nbuf)
		return -1;
	memset(nbuf + *cap, 0, ncap - *cap);
	*buf = nbuf;
	*cap = ncap;
	return 0;
}

static char *batch_room(struct batch *b)
{
	if (buf_reserve(&b->buf, &b->cap, b->len, PG_NFT_MSG_ROOM) < 0)
		return NULL;
	return b->buf + b->len;
}

void pgnft_batch_close(struct batch *b)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)(b->buf + b->len);

	b->len += NLMSG_ALIGN(nlh->nlmsg_len);
}

int pgnft_batch_begin(struct batch *b)
{
	char *p = batch_room(b);

	if (!p)
		return -1;
	nftnl_batch_begin(p, b->seq0);
	pgnft_batch_close(b);
	return 0;
}

int pgnft_batch_end(struct batch *b)
{
	char *p = batch_room(b);

	if (!p)
		return -1;
	nftnl_batch_end(p, b->seq0 + 1 + (uint32_t)b->nobjs);
	pgnft_batch_close(b);
	return 0;
}

struct nlmsghdr *pgnft_batch_msg(struct batch *b, uint16_t type,
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

struct mnl_socket *pgnft_nl_open(char *err, size_t errlen)
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

int pgnft_batch_talk(struct mnl_socket *nl, struct batch *b, char *err,
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

const char *pgnft_errno_hint(int e, bool head)
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

void pgnft_batch_describe(const struct batch *b, const char *prefix,
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
			     strerror(b->head_err), pgnft_errno_hint(b->head_err, true),
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
			     o->what, strerror(o->status), pgnft_errno_hint(o->status, false),
			     b->extack_idx == i ? " - " : "",
			     b->extack_idx == i ? b->extack : "");
		off = str_advance(off, n, errlen);
		shown++;
	}
	if (nerr + (b->head_err ? 1 : 0) > shown)
		snprintf(err + off, errlen - off, "; and %zu more",
			 nerr + (b->head_err ? 1 : 0) - shown);
}

bool pgnft_batch_only_queue_missing(const struct batch *b)
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

static int replies_add(struct replies *r, const struct nlmsghdr *nlh)
{
	size_t need = NLMSG_ALIGN(nlh->nlmsg_len);

	if (buf_reserve(&r->buf, &r->cap, r->len, need) < 0)
		return -1;
	/* The buffer is reused when a dump runs again. */
	memset(r->buf + r->len, 0, need);
	memcpy(r->buf + r->len, nlh, nlh->nlmsg_len);
	r->len += need;
	return 0;
}

int pgnft_nl_request(struct mnl_socket *nl, struct nlmsghdr *req,
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
