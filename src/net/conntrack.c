/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "peergate/conntrack.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_conntrack_tcp.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "peergate/mark.h"
#include "peergate/seterr.h"

/* Dump replies: the kernel fills up to the size of the buffer we read
 * with (up to 32 KiB), so a larger buffer means fewer round trips. */
enum { DUMP_BUFFER_SIZE = 32768, DUMP_ATTEMPTS = 3 };

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

static struct nlmsghdr *put_request(char *buf, uint8_t msg, uint16_t flags,
				     uint8_t nfgen_family, uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | msg;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	struct nfgenmsg *nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = nfgen_family;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	return nlh;
}

/* Sends one request and runs cb over its answer (NULL: an ack only). */
static int transact(struct mnl_socket *nl, char *buf, size_t size, struct nlmsghdr *nlh,
		    mnl_cb_t cb, void *data)
{
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	uint32_t seq = nlh->nlmsg_seq;
	ssize_t n = mnl_socket_recvfrom(nl, buf, size);
	if (n < 0)
		return -1;
	return mnl_cb_run(buf, (size_t)n, seq, mnl_socket_get_portid(nl), cb, data) < 0 ? -1 : 0;
}

/* One update request: CT_NEW without NLM_F_CREATE changes an existing entry;
 * the kernel computes (mark & ~mask) ^ 0 for the masked bits. */
static int send_update(struct mnl_socket *nl, uint16_t tuple_type, uint8_t family,
		       uint8_t l4proto, const uint8_t *a, uint16_t ap,
		       const uint8_t *b, uint16_t bp, uint32_t mask)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = put_request(buf, IPCTNL_MSG_CT_NEW, NLM_F_REQUEST | NLM_F_ACK,
					   family == 4 ? AF_INET : AF_INET6,
					   (uint32_t)time(NULL));
	put_tuple(nlh, tuple_type, family, l4proto, a, ap, b, bp);
	mnl_attr_put_u32(nlh, CTA_MARK, htonl(0));
	mnl_attr_put_u32(nlh, CTA_MARK_MASK, htonl(mask));
	return transact(nl, buf, sizeof(buf), nlh, NULL, NULL);
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

int pg_ct_create_marked(uint8_t family, uint8_t l4proto, const uint8_t *client,
			uint16_t client_port, const uint8_t *server, uint16_t server_port,
			uint32_t mark, uint32_t timeout_s)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	int ret = -1, saved;
	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);

	if (!nl)
		return -1;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		goto out;
	/* NLM_F_EXCL: an entry that exists already (a confirmed flow) keeps
	 * its own state; the stamp reaches it through the table. */
	nlh = put_request(buf, IPCTNL_MSG_CT_NEW,
			  NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
			  family == 4 ? AF_INET : AF_INET6, (uint32_t)time(NULL));
	put_tuple(nlh, CTA_TUPLE_ORIG, family, l4proto, client, client_port, server,
		  server_port);
	put_tuple(nlh, CTA_TUPLE_REPLY, family, l4proto, server, server_port, client,
		  client_port);
	mnl_attr_put_u32(nlh, CTA_TIMEOUT, htonl(timeout_s ? timeout_s : 1));
	mnl_attr_put_u32(nlh, CTA_MARK, htonl(mark));
	if (l4proto == IPPROTO_TCP) {
		/* What the flow's SYN would have made of it: a retransmitted
		 * SYN finds the entry and meets the mark. */
		struct nlattr *pi = mnl_attr_nest_start(nlh, CTA_PROTOINFO);
		struct nlattr *tcp = mnl_attr_nest_start(nlh, CTA_PROTOINFO_TCP);
		mnl_attr_put_u8(nlh, CTA_PROTOINFO_TCP_STATE, TCP_CONNTRACK_SYN_SENT);
		mnl_attr_nest_end(nlh, tcp);
		mnl_attr_nest_end(nlh, pi);
	}
	ret = transact(nl, buf, sizeof(buf), nlh, NULL, NULL);
out:
	saved = errno;
	mnl_socket_close(nl);
	errno = saved;
	return ret;
}

struct attr_table {
	const struct nlattr **tb;
	unsigned max;
};

static int collect_attr(const struct nlattr *attr, void *data)
{
	struct attr_table *t = data;
	unsigned type = mnl_attr_get_type(attr);
	if (type <= t->max)
		t->tb[type] = attr;
	return MNL_CB_OK;
}

static bool get_bytes(const struct nlattr *a, void *out, size_t len)
{
	if (!a || mnl_attr_get_payload_len(a) != len)
		return false;
	memcpy(out, mnl_attr_get_payload(a), len);
	return true;
}

