/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * IRC (RFC 1459/2812, IRCv3 capability negotiation and message tags).
 *
 * Both directions are CRLF-terminated lines of at most 512 bytes (plus an
 * IRCv3 tag section).  A client opens with the registration commands
 * (NICK, USER, PASS, CAP LS, sometimes STARTTLS); a server's lines carry a
 * ":prefix" and a command or a three-digit numeric.  The decisive lines
 * are: a server line with a prefix and a known command or numeric; a
 * 4-parameter USER; CAP negotiation; PRIVMSG/NOTICE with a ":" trailing
 * parameter; JOIN of a #channel.  NICK, PASS, PING and the like only keep
 * the flow in play.  Any first line that is not IRC rules IRC out, which
 * keeps SMTP/POP/FTP (server banners without prefix, "USER name" with one
 * parameter) clean.
 *
 * DCC: a CTCP "\x01DCC SEND <file> <ip> <port> <size>\x01" or
 * "\x01DCC CHAT chat <ip> <port>\x01" inside a PRIVMSG announces a direct
 * connection to ip:port (ip as a 32-bit decimal, or dotted / IPv6 text from
 * some clients).  The flow is then reported as `file-transfer` or `chat`
 * and the announced endpoint is handed to the engine as an expectation so
 * the DCC connection is classified by correlation.  Port 0 is a "reverse"
 * DCC offer (the receiver will announce its own endpoint): no expectation.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include "bytes.h"
#include "detectors.h"

enum {
	IRC_MAX_LINE = 512,
	IRC_MAX_TAGGED = 8191 + 512, /* IRCv3 message tags may precede */
	IRC_SCAN = 4096,
	IRC_MAX_LINES = 24,
};

enum irc_line {
	IRC_NOT,     /* not an IRC line */
	IRC_WEAK,    /* IRC-shaped but common elsewhere */
	IRC_NICK,    /* NICK <nick> */
	IRC_USER,    /* USER <user> <mode> <unused> :<realname> */
	IRC_STRONG,  /* decisive on its own */
};

/* Printable ASCII, tab, CR, LF and the mIRC formatting codes (bold,
 * colour, reset, reverse, italic, underline, CTCP's 0x01): what an IRC
 * line may hold.  Bytes >= 0x80 are accepted too: nicks and messages carry
 * UTF-8 or legacy 8-bit encodings. */
static bool irc_text_byte(uint8_t c)
{
	return c >= 0x20 || c == '\t' || c == '\r' || c == '\n' || c == 0x01 ||
	       c == 0x02 || c == 0x03 || c == 0x0f || c == 0x16 || c == 0x1d ||
	       c == 0x1f;
}

static bool irc_nick_char(uint8_t c)
{
	return pg_is_alpha(c) || pg_is_digit(c) || c == '_' || c == '-' ||
	       c == '[' || c == ']' || c == '\\' || c == '`' || c == '^' ||
	       c == '{' || c == '}' || c == '|';
}

/* Splits the next space-separated token of l[*i..len). */
static bool irc_token(const uint8_t *l, size_t len, size_t *i,
		      const uint8_t **tok, size_t *tlen)
{
	while (*i < len && l[*i] == ' ')
		(*i)++;
	if (*i >= len)
		return false;
	*tok = l + *i;
	while (*i < len && l[*i] != ' ')
		(*i)++;
	*tlen = (size_t)(l + *i - *tok);
	return true;
}

static bool tok_in(const uint8_t *t, size_t tl, const char *const *set)
{
	for (size_t k = 0; set[k]; k++)
		if (pg_equals_ci(t, tl, set[k]))
			return true;
	return false;
}

