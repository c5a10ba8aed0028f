/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Gnutella detectors on bytes taken from the corpus captures
 * (../shared/corpus/gnutella), constructed push replies (the corpus has
 * none), and near misses.
 */
#include "detect_harness.h"

/* gnutella/ndpi_gnutella.pcap frame 216: 10.0.2.15:50206 -> 175.181.156.244:8255,
 * gtk-gnutella's handshake (offering Gnutella2). */
static const char g_conn[] =
	"474e5554454c4c4120434f4e4e4543542f302e360d0a4c697374656e2d49503a203933"
	"2e34372e3232362e35333a32383638310d0a52656d6f74652d49503a203137352e3138"
	"312e3135362e3234340d0a557365722d4167656e743a2067746b2d676e7574656c6c61"
	"2f312e322e322028323032322d30322d32353b2047544b323b2057696e646f77732078"
	"3634290d0a4279652d5061636b65743a20302e310d0a4163636570743a206170706c69"
	"636174696f6e2f782d676e7574656c6c61320d0a4163636570742d456e636f64696e67"
	"3a206465666c6174650d0a582d4c6976652d53696e63653a2053756e2c203036204d61"
	"7220323032322031313a32323a3130202d303830300d0a582d4875623a2046616c7365"
	"0d0a582d4875622d4e65656465643a20547275650d0a0d0a";
/* frame 193 (S->C, first 60 bytes): "GNUTELLA/0.6 503 No QRP". */
static const char g_reply[] =
	"474e5554454c4c412f302e3620353033204e6f205152500d0a557365722d4167656e74"
	"3a20466f787920392e392e392e390d0a52656d6f74652d4950";
/* frame 1972: a HUGE request, GET /uri-res/N2R?urn:sha1:... */
static const char g_urires[] =
	"474554202f7572692d7265732f4e32523f75726e3a736861313a4c5849503241373254"
	"3548334255334752554d5a46594e55334f59444b36464920485454502f312e310d0a55"
	"7365722d4167656e743a2067746b2d676e7574656c6c612f312e322e32202832303232"
	"2d30322d32353b2047544b323b2057696e646f777320783634290d0a486f73743a2036"
	"392e3131382e3136322e3232393a34363930360d0a582d46656174757265733a20746c"
	"732f312e302c2071756575652f312e310d0a582d546f6b656e3a205969554a354f4d77"
	"546f336a4646514c2f6d714239314377752f64616d4d456c356468473b204f63576d63"
	"773d3d0d0a4163636570742d456e636f64696e673a206465666c6174650d0a55706772"
	"6164653a20544c532f312e300d0a436f6e6e656374696f6e3a20557067726164650d0a"
	"582d51756575653a20312e310d0a52616e67653a2062797465733d302d313034383537"
	"350d0a582d446f776e6c6f616465643a20300d0a582d46572d4e6f64652d496e666f3a"
	"2037346538333130323431346339666236313761626231306339373630353934613b20"
	"32383638313a39332e34372e3232362e35333b0d0a093138382e36312e35322e313833"
	"3a31313835323b203130342e3233382e3137322e3235303a32333534383b203130342e"
	"3135362e3232362e37323a35333235383b0d0a0937352e3133332e3130312e39333a35"
	"323336370d0a0d0a";
/* frame 2586 (UDP): a query descriptor (type 0x80), 23 + 33 bytes. */
static const char g_query[] =
	"5d2fe235310200641ac4f2e94e09700f80010021000000f90070696e6b666c6f796400"
	"c302514b445acaf69d0353435040015a4082505240";
/* frame 782 (UDP): a Mojito DHT message (type 0x44, vendor GTKG). */
static const char g_mojito[] =
	"00e33102236c909793a89b9e94e789684400003a0000000547544b470000289d0a8d06"
	"deffc8263c33897c2c9179fd84ab61045d2fe235700901010000289d0a8d06deffc826"
	"3c33897c2c9179fd84ab61";
/* frame 356 (UDP): Gnutella2 "GND", a query key request (QKR). */
static const char g_gnd[] =
	"474e44103e8f0101540b514b525006524e415d2fe2350970";
