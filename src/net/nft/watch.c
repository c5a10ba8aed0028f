/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The nftables event subscription behind nft_watch.h.  The kernel sends,
 * for every committed batch, one message per object it created or deleted
 * (each carrying the family and the table) and then NFT_MSG_NEWGEN with
 * the pid and name of the committing task.  A batch's losses are therefore
 * collected until its NEWGEN arrives, and only then attributed: to us
 * (dropped) or to another program (reported).
 */
#include "peergate/nft_watch.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "peergate/nft_table.h"
#include "peergate/seterr.h"

/* One event datagram holds one object; a rule with many expressions is
 * the largest, far below this. */
#define WATCH_RECV_SIZE 65536
/* `nft flush ruleset` over a large firewall sends one message per rule at
 * once; a deep buffer keeps them (beyond it the socket reports ENOBUFS and
 * the drain says PG_NFT_LOSS_UNKNOWN). */
#define WATCH_RCVBUF (4 * 1024 * 1024)

struct pg_nft_watch {
	struct mnl_socket *nl;
	pid_t self;
	char comm[16];            /* our task name, as NEWGEN reports it */
	unsigned pending;         /* losses of the batch whose NEWGEN is due */
	char *buf;
};

struct pg_nft_watch *pg_nft_watch_open(char *err, size_t errlen)
{
	struct pg_nft_watch *w = calloc(1, sizeof(*w));
	int group = NFNLGRP_NFTABLES, rcvbuf = WATCH_RCVBUF;

	if (!w || !(w->buf = malloc(WATCH_RECV_SIZE))) {
		pg_seterr(err, errlen, "out of memory");
		goto fail;
	}
	w->self = getpid();
	if (prctl(PR_GET_NAME, w->comm) < 0)
		w->comm[0] = '\0';
	w->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!w->nl) {
		pg_seterr(err, errlen, "cannot open a netfilter netlink socket: %s",
			  strerror(errno));
		goto fail;
	}
	if (mnl_socket_bind(w->nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_setsockopt(w->nl, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)) < 0) {
		pg_seterr(err, errlen, "cannot subscribe to nftables events: %s", strerror(errno));
		goto fail;
	}
	/* FORCE passes net.core.rmem_max (CAP_NET_ADMIN); without it the
	 * plain option still raises the buffer up to that limit. */
	if (setsockopt(mnl_socket_get_fd(w->nl), SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
		       sizeof(rcvbuf)) < 0)
		(void)setsockopt(mnl_socket_get_fd(w->nl), SOL_SOCKET, SO_RCVBUF, &rcvbuf,
				 sizeof(rcvbuf));
	return w;
fail:
	pg_nft_watch_close(w);
	return NULL;
}

void pg_nft_watch_close(struct pg_nft_watch *w)
{
	if (!w)
		return;
	if (w->nl)
		mnl_socket_close(w->nl);
	free(w->buf);
	free(w);
}

int pg_nft_watch_fd(const struct pg_nft_watch *w)
{
	return mnl_socket_get_fd(w->nl);
}

static bool is_ours(const char *table)
{
	return table && strcmp(table, PG_NFT_TABLE) == 0;
}

/* Whether a DEL message names our table, read with libnftnl.  A message
 * libnftnl cannot parse (an expression it does not know) is not about our
 * table: every expression our rules use is known to it. */
static bool table_deleted(const struct nlmsghdr *nlh)
{
	struct nftnl_table *t = nftnl_table_alloc();
	bool ours = t && nftnl_table_nlmsg_parse(nlh, t) == 0 &&
		    is_ours(nftnl_table_get_str(t, NFTNL_TABLE_NAME));

	if (t)
		nftnl_table_free(t);
	return ours;
}

static bool chain_deleted(const struct nlmsghdr *nlh)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	bool ours = c && nftnl_chain_nlmsg_parse(nlh, c) == 0 &&
		    is_ours(nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE));

	if (c)
		nftnl_chain_free(c);
	return ours;
}

static bool rule_deleted(const struct nlmsghdr *nlh)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	bool ours = r && nftnl_rule_nlmsg_parse(nlh, r) == 0 &&
		    is_ours(nftnl_rule_get_str(r, NFTNL_RULE_TABLE));

	if (r)
		nftnl_rule_free(r);
	return ours;
}

static bool set_deleted(const struct nlmsghdr *nlh)
{
	struct nftnl_set *s = nftnl_set_alloc();
	bool ours = s && nftnl_set_nlmsg_parse(nlh, s) == 0 &&
		    is_ours(nftnl_set_get_str(s, NFTNL_SET_TABLE));

	if (s)
		nftnl_set_free(s);
	return ours;
}

