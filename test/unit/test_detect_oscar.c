/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * AIM/ICQ detectors on bytes taken from the corpus captures
 * (../shared/corpus), plus near misses.  Frame numbers are tshark's.
 */
#include "detect_harness.h"

/* aim/fc_puzzle1_evidence01.pcap, 192.168.1.158:51128 -> 64.12.24.50:443:
 * the capture joins the BOS session mid-way (frame 23, a keep-alive), then
 * an ICBM to "Sec558user1" (frame 25). */
static const char aim_keepalive[] = "2a0500600000";
static const char aim_icbm_send[] =
	"2a02006100b700040006000000000045343632383737380000010b53656335353875"
	"736572310002008f050100040101010201010083000000004865726527732074686520"
	"736563726574207265636970652e2e2e2049206a75737420646f776e6c6f616465642069"
	"742066726f6d207468652066696c65207365727665722e204a75737420636f707920746f"
	"2061207468756d6220647269766520616e6420796f7527726520676f6f6420746f20676f"
	"202667743b3a2d2900030000";
/* frame 92: the send-file rendezvous proposal (ICBM channel 2, capability
 * 09461343, TLV 0x0003 client IP 192.168.1.158, TLV 0x0005 port 5190). */
static const char aim_rv_proposal[] =
	"2a020063007a00040006000000000047373137343634370000020b5365633535387573"
	"657231000300000005005200003731373436343700094613434c7f11d1822244455354"
	"000000020004c0a8019e00030004c0a8019e000500021446000a00020001000f000027"
	"1100140001000100002ee87265636970652e646f637800";
/* frame 136 (S->C): the peer accepts (rendezvous type 2, same capability). */
static const char aim_rv_accept[] =
	"2a0256d8007b000400070000852ad07f373137343634370000020b5365633535387573"
	"6572310000000500010002001000050004" "4a834806001d0012000100052b0000316e"
	"008100052b0000144f000f0004000006e7000300044a83a4850005001a000237313734"
	"36343700" "094613434c7f11d18222444553540000" "0013000103";

/* 192.168.1.159:1271 -> 205.188.13.12:443: a service (BART) connection:
 * server hello with TLV 0x8001 (frame 42), the client's cookie signon
 * (frame 43), server ready listing only family 0x0010 (frame 45). */
static const char aim_bart_hello[] = "2a017a2b000c00000001800100040000fffe";
static const char aim_bart_signon[] =
	"2a0156c2018a0000000100060100de7c755d3377eb799a1bc7b2b6dc8dee5960fbaa91"
	"c9d0666d776bde0725c58a36c3daa1b2f6423bd556db6ee31d7b59c6fee9c74d46dc3b"
	"5c3ef5bac9a13acf39302b83496eff3f79e73c452488fc3f29d21acf57b48afcea0d24"
	"59aebab3faeff6f5b83428109cdef12c4f3d13aecf65f57f570781eb4c0b941f65521f"
	"c337d6d0daf440365084d3976c9282c5a45ae915eb0bef2e2d9cbd66e4bb301348c5d6"
	"d9738960078f7e808d4f90e534b21f55ba72a1df10e343c69655d049ce1e0cb0d4ee6c"
	"f31075865ac1f1444dac394b4681d058e9913bfb5ee377a70856eba89fa2fba9ff8f8b"
	"b62e2f951c485e9835ce0da5e001a79320a3adf1f3ee76c4d000a20002000500a30002"
	"000700a40002000100a50002183300030005696d417070001700020006001800020009"
	"001900020011001a000200020016000201260014000400000177000f0002656e000e00"
	"025553009e00020001009f0002000800a00002000100a10002088b0094000100004a00"
	"010100ac0001008003000400100000";
static const char aim_bart_ready[] = "2a027a2c000e0001000300008021444700010010";

/* 192.168.1.159:1272 -> 192.168.1.158:5190 (frame 112): the OFT2 prompt,
 * sent by the file's owner, the accepting side. */
static const char aim_oft2_prompt[] =
	"4f46543201000101000000000000000000000000000100010001000100002ee800002e"
	"e800000000b1640000ffff00000000000000000000ffff000000000000ffff0000436f"
	"6f6c2046696c65586665720000000000000000000000000000000000000000000000"
	"00";

/* icq/ndpi_Oscar.pcap, 10.30.29.3:63357 -> 178.237.24.249:443: the BOS
 * signon with a 256-byte cookie (frame 4), server hello (frame 5), an ICQ
 * meta request, SNAC family 0x0015 (frame 26), a typing notification to
 * UIN 461758769 (frame 30). */
