/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * FTP control connections (RFC 959, RFC 4217 for AUTH TLS).  The server
 * greets with 220, like SMTP; the banner text or the client's first command
 * settles which.  Mid-session captures are recognised from an FTP command
 * and a numeric reply (POP3 would answer "+OK").  Data connections carry
 * no signature and are not recognised here.
 */
#include "peergate/detect.h"

#include "bytes.h"
#include "detectors.h"

static const char *const ftp_cmds[] = {
	"USER", "PASS", "ACCT", "CWD",  "CDUP", "QUIT", "PORT", "PASV",
	"EPSV", "EPRT", "TYPE", "MODE", "STRU", "RETR", "STOR", "STOU",
	"APPE", "LIST", "NLST", "SYST", "FEAT", "OPTS", "AUTH", "PBSZ",
	"PROT", "PWD",  "XPWD", "MKD",  "RMD",  "DELE", "SIZE", "MDTM",
	"REST", "NOOP", "HELP", "SITE", "STAT", "ABOR", "RNFR", "RNTO",
	"MLSD", "MLST", "CLNT", "HOST", "CCC",  NULL};
/* FTP commands SMTP also has, answered with the same kind of codes: not
 * enough on their own in the middle of a session. */
static const char *const shared_cmds[] = {"QUIT", "NOOP", "HELP", "AUTH",
					  NULL};

static enum pg_detect_status ftp_detect(const struct pg_detect_input *in,
					struct pg_detect_result *out)
{
	struct pg_text_sides t;
	if (!pg_text_sides_of(in, &t))
		return PG_DETECT_NO;
	const struct pg_sides s = t.s;
	const struct pg_line cl = t.client, sl = t.server;
	bool c_done = t.client_done;

	if (s.s2c_len && sl.complete) {
		if (pg_line_reply_code(&sl, "220")) {
			if (pg_line_has_ci(&sl, "SMTP"))
				return PG_DETECT_NO;
			if (pg_line_has_ci(&sl, "FTP"))
				goto match;
			if (!c_done)
				return PG_DETECT_MAYBE;
			/* EHLO/HELO are not in the list: that is SMTP. */
			if (pg_line_word_in(&cl, ftp_cmds))
				goto match;
			return PG_DETECT_NO;
		}
		/* Joined mid-session: an FTP command answered by a code. */
		if (c_done && pg_line_word_in(&cl, ftp_cmds) &&
		    !pg_line_word_in(&cl, shared_cmds) &&
		    pg_line_reply_code(&sl, NULL))
			goto match;
		return PG_DETECT_NO;
	}
	if (s.s2c_len)
		return pg_is_digit(s.s2c[0]) ? PG_DETECT_MAYBE : PG_DETECT_NO;
	/* Only the client has spoken so far (late start). */
	if (!c_done || pg_line_word_in(&cl, ftp_cmds))
		return PG_DETECT_MAYBE;
	return PG_DETECT_NO;

match:
	return pg_match(out, PG_SYS_FTP, PG_FEAT_ANY, PG_CONF_DECIDE);
}

const struct pg_detector pg_detector_ftp = {
	.name = "ftp",
	.l4_mask = PG_L4_TCP,
	.fn = ftp_detect,
};