/* Commands a server relays with a prefix (":nick!user@host PRIVMSG ..."). */
static const char *const irc_prefixed[] = {
	"NOTICE", "PRIVMSG", "JOIN", "PART", "MODE", "QUIT", "NICK", "KICK",
	"TOPIC", "INVITE", "CAP", "PING", "PONG", "ERROR", "KILL", "WALLOPS",
	"SETNAME", "ACCOUNT", "AWAY", "CHGHOST", "BATCH", "AUTHENTICATE",
	NULL,
};

/* Client commands that keep IRC possible without proving it. */
static const char *const irc_weak_cmds[] = {
	"PASS", "PING", "PONG", "MODE", "QUIT", "WHO", "WHOIS", "USERHOST",
	"ISON", "PART", "AWAY", "STARTTLS", "AUTHENTICATE", "WEBIRC", "LIST",
	"NAMES", "TOPIC", "MOTD", "LUSERS", "VERSION", "OPER", "INVITE",
	"KICK", "WATCH", "MONITOR", NULL,
};

/* A line without a prefix: the command cmd[0..cl) of a client (or of a
 * server that omits its prefix), its parameters at l[i..len). */
static enum irc_line irc_command(const uint8_t *l, size_t len, size_t i,
				 const uint8_t *cmd, size_t cl)
{
	const uint8_t *t;
	size_t tl;

	if (pg_equals_ci(cmd, cl, "NICK")) {
		if (!irc_token(l, len, &i, &t, &tl))
			return IRC_NOT;
		if (t[0] == ':') {
			t++;
			tl--;
		}
		if (tl == 0 || tl > 64 || pg_is_digit(t[0]) || t[0] == '-')
			return IRC_NOT;
		for (size_t k = 0; k < tl; k++)
			if (!irc_nick_char(t[k]))
				return IRC_NOT;
		return irc_token(l, len, &i, &t, &tl) ? IRC_NOT : IRC_NICK;
	}
	if (pg_equals_ci(cmd, cl, "USER")) {
		/* Three middle parameters then the real name (FTP/POP "USER
		 * name" has one). */
		for (int k = 0; k < 3; k++)
			if (!irc_token(l, len, &i, &t, &tl) || t[0] == ':')
				return IRC_NOT;
		if (!irc_token(l, len, &i, &t, &tl))
			return IRC_NOT;
		return IRC_USER;
	}
	if (pg_equals_ci(cmd, cl, "CAP")) {
		if (!irc_token(l, len, &i, &t, &tl))
			return IRC_NOT;
		return pg_equals_ci(t, tl, "LS") || pg_equals_ci(t, tl, "REQ") ||
			       pg_equals_ci(t, tl, "END") ||
			       pg_equals_ci(t, tl, "LIST")
			       ? IRC_STRONG
			       : IRC_NOT;
	}
	if (pg_equals_ci(cmd, cl, "PRIVMSG") ||
	    pg_equals_ci(cmd, cl, "NOTICE")) {
		/* target then a ":" trailing parameter */
		if (!irc_token(l, len, &i, &t, &tl))
			return IRC_NOT;
		if (!irc_token(l, len, &i, &t, &tl) || t[0] != ':')
			return IRC_NOT;
		return IRC_STRONG;
	}
	if (pg_equals_ci(cmd, cl, "JOIN")) {
		if (!irc_token(l, len, &i, &t, &tl))
			return IRC_NOT;
		if (t[0] == ':') {
			t++;
			tl--;
		}
		if (tl >= 2 && (t[0] == '#' || t[0] == '&' || t[0] == '+' ||
				t[0] == '!'))
			return IRC_STRONG;
		return IRC_WEAK;
	}
	if (pg_equals_ci(cmd, cl, "ERROR")) {
		return irc_token(l, len, &i, &t, &tl) && t[0] == ':' ? IRC_STRONG
								 : IRC_NOT;
	}
	if (tok_in(cmd, cl, irc_weak_cmds))
		return IRC_WEAK;
	return IRC_NOT;
}

static enum irc_line irc_classify(const uint8_t *l, size_t len)
{
	size_t i = 0;
	const uint8_t *cmd, *t;
	size_t cl, tl;

