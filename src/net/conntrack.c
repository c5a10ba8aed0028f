/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "peergate/conntrack.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

static void put_tuple(struct nlmsghdr *nlh, uint16_t type, uint8_t family,
		      uint8_t l4proto, const uint8_t *src, uint16_t sport,
		      const uint8_t *dst, uint16_t dport)
{
	struct nlattr *t = mnl_attr_nest_start(nlh, type);
	struct nlattr *ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	if (family == 4) {
		mnl_attr_put(nlh, CTA_IP_V4_SRC, 4, src);
		mnl_attr_put(nlh, CTA_IP_V4_DST, 4, dst);
	} else {
		mnl_attr_put(nlh, CTA_IP_V6_SRC, 16, src);
		mnl_attr_put(nlh, CTA_IP_V6_DST, 16, dst);
	}
	mnl_attr_nest_end(nlh, ip);
	struct nlattr *proto = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, l4proto);
	mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(sport));
	mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(dport));
	mnl_attr_nest_end(nlh, proto);
	mnl_attr_nest_end(nlh, t);
}

/* One update request: CT_NEW without NLM_F_CREATE changes an existing entry;
 * the kernel computes (mark & ~mask) ^ 0 for the masked bits. */
static int send_update(struct mnl_socket *nl, uint16_t tuple_type, uint8_t family,
		       uint8_t l4proto, const uint8_t *a, uint16_t ap,
		       const uint8_t *b, uint16_t bp, uint32_t mask)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = (uint32_t)time(NULL);
	struct nfgenmsg *nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = family == 4 ? AF_INET : AF_INET6;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	put_tuple(nlh, tuple_type, family, l4proto, a, ap, b, bp);
	mnl_attr_put_u32(nlh, CTA_MARK, htonl(0));
	mnl_attr_put_u32(nlh, CTA_MARK_MASK, htonl(mask));

	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (n < 0)
		return -1;
	return mnl_cb_run(buf, (size_t)n, nlh->nlmsg_seq, mnl_socket_get_portid(nl),
			  NULL, NULL) < 0 ? -1 : 0;
}

int pg_ct_clear_mark(uint8_t family, uint8_t l4proto, const uint8_t *client,
		     uint16_t client_port, const uint8_t *server,
		     uint16_t server_port, uint32_t mask)
{
	int ret = -1, saved = 0;
	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl)
		return -1;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		goto out;
	ret = send_update(nl, CTA_TUPLE_ORIG, family, l4proto, client, client_port,
			  server, server_port, mask);
	if (ret < 0 && errno == ENOENT)
		ret = send_update(nl, CTA_TUPLE_REPLY, family, l4proto, server,
				  server_port, client, client_port, mask);
out:
	saved = errno;
	mnl_socket_close(nl);
	errno = saved;
	return ret;
}
