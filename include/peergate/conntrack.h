/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Conntrack netlink: reading and clearing peergate's ct-mark bits, and
 * creating the entry of a flow blocked on its first packet. */
#ifndef PEERGATE_CONNTRACK_H
#define PEERGATE_CONNTRACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Clears the bits of mask in the ct mark of the connection whose original
 * tuple is client -> server (tried as the reply tuple too, for connections
 * seen after NAT).  Other mark bits are kept.  Returns 0, or -1 with errno
 * (ENOENT: no such connection). */
int pg_ct_clear_mark(uint8_t family, uint8_t l4proto, const uint8_t *client,
		     uint16_t client_port, const uint8_t *server,
		     uint16_t server_port, uint32_t mask);

/* Reads the ct mark of the connection client -> server (original tuple,
 * else reply tuple, as above).  Returns 0, or -1 with errno (ENOENT). */
int pg_ct_get_mark(uint8_t family, uint8_t l4proto, const uint8_t *client,
		   uint16_t client_port, const uint8_t *server, uint16_t server_port,
		   uint32_t *mark);

/* Creates a confirmed connection client -> server (original tuple; the
 * reply tuple is its mirror, no NAT) whose ct mark is mark, for timeout_s
 * seconds (the kernel's own timeouts take over at its next packet).  TCP
 * entries start in SYN_SENT.  For a flow blocked on its first packet: the
 * packet's own entry is never confirmed, so without this one the verdict
 * lives nowhere in conntrack, and nothing that replicates conntrack (such
 * as conntrackd) can carry it.  Returns 0, or -1 with errno (EEXIST: the
 * connection exists already and was left as it is). */
int pg_ct_create_marked(uint8_t family, uint8_t l4proto, const uint8_t *client,
			uint16_t client_port, const uint8_t *server, uint16_t server_port,
			uint32_t mark, uint32_t timeout_s);

/* One connection of a dump.  Addresses are 4 or 16 bytes per family. */
struct pg_ct_entry {
	uint8_t family;           /* 4 or 6 */
	uint8_t l4proto;
	uint8_t orig_src[16], orig_dst[16];
	uint16_t orig_sport, orig_dport;
	uint8_t reply_src[16], reply_dst[16];
	uint16_t reply_sport, reply_dport;
	bool has_zone;
	uint16_t zone;
	uint32_t mark;            /* the whole ct mark */
};

/* Returns true to have mask's bits of this connection's ct mark cleared. */
typedef bool (*pg_ct_entry_fn)(const struct pg_ct_entry *e, void *ctx);

struct pg_ct_sweep_result {
	unsigned seen;            /* TCP/UDP connections carrying a code */
	unsigned cleared;         /* of those, mark bits cleared */
	unsigned failures;        /* clears that failed (other than ENOENT) */
};

/* Dumps the TCP and UDP connections whose ct mark holds a peergate code
 * (1..3, see mark.h) in mask's bits, one dump per code filtered by the
 * kernel, and calls fn for each; where fn says so, clears mask's bits of
 * that connection (other bits, and the connection itself, stay).  Returns
 * 0, or -1 with err filled when the table cannot be dumped. */
int pg_ct_sweep_marks(uint32_t mask, pg_ct_entry_fn fn, void *ctx,
		      struct pg_ct_sweep_result *res, char *err, size_t errlen);

#endif
