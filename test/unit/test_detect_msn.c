/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * MSN detectors on bytes taken from the corpus captures
 * (../shared/corpus/msn, negative), plus constructed invitations (the
 * corpus has none) and near misses.
 */
#include <stdio.h>

#include "detect_harness.h"

/* msn/ws_msnms.pcap, 192.168.1.14:1176 (capture starts mid-session):
 * typing notifications, "MSG trid U 89" and an 89-byte MIME body. */
static const char msn_typing1[] =
	"4d534720373720552038390d0a4d494d452d56657273696f6e3a20312e300d0a436f6e"
	"74656e742d547970653a20746578742f782d6d736d736773636f6e74726f6c0d0a5479"
	"70696e67557365723a206a756a7572697573406d736e2e636f6d0d0a0d0a0d0a";
static const char msn_typing2[] =
	"4d534720373820552038390d0a4d494d452d56657273696f6e3a20312e300d0a436f6e"
	"74656e742d547970653a20746578742f782d6d736d736773636f6e74726f6c0d0a5479"
	"70696e67557365723a206a756a7572697573406d736e2e636f6d0d0a0d0a0d0a";
/* msn/ws_Sanaullah.pcap, 65.54.172.81:1863 -> client (S->C only):
 * "NLN NLN 1:riazuldu@hotmail.com ..." then "UBX ... 85" with XML. */
static const char msn_nln[] =
	"4e4c4e204e4c4e20313a7269617a756c647540686f746d61696c2e636f6d205269617a"
	"756c20313037343030343030343a31363438363420300d0a";
static const char msn_ubx[] =
	"55425820313a7269617a756c647540686f746d61696c2e636f6d2038350d0a3c446174"
	"613e3c5573657254696c654c6f636174696f6e3e3c2f5573657254696c654c6f636174"
	"696f6e3e3c467269656e646c794e616d653e5269617a756c3c2f467269656e646c794e"
	"616d653e3c2f446174613e";
/* msn/ws_Sanaullah.pcap frame 1246: an MSNSLP INVITE inside
 * application/x-msnmsgrp2p for a display picture (EUF-GUID A4268EEC):
 * part of IM, not a feature. */
static const char msn_p2p_dp[] =
	"4d5347207269617a756c647540686f746d61696c2e636f6d205269617a756c20373730"
	"0d0a4d494d452d56657273696f6e3a20312e300d0a436f6e74656e742d547970653a20"
	"6170706c69636174696f6e2f782d6d736e6d7367727032700d0a5032502d446573743a"
	"206974735f6173646171756540686f746d61696c2e636f6d0d0a0d0a00000000cf6300"
	"0000000000000000006e020000000000006e02000000000000404b0000000000000000"
	"000000000000494e56495445204d534e4d5347523a6974735f6173646171756540686f"
	"746d61696c2e636f6d204d534e534c502f312e300d0a546f3a203c6d736e6d7367723a"
	"6974735f6173646171756540686f746d61696c2e636f6d3e0d0a46726f6d3a203c6d73"
	"6e6d7367723a7269617a756c647540686f746d61696c2e636f6d3e0d0a5669613a204d"
	"534e534c502f312e302f544c50203b6272616e63683d7b33334646333436312d383641"
	"422d313233312d313834332d3637424631434543343132447d0d0a435365713a20300d"
	"0a43616c6c2d49443a207b31343142374339412d333731452d333332342d343334432d"
	"3546353639313036393041377d0d0a4d61782d466f7277617264733a20300d0a436f6e"
	"74656e742d547970653a206170706c69636174696f6e2f782d6d736e6d7367722d7365"
	"7373696f6e726571626f64790d0a436f6e74656e742d4c656e6774683a203237360d0a"
	"0d0a4555462d475549443a207b41343236384545432d464543352d343945352d393543"
	"332d4631323636393642444246367d0d0a53657373696f6e49443a2032373634380d0a"
	"41707049443a20310d0a436f6e746578743a205047317a626d396961694244636d5668"
	"6447397950534a7064484e6659584e6b595846315a55426f6233527459576c734c6d4e"
	"766253496755326c365a5430694d6a63314d53496756486c775a5430694d7949675447"
	"396a5958527062323439496a416949455a79615756755a47783550534a6b51554a6f51"
	"556476515546425154306949464e495154464550534a57656a59725530745a5247704d"
	"5546646b616d73356258553163544e42527a5a7856466b394969382b0d0a0d0a000000"
	"0000";

/* Negative captures: an FTP session (negative/ndpi_ftp.pcap) and an SMTP
 * session (negative/ndpi_smtp.pcap) whose replies have three-digit codes. */
