/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * BitTorrent detectors on byte sequences from the corpus captures in
 * shared/corpus/bittorrent (file and frame named per case), near misses,
 * and bytes from shared/corpus/negative.
 */
#include "detect_harness.h"

static const struct pg_detector *const bt = &pg_detector_bittorrent;
static const struct pg_detector *const btu = &pg_detector_bittorrent_udp;

/* arkime_bt-tcp.pcap frame 4: a complete 68-byte handshake. */
static const char hs_arkime[] =
	"13426974546f7272656e742070726f746f636f6c0000000000100005"
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

static void test_peer_wire(void)
{
	struct pg_run r;
	const struct pg_step whole[] = {C2S_HEX(hs_arkime)};
	check_class("handshake", bt, TCP, 1203, 26001, whole, 1,
		    PG_SYS_BITTORRENT, PG_FEAT_DOWNLOAD, PG_CONF_CERTAIN,
		    PG_CONF_CERTAIN, -1, &r);

	/* The same handshake arriving in pieces: MAYBE until 20 bytes. */
	const struct pg_step split[] = {
		C2S_HEX("13426974"),
		C2S_HEX("546f7272656e742070726f746f636f6c0000000000100005"),
	};
	pg_run_detector(bt, TCP, 1203, 26001, split, 1, &r);
	CHECK(r.status == PG_DETECT_MAYBE);
	check_class("handshake split", bt, TCP, 1203, 26001, split, 2,
		    PG_SYS_BITTORRENT, PG_FEAT_DOWNLOAD, PG_CONF_DECIDE,
		    PG_CONF_CERTAIN, -1, &r);
	CHECK(r.matched_at == 1);

	/* ndpi_bittorrent.pcap stream 1, responder side (frame of 112
	 * bytes): handshake plus the BEP 10 extended handshake, seen only
	 * from the server. */
	const struct pg_step resp[] = {
		C2S_HEX(""),
		S2C_HEX("13426974546f7272656e742070726f746f636f6c0000000000100005"
			"dcfcdccfb9e670ccc3dd40c78c161f2bea243126"
			"2d5554333435302df0a2b9cdc78ab49e5d5792a4"
			"000000e7140064313a656930"),
	};
	check_class("handshake from responder", bt, TCP, 52887, 53137, resp, 2,
		    PG_SYS_BITTORRENT, PG_FEAT_DOWNLOAD, PG_CONF_DECIDE,
		    PG_CONF_CERTAIN, -1, &r);

	/* Near miss: 0x13 and the wrong protocol name. */
	const struct pg_step wrong[] = {
		C2S_HEX("13426974546f7272656e742070726f746f636f4c0000000000100005"),
	};
	check_status("0x13 + wrong string", bt, TCP, 40000, 6881, wrong, 1,
		     PG_DETECT_NO);

	/* arkime_bt-tcp.pcap frame 7: BitTorrent Sync "BSYNC\0" + length +
	 * bencoded dictionary. */
	const struct pg_step bsync[] = {C2S_HEX(
		"4253594e43000000003a64353a6e6f6e636531363a78787878787878787878"
		"787878787878353a736861726532303a78787878787878787878787878787878"
		"4f72981d65")};
	check_class("bsync", bt, TCP, 43890, 15365, bsync, 1, PG_SYS_BITTORRENT,
		    PG_FEAT_DOWNLOAD, PG_CONF_STRONG, PG_CONF_CERTAIN, -1, &r);
}

