/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The queue rules of table inet peergate as our own dump sees them
 * (private to src/net/nft), and a rendering of the xt NFQUEUE target in
 * the shape nft prints a native `queue` statement, text and JSON.
 *
 * Why: on a kernel without nft_queue the queue rules hold the xt NFQUEUE
 * target through nft_compat, and nft 1.0.6 (libnftables, which renders
 * `rules show`) cannot print it: its text shows nothing where the target
 * is, and its JSON `{"xt": {"type": "target", "name": "NFQUEUE"}}` without
 * the queue numbers or flags.  Those rules are found here by their handle,
 * and show.c puts this rendering in their place.
 */
#ifndef PEERGATE_NET_NFT_XTQUEUE_H
#define PEERGATE_NET_NFT_XTQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "netlink.h"

/* One rule whose statement is the xt NFQUEUE target (revision 3). */
struct xtqueue_rule {
	uint64_t handle;
	uint16_t num, total;      /* queues num .. num + total - 1 */
	bool bypass, fanout;
};

struct xtqueue_rules {
	int kind;                 /* enum pg_nft_queue_kind of the queue rules; -1: none */
	struct xtqueue_rule *v;
	size_t n;
};

/* Reads the table's rules; 0 (with what it found in q), or -1 with a
 * message (among others, when the table does not exist). */
int pgnft_xtqueue_read(struct mnl_socket *nl, struct xtqueue_rules *q,
		       char *err, size_t errlen);
void pgnft_xtqueue_free(struct xtqueue_rules *q);

/* The xt NFQUEUE rule with this handle, or NULL. */
const struct xtqueue_rule *pgnft_xtqueue_find(const struct xtqueue_rules *q,
					      uint64_t handle);

/* "queue flags bypass to 3", "queue to 8-11": nft's text for the same
 * native statement. */
void pgnft_xtqueue_text(const struct xtqueue_rule *r, char *buf, size_t len);

/* {"queue": {"num": 3, "flags": ["bypass"]}} or with "num": {"range":
 * [8, 11]}: nft's JSON for the same native statement; NULL when out of
 * memory. */
json_t *pgnft_xtqueue_json(const struct xtqueue_rule *r);

#endif
