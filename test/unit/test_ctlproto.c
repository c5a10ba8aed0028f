/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The control-socket request parser and the permission rule (pure). */
#include "check.h"
#include "peergate/ctlproto.h"

static struct pg_ctl_request parse_text(const char *text, bool ended)
{
	struct pg_ctl_request r;
	pg_ctl_parse_request((const uint8_t *)text, strlen(text), ended, &r);
	return r;
}

static struct pg_ctl_request parse_hex(const char *hex, bool ended)
{
	uint8_t buf[256];
	struct pg_ctl_request r;
	pg_ctl_parse_request(buf, pg_hex(hex, buf, sizeof(buf)), ended, &r);
	return r;
}

static void test_commands(void)
{
	struct pg_ctl_request r = parse_text("stats\n", false);
	CHECK(r.status == PG_CTL_REQ_OK && r.command == PG_CTL_STATS);
	CHECK_STR(r.word, "stats");
	r = parse_text("flows\r\n", false);
	CHECK(r.status == PG_CTL_REQ_OK && r.command == PG_CTL_FLOWS);
	r = parse_text("ping\n", false);
	CHECK(r.status == PG_CTL_REQ_OK && r.command == PG_CTL_PING);
	r = parse_text("reload\n", false);
	CHECK(r.status == PG_CTL_REQ_OK && r.command == PG_CTL_RELOAD);
	/* end of stream ends the line */
	r = parse_text("reload", true);
	CHECK(r.status == PG_CTL_REQ_OK && r.command == PG_CTL_RELOAD);
	/* one request per connection: the rest is ignored */
	r = parse_text("stats\nreload\n", false);
	CHECK(r.status == PG_CTL_REQ_OK && r.command == PG_CTL_STATS);
	CHECK_STR(pg_ctl_command_name(PG_CTL_RELOAD), "reload");
}

static void test_incomplete_and_empty(void)
{
	CHECK(parse_text("", false).status == PG_CTL_REQ_INCOMPLETE);
	CHECK(parse_text("relo", false).status == PG_CTL_REQ_INCOMPLETE);
	CHECK(parse_text("stats\r", false).status == PG_CTL_REQ_INCOMPLETE);
	CHECK(parse_text("", true).status == PG_CTL_REQ_EMPTY);
	CHECK(parse_text("\n", false).status == PG_CTL_REQ_EMPTY);
	CHECK(parse_text("\r\n", false).status == PG_CTL_REQ_EMPTY);
	CHECK(parse_text("\r", true).status == PG_CTL_REQ_EMPTY);
}

static void test_malformed(void)
{
	CHECK(parse_text("stats now\n", false).status == PG_CTL_REQ_MALFORMED);
	CHECK(parse_text(" stats\n", false).status == PG_CTL_REQ_MALFORMED);
	CHECK(parse_text("stats \n", false).status == PG_CTL_REQ_MALFORMED);
	CHECK(parse_text("\tstats\n", false).status == PG_CTL_REQ_MALFORMED);
	CHECK(parse_text("stats\r\r\n", false).status == PG_CTL_REQ_MALFORMED);
	/* "st" NUL "ats" LF: a NUL does not end the word */
	CHECK(parse_hex("73 74 00 61 74 73 0a", false).status == PG_CTL_REQ_MALFORMED);
	/* 0xff "stats" LF, "stats" DEL LF */
	CHECK(parse_hex("ff 73 74 61 74 73 0a", false).status == PG_CTL_REQ_MALFORMED);
	CHECK(parse_hex("73 74 61 74 73 7f 0a", false).status == PG_CTL_REQ_MALFORMED);
	/* an unterminated binary line at end of stream */
	CHECK(parse_hex("01 02 03", true).status == PG_CTL_REQ_MALFORMED);
}

static void test_unknown(void)
{
	char msg[256];
	struct pg_ctl_request r = parse_text("STATS\n", false);
	CHECK(r.status == PG_CTL_REQ_UNKNOWN);
	CHECK_STR(r.word, "STATS");
	pg_ctl_request_error(&r, msg, sizeof(msg));
	CHECK_STR(msg, "unknown command 'STATS': known are stats, flows, reload, ping");
	r = parse_text("stat\n", false);
	CHECK(r.status == PG_CTL_REQ_UNKNOWN);
	r = parse_text("reloads", true);
	CHECK(r.status == PG_CTL_REQ_UNKNOWN);
	CHECK_STR(r.word, "reloads");
}