static void test_mid_session(void)
{
	struct pg_run r;
	/* ppa_torrential-slowness.pcap frame 24: the capture starts after
	 * the handshake; a request for a 16 KiB block at an aligned offset. */
	const struct pg_step req[] = {C2S_HEX("0000000d060000010e0001c00000004000")};
	check_class("mid-session request", bt, TCP, 3267, 53341, req, 1,
		    PG_SYS_BITTORRENT, PG_FEAT_DOWNLOAD, PG_CONF_WEAK,
		    PG_CONF_CERTAIN, -1, &r);
	CHECK(r.result.confidence < PG_CONF_DECIDE);

	/* Frame 52: a lone choke proves little: keep asking. */
	const struct pg_step choke[] = {C2S_HEX("0000000100")};
	check_status("lone choke", bt, TCP, 1950, 6000, choke, 1,
		     PG_DETECT_MAYBE);

	/* A request whose length prefix is off by one is not a message. */
	const struct pg_step bad[] = {C2S_HEX("0000000e060000010e0001c00000004000")};
	check_status("request with wrong length", bt, TCP, 3267, 53341, bad, 1,
		     PG_DETECT_NO);

	/* ndpi_bittorrent_tcp_miss.pcapng: the client's 198-byte opening
	 * (frame 4) looks like an MSE key; the server's plaintext handshake
	 * comes later (frame 10, after 665 bytes of the server's stream).
	 * The server's first packet here is frame 5 cut to 120 bytes. */
	const struct pg_step miss[] = {
		C2S_HEX("5a05be68a0a535134059a917fb0289a6015bfc74f7489c7e8117208c719eefec"
			"274d023bbfcb5570109da921211792d3a7240f453acf916a5b85af0877a53a69"
			"89520c3a10533641766934db319cb8a4abf07d7c92280c3d1f2d66e87097de21"
			"9ae9f119af051fbff4c13cdf2b6e4fc28c4021d73c48504b76df99e495a6e266"
			"de2c6953b50f64c6c7163c87f08c1212c411ae8843c59ee16a23ed94c8390c64"
			"29d5f5212aaf6b767cca55fca78b0569980d2e2b303813d28a788c277bcd6d07"
			"9cbdf1813631"),
		S2C_HEX("fd1132aaeebef05db34a46c54a4ba19efb3256dce6d032068734cd0567801"
			"0d6f63552bc0f2948ed8899e0e3b8825a0ad040581bf2e5452b4f85d2e1f1a7"
			"63ac57bd74a58044d9b5f90f6e1f1444b32c7c3581605da97a69771d4f1d1572"
			"584d4ad39527bbab18cda8eee5710c3a4b1aa0375014"),
		S2C_HEX("13426974546f7272656e742070726f746f636f6c00000000001800050f6b9cd2"
			"b7da4de9b6c846203920e3da49cdb7952d5557313330512d51537032763977564f"
			"343861"),
	};
	pg_run_detector(bt, TCP, 48987, 6881, miss, 2, &r);
	CHECK(r.status == PG_DETECT_MAYBE);
	check_class("handshake after MSE-sized opening", bt, TCP, 48987, 6881,
		    miss, 3, PG_SYS_BITTORRENT, PG_FEAT_DOWNLOAD,
		    PG_CONF_STRONG, PG_CONF_CERTAIN, -1, &r);
}

