/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SOCKS4, SOCKS4a and SOCKS5 exchanges from socks/ in the corpus. */
#include <netinet/in.h>

#include "detect_harness.h"

static struct pg_run run;

static enum pg_detect_status go(const struct pg_step *s, size_t n)
{
	return pg_run_detector(&pg_detector_socks, IPPROTO_TCP, 53554, 1080, s, n, &run);
}

static void test_socks4(void)
{
	/* arkime_socks-https-example.pcap stream 0: SOCKS4 to an address */
	const struct pg_step a[] = {{PG_DIR_C2S, "040101bb5db8d87700", NULL},
				    {PG_DIR_S2C, "005a99b40ab49cf9", NULL}};
	CHECK(go(a, 2) == PG_DETECT_MATCH);
	CHECK(run.matched_at == 1);
	CHECK(run.result.system == PG_SYS_PROXY);
	CHECK(run.result.feature == PG_FEAT_SOCKS4);
	CHECK(run.result.confidence == PG_CONF_STRONG);
	CHECK(run.result.host == NULL);
	/* Before the reply: waiting */
	CHECK(go(a, 1) == PG_DETECT_MAYBE);

	/* stream 2: SOCKS4a with a name */
	const struct pg_step b[] = {
		{PG_DIR_C2S, "040101bb00000001007777772e6578616d706c652e636f6d00", NULL},
		{PG_DIR_S2C, "005a99b50ab49cf9", NULL}};
	CHECK(go(b, 2) == PG_DETECT_MATCH);
	CHECK(pg_run_host_is(&run, "www.example.com"));

	/* arkime_socks4-https.pcap: 4a with a user id */
	const struct pg_step c[] = {
		{PG_DIR_C2S, "040101bb000000016664376263663762356339653164006c6f67696e2e6c6976652e636f6d00", NULL},
		{PG_DIR_S2C, "005a01bb83fd3d50", NULL}};
	CHECK(go(c, 2) == PG_DETECT_MATCH);
	CHECK(pg_run_host_is(&run, "login.live.com"));

	/* Reply that is not a SOCKS4 reply */
	const struct pg_step d[] = {{PG_DIR_C2S, "040101bb5db8d87700", NULL},
				    {PG_DIR_S2C, "485454502f312e31", NULL}};
	CHECK(go(d, 2) == PG_DETECT_NO);
	/* Unknown command */
	const struct pg_step e[] = {{PG_DIR_C2S, "040301bb5db8d87700", NULL}};
	CHECK(go(e, 1) == PG_DETECT_NO);
}

static void test_socks5(void)
{
	/* ndpi_socks.pcap stream 0: name target */
	const struct pg_step a[] = {
		{PG_DIR_C2S, "050100", NULL},
		{PG_DIR_S2C, "0500", NULL},
		{PG_DIR_C2S, "050100030e7777772e676f6f676c652e636f6d0050", NULL},
		{PG_DIR_S2C, "050000010a0000020050", NULL}};
	CHECK(go(a, 4) == PG_DETECT_MATCH);
	CHECK(run.matched_at == 2);
	CHECK(run.result.feature == PG_FEAT_SOCKS5);
	CHECK(pg_run_host_is(&run, "www.google.com"));

	/* arkime_socks-https-example.pcap stream 4: IPv4 target, two
	 * methods offered */
	const struct pg_step b[] = {{PG_DIR_C2S, "05020001", NULL},
				    {PG_DIR_S2C, "0500", NULL},
				    {PG_DIR_C2S, "050100015db8d87701bb", NULL}};
	CHECK(go(b, 3) == PG_DETECT_MATCH);
	CHECK(run.result.host == NULL);

	/* user/password sub-negotiation (RFC 1929) before the request */
	const struct pg_step c[] = {{PG_DIR_C2S, "050102", NULL},
				    {PG_DIR_S2C, "0502", NULL},
				    {PG_DIR_C2S, "0105616c69636503707764", NULL},
				    {PG_DIR_S2C, "0100", NULL},
				    {PG_DIR_C2S, "0501000311"
					     "7363732e6d73672e7961686f6f2e636f6d13ba", NULL}};
	CHECK(go(c, 5) == PG_DETECT_MATCH);
	CHECK(pg_run_host_is(&run, "scs.msg.yahoo.com"));

	/* Server picks a method that was not offered */
	const struct pg_step d[] = {{PG_DIR_C2S, "050100", NULL},
				    {PG_DIR_S2C, "0502", NULL}};
	CHECK(go(d, 2) == PG_DETECT_NO);
	/* Greeting with garbage methods */
	const struct pg_step e[] = {{PG_DIR_C2S, "0503fffefd", NULL}};
	CHECK(go(e, 1) == PG_DETECT_NO);
	/* Greeting alone: waiting */
	const struct pg_step f[] = {{PG_DIR_C2S, "050100", NULL}};
	CHECK(go(f, 1) == PG_DETECT_MAYBE);
	/* Refused: still a SOCKS5 exchange */
	const struct pg_step g[] = {{PG_DIR_C2S, "050100", NULL}, {PG_DIR_S2C, "05ff", NULL}};
	CHECK(go(g, 2) == PG_DETECT_MATCH);
	/* Bad address type */
	const struct pg_step h[] = {{PG_DIR_C2S, "050100", NULL},
				    {PG_DIR_S2C, "0500", NULL},
				    {PG_DIR_C2S, "050100090a0000010d3d", NULL}};
	CHECK(go(h, 3) == PG_DETECT_NO);
}

static void test_others(void)
{
	/* TLS, HTTP and server-first traffic are not SOCKS */
	const struct pg_step a[] = {{PG_DIR_C2S, "16030100730100006f0301", NULL}};
	CHECK(go(a, 1) == PG_DETECT_NO);
	const struct pg_step b[] = {{PG_DIR_S2C, NULL, "220 ready\r\n"}};
	CHECK(go(b, 1) == PG_DETECT_NO);
	/* eDonkey hello starts with 0xe3; BitTorrent with 0x13 */
	const struct pg_step c[] = {{PG_DIR_C2S, "13426974546f7272656e742070726f746f636f6c", NULL}};
	CHECK(go(c, 1) == PG_DETECT_NO);
}

int main(void)
{
	test_socks4();
	test_socks5();
	test_others();
	return pg_test_summary("test_detect_socks");
}
