/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Copyright (C) 2025 The peergate authors
 *
 * The NFQUEUE module against the real kernel path.  Root only: the test
 * moves itself into a private network namespace (nothing touches the
 * host), builds a small nft table there with libnftnl, and sends real UDP
 * datagrams over loopback:
 *
 *   table inet pgnfqtest {
 *     chain out { type filter hook output priority 0; policy accept;
 *       meta mark & M != 0 ct mark set meta mark & M
 *       ct mark & M == ACCEPT accept
 *       ct mark & M == BLOCK drop
 *       meta nfproto ipv4 meta l4proto udp udp dport PORT queue num Q bypass
 *     }                                   (the xt NFQUEUE v3 target, compat)
 *   }
 *
 * The table builder lives here on purpose: the product's nft.c is a
 * separate module and this test must not depend on it.
 */
#include "check.h"

#include "peergate/mark.h"
#include "peergate/nfq.h"
#include "peergate/packet.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <linux/if_ether.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/xt_NFQUEUE.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>

#define QNUM 7
#define PORT 47000
#define MASK PG_MARK_DEFAULT_MASK
#define TABLE "pgnfqtest"
#define CHAIN "out"
#define BURST 2000
/* How long "nothing arrives" is watched for.  Loopback delivery normally
 * happens inside the verdict's sendmsg, so this is generous. */
#define QUIET_MS 150
/* How long expected datagrams may take (a loaded CI machine may defer the
 * softirq that delivers them). */
#define PATIENCE_MS 2000

/* ---- a tiny nft table builder ------------------------------------------ */

static void add_expr(struct nftnl_rule *r, struct nftnl_expr *e)
{
	nftnl_rule_add_expr(r, e); /* the rule owns e from here */
}

static void x_meta(struct nftnl_rule *r, uint32_t key)
{
	struct nftnl_expr *e = nftnl_expr_alloc("meta");
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
	add_expr(r, e);
}

static void x_ct_load(struct nftnl_rule *r, uint32_t key)
{
	struct nftnl_expr *e = nftnl_expr_alloc("ct");
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	add_expr(r, e);
}

static void x_ct_set(struct nftnl_rule *r, uint32_t key)
{
	struct nftnl_expr *e = nftnl_expr_alloc("ct");
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_SREG, NFT_REG_1);
	add_expr(r, e);
}

/* reg1 = reg1 & mask (marks sit in registers in host order) */
static void x_and(struct nftnl_rule *r, uint32_t mask)
{
	struct nftnl_expr *e = nftnl_expr_alloc("bitwise");
	uint32_t zero = 0;
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, sizeof(mask));
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, &mask, sizeof(mask));
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, &zero, sizeof(zero));
	add_expr(r, e);
}

static void x_cmp(struct nftnl_rule *r, uint32_t op, const void *data,
		  uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("cmp");
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
	add_expr(r, e);
}

static void x_verdict(struct nftnl_rule *r, uint32_t verdict)
{
	struct nftnl_expr *e = nftnl_expr_alloc("immediate");
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, verdict);
	add_expr(r, e);
}

static void x_payload(struct nftnl_rule *r, uint32_t base, uint32_t off,
		      uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("payload");
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
	add_expr(r, e);
}

/* The kernel here has no native `queue` (CONFIG_NFT_QUEUE); the xt target
 * through nft_compat does the same job. */
static void x_nfqueue(struct nftnl_rule *r, uint16_t qnum)
{
	struct nftnl_expr *e = nftnl_expr_alloc("target");
	struct xt_NFQ_info_v3 *info = calloc(1, sizeof(*info));

	if (!info)
		abort();
	info->queuenum = qnum;
	info->queues_total = 1;
	/* Accept while no queue is bound (between scenarios, after close). */
	info->flags = NFQ_FLAG_BYPASS;
	nftnl_expr_set_str(e, NFTNL_EXPR_TG_NAME, "NFQUEUE");
	nftnl_expr_set_u32(e, NFTNL_EXPR_TG_REV, 3);
	nftnl_expr_set(e, NFTNL_EXPR_TG_INFO, info, sizeof(*info)); /* owned */
	add_expr(r, e);
}

static struct nftnl_rule *new_rule(void)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, TABLE);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, CHAIN);
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	return r;
}

static void put_rule(struct mnl_nlmsg_batch *b, struct nftnl_rule *r,
		     uint32_t *seq)
{
	struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(
		mnl_nlmsg_batch_current(b), NFT_MSG_NEWRULE, NFPROTO_INET,
		NLM_F_APPEND | NLM_F_CREATE | NLM_F_ACK, (*seq)++);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_rule_free(r);
	mnl_nlmsg_batch_next(b);
}

