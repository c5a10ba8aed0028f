/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Copyright (C) 2025 The peergate authors
 *
 * The NFQUEUE socket, on libmnl and the nfq_nlmsg_* helpers of
 * libnetfilter_queue (not its legacy nfq_handle API).  What a received
 * datagram holds is read by nfq_msg.c (pure, and fuzzed on its own).
 *
 * Invariants:
 *  - Every packet message that reaches this module gets exactly one verdict
 *    (nfq_packet has a single exit through nfq_put_verdict).  A callback
 *    failure, a verdict kind the kernel cannot honour, or a malformed message
 *    all end in NF_ACCEPT and are counted, never dropped silently.
 *  - Verdicts are collected in one mnl_nlmsg_batch and sent with one
 *    sendmsg per pg_nfq_process() call (more only if the buffer fills), and
 *    always before pg_nfq_process() returns, even on a fatal error.
 *  - One pg_nfq belongs to one thread; nothing here is global.
 *
 * Kernel behaviour this relies on (net/netfilter/nfnetlink_queue.c):
 *  - nfqnl_recv_config validates NFQA_CFG_FLAGS before it looks up or binds
 *    the queue.  NFQA_CFG_F_CONNTRACK is refused with EOPNOTSUPP when
 *    nfnl_ct_hook is missing (CONFIG_NETFILTER_NETLINK_GLUE_CT off); with the
 *    hook present the same message without a bind fails later with ENODEV.
 *    That makes a side-effect-free probe before the bind.
 *  - A verdict the kernel refuses (unknown id: a double verdict, or a
 *    packet that was already flushed) comes back as an NLMSG_ERROR even
 *    without NLM_F_ACK; those are counted as send_errors.
 *  - When the socket is closed the kernel destroys the queue and drops what
 *    is still queued, so close() first accepts whatever is pending.
 *
 * Notes for callers (measured by test/unit/test_nfq.c on Linux 6.18):
 *  - pkt->data points into the receive buffer and is valid only during the
 *    callback.
 *  - PG_NFQ_REPEAT_MARK replaces the whole packet mark: pass pkt->mark with
 *    only the peergate bits changed.
 *  - A stamp lands on the conntrack entry of the packet that carries it.
 *    That entry is still unconfirmed while it is a flow's first packet, or
 *    a packet queued before the first one's verdict went out.  A BLOCK
 *    stamp on such a packet is lost with the dropped packet, and an ACCEPT
 *    stamp is lost when the entry clashes with the confirmed one.  The
 *    later packets then reach the queue again: answer every queued packet
 *    of a decided flow with its stamp again, not with a plain accept.
 */
#include "peergate/nfq.h"
#include "peergate/nfq_msg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

/* The kernel's uapi headers first: libnetfilter_queue ships older copies
 * under the same include guards, and the newer NFQA_MAX is the one that
 * sizes the attribute table below safely for the library's parser. */
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <linux/netlink.h>

#include <libmnl/libmnl.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#include "peergate/seterr.h"

#define NFQ_DEFAULT_MAXLEN 4096u
#define NFQ_DEFAULT_COPY 0xffffu
#define NFQ_DEFAULT_RCVBUF (8u << 20)
#define NFQ_DEFAULT_BATCH 64u

/* The kernel clamps copy_range to NFQNL_MAX_COPY_RANGE; so do we when we
 * size the receive buffer. */
#define NFQ_MAX_COPY (0xffffu - NLA_HDRLEN)
/* Everything in a packet message that is not payload: netlink and nfgen
 * headers, packet header, marks, interfaces, timestamp, hardware address,
 * the NFQA_CT nest, uid/gid, secctx, vlan, L2 header.  Generous on purpose:
 * a datagram that does not fit would be truncated, and a truncated message
 * is rescued only as far as its packet id. */
#define NFQ_MSG_OVERHEAD 8192u
/* Verdict messages batched per sendmsg before an intermediate flush.  A
 * verdict with mark and ct nest is 52 bytes, so this holds ~150 of them;
 * libmnl wants a buffer twice the limit for the message that overflows. */
#define NFQ_TX_LIMIT 8192u
/* A blocking receive waits at most this long, so the caller's loop wakes
 * for signals and timers even on an idle queue. */
#define NFQ_BLOCK_TIMEOUT_S 1