/* frame 2734 (UDP): "GND" with the deflate flag. */
static const char g_gndz[] =
	"474e4401d7d30101789cebc9610c74f4600909dec9a59ae4c0e1b27d7354418d9a3603"
	"90a9c56427f3594201c42cff36d9e38ea01a88796b89facbf2c01320e66d3703f13679"
	"b0a8cafbab93be85ec03318b24b635dd083b0656bbf659928dd77e10f34edbf2a03d62"
	"87c0ccd6aa9b8ba28f8398ebb7a9736f343a0016edcc5a9ba9bb176c715271c3a2e81d"
	"2066f5d9ba344f91a3102b16491bc983adb8edae536967b11dcc0ce50e7da47910ec48"
	"befeb78ba219c06e509fe5fa408811c4b475d868ba289a1fccbca3f971aa181388796a"
	"babdf50959411093716140d005457910b3a0fc53de2739b0029597ccf70d8c18214cad"
	"4b1da2401fb30517a97106cd8f033220ae053220e185cc80f8c98325c8518791818121"
	"56ff91a92113438ad4914f2ffd380bf8012cbc7bbc";
/* gnutella/ppa_gnutella.pcap frame 199: BearShare, GET /get/1/<name>. */
static const char g_get1[] =
	"474554202f6765742f312f5265646865616420416e616c2e6d706720485454502f312e"
	"300d0a557365722d4167656e743a2042656172536861726520322e322e360d0a526566"
	"65727265723a20476e7574656c6c610d0a436f6e6e656374696f6e3a204b6565702d41"
	"6c6976650d0a52616e67653a2062797465733d302d0d0a0d0a";
/* frames 431, 433: the same kind of request split in two segments. */
static const char g_getsplit1[] =
	"474554202f6765742f32342f536f726f7269747920536578204b69747465";
static const char g_getsplit2[] =
	"6e732028787878292e61736620485454502f312e300d0a557365722d4167656e743a20"
	"42656172536861726520322e322e360d0a52656665727265723a20476e7574656c6c61"
	"0d0a436f6e6e656374696f6e3a204b6565702d416c6976650d0a52616e67653a206279"
	"7465733d313232313033302d0d0a0d0a";
/* frame 434 (S->C, first 60 bytes): "HTTP 503 Server Busy", BearShare. */
static const char g_bearresp[] =
	"48545450203530332053657276657220427573790d0a5365727665723a204265617253"
	"6861726520322e322e360d0a0d0a3c21444f43545950452048";

static void test_handshake(void)
{
	const struct pg_step conn[] = {{C2S, g_conn, NULL}};
	EXPECT_CLASS("connect 0.6", &pg_detector_gnutella, TCP, 50206, 8255,
		     conn, PG_SYS_GNUTELLA, PG_FEAT_NETWORK, PG_CONF_CERTAIN, 0);
	const struct pg_step reply[] = {{S2C, g_reply, NULL}};
	EXPECT_CLASS("reply 503", &pg_detector_gnutella, TCP, 50196, 12556,
		     reply, PG_SYS_GNUTELLA, PG_FEAT_NETWORK, PG_CONF_STRONG, 0);
	/* Gnutella 0.4 (signatures.md 7). */
	const struct pg_step v04[] = {
		{C2S, NULL, "GNUTELLA CONNECT/0.4\n\n"},
		{S2C, NULL, "GNUTELLA OK\n\n"},
	};
	EXPECT_CLASS("connect 0.4", &pg_detector_gnutella, TCP, 1, 6346, v04,
		     PG_SYS_GNUTELLA, PG_FEAT_NETWORK, PG_CONF_CERTAIN, 0);
	const struct pg_step ok04[] = {{S2C, NULL, "GNUTELLA OK\n\n"}};
	EXPECT_CLASS("ok 0.4", &pg_detector_gnutella, TCP, 1, 6346, ok04,
		     PG_SYS_GNUTELLA, PG_FEAT_NETWORK, PG_CONF_STRONG, 0);
	/* Split handshake line. */
	const struct pg_step split[] = {
		{C2S, NULL, "GNUTELLA CONN"}, {C2S, NULL, "ECT/0.6\r\n"},
	};
	EXPECT_CLASS("connect split", &pg_detector_gnutella, TCP, 1, 6346,
		     split, PG_SYS_GNUTELLA, PG_FEAT_NETWORK, PG_CONF_CERTAIN, 1);
}