/* Builds the table in one transaction; returns 0 or -1 with a message. */
static int install_table(void)
{
	static char buf[64 * 1024];
	struct mnl_socket *nl = NULL;
	struct mnl_nlmsg_batch *b = NULL;
	struct nftnl_table *t;
	struct nftnl_chain *c;
	struct nftnl_rule *r;
	struct nlmsghdr *nlh;
	uint32_t seq = 1, acks = 0, want;
	uint32_t zero = 0, accept = pg_mark_value(MASK, PG_MARK_ACCEPT);
	uint32_t block = pg_mark_value(MASK, PG_MARK_BLOCK);
	uint8_t nfproto = NFPROTO_IPV4, l4 = IPPROTO_UDP;
	uint16_t dport = htons(PORT);
	struct timeval tv = { .tv_sec = 2 };
	int ret = -1;

	b = mnl_nlmsg_batch_start(buf, sizeof(buf) / 2);
	nftnl_batch_begin(mnl_nlmsg_batch_current(b), seq++);
	mnl_nlmsg_batch_next(b);
	want = seq;

	t = nftnl_table_alloc();
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, TABLE);
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
	nlh = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(b), NFT_MSG_NEWTABLE,
				    NFPROTO_INET, NLM_F_CREATE | NLM_F_ACK, seq++);
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	mnl_nlmsg_batch_next(b);

	c = nftnl_chain_alloc();
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, TABLE);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, CHAIN);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, "filter");
	nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, NF_INET_LOCAL_OUT);
	nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, 0);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	nlh = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(b), NFT_MSG_NEWCHAIN,
				    NFPROTO_INET, NLM_F_CREATE | NLM_F_ACK, seq++);
	nftnl_chain_nlmsg_build_payload(nlh, c);
	nftnl_chain_free(c);
	mnl_nlmsg_batch_next(b);

	/* meta mark & M != 0 ct mark set meta mark & M */
	r = new_rule();
	x_meta(r, NFT_META_MARK);
	x_and(r, MASK);
	x_cmp(r, NFT_CMP_NEQ, &zero, sizeof(zero));
	x_ct_set(r, NFT_CT_MARK);
	put_rule(b, r, &seq);

	/* ct mark & M == ACCEPT accept */
	r = new_rule();
	x_ct_load(r, NFT_CT_MARK);
	x_and(r, MASK);
	x_cmp(r, NFT_CMP_EQ, &accept, sizeof(accept));
	x_verdict(r, NF_ACCEPT);
	put_rule(b, r, &seq);

	/* ct mark & M == BLOCK drop */
	r = new_rule();
	x_ct_load(r, NFT_CT_MARK);
	x_and(r, MASK);
	x_cmp(r, NFT_CMP_EQ, &block, sizeof(block));
	x_verdict(r, NF_DROP);
	put_rule(b, r, &seq);

	/* meta nfproto ipv4 meta l4proto udp udp dport PORT queue */
	r = new_rule();
	x_meta(r, NFT_META_NFPROTO);
	x_cmp(r, NFT_CMP_EQ, &nfproto, sizeof(nfproto));
	x_meta(r, NFT_META_L4PROTO);
	x_cmp(r, NFT_CMP_EQ, &l4, sizeof(l4));
	x_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);
	x_cmp(r, NFT_CMP_EQ, &dport, sizeof(dport));
	x_nfqueue(r, QNUM);
	put_rule(b, r, &seq);

	nftnl_batch_end(mnl_nlmsg_batch_current(b), seq);
	mnl_nlmsg_batch_next(b);
	want = seq - want; /* messages with NLM_F_ACK */

	nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("nft socket");
		goto out;
	}
	setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &tv,
		   sizeof(tv));
	if (mnl_socket_sendto(nl, mnl_nlmsg_batch_head(b),
			      mnl_nlmsg_batch_size(b)) < 0) {
		perror("nft sendto");
		goto out;
	}
	while (acks < want) {
		char rbuf[MNL_SOCKET_BUFFER_SIZE];
		ssize_t n = mnl_socket_recvfrom(nl, rbuf, sizeof(rbuf));
		int left = (int)n;

		if (n < 0) {
			perror("nft recv");
			goto out;
		}
		for (nlh = (struct nlmsghdr *)rbuf; mnl_nlmsg_ok(nlh, left);
		     nlh = mnl_nlmsg_next(nlh, &left)) {
			const struct nlmsgerr *e;

			if (nlh->nlmsg_type != NLMSG_ERROR)
				continue;
			e = mnl_nlmsg_get_payload(nlh);
			acks++;
			if (e->error) {
				fprintf(stderr, "nft: message seq %u refused: %s\n",
					nlh->nlmsg_seq, strerror(-e->error));
				goto out;
			}
		}
	}
	ret = 0;
out:
	if (nl)
		mnl_socket_close(nl);
	mnl_nlmsg_batch_stop(b);
	return ret;
}

/* ---- namespace and sockets --------------------------------------------- */

static int lo_up(void)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int ret = -1;

	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		goto out;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		goto out;
	ret = 0;
out:
	close(fd);
	return ret;
}

static struct sockaddr_in lo_addr(uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sa;
}

