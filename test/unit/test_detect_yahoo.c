/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Yahoo detectors on bytes taken from the corpus captures
 * (../shared/corpus/yahoo/ws_h.pcap, msn/ws_Sanaullah.pcap), constructed
 * side channels (the corpus has none), constructed peer-connection offers
 * (likewise), and near misses.
 */
#include "detect_harness.h"
#include "ymsg_pdu.h"

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
	check_list_clean("plain http", pg_detectors_paper, TCP, 1606, 80, http,
			 NSTEPS(http));
}

/* ------------------------------------------------------------------------ */
/* Peer-connection offers                                                   */

/*
 * The corpus holds no Yahoo P2P offer (yahoo/ws_h.pcap has one 0x4D
 * PEERTOPEER PDU without an address, frame 53 above; msn/ws_Sanaullah.pcap
 * has none), so these PDUs are built from the documented layout
 * (signatures.md 5.2: 20-byte header, "key C0 80 value C0 80" pairs) with
 * the keys libpurple 2.10.9 writes (equalitie/np1sec,
 * contrib/libpurple-2.10.9/protocols/yahoo/libymsg.c yahoo_send_p2p_pkt,
 * yahoo_filexfer.c yahoo_p2p_ft_server_listen_cb,
 * yahoo_xfer_dns_connected_15, yahoo_process_filetransfer).
 */

/*
 * Runs the YMSG detector on one packet p[0..n).  from_start: the first
 * payload of a flow seen from its handshake (inspection); otherwise a
 * packet of a decided flow that the engine watches for offers (read on its
 * own, without the other direction).
 */
static enum pg_detect_status ymsg_once(const uint8_t *p, size_t n,
				       enum pg_dir dir, bool from_start,
				       struct pg_run *run)
{
	pg_run_start(run, &pg_detector_ymsg, TCP, 3099, 5050,
		     from_start ? PG_RUN_FROM_START : PG_RUN_WATCHED);
	return pg_run_packet(run, dir, p, n);
}

static void check_offer(const char *what, const uint8_t *p, size_t n,
			enum pg_dir dir, bool from_start, enum pg_feature feat,
			const uint8_t ip[4], uint16_t port, enum pg_feature xfeat)
{
	struct pg_run run;
	const struct pg_detect_result *r = &run.result;
	enum pg_detect_status st = ymsg_once(p, n, dir, from_start, &run);
	bool ok = st == PG_DETECT_MATCH && r->system == PG_SYS_YAHOO &&
		  r->feature == feat && r->expect.family == 4 &&
		  memcmp(r->expect.addr, ip, 4) == 0 && r->expect.port == port &&
		  r->expect.system == PG_SYS_YAHOO && r->expect.feature == xfeat;
	if (!ok)
		fprintf(stderr,
			"%s: status %d %s/%s expect family %u %u.%u.%u.%u:%u %s\n",
			what, st, pg_system_name(r->system),
			pg_feature_name(r->feature), r->expect.family,
			r->expect.addr[0], r->expect.addr[1], r->expect.addr[2],
			r->expect.addr[3], r->expect.port,
			pg_feature_name(r->expect.feature));
	CHECK(ok);
}

/* No expectation; when want_match, still a YMSG match with feat. */
static void check_no_offer(const char *what, const uint8_t *p, size_t n,
			   bool want_match, enum pg_feature feat)
{
	struct pg_run run;
	const struct pg_detect_result *r = &run.result;
	enum pg_detect_status st = ymsg_once(p, n, S2C, false, &run);
	bool ok = r->expect.family == 0 &&
		  (want_match ? st == PG_DETECT_MATCH &&
					r->system == PG_SYS_YAHOO &&
					r->feature == feat
			      : st != PG_DETECT_MATCH);
	if (!ok)
		fprintf(stderr, "%s: status %d %s/%s expect family %u\n", what,
			st, pg_system_name(r->system),
			pg_feature_name(r->feature), r->expect.family);
	CHECK(ok);
}

/* 203.0.113.7 as libpurple sends it: 7<<24 | 113<<16 | 0<<8 | 203 =
 * 124846283, "%d" -> "124846283", base64 -> "MTI0ODQ2Mjgz". */
static const uint8_t ip_a[4] = {203, 0, 113, 7};
/* 198.51.100.200: 3362010054, negative through "%d": "-932957242",
 * base64 "LTkzMjk1NzI0Mg==". */
static const uint8_t ip_b[4] = {198, 51, 100, 200};