static void test_transfers(void)
{
	struct pg_run run;
	const struct pg_step urires[] = {{C2S, g_urires, NULL}};
	check_class("uri-res", &pg_detector_gnutella, TCP, 50327, 46906,
		    urires, NSTEPS(urires), PG_SYS_GNUTELLA, PG_FEAT_DOWNLOAD,
		    PG_CONF_STRONG, 100, 0, &run);
	CHECK(run.result.host_len == strlen("69.118.162.229:46906"));
	const struct pg_step get1[] = {{C2S, g_get1, NULL}};
	EXPECT_CLASS("get index bearshare", &pg_detector_gnutella, TCP, 3736,
		     6346, get1, PG_SYS_GNUTELLA, PG_FEAT_DOWNLOAD,
		     PG_CONF_STRONG, 0);
	const struct pg_step split[] = {
		{C2S, g_getsplit1, NULL},
		{C2S, g_getsplit2, NULL},
		{S2C, g_bearresp, NULL},
	};
	EXPECT_CLASS("get index split", &pg_detector_gnutella, TCP, 3766, 6346,
		     split, PG_SYS_GNUTELLA, PG_FEAT_DOWNLOAD, PG_CONF_STRONG, 1);
	/* /get/<n>/ with no servent in sight: a weak guess. */
	const struct pg_step bare[] = {
		{C2S, NULL, "GET /get/7/manual.pdf HTTP/1.1\r\nHost: example.org\r\n\r\n"},
	};
	check_class("get index bare", &pg_detector_gnutella, TCP, 1, 80, bare,
		    NSTEPS(bare), PG_SYS_GNUTELLA, PG_FEAT_DOWNLOAD,
		    PG_CONF_WEAK, PG_CONF_WEAK, 0, &run);
	/* The servent's answer names it (response to a plain request). */
	const struct pg_step resp[] = {
		{C2S, NULL, "GET /files/a.mp3 HTTP/1.1\r\nHost: 10.0.0.1\r\n\r\n"},
		{S2C, NULL, "HTTP/1.1 200 OK\r\nServer: LimeWire/4.12.6\r\n"
			    "X-Gnutella-Content-URN: urn:sha1:PLSTHIPQGSSZTS5FJUPAKUZWUGYQYPFB\r\n\r\n"},
	};
	EXPECT_CLASS("servent response", &pg_detector_gnutella, TCP, 1, 6346,
		     resp, PG_SYS_GNUTELLA, PG_FEAT_DOWNLOAD, PG_CONF_STRONG, 1);
	/* Push reply (signatures.md 7, l7-filter gnutella.pat).  Constructed. */
	const struct pg_step giv[] = {
		{C2S, NULL, "GIV 12:0123456789abcdef0123456789ABCDEF/song.mp3\n\n"},
	};
	EXPECT_CLASS("giv", &pg_detector_gnutella, TCP, 1, 6346, giv,
		     PG_SYS_GNUTELLA, PG_FEAT_DOWNLOAD, PG_CONF_STRONG, 0);
}