struct pg_nfq {
	struct mnl_socket *nl;
	struct pg_nfq_config cfg;
	uint32_t portid;
	uint32_t seq;
	uint32_t flags;             /* NFQA_CFG_F_* the kernel accepted */
	bool has_ct;
	bool bound;
	struct pg_nfq_stats stats;
	struct mnl_nlmsg_batch *tx;
	unsigned tx_count;          /* verdict messages in tx, not yet sent */
	size_t rxlen;
	uint8_t *rxbuf;
	uint8_t *txbuf;
};

/* What waiting for a configuration ACK has seen so far. */
struct nfq_ack_wait {
	uint32_t seq;
	bool done;
	int error;                  /* 0 or a negative errno */
};

enum nfq_recv_status {
	NFQ_RECV_DATA,
	NFQ_RECV_NONE,              /* EAGAIN, timeout or EINTR */
	NFQ_RECV_ENOBUFS,           /* counted; the socket is still good */
	NFQ_RECV_IGNORED,           /* a datagram not from the kernel */
	NFQ_RECV_FATAL,
};

void pg_nfq_config_defaults(struct pg_nfq_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->queue_maxlen = NFQ_DEFAULT_MAXLEN;
	cfg->copy_range = NFQ_DEFAULT_COPY;
	cfg->rcvbuf = NFQ_DEFAULT_RCVBUF;
	cfg->batch_max = NFQ_DEFAULT_BATCH;
	cfg->gso = true;
	/* The daemon overwrites this from the policy (fail-open or closed on
	 * overload); open is the safer default for a gateway. */
	cfg->fail_open = true;
}

/* Open-time warnings only (never per packet).  stderr until the project has
 * a logging module to route them to. */
__attribute__((format(printf, 2, 3)))
static void nfq_warn(const struct pg_nfq *q, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "peergate: nfq: queue %u: ", q->cfg.queue_num);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static const char *nfq_hint(int e)
{
	switch (e) {
	case EPERM:
		return " (need CAP_NET_ADMIN, or another process owns this queue)";
	case EBUSY:
		return " (another peergated or NFQUEUE consumer is bound to it)";
	case EPROTONOSUPPORT:
		return " (kernel without nfnetlink?)";
	case EAGAIN:
		return " (no answer from the kernel)";
	default:
		return "";
	}
}

/* ---- sending verdicts -------------------------------------------------- */

/* Sends the batched verdicts.  A failed sendmsg leaves those packets queued
 * in the kernel until the queue is destroyed; there is nothing better to do
 * than retry transient errors and count the rest. */
static void nfq_flush(struct pg_nfq *q)
{
	ssize_t n;
	int tries = 0;

	if (!q->tx_count)
		return;
	do {
		n = mnl_socket_sendto(q->nl, mnl_nlmsg_batch_head(q->tx),
				      mnl_nlmsg_batch_size(q->tx));
	} while (n < 0 && (errno == EINTR || errno == ENOBUFS ||
			   errno == ENOMEM) && ++tries < 3);
	if (n < 0)
		q->stats.send_errors += q->tx_count;
	else
		q->stats.verdicts += q->tx_count;
	q->tx_count = 0;
	/* Also moves a message that overflowed the limit to the front. */
	mnl_nlmsg_batch_reset(q->tx);
}

static void nfq_put_verdict(struct pg_nfq *q, uint32_t id, int verdict,
			    const uint32_t *mark, const uint32_t *ct_mark)
{
	struct nlmsghdr *nlh;

	nlh = nfq_nlmsg_put(mnl_nlmsg_batch_current(q->tx), NFQNL_MSG_VERDICT,
			    q->cfg.queue_num);
	nlh->nlmsg_seq = ++q->seq;
	nfq_nlmsg_verdict_put(nlh, (int)id, verdict);
	if (mark)
		nfq_nlmsg_verdict_put_mark(nlh, *mark);
	if (ct_mark) {
		struct nlattr *nest = mnl_attr_nest_start(nlh, NFQA_CT);
		mnl_attr_put_u32(nlh, CTA_MARK, htonl(*ct_mark));
		mnl_attr_nest_end(nlh, nest);
	}
	if (mnl_nlmsg_batch_next(q->tx)) {
		q->tx_count++;
	} else {
		/* This message is past the limit: send the ones before it;
		 * the reset in nfq_flush keeps it as the first of the next. */
		nfq_flush(q);
		q->tx_count = 1;
	}
}

/* ---- receiving --------------------------------------------------------- */

