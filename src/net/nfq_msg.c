/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Parsing of what the kernel sends on an NFQUEUE socket: packet messages
 * (libnetfilter_queue's nfq_nlmsg_parse into struct pg_nfq_packet) and
 * error/ACK messages.  No socket and no state, so the same code runs in
 * the daemon and under the fuzzer.
 */
#include "peergate/nfq_msg.h"

#include <arpa/inet.h>
#include <limits.h>
#include <string.h>

/* The kernel's uapi headers first, as in nfq.c: libnetfilter_queue ships
 * older copies under the same include guards, and the newer NFQA_MAX sizes
 * the attribute table safely for the library's parser. */
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <linux/netlink.h>

#include <libmnl/libmnl.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#define NFNL_QUEUE_PACKET ((uint16_t)((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET))

/* Where a packet message's attributes start. */
#define NFQ_ATTR_OFFSET (MNL_ALIGN(sizeof(struct nlmsghdr)) + \
			 MNL_ALIGN(sizeof(struct nfgenmsg)))

void pg_nfq_rx_start(struct pg_nfq_rx *rx, const void *buf, size_t len,
		     bool trunc)
{
	rx->next = buf;
	/* libmnl's attribute walks count in int; a datagram is far smaller
	 * anyway. */
	rx->left = len > INT_MAX ? INT_MAX : len;
	rx->trunc = trunc;
}

/* Finds the packet id by walking the attributes that lie inside the bytes
 * we actually have: used when the message cannot be parsed normally, so
 * that even such a packet gets its verdict. */
static bool nfq_rescue_id(const struct nlmsghdr *nlh, size_t have, uint32_t *id)
{
	const struct nlattr *a;
	int left;

	if (have > nlh->nlmsg_len)
		have = nlh->nlmsg_len;
	if (have <= NFQ_ATTR_OFFSET || have - NFQ_ATTR_OFFSET > INT_MAX)
		return false;
	left = (int)(have - NFQ_ATTR_OFFSET);
	for (a = (const struct nlattr *)((const uint8_t *)nlh + NFQ_ATTR_OFFSET);
	     mnl_attr_ok(a, left); a = mnl_attr_next(a)) {
		left -= (int)MNL_ALIGN(a->nla_len);
		if (mnl_attr_get_type(a) == NFQA_PACKET_HDR &&
		    mnl_attr_get_payload_len(a) >=
			    sizeof(struct nfqnl_msg_packet_hdr)) {
			const struct nfqnl_msg_packet_hdr *ph =
				mnl_attr_get_payload(a);
			*id = ntohl(ph->packet_id);
			return true;
		}
	}
	return false;
}

/* libmnl walks a message's attributes up to its length rounded up to 4.
 * The kernel sends lengths that are not multiples of 4 (NFQA_PAYLOAD comes
 * last and unpadded), so for the last message of a datagram that end lies
 * past the received bytes.  True when every attribute that walk visits
 * lies within the have bytes, as it always does for the kernel's own. */
static bool nfq_attrs_within(const struct nlmsghdr *nlh, size_t have)
{
	size_t end = MNL_ALIGN((size_t)nlh->nlmsg_len);
	size_t off = NFQ_ATTR_OFFSET;

	if (end <= have)
		return true;
	while (off + sizeof(struct nlattr) <= end) {
		if (off + sizeof(struct nlattr) > have)
			return false;
		const struct nlattr *a = (const struct nlattr *)((const uint8_t *)nlh + off);
		/* mnl_attr_ok ends the walk here */
		if (a->nla_len < sizeof(struct nlattr) || a->nla_len > end - off)
			return true;
		if (off + a->nla_len > have)
			return false;
		off += MNL_ALIGN((size_t)a->nla_len);
	}
	return true;
}

static int nfq_ct_attr_cb(const struct nlattr *attr, void *data)
{
	uint32_t *ct_mark = data;

	if (mnl_attr_get_type(attr) == CTA_MARK &&
	    mnl_attr_validate(attr, MNL_TYPE_U32) >= 0)
		*ct_mark = ntohl(mnl_attr_get_u32(attr));
	return MNL_CB_OK;
}

/* One packet message of which have bytes were received (fewer than its
 * length when the datagram was cut short). */
static void nfq_parse_packet(const struct nlmsghdr *nlh, size_t have,
			     struct pg_nfq_msg *m)
{
	struct nlattr *attr[NFQA_MAX + 1];
	struct pg_nfq_packet *pkt = &m->pkt;
	const struct nfqnl_msg_packet_hdr *ph;

