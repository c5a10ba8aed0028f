/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Ordinary protocols and host extractors.  Recognising ordinary traffic
 * overrides weak port hints, and the names these detectors pull out (TLS and
 * QUIC SNI, HTTP Host, CONNECT and SOCKS targets) are what the host patterns
 * match.  Most specific first: the binary-framed proxies and SSH have
 * signatures that cannot be mistaken; the text protocols last.
 */
#include "detectors.h"

const struct pg_detector *const pg_detectors_common[] = {
	&pg_detector_socks,
	&pg_detector_ssh,
	&pg_detector_tls,
	&pg_detector_quic,
	&pg_detector_http,
	&pg_detector_dns,
	&pg_detector_mail,
	&pg_detector_ftp,
	NULL,
};