static enum nfq_recv_status nfq_recv(struct pg_nfq *q, int flags, size_t *len,
				     bool *trunc)
{
	struct sockaddr_nl sa;
	struct iovec iov = { .iov_base = q->rxbuf, .iov_len = q->rxlen };
	struct msghdr msg = {
		.msg_name = &sa,
		.msg_namelen = sizeof(sa),
		.msg_iov = &iov,
		.msg_iovlen = 1,
	};
	ssize_t n;

	n = recvmsg(mnl_socket_get_fd(q->nl), &msg, flags);
	if (n < 0) {
		switch (errno) {
		case EAGAIN:
#if EWOULDBLOCK != EAGAIN
		case EWOULDBLOCK:
#endif
		case EINTR:
			return NFQ_RECV_NONE;
		case ENOBUFS:
			/* The kernel could not queue a message to us (socket
			 * buffer full).  Those packets were dropped or, with
			 * FAIL_OPEN, accepted; the socket itself is fine.
			 * NETLINK_NO_ENOBUFS stays off so this is counted. */
			q->stats.enobufs++;
			return NFQ_RECV_ENOBUFS;
		default:
			return NFQ_RECV_FATAL;
		}
	}
	/* Only the kernel may talk to us; a privileged process could unicast
	 * to our port id, and its messages must not be taken for packets. */
	if (msg.msg_namelen != sizeof(sa) || sa.nl_pid != 0)
		return NFQ_RECV_IGNORED;
	*len = (size_t)n;
	*trunc = (msg.msg_flags & MSG_TRUNC) != 0;
	return NFQ_RECV_DATA;
}

/* One packet message: ask the callback, queue exactly one verdict.
 * cb == NULL means "not ready" (during open and close): accept quietly. */
static void nfq_packet(struct pg_nfq *q, const struct pg_nfq_msg *m,
		       pg_nfq_cb cb, void *ctx)
{
	const struct pg_nfq_packet *pkt = &m->pkt;
	struct pg_nfq_verdict v;
	int verdict = NF_ACCEPT;
	const uint32_t *mark = NULL, *ct_mark = NULL;
	bool ok = false;

	q->stats.received++;

	if (m->kind != PG_NFQ_MSG_PACKET) {
		/* Counted like a failed callback: accepted undecided. */
		q->stats.verdict_errors++;
		if (m->kind == PG_NFQ_MSG_PACKET_ID)
			goto verdict;
		/* No id, so no verdict is possible; the kernel reclaims the
		 * packet when the queue goes away. */
		goto out;
	}
	if (pkt->orig_len > pkt->len)
		q->stats.truncated++;

	if (!cb)
		goto verdict;

	/* An out-of-range kind that the callback must overwrite: a callback
	 * that returns true without filling v is caught below. */
	memset(&v, 0xff, sizeof(v));
	ok = cb(ctx, pkt, &v);
	if (ok) {
		switch ((int)v.kind) {
		case PG_NFQ_ACCEPT:
			break;
		case PG_NFQ_DROP:
			verdict = NF_DROP;
			break;
		case PG_NFQ_REPEAT_MARK:
			verdict = NF_REPEAT;
			mark = &v.mark;
			break;
		case PG_NFQ_ACCEPT_CTMARK:
			/* Without the glue hook the kernel ignores NFQA_CT
			 * in a verdict: the stamp would be lost silently. */
			if (q->has_ct)
				ct_mark = &v.ct_mark;
			else
				ok = false;
			break;
		default:
			ok = false;
			break;
		}
	}
	if (!ok) {
		verdict = NF_ACCEPT;
		mark = NULL;
		ct_mark = NULL;
		q->stats.verdict_errors++;
	}
verdict:
	nfq_put_verdict(q, pkt->id, verdict, mark, ct_mark);
out:
	return;
}

static void nfq_error_msg(struct pg_nfq *q, const struct pg_nfq_msg *m,
			  struct nfq_ack_wait *wait)
{
	if (wait && m->seq == wait->seq) {
		wait->done = true;
		wait->error = m->error;
		return;
	}
	/* Verdicts carry no NLM_F_ACK, so only refusals come back. */
	if (m->error)
		q->stats.send_errors++;
}

/* Handles every message in one received datagram; returns the number of
 * packets among them. */
static unsigned nfq_dispatch(struct pg_nfq *q, size_t len, bool trunc,
			     pg_nfq_cb cb, void *ctx, struct nfq_ack_wait *wait)
{
	struct pg_nfq_rx rx;
	struct pg_nfq_msg m;
	unsigned packets = 0;

	pg_nfq_rx_start(&rx, q->rxbuf, len, trunc);
	while (pg_nfq_rx_next(&rx, &m)) {
		if (m.kind == PG_NFQ_MSG_ERROR) {
			nfq_error_msg(q, &m, wait);
		} else if (m.kind != PG_NFQ_MSG_OTHER) {
			nfq_packet(q, &m, cb, ctx);
			packets++;
		}
	}
	return packets;
}