static const char icq_signon[] =
	"2a01000101350000000100060100c02f614c19c4a8a0ada1835a70293e77b0a0e876e3"
	"dbfa954c5661776ae038fa5b6cf54f6f8e82da6f133954d8943d8daba1d74bbd6feee1"
	"4dc49eecb37f61f809249b426f220646a9413bbc7364f304b5f61813b110d13be46715"
	"0c0a514c866bb2e84c228f8db5c765b9d0cc46ffd1934a460c7a7077be3a8dd0a0861b"
	"dd35cead4b2bcca99ce30cc1408568c3c452c7dcd960ce069d46846a6581b22067f609"
	"dce406e840829209f9edfeb851ca1bc7d7dbceaed6dd88f1fc9f908097a57aa6dfdb07"
	"3e2ae904b0ca656410f6aa5f060b5e8b3399adf6e20dca43bd0a4f8d49444341ecb28a"
	"a38a7c89078d37a5b2055abe91ff669bec73032fe4bfc2b7680003000c416469756d2f"
	"312e352e3130001700020014001800020034001900020000001a00020c18004a000103";
static const char icq_hello[] = "2a01198a000400000001";
static const char icq_meta[] =
	"2a020046001e00150002000000000053000100100e0014646909d0075300ba04ef9740"
	"0a";
static const char icq_meta_reply[] =
	"2a021a940020001500010000000000530002002100100e0014646909d0075300ba04ef"
	"97400a";
static const char icq_typing[] =
	"2a02004700200004001400000000005400000000000000000001093436313735383736"
	"390002";

static void test_aim_bos(void)
{
	const struct pg_step mid[] = {
		{C2S, aim_keepalive, NULL},
		{C2S, aim_icbm_send, NULL},
	};
	/* A keep-alive alone is not enough; the ICBM with a letter screen
	 * name is. */
	EXPECT_CLASS("aim mid-session ICBM", &pg_detector_oscar, TCP, 51128,
		     443, mid, PG_SYS_AIM, PG_FEAT_IM, PG_CONF_STRONG, 1);

	struct pg_run run;
	const struct pg_step rv[] = {
		{C2S, aim_keepalive, NULL},
		{C2S, aim_rv_proposal, NULL},
	};
	check_class("aim send-file proposal", &pg_detector_oscar, TCP, 51128,
		    443, rv, NSTEPS(rv), PG_SYS_AIM, PG_FEAT_FILE_TRANSFER,
		    PG_CONF_STRONG, 100, 1, &run);
	static const uint8_t ip[4] = {192, 168, 1, 158};
	CHECK(run.result.expect.family == 4);
	CHECK(memcmp(run.result.expect.addr, ip, 4) == 0);
	CHECK(run.result.expect.port == 5190);
	CHECK(run.result.expect.system == PG_SYS_AIM);
	CHECK(run.result.expect.feature == PG_FEAT_FILE_TRANSFER);

	/* The accept carries the capability but no address. */
	const struct pg_step acc[] = {{S2C, aim_rv_accept, NULL}};
	check_class("aim send-file accept", &pg_detector_oscar, TCP, 51128, 443,
		    acc, NSTEPS(acc), PG_SYS_AIM, PG_FEAT_FILE_TRANSFER,
		    PG_CONF_STRONG, 100, 0, &run);
	CHECK(run.result.expect.family == 0);
}

static void test_aim_service(void)
{
	/* Server first.  Nothing in a BART connection names the user, so the
	 * answer stays a weak AIM guess. */
	const struct pg_step bart[] = {
		{S2C, aim_bart_hello, NULL},
		{C2S, aim_bart_signon, NULL},
		{S2C, aim_bart_ready, NULL},
	};
	struct pg_run run;
	check_class("aim bart", &pg_detector_oscar, TCP, 1271, 443, bart,
		    NSTEPS(bart), PG_SYS_AIM, PG_FEAT_IM, PG_CONF_WEAK,
		    PG_CONF_WEAK, 1, &run);
	/* The hello alone waits for the client. */
	const struct pg_step hello[] = {{S2C, aim_bart_hello, NULL}};
	EXPECT_STATUS("aim hello only", &pg_detector_oscar, TCP, 1271, 443,
		      hello, PG_DETECT_MAYBE);
}

