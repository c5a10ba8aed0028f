/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * IRC detector on shared/corpus/irc captures (ndpi_irc.pcap, sv_irc.pcap,
 * zeek_irc-basic.pcap, zeek_irc-dcc-send.pcapng, zeek_irc-starttls.pcap),
 * DCC offers with their expectations, near misses and negative bytes.
 */
#include "detect_harness.h"

static const struct pg_detector *const irc = &pg_detector_irc;

static void test_sessions(void)
{
	struct pg_run r;
	/* ndpi_irc.pcap (TCP/8000): USER first, NICK second. */
	const struct pg_step ndpi[] = {
		C2S_TXT("USER xxxxx +iw xxxxx :Xxxxxx Xxxx\r\n"),
		C2S_TXT("NICK molochtest\r\n"),
	};
	check_class("ndpi user/nick", irc, TCP, 45921, 8000, ndpi, 2,
		    PG_SYS_IRC, PG_FEAT_IM, PG_CONF_STRONG, PG_CONF_CERTAIN, -1,
		    &r);
	CHECK(r.matched_at == 0);

	/* zeek_irc-basic.pcap: the server's NOTICE comes first. */
	const struct pg_step zeek[] = {S2C_TXT(
		":leguin.freenode.net NOTICE * :*** Looking up your hostname...\r\n")};
	check_class("server notice", irc, TCP, 49170, 6667, zeek, 1, PG_SYS_IRC,
		    PG_FEAT_IM, PG_CONF_STRONG, PG_CONF_CERTAIN, -1, &r);

	/* sv_irc.pcap: PASS, then NICK and USER in one segment. */
	const struct pg_step sv[] = {
		C2S_TXT("PASS l0m3za\r\n"),
		C2S_TXT("NICK damn-0262937047\r\nUSER ghmfeirsfnw 0 0 :damn-0262937047\r\n"),
	};
	pg_run_detector(irc, TCP, 1049, 6667, sv, 1, &r);
	CHECK(r.status == PG_DETECT_MAYBE);
	check_class("pass nick user", irc, TCP, 1049, 6667, sv, 2, PG_SYS_IRC,
		    PG_FEAT_IM, PG_CONF_STRONG, PG_CONF_CERTAIN, -1, &r);
	/* The old-style "NOTICE AUTH" greeting of that server. */
	const struct pg_step auth[] = {S2C_TXT(
		":hunt3d.devilz.net NOTICE AUTH :*** Looking up your hostname...\r\n")};
	check_class("notice auth", irc, TCP, 1049, 6667, auth, 1, PG_SYS_IRC,
		    PG_FEAT_IM, PG_CONF_STRONG, PG_CONF_CERTAIN, -1, &r);

	/* zeek_irc-dcc-send.pcapng: IRCv3 capability negotiation first. */
	const struct pg_step cap[] = {C2S_TXT("CAP LS 302\r\n")};
	check_class("cap ls", irc, TCP, 59069, 6667, cap, 1, PG_SYS_IRC,
		    PG_FEAT_IM, PG_CONF_STRONG, PG_CONF_CERTAIN, -1, &r);
	/* Same capture, a server line with IRCv3 message tags. */
	const struct pg_step tags[] = {S2C_TXT(
		"@time=2025-07-28T20:48:30.026Z :ircd1.local CAP * ACK :multi-prefix "
		"extended-join setname\r\n")};
	check_class("tagged server line", irc, TCP, 59069, 6667, tags, 1,
		    PG_SYS_IRC, PG_FEAT_IM, PG_CONF_STRONG, PG_CONF_CERTAIN, -1,
		    &r);

	/* zeek_irc-starttls.pcap: STARTTLS alone waits for the numeric. */
	const struct pg_step stls[] = {
		C2S_TXT("STARTTLS\r\n"),
		S2C_TXT(":irc.joulunet.org 670  :STARTTLS successful, go ahead with TLS "
			"handshake\r\n"),
	};
	pg_run_detector(irc, TCP, 55123, 6667, stls, 1, &r);
	CHECK(r.status == PG_DETECT_MAYBE);
	check_class("starttls 670", irc, TCP, 55123, 6667, stls, 2, PG_SYS_IRC,
		    PG_FEAT_IM, PG_CONF_STRONG, PG_CONF_CERTAIN, -1, &r);

	/* NICK alone keeps the flow in play. */
	const struct pg_step nick[] = {C2S_TXT("NICK brotest\r\n")};
	check_status("nick alone", irc, TCP, 49170, 6667, nick, 1,
		     PG_DETECT_MAYBE);
}

