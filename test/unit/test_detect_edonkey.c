/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * eDonkey/eMule/Kad detector on shared/corpus/edonkey/ndpi_edonkey.pcap
 * (a client-to-client session on TCP/7551), layouts derived from it, near
 * misses and negative bytes.
 */
#include "detect_harness.h"

static const struct pg_detector *const ed = &pg_detector_edonkey;

/* ndpi_edonkey.pcap frame 4: OP_HELLO (hash size 16, hash, id, port,
 * 8 old-style tags, server address). */
static const char hello[] =
	"e37700000001101b42cd5b940ed779c20ab755fe256f977d4967e38a4d0800000002"
	"0100010f005b43484e5d5b5665727943445d7866030100113c000000020100550a00"
	"786c206275696c643631030100ee0ce98914030100f9a24ba24b030100fa14421334"
	"030100fb00c00000030100fe940000005511ac22e110";
/* Frame 5: OP_HELLOANSWER from the other client. */
static const char hello_answer[] =
	"e37f0000004c3a3544a8310e281d51ed5182f4cf6fd48c71f4cf7f1d080000000201"
	"000115005b43484e5d5b5665727943445d796f75726e616d65030100113c00000003"
	"0100f9891d891d030100fa1b421334030100feb4010000030100fb00c00000020100"
	"550d0056657279434420303930333034030100ee0ce98914d43fce239210";
/* OP_LOGINREQUEST with the same identity: the HELLO body without the
 * hash-size byte and the trailing server address (length 0x70). */
static const char login[] =
	"e370000000011b42cd5b940ed779c20ab755fe256f977d4967e38a4d0800000002"
	"0100010f005b43484e5d5b5665727943445d7866030100113c000000020100550a00"
	"786c206275696c643631030100ee0ce98914030100f9a24ba24b030100fa14421334"
	"030100fb00c00000030100fe94000000";

static void test_tcp(void)
{
	struct pg_run r;
	const struct pg_step h[] = {C2S_HEX(hello)};
	check_class("hello", ed, TCP, 1754, 7551, h, 1, PG_SYS_EDONKEY,
		    PG_FEAT_DOWNLOAD, PG_CONF_STRONG, PG_CONF_CERTAIN, -1, &r);

	const struct pg_step ha[] = {C2S_HEX(""), S2C_HEX(hello_answer)};
	check_class("hello answer", ed, TCP, 1754, 7551, ha, 2, PG_SYS_EDONKEY,
		    PG_FEAT_DOWNLOAD, PG_CONF_STRONG, PG_CONF_CERTAIN, -1, &r);

	const struct pg_step lg[] = {C2S_HEX(login)};
	check_class("login", ed, TCP, 50000, 4661, lg, 1, PG_SYS_EDONKEY,
		    PG_FEAT_NETWORK, PG_CONF_STRONG, PG_CONF_CERTAIN, -1, &r);

	/* The hello in two segments: MAYBE until the frame is complete. */
	char first[2 * 60 + 1], rest[sizeof(hello)];
	memcpy(first, hello, 120);
	first[120] = '\0';
	strcpy(rest, hello + 120);
	const struct pg_step split[] = {C2S_HEX(first), C2S_HEX(rest)};
	pg_run_detector(ed, TCP, 1754, 7551, split, 1, &r);
	CHECK(r.status == PG_DETECT_MAYBE);
	check_class("hello split", ed, TCP, 1754, 7551, split, 2,
		    PG_SYS_EDONKEY, PG_FEAT_DOWNLOAD, PG_CONF_STRONG,
		    PG_CONF_CERTAIN, -1, &r);

	/* Two messages in one segment: the length lands on the next E3. */
	char two[sizeof(hello) + 32];
	snprintf(two, sizeof(two), "%s%s", hello, "e3010000004a");
	const struct pg_step pair[] = {C2S_HEX(two)};
	check_class("hello + ask shared files", ed, TCP, 1754, 7551, pair, 1,
		    PG_SYS_EDONKEY, PG_FEAT_DOWNLOAD, PG_CONF_STRONG,
		    PG_CONF_CERTAIN, -1, &r);

	/* Near misses.  E3 with a length that ends inside the hello (the
	 * byte there is not a protocol byte): */
	char shortlen[sizeof(hello)];
	memcpy(shortlen, hello, sizeof(hello));
	shortlen[2] = '6'; /* 0x77 -> 0x67 */
	const struct pg_step sl[] = {C2S_HEX(shortlen)};
	check_status("E3 with a wrong length", ed, TCP, 1754, 7551, sl, 1,
		     PG_DETECT_NO);
	/* An opcode no client or server sends. */
	char badop[sizeof(hello)];
	memcpy(badop, hello, sizeof(hello));
	badop[10] = '0';
	badop[11] = '2';
	const struct pg_step bo[] = {C2S_HEX(badop)};
	check_status("E3 with an unknown opcode", ed, TCP, 1754, 7551, bo, 1,
		     PG_DETECT_NO);
	/* A hello whose last tag runs past the frame is still a framed
	 * client message (tags we cannot parse), but a zero length is not. */
	const struct pg_step zero[] = {C2S_HEX("e30000000001")};
	check_status("zero length", ed, TCP, 1754, 7551, zero, 1, PG_DETECT_NO);
	/* TLS and SSH (negative/arkime_tls13.pcap, arkime_ssh2.pcap). */
	const struct pg_step tls[] = {C2S_HEX(
		"1603010200010001fc03034355d402c132771a9386b6e9994ae37069e0621af5")};
	check_status("tls", ed, TCP, 62510, 443, tls, 1, PG_DETECT_NO);
	const struct pg_step ssh[] = {S2C_TXT("SSH-1.99-OpenSSH_3.9p1\n")};
	check_status("ssh", ed, TCP, 61672, 22, ssh, 1, PG_DETECT_NO);
}