static void test_icq_bos(void)
{
	/* The cookie signon: AIM until something says ICQ. */
	const struct pg_step start[] = {
		{C2S, icq_signon, NULL},
	};
	struct pg_run run;
	check_class("icq signon", &pg_detector_oscar, TCP, 63357, 443, start,
		    NSTEPS(start), PG_SYS_AIM, PG_FEAT_IM, PG_CONF_WEAK,
		    PG_CONF_WEAK, 0, &run);

	/* A later SNAC of family 0x0015 settles it (the engine keeps asking
	 * a detector after a weak match). */
	const struct pg_step later[] = {
		{C2S, icq_signon, NULL},
		{S2C, icq_hello, NULL},
		{C2S, icq_meta, NULL},
	};
	struct pg_run all;
	const struct pg_detect_result *r = &all.result;
	CHECK(pg_run_all(&pg_detector_oscar, TCP, 63357, 443, later,
			 NSTEPS(later), &all) == PG_DETECT_MATCH);
	CHECK(r->system == PG_SYS_ICQ && r->feature == PG_FEAT_IM &&
	      r->confidence == PG_CONF_STRONG);

	/* A capture that joins later: the ICQ frames decide by themselves. */
	const struct pg_step mid[] = {
		{C2S, icq_meta, NULL},
		{S2C, icq_meta_reply, NULL},
		{C2S, icq_typing, NULL},
	};
	EXPECT_CLASS("icq mid-session", &pg_detector_oscar, TCP, 63357, 443,
		     mid, PG_SYS_ICQ, PG_FEAT_IM, PG_CONF_STRONG, -1);
	const struct pg_step typing[] = {{C2S, icq_typing, NULL}};
	EXPECT_CLASS("icq typing to a UIN", &pg_detector_oscar, TCP, 63357,
		     443, typing, PG_SYS_ICQ, PG_FEAT_IM, PG_CONF_STRONG, 0);
}

/* Constructed from the layouts in signatures.md 2.2 (no capture of these in
 * the corpus): an MD5 login and a roasted ICQ login. */
static void test_login(void)
{
	/* Bare signon (version 1), then SNAC 0x0017/0x0006 with TLV 0x0001
	 * screen name "alice123". */
	const struct pg_step md5[] = {
		{S2C, "2a01000100040000 0001", NULL},
		{C2S, "2a01100000040000 0001"
		      "2a021001001a 0017 0006 0000 00000000"
		      "0001 0008 616c696365313233 004b0000", NULL},
	};
	EXPECT_CLASS("aim md5 login", &pg_detector_oscar, TCP, 40000, 5190,
		     md5, PG_SYS_AIM, PG_FEAT_LOGIN, PG_CONF_STRONG, 1);

	/* ICQ roasted login: ch1, version, TLV 1 = "123456789", TLV 2. */
	const struct pg_step icq[] = {
		{C2S, "2a01 0001 0019 00000001 0001 0009 313233343536373839"
		      "0002 0004 f3263aa8", NULL},
	};
	EXPECT_CLASS("icq roasted login", &pg_detector_oscar, TCP, 40000, 5190,
		     icq, PG_SYS_ICQ, PG_FEAT_LOGIN, PG_CONF_STRONG, 0);

	/* TOC: "FLAPON\r\n\r\n", then the signon frame with TLV 1. */
	const struct pg_step toc[] = {
		{C2S, "464c41504f4e0d0a0d0a"
		      "2a01 0000 000d 00000001 0001 0005 616c696365", NULL},
	};
	EXPECT_CLASS("toc", &pg_detector_oscar, TCP, 40000, 9898, toc,
		     PG_SYS_AIM, PG_FEAT_IM, PG_CONF_STRONG, 0);
}

static void test_peer(void)
{
	const struct pg_step oft[] = {{S2C, aim_oft2_prompt, NULL}};
	EXPECT_CLASS("oft2 prompt", &pg_detector_oscar_peer, TCP, 1272, 5190,
		     oft, PG_SYS_AIM, PG_FEAT_FILE_TRANSFER, PG_CONF_STRONG, 0);

	/* ODC2 (signatures.md 2.4): 76-byte header, type 1 subtype 6, the
	 * sender's name at 44.  Constructed. */
	const struct pg_step odc[] = {
		{C2S, "4f444332 004c 0001 0006 0000 0102030405060708"
		      "000000000000000000000000000000000000000000000000"
		      "616c6963650000000000000000000000"
		      "0000000000000000000000000000000000000000", NULL},
	};
	EXPECT_CLASS("odc2 direct im", &pg_detector_oscar_peer, TCP, 40000,
		     4443, odc, PG_SYS_AIM, PG_FEAT_IMAGES, PG_CONF_STRONG, 0);

	/* Rendezvous proxy create (0x0002): name "alice", cookie, TLV 1 with
	 * the send-file capability.  Constructed from peer_proxy.c's layout. */
	const struct pg_step proxy[] = {
		{C2S, "002c 044a 0002 00000000 0000"
		      "05 616c696365 0102030405060708"
		      "0001 0010 094613434c7f11d18222444553540000", NULL},
	};
	EXPECT_CLASS("rendezvous proxy", &pg_detector_oscar_peer, TCP, 40000,
		     5190, proxy, PG_SYS_AIM, PG_FEAT_FILE_TRANSFER,
		     PG_CONF_STRONG, 0);
}