/* yahoo_send_p2p_pkt's pairs: 1, 4 = us, 12 = our address, 61, 2, 5 =
 * buddy, 13, 49 = "PEERTOPEER"; the server relays it with status 11
 * (YAHOO_STATUS_P2P). */
#define P2P_PAIRS(addr)                                                        \
	{"1", "alice", "4", "alice", "12", addr, "61", "0", "2", "", "5",      \
	 "bob", "13", "0", "49", "PEERTOPEER", NULL}

static void test_offers(void)
{
	uint8_t b[1024];
	size_t n;

	const char *const p2p_a[] = P2P_PAIRS("MTI0ODQ2Mjgz");
	n = ymsg_pdu(b, sizeof(b), 0x004f, 11, p2p_a, 0);
	check_offer("0x4f s2c, watched", b, n, S2C, false, PG_FEAT_IM, ip_a,
		    5101, PG_FEAT_IM);
	check_offer("0x4f s2c, first packet", b, n, S2C, true, PG_FEAT_IM,
		    ip_a, 5101, PG_FEAT_IM);
	const char *const p2p_b[] = P2P_PAIRS("LTkzMjk1NzI0Mg==");
	n = ymsg_pdu(b, sizeof(b), 0x004f, 0, p2p_b, 0);
	check_offer("0x4f c2s, negative %d", b, n, C2S, false, PG_FEAT_IM, ip_b,
		    5101, PG_FEAT_IM);
	/* The same number printed unsigned ("3362010054", base64
	 * "MzM2MjAxMDA1NA=="): the same address. */
	const char *const p2p_u[] = P2P_PAIRS("MzM2MjAxMDA1NA==");
	n = ymsg_pdu(b, sizeof(b), 0x004f, 11, p2p_u, 0);
	check_offer("0x4f unsigned", b, n, S2C, false, PG_FEAT_IM, ip_b, 5101,
		    PG_FEAT_IM);

	/* The most negative "%d" ("-2147483648", base64
	 * "LTIxNDc0ODM2NDg="): 0x80000000, so 0.0.0.128. */
	const char *const p2p_min[] = P2P_PAIRS("LTIxNDc0ODM2NDg=");
	const uint8_t ip_min[4] = {0, 0, 0, 128};
	n = ymsg_pdu(b, sizeof(b), 0x004f, 11, p2p_min, 0);
	check_offer("0x4f INT_MIN", b, n, S2C, false, PG_FEAT_IM, ip_min, 5101,
		    PG_FEAT_IM);

	/* Watched: a message PDU, then the offer, in one packet. */
	const char *const msg[] = {"1", "alice", "5", "bob", "14", "hi", NULL};
	n = ymsg_pdu(b, sizeof(b), 0x0006, 0, msg, 0);
	n += ymsg_pdu(b + n, sizeof(b) - n, 0x004f, 11, p2p_a, 0);
	check_offer("0x4f after a message", b, n, S2C, false, PG_FEAT_IM, ip_a,
		    5101, PG_FEAT_IM);

}

/* File offers: direct transfers announce where to connect, relayed ones
 * and the offer itself do not. */