/* A CTA_TUPLE_ORIG or CTA_TUPLE_REPLY nest. */
static bool parse_tuple(const struct nlattr *nest, uint8_t family, uint8_t *l4proto,
			uint8_t *src, uint16_t *sport, uint8_t *dst, uint16_t *dport)
{
	const struct nlattr *t[CTA_TUPLE_MAX + 1] = {0};
	const struct nlattr *ip[CTA_IP_MAX + 1] = {0};
	const struct nlattr *pr[CTA_PROTO_MAX + 1] = {0};
	struct attr_table tt = {t, CTA_TUPLE_MAX}, ti = {ip, CTA_IP_MAX}, tp = {pr, CTA_PROTO_MAX};
	uint16_t sp, dp;
	size_t alen = family == 4 ? 4 : 16;

	if (!nest || mnl_attr_parse_nested(nest, collect_attr, &tt) < 0 ||
	    !t[CTA_TUPLE_IP] || !t[CTA_TUPLE_PROTO] ||
	    mnl_attr_parse_nested(t[CTA_TUPLE_IP], collect_attr, &ti) < 0 ||
	    mnl_attr_parse_nested(t[CTA_TUPLE_PROTO], collect_attr, &tp) < 0)
		return false;
	if (!get_bytes(ip[family == 4 ? CTA_IP_V4_SRC : CTA_IP_V6_SRC], src, alen) ||
	    !get_bytes(ip[family == 4 ? CTA_IP_V4_DST : CTA_IP_V6_DST], dst, alen) ||
	    !get_bytes(pr[CTA_PROTO_NUM], l4proto, 1))
		return false;
	/* ports only for the transports that have them */
	if (*l4proto != IPPROTO_TCP && *l4proto != IPPROTO_UDP)
		return true;
	if (!get_bytes(pr[CTA_PROTO_SRC_PORT], &sp, 2) || !get_bytes(pr[CTA_PROTO_DST_PORT], &dp, 2))
		return false;
	*sport = ntohs(sp);
	*dport = ntohs(dp);
	return true;
}

/* One conntrack message into e.  Returns false for a message without the
 * parts we need (or of another family than IPv4/IPv6). */
static bool parse_entry(const struct nlmsghdr *nlh, struct pg_ct_entry *e)
{
	const struct nlattr *tb[CTA_MAX + 1] = {0};
	struct attr_table t = {tb, CTA_MAX};
	const struct nfgenmsg *nfg = mnl_nlmsg_get_payload(nlh);
	uint8_t reply_proto;
	uint32_t mark;
	uint16_t zone;

	memset(e, 0, sizeof(*e));
	if (nfg->nfgen_family != AF_INET && nfg->nfgen_family != AF_INET6)
		return false;
	e->family = nfg->nfgen_family == AF_INET ? 4 : 6;
	if (mnl_attr_parse(nlh, sizeof(*nfg), collect_attr, &t) < 0 ||
	    !parse_tuple(tb[CTA_TUPLE_ORIG], e->family, &e->l4proto, e->orig_src,
			 &e->orig_sport, e->orig_dst, &e->orig_dport) ||
	    !parse_tuple(tb[CTA_TUPLE_REPLY], e->family, &reply_proto, e->reply_src,
			 &e->reply_sport, e->reply_dst, &e->reply_dport) ||
	    !get_bytes(tb[CTA_MARK], &mark, 4))
		return false;
	e->mark = ntohl(mark);
	if (get_bytes(tb[CTA_ZONE], &zone, 2)) {
		e->has_zone = true;
		e->zone = ntohs(zone);
	}
	return true;
}

struct sweep_state {
	struct mnl_socket *update;
	uint32_t mask;
	uint32_t want;            /* the mark value this dump asked for */
	pg_ct_entry_fn fn;
	void *ctx;
	struct pg_ct_sweep_result *res;
};

/* Clears mask's bits of the entry, found by its original tuple (and zone). */
static int clear_entry(struct mnl_socket *nl, const struct pg_ct_entry *e, uint32_t mask)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = put_request(buf, IPCTNL_MSG_CT_NEW, NLM_F_REQUEST | NLM_F_ACK,
					   e->family == 4 ? AF_INET : AF_INET6,
					   (uint32_t)time(NULL));
	put_tuple(nlh, CTA_TUPLE_ORIG, e->family, e->l4proto, e->orig_src, e->orig_sport,
		  e->orig_dst, e->orig_dport);
	if (e->has_zone)
		mnl_attr_put_u16(nlh, CTA_ZONE, htons(e->zone));
	mnl_attr_put_u32(nlh, CTA_MARK, htonl(0));
	mnl_attr_put_u32(nlh, CTA_MARK_MASK, htonl(mask));
	return transact(nl, buf, sizeof(buf), nlh, NULL, NULL);
}

static int sweep_entry(const struct nlmsghdr *nlh, void *data)
{
	struct sweep_state *st = data;
	struct pg_ct_entry e;
	/* The kernel filters by mark; the check here keeps an entry from
	 * being handled once per code where it does not. */
	if (!parse_entry(nlh, &e) || (e.mark & st->mask) != st->want ||
	    (e.l4proto != IPPROTO_TCP && e.l4proto != IPPROTO_UDP))
		return MNL_CB_OK;
	st->res->seen++;
	if (!st->fn(&e, st->ctx))
		return MNL_CB_OK;
	if (clear_entry(st->update, &e, st->mask) == 0)
		st->res->cleared++;
	else if (errno != ENOENT) /* ended meanwhile: nothing left to clear */
		st->res->failures++;
	return MNL_CB_OK;
}

