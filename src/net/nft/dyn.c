/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Blocked flows at run time: the daemon adds a flow, both directions, to
 * blocked4 or blocked6 over a netlink socket it keeps open, one small
 * batch per flow.
 */
#include "peergate/nft_dyn.h"

#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netlink.h>

#include "keys.h"
#include "netlink.h"
#include "peergate/nft_table.h"
#include "peergate/seterr.h"

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
	d->nl = pgnft_nl_open(err, errlen);
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
	klen = pgnft_flow_key(fwd, alen, l4proto, src, sport, dst, dport);
	(void)pgnft_flow_key(rev, alen, l4proto, dst, dport, src, sport);

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
			  pgnft_errno_hint(kerr, head));
		break;
	}
out:
	if (ret < 0)
		errno = kerr;
	return ret;
}