static int udp_receiver(void)
{
	struct sockaddr_in sa = lo_addr(PORT);
	int big = 32 << 20;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -1;
	/* The whole burst lands here before we read any of it. */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A new sender socket is a new flow (fresh ephemeral source port). */
static int udp_sender(void)
{
	struct sockaddr_in sa = lo_addr(PORT);
	int big = 32 << 20;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	/* A queued datagram still counts against its sender's buffer, so a
	 * burst that waits in the queue would block send() otherwise. */
	setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Datagram payload: "PGNQ", a per-scenario tag and an index, big endian. */
#define HDR_LEN 12

static void put_hdr(uint8_t *p, uint32_t tag, uint32_t idx)
{
	uint32_t t = htonl(tag), i = htonl(idx);
	memcpy(p, "PGNQ", 4);
	memcpy(p + 4, &t, 4);
	memcpy(p + 8, &i, 4);
}

static bool get_hdr(const uint8_t *p, size_t len, uint32_t *tag, uint32_t *idx)
{
	if (len < HDR_LEN || memcmp(p, "PGNQ", 4) != 0)
		return false;
	*tag = pg_be32(p + 4);
	*idx = pg_be32(p + 8);
	return true;
}

static void send_n(int fd, uint32_t tag, uint32_t first, uint32_t n)
{
	uint8_t p[HDR_LEN];

	for (uint32_t i = first; i < first + n; i++) {
		put_hdr(p, tag, i);
		/* EPERM is the kernel dropping it in OUTPUT: expected in
		 * the block scenarios. */
		if (send(fd, p, sizeof(p), 0) != (ssize_t)sizeof(p) &&
		    errno != EPERM)
			perror("send");
	}
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

struct rx_result {
	unsigned got;       /* datagrams with the tag */
	unsigned dups;      /* an index seen twice */
	unsigned stray;     /* other tags: leftovers of an earlier scenario */
	size_t last_len;
};

/* Reads datagrams of one tag until `expect` arrived (then also what is
 * immediately behind them), or until nothing came for PATIENCE_MS; with
 * expect == 0, watches for QUIET_MS.  seen, if given, counts per index
 * (n entries). */
static struct rx_result rx_collect(int fd, uint32_t tag, unsigned expect,
				   uint8_t *seen, size_t n)
{
	struct rx_result r = { 0 };
	uint8_t buf[2048];

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int wait = !expect ? QUIET_MS : r.got >= expect ? 0 : PATIENCE_MS;
		ssize_t len;
		uint32_t t, i;

		if (poll(&pfd, 1, wait) <= 0)
			break;
		while ((len = recv(fd, buf, sizeof(buf), 0)) >= 0) {
			if (!get_hdr(buf, (size_t)len, &t, &i) || t != tag) {
				r.stray++;
				continue;
			}
			r.got++;
			r.last_len = (size_t)len;
			if (seen && i < n && ++seen[i] > 1)
				r.dups++;
		}
	}
	/* A datagram of an earlier scenario arriving late: delivered more
	 * than once, or long after its verdict. */
	CHECK(r.stray == 0);
	return r;
}

/* ---- the callback ------------------------------------------------------ */

enum answer { ANS_VERDICT, ANS_FAIL, ANS_UNSET };

struct tctx {
	enum answer how;
	struct pg_nfq_verdict v;
	/* When set, packets from index `switch_at` on get v2 instead. */
	uint32_t switch_at;
	struct pg_nfq_verdict v2;

	unsigned calls;
	unsigned long total;  /* every call, never reset */
	unsigned foreign;   /* not a datagram of ours */
	unsigned dups;
	uint8_t *seen;
	size_t nseen;
	/* the last packet */
	uint32_t tag, idx, mark;
	uint16_t hw;
	uint8_t hook;
	size_t len, orig_len;
	bool parsed;
	bool has_ct;
};

static bool cb(void *opaque, const struct pg_nfq_packet *pkt,
	       struct pg_nfq_verdict *v)
{
	struct tctx *c = opaque;
	struct pg_packet pp;
	struct in_addr lo = { htonl(INADDR_LOOPBACK) };

	c->calls++;
	c->total++;
	c->hw = pkt->hw_protocol;
	c->hook = pkt->hook;
	c->len = pkt->len;
	c->orig_len = pkt->orig_len;
	c->mark = pkt->mark;
	c->has_ct = pkt->has_ct;
	c->parsed = pg_packet_parse(pkt->data, pkt->len, &pp) == PG_PARSE_OK &&
		    pp.family == 4 && pp.l4proto == IPPROTO_UDP &&
		    pp.dport == PORT && memcmp(pp.dst, &lo, 4) == 0 &&
		    get_hdr(pp.payload, pp.payload_len, &c->tag, &c->idx);
	if (!c->parsed)
		c->foreign++;
	else if (c->seen && c->idx < c->nseen && ++c->seen[c->idx] > 1)
		c->dups++;

	switch (c->how) {
	case ANS_FAIL:
		return false;
	case ANS_UNSET:
		return true;
	case ANS_VERDICT:
		break;
	}
	*v = (c->switch_at && c->parsed && c->idx >= c->switch_at) ? c->v2 : c->v;
	return true;
}

static void answer(struct tctx *c, enum pg_nfq_verdict_kind kind,
		   enum pg_mark_code code)
{
	c->how = ANS_VERDICT;
	c->switch_at = 0;
	c->v.kind = kind;
	c->v.mark = pg_mark_value(MASK, code);
	c->v.ct_mark = pg_mark_value(MASK, code);
	c->calls = 0;
	c->foreign = 0;
	c->dups = 0;
	c->seen = NULL;
	c->nseen = 0;
}

static struct pg_nfq_verdict verdict_of(enum pg_nfq_verdict_kind kind,
					enum pg_mark_code code)
{
	struct pg_nfq_verdict v = { kind, pg_mark_value(MASK, code),
				    pg_mark_value(MASK, code) };
	return v;
}

/* Processes until the queue socket is empty; counts calls that returned
 * -1 and the largest batch. */
struct pump_result {
	unsigned handled, calls, fatal, max_batch;
};

static struct pump_result pump(struct pg_nfq *q, struct tctx *c)
{
	struct pump_result r = { 0 };
	int n;

	while ((n = pg_nfq_process(q, false, cb, c)) != 0) {
		if (n < 0) {
			r.fatal++;
			break;
		}
		r.calls++;
		r.handled += (unsigned)n;
		if ((unsigned)n > r.max_batch)
			r.max_batch = (unsigned)n;
	}
	return r;
}

/* /proc/config.gz as ground truth: 1 = set, 0 = not set, -1 = unknown. */
static int kernel_config(const char *sym)
{
	char line[256], on[128], off[128];
	FILE *f = popen("zcat /proc/config.gz 2>/dev/null", "r");
	int ret = -1;

	if (!f)
		return -1;
	snprintf(on, sizeof(on), "%s=y", sym);
	snprintf(off, sizeof(off), "# %s is not set", sym);
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, on, strlen(on)))
			ret = 1;
		else if (!strncmp(line, off, strlen(off)))
			ret = 0;
	}
	pclose(f);
	return ret;
}

