/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * XMPP detector on shared/corpus/xmpp captures (ndpi_jabber.pcap,
 * zeek_xmpp-starttls.pcap, ws_xmpp-ssl.pcapng), near misses and negative
 * bytes.
 */
#include "detect_harness.h"

static const struct pg_detector *const xm = &pg_detector_xmpp;

static void test_stream_header(void)
{
	struct pg_run r;
	/* ndpi_jabber.pcap stream 0: the XML declaration alone, then the
	 * stream header, then the server's. */
	const struct pg_step c2s[] = {
		C2S_TXT("<?xml version='1.0' ?>"),
		C2S_TXT("<stream:stream to='cs-xmpp.lan' xmlns='jabber:client' "
			"xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"),
	};
	pg_run_detector(xm, TCP, 57094, 5222, c2s, 1, &r);
	CHECK(r.status == PG_DETECT_MAYBE);
	check_class("c2s stream header", xm, TCP, 57094, 5222, c2s, 2,
		    PG_SYS_XMPP, PG_FEAT_LOGIN, PG_CONF_STRONG, PG_CONF_CERTAIN,
		    -1, &r);
	CHECK(pg_run_host_is(&r, "cs-xmpp.lan"));

	/* The server's header alone (from=). */
	const struct pg_step s2c[] = {
		C2S_TXT(""),
		S2C_TXT("<?xml version='1.0'?><stream:stream id='16471686341201772321' "
			"version='1.0' xml:lang='en' xmlns:stream='http://etherx.jabber.org/streams' "
			"from='cs-xmpp.lan' xmlns='jabber:client'>"),
	};
	check_class("server stream header", xm, TCP, 57094, 5222, s2c, 2,
		    PG_SYS_XMPP, PG_FEAT_LOGIN, PG_CONF_STRONG, PG_CONF_CERTAIN,
		    -1, &r);
	CHECK(pg_run_host_is(&r, "cs-xmpp.lan"));

	/* zeek_xmpp-starttls.pcap: no declaration, namespace first. */
	const struct pg_step zeek[] = {C2S_TXT(
		"<stream:stream xmlns:stream='http://etherx.jabber.org/streams' "
		"xmlns='jabber:client' to='jabber.ccc.de' version='1.0'>")};
	check_class("zeek header", xm, TCP, 56048, 5222, zeek, 1, PG_SYS_XMPP,
		    PG_FEAT_LOGIN, PG_CONF_STRONG, PG_CONF_CERTAIN, -1, &r);
	CHECK(pg_run_host_is(&r, "jabber.ccc.de"));

	/* The header split inside the start tag. */
	const struct pg_step split[] = {
		C2S_TXT("<stream:stream to='jabber.org' xmlns:stream='http://etherx.jab"),
		C2S_TXT("ber.org/streams' xmlns='jabber:client' xml:lang='en' version='1.0'>"),
	};
	check_class("split header", xm, TCP, 46553, 5222, split, 2, PG_SYS_XMPP,
		    PG_FEAT_LOGIN, PG_CONF_STRONG, PG_CONF_CERTAIN, -1, &r);
	CHECK(r.matched_at == 1);

	/* Server to server federation. */
	const struct pg_step s2s[] = {C2S_TXT(
		"<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
		"xmlns:stream='http://etherx.jabber.org/streams' to='b.example' "
		"from='a.example' version='1.0'>")};
	check_class("s2s", xm, TCP, 40000, 5269, s2s, 1, PG_SYS_XMPP,
		    PG_FEAT_IM, PG_CONF_STRONG, PG_CONF_CERTAIN, -1, &r);
}

static void test_mid_session(void)
{
	struct pg_run r;
	/* ndpi_jabber.pcap stream 3: an <iq> ad-hoc command. */
	const struct pg_step iq[] = {C2S_TXT(
		"<iq type='set' id='purpledde80fda' to='cs-xmpp.lan'><command "
		"xmlns='http://jabber.org/protocol/commands' node='ping' "
		"action='execute'/></iq>")};
	check_class("iq", xm, TCP, 57129, 5222, iq, 1, PG_SYS_XMPP, PG_FEAT_IM,
		    PG_CONF_STRONG, PG_CONF_CERTAIN, -1, &r);
	/* Stream 5: <presence> with caps. */
	const struct pg_step pr[] = {C2S_TXT(
		"<presence to='chat-with-tom@conference.cs-xmpp.lan/tom@cs-xmpp.lan'>"
		"<c xmlns='http://jabber.org/protocol/caps' node='http://pidgin.im/' "
		"hash='sha-1' ver='DdnydQG7RGhP9E3k9Sf+b+bF0zo='/><x "
		"xmlns='http://jabber.org/protocol/muc'/></presence>")};
	check_class("presence", xm, TCP, 57149, 5222, pr, 1, PG_SYS_XMPP,
		    PG_FEAT_IM, PG_CONF_STRONG, PG_CONF_CERTAIN, -1, &r);
	/* Stream 2: only the closing tag. */
	const struct pg_step close[] = {C2S_TXT("</stream:stream>")};
	check_class("stream close", xm, TCP, 57126, 5222, close, 1, PG_SYS_XMPP,
		    PG_FEAT_IM, PG_CONF_STRONG, PG_CONF_CERTAIN, -1, &r);
	/* ws_xmpp-ssl.pcapng: STARTTLS request. */
	const struct pg_step tls[] = {C2S_TXT(
		"<starttls xmlns=\"urn:ietf:params:xml:ns:xmpp-tls\"><required /></starttls>")};
	check_class("starttls", xm, TCP, 46553, 5222, tls, 1, PG_SYS_XMPP,
		    PG_FEAT_LOGIN, PG_CONF_STRONG, PG_CONF_CERTAIN, -1, &r);
	/* A chat message has no namespace but the stanza shape decides. */
	const struct pg_step msg[] = {C2S_TXT(
		"<message to='juliet@example.com' type='chat'><body>Art thou not "
		"Romeo?</body></message>")};
	check_class("chat message", xm, TCP, 40000, 5222, msg, 1, PG_SYS_XMPP,
		    PG_FEAT_IM, PG_CONF_STRONG, PG_CONF_CERTAIN, -1, &r);
}

