/* SPDX-License-Identifier: GPL-2.0-or-later */
/* FTP control connections (negative/ndpi_ftp.pcap). */
#include <netinet/in.h>

#include "detect_harness.h"

static struct pg_run run;

static enum pg_detect_status go(const struct pg_step *s, size_t n)
{
	return pg_run_detector(&pg_detector_ftp, IPPROTO_TCP, 50694, 21, s, n, &run);
}

int main(void)
{
	const struct pg_step a[] = {{PG_DIR_S2C, NULL, "220 (vsFTPd 3.0.3)\r\n"},
				    {PG_DIR_C2S, NULL, "USER anonymous\r\n"}};
	CHECK(go(a, 2) == PG_DETECT_MATCH);
	CHECK(run.matched_at == 0);
	CHECK(run.result.system == PG_SYS_FTP);
	CHECK(run.result.confidence == PG_CONF_DECIDE);

	/* A banner that does not say FTP: USER settles it */
	const struct pg_step b[] = {{PG_DIR_S2C, NULL, "220 Welcome to example\r\n"},
				    {PG_DIR_C2S, NULL, "USER anonymous\r\n"}};
	CHECK(go(b, 2) == PG_DETECT_MATCH);
	CHECK(run.matched_at == 1);

	/* Joined mid-session: PASS answered by 230 */
	const struct pg_step c[] = {{PG_DIR_C2S, NULL, "PASS NcFTP@\r\n"},
				    {PG_DIR_S2C, NULL, "230 Login successful.\r\n"}};
	CHECK(go(c, 2) == PG_DETECT_MATCH);

	/* Near misses: SMTP */
	const struct pg_step d[] = {{PG_DIR_S2C, NULL, "220 mx.google.com ESMTP s4si9696358qcc.63 - gsmtp\r\n"}};
	CHECK(go(d, 1) == PG_DETECT_NO);
	const struct pg_step e[] = {{PG_DIR_S2C, NULL, "220 host ready\r\n"},
				    {PG_DIR_C2S, NULL, "EHLO x\r\n"}};
	CHECK(go(e, 2) == PG_DETECT_NO);
	/* POP3 mid-session: the reply is not numeric */
	const struct pg_step f[] = {{PG_DIR_C2S, NULL, "RETR 20\r\n"},
				    {PG_DIR_S2C, NULL, "+OK 100220 octets\r\n"}};
	CHECK(go(f, 2) == PG_DETECT_NO);
	/* SMTP's QUIT answered by 221 is not enough */
	const struct pg_step g[] = {{PG_DIR_C2S, NULL, "QUIT\r\n"},
				    {PG_DIR_S2C, NULL, "221 Bye\r\n"}};
	CHECK(go(g, 2) == PG_DETECT_NO);
	/* FTP data connection content (ndpi_ftp.pcap stream 1) */
	const struct pg_step h[] = {{PG_DIR_S2C, NULL, "-rw-r--r--    1 0        0        1073741824000 Feb 19  2016 1000GB.zip\r\n"}};
	CHECK(go(h, 1) == PG_DETECT_NO);
	return pg_test_summary("test_detect_ftp");
}