	if (len && l[0] == '@') { /* IRCv3 tags */
		while (i < len && l[i] != ' ')
			i++;
	} else if (len > IRC_MAX_LINE) {
		return IRC_NOT;
	}
	while (i < len && l[i] == ' ')
		i++;
	bool prefixed = i < len && l[i] == ':';
	if (prefixed) {
		i++;
		size_t p0 = i;
		while (i < len && l[i] != ' ')
			i++;
		if (i == p0)
			return IRC_NOT;
	}
	if (!irc_token(l, len, &i, &cmd, &cl))
		return IRC_NOT;

	if (prefixed) {
		if (cl == 3 && pg_is_digit(cmd[0]) && pg_is_digit(cmd[1]) &&
		    pg_is_digit(cmd[2]))
			return irc_token(l, len, &i, &t, &tl) ? IRC_STRONG : IRC_NOT;
		return tok_in(cmd, cl, irc_prefixed) ? IRC_STRONG : IRC_NOT;
	}
	return irc_command(l, len, i, cmd, cl);
}

/* Judges the lines one direction has sent so far. */
static enum pg_detect_status irc_dir(const uint8_t *s, size_t n)
{
	size_t off = 0;
	bool user = false;
	unsigned lines = 0;

	if (n > IRC_SCAN)
		n = IRC_SCAN;
	while (off < n && lines < IRC_MAX_LINES) {
		const uint8_t *l = s + off;
		size_t rest = n - off;
		size_t eol;
		bool ended = pg_line_end(l, rest, IRC_MAX_TAGGED, &eol);
		size_t len = ended ? eol : rest;
		size_t limit = (rest && l[0] == '@') ? IRC_MAX_TAGGED : IRC_MAX_LINE + 2;
		for (size_t k = 0; k < len; k++)
			if (!irc_text_byte(l[k]))
				return lines ? PG_DETECT_MAYBE : PG_DETECT_NO;
		if (!ended) {
			/* An unfinished line: possible while short enough. */
			if (len > limit)
				return lines ? PG_DETECT_MAYBE : PG_DETECT_NO;
			break;
		}
		if (len && l[len - 1] == '\r')
			len--;
		off += eol + 1;
		if (len == 0)
			continue; /* a stray blank line */
		lines++;
		switch (irc_classify(l, len)) {
		case IRC_STRONG:
			return PG_DETECT_MATCH;
		case IRC_NICK:
			break;
		case IRC_USER:
			user = true;
			break;
		case IRC_WEAK:
			break;
		case IRC_NOT:
			/* Text after TLS upgrade or a protocol switch ends the
			 * IRC part; a first line that is not IRC ends IRC. */
			return lines == 1 ? PG_DETECT_NO : PG_DETECT_MAYBE;
		}
		/* A registration: USER with its four parameters (with or
		 * without NICK yet; NICK alone proves little). */
		if (user)
			return PG_DETECT_MATCH;
	}
	return PG_DETECT_MAYBE;
}

/* Parses "<ip> <port>" of a DCC offer at p[*i..len) into an expectation.
 * Returns false when the offer is malformed. */
static bool dcc_endpoint(const uint8_t *p, size_t len, size_t *i,
			 struct pg_expectation *e)
{
	const uint8_t *t;
	size_t tl;
	if (!irc_token(p, len, i, &t, &tl) || tl >= 64)
		return false;
	char ip[64];
	memcpy(ip, t, tl);
	ip[tl] = '\0';
	uint8_t addr[16] = {0};
	uint8_t family;
	uint64_t v;
	size_t k = pg_parse_uint(t, tl, 10, &v);
	if (k != 0 && k == tl) {
		if (v > 0xffffffffu)
			return false;
		addr[0] = (uint8_t)(v >> 24);
		addr[1] = (uint8_t)(v >> 16);
		addr[2] = (uint8_t)(v >> 8);
		addr[3] = (uint8_t)v;
		family = 4;
	} else if (inet_pton(AF_INET, ip, addr) == 1) {
		family = 4;
	} else if (inet_pton(AF_INET6, ip, addr) == 1) {
		family = 6;
	} else {
		return false;
	}
	if (!irc_token(p, len, i, &t, &tl))
		return false;
	k = pg_parse_uint(t, tl, 5, &v);
	if (k == 0 || v > 65535)
		return false;
	/* The port may run straight into the closing \x01. */
	if (k < tl && t[k] != 0x01)
		return false;
	if (v != 0) {
		e->family = family;
		memcpy(e->addr, addr, sizeof(addr));
		e->port = (uint16_t)v;
	}
	return true;
}

