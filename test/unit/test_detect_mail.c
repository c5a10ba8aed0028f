/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SMTP, POP3 and IMAP on the opening lines of the corpus sessions. */
#include <netinet/in.h>

#include "detect_harness.h"

static struct pg_run run;

static enum pg_detect_status go(const struct pg_step *s, size_t n)
{
	return pg_run_detector(&pg_detector_mail, IPPROTO_TCP, 2127, 25, s, n, &run);
}

int main(void)
{
	/* negative/ndpi_smtp.pcap: ESMTP banner decides at once */
	const struct pg_step smtp[] = {
		{PG_DIR_S2C, NULL, "220 pigeon.eyrie.af.mil ESMTP Sendmail 8.8.7/8.8.7; Sat, 7 Aug 1999 08:20:11 -0400\r\n"},
		{PG_DIR_C2S, NULL, "EHLO delta.peach.mil\r\n"}};
	CHECK(go(smtp, 2) == PG_DETECT_MATCH);
	CHECK(run.matched_at == 0);
	CHECK(run.result.system == PG_SYS_MAIL);

	/* A banner without the word: the client's EHLO settles it. */
	const struct pg_step smtp2[] = {{PG_DIR_S2C, NULL, "220 mx.example.net ready\r\n"},
					{PG_DIR_C2S, NULL, "EHLO xxxxxxxxxxxxx.xxx.com\r\n"}};
	CHECK(go(smtp2, 2) == PG_DETECT_MATCH);
	CHECK(run.matched_at == 1);

	/* negative/ndpi_imap.pcap */
	const struct pg_step imap[] = {
		{PG_DIR_S2C, NULL, "* OK IMAP4Rev1 Server Version 4.9.04.012\r\n"},
		{PG_DIR_C2S, NULL, "C00000 CAPABILITY\r\n"}};
	CHECK(go(imap, 2) == PG_DETECT_MATCH);
	CHECK(run.matched_at == 0);

	/* IMAP joined mid-session: tagged command, untagged answer */
	const struct pg_step imap2[] = {{PG_DIR_C2S, NULL, "C00001 LOGIN samir pfres\r\n"},
					{PG_DIR_S2C, NULL, "C00001 OK LOGIN completed\r\n"}};
	CHECK(go(imap2, 2) == PG_DETECT_MATCH);
	CHECK(run.matched_at == 1);

	/* negative/ppa_email-troubles.pcap: POP3 joined mid-session */
	const struct pg_step pop[] = {{PG_DIR_C2S, NULL, "RETR 20\r\n"},
				      {PG_DIR_S2C, NULL, "+OK 100220 octets\r\nReceived: from 12-219-164-63\r\n"}};
	CHECK(go(pop, 2) == PG_DETECT_MATCH);
	CHECK(run.matched_at == 1);

	/* POP3 greeting */
	const struct pg_step pop2[] = {{PG_DIR_S2C, NULL, "+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n"}};
	CHECK(go(pop2, 1) == PG_DETECT_MATCH);

	/* Near misses.  negative/ndpi_ftp.pcap banner names FTP. */
	const struct pg_step ftp[] = {{PG_DIR_S2C, NULL, "220 (vsFTPd 3.0.3)\r\n"}};
	CHECK(go(ftp, 1) == PG_DETECT_NO);
	const struct pg_step ftp2[] = {{PG_DIR_S2C, NULL, "220 Welcome\r\n"},
				       {PG_DIR_C2S, NULL, "USER anonymous\r\n"}};
	CHECK(go(ftp2, 2) == PG_DETECT_NO);
	/* Redis answers "+OK" to RESP */
	const struct pg_step redis[] = {{PG_DIR_C2S, NULL, "*1\r\n$4\r\nPING\r\n"},
					{PG_DIR_S2C, NULL, "+OK\r\n"}};
	CHECK(go(redis, 2) == PG_DETECT_NO);
	/* IRC */
	const struct pg_step irc[] = {{PG_DIR_C2S, NULL, "NICK alice\r\n"}};
	CHECK(go(irc, 1) == PG_DETECT_NO);
	/* binary */
	const struct pg_step bin[] = {{PG_DIR_C2S, "16030100730100", NULL}};
	CHECK(go(bin, 1) == PG_DETECT_NO);
	/* banner incomplete: wait */
	const struct pg_step part[] = {{PG_DIR_S2C, NULL, "220 mx.exa"}};
	CHECK(go(part, 1) == PG_DETECT_MAYBE);
	return pg_test_summary("test_detect_mail");
}