static const char ftp_220[] = "323230202876734654506420332e302e33290d0a";
static const char ftp_user[] = "5553455220616e6f6e796d6f75730d0a";
static const char ftp_331[] =
	"33333120506c656173652073706563696679207468652070617373776f72642e0d0a";
static const char ftp_pass[] = "50415353204e63465450400d0a";
static const char smtp_220[] =
	"32323020706967656f6e2e65797269652e61662e6d696c2045534d54502053656e646d"
	"61696c20382e382e372f382e382e373b205361742c20372041756720313939392030383a"
	"32303a3131202d303430300d0a";
static const char smtp_ehlo[] = "45484c4f2064656c74612e70656163682e6d696c0d0a";
static const char smtp_500[] = "35303020436f6d6d616e6420756e7265636f676e697a65640d0a";

static void test_switchboard(void)
{
	/* msn/ppa_msnms.pcap, the first packet of the switchboard session. */
	const struct pg_step usr[] = {
		{C2S, NULL, "USR 93 tesla_brian@hotmail.com 1835953129.20013021.2623242\r\n"},
	};
	EXPECT_CLASS("sb usr", &pg_detector_msn, TCP, 3331, 1863, usr,
		     PG_SYS_MSN, PG_FEAT_IM, PG_CONF_STRONG, 0);
	/* msn/ws_msnms.pcap, 192.168.1.14:1208: the answering side. */
	const struct pg_step ans[] = {
		{C2S, NULL, "ANS 89 jujurius@msn.com 1115371039.15845 17069658\r\n"},
	};
	EXPECT_CLASS("sb ans", &pg_detector_msn, TCP, 1208, 1863, ans,
		     PG_SYS_MSN, PG_FEAT_IM, PG_CONF_STRONG, 0);
	/* Two typing notifications mid-session: one payload command whose
	 * length lands on the packet end decides; two are strong. */
	const struct pg_step typing[] = {
		{C2S, msn_typing1, NULL},
		{C2S, msn_typing2, NULL},
	};
	struct pg_run run;
	check_class("sb typing", &pg_detector_msn, TCP, 1176, 1863, typing, 1,
		    PG_SYS_MSN, PG_FEAT_IM, PG_CONF_DECIDE, PG_CONF_DECIDE, 0,
		    &run);
	struct pg_run all;
	const struct pg_detect_result *r = &all.result;
	CHECK(pg_run_all(&pg_detector_msn, TCP, 1176, 1863, typing,
			 NSTEPS(typing), &all) == PG_DETECT_MATCH);
	CHECK(r->feature == PG_FEAT_IM && r->confidence == PG_CONF_STRONG);
	/* A display-picture invitation is IM. */
	const struct pg_step dp[] = {{S2C, msn_p2p_dp, NULL}};
	EXPECT_CLASS("sb p2p display picture", &pg_detector_msn, TCP, 1318,
		     1863, dp, PG_SYS_MSN, PG_FEAT_IM, PG_CONF_DECIDE, 0);
}

static void test_notification(void)
{
	/* msn/ws_es.pcap: keep-alive ping and its answer. */
	const struct pg_step png[] = {
		{C2S, NULL, "PNG\r\n"},
		{S2C, NULL, "QNG 46\r\n"},
	};
	EXPECT_CLASS("ns png/qng", &pg_detector_msn, TCP, 50537, 1863, png,
		     PG_SYS_MSN, PG_FEAT_IM, PG_CONF_STRONG, 1);
	const struct pg_step ping_only[] = {{C2S, NULL, "PNG\r\n"}};
	EXPECT_STATUS("ns png alone", &pg_detector_msn, TCP, 50537, 1863,
		      ping_only, PG_DETECT_MAYBE);
	/* msn/ws_Sanaullah.pcap: presence then a UBX payload command. */
	const struct pg_step nln[] = {
		{S2C, msn_nln, NULL},
		{S2C, msn_ubx, NULL},
	};
	EXPECT_CLASS("ns nln/ubx", &pg_detector_msn, TCP, 1055, 1863, nln,
		     PG_SYS_MSN, PG_FEAT_IM, PG_CONF_STRONG, 1);

	/* Login (signatures.md 4.2, the hypothetic.org example session). */
	const struct pg_step ver[] = {
		{C2S, NULL, "VER 1 MSNP8 CVR0\r\n"},
	};
	EXPECT_CLASS("ns ver", &pg_detector_msn, TCP, 40000, 1863, ver,
		     PG_SYS_MSN, PG_FEAT_LOGIN, PG_CONF_CERTAIN, 0);
	const struct pg_step ver_old[] = {
		{C2S, NULL, "VER 1 MSNP7 MSNP6 MSNP5 MSNP4 CVR0\r\n"},
		{S2C, NULL, "VER 1 MSNP7 CVR0\r\n"},
	};
	EXPECT_CLASS("ns ver old", &pg_detector_msn, TCP, 40000, 80, ver_old,
		     PG_SYS_MSN, PG_FEAT_LOGIN, PG_CONF_CERTAIN, 0);
	const struct pg_step usr_md5[] = {
		{C2S, NULL, "USR 3 MD5 I example@passport.com\r\n"},
	};
	EXPECT_CLASS("ns usr md5", &pg_detector_msn, TCP, 40000, 1863, usr_md5,
		     PG_SYS_MSN, PG_FEAT_LOGIN, PG_CONF_CERTAIN, 0);
}