static void test_udp(void)
{
	struct pg_run r;
	/* Kad 2 KADEMLIA2_REQ: type, target id, receiver id (35 bytes, the
	 * layout of aMule's kad2 headers; no UDP eDonkey capture exists in
	 * the corpus). */
	const struct pg_step kreq[] = {C2S_HEX(
		"e4210b" "00112233445566778899aabbccddeeff"
		"0f1e2d3c4b5a69788796a5b4c3d2e1f0")};
	check_class("kad2 req", ed, UDP, 4672, 4672, kreq, 1, PG_SYS_EDONKEY,
		    PG_FEAT_NETWORK, PG_CONF_STRONG, PG_CONF_CERTAIN, -1, &r);
	/* msn/ws_Sanaullah.pcap frame 1214: a real Kad 1 KADEMLIA_REQ (type
	 * 2) sent to a campus host on a random port. */
	const struct pg_step kad1[] = {C2S_HEX(
		"e420023a47ca64e601142cc8620d692891589e5b237d6d06e5a85dd9c5a1b7e721d228")};
	check_class("kad1 req (Sanaullah)", ed, UDP, 37497, 24293, kad1, 1,
		    PG_SYS_EDONKEY, PG_FEAT_NETWORK, PG_CONF_STRONG,
		    PG_CONF_CERTAIN, -1, &r);
	const struct pg_step kreq_short[] = {C2S_HEX(
		"e4210b" "00112233445566778899aabbccddeeff"
		"0f1e2d3c4b5a69788796a5b4c3d2e1")};
	check_status("kad2 req one byte short", ed, UDP, 4672, 4672, kreq_short,
		     1, PG_DETECT_NO);
	/* Server UDP: get sources for two file hashes. */
	const struct pg_step gs[] = {C2S_HEX(
		"e39a" "00112233445566778899aabbccddeeff"
		"ffeeddccbbaa99887766554433221100")};
	check_class("get sources", ed, UDP, 4672, 4665, gs, 1, PG_SYS_EDONKEY,
		    PG_FEAT_NETWORK, PG_CONF_STRONG, PG_CONF_CERTAIN, -1, &r);
	/* Server status request with its challenge: short, so WEAK. */
	const struct pg_step st[] = {C2S_HEX("e39655aa55aa")};
	check_class("server status req", ed, UDP, 4672, 4665, st, 1,
		    PG_SYS_EDONKEY, PG_FEAT_NETWORK, PG_CONF_WEAK,
		    PG_CONF_CERTAIN, -1, &r);
	CHECK(r.result.confidence < PG_CONF_DECIDE);
	/* Kad hello with a one-tag set that ends exactly at the end. */
	const struct pg_step kh[] = {C2S_HEX(
		"e411" "00112233445566778899aabbccddeeff" "1212" "08"
		"01" "890101")};
	check_class("kad2 hello", ed, UDP, 4672, 4672, kh, 1, PG_SYS_EDONKEY,
		    PG_FEAT_NETWORK, PG_CONF_STRONG, PG_CONF_CERTAIN, -1, &r);
	/* negative/ndpi_dns.pcap */
	const struct pg_step dns[] = {C2S_HEX(
		"bc1f0100000100000000000003777777076578616d706c6503636f6d00001c0001")};
	check_status("dns", ed, UDP, 32795, 53, dns, 1, PG_DETECT_NO);
}

int main(void)
{
	test_tcp();
	test_udp();
	return pg_test_summary("test_detect_edonkey");
}