static void test_icq_udp(void)
{
	/* ICQ v5 client header (signatures.md 3.2): 05 00, 4 zero bytes,
	 * UIN 12345678 (LE), then the scrambled part.  Constructed. */
	static const char v5[] =
		"0500 00000000 4e61bc00 11223344 55667788 99aabbcc ddeeff00";
	const struct pg_step c[] = {{C2S, v5, NULL}};
	EXPECT_CLASS("icq v5 on 4000", &pg_detector_icq_udp, UDP, 1030, 4000,
		     c, PG_SYS_ICQ, PG_FEAT_IM, PG_CONF_STRONG, 0);
	struct pg_run run;
	check_class("icq v5 elsewhere", &pg_detector_icq_udp, UDP, 1030, 5000,
		    c, NSTEPS(c), PG_SYS_ICQ, PG_FEAT_IM, PG_CONF_WEAK,
		    PG_CONF_WEAK, 0, &run);
	/* The server answer (unscrambled, command 0x005A login reply) with
	 * the same UIN confirms the exchange. */
	const struct pg_step both[] = {
		{C2S, v5, NULL},
		{S2C, "0500 00 11223344 5a00 0100 0000 4e61bc00 00000000 00",
		 NULL},
	};
	struct pg_run all;
	const struct pg_detect_result *r = &all.result;
	CHECK(pg_run_all(&pg_detector_icq_udp, UDP, 1030, 5000, both,
			 NSTEPS(both), &all) == PG_DETECT_MATCH);
	CHECK(r->system == PG_SYS_ICQ && r->confidence == PG_CONF_CERTAIN);
	/* Version 5 with a UIN below 10000, or a non-zero "zero" field. */
	const struct pg_step bad1[] = {{C2S, "0500 00000000 0f000000 1122334455667788"
					     "99aabbccddeeff00", NULL}};
	EXPECT_STATUS("icq v5 tiny uin", &pg_detector_icq_udp, UDP, 1030, 4000,
		      bad1, PG_DETECT_NO);
	const struct pg_step bad2[] = {{C2S, "0500 00010000 4e61bc00 1122334455667788"
					     "99aabbccddeeff00", NULL}};
	EXPECT_STATUS("icq v5 nonzero", &pg_detector_icq_udp, UDP, 1030, 4000,
		      bad2, PG_DETECT_NO);
}

static void test_http(void)
{
	/* The clients' HTTP proxy mode (signatures.md 2.5, 3.1). */
	const struct pg_step aim[] = {
		{C2S, NULL, "GET http://aimhttp.oscar.aol.com/hello HTTP/1.0\r\n"
			    "User-Agent: AIM/30 (Mozilla 1.24b; Windows; I; 32-bit)\r\n"
			    "Host: aimhttp.oscar.aol.com\r\n\r\n"},
	};
	EXPECT_CLASS("aim http proxy", &pg_detector_oscar_http, TCP, 40000, 80,
		     aim, PG_SYS_AIM, PG_FEAT_HTTP_TUNNEL, PG_CONF_STRONG, 0);
	const struct pg_step icq[] = {
		{C2S, NULL, "GET /hello HTTP/1.1\r\nHost: http.proxy.icq.com:443\r\n\r\n"},
	};
	EXPECT_CLASS("icq http proxy", &pg_detector_oscar_http, TCP, 40000, 443,
		     icq, PG_SYS_ICQ, PG_FEAT_HTTP_TUNNEL, PG_CONF_STRONG, 0);
	const struct pg_step other[] = {
		{C2S, NULL, "GET /hello HTTP/1.1\r\nHost: aimhttp.oscar.aol.com.example.org\r\n\r\n"},
	};
	EXPECT_STATUS("other host", &pg_detector_oscar_http, TCP, 40000, 80,
		      other, PG_DETECT_NO);
}