/* "MSG <trid> N <len>\r\n" + body, into buf. */
static const char *msg(char *buf, size_t cap, const char *head,
		       const char *body)
{
	snprintf(buf, cap, "%s %zu\r\n%s", head, strlen(body), body);
	return buf;
}

static void test_invitations(void)
{
	char b1[1024], b2[1024];
	/* Legacy file transfer invitation and the ACCEPT that names where
	 * to connect (signatures.md 4.3; hypothetic.org filetransfer). */
	const struct pg_step ft[] = {
		{C2S, NULL, msg(b1, sizeof(b1), "MSG 5 N",
				"MIME-Version: 1.0\r\n"
				"Content-Type: text/x-msmsgsinvite; charset=UTF-8\r\n"
				"\r\n"
				"Application-Name: File Transfer\r\n"
				"Application-GUID: {5D3E02AB-6190-11d3-BBBB-00C04F795683}\r\n"
				"Invitation-Command: INVITE\r\n"
				"Invitation-Cookie: 18271\r\n"
				"Application-File: notes.txt\r\n"
				"Application-FileSize: 1024\r\n\r\n")},
		{S2C, NULL, msg(b2, sizeof(b2), "MSG bob@example.com Bob",
				"MIME-Version: 1.0\r\n"
				"Content-Type: text/x-msmsgsinvite; charset=UTF-8\r\n"
				"\r\n"
				"Invitation-Command: ACCEPT\r\n"
				"Invitation-Cookie: 18271\r\n"
				"IP-Address: 192.0.2.55\r\n"
				"Port: 6891\r\n"
				"AuthCookie: 1938274\r\n"
				"Launch-Application: FALSE\r\n"
				"Request-Data: IP-Address:\r\n\r\n")},
	};
	struct pg_run all;
	const struct pg_detect_result *r = &all.result;
	CHECK(pg_run_all(&pg_detector_msn, TCP, 40000, 1863, ft, NSTEPS(ft),
			 &all) == PG_DETECT_MATCH);
	CHECK(r->system == PG_SYS_MSN && r->feature == PG_FEAT_FILE_TRANSFER);
	static const uint8_t ip[4] = {192, 0, 2, 55};
	CHECK(r->expect.family == 4 && memcmp(r->expect.addr, ip, 4) == 0 &&
	      r->expect.port == 6891 && r->expect.feature == PG_FEAT_FILE_TRANSFER);

	/* Whiteboard, remote assistance and NetMeeting invitations. */
	static const struct {
		const char *guid;
		enum pg_feature feat;
	} apps[] = {
		{"{1DF57D09-637A-4ca5-91B9-2C3EDAAF62FE}", PG_FEAT_WHITEBOARD},
		{"{56b994a7-380f-410b-9985-c809d78c1bdc}", PG_FEAT_REMOTE_ASSISTANCE},
		{"{44BBA842-CC51-11CF-AAFA-00AA00B6015C}", PG_FEAT_APP_SHARING},
		{"{02D3C01F-BF30-4825-A83A-DE7AF41648AA}", PG_FEAT_VOICE_VIDEO},
	};
	for (size_t i = 0; i < NSTEPS(apps); i++) {
		char body[512];
		snprintf(body, sizeof(body),
			 "MIME-Version: 1.0\r\n"
			 "Content-Type: text/x-msmsgsinvite; charset=UTF-8\r\n\r\n"
			 "Application-GUID: %s\r\n"
			 "Invitation-Command: INVITE\r\nInvitation-Cookie: 7\r\n\r\n",
			 apps[i].guid);
		const struct pg_step s[] = {
			{C2S, NULL, msg(b1, sizeof(b1), "MSG 9 N", body)},
		};
		EXPECT_CLASS("legacy app invite", &pg_detector_msn, TCP, 40000,
			     1863, s, PG_SYS_MSN, apps[i].feat, PG_CONF_DECIDE, 0);
	}

}