static void test_length_bound(void)
{
	char line[PG_CTL_REQUEST_MAX + 8];
	struct pg_ctl_request r;

	/* 63 bytes and the newline: the longest request there is */
	memset(line, 'a', PG_CTL_REQUEST_MAX - 1);
	strcpy(line + PG_CTL_REQUEST_MAX - 1, "\n");
	r = parse_text(line, false);
	CHECK(r.status == PG_CTL_REQ_UNKNOWN && strlen(r.word) == PG_CTL_REQUEST_MAX - 1);
	/* 63 bytes, CR LF: the LF is beyond the bound */
	strcpy(line + PG_CTL_REQUEST_MAX - 1, "\r\n");
	CHECK(parse_text(line, false).status == PG_CTL_REQ_TOO_LONG);
	/* 64 bytes without a newline: no more reading */
	memset(line, 'a', PG_CTL_REQUEST_MAX);
	line[PG_CTL_REQUEST_MAX] = '\0';
	CHECK(parse_text(line, false).status == PG_CTL_REQ_TOO_LONG);
	CHECK(parse_text(line, true).status == PG_CTL_REQ_TOO_LONG);
	/* 64 bytes, then a newline */
	strcpy(line + PG_CTL_REQUEST_MAX, "\n");
	CHECK(parse_text(line, false).status == PG_CTL_REQ_TOO_LONG);
	/* 63 bytes, unterminated: more may come */
	line[PG_CTL_REQUEST_MAX - 1] = '\0';
	CHECK(parse_text(line, false).status == PG_CTL_REQ_INCOMPLETE);
	CHECK(parse_text(line, true).status == PG_CTL_REQ_UNKNOWN);
}

static void test_permissions(void)
{
	/* reading: anyone who can connect */
	CHECK(pg_ctl_permitted(PG_CTL_STATS, 1000, 998));
	CHECK(pg_ctl_permitted(PG_CTL_FLOWS, 65534, 0));
	CHECK(pg_ctl_permitted(PG_CTL_PING, 1000, 998));
	/* reload: root or the daemon's own user */
	CHECK(pg_ctl_permitted(PG_CTL_RELOAD, 0, 998));
	CHECK(pg_ctl_permitted(PG_CTL_RELOAD, 998, 998));
	CHECK(!pg_ctl_permitted(PG_CTL_RELOAD, 1000, 998));
	CHECK(!pg_ctl_permitted(PG_CTL_RELOAD, 1000, 0));
	CHECK(!pg_ctl_permitted(PG_CTL_RELOAD, 65534, 0));
}

static void test_error_reply(void)
{
	char *doc = NULL;
	size_t len = 0;
	char msg[256];
	FILE *out = open_memstream(&doc, &len);
	struct pg_ctl_request r = parse_text("a\"b\\c\n", false);
	CHECK(r.status == PG_CTL_REQ_UNKNOWN);
	pg_ctl_request_error(&r, msg, sizeof(msg));
	pg_ctl_error_reply(out, msg);
	fclose(out);
	CHECK_STR(doc, "{\"ok\":false,\"error\":\"unknown command 'a\\\"b\\\\c': known are stats, "
		  "flows, reload, ping\",\"errors\":[\"unknown command 'a\\\"b\\\\c': known are "
		  "stats, flows, reload, ping\"]}\n");
	free(doc);
	r = parse_text("", true);
	pg_ctl_request_error(&r, msg, sizeof(msg));
	CHECK(strstr(msg, "empty request") != NULL);
	r = parse_text("x y\n", false);
	pg_ctl_request_error(&r, msg, sizeof(msg));
	CHECK(strstr(msg, "malformed request") != NULL);
	memset(msg, 'a', PG_CTL_REQUEST_MAX + 1);
	msg[PG_CTL_REQUEST_MAX + 1] = '\0';
	r = parse_text(msg, false);
	pg_ctl_request_error(&r, msg, sizeof(msg));
	CHECK_STR(msg, "request too long: more than 63 bytes without a line end");
}

int main(void)
{
	test_commands();
	test_incomplete_and_empty();
	test_malformed();
	test_unknown();
	test_length_bound();
	test_permissions();
	test_error_reply();
	return pg_test_summary("test_ctlproto");
}
