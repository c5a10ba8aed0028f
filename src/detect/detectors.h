/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Every detector's descriptor, one per protocol family file, so that the
 * lists (paper.c, modern.c, common.c) and the unit tests can name them.
 * Declarations only: the detectors' helpers are in bytes.h and http_msg.h.
 */
#ifndef PEERGATE_DETECT_DETECTORS_H
#define PEERGATE_DETECT_DETECTORS_H

#include "peergate/detect_registry.h"

/* The six systems of the paper (paper.c). */
/* oscar.c */
extern const struct pg_detector pg_detector_oscar;          /* FLAP, TOC */
extern const struct pg_detector pg_detector_oscar_peer;     /* OFT, ODC, proxy */
extern const struct pg_detector pg_detector_oscar_http;     /* HTTP proxy mode */
extern const struct pg_detector pg_detector_icq_udp;        /* ICQ v5 */
/* msn.c */
extern const struct pg_detector pg_detector_msn;            /* MSNP, MSNFTP, P2P */
extern const struct pg_detector pg_detector_msn_http;       /* HTTP gateway */
/* yahoo.c */
extern const struct pg_detector pg_detector_ymsg;           /* YMSG pager */
extern const struct pg_detector pg_detector_yahoo_side;     /* webcam, HTTP */
/* fasttrack.c, gnutella.c */
extern const struct pg_detector pg_detector_fasttrack;
extern const struct pg_detector pg_detector_gnutella;
extern const struct pg_detector pg_detector_gnutella_udp;

/* The systems beyond the paper (modern.c). */
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
extern const struct pg_detector pg_detector_qq;             /* TCP+UDP */
extern const struct pg_detector pg_detector_soulseek;       /* TCP */
extern const struct pg_detector pg_detector_manolito;       /* UDP */
extern const struct pg_detector pg_detector_ares;           /* TCP */

/* Ordinary protocols and host extractors (common.c). */
extern const struct pg_detector pg_detector_socks;
extern const struct pg_detector pg_detector_ssh;
extern const struct pg_detector pg_detector_tls;
extern const struct pg_detector pg_detector_quic;
extern const struct pg_detector pg_detector_http;
extern const struct pg_detector pg_detector_dns;
extern const struct pg_detector pg_detector_mail;
extern const struct pg_detector pg_detector_ftp;

#endif