/* MSNSLP: a file transfer session request, then the transport answer with
 * the listening address (signatures.md 4.3). */
static void test_msnslp(void)
{
	char b1[1024], b2[1024];
	const struct pg_step slp[] = {
		{C2S, NULL, msg(b1, sizeof(b1), "MSG 10 D",
				"MIME-Version: 1.0\r\n"
				"Content-Type: application/x-msnmsgrp2p\r\n"
				"P2P-Dest: bob@example.com\r\n\r\n"
				"INVITE MSNMSGR:bob@example.com MSNSLP/1.0\r\n"
				"Content-Type: application/x-msnmsgr-sessionreqbody\r\n\r\n"
				"EUF-GUID: {5D3E02AB-6190-11D3-BBBB-00C04F795683}\r\n"
				"SessionID: 94\r\nAppID: 2\r\n\r\n")},
		{S2C, NULL, msg(b2, sizeof(b2), "MSG bob@example.com Bob",
				"MIME-Version: 1.0\r\n"
				"Content-Type: application/x-msnmsgrp2p\r\n"
				"P2P-Dest: alice@example.com\r\n\r\n"
				"MSNSLP/1.0 200 OK\r\n"
				"Content-Type: application/x-msnmsgr-transrespbody\r\n\r\n"
				"Bridge: TCPv1\r\nListening: true\r\n"
				"IPv4Internal-Addrs: 10.1.2.3\r\n"
				"IPv4Internal-Port: 1901\r\n\r\n")},
	};
	struct pg_run all;
	const struct pg_detect_result *r = &all.result;
	CHECK(pg_run_all(&pg_detector_msn, TCP, 40000, 1863, slp, NSTEPS(slp),
			 &all) == PG_DETECT_MATCH);
	static const uint8_t ip2[4] = {10, 1, 2, 3};
	CHECK(r->feature == PG_FEAT_FILE_TRANSFER && r->expect.family == 4 &&
	      memcmp(r->expect.addr, ip2, 4) == 0 && r->expect.port == 1901);
}

static void test_side_channels(void)
{
	/* MSNFTP (signatures.md 4.4). */
	const struct pg_step ftp[] = {
		{C2S, NULL, "VER MSNFTP\r\n"},
		{S2C, NULL, "VER MSNFTP\r\n"},
	};
	EXPECT_CLASS("msnftp", &pg_detector_msn, TCP, 40000, 6891, ftp,
		     PG_SYS_MSN, PG_FEAT_FILE_TRANSFER, PG_CONF_STRONG, 0);
	/* MSNP2P direct connection: "foo" then the 48-byte nonce packet. */
	const struct pg_step foo[] = {
		{C2S, "04000000666f6f00", NULL},
		{C2S, "30000000" "000000000000000000000000000000000000000000000000"
		      "000000000000000000000000000000000000000000000000", NULL},
	};
	struct pg_run all;
	const struct pg_detect_result *r = &all.result;
	CHECK(pg_run_all(&pg_detector_msn, TCP, 40000, 5555, foo, NSTEPS(foo),
			 &all) == PG_DETECT_MATCH);
	CHECK(r->feature == PG_FEAT_FILE_TRANSFER && r->confidence == PG_CONF_STRONG);

	/* The HTTP gateway (signatures.md 4.5). */
	const struct pg_step gw[] = {
		{C2S, NULL,
		 "POST http://gateway.messenger.hotmail.com/gateway/gateway.dll?"
		 "Action=open&Server=NS&IP=messenger.hotmail.com HTTP/1.1\r\n"
		 "Accept: */*\r\nContent-Type: application/x-msn-messenger\r\n"
		 "User-Agent: MSMSGS\r\nHost: gateway.messenger.hotmail.com\r\n"
		 "Content-Length: 18\r\n\r\nVER 5 MSNP8 CVR0\r\n"},
	};
	struct pg_run run;
	check_class("http gateway", &pg_detector_msn_http, TCP, 40000, 80, gw,
		    NSTEPS(gw), PG_SYS_MSN, PG_FEAT_HTTP_TUNNEL, PG_CONF_STRONG,
		    100, 0, &run);
	CHECK(run.result.host_len == strlen("gateway.messenger.hotmail.com") &&
	      memcmp(run.result.host, "gateway.messenger.hotmail.com",
		     run.result.host_len) == 0);
	const struct pg_step gw_resp[] = {
		{C2S, NULL, "POST /gateway/gateway.dll?SessionID=17.2 HTTP/1.1\r\n"},
		{S2C, NULL, "HTTP/1.1 200 OK\r\n"
			    "X-MSN-Messenger: SessionID=17.3; GW-IP=207.46.110.11\r\n"
			    "Content-Type: application/x-msn-messenger\r\n"
			    "Content-Length: 0\r\n\r\n"},
	};
	EXPECT_CLASS("http gateway response", &pg_detector_msn_http, TCP, 40000,
		     80, gw_resp, PG_SYS_MSN, PG_FEAT_HTTP_TUNNEL,
		     PG_CONF_STRONG, -1);
}

