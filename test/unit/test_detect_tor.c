/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tor detector on shared/corpus/tor/ndpi_tor.pcap (client 192.168.1.252 to
 * relays on 443), near misses and negative bytes.
 */
#include "detect_harness.h"

static const struct pg_detector *const tor = &pg_detector_tor;

/* Frame 310: ClientHello with SNI www.t3i3ru.com. */
#define TOR_HELLO \
	"16030100cc010000c80301527b813714c6089f1af66bf2c6741a3b898e97df0a31a7" \
	"0c300761385fede0e7000048c00ac0140088008700390038c00fc00500840035c007" \
	"c009c011c0130045004400330032c00cc00ec002c0040096004100040005002fc008" \
	"c01200160013c00dc003feff000a00ff0100005700000013001100000e7777772e74" \
	"33693372752e636f6d000b000403000102000a003400320001000200030004000500" \
	"06000700080009000a000b000c000d000e000f001000110012001300140015001600" \
	"1700180019"
/* Frame 313 (first 240 bytes): ServerHello and the link certificate with
 * issuer CN www.wohgpas45j6ucw.com and subject CN www.7d43ah2kikrabj.net. */
#define TOR_CERT \
	"1603010039020000350301527b72f9dd7da912727eb0c34aef22d48ff5baa4edbe35" \
	"17b1e15c099f40c11300c01300000dff01000100000b00040300010216030101cb0b" \
	"0001c70001c40001c1308201bd30820126a003020102020820597b1bf36c9515300d" \
	"06092a864886f70d01010505003021311f301d060355040313167777772e776f6867" \
	"70617334356a367563772e636f6d301e170d3133303931313030303030305a170d31" \
	"33313132343233353935395a3021311f301d060355040313167777772e3764343361" \
	"68326b696b7261626a2e6e657430819f300d06092a864886f70d010101050003818d" \
	"0030"

static void test_tor(void)
{
	struct pg_run r;
	const struct pg_step link[] = {C2S_HEX(TOR_HELLO), S2C_HEX(TOR_CERT)};
	pg_run_detector(tor, TCP, 51174, 443, link, 1, &r);
	CHECK(r.status == PG_DETECT_MAYBE);
	check_class("tor link", tor, TCP, 51174, 443, link, 2, PG_SYS_TOR,
		    PG_FEAT_NETWORK, PG_CONF_STRONG, PG_CONF_CERTAIN, -1, &r);

	/* Near misses: the same hello answered by an ordinary certificate
	 * (the issuer CN rewritten); an ordinary SNI. */
	char other[sizeof(TOR_CERT)];
	memcpy(other, TOR_CERT, sizeof(TOR_CERT));
	char *cn = strstr(other, "7777772e776f686770617334356a367563772e636f6d");
	CHECK(cn != NULL); /* issuer CN www.wohgpas45j6ucw.com, 22 bytes */
	if (cn) /* -> www.example-site.co.uk, also 22 bytes */
		memcpy(cn, "7777772e6578616d706c652d736974652e636f2e756b", 44);
	const struct pg_step plain_cert[] = {C2S_HEX(TOR_HELLO), S2C_HEX(other)};
	check_status("ordinary certificate", tor, TCP, 51174, 443, plain_cert,
		     2, PG_DETECT_NO);
	/* negative/arkime_tls13.pcap: SNI blog.cloudflare.com (first 120
	 * bytes of the ClientHello). */
	const struct pg_step cf[] = {C2S_HEX(
		"1603010200010001fc03034355d402c132771a9386b6e9994ae37069e0621af504c266"
		"73b1343843c21d8d0000264a4a130113021303c02bc02fc02cc030cca9cca8cc14cc13"
		"c013c014009c009d002f0035000a010001addada0000ff0100010000000018001600"
		"0013626c6f672e636c6f7564666c6172652e636f6d")};
	check_status("ordinary sni", tor, TCP, 62510, 443, cf, 1, PG_DETECT_NO);
	/* Not TLS at all. */
	const struct pg_step ssh[] = {C2S_TXT("SSH-2.0-OpenSSH_5.3\r\n")};
	check_status("ssh", tor, TCP, 61672, 22, ssh, 1, PG_DETECT_NO);
}

int main(void)
{
	test_tor();
	return pg_test_summary("test_detect_tor");
}
