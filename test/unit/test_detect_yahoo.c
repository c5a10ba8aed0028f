/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Yahoo detectors on bytes taken from the corpus captures
 * (../shared/corpus/yahoo/ws_h.pcap, msn/ws_Sanaullah.pcap), constructed
 * side channels (the corpus has none), and near misses.
 */
#include "paper_test.h"

#define C2S PG_DIR_C2S
#define S2C PG_DIR_S2C
#define TCP IPPROTO_TCP

/* yahoo/ws_h.pcap frame 6: 192.168.1.4:3099 -> 68.180.217.19:5050, the
 * first packet seen of a session already logged in: service 0x8A (ping). */
static const char y_ping[] =
	"594d534700100000000b008a000000000047e6ef30c080363831393838c080";
/* frame 53: service 0x4D with key 49 "PEERTOPEER": a direct IM session
 * offer (libpurple's yahoo_p2p.c), not a file. */
static const char y_p2p[] =
	"594d534700100000002f004d000000000047e6ef34c080363831393838c08035c08032"
	"33313231393838c0803133c08033c0803439c08050454552544f50454552c080";
/* frame 90 (S->C): three PDUs back to back (message, two notifications). */
static const char y_three[] =
	"594d534700100000006d0006000000010047e6ef34c0803233313231393838c08031c0"
	"803233313231393838c08035c080363831393838c0803937c08031c0803633c0803b30"
	"c0803634c08030c080323036c08032c0803134c080c3a020c3a0c080343239c0803030"
	"3030303033433745323535414631c080343530c08030c080594d534700100000003f00"
	"4b000000010047e6ef34c0803233313231393838c0803439c080545950494e47c08031"
	"c0803233313231393838c0803134c08020c0803133c08030c08035c080363831393838"
	"c080594d5347001000000040004b000000010047e6ef34c0803233313231393838c080"
	"3439c080545950494e47c08031c0803233313231393838c0803134c08020c0803133c0"
	"8031c08035c080363831393838c08000";
/* msn/ws_Sanaullah.pcap frame 841: YMSG 15, a body ending in C0 80 00. */
static const char y_nul[] =
	"594d5347000f0000000e008a000000000047b90930c08073616e6131363931c08000";