static void test_near_misses(void)
{
	/* VER without MSNP. */
	const struct pg_step ver[] = {{C2S, NULL, "VER 1 FOO\r\n"}};
	EXPECT_STATUS("ver without msnp", &pg_detector_msn, TCP, 1, 1863, ver,
		      PG_DETECT_NO);
	/* A payload command whose length overshoots: never a match. */
	const struct pg_step len[] = {
		{C2S, NULL, "MSG 5 N 400\r\nMIME-Version: 1.0\r\n\r\nhi"},
		{C2S, NULL, "MSG 5 N 4\r\nabcdefgh"},
	};
	EXPECT_STATUS("msg bad length", &pg_detector_msn, TCP, 1, 1863, len,
		      PG_DETECT_MAYBE);
	/* Lower-case, or no CRLF discipline. */
	const struct pg_step lower[] = {
		{C2S, NULL, "usr 1 a@b.com x\r\n"}, {C2S, NULL, "x"},
		{S2C, NULL, "y"}, {S2C, NULL, "z"}, {S2C, NULL, "w"},
	};
	EXPECT_STATUS("lower case", &pg_detector_msn, TCP, 1, 1863, lower,
		      PG_DETECT_NO);
	/* HTTP without the gateway. */
	const struct pg_step http[] = {
		{C2S, NULL, "GET / HTTP/1.1\r\nHost: www.google.com\r\n\r\n"},
	};
	EXPECT_STATUS("plain http", &pg_detector_msn_http, TCP, 1, 80, http,
		      PG_DETECT_NO);
	/* "foo" with a wrong prefix. */
	const struct pg_step foo[] = {{C2S, "05000000666f6f00", NULL}};
	check_status("foo bad prefix", &pg_detector_msn, TCP, 1, 80, foo, 1,
		     PG_DETECT_MAYBE);
}

static void test_negatives(void)
{
	const struct pg_step ftp[] = {
		{S2C, ftp_220, NULL}, {C2S, ftp_user, NULL},
		{S2C, ftp_331, NULL}, {C2S, ftp_pass, NULL},
	};
	check_list_clean("ftp", pg_detectors_paper, TCP, 50694, 21, ftp,
			 NSTEPS(ftp));
	const struct pg_step smtp[] = {
		{S2C, smtp_220, NULL}, {C2S, smtp_ehlo, NULL},
		{S2C, smtp_500, NULL},
	};
	check_list_clean("smtp", pg_detectors_paper, TCP, 2127, 25, smtp,
			 NSTEPS(smtp));
	/* negative/cs_http_google.pcapng: a browser's request. */
	const struct pg_step http[] = {
		{C2S, NULL, "GET / HTTP/1.1\r\nHost: www.google.com\r\n"
			    "User-Agent: Mozilla/5.0 (Windows; U; Windows NT 6.1; "
			    "en-US; rv:1.9.1.7) Gecko/20091221 Firefox/3.5.7\r\n"
			    "Accept: text/html,application/xhtml+xml,application/"
			    "xml;q=0.9,*/*;q=0.8\r\nConnection: keep-alive\r\n\r\n"},
		{S2C, NULL, "HTTP/1.1 200 OK\r\nDate: Tue, 09 Feb 2010 01:18:37 "
			    "GMT\r\nContent-Type: text/html; charset=UTF-8\r\n"
			    "Server: gws\r\nContent-Length: 4633\r\n\r\n"},
	};
	check_list_clean("http", pg_detectors_paper, TCP, 1606, 80, http,
			 NSTEPS(http));
}

int main(void)
{
	test_switchboard();
	test_notification();
	test_invitations();
	test_msnslp();
	test_side_channels();
	test_near_misses();
	test_negatives();
	return pg_test_summary("test_detect_msn");
}