	memset(attr, 0, sizeof(attr));
	if (have < nlh->nlmsg_len || !nfq_attrs_within(nlh, have) ||
	    nfq_nlmsg_parse(nlh, attr) != MNL_CB_OK || !attr[NFQA_PACKET_HDR]) {
		m->kind = nfq_rescue_id(nlh, have, &pkt->id) ? PG_NFQ_MSG_PACKET_ID
							     : PG_NFQ_MSG_PACKET_NO_ID;
		return;
	}
	m->kind = PG_NFQ_MSG_PACKET;
	ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
	pkt->id = ntohl(ph->packet_id);
	pkt->hw_protocol = ntohs(ph->hw_protocol);
	pkt->hook = ph->hook;
	if (attr[NFQA_PAYLOAD]) {
		pkt->data = mnl_attr_get_payload(attr[NFQA_PAYLOAD]);
		pkt->len = mnl_attr_get_payload_len(attr[NFQA_PAYLOAD]);
	} else {
		/* A callback may index data without checking for NULL. */
		pkt->data = (const uint8_t *)"";
	}
	/* NFQA_CAP_LEN is only sent when the copy is shorter than the
	 * packet (copy_range, or a GSO packet beyond 64 KiB). */
	pkt->orig_len = pkt->len;
	if (attr[NFQA_CAP_LEN]) {
		uint32_t cap = ntohl(mnl_attr_get_u32(attr[NFQA_CAP_LEN]));
		if (cap > pkt->len)
			pkt->orig_len = cap;
	}
	if (attr[NFQA_MARK])
		pkt->mark = ntohl(mnl_attr_get_u32(attr[NFQA_MARK]));
	if (attr[NFQA_CT]) {
		pkt->has_ct = true;
		mnl_attr_parse_nested(attr[NFQA_CT], nfq_ct_attr_cb, &pkt->ct_mark);
	}
	/* NFQA_SKB_INFO: with NFQA_CFG_F_GSO the kernel hands us GSO packets
	 * (longer than the MTU) and locally built packets whose checksum is
	 * not filled in yet (NFQA_SKB_CSUMNOTREADY).  Both are fine here: we
	 * only read headers and payload, never verify or rewrite checksums,
	 * and the kernel completes the checksum after the verdict. */
}

static void nfq_parse_error(const struct nlmsghdr *nlh, struct pg_nfq_msg *m)
{
	const struct nlmsgerr *e;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
		return; /* PG_NFQ_MSG_OTHER */
	e = mnl_nlmsg_get_payload(nlh);
	m->kind = PG_NFQ_MSG_ERROR;
	m->seq = nlh->nlmsg_seq;
	m->error = e->error;
}

bool pg_nfq_rx_next(struct pg_nfq_rx *rx, struct pg_nfq_msg *m)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)rx->next;

	memset(m, 0, sizeof(*m));
	m->kind = PG_NFQ_MSG_OTHER;
	if (rx->trunc) {
		/* The receive buffer is sized so this should not happen; if
		 * it does, the one message is incomplete but its id may be
		 * there. */
		size_t have = rx->left;

		rx->left = 0;
		if (have < sizeof(*nlh))
			return false;
		if (nlh->nlmsg_type == NFNL_QUEUE_PACKET)
			nfq_parse_packet(nlh, have, m);
		return true;
	}
	/* Not mnl_nlmsg_ok/mnl_nlmsg_next: the check compares nlmsg_len as
	 * an int, so a length of 2^31 or more passes it, and the step then
	 * jumps 4 GiB ahead (0xfffffffc) or not at all (0xffffffff, for
	 * ever).  Found by test/fuzz/fuzz_nfq_msg. */
	if (rx->left < sizeof(*nlh) || nlh->nlmsg_len < sizeof(*nlh) ||
	    nlh->nlmsg_len > rx->left)
		return false;
	if (nlh->nlmsg_type == NLMSG_ERROR)
		nfq_parse_error(nlh, m);
	else if (nlh->nlmsg_type == NFNL_QUEUE_PACKET)
		nfq_parse_packet(nlh, rx->left, m);
	size_t step = MNL_ALIGN((size_t)nlh->nlmsg_len);
	if (step >= rx->left) {
		rx->left = 0;
	} else {
		rx->next += step;
		rx->left -= step;
	}
	return true;
}