/* Looks for a DCC SEND/CHAT offer in a PRIVMSG of this packet. */
static bool dcc_offer(const uint8_t *p, size_t len, struct pg_expectation *e)
{
	size_t from = 0;
	while (from < len) {
		size_t at;
		if (!pg_find(p + from, len - from, "\x01" "DCC ", &at))
			return false;
		size_t pos = from + at;
		from = pos + 5;
		/* It must sit in the trailing parameter of a PRIVMSG line. */
		size_t ls = pos;
		while (ls > 0 && p[ls - 1] != '\n')
			ls--;
		if (!pg_find(p + ls, pos - ls, "PRIVMSG ", NULL))
			continue;
		size_t le = pos;
		while (le < len && p[le] != '\r' && p[le] != '\n')
			le++;
		size_t i = pos + 5;
		const uint8_t *t;
		size_t tl;
		if (!irc_token(p, le, &i, &t, &tl))
			continue;
		struct pg_expectation x;
		memset(&x, 0, sizeof(x));
		x.system = PG_SYS_IRC;
		if (pg_equals_ci(t, tl, "SEND")) {
			x.feature = PG_FEAT_FILE_TRANSFER;
			while (i < le && p[i] == ' ')
				i++;
			if (i < le && p[i] == '"') { /* quoted file name */
				const uint8_t *q = memchr(p + i + 1, '"', le - i - 1);
				if (!q)
					continue;
				i = (size_t)(q - p) + 1;
			} else if (!irc_token(p, le, &i, &t, &tl)) {
				continue;
			}
		} else if (pg_equals_ci(t, tl, "CHAT")) {
			x.feature = PG_FEAT_CHAT;
			if (!irc_token(p, le, &i, &t, &tl)) /* "chat" */
				continue;
		} else {
			continue;
		}
		if (!dcc_endpoint(p, le, &i, &x))
			continue;
		*e = x;
		return true;
	}
	return false;
}

static enum pg_detect_status irc_detect(const struct pg_detect_input *in,
					struct pg_detect_result *out)
{
	const uint8_t *s = in->stream;
	size_t n = in->stream_len, on;
	const uint8_t *o = pg_other(in, &on);
	enum pg_detect_status a = irc_dir(s, n);
	enum pg_detect_status b = on ? irc_dir(o, on) : PG_DETECT_MAYBE;

	if (a != PG_DETECT_MATCH && b != PG_DETECT_MATCH) {
		if (a == PG_DETECT_NO || b == PG_DETECT_NO)
			return PG_DETECT_NO;
		return PG_DETECT_MAYBE;
	}
	struct pg_expectation e;
	if (dcc_offer(in->payload, in->payload_len, &e)) {
		out->expect = e;
		return pg_match(out, PG_SYS_IRC, e.feature, PG_CONF_STRONG);
	}
	return pg_match(out, PG_SYS_IRC, PG_FEAT_IM, PG_CONF_STRONG);
}

const struct pg_detector pg_detector_irc = {
	.name = "irc",
	.l4_mask = PG_L4_TCP,
	.fn = irc_detect,
	.vetoes_port_of = PG_SYS_IRC,
};
