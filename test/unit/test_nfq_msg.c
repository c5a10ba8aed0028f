/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The NFQUEUE message parser (nfq_msg.c) on datagrams the kernel sent (a
 * 1-byte UDP payload over loopback, and one cut to a 64-byte copy range),
 * several messages in one datagram, and damaged ones. */
#include "check.h"
#include "peergate/nfq_msg.h"

/* nlmsg_len 81: not a multiple of 4, as the kernel sends it (NFQA_PAYLOAD
 * last, unpadded).  Packet id 3, ETH_P_IP, hook 3 (output). */
static const char udp_1byte[] =
	"51000000000300000000000000000000"
	"020000000b0001000000000308000300"
	"080006000000000108000e0000000001"
	"21000a004500001d681e40004011d4af"
	"7f0000017f000001a7e39c400009fe1c"
	"75";

/* copy range 64: NFQA_CAP_LEN 0x594 says the packet had 1428 bytes. */
static const char udp_caplen[] =
	"7c000000000300000000000000000000"
	"020000000b0001000000000b08000300"
	"080006000000000108000d0000000594"
	"08000e000000000144000a0045000594"
	"ae264000401189307f0000017f000001"
	"dd659c40058003947575757575757575"
	"75757575757575757575757575757575"
	"757575757575757575757575";

/* An ACK (error 0) for sequence number 7. */
static const char ack_seq7[] =
	"24000000020000010700000000000000"
	"00000000"
	"1c000000010305000700000000000000";

static size_t walk(const uint8_t *buf, size_t len, bool trunc, struct pg_nfq_msg *out,
		   size_t max)
{
	struct pg_nfq_rx rx;
	size_t n = 0;
	struct pg_nfq_msg m;
	pg_nfq_rx_start(&rx, buf, len, trunc);
	while (pg_nfq_rx_next(&rx, &m) && n < 64) {
		if (n < max)
			out[n] = m;
		n++;
	}
	return n;
}

int main(void)
{
	static uint8_t buf[1024];
	struct pg_nfq_msg m[8];
	size_t len, n;

	len = pg_hex(udp_1byte, buf, sizeof(buf));
	CHECK(len == 81);
	n = walk(buf, len, false, m, 8);
	CHECK(n == 1 && m[0].kind == PG_NFQ_MSG_PACKET);
	CHECK(m[0].pkt.id == 3 && m[0].pkt.hw_protocol == 0x0800 && m[0].pkt.hook == 3);
	CHECK(m[0].pkt.len == 29 && m[0].pkt.orig_len == 29 && m[0].pkt.data == buf + 52);
	CHECK(m[0].pkt.data[0] == 0x45 && m[0].pkt.data[28] == 0x75);
	CHECK(!m[0].pkt.has_ct && m[0].pkt.mark == 0);

	len = pg_hex(udp_caplen, buf, sizeof(buf));
	n = walk(buf, len, false, m, 8);
	CHECK(n == 1 && m[0].kind == PG_NFQ_MSG_PACKET && m[0].pkt.id == 11);
	CHECK(m[0].pkt.len == 64 && m[0].pkt.orig_len == 1428);

	/* packet (padded to 4), ACK, packet: three messages, in order */
	len = pg_hex(udp_1byte, buf, sizeof(buf));
	buf[81] = buf[82] = buf[83] = 0;
	len = 84 + pg_hex(ack_seq7, buf + 84, sizeof(buf) - 84);
	len += pg_hex(udp_caplen, buf + len, sizeof(buf) - len);
	n = walk(buf, len, false, m, 8);
	CHECK(n == 3);
	CHECK(m[0].kind == PG_NFQ_MSG_PACKET && m[0].pkt.id == 3);
	CHECK(m[1].kind == PG_NFQ_MSG_ERROR && m[1].seq == 7 && m[1].error == 0);
	CHECK(m[2].kind == PG_NFQ_MSG_PACKET && m[2].pkt.id == 11);

	/* Cut short with MSG_TRUNC: the id is rescued, nothing else. */
	len = pg_hex(udp_caplen, buf, sizeof(buf));
	n = walk(buf, 60, true, m, 8);
	CHECK(n == 1 && m[0].kind == PG_NFQ_MSG_PACKET_ID && m[0].pkt.id == 11);
	n = walk(buf, 30, true, m, 8);
	CHECK(n == 1 && m[0].kind == PG_NFQ_MSG_PACKET_NO_ID);
	n = walk(buf, 10, true, m, 8);
	CHECK(n == 0);

	/* NFQA_SKB_INFO two bytes short: the library refuses the message,
	 * and the id is still found. */
	len = pg_hex(udp_1byte, buf, sizeof(buf));
	buf[40] = 6;
	n = walk(buf, len, false, m, 8);
	CHECK(n == 1 && m[0].kind == PG_NFQ_MSG_PACKET_ID && m[0].pkt.id == 3);

	/* The last attribute runs past the datagram's end: refused, no read
	 * beyond it (81 bytes; the payload attribute claims 34). */
	len = pg_hex(udp_1byte, buf, sizeof(buf));
	buf[48] = 0x22;
	n = walk(buf, len, false, m, 8);
	CHECK(n == 1 && m[0].kind == PG_NFQ_MSG_PACKET_ID);

	/* nlmsg_len of 2^31 or more: libmnl's own check lets these through
	 * (it compares as int); the walk must stop, not loop or jump. */
	static const uint32_t huge[] = { 0xffffffffu, 0xfffffffcu, 0x80000000u };
	for (size_t i = 0; i < sizeof(huge) / sizeof(huge[0]); i++) {
		len = pg_hex(udp_1byte, buf, sizeof(buf));
		memcpy(buf, &huge[i], 4);
		CHECK(walk(buf, len, false, m, 8) == 0);
	}
	/* shorter than a header, and a zero length */
	len = pg_hex(udp_1byte, buf, sizeof(buf));
	CHECK(walk(buf, 15, false, m, 8) == 0);
	memset(buf, 0, 4);
	CHECK(walk(buf, len, false, m, 8) == 0);
	return pg_test_summary("test_nfq_msg");
}