static void test_features(void)
{
	struct pg_run r;
	/* XEP-0047 in-band bytestream opening inside a session. */
	const struct pg_step ibb[] = {C2S_TXT(
		"<iq from='romeo@montague.example/orchard' id='jn3h8g65' "
		"to='juliet@capulet.example/balcony' type='set'><open "
		"xmlns='http://jabber.org/protocol/ibb' block-size='4096' "
		"sid='i781hf64' stanza='iq'/></iq>")};
	check_class("ibb", xm, TCP, 40000, 5222, ibb, 1, PG_SYS_XMPP,
		    PG_FEAT_FILE_TRANSFER, PG_CONF_STRONG, PG_CONF_CERTAIN, -1,
		    &r);
	/* BOSH (XEP-0124): the stream inside HTTP, body in a second segment. */
	const struct pg_step bosh[] = {
		C2S_TXT("POST /http-bind HTTP/1.1\r\nHost: example.com\r\n"
			"Content-Type: text/xml; charset=utf-8\r\nContent-Length: 188\r\n\r\n"),
		C2S_TXT("<body content='text/xml; charset=utf-8' hold='1' rid='1573741820' "
			"to='example.com' wait='60' xml:lang='en' xmpp:version='1.0' "
			"xmlns='http://jabber.org/protocol/httpbind' "
			"xmlns:xmpp='urn:xmpp:xbosh'/>"),
	};
	pg_run_detector(xm, TCP, 40000, 5280, bosh, 1, &r);
	CHECK(r.status == PG_DETECT_MAYBE);
	check_class("bosh", xm, TCP, 40000, 5280, bosh, 2, PG_SYS_XMPP,
		    PG_FEAT_HTTP_TUNNEL, PG_CONF_STRONG, PG_CONF_CERTAIN, -1,
		    &r);
}

static void test_near_misses(void)
{
	/* An XML declaration without the etherx namespace (SOAP). */
	const struct pg_step soap[] = {C2S_TXT(
		"<?xml version=\"1.0\"?><soap:Envelope "
		"xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\"><soap:Body>"
		"<m:GetPrice xmlns:m=\"https://www.w3schools.com/prices\"><m:Item>Apples"
		"</m:Item></m:GetPrice></soap:Body></soap:Envelope>")};
	check_status("soap", xm, TCP, 40000, 80, soap, 1, PG_DETECT_NO);
	/* A stream element bound to another namespace. */
	const struct pg_step other[] = {C2S_TXT(
		"<?xml version='1.0'?><x:stream xmlns:x='urn:example:streams' to='a'>")};
	check_status("stream, wrong namespace", xm, TCP, 40000, 5222, other, 1,
		     PG_DETECT_NO);
	/* A <message> element of some other XML dialect. */
	const struct pg_step rss[] = {C2S_TXT(
		"<message id='1'><title>hello</title></message>")};
	check_status("foreign message element", xm, TCP, 40000, 8080, rss, 1,
		     PG_DETECT_NO);
	/* Plain HTTP POST without httpbind. */
	const struct pg_step post[] = {C2S_TXT(
		"POST /login HTTP/1.1\r\nHost: example.com\r\nContent-Length: 200\r\n\r\n"
		"user=alice&password=secret&remember=1&redirect=%2Fhome&csrf=0123456789"
		"abcdef0123456789abcdef&lang=en")};
	check_status("plain post", xm, TCP, 40000, 80, post, 1, PG_DETECT_NO);
	/* ndpi_jabber.pcap stream 7: binary on 5223 (not XMPP). */
	const struct pg_step bin[] = {C2S_HEX(
		"2500451404118ab5816e165f0a59146afe52dde4cf469f73e6d1ded88eb3c9badf741a")};
	check_status("binary on 5223", xm, TCP, 34218, 5223, bin, 1,
		     PG_DETECT_NO);
	/* negative/ndpi_imap.pcap and ndpi_smtp.pcap banners. */
	const struct pg_step imap[] = {S2C_TXT(
		"* OK IMAP4Rev1 Server Version 4.9.04.012\r\n")};
	check_status("imap", xm, TCP, 46045, 143, imap, 1, PG_DETECT_NO);
}

int main(void)
{
	test_stream_header();
	test_mid_session();
	test_features();
	test_near_misses();
	return pg_test_summary("test_detect_xmpp");
}