static void test_tracker(void)
{
	struct pg_run r;
	/* zeek_bittorrent_tracker.pcap frame 4 (TCP/6969). */
	const struct pg_step zeek[] = {C2S_TXT(
		"GET /announce?info_hash=%e4%be%9eM%b8v%e3%e3%17%97x%b0%3e%90b%97%be%5c%8d%be"
		"&peer_id=-DE13F0-VnpZRF8ZP9iv&port=63448&uploaded=0&downloaded=0"
		"&left=1921843200&corrupt=0&key=764CA003&event=started&numwant=200"
		"&compact=1&no_peer_id=1&supportcrypto=1&redundant=0 HTTP/1.1\r\n"
		"Host: torrent.ubuntu.com:6969\r\nUser-Agent: Deluge 1.3.15\r\n"
		"Accept-Encoding: gzip\r\nConnection: close\r\n\r\n")};
	check_class("announce", bt, TCP, 49842, 6969, zeek, 1,
		    PG_SYS_BITTORRENT, PG_FEAT_NETWORK, PG_CONF_STRONG,
		    PG_CONF_CERTAIN, -1, &r);

	/* ndpi_bt-http.pcapng frame 4, on port 80, split mid request line. */
	const struct pg_step ndpi[] = {
		C2S_TXT("GET /announce?info_hash=%aa7i%c4S%0d%de%06%24%18s%da%d4%3a%b5"),
		C2S_TXT("%cc%ec%2c%e6%22&peer_id=-TR2940-chho92c56pul&port=51413"
			"&uploaded=0&downloaded=0&left=282050560&numwant=80&key=3b5502cc"
			"&compact=1&supportcrypto=1&requirecrypto=1&event=started HTTP/1.1\r\n"
			"Host: tracker.trackerfix.com\r\nUser-Agent: Transmission/2.94\r\n\r\n"),
	};
	check_class("announce on port 80", bt, TCP, 46882, 80, ndpi, 2,
		    PG_SYS_BITTORRENT, PG_FEAT_NETWORK, PG_CONF_STRONG,
		    PG_CONF_CERTAIN, -1, &r);
	CHECK(r.matched_at == 1);

	const struct pg_step scrape[] = {C2S_TXT(
		"GET /scrape?info_hash=%aa7i%c4S%0d%de%06%24%18s%da%d4%3a%b5%cc%ec%2c%e6%22"
		" HTTP/1.0\r\n\r\n")};
	check_class("scrape", bt, TCP, 46882, 80, scrape, 1, PG_SYS_BITTORRENT,
		    PG_FEAT_NETWORK, PG_CONF_STRONG, PG_CONF_CERTAIN, -1, &r);

	/* negative/cs_http_google.pcapng: ordinary HTTP is not a tracker. */
	const struct pg_step google[] = {C2S_TXT(
		"GET / HTTP/1.1\r\nHost: www.google.com\r\n"
		"User-Agent: Mozilla/5.0 (Windows; U; Windows NT 6.1; en-US; rv:1.9.1.7)"
		" Gecko/20091221 Firefox/3.5.7\r\n\r\n")};
	check_status("plain http", bt, TCP, 50000, 80, google, 1, PG_DETECT_NO);
	/* A query that merely mentions the word. */
	const struct pg_step near[] = {C2S_TXT(
		"GET /search?q=announce&hash=1 HTTP/1.1\r\nHost: example.org\r\n\r\n")};
	check_status("announce word, no info_hash", bt, TCP, 50000, 80, near, 1,
		     PG_DETECT_NO);
}

/* arkime_bt-udp.pcap: three KRPC datagrams. */
static const char dht_query[] =
	"64313a6164323a696432303a5a68d3ec069f47fef50e79ddf086ac4d2e5e2622363a7461"
	"7267657432303a5a794bf8d902c9446cfa18f9a0ca82abe44400c865313a71393a66696e"
	"645f6e6f6465313a74343a76fd8227313a76343a555473f2313a79313a7165";
static const char dht_get_peers[] = /* ndpi_bittorrent_utp.pcap frame 1 */
	"64313a6164323a696432303af7f6007cea13506e514de7ecbc94f2ae517115f8393a696e"
	"666f5f6861736832303af7f601d8a6276f762c2c3df274af2827f8d1f1de65313a71393a"
	"6765745f7065657273313a74323a0e61313a76343a4c540101313a79313a7165";

static void test_dht(void)
{
	struct pg_run r;
	const struct pg_step q[] = {C2S_HEX(dht_query)};
	check_class("dht find_node", btu, UDP, 50759, 3207, q, 1,
		    PG_SYS_BITTORRENT, PG_FEAT_NETWORK, PG_CONF_STRONG,
		    PG_CONF_CERTAIN, -1, &r);
	const struct pg_step g[] = {C2S_HEX(dht_get_peers)};
	check_class("dht get_peers", btu, UDP, 64969, 40959, g, 1,
		    PG_SYS_BITTORRENT, PG_FEAT_NETWORK, PG_CONF_STRONG,
		    PG_CONF_CERTAIN, -1, &r);

	/* Near misses: a bencoded dictionary that is not KRPC (the "id" is
	 * not 20 bytes, "y" is not q/r/e), and a truncated query. */
	const struct pg_step fake[] = {C2S_TXT(
		"d1:ad2:id3:abce1:q4:ping1:t2:aa1:y1:xe")};
	check_status("bencode, not KRPC", btu, UDP, 40000, 40001, fake, 1,
		     PG_DETECT_NO);
	const struct pg_step torrent[] = {C2S_TXT(
		"d8:announce35:http://tracker.example.org/announce4:infod4:name3:abcee")};
	check_status("torrent metadata", btu, UDP, 40000, 40001, torrent, 1,
		     PG_DETECT_NO);
	char cut[sizeof(dht_query)];
	memcpy(cut, dht_query, sizeof(dht_query));
	cut[sizeof(dht_query) - 3] = '\0'; /* drop the final 'e' */
	const struct pg_step trunc[] = {C2S_HEX(cut)};
	check_status("truncated KRPC", btu, UDP, 40000, 40001, trunc, 1,
		     PG_DETECT_NO);
}

