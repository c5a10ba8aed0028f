/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Direct Connect (NMDC/ADC) detector.  The corpus has no Direct Connect
 * capture, so the openings follow the NMDC and ADC protocol documents as
 * DC++ sends them (shared/reference/signatures.md section 12); negative
 * bytes come from shared/corpus/negative.
 */
#include "detect_harness.h"

static const struct pg_detector *const dc = &pg_detector_dc;

static void test_nmdc(void)
{
	struct pg_run r;
	/* Hub first: lock, then the client's supports/key/validate. */
	const struct pg_step hub[] = {
		S2C_TXT("$Lock EXTENDEDPROTOCOL_verlihub Pk=version0.9.8e-r2|"),
		C2S_TXT("$Supports UserCommand NoGetINFO NoHello UserIP2 TTHSearch "
			"ZPipe0 |$Key \x14\xd1\xc0\x11\xb0\xa0\x10\x10\x41\x20\xd1\xb1|"
			"$ValidateNick alice|"),
	};
	check_class("hub lock", dc, TCP, 40000, 411, hub, 1, PG_SYS_DC,
		    PG_FEAT_NETWORK, PG_CONF_STRONG, PG_CONF_CERTAIN, -1, &r);
	/* A $Key answers the lock with raw control bytes. */
	const struct pg_step key[] = {C2S_TXT(
		"$Key \x14\xd1\xc0\x11\xb0\xa0\x10\x10\x41\x20\xd1\xb1|")};
	check_class("key", dc, TCP, 40000, 411, key, 1, PG_SYS_DC,
		    PG_FEAT_NETWORK, PG_CONF_STRONG, PG_CONF_CERTAIN, -1, &r);
	/* The lock arriving in two segments. */
	const struct pg_step split[] = {
		S2C_TXT("$Lock EXTENDEDPROTO"),
		S2C_TXT("COL_verlihub Pk=version0.9.8e-r2|"),
	};
	pg_run_detector(dc, TCP, 40000, 411, split, 1, &r);
	CHECK(r.status == PG_DETECT_MAYBE);
	check_class("hub lock split", dc, TCP, 40000, 411, split, 2, PG_SYS_DC,
		    PG_FEAT_NETWORK, PG_CONF_STRONG, PG_CONF_CERTAIN, -1, &r);
	/* Client to client: $MyNick then the lock. */
	const struct pg_step c2c[] = {C2S_TXT(
		"$MyNick bob|$Lock EXTENDEDPROTOCOLABCABCABCABCABCABC Pk=DCPLUSPLUS0.868|")};
	check_class("peer mynick", dc, TCP, 40000, 1412, c2c, 1, PG_SYS_DC,
		    PG_FEAT_DOWNLOAD, PG_CONF_STRONG, PG_CONF_CERTAIN, -1, &r);
	/* The passive side's lock also follows its $MyNick. */
	const struct pg_step c2c_resp[] = {
		C2S_TXT("$MyNick bob|"),
		S2C_TXT("$MyNick carol|$Lock EXTENDEDPROTOCOLABCABCABCABCABCABC Pk=DCPLUSPLUS0.868|"),
	};
	check_class("peer both", dc, TCP, 40000, 1412, c2c_resp, 2, PG_SYS_DC,
		    PG_FEAT_DOWNLOAD, PG_CONF_STRONG, PG_CONF_CERTAIN, -1, &r);

	/* Near misses: no terminator within the limit; an unknown command;
	 * a lock without key material. */
	const struct pg_step noterm[] = {C2S_TXT("$Lock some words without the bar")};
	check_status("no terminator yet", dc, TCP, 40000, 411, noterm, 1,
		     PG_DETECT_MAYBE);
	const struct pg_step unknown[] = {C2S_TXT("$Price 10 USD|")};
	check_status("unknown command", dc, TCP, 40000, 411, unknown, 1,
		     PG_DETECT_NO);
	const struct pg_step empty_lock[] = {C2S_TXT("$Lock |")};
	check_status("empty lock", dc, TCP, 40000, 411, empty_lock, 1,
		     PG_DETECT_NO);
	const struct pg_step prose[] = {C2S_TXT("$5 off today | only")};
	check_status("prose", dc, TCP, 40000, 80, prose, 1, PG_DETECT_NO);
}

static void test_adc(void)
{
	struct pg_run r;
	const struct pg_step hsup[] = {C2S_TXT("HSUP ADBASE ADTIGR ADUCM0 ADBLO0\n")};
	check_class("adc hub", dc, TCP, 40000, 411, hsup, 1, PG_SYS_DC,
		    PG_FEAT_NETWORK, PG_CONF_STRONG, PG_CONF_CERTAIN, -1, &r);
	const struct pg_step csup[] = {C2S_TXT("CSUP ADBASE ADTIGR ADBZIP\n")};
	check_class("adc peer", dc, TCP, 40000, 3000, csup, 1, PG_SYS_DC,
		    PG_FEAT_DOWNLOAD, PG_CONF_STRONG, PG_CONF_CERTAIN, -1, &r);
	const struct pg_step isup[] = {
		C2S_TXT("HSUP ADBAS0 ADTIGR\n"),
		S2C_TXT("ISUP ADBASE ADTIGR ADPING\nISID AAAB\n"),
	};
	check_class("adc old base", dc, TCP, 40000, 411, isup, 1, PG_SYS_DC,
		    PG_FEAT_NETWORK, PG_CONF_STRONG, PG_CONF_CERTAIN, -1, &r);
	/* Near misses: SUP without BASE; unfinished line. */
	const struct pg_step nobase[] = {C2S_TXT("HSUP ADTIGR ADUCM0\n")};
	check_status("sup without base", dc, TCP, 40000, 411, nobase, 1,
		     PG_DETECT_NO);
	const struct pg_step partial[] = {C2S_TXT("HSUP ADBASE")};
	check_status("unfinished sup", dc, TCP, 40000, 411, partial, 1,
		     PG_DETECT_MAYBE);
	/* HTTP's HEAD starts with H too. */
	const struct pg_step head[] = {C2S_TXT("HEAD / HTTP/1.1\r\nHost: a\r\n\r\n")};
	check_status("http head", dc, TCP, 40000, 80, head, 1, PG_DETECT_NO);
	/* negative/ndpi_imap.pcap client command "C00000 CAPABILITY". */
	const struct pg_step imap[] = {C2S_TXT("C00000 CAPABILITY\r\n")};
	check_status("imap capability", dc, TCP, 46045, 143, imap, 1,
		     PG_DETECT_NO);
}

int main(void)
{
	test_nmdc();
	test_adc();
	return pg_test_summary("test_detect_dc");
}