static struct pg_nfq *open_q(const struct pg_nfq_config *cfg)
{
	char err[256] = "";
	struct pg_nfq *q = pg_nfq_open(cfg, err, sizeof(err));

	if (!q)
		fprintf(stderr, "pg_nfq_open: %s\n", err);
	return q;
}

/* ---- scenarios --------------------------------------------------------- */

static void test_defaults(void)
{
	struct pg_nfq_config cfg;

	memset(&cfg, 0xab, sizeof(cfg));
	pg_nfq_config_defaults(&cfg);
	CHECK(cfg.queue_num == 0);
	CHECK(cfg.queue_maxlen == 4096);
	CHECK(cfg.copy_range == 0xffff);
	CHECK(cfg.rcvbuf == 8u << 20);
	CHECK(cfg.batch_max == 64);
	CHECK(cfg.gso);
}

/* (1) what the callback sees; (2) ACCEPT delivers */
static void test_accept(struct pg_nfq *q, int rx, struct tctx *c)
{
	int tx = udp_sender();
	struct pump_result p;
	struct rx_result r;

	answer(c, PG_NFQ_ACCEPT, PG_MARK_NONE);
	send_n(tx, 1, 0, 1);
	p = pump(q, c);
	CHECK(p.fatal == 0);
	CHECK(p.handled == 1);
	CHECK(c->calls == 1);
	CHECK(c->parsed);
	CHECK(c->tag == 1 && c->idx == 0);
	CHECK(c->hw == ETH_P_IP);
	CHECK(c->hook == NF_INET_LOCAL_OUT);
	CHECK(c->len == 20 + 8 + HDR_LEN);
	CHECK(c->orig_len == c->len);
	CHECK(c->mark == 0);
	r = rx_collect(rx, 1, 1, NULL, 0);
	CHECK(r.got == 1);
	CHECK(r.last_len == HDR_LEN);
	close(tx);
}

/* (3) DROP drops that packet, and only that one */
static void test_drop(struct pg_nfq *q, int rx, struct tctx *c)
{
	int tx = udp_sender();
	struct rx_result r;

	answer(c, PG_NFQ_DROP, PG_MARK_NONE);
	send_n(tx, 2, 0, 3);
	pump(q, c);
	CHECK(c->calls == 3);
	r = rx_collect(rx, 2, 0, NULL, 0);
	CHECK(r.got == 0);

	/* A drop stamps nothing: the flow is still inspected. */
	answer(c, PG_NFQ_ACCEPT, PG_MARK_NONE);
	send_n(tx, 2, 3, 1);
	pump(q, c);
	CHECK(c->calls == 1);
	r = rx_collect(rx, 2, 1, NULL, 0);
	CHECK(r.got == 1);
	close(tx);
}