/* ---- configuration ----------------------------------------------------- */

static struct nlmsghdr *nfq_cfg_msg(struct pg_nfq *q, void *buf)
{
	struct nlmsghdr *nlh;

	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, q->cfg.queue_num);
	nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = ++q->seq;
	return nlh;
}

static void nfq_cfg_put_flags(struct nlmsghdr *nlh, uint32_t mask,
			      uint32_t flags)
{
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(flags));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(mask));
}

/* Sends one configuration message and waits for its ACK.  Packets that
 * arrive meanwhile (the queue may be live once bound) are accepted, since
 * the caller has no callback yet.  Returns 0 or a negative errno. */
static int nfq_talk(struct pg_nfq *q, const struct nlmsghdr *nlh)
{
	struct nfq_ack_wait wait = { .seq = nlh->nlmsg_seq };
	int ret = -EIO;
	/* Bounded so a flood of packets cannot keep us here forever. */
	unsigned reads = q->cfg.queue_maxlen + 16;

	if (mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len) < 0) {
		ret = -errno;
		goto out;
	}
	while (!wait.done && reads--) {
		size_t len = 0;
		bool trunc = false;

		switch (nfq_recv(q, 0, &len, &trunc)) {
		case NFQ_RECV_DATA:
			nfq_dispatch(q, len, trunc, NULL, NULL, &wait);
			break;
		case NFQ_RECV_NONE:
			if (errno == EINTR)
				break;
			/* SO_RCVTIMEO expired: the kernel always answers a
			 * request with NLM_F_ACK, so something is wrong. */
			ret = -EAGAIN;
			goto out;
		case NFQ_RECV_FATAL:
			ret = -errno;
			goto out;
		case NFQ_RECV_ENOBUFS:
		case NFQ_RECV_IGNORED:
			break;
		}
	}
	ret = wait.done ? wait.error : -EAGAIN;
out:
	nfq_flush(q);
	return ret;
}

/* NFQA_CFG_F_CONNTRACK sent for a queue we have not bound yet: refused
 * with EOPNOTSUPP without the ct glue, otherwise ENODEV ("no such queue").
 * Nothing changes in the kernel either way.  Returns 1/0 for present/absent,
 * or a negative errno. */
static int nfq_probe_ct(struct pg_nfq *q, void *buf)
{
	struct nlmsghdr *nlh;
	int r, tries = 0;

	do {
		nlh = nfq_cfg_msg(q, buf);
		nfq_cfg_put_flags(nlh, NFQA_CFG_F_CONNTRACK, NFQA_CFG_F_CONNTRACK);
		r = nfq_talk(q, nlh);
		/* EAGAIN from the kernel: it has just loaded the ctnetlink
		 * module on demand and wants the request again. */
	} while (r == -EAGAIN && ++tries < 2);

	switch (r) {
	case 0:
	case -ENODEV:
		return 1;
	case -EOPNOTSUPP:
		return 0;
	default:
		return r;
	}
}

/* Binds and configures the queue in one message, so that the first packet
 * already sees the final copy range, length and flags.  Flags are checked
 * by the kernel before it binds, so a refusal leaves nothing behind and we
 * can retry without them and then set each flag on its own. */