static void test_near_misses(void)
{
	/* 0x2A and channel 2, but the frame's length runs past the data and
	 * nothing else frames: never a match, given up after a few packets. */
	const struct pg_step badlen[] = {
		{C2S, "2a0200010010000400060000", NULL},
		{C2S, "ffffffffffffffffffffffffffffffffffffffff", NULL},
		{S2C, "00", NULL},
		{S2C, "00", NULL},
		{C2S, "00", NULL},
		{S2C, "00", NULL},
	};
	EXPECT_STATUS("flap bad length", &pg_detector_oscar, TCP, 1, 5190,
		      badlen, PG_DETECT_NO);
	/* Signon with version 2. */
	const struct pg_step badver[] = {
		{C2S, "2a01000100040000 0002", NULL},
		{C2S, "2a01000100040000 0002", NULL},
		{S2C, "2a01000100040000 0002", NULL},
		{S2C, "2a01000100040000 0002", NULL},
		{S2C, "2a01000100040000 0002", NULL},
	};
	EXPECT_STATUS("flap version 2", &pg_detector_oscar, TCP, 1, 5190,
		      badver, PG_DETECT_NO);
	/* A ch1 frame whose TLV list does not tile. */
	const struct pg_step tiles[] = {
		{C2S, "2a01 0001 000a 00000001 0006 0100 4142", NULL},
	};
	EXPECT_STATUS("flap tlvs", &pg_detector_oscar, TCP, 1, 5190, tiles,
		      PG_DETECT_MAYBE);
	/* "OFT2" with an unknown type; "ODC2" with the wrong subtype. */
	const struct pg_step oft[] = {{C2S, "4f465432 0100 0303 0000", NULL}};
	EXPECT_STATUS("oft2 bad type", &pg_detector_oscar_peer, TCP, 1, 5190,
		      oft, PG_DETECT_NO);
	const struct pg_step odc[] = {{C2S, "4f444332 004c 0001 0007 0000 00", NULL}};
	EXPECT_STATUS("odc2 bad subtype", &pg_detector_oscar_peer, TCP, 1, 5190,
		      odc, PG_DETECT_NO);
}

/* Bytes of other protocols from corpus/negative: no paper detector claims
 * them. */
static void test_negatives(void)
{
	/* ndpi_443-curl.pcap frame 4 (TLS ClientHello start), frame 6. */
	const struct pg_step tls[] = {
		{C2S, "1603010200010001fc03033e3841edcc20f6d0e5f7167ab7ee91a800c8ef70"
		      "c2d624c7c7943a2402", NULL},
		{S2C, "16030300660200006203038f72dd2e35dcf5ddf38ae75db855d1610b4db3"
		      "2937cb20cd3187eec120", NULL},
	};
	check_list_clean("tls", pg_detectors_paper, TCP, 55523, 443, tls,
			 NSTEPS(tls));
	/* ndpi_ssh.pcap frames 4, 6. */
	const struct pg_step ssh[] = {
		{S2C, NULL, "SSH-2.0-OpenSSH_5.3\r\n"},
		{C2S, NULL, "SSH-2.0-OpenSSH_5.6\r\n"},
	};
	check_list_clean("ssh", pg_detectors_paper, TCP, 58395, 22, ssh,
			 NSTEPS(ssh));
	/* After the early window the OSCAR detector lets go of them. */
	const struct pg_step many[] = {
		{C2S, NULL, "SSH-2.0-OpenSSH_5.6\r\n"}, {S2C, NULL, "x"},
		{C2S, NULL, "y"}, {S2C, NULL, "z"}, {C2S, NULL, "w"},
	};
	EXPECT_STATUS("ssh no oscar", &pg_detector_oscar, TCP, 1, 22, many,
		      PG_DETECT_NO);
	/* ndpi_dns.pcap frame 2: a DNS query. */
	const struct pg_step dns[] = {
		{C2S, "bc1f0100000100000000000003777777076578616d706c6503636f6d00"
		      "001c0001", NULL},
	};
	check_list_clean("dns", pg_detectors_paper, UDP, 32795, 53, dns,
			 NSTEPS(dns));
}

int main(void)
{
	test_aim_bos();
	test_aim_service();
	test_icq_bos();
	test_login();
	test_peer();
	test_icq_udp();
	test_http();
	test_near_misses();
	test_negatives();
	return pg_test_summary("test_detect_oscar");
}
