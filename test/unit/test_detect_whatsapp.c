/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * WhatsApp detector on shared/corpus/whatsapp captures (ndpi_whatsapp.pcap,
 * ndpi_whatsapp_login_chat.pcap, ndpi_whatsapp_voice_and_message.pcap),
 * near misses and negative bytes.
 */
#include "detect_harness.h"

static const struct pg_detector *const wa = &pg_detector_whatsapp;

static void test_prologues(void)
{
	struct pg_run r;
	/* ndpi_whatsapp.pcap stream 0: "ED\0\1" in a packet of its own
	 * (frame 3), then routing bytes, "WA\5\2" and the first Noise frame
	 * (frame 4, first 40 bytes). */
	const struct pg_step edge[] = {
		C2S_HEX("45440001"),
		C2S_HEX("000004080908025741050200010e128b020a2038fbfa95e5bc0826562c2952"
			"514662f3bbff26266b"),
	};
	pg_run_detector(wa, TCP, 44804, 5222, edge, 1, &r);
	CHECK(r.status == PG_DETECT_MAYBE);
	check_class("edge + noise", wa, TCP, 44804, 5222, edge, 2,
		    PG_SYS_WHATSAPP, PG_FEAT_IM, PG_CONF_STRONG,
		    PG_CONF_CERTAIN, -1, &r);

	/* ndpi_whatsapp_login_chat.pcap frame 8: the old "WA\1\5" FunXMPP
	 * opening (first 60 bytes). */
	const struct pg_step old[] = {C2S_HEX(
		"5741010500001af80501a59189fc126950686f6e652d322e31322e322d3532323200"
		"0019f8029cf804f801fc0770726976616379f80180f80140f801")};
	check_class("WA 1.5", wa, TCP, 49206, 5222, old, 1, PG_SYS_WHATSAPP,
		    PG_FEAT_IM, PG_CONF_STRONG, PG_CONF_CERTAIN, -1, &r);
	/* ndpi_whatsapp_voice_and_message.pcap frame 86, on 443 too. */
	const struct pg_step android[] = {C2S_HEX(
		"57410105000017f80501a59189fc0f416e64726f69642d322e31322e3834000019f802")};
	check_class("WA 1.5 android", wa, TCP, 44819, 443, android, 1,
		    PG_SYS_WHATSAPP, PG_FEAT_IM, PG_CONF_STRONG,
		    PG_CONF_CERTAIN, -1, &r);
}

static void test_near_misses(void)
{
	/* "ED" then the wrong version bytes. */
	const struct pg_step ed[] = {C2S_HEX("4544000200000408090802574105")};
	check_status("ED\\0\\2", wa, TCP, 40000, 5222, ed, 1, PG_DETECT_NO);
	/* The edge prologue followed by something other than "WA". */
	const struct pg_step nowa[] = {C2S_HEX("4544000100000408090802414105020001")};
	check_status("edge without WA", wa, TCP, 40000, 5222, nowa, 1,
		     PG_DETECT_NO);
	/* Text that happens to start with "WA". */
	const struct pg_step text[] = {C2S_TXT("WAIT 10 seconds\r\n")};
	check_status("WA text", wa, TCP, 40000, 5222, text, 1, PG_DETECT_NO);
	/* The server's bare frame proves nothing; a server talking first
	 * rules WhatsApp out. */
	const struct pg_step srv[] = {S2C_HEX(
		"000005f803013a91000003f8019c80003d55ed0e1cc445a3a249e09a42774ad4")};
	check_status("server first", wa, TCP, 49206, 5222, srv, 1,
		     PG_DETECT_NO);
	/* negative/arkime_tls13.pcap and an HTTP request. */
	const struct pg_step tls[] = {C2S_HEX("1603010200010001fc03034355d402c1")};
	check_status("tls", wa, TCP, 62510, 443, tls, 1, PG_DETECT_NO);
	const struct pg_step http[] = {C2S_TXT("GET / HTTP/1.1\r\n\r\n")};
	check_status("http", wa, TCP, 62510, 80, http, 1, PG_DETECT_NO);
}

int main(void)
{
	test_prologues();
	test_near_misses();
	return pg_test_summary("test_detect_whatsapp");
}