static void test_udp_other(void)
{
	struct pg_run r;
	/* ndpi_bt_search.pcap: LSD announce to 239.192.152.143:6771. */
	const struct pg_step lsd[] = {C2S_TXT(
		"BT-SEARCH * HTTP/1.1\r\nHost: 239.192.152.143:6771\r\nPort: 61197\r\n"
		"Infohash: ED4F1085E885F98F9A69B70EE89EB988B8FD9115\r\n\r\n\r\n")};
	check_class("lsd", btu, UDP, 6771, 6771, lsd, 1, PG_SYS_BITTORRENT,
		    PG_FEAT_NETWORK, PG_CONF_STRONG, PG_CONF_CERTAIN, -1, &r);

	/* BEP 15 connect request and reply (no capture in the corpus; the
	 * layout is the spec's). */
	const struct pg_step conn[] = {
		C2S_HEX("0000041727101980" "00000000" "c0ffee01"),
		S2C_HEX("00000000" "c0ffee01" "1122334455667788"),
	};
	check_class("udp tracker connect", btu, UDP, 40000, 6969, conn, 1,
		    PG_SYS_BITTORRENT, PG_FEAT_NETWORK, PG_CONF_STRONG,
		    PG_CONF_CERTAIN, -1, &r);
	const struct pg_step magic_bad[] = {C2S_HEX("0000041727101981" "00000000" "c0ffee01")};
	check_status("wrong protocol id", btu, UDP, 40000, 6969, magic_bad, 1,
		     PG_DETECT_NO);
}

static void test_utp(void)
{
	struct pg_run r;
	/* ndpi_bittorrent_utp.pcap frames 3 and 4: SYN, then the STATE with
	 * an extension, same connection id. */
	const struct pg_step synack[] = {
		C2S_HEX("4100530210eeb2f00000000000000000e7f50000"),
		S2C_HEX("2102530206ff3f5f7fffffff0000f00049c7e7f500080000000000000000"),
	};
	pg_run_detector(btu, UDP, 64969, 40959, synack, 1, &r);
	CHECK(r.status == PG_DETECT_MAYBE); /* a lone SYN proves little */
	check_class("utp syn/state", btu, UDP, 64969, 40959, synack, 2,
		    PG_SYS_BITTORRENT, PG_FEAT_DOWNLOAD, PG_CONF_WEAK,
		    PG_CONF_CERTAIN, -1, &r);
	CHECK(r.result.confidence < PG_CONF_DECIDE);

	/* Frames 87-89 of the same file: a uTP-only exchange on loopback
	 * (SYN, STATE, DATA "fbla\n"): nDPI's second BitTorrent flow. */
	const struct pg_step lo[] = {
		C2S_HEX("41004567ed639296000000000010000023c60000"),
		S2C_HEX("21004567ed6393410000000000100000456723c6"),
		C2S_HEX("01004568ed7a591d000000a70010000023c74566626c610a"),
	};
	check_class("utp loopback", btu, UDP, 49861, 33333, lo, 3,
		    PG_SYS_BITTORRENT, PG_FEAT_DOWNLOAD, PG_CONF_WEAK,
		    PG_CONF_CERTAIN, -1, &r);
	CHECK(r.matched_at == 1);

	/* Frame 5 (cut after the handshake): uTP DATA carrying the peer-wire
	 * handshake. */
	const struct pg_step data[] = {C2S_HEX(
		"0100530310f0687609f1291700100000e7f649c6"
		"13426974546f7272656e742070726f746f636f6c0000000000180005"
		"0ca4c8e7fb26a354b1a7aa15baeaf26067c66811")};
	check_class("utp data + handshake", btu, UDP, 64969, 40959, data, 1,
		    PG_SYS_BITTORRENT, PG_FEAT_DOWNLOAD, PG_CONF_STRONG,
		    PG_CONF_CERTAIN, -1, &r);

	/* Near misses: version 2; a SYN with a timestamp difference; a STATE
	 * carrying data; an extension running past the end; Teredo's port. */
	const struct pg_step v2[] = {C2S_HEX("4200530210eeb2f00000000000000000e7f50000")};
	check_status("utp version 2", btu, UDP, 64969, 40959, v2, 1,
		     PG_DETECT_NO);
	const struct pg_step syn_ts[] = {C2S_HEX("4100530210eeb2f00000000100000000e7f50000")};
	check_status("utp syn ts_diff", btu, UDP, 64969, 40959, syn_ts, 1,
		     PG_DETECT_NO);
	const struct pg_step state_data[] = {C2S_HEX(
		"2100530310f4297409f3218d000ffe37e7f749c7deadbeef")};
	check_status("utp state with data", btu, UDP, 64969, 40959, state_data,
		     1, PG_DETECT_NO);
	const struct pg_step ext_over[] = {C2S_HEX(
		"2102530206ff3f5f7fffffff0000f00049c7e7f50020000000")};
	check_status("utp extension overrun", btu, UDP, 64969, 40959, ext_over,
		     1, PG_DETECT_NO);
	check_status("utp-shaped on teredo port", btu, UDP, 64969, 3544, synack,
		     2, PG_DETECT_MAYBE);
}

