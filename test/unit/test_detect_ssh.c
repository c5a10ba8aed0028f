/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SSH detector on the identification lines of negative/arkime_ssh2.pcap and
 * negative/ndpi_ssh.pcap. */
#include <netinet/in.h>

#include "detect_harness.h"

static struct pg_run run;

static enum pg_detect_status go(const struct pg_step *s, size_t n)
{
	return pg_run_detector(&pg_detector_ssh, IPPROTO_TCP, 61672, 22, s, n, &run);
}

int main(void)
{
	/* arkime_ssh2.pcap: the server speaks first, protocol 1.99 */
	const struct pg_step a[] = {{PG_DIR_S2C, NULL, "SSH-1.99-OpenSSH_3.9p1\n"},
				    {PG_DIR_C2S, NULL, "SSH-2.0-OpenSSH_5.3\r\n"}};
	CHECK(go(a, 2) == PG_DETECT_MATCH);
	CHECK(run.matched_at == 0);
	CHECK(run.result.system == PG_SYS_SSH);
	CHECK(run.result.confidence == PG_CONF_STRONG);

	/* ndpi_ssh.pcap stream 1 (port 8000): the client first, in pieces */
	const struct pg_step b[] = {{PG_DIR_C2S, NULL, "SSH-2"},
				    {PG_DIR_C2S, NULL, ".0-OpenSSH_8.2p1 Ubuntu-4ubuntu0.11\r\n"}};
	CHECK(go(b, 2) == PG_DETECT_MATCH);
	CHECK(run.matched_at == 1);

	/* Near misses */
	const struct pg_step c[] = {{PG_DIR_C2S, NULL, "SSH-two-x\r\n"}};
	CHECK(go(c, 1) == PG_DETECT_NO);
	const struct pg_step d[] = {{PG_DIR_C2S, NULL, "GET / HTTP/1.1\r\n"}};
	CHECK(go(d, 1) == PG_DETECT_NO);
	/* A good client line but the server answers something else */
	const struct pg_step e[] = {{PG_DIR_S2C, NULL, "220 mail ESMTP\r\n"},
				    {PG_DIR_C2S, NULL, "SSH-2.0-x\r\n"}};
	CHECK(go(e, 2) == PG_DETECT_NO);
	const struct pg_step f[] = {{PG_DIR_C2S, NULL, "SSH-2.0-"}};
	CHECK(go(f, 1) == PG_DETECT_MAYBE);
	return pg_test_summary("test_detect_ssh");
}