/* (4a) NF_REPEAT + ACCEPT mark on the first packet: the packet passes and
 * the rest of the flow never reaches the queue (the offload). */
static void test_repeat_accept(struct pg_nfq *q, int rx, struct tctx *c)
{
	int tx = udp_sender();
	struct rx_result r;

	answer(c, PG_NFQ_REPEAT_MARK, PG_MARK_ACCEPT);
	send_n(tx, 3, 0, 1);
	pump(q, c);
	CHECK(c->calls == 1);
	r = rx_collect(rx, 3, 1, NULL, 0);
	CHECK(r.got == 1);

	c->calls = 0;
	send_n(tx, 3, 1, 20);
	CHECK(pg_nfq_process(q, false, cb, c) == 0);
	CHECK(c->calls == 0);
	r = rx_collect(rx, 3, 20, NULL, 0);
	CHECK(r.got == 20);
	printf("offload: ACCEPT stamp on packet 1, then 20 datagrams: %u queued, "
	       "%u delivered\n", c->calls, r.got);
	close(tx);
}

/* (4b) NF_REPEAT + BLOCK mark once the flow's conntrack entry is
 * confirmed (an earlier packet passed): this packet and every later one are
 * dropped by the kernel without reaching the queue.  Packet 2 is sent only
 * after packet 1's verdict: while packet 1 waits in the queue its conntrack
 * entry is unconfirmed, and packet 2 would get an entry of its own. */
static void test_repeat_block(struct pg_nfq *q, int rx, struct tctx *c)
{
	int tx = udp_sender();
	struct rx_result r;

	answer(c, PG_NFQ_ACCEPT, PG_MARK_NONE);
	c->switch_at = 1;
	c->v2 = verdict_of(PG_NFQ_REPEAT_MARK, PG_MARK_BLOCK);
	send_n(tx, 4, 0, 1);
	pump(q, c);
	send_n(tx, 4, 1, 1);
	pump(q, c);
	CHECK(c->calls == 2);
	r = rx_collect(rx, 4, 1, NULL, 0);
	CHECK(r.got == 1);

	c->calls = 0;
	send_n(tx, 4, 2, 10);
	CHECK(pg_nfq_process(q, false, cb, c) == 0);
	CHECK(c->calls == 0);
	r = rx_collect(rx, 4, 0, NULL, 0);
	CHECK(r.got == 0);
	printf("offload: BLOCK stamp on packet 2, then 10 datagrams: %u queued, "
	       "%u delivered\n", c->calls, r.got);
	close(tx);
}

/* A measurement, not a requirement of the module: a BLOCK stamp on the
 * very first packet of a flow.  The packet is dropped while its conntrack
 * entry is still unconfirmed, so the entry (and its mark) is freed with it,
 * and the next packet starts a new entry and is queued again. */
static void test_block_first(struct pg_nfq *q, int rx, struct tctx *c)
{
	int tx = udp_sender();
	struct rx_result r;
	unsigned requeued;

	answer(c, PG_NFQ_REPEAT_MARK, PG_MARK_BLOCK);
	send_n(tx, 5, 0, 1);
	pump(q, c);
	CHECK(c->calls == 1);

	answer(c, PG_NFQ_DROP, PG_MARK_NONE);
	send_n(tx, 5, 1, 3);
	pump(q, c);
	requeued = c->calls;
	r = rx_collect(rx, 5, 0, NULL, 0);
	CHECK(r.got == 0);
	printf("NOTE: BLOCK stamp on a flow's first packet (unconfirmed conntrack): "
	       "%u of 3 later datagrams reached the queue again (%s)\n", requeued,
	       requeued ? "stamp lost with the dropped entry" : "stamp kept");
	close(tx);
}

/* A measurement: the flow is decided on its second packet, but both were
 * queued before the first verdict (a client sending back-to-back).  The
 * second packet then carries its own unconfirmed conntrack entry, and the
 * stamp is on that entry, which loses the clash with the first packet's
 * confirmed one. */
static void test_stamp_in_flight(struct pg_nfq *q, int rx, struct tctx *c)
{
	int tx = udp_sender();
	struct rx_result r;
	unsigned later;

	answer(c, PG_NFQ_ACCEPT, PG_MARK_NONE);
	c->switch_at = 1;
	c->v2 = verdict_of(PG_NFQ_REPEAT_MARK, PG_MARK_ACCEPT);
	send_n(tx, 15, 0, 2);
	pump(q, c);
	CHECK(c->calls == 2);
	c->calls = 0;
	send_n(tx, 15, 2, 5);
	pump(q, c);
	later = c->calls;
	r = rx_collect(rx, 15, 7, NULL, 0);
	CHECK(r.got == 7);
	printf("NOTE: ACCEPT stamp on packet 2 while packet 1 was still queued: "
	       "%u of 5 later datagrams reached the queue (%s)\n", later,
	       later ? "stamp lost in the conntrack clash" : "stamp kept");
	close(tx);
}

