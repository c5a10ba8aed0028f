/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the NFQUEUE socket receives, parsed exactly as the daemon parses it
 * (pg_nfq_rx_start/pg_nfq_rx_next, which nfq.c's receive path calls).  The
 * first input byte is the receive's MSG_TRUNC flag (its low bit); the rest
 * is one datagram, which may hold several netlink messages.  A parsed
 * packet goes on to the IP parser, the daemon's next step.
 *
 * Each datagram is parsed twice: from a heap block of exactly its size, so
 * ASan sees any read past it by our code, and placed against a page that
 * is not mapped, so that a read past it faults even inside libmnl and
 * libnetfilter_queue, which are not instrumented.  (The second copy starts
 * 4-aligned, like the receive buffer, so up to 3 bytes lie between a
 * datagram whose length is not a multiple of 4 and that page.)
 *
 * Invariants: the walk ends (every message holds at least a netlink
 * header), a packet's bytes lie inside the datagram (every one is read),
 * orig_len >= len, and the IP parser's payload lies inside the packet.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "peergate/nfq_msg.h"
#include "peergate/packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void parse(const uint8_t *buf, size_t len, bool trunc)
{
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
	(void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	bool trunc = data[0] & 1;
	size_t len = size - 1;
	uint8_t *buf = malloc(len ? len : 1);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, len);
	parse(buf, len, trunc);
	free(buf);

	/* Mapped once: room for any input the replay driver reads (64 KiB),
	 * then the guard page. */
	static uint8_t *room, *guard;
	static size_t room_size;
	if (!room) {
		size_t page = (size_t)sysconf(_SC_PAGESIZE);
		room_size = ((1u << 16) + page - 1) / page * page;
		room = mmap(NULL, room_size + page, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (room == MAP_FAILED || mprotect(room + room_size, page, PROT_NONE) < 0)
			abort();
		guard = room + room_size;
	}
	size_t span = (len + 3) & ~(size_t)3;
	if (span <= room_size) {
		buf = guard - span;
		memcpy(buf, data + 1, len);
		memset(buf + len, 0, span - len);
		parse(buf, len, trunc);
	}
	return 0;
}