static void test_file_offers(void)
{
	uint8_t b[1024];
	size_t n;

	/* Y7 transfer, direct: yahoo_p2p_ft_server_listen_cb's pairs
	 * (249 = 1: the sender listens; 2: the receiver listens). */
	const char *const info1[] = {
		"1", "alice", "5", "bob", "265", "AbCdEfGhIjKlMnOpQrStUvWxYz0=",
		"27", "notes.txt", "249", "1", "250",
		"http://192.0.2.33:4443/Messenger.bob.1200000000000notes.txt"
		"?AppID=Messenger&UserID=bob&K=lc9lu2u89gz1llmplwksajkjx",
		NULL};
	const uint8_t ip_c[4] = {192, 0, 2, 33};
	n = ymsg_pdu(b, sizeof(b), 0x00dd, 0, info1, 0);
	check_offer("0xdd 249=1", b, n, C2S, false, PG_FEAT_FILE_TRANSFER,
		    ip_c, 4443, PG_FEAT_FILE_TRANSFER);
	const char *const acc2[] = {
		"1", "bob", "5", "alice", "265", "AbCdEfGhIjKlMnOpQrStUvWxYz0=",
		"27", "notes.txt", "249", "2", "250",
		"http://192.0.2.33:51000/Messenger.alice.1200000000000notes.txt",
		NULL};
	n = ymsg_pdu(b, sizeof(b), 0x00de, 0, acc2, 0);
	check_offer("0xde 249=2", b, n, S2C, true, PG_FEAT_FILE_TRANSFER, ip_c,
		    51000, PG_FEAT_FILE_TRANSFER);
	/* Old-style P2P file offer: 0x4D, 49 = FILEXFER, 20 = the URL (no
	 * port: purple_url_parse's 80). */
	const char *const old[] = {"5", "bob", "4", "alice", "49", "FILEXFER",
				   "20", "http://10.0.0.5/notes.txt", "27",
				   "notes.txt", "28", "1234", NULL};
	const uint8_t ip_d[4] = {10, 0, 0, 5};
	n = ymsg_pdu(b, sizeof(b), 0x004d, 0, old, 0);
	check_offer("0x4d FILEXFER", b, n, S2C, false, PG_FEAT_FILE_TRANSFER,
		    ip_d, 80, PG_FEAT_FILE_TRANSFER);

	/* Relayed Y7 transfer (249 = 3): file-transfer, no expectation. */
	const char *const relay[] = {"1", "alice", "5", "bob", "265", "Xy0=",
				     "27", "notes.txt", "249", "3", "250",
				     "98.136.112.33", NULL};
	n = ymsg_pdu(b, sizeof(b), 0x00dd, 0, relay, 0);
	check_no_offer("0xdd relay", b, n, true, PG_FEAT_FILE_TRANSFER);
	const char *const relay2[] = {"249", "3", "250", "relay.msg.yahoo.com",
				      "251", "tok3n", NULL};
	n = ymsg_pdu(b, sizeof(b), 0x00de, 0, relay2, 0);
	check_no_offer("0xde relay", b, n, true, PG_FEAT_FILE_TRANSFER);
	/* The 0xDC offer itself names no address. */
	const char *const ft[] = {"1", "alice", "5", "bob", "265", "Xy0=",
				  "222", "1", "27", "notes.txt", "28", "1234",
				  NULL};
	n = ymsg_pdu(b, sizeof(b), 0x00dc, 0, ft, 0);
	check_no_offer("0xdc", b, n, true, PG_FEAT_FILE_TRANSFER);
	/* ws_h.pcap frame 53: 0x4D PEERTOPEER without an address. */
	n = pg_hex(y_p2p, b, sizeof(b));
	check_no_offer("ws_h frame 53", b, n, true, PG_FEAT_IM);

}

/* During inspection: the offer split over two packets is taken once the
 * stream holds the whole PDU. */