/* (5) the ct glue: detection, and what ACCEPT_CTMARK does accordingly */
static void test_ct(struct pg_nfq *q, int rx, struct tctx *c,
		    struct pg_nfq_stats *before)
{
	int cfg = kernel_config("CONFIG_NETFILTER_NETLINK_GLUE_CT");
	bool has = pg_nfq_has_ct(q);
	int tx = udp_sender();
	struct pg_nfq_stats s;
	struct rx_result r;

	printf("ct glue: pg_nfq_has_ct() = %s; /proc/config.gz "
	       "CONFIG_NETFILTER_NETLINK_GLUE_CT = %s\n", has ? "true" : "false",
	       cfg < 0 ? "unknown" : cfg ? "y" : "not set");
	if (cfg >= 0)
		CHECK(has == (cfg == 1));

	answer(c, PG_NFQ_ACCEPT_CTMARK, PG_MARK_ACCEPT);
	send_n(tx, 6, 0, 1);
	pump(q, c);
	CHECK(c->calls == 1);
	CHECK(c->has_ct == has);
	r = rx_collect(rx, 6, 1, NULL, 0);
	CHECK(r.got == 1);
	pg_nfq_get_stats(q, &s);
	if (has) {
		/* The verdict stamped the ct mark: the flow is offloaded. */
		CHECK(s.verdict_errors == before->verdict_errors);
		c->calls = 0;
		send_n(tx, 6, 1, 5);
		pump(q, c);
		CHECK(c->calls == 0);
		CHECK(rx_collect(rx, 6, 5, NULL, 0).got == 5);
	} else {
		/* Cannot be honoured: accepted and counted as an error. */
		CHECK(s.verdict_errors == before->verdict_errors + 1);
	}
	close(tx);
}

/* (7) a failing callback, or one that leaves v unset: the packet is still
 * accepted, exactly once, and counted. */
static void test_fail_open_cb(struct pg_nfq *q, int rx, struct tctx *c)
{
	int tx = udp_sender();
	struct pg_nfq_stats a, b;
	struct rx_result r;

	pg_nfq_get_stats(q, &a);
	answer(c, PG_NFQ_DROP, PG_MARK_NONE);
	c->how = ANS_FAIL;
	send_n(tx, 7, 0, 2);
	pump(q, c);
	c->how = ANS_UNSET;
	send_n(tx, 7, 2, 2);
	pump(q, c);
	CHECK(c->calls == 4);
	r = rx_collect(rx, 7, 4, NULL, 0);
	CHECK(r.got == 4);
	pg_nfq_get_stats(q, &b);
	CHECK(b.verdict_errors == a.verdict_errors + 4);
	CHECK(b.received == a.received + 4);
	CHECK(b.verdicts == a.verdicts + 4);
	close(tx);
}

/* A burst larger than one batch: every packet seen once, verdicted once,
 * delivered once. */
static void test_burst(struct pg_nfq *q, int rx, struct tctx *c)
{
	static uint8_t seen_cb[BURST], seen_rx[BURST];
	int tx = udp_sender();
	struct pg_nfq_stats a, b;
	struct pump_result p;
	struct rx_result r;
	double t0, t1;

	pg_nfq_get_stats(q, &a);
	answer(c, PG_NFQ_ACCEPT, PG_MARK_NONE);
	c->seen = seen_cb;
	c->nseen = BURST;
	send_n(tx, 8, 0, BURST);
	t0 = now_ms();
	p = pump(q, c);
	t1 = now_ms();
	r = rx_collect(rx, 8, BURST, seen_rx, BURST);
	pg_nfq_get_stats(q, &b);

	CHECK(p.fatal == 0);
	CHECK(p.handled == BURST);
	CHECK(c->calls == BURST);
	CHECK(c->dups == 0);
	CHECK(c->foreign == 0);
	CHECK(p.max_batch == 64);
	CHECK(p.calls >= BURST / 64);
	CHECK(r.got == BURST);
	CHECK(r.dups == 0);
	CHECK(b.received - a.received == BURST);
	CHECK(b.verdicts - a.verdicts == BURST);
	CHECK(b.send_errors == a.send_errors);
	CHECK(b.enobufs == a.enobufs);
	printf("burst: %u datagrams in %u process() calls (max %u per call), "
	       "%.1f ms, %u delivered\n", p.handled, p.calls, p.max_batch,
	       t1 - t0, r.got);
	c->seen = NULL;
	close(tx);
}

static void test_block_timeout(struct pg_nfq *q, struct tctx *c)
{
	double t0 = now_ms(), dt;
	int n = pg_nfq_process(q, true, cb, c);

	dt = now_ms() - t0;
	CHECK(n == 0);
	CHECK(dt > 500 && dt < 3000);
	printf("idle blocking process(): returned %d after %.0f ms\n", n, dt);
}

