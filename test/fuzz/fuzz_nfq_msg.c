/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the NFQUEUE socket receives, parsed exactly as the daemon parses it
 * (pg_nfq_rx_start/pg_nfq_rx_next, which nfq.c's receive path calls).  The
 * first input byte is the receive's MSG_TRUNC flag (its low bit); the rest
 * is one datagram, which may hold several netlink messages.  A parsed
 * packet goes on to the IP parser, the daemon's next step.
 *
 * Invariants: the walk ends, packet and payload bytes lie inside the
 * datagram (every one is read, for ASan), orig_len >= len, an error
 * message's errno is 0 or negative... as far as the kernel's is; only the
 * bounds are checked for those.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "peergate/nfq_msg.h"
#include "peergate/packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	bool trunc = data[0] & 1;
	size_t len = size - 1;
	/* The receive buffer is malloc'ed, so netlink headers are aligned;
	 * an exact-size copy lets ASan catch a read past the datagram. */
	uint8_t *buf = malloc(len ? len : 1);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, len);

	struct pg_nfq_rx rx;
	struct pg_nfq_msg m;
	size_t messages = 0;
	volatile uint8_t sink = 0;

	pg_nfq_rx_start(&rx, buf, len, trunc);
	while (pg_nfq_rx_next(&rx, &m)) {
		/* each message takes at least a netlink header */
		if (++messages > len / 16 + 1)
			abort();
		if (m.kind != PG_NFQ_MSG_PACKET)
			continue;
		const struct pg_nfq_packet *p = &m.pkt;
		if (!p->data || p->orig_len < p->len)
			abort();
		if (p->len && (p->data < buf || p->len > len ||
			       (size_t)(p->data - buf) > len - p->len))
			abort();
		uint8_t sum = 0;
		for (size_t i = 0; i < p->len; i++)
			sum ^= p->data[i];
		sink ^= sum;
		struct pg_packet pkt;
		if (pg_packet_parse(p->data, p->len, &pkt) == PG_PARSE_OK &&
		    pkt.payload_len && (pkt.payload < p->data ||
					pkt.payload + pkt.payload_len > p->data + p->len))
			abort();
	}
	free(buf);
	(void)sink;
	return 0;
}