static void test_dcc(void)
{
	struct pg_run r;
	/* zeek_irc-dcc-send.pcapng frame 58: DCC SEND of ssh.trace from
	 * 167772167 (10.0.0.7) port 59130; the registration precedes it. */
	const struct pg_step send[] = {
		C2S_TXT("CAP LS 302\r\n"),
		C2S_TXT("PRIVMSG tim1 :\x01" "DCC SEND ssh.trace 167772167 59130 1320211\x01\r\n"),
	};
	pg_run_detector(irc, TCP, 59069, 6667, send, 2, &r);
	/* The first packet already decides IRC; the engine asks again while
	 * it inspects, and the DCC packet then yields the expectation. */
	CHECK(r.status == PG_DETECT_MATCH);
	struct pg_run all;
	CHECK(pg_run_all(irc, TCP, 59069, 6667, send, 2, &all) == PG_DETECT_MATCH &&
	      all.matched_at == 1);
	const struct pg_detect_result *out = &all.result;
	CHECK(out->system == PG_SYS_IRC && out->feature == PG_FEAT_FILE_TRANSFER);
	CHECK(out->expect.family == 4 && out->expect.port == 59130);
	CHECK(out->expect.addr[0] == 10 && out->expect.addr[1] == 0 &&
	      out->expect.addr[2] == 0 && out->expect.addr[3] == 7);
	CHECK(out->expect.system == PG_SYS_IRC &&
	      out->expect.feature == PG_FEAT_FILE_TRANSFER);

	/* A DCC offer as the first thing seen (capture joined late). */
	const struct pg_step late[] = {C2S_TXT(
		"PRIVMSG tim1 :\x01" "DCC SEND \"my file.txt\" 3232235777 5000 12\x01\r\n")};
	check_class("dcc send quoted", irc, TCP, 59069, 6667, late, 1,
		    PG_SYS_IRC, PG_FEAT_FILE_TRANSFER, PG_CONF_STRONG,
		    PG_CONF_CERTAIN, -1, &r);
	CHECK(r.result.expect.family == 4 && r.result.expect.port == 5000 &&
	      r.result.expect.addr[0] == 192 && r.result.expect.addr[3] == 1);

	const struct pg_step chat[] = {C2S_TXT(
		"PRIVMSG bob :\x01" "DCC CHAT chat 2130706433 4000\x01\r\n")};
	check_class("dcc chat", irc, TCP, 40000, 6667, chat, 1, PG_SYS_IRC,
		    PG_FEAT_CHAT, PG_CONF_STRONG, PG_CONF_CERTAIN, -1, &r);
	CHECK(r.result.expect.family == 4 && r.result.expect.port == 4000 &&
	      r.result.expect.addr[0] == 127);

	/* IPv6 offers are text. */
	const struct pg_step v6[] = {C2S_TXT(
		"PRIVMSG bob :\x01" "DCC SEND a.bin 2001:db8::5 4001 10\x01\r\n")};
	check_class("dcc send ipv6", irc, TCP, 40000, 6667, v6, 1, PG_SYS_IRC,
		    PG_FEAT_FILE_TRANSFER, PG_CONF_STRONG, PG_CONF_CERTAIN, -1,
		    &r);
	CHECK(r.result.expect.family == 6 && r.result.expect.port == 4001 &&
	      r.result.expect.addr[0] == 0x20 && r.result.expect.addr[15] == 5);

	/* Reverse DCC (port 0): a file transfer, but no endpoint yet. */
	const struct pg_step rev[] = {C2S_TXT(
		"PRIVMSG bob :\x01" "DCC SEND a.bin 167772167 0 10 77\x01\r\n")};
	check_class("reverse dcc", irc, TCP, 40000, 6667, rev, 1, PG_SYS_IRC,
		    PG_FEAT_FILE_TRANSFER, PG_CONF_STRONG, PG_CONF_CERTAIN, -1,
		    &r);
	CHECK(r.result.expect.family == 0);

	/* Near miss: a DCC-looking text outside a CTCP/PRIVMSG stays IM. */
	const struct pg_step fake[] = {C2S_TXT(
		"PRIVMSG bob :I said DCC SEND x 1 2 3 yesterday\r\n")};
	check_class("dcc words", irc, TCP, 40000, 6667, fake, 1, PG_SYS_IRC,
		    PG_FEAT_IM, PG_CONF_STRONG, PG_CONF_CERTAIN, -1, &r);
	CHECK(r.result.expect.family == 0);
	/* A malformed address is not an offer. */
	const struct pg_step badip[] = {C2S_TXT(
		"PRIVMSG bob :\x01" "DCC SEND a.bin 99999999999 4001 10\x01\r\n")};
	check_class("dcc bad ip", irc, TCP, 40000, 6667, badip, 1, PG_SYS_IRC,
		    PG_FEAT_IM, PG_CONF_STRONG, PG_CONF_CERTAIN, -1, &r);
}