static void test_ymsg(void)
{
	const struct pg_step ping[] = {{C2S, y_ping, NULL}};
	EXPECT_CLASS("ymsg ping", &pg_detector_ymsg, TCP, 3099, 5050, ping,
		     PG_SYS_YAHOO, PG_FEAT_IM, PG_CONF_STRONG, 0);
	const struct pg_step p2p[] = {{C2S, y_p2p, NULL}};
	EXPECT_CLASS("ymsg p2p im", &pg_detector_ymsg, TCP, 3099, 5050, p2p,
		     PG_SYS_YAHOO, PG_FEAT_IM, PG_CONF_STRONG, 0);
	const struct pg_step three[] = {{S2C, y_three, NULL}};
	EXPECT_CLASS("ymsg back to back", &pg_detector_ymsg, TCP, 2918, 5050,
		     three, PG_SYS_YAHOO, PG_FEAT_IM, PG_CONF_CERTAIN, 0);
	const struct pg_step nul[] = {{C2S, y_nul, NULL}};
	EXPECT_CLASS("ymsg trailing nul", &pg_detector_ymsg, TCP, 1036, 5050,
		     nul, PG_SYS_YAHOO, PG_FEAT_IM, PG_CONF_STRONG, 0);
	/* A PDU split over two packets: wait, then match. */
	const struct pg_step split[] = {
		{C2S, "594d534700100000000b008a000000000047e6ef30c080", NULL},
		{C2S, "363831393838c080", NULL},
	};
	EXPECT_CLASS("ymsg split", &pg_detector_ymsg, TCP, 3099, 5050, split,
		     PG_SYS_YAHOO, PG_FEAT_IM, PG_CONF_STRONG, 1);

	/* Login: the first PDU of l7-filter's yahoo-1 sample (signatures.md
	 * 5.2): version 12, service 0x57, key 1 = the user name. */
	const struct pg_step login[] = {
		{C2S, "594d5347000c0000000c005700000000 00000000"
		      "31c080 7961686f6f31 c080", NULL},
	};
	EXPECT_STATUS("ymsg login len", &pg_detector_ymsg, TCP, 1, 5050, login,
		      PG_DETECT_MAYBE);
	const struct pg_step login2[] = {
		{C2S, "594d5347000c0000000b005700000000 00000000"
		      "31c080 7961686f6f31 c080", NULL},
	};
	EXPECT_CLASS("ymsg login", &pg_detector_ymsg, TCP, 1, 5050, login2,
		     PG_SYS_YAHOO, PG_FEAT_LOGIN, PG_CONF_STRONG, 0);
	/* Y7 file transfer (0xDC), voice (0x4A), webcam (0x50).
	 * Constructed: key 5 = peer. */
	const struct pg_step ft[] = {
		{C2S, "594d534700100000000800dc00000000 00000000"
		      "35c080 626f62 c080", NULL},
	};
	EXPECT_CLASS("ymsg file transfer", &pg_detector_ymsg, TCP, 1, 5050, ft,
		     PG_SYS_YAHOO, PG_FEAT_FILE_TRANSFER, PG_CONF_STRONG, 0);
	const struct pg_step voice[] = {
		{C2S, "594d5347001000000008004a00000000 00000000"
		      "35c080 626f62 c080", NULL},
	};
	EXPECT_CLASS("ymsg voice", &pg_detector_ymsg, TCP, 1, 5050, voice,
		     PG_SYS_YAHOO, PG_FEAT_VOICE_VIDEO, PG_CONF_STRONG, 0);
	/* An IM then a file offer in the same packet: the feature wins. */
	const struct pg_step mix[] = {
		{C2S, "594d534700100000000b008a000000000047e6ef30c080363831393838c080"
		      "594d5347001000000008004600000000 00000000"
		      "35c080 626f62 c080", NULL},
	};
	EXPECT_CLASS("ymsg mixed", &pg_detector_ymsg, TCP, 1, 5050, mix,
		     PG_SYS_YAHOO, PG_FEAT_FILE_TRANSFER, PG_CONF_CERTAIN, 0);
}

static void test_side(void)
{
	/* Webcam server connection (signatures.md 5.4). */
	const struct pg_step cam[] = {{C2S, NULL, "<SNDIMG>13\r\n"}};
	EXPECT_CLASS("webcam on 5100", &pg_detector_yahoo_side, TCP, 40000,
		     5100, cam, PG_SYS_YAHOO, PG_FEAT_VOICE_VIDEO,
		     PG_CONF_STRONG, 0);
	struct pg_run run;
	check_class("webcam elsewhere", &pg_detector_yahoo_side, TCP, 40000,
		    80, cam, NSTEPS(cam), PG_SYS_YAHOO, PG_FEAT_VOICE_VIDEO,
		    PG_CONF_WEAK, PG_CONF_WEAK, 0, &run);

	/* The HTTP pager: YMSG in the body of a POST to /notify/. */
	const struct pg_step pager[] = {
		{C2S, NULL, "POST http://shttp.msg.yahoo.com/notify/ HTTP/1.0\r\n"
			    "User-Agent: Mozilla/4.5 [en] (X11; U; FreeBSD 2.2.8-STABLE i386)\r\n"
			    "Host: shttp.msg.yahoo.com\r\n"
			    "Content-Length: 40\r\nAccept: application/octet-stream\r\n\r\n"},
	};
	check_class("http pager", &pg_detector_yahoo_side, TCP, 40000, 80,
		    pager, NSTEPS(pager), PG_SYS_YAHOO, PG_FEAT_HTTP_TUNNEL,
		    PG_CONF_STRONG, 100, 0, &run);
	CHECK(run.result.host_len == strlen("shttp.msg.yahoo.com"));

	/* File transfer through the server and through the relay. */
	const struct pg_step notifyft[] = {
		{C2S, NULL, "POST http://filetransfer.msg.yahoo.com:80/notifyft HTTP/1.0\r\n"
			    "Cookie: Y=v=1&n=abc; T=z=def\r\n"
			    "Host: filetransfer.msg.yahoo.com:80\r\n"
			    "Content-length: 2000\r\nCache-Control: no-cache\r\n\r\n"},
	};
	EXPECT_CLASS("notifyft", &pg_detector_yahoo_side, TCP, 40000, 80,
		     notifyft, PG_SYS_YAHOO, PG_FEAT_FILE_TRANSFER,
		     PG_CONF_STRONG, 0);
	const struct pg_step relay[] = {
		{C2S, NULL, "POST /relay?token=a1b2c3&sender=alice&recver=bob HTTP/1.1\r\n"
			    "User-Agent: Mozilla/5.0\r\nHost: 98.136.112.33\r\n"
			    "Content-Length: 3000\r\nCache-Control: no-cache\r\n\r\n"},
	};
	EXPECT_CLASS("relay", &pg_detector_yahoo_side, TCP, 40000, 80, relay,
		     PG_SYS_YAHOO, PG_FEAT_FILE_TRANSFER, PG_CONF_STRONG, 0);
	/* The path alone, on a host that is not Yahoo's: weak. */
	const struct pg_step notify[] = {
		{C2S, NULL, "POST /notify/ HTTP/1.1\r\nHost: example.org\r\n\r\n"},
	};
	check_class("notify elsewhere", &pg_detector_yahoo_side, TCP, 40000,
		    80, notify, NSTEPS(notify), PG_SYS_YAHOO,
		    PG_FEAT_HTTP_TUNNEL, PG_CONF_WEAK, PG_CONF_WEAK, 0, &run);
}

