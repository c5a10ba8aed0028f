/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The detectors for the six systems of the source paper.  Most specific
 * first: binary framings with length checks, then text protocols with fixed
 * tokens, then the HTTP-borne side channels, then weak heuristics.
 */
#include "detectors.h"

const struct pg_detector *const pg_detectors_paper[] = {
	&pg_detector_oscar_peer,
	&pg_detector_oscar,
	&pg_detector_ymsg,
	&pg_detector_msn,
	&pg_detector_gnutella,
	&pg_detector_fasttrack,
	&pg_detector_msn_http,
	&pg_detector_oscar_http,
	&pg_detector_yahoo_side,
	&pg_detector_gnutella_udp,
	&pg_detector_icq_udp,
	NULL,
};