static void test_second_bind(void)
{
	struct pg_nfq_config cfg;
	char err[256] = "";
	struct pg_nfq *q2;

	pg_nfq_config_defaults(&cfg);
	cfg.queue_num = QNUM;
	q2 = pg_nfq_open(&cfg, err, sizeof(err));
	CHECK(q2 == NULL);
	CHECK(strstr(err, "queue 7") != NULL);
	printf("second bind of queue %d: %s\n", QNUM, err);
	pg_nfq_close(q2);
}

/* Packets still pending at close are accepted, not dropped. */
static void test_close_drains(struct pg_nfq *q, int rx)
{
	int tx = udp_sender();

	send_n(tx, 9, 0, 3);
	pg_nfq_close(q);
	CHECK(rx_collect(rx, 9, 3, NULL, 0).got == 3);
	close(tx);
}

/* NFQA_CFG_F_GSO: a UDP GSO send (one skb of 4 segments) reaches the queue
 * as one packet when GSO is on, as 4 segments when it is off.  Its
 * checksum is not ready (CSUMNOTREADY); accepting it must still deliver. */
static void test_gso(int rx, struct tctx *c, bool gso)
{
	struct pg_nfq_config cfg;
	struct pg_nfq *q;
	uint8_t buf[4000];
	int seg = 1000, tx;
	uint32_t tag = gso ? 10 : 11;
	struct rx_result r;

	pg_nfq_config_defaults(&cfg);
	cfg.queue_num = QNUM;
	cfg.gso = gso;
	q = open_q(&cfg);
	CHECK(q != NULL);
	if (!q)
		return;
	tx = udp_sender();
	for (int i = 0; i < 4; i++) {
		memset(buf + i * seg, 'x', (size_t)seg);
		put_hdr(buf + i * seg, tag, (uint32_t)i);
	}
	CHECK(setsockopt(tx, SOL_UDP, UDP_SEGMENT, &seg, sizeof(seg)) == 0);
	CHECK(send(tx, buf, sizeof(buf), 0) == (ssize_t)sizeof(buf));
	answer(c, PG_NFQ_ACCEPT, PG_MARK_NONE);
	pump(q, c);
	r = rx_collect(rx, tag, 4, NULL, 0);
	printf("GSO %s: one 4x%d UDP GSO send reached the queue as %u packet(s), "
	       "last %zu bytes; %u datagrams delivered\n", gso ? "on " : "off",
	       seg, c->calls, c->len, r.got);
	if (gso) {
		CHECK(c->calls == 1);
		CHECK(c->len == 20 + 8 + sizeof(buf));
	} else {
		CHECK(c->calls == 4);
		CHECK(c->len == 20 + 8 + (size_t)seg);
	}
	CHECK(r.got == 4);
	CHECK(r.last_len == (size_t)seg);
	close(tx);
	pg_nfq_close(q);
}

/* copy_range shorter than the packet: NFQA_CAP_LEN gives the real length
 * and the copy is counted as truncated; the packet itself is unharmed. */
static void test_truncated(int rx, struct tctx *c)
{
	struct pg_nfq_config cfg;
	struct pg_nfq_stats s;
	struct pg_nfq *q;
	int tx;

	pg_nfq_config_defaults(&cfg);
	cfg.queue_num = QNUM;
	cfg.copy_range = 24;
	q = open_q(&cfg);
	CHECK(q != NULL);
	if (!q)
		return;
	tx = udp_sender();
	answer(c, PG_NFQ_ACCEPT, PG_MARK_NONE);
	send_n(tx, 16, 0, 1);
	pump(q, c);
	pg_nfq_get_stats(q, &s);
	CHECK(c->calls == 1);
	CHECK(c->len == 24);
	CHECK(c->orig_len == 20 + 8 + HDR_LEN);
	CHECK(s.truncated == 1);
	CHECK(rx_collect(rx, 16, 1, NULL, 0).last_len == HDR_LEN);
	close(tx);
	pg_nfq_close(q);
}

/* A socket buffer too small for the burst: the kernel reports ENOBUFS,
 * which is counted and not fatal; with FAIL_OPEN the packets it could not
 * hand us are accepted, so every datagram still arrives. */
static void test_enobufs(int rx, struct tctx *c)
{
	struct pg_nfq_config cfg;
	struct pg_nfq_stats s;
	struct pump_result p;
	struct rx_result r;
	struct pg_nfq *q;
	int tx;

	pg_nfq_config_defaults(&cfg);
	cfg.queue_num = QNUM;
	cfg.rcvbuf = 4096;
	cfg.fail_open = true;
	q = open_q(&cfg);
	CHECK(q != NULL);
	if (!q)
		return;
	tx = udp_sender();
	answer(c, PG_NFQ_ACCEPT, PG_MARK_NONE);
	send_n(tx, 12, 0, 200);
	p = pump(q, c);
	r = rx_collect(rx, 12, 200, NULL, 0);
	pg_nfq_get_stats(q, &s);
	printf("small rcvbuf + FAIL_OPEN: 200 sent, %u queued to us, enobufs %llu, "
	       "%u delivered\n", c->calls, (unsigned long long)s.enobufs, r.got);
	CHECK(p.fatal == 0);
	CHECK(s.enobufs >= 1);
	CHECK(c->calls < 200);
	CHECK(s.received == s.verdicts);
	CHECK(r.got == 200);
	close(tx);
	pg_nfq_close(q);
}