static void test_near_misses(void)
{
	/* "YMSG" with a length that overshoots the next PDU. */
	const struct pg_step len[] = {
		{C2S, "594d534700100000000a008a000000000047e6ef30c080363831393838c080", NULL},
	};
	EXPECT_STATUS("ymsg wrong length", &pg_detector_ymsg, TCP, 1, 5050, len,
		      PG_DETECT_MAYBE);
	const struct pg_step len2[] = {
		{C2S, "594d534700100000000a008a000000000047e6ef30c080363831393838c080", NULL},
		{S2C, "00", NULL}, {S2C, "00", NULL}, {S2C, "00", NULL},
		{C2S, "00", NULL},
	};
	EXPECT_STATUS("ymsg wrong length, later", &pg_detector_ymsg, TCP, 1,
		      5050, len2, PG_DETECT_NO);
	/* A body not closed by C0 80. */
	const struct pg_step body[] = {
		{C2S, "594d534700100000000b008a000000000047e6ef30c080363831393838c081", NULL},
		{C2S, "00", NULL}, {C2S, "00", NULL}, {C2S, "00", NULL},
		{C2S, "00", NULL},
	};
	EXPECT_STATUS("ymsg body", &pg_detector_ymsg, TCP, 1, 5050, body,
		      PG_DETECT_NO);
	/* Version 0 and service 0. */
	const struct pg_step ver[] = {
		{C2S, "594d534700000000000000000000000000000000", NULL},
		{C2S, "00", NULL}, {C2S, "00", NULL}, {C2S, "00", NULL},
		{C2S, "00", NULL},
	};
	EXPECT_STATUS("ymsg version 0", &pg_detector_ymsg, TCP, 1, 5050, ver,
		      PG_DETECT_NO);
	/* A webcam-like tag that is not one. */
	const struct pg_step tag[] = {{C2S, NULL, "<SNDXXX>\r\n"}};
	EXPECT_STATUS("not a webcam tag", &pg_detector_yahoo_side, TCP, 1, 5100,
		      tag, PG_DETECT_NO);
	/* negative/cs_http_google.pcapng: a plain browser request. */
	const struct pg_step http[] = {
		{C2S, NULL, "GET / HTTP/1.1\r\nHost: www.google.com\r\n"
			    "User-Agent: Mozilla/5.0 (Windows; U; Windows NT 6.1; "
			    "en-US; rv:1.9.1.7) Gecko/20091221 Firefox/3.5.7\r\n"
			    "Connection: keep-alive\r\n\r\n"},
	};
	EXPECT_STATUS("plain http", &pg_detector_yahoo_side, TCP, 1, 80, http,
		      PG_DETECT_NO);
	check_no_paper_match("plain http", TCP, 1606, 80, http, NSTEPS(http));
}

int main(void)
{
	test_ymsg();
	test_side();
	test_near_misses();
	return pg_test_summary("test_detect_yahoo");
}
