/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QQ/OICQ detector on shared/corpus/qq/ndpi_oicq.pcap (a client,
 * 90.147.69.210, sending to 58.60.10.45:8000), an answer built to the
 * protocol notes, the same framing over TCP, and near misses.
 */
#include "detect_harness.h"

static const struct pg_detector *const qq = &pg_detector_qq;

/* Frame 1: tag 02, version 3b0b, command 0001, sequence 0017, QQ number
 * 561f0c7b, 32 bytes of body (four TEA blocks), tag 03. */
#define QQ_REQ                                                              \
	"023b0b00010017561f0c7b0000000000000000030c949fb3510c59cbd527d19e6953" \
	"482ec8770801030e4703"
/* An answer: same version, command and sequence, no QQ number, two
 * blocks of body. */
#define QQ_ANS "023b0b000100170123456789abcdeffedcba987654321003"

static void test_udp(void)
{
	struct pg_run r;

	const struct pg_step req[] = {C2S_HEX(QQ_REQ)};
	/* The request alone decides, on the servers' port or any other ... */
	check_class("request to 8000", qq, UDP, 60213, 8000, req, 1, PG_SYS_QQ,
		    PG_FEAT_IM, PG_CONF_DECIDE, PG_CONF_DECIDE, 0, &r);
	check_class("request elsewhere", qq, UDP, 60213, 443, req, 1, PG_SYS_QQ,
		    PG_FEAT_IM, PG_CONF_DECIDE, PG_CONF_DECIDE, 0, &r);
	/* ... and an answer echoing command and sequence makes it certain. */
	const struct pg_step both[] = {C2S_HEX(QQ_REQ), S2C_HEX(QQ_ANS)};
	pg_run_all(qq, UDP, 60213, 9000, both, 2, &r);
	CHECK(r.status == PG_DETECT_MATCH && r.result.system == PG_SYS_QQ &&
	      r.result.confidence == PG_CONF_STRONG && r.matched_at == 1);
	/* An answer to another sequence adds nothing. */
	const struct pg_step other_seq[] = {
		C2S_HEX(QQ_REQ),
		S2C_HEX("023b0b000100180123456789abcdeffedcba987654321003")};
	pg_run_all(qq, UDP, 60213, 9000, other_seq, 2, &r);
	CHECK(r.result.confidence == PG_CONF_DECIDE);

	/* Near misses, each one field off. */
	const struct pg_step no_end_tag[] = {C2S_HEX(
		"023b0b00010017561f0c7b0000000000000000030c949fb3510c59cbd527d19e6953"
		"482ec8770801030e4700")};
	EXPECT_STATUS("no end tag", qq, UDP, 60213, 8000, no_end_tag, PG_DETECT_NO);
	const struct pg_step odd_body[] = {C2S_HEX(
		"023b0b00010017561f0c7b0000000000000000030c949fb3510c59cbd527d19e6953"
		"482ec87708010e4703")};
	EXPECT_STATUS("body not whole blocks", qq, UDP, 60213, 8000, odd_body,
		      PG_DETECT_NO);
	const struct pg_step low_number[] = {C2S_HEX(
		"023b0b00010017000000100000000000000000030c949fb3510c59cbd527d19e6953"
		"482ec8770801030e4703")};
	EXPECT_STATUS("QQ number below 10000", qq, UDP, 60213, 8000, low_number,
		      PG_DETECT_NO);
	const struct pg_step big_command[] = {C2S_HEX(
		"023b0b01010017561f0c7b0000000000000000030c949fb3510c59cbd527d19e6953"
		"482ec8770801030e4703")};
	EXPECT_STATUS("command 0x0101", qq, UDP, 60213, 8000, big_command,
		      PG_DETECT_NO);
	/* A WireGuard handshake response (type 2, three zero bytes, 92 bytes)
	 * that happens to end in 03: version 0 rules it out. */
	const struct pg_step wg[] = {C2S_HEX(
		"0200000099d382c5e390c4d5423f06a7ab27e8c863d12e252d7116763db5e9353541"
		"991099d382c5e390c4d5423f06a7ab27e8c863d12e252d7116763db5e93535419910"
		"99d382c5e390c4d5423f06a7ab27e8c863d12e252d711603")};
	EXPECT_STATUS("wireguard", qq, UDP, 51820, 8000, wg, PG_DETECT_NO);
	/* negative/ndpi_dns.pcap: a query. */
	const struct pg_step dns[] = {C2S_HEX(
		"02ea010000010000000000000377777706676f6f676c6503636f6d0000010001")};
	EXPECT_STATUS("dns", qq, UDP, 53412, 53, dns, PG_DETECT_NO);
}

static void test_tcp(void)
{
	/* The same packet with the 16-bit length TCP puts first (46 bytes). */
	const struct pg_step req[] = {C2S_HEX("002e" QQ_REQ)};
	EXPECT_CLASS("tcp request", qq, TCP, 41000, 8000, req, PG_SYS_QQ,
		     PG_FEAT_IM, PG_CONF_DECIDE, 0);
	const struct pg_step both[] = {C2S_HEX("002e" QQ_REQ),
				       S2C_HEX("001a" QQ_ANS)};
	struct pg_run r;
	pg_run_all(qq, TCP, 41000, 443, both, 2, &r);
	CHECK(r.result.system == PG_SYS_QQ && r.result.confidence == PG_CONF_STRONG);
	/* Cut in two, it waits for the rest. */
	const struct pg_step head[] = {C2S_HEX("002e023b0b00010017")};
	EXPECT_STATUS("partial", qq, TCP, 41000, 8000, head, PG_DETECT_MAYBE);
	/* A length that disagrees with the packet. */
	const struct pg_step bad_len[] = {C2S_HEX("002f" QQ_REQ "00")};
	EXPECT_NO("length off by one", qq, TCP, 41000, 8000, bad_len);
	/* The server speaking first is not QQ. */
	const struct pg_step banner[] = {S2C_TXT("220 mail.example.org ESMTP\r\n")};
	EXPECT_NO("server first", qq, TCP, 41000, 25, banner);
	const struct pg_step get[] = {C2S_TXT("GET / HTTP/1.1\r\nHost: a\r\n\r\n")};
	EXPECT_NO("http", qq, TCP, 41000, 80, get);
}

int main(void)
{
	test_udp();
	test_tcp();
	return pg_test_summary("test_detect_qq");
}
