/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SSH (RFC 4253 §4.2): both sides open with "SSH-protoversion-softwareversion".
 * Protocol versions seen in the wild are 2.0, 1.99 (a 2.0 server that also
 * speaks 1.x) and 1.5 / 1.3.  The server may in theory send other lines
 * before its identification; no deployed server does, so we do not wait for
 * them.
 */
#include "peergate/detect.h"

#include "bytes.h"
#include "detectors.h"

enum id_status { ID_NO, ID_PARTIAL, ID_OK };

/* "SSH-" digits "." digits "-" and at least one printable character. */
static enum id_status ssh_ident(const uint8_t *p, size_t n)
{
	static const char lit[] = "SSH-";
	size_t i = 0;
	for (; i < 4; i++) {
		if (i >= n)
			return ID_PARTIAL;
		if (p[i] != (uint8_t)lit[i])
			return ID_NO;
	}
	/* protoversion: 1-2 digits, '.', 1-2 digits */
	size_t d = 0;
	while (i < n && pg_is_digit(p[i]) && d < 2) {
		i++;
		d++;
	}
	if (i >= n)
		return ID_PARTIAL;
	if (d == 0 || p[i] != '.')
		return ID_NO;
	i++;
	d = 0;
	while (i < n && pg_is_digit(p[i]) && d < 2) {
		i++;
		d++;
	}
	if (i >= n)
		return ID_PARTIAL;
	if (d == 0 || p[i] != '-')
		return ID_NO;
	i++;
	if (i >= n)
		return ID_PARTIAL;
	return (p[i] > 0x20 && p[i] < 0x7f) ? ID_OK : ID_NO;
}

static enum pg_detect_status ssh_detect(const struct pg_detect_input *in,
					struct pg_detect_result *out)
{
	struct pg_sides s = pg_sides_of(in);
	enum id_status c = s.c2s_len ? ssh_ident(s.c2s, s.c2s_len) : ID_PARTIAL;
	enum id_status v = s.s2c_len ? ssh_ident(s.s2c, s.s2c_len) : ID_PARTIAL;

	/* One identification line is enough: the format is specific and both
	 * sides must send it before anything else. */
	if ((c == ID_OK && v != ID_NO) || (v == ID_OK && c != ID_NO))
		return pg_match(out, PG_SYS_SSH, PG_FEAT_ANY, PG_CONF_STRONG);
	if (c == ID_NO || v == ID_NO)
		return PG_DETECT_NO;
	return PG_DETECT_MAYBE;
}

const struct pg_detector pg_detector_ssh = {
	.name = "ssh",
	.l4_mask = PG_L4_TCP,
	.fn = ssh_detect,
};
