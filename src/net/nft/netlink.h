/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Netlink and batch plumbing for table inet peergate (private to
 * src/net/nft): a batch of messages in one growing buffer, each message
 * with NLM_F_ACK, its own sequence number and a description of the object
 * it creates or deletes, so that the kernel's errno can be attributed to
 * that object; and single requests (dumps) whose answers are collected.
 */
#ifndef PEERGATE_NET_NFT_NETLINK_H
#define PEERGATE_NET_NFT_NETLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libmnl/libmnl.h>
#include <linux/netlink.h>

/* The batch: messages in one growing buffer, and what each one is. */
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

void pgnft_batch_free(struct batch *b);
void pgnft_batch_reset(struct batch *b, uint32_t seq0);
/* Accounts for the message just written at the end of the buffer. */
void pgnft_batch_close(struct batch *b);
/* The batch-begin and batch-end messages; -1 when out of memory. */
int pgnft_batch_begin(struct batch *b);
int pgnft_batch_end(struct batch *b);

/* Starts an object message with NLM_F_ACK and the next sequence number,
 * and records what it is for the error report. */
__attribute__((format(printf, 5, 6)))
struct nlmsghdr *pgnft_batch_msg(struct batch *b, uint16_t type,
				 uint16_t flags, bool queue,
				 const char *fmt, ...);

/* A netfilter netlink socket, bound, with capped and extended ACKs. */
struct mnl_socket *pgnft_nl_open(char *err, size_t errlen);

/* Sends the batch and reads every ACK.  Returns 0 when the kernel took
 * everything, 1 when it refused something (see objs[].status and
 * head_err), -1 on a transport failure (described in err). */
int pgnft_batch_talk(struct mnl_socket *nl, struct batch *b, char *err,
		     size_t errlen);
/* head: the error came for the batch as a whole (capabilities, missing
 * subsystem), not for one object (where EPERM means a table owned by
 * another netlink socket). */
const char *pgnft_errno_hint(int e, bool head);

/* Writes prefix and "what: strerror" for up to three refused objects. */
void pgnft_batch_describe(const struct batch *b, const char *prefix,
			  char *err, size_t errlen);

/* True when every refusal is a queue rule the kernel has no expression
 * for: the sign of a kernel without CONFIG_NFT_QUEUE. */
bool pgnft_batch_only_queue_missing(const struct batch *b);

/* The replies of one request, copied in order, NLMSG_ALIGNed. */
struct replies {
	char *buf;
	size_t len, cap;
};

/* Sends one GET request (a dump, or a single GET with NLM_F_ACK) and
 * collects the answers.  A dump that the kernel flags as interrupted (the
 * ruleset changed meanwhile) is run again.  Returns 0, or -1 with
 * *kerr set to the errno (the kernel's or the socket's). */
int pgnft_nl_request(struct mnl_socket *nl, struct nlmsghdr *req,
		     struct replies *r, int *kerr);

#define for_each_reply(nlh, r, rem)                                          \
	for (int rem = (int)(r)->len, pg_once_ = 1; pg_once_; pg_once_ = 0)  \
		for (const struct nlmsghdr *nlh = (const struct nlmsghdr *)(r)->buf; \
		     (r)->buf && mnl_nlmsg_ok(nlh, rem);                      \
		     nlh = mnl_nlmsg_next(nlh, &rem))

#endif