/* queue_maxlen and FAIL_OPEN: past maxlen the kernel drops, or accepts when
 * FAIL_OPEN was taken. */
static void test_maxlen(int rx, struct tctx *c, bool fail_open)
{
	struct pg_nfq_config cfg;
	struct rx_result r;
	struct pg_nfq *q;
	uint32_t tag = fail_open ? 13 : 14;
	int tx;

	pg_nfq_config_defaults(&cfg);
	cfg.queue_num = QNUM;
	cfg.queue_maxlen = 8;
	cfg.fail_open = fail_open;
	q = open_q(&cfg);
	CHECK(q != NULL);
	if (!q)
		return;
	tx = udp_sender();
	answer(c, PG_NFQ_ACCEPT, PG_MARK_NONE);
	send_n(tx, tag, 0, 50);
	pump(q, c);
	r = rx_collect(rx, tag, fail_open ? 50 : 8, NULL, 0);
	printf("maxlen 8, FAIL_OPEN %s: 50 sent, %u queued, %u delivered\n",
	       fail_open ? "on " : "off", c->calls, r.got);
	CHECK(c->calls == 8);
	CHECK(r.got == (fail_open ? 50u : 8u));
	close(tx);
	pg_nfq_close(q);
}

int main(void)
{
	struct pg_nfq_config cfg;
	struct pg_nfq_stats s0, s;
	struct tctx c;
	struct pg_nfq *q;
	int rx;

	setvbuf(stdout, NULL, _IOLBF, 0);
	memset(&c, 0, sizeof(c));
	test_defaults();

	if (geteuid() != 0) {
		printf("test_nfq: SKIP: needs root (a private network namespace, "
		       "nftables and NFQUEUE)\n");
		return 77;
	}
	if (unshare(CLONE_NEWNET) < 0) {
		printf("test_nfq: SKIP: unshare(CLONE_NEWNET): %s\n",
		       strerror(errno));
		return 77;
	}
	if (lo_up() < 0 || install_table() < 0) {
		fprintf(stderr, "test_nfq: cannot set up the namespace\n");
		return 1;
	}
	rx = udp_receiver();
	if (rx < 0) {
		perror("receiver");
		return 1;
	}

	pg_nfq_config_defaults(&cfg);
	cfg.queue_num = QNUM;
	q = open_q(&cfg);
	CHECK(q != NULL);
	if (!q)
		return pg_test_summary("test_nfq");
	pg_nfq_get_stats(q, &s0);
	CHECK(pg_nfq_fd(q) >= 0);

	test_accept(q, rx, &c);
	test_drop(q, rx, &c);
	test_repeat_accept(q, rx, &c);
	test_repeat_block(q, rx, &c);
	test_block_first(q, rx, &c);
	test_stamp_in_flight(q, rx, &c);
	pg_nfq_get_stats(q, &s);
	test_ct(q, rx, &c, &s);
	test_fail_open_cb(q, rx, &c);
	test_burst(q, rx, &c);
	test_block_timeout(q, &c);
	test_second_bind();

	/* (6) the counters: one verdict per packet received, none refused
	 * by the kernel (a refused verdict, e.g. a second one for the same
	 * id, would come back as an error and count as send_error).  One
	 * more process() collects any such late error. */
	pg_nfq_process(q, false, cb, &c);
	pg_nfq_get_stats(q, &s);
	printf("stats: received %llu verdicts %llu verdict_errors %llu "
	       "send_errors %llu enobufs %llu truncated %llu\n",
	       (unsigned long long)s.received, (unsigned long long)s.verdicts,
	       (unsigned long long)s.verdict_errors,
	       (unsigned long long)s.send_errors,
	       (unsigned long long)s.enobufs, (unsigned long long)s.truncated);
	CHECK(s.received == s.verdicts);
	CHECK(s.received - s0.received == c.total);
	CHECK(s.send_errors == 0);
	CHECK(s.enobufs == 0);
	CHECK(s.truncated == 0);
	CHECK(s.verdict_errors ==
	      (pg_nfq_has_ct(q) ? 0u : 1u) + 4u);

	test_close_drains(q, rx);

	test_gso(rx, &c, true);
	test_gso(rx, &c, false);
	test_truncated(rx, &c);
	test_enobufs(rx, &c);
	test_maxlen(rx, &c, false);
	test_maxlen(rx, &c, true);

	close(rx);
	return pg_test_summary("test_nfq");
}
