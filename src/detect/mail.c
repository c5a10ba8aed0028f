/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Mail: SMTP (RFC 5321), POP3 (RFC 1939) and IMAP (RFC 9051), reported as one
 * system.  All three are server-first, so the server's first line carries
 * most of the weight; the client's first line confirms or refutes it.  A
 * capture that starts mid-session shows a client command and the server's
 * reply to it, which we accept when the pair is consistent.
 */
#include "peergate/detect.h"

#include <string.h>

#include "bytes.h"
#include "detectors.h"

/* Commands that only SMTP uses (AUTH, QUIT, RSET are shared with others). */
static const char *const smtp_cmds[] = {"EHLO", "HELO", "LHLO", "MAIL FROM:",
					"RCPT TO:", "DATA", "BDAT", "STARTTLS",
					NULL};
static const char *const pop_cmds[] = {"USER", "PASS", "APOP", "STAT", "LIST",
				       "RETR", "DELE", "NOOP", "RSET", "QUIT",
				       "TOP",  "UIDL", "CAPA", "STLS", "AUTH",
				       "UTF8", NULL};
static const char *const imap_cmds[] = {
	"CAPABILITY", "NOOP",   "LOGOUT",    "STARTTLS", "AUTHENTICATE",
	"LOGIN",      "SELECT", "EXAMINE",   "CREATE",   "DELETE",
	"RENAME",     "SUBSCRIBE", "UNSUBSCRIBE", "LIST", "LSUB",
	"STATUS",     "APPEND", "CHECK",     "CLOSE",    "EXPUNGE",
	"SEARCH",     "FETCH",  "STORE",     "COPY",     "MOVE",
	"UID",        "ID",     "ENABLE",    "IDLE",     "NAMESPACE",
	"COMPRESS",   "GETQUOTAROOT", NULL};

/* "+OK" / "-ERR", then a space or the end of the line. */
static bool pop_status(const struct pg_line *l)
{
	return pg_line_word(l, "+OK") || pg_line_word(l, "-ERR");
}

static bool imap_greeting(const struct pg_line *l)
{
	return pg_line_word(l, "* OK") || pg_line_word(l, "* PREAUTH") ||
	       pg_line_word(l, "* BYE");
}

static bool imap_tag_char(uint8_t c)
{
	return pg_is_alpha(c) || pg_is_digit(c) || c == '.' || c == '_' ||
	       c == '-';
}

/* "tag SP command": returns the tag length, 0 when not such a line. */
static size_t imap_tagged(const struct pg_line *l)
{
	size_t t = 0;
	while (t < l->len && t < 32 && imap_tag_char(l->p[t]))
		t++;
	if (t == 0 || t >= l->len || l->p[t] != ' ')
		return 0;
	struct pg_line rest = {l->p + t + 1, l->len - t - 1, l->complete};
	return pg_line_word_in(&rest, imap_cmds) ? t : 0;
}

/* The server's complete first line sl, and the client's first line cl
 * (complete when c_done; none at all when c_none): MATCH, MAYBE or NO. */
static enum pg_detect_status mail_server_line(const struct pg_line *sl,
					      const struct pg_line *cl,
					      bool c_done, bool c_none)
{
	if (pg_line_reply_code(sl, "220")) {
		/* SMTP and FTP share the 220 greeting; the banner text or the
		 * client's first command tells them apart. */
		if (pg_line_has_ci(sl, "SMTP"))
			return PG_DETECT_MATCH;
		if (pg_line_has_ci(sl, "FTP"))
			return PG_DETECT_NO;
		if (!c_done)
			return PG_DETECT_MAYBE;
		return pg_line_word_in(cl, smtp_cmds) ? PG_DETECT_MATCH
						      : PG_DETECT_NO;
	}
	bool pop = pop_status(sl);
	if (pop || imap_greeting(sl)) {
		/* A POP3 or IMAP greeting, confirmed by a command of the same
		 * protocol.  Redis answers "+OK" too, but never speaks first
		 * and its clients send RESP, not POP3 commands. */
		if (c_none)
			return PG_DETECT_MATCH;
		if (!c_done)
			return PG_DETECT_MAYBE;
		bool cmd = pop ? pg_line_word_in(cl, pop_cmds) : imap_tagged(cl) != 0;
		return cmd ? PG_DETECT_MATCH : PG_DETECT_NO;
	}
	/* Mid-session: a command and the reply to it. */
	if (c_done) {
		size_t tag = imap_tagged(cl);
		/* An untagged response, or the command's own tag. */
		if (tag && (pg_line_word(sl, "*") ||
			    (sl->len > tag && sl->p[tag] == ' ' &&
			     memcmp(sl->p, cl->p, tag) == 0)))
			return PG_DETECT_MATCH;
		if (pg_line_word_in(cl, smtp_cmds) &&
		    pg_line_reply_code(sl, NULL))
			return PG_DETECT_MATCH;
	}
	return PG_DETECT_NO;
}

static enum pg_detect_status mail_detect(const struct pg_detect_input *in,
					 struct pg_detect_result *out)
{
	struct pg_text_sides t;
	if (!pg_text_sides_of(in, &t))
		return PG_DETECT_NO;
	const struct pg_sides s = t.s;
	const struct pg_line cl = t.client;
	bool c_done = t.client_done;

	if (s.s2c_len && t.server.complete) {
		enum pg_detect_status st =
			mail_server_line(&t.server, &cl, c_done, s.c2s_len == 0);
		if (st != PG_DETECT_MATCH)
			return st;
		return pg_match(out, PG_SYS_MAIL, PG_FEAT_ANY, PG_CONF_DECIDE);
	}

	if (s.s2c_len) {
		/* The server's first line is still arriving. */
		uint8_t c = s.s2c[0];
		if (pg_is_digit(c) || c == '+' || c == '-' || c == '*' ||
		    imap_tag_char(c))
			return PG_DETECT_MAYBE;
		return PG_DETECT_NO;
	}

	/* Only the client has spoken: possible only when we joined late. */
	if (!c_done)
		return PG_DETECT_MAYBE;
	if (pg_line_word_in(&cl, smtp_cmds) || pg_line_word_in(&cl, pop_cmds) ||
	    imap_tagged(&cl))
		return PG_DETECT_MAYBE;
	return PG_DETECT_NO;
}

const struct pg_detector pg_detector_mail = {
	.name = "mail",
	.l4_mask = PG_L4_TCP,
	.fn = mail_detect,
};