static void test_negatives(void)
{
	/* negative/ndpi_dns.pcap frame 2 */
	const struct pg_step dns[] = {C2S_HEX(
		"bc1f0100000100000000000003777777076578616d706c6503636f6d00001c0001")};
	check_status("dns", btu, UDP, 32795, 53, dns, 1, PG_DETECT_NO);
	/* negative/ndpi_quic.pcap frame 1 (first 80 bytes) */
	const struct pg_step quic[] = {C2S_HEX(
		"0db2de5df14f5545eb51303234013b6e8986f83cf3b7a6ab5d0501a001000443484c4f"
		"180000005041440087010000534e49009601000053544b00d001000056455200d40100"
		"0043435300e40100004e")};
	check_status("gquic", btu, UDP, 57833, 443, quic, 1, PG_DETECT_NO);
	/* negative/arkime_ssh2.pcap, arkime_tls13.pcap, ndpi_smtp.pcap */
	const struct pg_step ssh[] = {
		S2C_TXT("SSH-1.99-OpenSSH_3.9p1\n"), C2S_TXT("SSH-2.0-OpenSSH_5.3\r\n")};
	check_status("ssh", bt, TCP, 61672, 22, ssh, 2, PG_DETECT_NO);
	const struct pg_step tls[] = {C2S_HEX(
		"1603010200010001fc03034355d402c132771a9386b6e9994ae37069e0621af504c266"
		"73b1343843c21d8d0000264a4a130113021303c02bc02fc02cc030cca9cca8cc14cc13"
		"c013c014009c009d002f0035000a010001addada0000ff0100010000000018001600"
		"0013626c6f672e636c6f7564666c6172")};
	check_status("tls client hello", bt, TCP, 62510, 443, tls, 1,
		     PG_DETECT_NO);
	const struct pg_step smtp[] = {S2C_TXT(
		"220 pigeon.eyrie.af.mil ESMTP Sendmail 8.8.7/8.8.7; Sat, 7 Aug 1999 "
		"08:20:11 -0400\r\n")};
	check_status("smtp banner", bt, TCP, 2127, 25, smtp, 1, PG_DETECT_NO);
	/* negative/ndpi_dnscrypt_skype_false_positive.pcapng frame 1 (first
	 * 120 bytes): random UDP must not look like uTP/DHT. */
	const struct pg_step dnscrypt[] = {C2S_HEX(
		"d31b02042ac406f3497e6993424b0a16c06e75586651bb4a47b500e1d021af661e16c5"
		"859f9d160f796107117ec517179b83ae7412ca145de55cdcc9453d67d660b01302b21a"
		"1ccd502e9491969dd805ac9ae535e9f80f047fec71e023c6f5db78968c43d11b486f84"
		"af2476d1fdfac7438970d9106257e6")};
	check_status("dnscrypt", btu, UDP, 46858, 443, dnscrypt, 1,
		     PG_DETECT_NO);
}

int main(void)
{
	test_peer_wire();
	test_mid_session();
	test_tracker();
	test_dht();
	test_udp_other();
	test_utp();
	test_negatives();
	return pg_test_summary("test_detect_bittorrent");
}
