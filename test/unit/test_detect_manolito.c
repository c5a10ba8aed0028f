/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Manolito detector on datagrams of shared/corpus/manolito/ws_Manolito2.cap
 * (a Piolet 1.0.5 client, 81.131.67.131:1867, and peers on UDP 41170).
 * The harness's flow runs 192.0.2.1 -> 198.51.100.7, so the two address
 * fields of each datagram (offsets 8 and 12) are rewritten to those
 * addresses (c0000201, c6336407), the way the client writes its own and its
 * peer's; everything else is as captured.
 */
#include "detect_harness.h"

static const struct pg_detector *const mano = &pg_detector_manolito;

/* To 69.119.207.247:41170: options 000100, 0x32 bytes of fields: SF, SK,
 * NC (numbers), CN "Piolet", CV "1.0.5", VL "Modem". */
#define MANO_HELLO                                                           \
	"d0fc000000000406c0000201c63364070001003253460003000033534b000500000000" \
	"004e4300020009434e010650696f6c657443560105312e302e35564c01054d6f64656d"
/* To 68.89.68.224:41170: a ping, forwarded address zero, no fields. */
#define MANO_PING "b0a800000000040300000000c633640703000000"

static void test_manolito(void)
{
	const struct pg_step hello[] = {C2S_HEX(MANO_HELLO)};
	EXPECT_CLASS("hello", mano, UDP, 1867, 41170, hello, PG_SYS_MANOLITO,
		     PG_FEAT_NETWORK, PG_CONF_STRONG, 0);
	const struct pg_step ping[] = {C2S_HEX(MANO_PING)};
	EXPECT_CLASS("ping", mano, UDP, 1867, 41170, ping, PG_SYS_MANOLITO,
		     PG_FEAT_NETWORK, PG_CONF_DECIDE, 0);
	/* The 19-byte form: three option bytes. */
	const struct pg_step short_ping[] = {
		C2S_HEX("ceef0000000004b3c0000201c6336407000000")};
	EXPECT_CLASS("short ping", mano, UDP, 1867, 41170, short_ping,
		     PG_SYS_MANOLITO, PG_FEAT_NETWORK, PG_CONF_DECIDE, 0);
	/* An answer from the peer names the client as destination (here the
	 * address the gateway sees; behind NAT the forwarded field does). */
	const struct pg_step answer[] = {
		S2C_HEX("de5b00000002ebb900000000c000020104000000")};
	EXPECT_CLASS("answer", mano, UDP, 1867, 41170, answer, PG_SYS_MANOLITO,
		     PG_FEAT_NETWORK, PG_CONF_DECIDE, 0);
	const struct pg_step nat_answer[] = {
		S2C_HEX("de5b00000002ebb9c6336407cb00710904000000")};
	EXPECT_CLASS("answer through NAT", mano, UDP, 1867, 41170, nat_answer,
		     PG_SYS_MANOLITO, PG_FEAT_NETWORK, PG_CONF_DECIDE, 0);

	/* Near misses: the same datagrams addressed elsewhere, with the field
	 * count one off, with a field that overruns, with the zero bytes set. */
	const struct pg_step elsewhere[] = {
		C2S_HEX("b0a800000000040300000000445944e003000000")};
	EXPECT_STATUS("other address", mano, UDP, 1867, 41170, elsewhere,
		      PG_DETECT_NO);
	const struct pg_step count_off[] = {C2S_HEX(
		"d0fc000000000406c0000201c63364070001003353460003000033534b000500000000"
		"004e4300020009434e010650696f6c657443560105312e302e35564c01054d6f64656d")};
	EXPECT_STATUS("field count", mano, UDP, 1867, 41170, count_off,
		      PG_DETECT_NO);
	const struct pg_step overrun[] = {C2S_HEX(
		"d0fc000000000406c0000201c63364070001003253460003000033534b000500000000"
		"004e4300020009434e010650696f6c657443560105312e302e35564c01064d6f64656d")};
	EXPECT_STATUS("field overrun", mano, UDP, 1867, 41170, overrun,
		      PG_DETECT_NO);
	const struct pg_step not_zero[] = {
		C2S_HEX("b0a801000000040300000000c633640703000000")};
	EXPECT_STATUS("checksum high bytes", mano, UDP, 1867, 41170, not_zero,
		      PG_DETECT_NO);
	/* A STUN binding request is 20 bytes with zeros at 2..3: its
	 * transaction id does not name the server. */
	const struct pg_step stun[] = {
		C2S_HEX("000100002112a442b7e7a701bc34d686fa87dfae")};
	EXPECT_STATUS("stun", mano, UDP, 50000, 3478, stun, PG_DETECT_NO);
	/* negative/ndpi_dns.pcap: a query. */
	const struct pg_step dns[] = {C2S_HEX(
		"02ea010000010000000000000377777706676f6f676c6503636f6d0000010001")};
	EXPECT_STATUS("dns", mano, UDP, 53412, 53, dns, PG_DETECT_NO);
}

int main(void)
{
	test_manolito();
	return pg_test_summary("test_detect_manolito");
}