static int nfq_configure(struct pg_nfq *q, void *buf, char *err, size_t errlen)
{
	uint32_t mask = NFQA_CFG_F_FAIL_OPEN | NFQA_CFG_F_GSO;
	uint32_t want = 0;
	struct nlmsghdr *nlh;
	bool refused = false;
	int r, ret = -1;

	if (q->cfg.fail_open)
		want |= NFQA_CFG_F_FAIL_OPEN;
	if (q->cfg.gso)
		want |= NFQA_CFG_F_GSO;
	if (q->has_ct) {
		/* Packets then carry NFQA_CT with the current ct mark. */
		mask |= NFQA_CFG_F_CONNTRACK;
		want |= NFQA_CFG_F_CONNTRACK;
	}

	for (int with_flags = 1; with_flags >= 0; with_flags--) {
		nlh = nfq_cfg_msg(q, buf);
		/* The pf of BIND is ignored since Linux 3.8: one queue serves
		 * every family. */
		nfq_nlmsg_cfg_put_cmd(nlh, AF_UNSPEC, NFQNL_CFG_CMD_BIND);
		nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET,
					 (int)q->cfg.copy_range);
		nfq_nlmsg_cfg_put_qmaxlen(nlh, q->cfg.queue_maxlen);
		if (with_flags)
			nfq_cfg_put_flags(nlh, mask, want);
		r = nfq_talk(q, nlh);
		if (r == 0) {
			q->bound = true;
			if (with_flags)
				q->flags = want;
			break;
		}
		if (r == -EOPNOTSUPP && with_flags) {
			refused = true;
		} else {
			pg_seterr(err, errlen, "cannot bind queue %u: %s%s",
				  q->cfg.queue_num, strerror(-r), nfq_hint(-r));
			goto out;
		}
	}

	if (refused) {
		static const struct {
			uint32_t flag;
			const char *name;
		} one[] = {
			{ NFQA_CFG_F_FAIL_OPEN, "FAIL_OPEN" },
			{ NFQA_CFG_F_GSO, "GSO" },
			{ NFQA_CFG_F_CONNTRACK, "CONNTRACK" },
		};
		for (size_t i = 0; i < sizeof(one) / sizeof(one[0]); i++) {
			if (!(want & one[i].flag))
				continue;
			nlh = nfq_cfg_msg(q, buf);
			nfq_cfg_put_flags(nlh, one[i].flag, one[i].flag);
			r = nfq_talk(q, nlh);
			if (r == 0)
				q->flags |= one[i].flag;
			else
				nfq_warn(q, "kernel refused NFQA_CFG_F_%s: %s",
					 one[i].name, strerror(-r));
		}
		if (!(q->flags & NFQA_CFG_F_CONNTRACK))
			q->has_ct = false;
	}
	ret = 0;
out:
	return ret;
}

/* ---- public API -------------------------------------------------------- */

/* The settings a queue cannot work without; fills in copy_range. */
static int nfq_check_config(struct pg_nfq *q, char *err, size_t errlen)
{
	if (!q->cfg.queue_maxlen) {
		pg_seterr(err, errlen, "queue %u: queue_maxlen must be > 0",
			  q->cfg.queue_num);
		return -1;
	}
	if (!q->cfg.batch_max || q->cfg.batch_max > INT_MAX / 2) {
		pg_seterr(err, errlen,
			  "queue %u: batch_max %u out of range (1..%d)",
			  q->cfg.queue_num, q->cfg.batch_max, INT_MAX / 2);
		return -1;
	}
	/* 0 asks the kernel for whole packets, which it caps like 0xffff. */
	if (!q->cfg.copy_range || q->cfg.copy_range > NFQ_MAX_COPY)
		q->cfg.copy_range = NFQ_MAX_COPY;
	return 0;
}

static int nfq_alloc_buffers(struct pg_nfq *q, char *err, size_t errlen)
{
	q->rxlen = q->cfg.copy_range + NFQ_MSG_OVERHEAD;
	q->rxbuf = malloc(q->rxlen);
	q->txbuf = malloc(2 * NFQ_TX_LIMIT);
	if (q->rxbuf && q->txbuf)
		q->tx = mnl_nlmsg_batch_start(q->txbuf, NFQ_TX_LIMIT);
	if (!q->tx) {
		pg_seterr(err, errlen, "nfq: out of memory");
		return -1;
	}
	return 0;
}

/* The netlink socket, bound, with its receive buffer and timeout. */
static int nfq_open_socket(struct pg_nfq *q, char *err, size_t errlen)
{
	struct timeval tv = { .tv_sec = NFQ_BLOCK_TIMEOUT_S };
	q->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (!q->nl) {
		pg_seterr(err, errlen, "cannot open netfilter netlink socket: %s%s",
			  strerror(errno), nfq_hint(errno));
		return -1;
	}
	if (mnl_socket_bind(q->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		pg_seterr(err, errlen, "cannot bind netlink socket: %s",
			  strerror(errno));
		return -1;
	}
	q->portid = mnl_socket_get_portid(q->nl);
	int fd = mnl_socket_get_fd(q->nl);

	/* A burst must fit in the socket, or it overflows (ENOBUFS) long
	 * before the queue is full.  SO_RCVBUFFORCE passes rmem_max with
	 * CAP_NET_ADMIN; without it SO_RCVBUF gets what rmem_max allows. */
	if (q->cfg.rcvbuf) {
		int rcvbuf = q->cfg.rcvbuf > INT_MAX ? INT_MAX : (int)q->cfg.rcvbuf;
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
			       sizeof(rcvbuf)) < 0 &&
		    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
			       sizeof(rcvbuf)) < 0)
			nfq_warn(q, "cannot set receive buffer to %u: %s",
				 q->cfg.rcvbuf, strerror(errno));
	}
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		pg_seterr(err, errlen, "cannot set SO_RCVTIMEO: %s",
			  strerror(errno));
		return -1;
	}
	return 0;
}