static void test_udp(void)
{
	const struct pg_step query[] = {{C2S, g_query, NULL}};
	EXPECT_CLASS("udp query", &pg_detector_gnutella_udp, UDP, 28681, 30566,
		     query, PG_SYS_GNUTELLA, PG_FEAT_NETWORK, PG_CONF_STRONG, 0);
	const struct pg_step mojito[] = {{C2S, g_mojito, NULL}};
	EXPECT_CLASS("udp mojito", &pg_detector_gnutella_udp, UDP, 28681, 43508,
		     mojito, PG_SYS_GNUTELLA, PG_FEAT_NETWORK, PG_CONF_STRONG, 0);
	const struct pg_step gnd[] = {{C2S, g_gnd, NULL}};
	EXPECT_CLASS("udp gnd", &pg_detector_gnutella_udp, UDP, 28681, 6346,
		     gnd, PG_SYS_GNUTELLA, PG_FEAT_NETWORK, PG_CONF_STRONG, 0);
	const struct pg_step gndz[] = {{S2C, g_gndz, NULL}};
	EXPECT_CLASS("udp gnd deflated", &pg_detector_gnutella_udp, UDP, 28681,
		     6346, gndz, PG_SYS_GNUTELLA, PG_FEAT_NETWORK,
		     PG_CONF_STRONG, 0);
	/* l7-filter's captured G2 datagram start (signatures.md 7): flags 2,
	 * part 1 of 1, then a G2 packet (constructed tail: "PI", no
	 * children). */
	const struct pg_step l7[] = {{C2S, "474e44020800010108 5049", NULL}};
	EXPECT_CLASS("udp gnd ack-me", &pg_detector_gnutella_udp, UDP, 1, 2, l7,
		     PG_SYS_GNUTELLA, PG_FEAT_NETWORK, PG_CONF_STRONG, 0);
}

