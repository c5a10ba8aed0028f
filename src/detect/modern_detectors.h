/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The descriptors behind pg_detectors_modern (src/detect/modern.c), one per
 * detector, so the list and the unit tests can name them.
 */
#ifndef PEERGATE_DETECT_MODERN_DETECTORS_H
#define PEERGATE_DETECT_MODERN_DETECTORS_H

#include "peergate/detect.h"

extern const struct pg_detector pg_detector_bittorrent;     /* TCP */
extern const struct pg_detector pg_detector_bittorrent_udp; /* UDP */
extern const struct pg_detector pg_detector_edonkey;        /* TCP+UDP */
extern const struct pg_detector pg_detector_xmpp;           /* TCP */
extern const struct pg_detector pg_detector_irc;            /* TCP */
extern const struct pg_detector pg_detector_dc;             /* TCP */
extern const struct pg_detector pg_detector_whatsapp;       /* TCP */
extern const struct pg_detector pg_detector_telegram;       /* TCP+UDP */
extern const struct pg_detector pg_detector_stun;           /* UDP+TCP */
extern const struct pg_detector pg_detector_tor;            /* TCP */

#endif