static void test_offer_split(void)
{
	uint8_t b[1024];
	char hex[2 * 256 + 1];
	const char *const p2p_a[] = P2P_PAIRS("MTI0ODQ2Mjgz");
	size_t n = ymsg_pdu(b, sizeof(b), 0x004f, 11, p2p_a, 0);
	CHECK(n < 256);
	for (size_t i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", b[i]);
	char part1[41];
	memcpy(part1, hex, 40);
	part1[40] = 0;
	const struct pg_step split[] = {{S2C, part1, NULL},
					{S2C, hex + 40, NULL}};
	struct pg_run run;
	check_class("0x4f split", &pg_detector_ymsg, TCP, 3099, 5050, split,
		    NSTEPS(split), PG_SYS_YAHOO, PG_FEAT_IM, PG_CONF_STRONG,
		    100, 1, &run);
	CHECK(run.result.expect.family == 4 &&
	      memcmp(run.result.expect.addr, ip_a, 4) == 0 &&
	      run.result.expect.port == 5101);
}

static void test_offer_near_misses(void)
{
	uint8_t b[1024];
	size_t n;

	/* Key 12 values that are not a usable address: a quad short, a
	 * character outside the alphabet, '=' inside, non-canonical padding
	 * ("MB==": "0" with stray bits), text that is not a number ("abc"),
	 * a sign alone, 0 (0.0.0.0), -1 (255.255.255.255), 2^32, eleven
	 * digits, and empty. */
	static const char *const bad12[] = {
		"MTI0ODQ2Mjg", "MTI0OD*2Mjgz", "MT=0ODQ2Mjgz", "MB==", "YWJj",
		"LQ==", "MA==", "LTE=", "NDI5NDk2NzI5Ng==", "MTI0ODQ2MjgzMDA=",
		"",
	};
	for (size_t i = 0; i < NSTEPS(bad12); i++) {
		const char *const pairs[] = P2P_PAIRS(bad12[i]);
		n = ymsg_pdu(b, sizeof(b), 0x004f, 11, pairs, 0);
		check_no_offer(bad12[i], b, n, true, PG_FEAT_IM);
	}
	/* A value longer than any address encoding. */
	const char *const big[] = P2P_PAIRS("MTI0ODQ2MjgzMTI0ODQ2MjgzMTI0ODQ2Mjgz");
	n = ymsg_pdu(b, sizeof(b), 0x004f, 11, big, 0);
	check_no_offer("long key 12", b, n, true, PG_FEAT_IM);

	/* Truncated pairs: key 12 with no value closing the body. */
	const char *const trunc[] = {"4", "alice", "12", NULL};
	n = ymsg_pdu(b, sizeof(b), 0x004f, 11, trunc, 0);
	check_no_offer("key 12 without value", b, n, true, PG_FEAT_IM);
	/* The value cut inside the PDU: length one short of the pairs. */
	const char *const p2p_a[] = P2P_PAIRS("MTI0ODQ2Mjgz");
	n = ymsg_pdu(b, sizeof(b), 0x004f, 11, p2p_a, -1);
	check_no_offer("length one short", b, n, false, PG_FEAT_ANY);
	/* The header claims more than the packet holds (watched: no
	 * reassembly, so nothing), or a body not closed by C0 80. */
	n = ymsg_pdu(b, sizeof(b), 0x004f, 11, p2p_a, 4);
	check_no_offer("length past the packet", b, n, false, PG_FEAT_ANY);
	n = ymsg_pdu(b, sizeof(b), 0x004f, 11, p2p_a, 0);
	check_no_offer("cut packet", b, n - 3, false, PG_FEAT_ANY);
	/* The offer behind a PDU whose length is wrong: the walk stops. */
	const char *const msg[] = {"1", "alice", "14", "hi", NULL};
	n = ymsg_pdu(b, sizeof(b), 0x0006, 0, msg, 2);
	n += ymsg_pdu(b + n, sizeof(b) - n, 0x004f, 11, p2p_a, 0);
	check_no_offer("after a bad PDU", b, n, false, PG_FEAT_ANY);
	/* The offer not at the start of the packet (mid-PDU bytes first). */
	b[0] = 0x20;
	n = 1 + ymsg_pdu(b + 1, sizeof(b) - 1, 0x004f, 11, p2p_a, 0);
	check_no_offer("not at the start", b, n, false, PG_FEAT_ANY);
	/* Key 12 on another service means nothing. */
	n = ymsg_pdu(b, sizeof(b), 0x0006, 0, p2p_a, 0);
	check_no_offer("key 12 on a message", b, n, true, PG_FEAT_IM);

	/* URL keys: port 0, a port too large, 0.0.0.0, a host name, a host
	 * that only starts like an address, no scheme, a bad octet. */
	static const char *const bad250[] = {
		"http://192.0.2.33:0/Messenger.x",
		"http://192.0.2.33:65536/Messenger.x",
		"http://0.0.0.0:4443/Messenger.x",
		"http://relay.msg.yahoo.com/relay",
		"http://192.0.2.33.example.com:4443/x",
		"192.0.2.33:4443/Messenger.x",
		"http://192.0.2.330:4443/Messenger.x",
		"http://192.0.2.33:/x",
	};
	for (size_t i = 0; i < NSTEPS(bad250); i++) {
		const char *const pairs[] = {"249", "1", "250", bad250[i], NULL};
		n = ymsg_pdu(b, sizeof(b), 0x00dd, 0, pairs, 0);
		check_no_offer(bad250[i], b, n, true, PG_FEAT_FILE_TRANSFER);
	}
	/* A direct URL with 249 other than 1 or 2. */
	const char *const odd249[] = {"249", "12", "250",
				      "http://192.0.2.33:4443/x", NULL};
	n = ymsg_pdu(b, sizeof(b), 0x00de, 0, odd249, 0);
	check_no_offer("249=12", b, n, true, PG_FEAT_FILE_TRANSFER);
	/* 0x4D for an IMVironment carrying a key 20 anyway. */
	const char *const imv[] = {"49", "IMVIRONMENT", "20",
				   "http://10.0.0.5:80/x", NULL};
	n = ymsg_pdu(b, sizeof(b), 0x004d, 0, imv, 0);
	check_no_offer("0x4d IMVIRONMENT", b, n, true, PG_FEAT_FILE_TRANSFER);
}

int main(void)
{
	test_ymsg();
	test_side();
	test_near_misses();
	test_offers();
	test_file_offers();
	test_offer_split();
	test_offer_near_misses();
	return pg_test_summary("test_detect_yahoo");
}