/* One filtered dump.  Returns 0, or -1 with errno. */
static int dump_code(struct mnl_socket *nl, char *buf, struct sweep_state *st)
{
	uint32_t seq = (uint32_t)time(NULL) ^ st->want;
	struct nlmsghdr *nlh = put_request(buf, IPCTNL_MSG_CT_GET, NLM_F_REQUEST | NLM_F_DUMP,
					   AF_UNSPEC, seq);
	mnl_attr_put_u32(nlh, CTA_MARK, htonl(st->want));
	mnl_attr_put_u32(nlh, CTA_MARK_MASK, htonl(st->mask));
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	unsigned portid = mnl_socket_get_portid(nl);
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, DUMP_BUFFER_SIZE);
		if (n < 0)
			return -1;
		int rc = mnl_cb_run(buf, (size_t)n, seq, portid, sweep_entry, st);
		if (rc < 0)
			return -1;
		if (rc == MNL_CB_STOP)
			return 0;
	}
}

static struct mnl_socket *open_socket(void)
{
	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
	if (nl && mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int saved = errno;
		mnl_socket_close(nl);
		errno = saved;
		return NULL;
	}
	return nl;
}

int pg_ct_sweep_marks(uint32_t mask, pg_ct_entry_fn fn, void *ctx,
		      struct pg_ct_sweep_result *res, char *err, size_t errlen)
{
	int ret = -1;
	struct mnl_socket *dump = NULL, *update = NULL;
	char *buf = malloc(DUMP_BUFFER_SIZE);
	struct sweep_state st = {.mask = mask, .fn = fn, .ctx = ctx, .res = res};

	memset(res, 0, sizeof(*res));
	if (!buf) {
		pg_seterr(err, errlen, "out of memory");
		goto out;
	}
	/* Updates go over their own socket: the dump socket is busy with the
	 * dump's replies until it ends. */
	if (!(dump = open_socket()) || !(update = open_socket())) {
		pg_seterr(err, errlen, "conntrack netlink socket: %s", strerror(errno));
		goto out;
	}
	st.update = update;
	for (unsigned code = PG_MARK_ACCEPT; code <= PG_MARK_DROP; code++) {
		st.want = pg_mark_value(mask, (enum pg_mark_code)code);
		int rc = -1;
		/* A dump the kernel flags as interrupted is done again; the
		 * entries already handled no longer carry the code, or keep
		 * it by the callback's choice, which it makes again alike. */
		for (unsigned attempt = 0; rc < 0 && attempt < DUMP_ATTEMPTS; attempt++)
			if ((rc = dump_code(dump, buf, &st)) < 0 && errno != EINTR)
				break;
		if (rc < 0) {
			pg_seterr(err, errlen, "conntrack dump: %s", strerror(errno));
			goto out;
		}
	}
	ret = 0;
out:
	if (dump)
		mnl_socket_close(dump);
	if (update)
		mnl_socket_close(update);
	free(buf);
	return ret;
}

struct get_state {
	uint32_t mark;
	bool found;
};

static int got_entry(const struct nlmsghdr *nlh, void *data)
{
	struct get_state *gs = data;
	struct pg_ct_entry e;
	if (parse_entry(nlh, &e)) {
		gs->mark = e.mark;
		gs->found = true;
	}
	return MNL_CB_OK;
}

static int get_by(struct mnl_socket *nl, uint16_t tuple_type, uint8_t family,
		  uint8_t l4proto, const uint8_t *a, uint16_t ap, const uint8_t *b,
		  uint16_t bp, struct get_state *gs)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	/* No NLM_F_ACK: the answer is the entry or an error, one message. */
	struct nlmsghdr *nlh = put_request(buf, IPCTNL_MSG_CT_GET, NLM_F_REQUEST,
					   family == 4 ? AF_INET : AF_INET6,
					   (uint32_t)time(NULL));
	put_tuple(nlh, tuple_type, family, l4proto, a, ap, b, bp);
	if (transact(nl, buf, sizeof(buf), nlh, got_entry, gs) < 0)
		return -1;
	if (!gs->found) {
		errno = ENOENT;
		return -1;
	}
	return 0;
}

int pg_ct_get_mark(uint8_t family, uint8_t l4proto, const uint8_t *client,
		   uint16_t client_port, const uint8_t *server, uint16_t server_port,
		   uint32_t *mark)
{
	struct get_state gs = {0};
	int ret = -1, saved;
	struct mnl_socket *nl = open_socket();
	if (!nl)
		return -1;
	ret = get_by(nl, CTA_TUPLE_ORIG, family, l4proto, client, client_port, server,
		     server_port, &gs);
	if (ret < 0 && errno == ENOENT)
		ret = get_by(nl, CTA_TUPLE_REPLY, family, l4proto, server, server_port, client,
			     client_port, &gs);
	if (ret == 0)
		*mark = gs.mark;
	saved = errno;
	mnl_socket_close(nl);
	errno = saved;
	return ret;
}
