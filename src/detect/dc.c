/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Direct Connect: NMDC and ADC (DC++ and friends).
 *
 * NMDC messages are "$Command args|".  A hub speaks first with
 * "$Lock <lock> Pk=<pk>|"; a client answers "$Supports ...|$Key ...|
 * $ValidateNick ...|".  Between clients the initiator sends
 * "$MyNick <nick>|$Lock ...|" and the transfer commands follow ($Direction,
 * $ADCGET/$ADCSND, $Get/$Send).  ADC lines are "XCMD params\n" with a
 * one-letter message type; every session opens with SUP listing the BASE
 * feature: "HSUP ADBASE ..." from a client to its hub, "ISUP ..." back,
 * "CSUP ADBASE ..." between clients.
 *
 * Hub sessions are `network`, client-to-client connections `download`.
 * The first message must be complete (terminator seen) and a known
 * command: "$Lock " alone is short ASCII, the terminator and the command
 * table keep it from matching prose.  ADCS (ADC over TLS) shows only TLS.
 */
#include <netinet/in.h>

#include "bytes.h"
#include "detectors.h"

enum { DC_MAX_MSG = 4096 };

struct dc_cmd {
	const char *name;  /* after '$', without the trailing space */
	enum pg_feature feature;
};

static const struct dc_cmd nmdc_cmds[] = {
	/* hub sessions */
	{"Lock", PG_FEAT_NETWORK},
	{"Key", PG_FEAT_NETWORK},
	{"Supports", PG_FEAT_NETWORK},
	{"ValidateNick", PG_FEAT_NETWORK},
	{"ValidateDenide", PG_FEAT_NETWORK},
	{"MyINFO", PG_FEAT_NETWORK},
	{"MyPass", PG_FEAT_NETWORK},
	{"GetPass", PG_FEAT_NETWORK},
	{"BadPass", PG_FEAT_NETWORK},
	{"LogedIn", PG_FEAT_NETWORK},
	{"Hello", PG_FEAT_NETWORK},
	{"HubName", PG_FEAT_NETWORK},
	{"HubINFO", PG_FEAT_NETWORK},
	{"HubIsFull", PG_FEAT_NETWORK},
	{"GetNickList", PG_FEAT_NETWORK},
	{"NickList", PG_FEAT_NETWORK},
	{"OpList", PG_FEAT_NETWORK},
	{"UserIP", PG_FEAT_NETWORK},
	{"Search", PG_FEAT_NETWORK},
	{"SR", PG_FEAT_NETWORK},
	{"ConnectToMe", PG_FEAT_NETWORK},
	{"RevConnectToMe", PG_FEAT_NETWORK},
	{"To:", PG_FEAT_NETWORK},
	{"Quit", PG_FEAT_NETWORK},
	{"ForceMove", PG_FEAT_NETWORK},
	/* client to client */
	{"MyNick", PG_FEAT_DOWNLOAD},
	{"Direction", PG_FEAT_DOWNLOAD},
	{"ADCGET", PG_FEAT_DOWNLOAD},
	{"ADCSND", PG_FEAT_DOWNLOAD},
	{"Get", PG_FEAT_DOWNLOAD},
	{"Send", PG_FEAT_DOWNLOAD},
	{"FileLength", PG_FEAT_DOWNLOAD},
	{"GetListLen", PG_FEAT_DOWNLOAD},
	{"MaxedOut", PG_FEAT_DOWNLOAD},
};

struct dc_verdict {
	enum pg_detect_status status;
	enum pg_feature feature;
};

static struct dc_verdict dcv(enum pg_detect_status st, enum pg_feature f)
{
	struct dc_verdict v = {st, f};
	return v;
}

/* NMDC escapes only NUL (and its delimiters) as /%DCN000%/: a $Key holds
 * raw control bytes, so only NUL marks something else. */
static bool dc_text(const uint8_t *p, size_t n)
{
	return memchr(p, 0, n) == NULL;
}