static void test_near_misses(void)
{
	const struct pg_step ver[] = {{C2S, NULL, "GNUTELLA CONNECT/x.6\r\n"}};
	EXPECT_STATUS("connect bad version", &pg_detector_gnutella, TCP, 1,
		      6346, ver, PG_DETECT_NO);
	const struct pg_step giv[] = {{C2S, NULL, "GIV 12:0123/song.mp3\n\n"}};
	EXPECT_STATUS("giv short guid", &pg_detector_gnutella, TCP, 1, 6346,
		      giv, PG_DETECT_NO);
	/* HTTP without Gnutella markers (negative/cs_http_google.pcapng). */
	const struct pg_step http[] = {
		{C2S, NULL, "GET / HTTP/1.1\r\nHost: www.google.com\r\n"
			    "Connection: keep-alive\r\n\r\n"},
		{S2C, NULL, "HTTP/1.1 200 OK\r\nServer: gws\r\n"
			    "Content-Length: 4633\r\n\r\n"},
	};
	EXPECT_STATUS("plain http", &pg_detector_gnutella, TCP, 1606, 80, http,
		      PG_DETECT_NO);
	/* A descriptor whose length field is one off. */
	uint8_t q[128];
	size_t n = pg_hex(g_query, q, sizeof(q));
	q[19]++;
	char hex[300];
	for (size_t i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", q[i]);
	const struct pg_step off[] = {{C2S, hex, NULL}};
	EXPECT_STATUS("descriptor length", &pg_detector_gnutella_udp, UDP, 1, 2,
		      off, PG_DETECT_NO);
	/* "GND" with part 0, and part beyond the count. */
	const struct pg_step part0[] = {{C2S, "474e44003e8f0001540b514b5250", NULL}};
	EXPECT_STATUS("gnd part 0", &pg_detector_gnutella_udp, UDP, 1, 2, part0,
		      PG_DETECT_NO);
	const struct pg_step part3[] = {{C2S, "474e44003e8f0302540b514b5250", NULL}};
	EXPECT_STATUS("gnd part > count", &pg_detector_gnutella_udp, UDP, 1, 2,
		      part3, PG_DETECT_NO);
	/* negative/ndpi_dns.pcap frame 2: a DNS query. */
	const struct pg_step dns[] = {
		{C2S, "bc1f0100000100000000000003777777076578616d706c6503636f6d00"
		      "001c0001", NULL},
	};
	EXPECT_STATUS("dns", &pg_detector_gnutella_udp, UDP, 32795, 53, dns,
		      PG_DETECT_NO);
	check_list_clean("dns", pg_detectors_paper, UDP, 32795, 53, dns,
			 NSTEPS(dns));
}

/* A browser's request: no Gnutella path, header or User-Agent. */
#define BROWSER_GET                                                            \
	"GET / HTTP/1.1\r\nHost: 198.51.100.7\r\n"                            \
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 " \
	"Firefox/128.0\r\nAccept: text/html,*/*;q=0.8\r\n\r\n"
/* gtk-gnutella's answer to it: its browse page (constructed). */
#define SERVENT_PAGE                                                           \
	"HTTP/1.1 200 OK\r\nServer: gtk-gnutella/1.2.2 (2022-02-25)\r\n"       \
	"Content-Type: text/html\r\nX-Features: browse/1.0\r\n\r\n"

/* Where a plain request decides on its own, and where the answer is
 * awaited (issue 10: plain web traffic settled on its request). */
static void test_plain_request(void)
{
	/* Web and proxy ports: the request alone rules Gnutella out. */
	const struct pg_step get[] = {C2S_TXT(BROWSER_GET)};
	EXPECT_STATUS("plain request, port 80", &pg_detector_gnutella, TCP,
		      40000, 80, get, PG_DETECT_NO);
	EXPECT_STATUS("plain request, port 8080", &pg_detector_gnutella, TCP,
		      40000, 8080, get, PG_DETECT_NO);
	const struct pg_step ab[] = {C2S_TXT("GET / HTTP/1.0\r\nHost: 10.0.0.1\r\n"
					     "User-Agent: ApacheBench/2.3\r\n"
					     "Accept: */*\r\n\r\n")};
	EXPECT_STATUS("ab request, port 80", &pg_detector_gnutella, TCP, 40000,
		      80, ab, PG_DETECT_NO);
	const struct pg_step proxied[] = {C2S_TXT(
		"GET http://www.example.org/ HTTP/1.1\r\nHost: www.example.org\r\n\r\n")};
	EXPECT_STATUS("proxied request", &pg_detector_gnutella, TCP, 40000,
		      3128, proxied, PG_DETECT_NO);
	/* Where servents listen, the answer may still name one. */
	EXPECT_STATUS("plain request, port 6346", &pg_detector_gnutella, TCP,
		      40000, 6346, get, PG_DETECT_MAYBE);
	EXPECT_STATUS("plain request, high port", &pg_detector_gnutella, TCP,
		      40000, 47321, get, PG_DETECT_MAYBE);
	/* ... and so may a servent's relayed through a proxy. */
	const struct pg_step to_servent[] = {C2S_TXT(
		"GET http://198.51.100.9:6346/ HTTP/1.1\r\nHost: 198.51.100.9:6346\r\n\r\n")};
	EXPECT_STATUS("proxied to a servent", &pg_detector_gnutella, TCP, 40000,
		      3128, to_servent, PG_DETECT_MAYBE);
	/* Transfer headers Gnutella introduced: servent-like software, whose
	 * answer is awaited even on port 80. */
	const struct pg_step alt[] = {C2S_TXT(
		"GET /files/a.mp3 HTTP/1.1\r\nHost: 198.51.100.7\r\n"
		"X-Alt: 203.0.113.5:6346\r\n\r\n")};
	EXPECT_STATUS("x-alt request, port 80", &pg_detector_gnutella, TCP,
		      40000, 80, alt, PG_DETECT_MAYBE);
	/* A request with a servent's marks still matches on port 80. */
	const struct pg_step browse[] = {C2S_TXT(
		"GET / HTTP/1.1\r\nHost: 198.51.100.7\r\nUser-Agent: LimeWire/4.12.6\r\n"
		"Accept: application/x-gnutella-packets\r\n\r\n")};
	EXPECT_CLASS("browse host, port 80", &pg_detector_gnutella, TCP, 40000,
		     80, browse, PG_SYS_GNUTELLA, PG_FEAT_DOWNLOAD,
		     PG_CONF_STRONG, 0);
	/* A browser at a servent's port: its answer names it. */
	const struct pg_step page[] = {C2S_TXT(BROWSER_GET), S2C_TXT(SERVENT_PAGE)};
	EXPECT_CLASS("servent page, high port", &pg_detector_gnutella, TCP,
		     40000, 47321, page, PG_SYS_GNUTELLA, PG_FEAT_DOWNLOAD,
		     PG_CONF_STRONG, 1);
	/* The same on port 80 is the line drawn: decided on the request. */
	EXPECT_STATUS("servent page, port 80", &pg_detector_gnutella, TCP,
		      40000, 80, page, PG_DETECT_NO);
}

int main(void)
{
	test_handshake();
	test_transfers();
	test_udp();
	test_near_misses();
	test_plain_request();
	return pg_test_summary("test_detect_gnutella");
}
