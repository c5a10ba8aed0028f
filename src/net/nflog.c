/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "peergate/nflog.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "peergate/seterr.h"

/* A receive of the socket: one message per packet, each well under a
 * page, so a page-sized buffer reads several at once when they pile up. */
enum { NFLOG_RX_BUFFER = 65536 };

struct pg_nflog {
	struct mnl_socket *nl;
	uint32_t portid;
	uint32_t seq;
	uint64_t overruns;
	uint8_t rx[NFLOG_RX_BUFFER];
};

static struct nlmsghdr *put_config(uint8_t *buf, uint16_t group, uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	struct nfgenmsg *nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(group);
	return nlh;
}

/* Sends one configuration message and reads its acknowledgement. */
static int send_config(struct pg_nflog *l, struct nlmsghdr *nlh, const char *what,
		       char *err, size_t errlen)
{
	uint8_t buf[MNL_SOCKET_BUFFER_SIZE];
	int ret = -1;

	if (mnl_socket_sendto(l->nl, nlh, nlh->nlmsg_len) < 0) {
		pg_seterr(err, errlen, "nflog: cannot send %s: %s", what, strerror(errno));
		goto out;
	}
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(l->nl, buf, sizeof(buf));
		if (n < 0) {
			pg_seterr(err, errlen, "nflog: %s: %s", what, strerror(errno));
			goto out;
		}
		int rc = mnl_cb_run(buf, (size_t)n, nlh->nlmsg_seq, l->portid, NULL, NULL);
		if (rc == MNL_CB_ERROR) {
			pg_seterr(err, errlen, "nflog: %s: %s%s", what, strerror(errno),
				  errno == EPERM ? " (another program reads this log group)" : "");
			goto out;
		}
		if (rc == MNL_CB_STOP)
			break;
	}
	ret = 0;
out:
	return ret;
}

static int configure(struct pg_nflog *l, uint16_t group, uint32_t copy_bytes, char *err,
		     size_t errlen)
{
	uint8_t buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;

	nlh = put_config(buf, group, ++l->seq);
	struct nfulnl_msg_config_cmd cmd = {.command = NFULNL_CFG_CMD_BIND};
	mnl_attr_put(nlh, NFULA_CFG_CMD, sizeof(cmd), &cmd);
	if (send_config(l, nlh, "binding the log group", err, errlen) < 0)
		return -1;
	/* One message per packet, sent while the packet is in the hook: a
	 * threshold above 1 would hold SYNs back until a batch fills or a
	 * timer fires, and a queued packet could then overtake its SYN. */
	nlh = put_config(buf, group, ++l->seq);
	struct nfulnl_msg_config_mode mode = {
		.copy_range = htonl(copy_bytes), .copy_mode = NFULNL_COPY_PACKET,
	};
	mnl_attr_put(nlh, NFULA_CFG_MODE, sizeof(mode), &mode);
	mnl_attr_put_u32(nlh, NFULA_CFG_QTHRESH, htonl(1));
	mnl_attr_put_u32(nlh, NFULA_CFG_TIMEOUT, htonl(0));
	return send_config(l, nlh, "setting the copy mode", err, errlen);
}

struct pg_nflog *pg_nflog_open(uint16_t group, uint32_t copy_bytes, uint32_t rcvbuf,
			       char *err, size_t errlen)
{
	struct pg_nflog *l = calloc(1, sizeof(*l)), *ret = NULL;

	if (!l) {
		pg_seterr(err, errlen, "nflog: out of memory");
		goto out;
	}
	l->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (!l->nl || mnl_socket_bind(l->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		pg_seterr(err, errlen, "nflog: cannot open a netfilter netlink socket: %s",
			  strerror(errno));
		goto out;
	}
	l->portid = mnl_socket_get_portid(l->nl);
	int fd = mnl_socket_get_fd(l->nl);
	int size = rcvbuf > INT32_MAX ? INT32_MAX : (int)rcvbuf;
	/* Best effort: without CAP_NET_ADMIN rmem_max caps it, and a smaller
	 * buffer only overflows sooner (counted). */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	/* The acknowledgements of the configuration are queued before sendto
	 * returns, so the non-blocking socket reads them at once. */
	if (configure(l, group, copy_bytes, err, errlen) < 0)
		goto out;
	ret = l;
	l = NULL;
out:
	pg_nflog_close(l);
	return ret;
}

void pg_nflog_close(struct pg_nflog *l)
{
	if (!l)
		return;
	if (l->nl)
		mnl_socket_close(l->nl);
	free(l);
}

int pg_nflog_fd(const struct pg_nflog *l)
{
	return mnl_socket_get_fd(l->nl);
}

uint64_t pg_nflog_overruns(const struct pg_nflog *l)
{
	return l->overruns;
}

struct drain_ctx {
	void (*fn)(void *ctx, const uint8_t *ip, size_t len);
	void *ctx;
	int packets;
};

static int on_attr(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	uint16_t type = mnl_attr_get_type(a);

	if (type <= NFULA_MAX)
		tb[type] = a;
	return MNL_CB_OK;
}

static int on_message(const struct nlmsghdr *nlh, void *data)
{
	struct drain_ctx *dc = data;
	const struct nlattr *tb[NFULA_MAX + 1] = {0};

	if ((nlh->nlmsg_type & 0xff) != NFULNL_MSG_PACKET)
		return MNL_CB_OK;
	if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), on_attr, tb) < 0 || !tb[NFULA_PAYLOAD])
		return MNL_CB_OK;
	dc->fn(dc->ctx, mnl_attr_get_payload(tb[NFULA_PAYLOAD]),
	       mnl_attr_get_payload_len(tb[NFULA_PAYLOAD]));
	dc->packets++;
	return MNL_CB_OK;
}

int pg_nflog_drain(struct pg_nflog *l, void (*fn)(void *ctx, const uint8_t *ip, size_t len),
		   void *ctx, char *err, size_t errlen)
{
	struct drain_ctx dc = {.fn = fn, .ctx = ctx};

	for (;;) {
		ssize_t n = recv(mnl_socket_get_fd(l->nl), l->rx, sizeof(l->rx), MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == ENOBUFS) {
				l->overruns++;
				continue;
			}
			if (errno == EINTR)
				continue;
			pg_seterr(err, errlen, "nflog: cannot read: %s", strerror(errno));
			return -1;
		}
		/* Sequence 0, port 0: the kernel's unsolicited messages.  A
		 * message that does not parse is skipped; the rest are read. */
		(void)mnl_cb_run(l->rx, (size_t)n, 0, 0, on_message, &dc);
	}
	return dc.packets;
}