static struct dc_verdict nmdc_dir(const uint8_t *s, size_t n)
{
	const uint8_t *bar = memchr(s, '|', n < DC_MAX_MSG ? n : DC_MAX_MSG);
	size_t mlen = bar ? (size_t)(bar - s) : n;
	if (!dc_text(s, mlen))
		return dcv(PG_DETECT_NO, 0);
	/* The command name runs to the first space or '|'. */
	size_t e = 1;
	while (e < mlen && s[e] != ' ')
		e++;
	const uint8_t *name = s + 1;
	size_t nlen = e - 1;
	const struct dc_cmd *cmd = NULL;
	bool could_grow = !bar && e == mlen; /* name may be unfinished */
	for (size_t k = 0; k < sizeof(nmdc_cmds) / sizeof(nmdc_cmds[0]); k++) {
		size_t cl = strlen(nmdc_cmds[k].name);
		if (nlen == cl && memcmp(name, nmdc_cmds[k].name, cl) == 0)
			cmd = &nmdc_cmds[k];
		else if (could_grow && nlen < cl &&
			 memcmp(name, nmdc_cmds[k].name, nlen) == 0)
			return dcv(PG_DETECT_MAYBE, 0);
	}
	if (!cmd)
		return dcv(PG_DETECT_NO, 0);
	if (!bar)
		return dcv(n < DC_MAX_MSG ? PG_DETECT_MAYBE : PG_DETECT_NO, 0);
	/* Commands that take arguments need them; a lock needs its key
	 * material. */
	if (strcmp(cmd->name, "Lock") == 0 || strcmp(cmd->name, "MyNick") == 0 ||
	    strcmp(cmd->name, "Key") == 0 || strcmp(cmd->name, "ValidateNick") == 0) {
		if (e + 1 >= mlen)
			return dcv(PG_DETECT_NO, 0);
	}
	/* A lock that opens a connection comes from a hub; between clients
	 * it follows "$MyNick ...|", which decides first. */
	return dcv(PG_DETECT_MATCH, cmd->feature);
}

/* ADC: "XSUP AD<feature> ...\n" first; the type letter says who talks. */
static struct dc_verdict adc_dir(const uint8_t *s, size_t n)
{
	size_t eol;
	bool ended = pg_line_end(s, n, DC_MAX_MSG, &eol);
	size_t len = ended ? eol : n;
	if (!dc_text(s, len))
		return dcv(PG_DETECT_NO, 0);
	static const char *const sup[] = {"HSUP ", "ISUP ", "CSUP "};
	for (size_t k = 0; k < 3; k++) {
		if (!pg_prefix_of(s, len, sup[k]))
			continue;
		if (len < 5 || !ended)
			return dcv(n < DC_MAX_MSG ? PG_DETECT_MAYBE : PG_DETECT_NO, 0);
		/* the BASE feature must be among the listed ones */
		if (!pg_find(s, len, " ADBASE", NULL) &&
		    !pg_find(s, len, " ADBAS0", NULL))
			return dcv(PG_DETECT_NO, 0);
		return dcv(PG_DETECT_MATCH,
			   s[0] == 'C' ? PG_FEAT_DOWNLOAD : PG_FEAT_NETWORK);
	}
	return dcv(PG_DETECT_NO, 0);
}

static struct dc_verdict dc_dir(const uint8_t *s, size_t n)
{
	if (n == 0)
		return dcv(PG_DETECT_MAYBE, 0);
	if (s[0] == '$')
		return nmdc_dir(s, n);
	if (s[0] == 'H' || s[0] == 'I' || s[0] == 'C')
		return adc_dir(s, n);
	return dcv(PG_DETECT_NO, 0);
}

static enum pg_detect_status dc_detect(const struct pg_detect_input *in,
				       struct pg_detect_result *out)
{
	const uint8_t *s = in->stream;
	size_t n = in->stream_len, on;
	const uint8_t *o = pg_other(in, &on);
	struct dc_verdict a = dc_dir(s, n);
	struct dc_verdict b = dc_dir(o, on);

	if (a.status == PG_DETECT_MATCH || b.status == PG_DETECT_MATCH) {
		/* A client-to-client opening on either side makes the whole
		 * connection a transfer connection. */
		enum pg_feature f = PG_FEAT_NETWORK;
		if ((a.status == PG_DETECT_MATCH && a.feature == PG_FEAT_DOWNLOAD) ||
		    (b.status == PG_DETECT_MATCH && b.feature == PG_FEAT_DOWNLOAD))
			f = PG_FEAT_DOWNLOAD;
		return pg_match(out, PG_SYS_DC, f, PG_CONF_STRONG);
	}
	if (a.status == PG_DETECT_NO || b.status == PG_DETECT_NO)
		return PG_DETECT_NO;
	return PG_DETECT_MAYBE;
}

const struct pg_detector pg_detector_dc = {
	.name = "dc",
	.l4_mask = PG_L4_TCP,
	.fn = dc_detect,
};