static void test_negatives(void)
{
	/* FTP and POP3 use USER with one parameter. */
	const struct pg_step ftp[] = {C2S_TXT("USER anonymous\r\n")};
	check_status("ftp user", irc, TCP, 40000, 21, ftp, 1, PG_DETECT_NO);
	/* negative/ndpi_smtp.pcap, ndpi_imap.pcap, arkime_ssh2.pcap */
	const struct pg_step smtp[] = {S2C_TXT(
		"220 pigeon.eyrie.af.mil ESMTP Sendmail 8.8.7/8.8.7; Sat, 7 Aug 1999 "
		"08:20:11 -0400\r\n")};
	check_status("smtp", irc, TCP, 2127, 25, smtp, 1, PG_DETECT_NO);
	const struct pg_step ehlo[] = {C2S_TXT("EHLO delta.peach.mil\r\n")};
	check_status("ehlo", irc, TCP, 2127, 25, ehlo, 1, PG_DETECT_NO);
	const struct pg_step imap[] = {S2C_TXT(
		"* OK IMAP4Rev1 Server Version 4.9.04.012\r\n")};
	check_status("imap", irc, TCP, 46045, 143, imap, 1, PG_DETECT_NO);
	const struct pg_step ssh[] = {C2S_TXT("SSH-2.0-OpenSSH_5.3\r\n")};
	check_status("ssh", irc, TCP, 61672, 22, ssh, 1, PG_DETECT_NO);
	const struct pg_step http[] = {C2S_TXT("GET / HTTP/1.1\r\nHost: www.google.com\r\n\r\n")};
	check_status("http", irc, TCP, 50000, 80, http, 1, PG_DETECT_NO);
	/* Binary (TLS) after a weak first line does not become IRC. */
	const struct pg_step bin[] = {C2S_HEX("1603010200010001fc0303")};
	check_status("tls", irc, TCP, 40000, 6697, bin, 1, PG_DETECT_NO);
	/* A line longer than IRC allows. */
	char longline[700];
	memset(longline, 'a', sizeof(longline) - 1);
	memcpy(longline, "PING ", 5);
	longline[sizeof(longline) - 1] = '\0';
	const struct pg_step lng[] = {C2S_TXT(longline)};
	check_status("over-long line", irc, TCP, 40000, 6667, lng, 1,
		     PG_DETECT_NO);
}

int main(void)
{
	test_sessions();
	test_dcc();
	test_negatives();
	return pg_test_summary("test_detect_irc");
}
