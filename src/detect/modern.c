/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The detectors for the systems beyond the 2002 paper, most specific first:
 * fixed handshakes and framed binary protocols before text heuristics, and
 * the loosest ones (eDonkey's UDP opcodes, MTProto's framing) last.
 */
#include "detectors.h"

const struct pg_detector *const pg_detectors_modern[] = {
	&pg_detector_bittorrent,     /* "\x13BitTorrent protocol", trackers */
	&pg_detector_bittorrent_udp, /* KRPC, UDP tracker, LSD, uTP */
	&pg_detector_stun,           /* STUN framing + app attributes */
	&pg_detector_whatsapp,       /* "ED\0\1" / "WA" prologues */
	&pg_detector_xmpp,           /* etherx stream header, stanzas */
	&pg_detector_irc,            /* registration, server lines, DCC */
	&pg_detector_dc,             /* NMDC $Lock/$MyNick, ADC SUP */
	&pg_detector_tor,            /* random SNI + link certificate */
	&pg_detector_soulseek,       /* Login, PeerInit, PierceFireWall + next */
	&pg_detector_manolito,       /* datagrams naming their own addresses */
	&pg_detector_ares,           /* prelogin + answer, chat-room login */
	&pg_detector_qq,             /* 02 ... 03 framing, TEA blocks */
	&pg_detector_edonkey,        /* E3/C5/D4 framing, UDP opcodes */
	&pg_detector_telegram,       /* MTProto transports, call relays */
	NULL,
};