static bool obj_deleted(const struct nlmsghdr *nlh)
{
	struct nftnl_obj *o = nftnl_obj_alloc();
	bool ours = o && nftnl_obj_nlmsg_parse(nlh, o) == 0 &&
		    is_ours(nftnl_obj_get_str(o, NFTNL_OBJ_TABLE));

	if (o)
		nftnl_obj_free(o);
	return ours;
}

/* The loss one object message stands for (0: none, or not our table). */
static unsigned loss_of(const struct nlmsghdr *nlh, uint16_t type)
{
	const struct nfgenmsg *g = mnl_nlmsg_get_payload(nlh);

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*g) || g->nfgen_family != NFPROTO_INET)
		return 0;
	switch (type) {
	case NFT_MSG_DELTABLE:
		return table_deleted(nlh) ? PG_NFT_LOSS_TABLE : 0;
	case NFT_MSG_DELCHAIN:
		return chain_deleted(nlh) ? PG_NFT_LOSS_CHAIN : 0;
	case NFT_MSG_DELRULE:
		return rule_deleted(nlh) ? PG_NFT_LOSS_RULES : 0;
	case NFT_MSG_DELSET:
		return set_deleted(nlh) ? PG_NFT_LOSS_SETS : 0;
	case NFT_MSG_DELOBJ:
		return obj_deleted(nlh) ? PG_NFT_LOSS_SETS : 0;
	default:
		return 0;
	}
}

/* Whether this process committed the batch a NEWGEN message closes.  The
 * kernel names the committing thread by its pid in the initial pid
 * namespace: a thread of ours is one /proc/self/task lists.  Inside a pid
 * namespace (a container) those numbers differ, and the task name is what
 * is left to go by (one peergated per network namespace: another task of
 * that name there would be fighting over the same table anyway). */
static bool committed_by_us(const struct pg_nft_watch *w, const struct nlmsghdr *nlh)
{
	const struct nlattr *a;
	uint32_t pid = 0;
	const char *name = NULL;
	char path[64];

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(a) == NFTA_GEN_PROC_PID &&
		    mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			pid = ntohl(mnl_attr_get_u32(a));
		else if (mnl_attr_get_type(a) == NFTA_GEN_PROC_NAME &&
			 mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			name = mnl_attr_get_str(a);
	}
	if (pid && (pid_t)pid == w->self)
		return true;
	snprintf(path, sizeof(path), "/proc/self/task/%u", (unsigned)pid);
	if (pid && access(path, F_OK) == 0)
		return true;
	return name && w->comm[0] && strcmp(name, w->comm) == 0;
}

static void read_events(struct pg_nft_watch *w, size_t len, unsigned *lost)
{
	int rem = (int)len;

	for (const struct nlmsghdr *nlh = (const struct nlmsghdr *)w->buf;
	     mnl_nlmsg_ok(nlh, rem); nlh = mnl_nlmsg_next(nlh, &rem)) {
		uint16_t type = NFNL_MSG_TYPE(nlh->nlmsg_type);

		if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_NFTABLES)
			continue;
		if (type != NFT_MSG_NEWGEN) {
			w->pending |= loss_of(nlh, type);
			continue;
		}
		if (w->pending && !committed_by_us(w, nlh))
			*lost |= w->pending;
		w->pending = 0;
	}
}

int pg_nft_watch_drain(struct pg_nft_watch *w, unsigned *lost, char *err, size_t errlen)
{
	*lost = 0;
	for (;;) {
		ssize_t n = recv(mnl_socket_get_fd(w->nl), w->buf, WATCH_RECV_SIZE, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n < 0 && errno == ENOBUFS) {
			/* Events were dropped, the half-read batch with them. */
			*lost |= PG_NFT_LOSS_UNKNOWN;
			w->pending = 0;
			continue;
		}
		if (n < 0) {
			pg_seterr(err, errlen, "reading nftables events: %s", strerror(errno));
			return -1;
		}
		read_events(w, (size_t)n, lost);
	}
}

const char *pg_nft_loss_describe(unsigned lost)
{
	if (lost & PG_NFT_LOSS_TABLE)
		return "table deleted";
	if (lost & PG_NFT_LOSS_CHAIN)
		return "chain deleted";
	if (lost & PG_NFT_LOSS_RULES)
		return "rules flushed";
	if (lost & PG_NFT_LOSS_SETS)
		return "set or counter deleted";
	if (lost & PG_NFT_LOSS_UNKNOWN)
		return "events lost";
	return "unchanged";
}