struct pg_nfq *pg_nfq_open(const struct pg_nfq_config *cfg, char *err,
			   size_t errlen)
{
	struct pg_nfq *q, *ret = NULL;
	uint8_t cfgbuf[MNL_SOCKET_BUFFER_SIZE];

	q = calloc(1, sizeof(*q));
	if (!q) {
		pg_seterr(err, errlen, "nfq: out of memory");
		goto out;
	}
	if (cfg)
		q->cfg = *cfg;
	else
		pg_nfq_config_defaults(&q->cfg);
	if (nfq_check_config(q, err, errlen) < 0 ||
	    nfq_alloc_buffers(q, err, errlen) < 0 ||
	    nfq_open_socket(q, err, errlen) < 0)
		goto out;

	int r = nfq_probe_ct(q, cfgbuf);
	if (r < 0) {
		pg_seterr(err, errlen, "cannot configure queue %u: %s%s",
			  q->cfg.queue_num, strerror(-r), nfq_hint(-r));
		goto out;
	}
	q->has_ct = r == 1;
	if (nfq_configure(q, cfgbuf, err, errlen) < 0)
		goto out;

	ret = q;
	q = NULL;
out:
	pg_nfq_close(q);
	return ret;
}

void pg_nfq_close(struct pg_nfq *q)
{
	if (!q)
		return;
	if (q->bound) {
		/* Closing destroys the queue, and the kernel drops what is
		 * still in it.  Accept what is already waiting for us
		 * instead; bounded, since packets keep arriving until the
		 * socket is gone (those then meet the rule's bypass). */
		for (uint32_t i = 0; i < q->cfg.queue_maxlen; i++) {
			size_t len = 0;
			bool trunc = false;
			enum nfq_recv_status s;

			s = nfq_recv(q, MSG_DONTWAIT, &len, &trunc);
			if (s == NFQ_RECV_NONE || s == NFQ_RECV_FATAL)
				break;
			if (s == NFQ_RECV_DATA)
				nfq_dispatch(q, len, trunc, NULL, NULL, NULL);
		}
		nfq_flush(q);
	}
	if (q->nl)
		mnl_socket_close(q->nl);
	if (q->tx)
		mnl_nlmsg_batch_stop(q->tx);
	free(q->txbuf);
	free(q->rxbuf);
	free(q);
}

int pg_nfq_fd(const struct pg_nfq *q)
{
	return mnl_socket_get_fd(q->nl);
}

bool pg_nfq_has_ct(const struct pg_nfq *q)
{
	return q->has_ct;
}

int pg_nfq_process(struct pg_nfq *q, bool block, pg_nfq_cb cb, void *ctx)
{
	unsigned handled = 0;
	/* Error ACKs and ENOBUFS notices take reads without being packets;
	 * bound the loop anyway so one call cannot run forever. */
	unsigned reads = 2 * q->cfg.batch_max;
	int flags = block ? 0 : MSG_DONTWAIT;
	int ret = -1;

	while (handled < q->cfg.batch_max && reads--) {
		size_t len = 0;
		bool trunc = false;
		enum nfq_recv_status s = nfq_recv(q, flags, &len, &trunc);

		/* Only the first read may block: after it, take what is
		 * already there and answer it in one sendmsg. */
		flags = MSG_DONTWAIT;
		if (s == NFQ_RECV_NONE)
			break;
		if (s == NFQ_RECV_FATAL)
			goto out;
		if (s == NFQ_RECV_DATA)
			handled += nfq_dispatch(q, len, trunc, cb, ctx, NULL);
	}
	ret = (int)handled;
out:
	/* Verdicts go out even when the receive failed; the caller still
	 * gets the receive's errno. */
	{
		int saved = errno;
		nfq_flush(q);
		errno = saved;
	}
	return ret;
}

void pg_nfq_get_stats(const struct pg_nfq *q, struct pg_nfq_stats *out)
{
	*out = q->stats;
}
