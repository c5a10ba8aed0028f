/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Ports per system and feature.  `paper` rows come from the 2002 source
 * paper's port list; the others from signatures.md.  `hint` is off where a
 * port is shared with common services (80, 443, 3389 ...) so that it never
 * labels ordinary traffic; `block` is off where a kernel port block would
 * mostly hit other services.
 */
#include "peergate/ports.h"

#include <netinet/in.h>

#define TCP IPPROTO_TCP
#define UDP IPPROTO_UDP

const struct pg_port_rule pg_port_rules[] = {
	/* AIM: paper; 5190 is shared with ICQ's OSCAR login */
	{PG_SYS_AIM, PG_FEAT_LOGIN, TCP, 5190, 5190, true, true, "paper: OSCAR login/BOS"},
	{PG_SYS_AIM, PG_FEAT_IM, TCP, 5190, 5190, false, true, "paper: BOS"},
	{PG_SYS_AIM, PG_FEAT_IMAGES, TCP, 4443, 4443, true, true, "paper: IM images"},
	{PG_SYS_AIM, PG_FEAT_FILE_TRANSFER, TCP, 5190, 5190, false, true, "paper: direct connection"},
	{PG_SYS_AIM, PG_FEAT_FILE_SHARING, TCP, 5190, 5190, false, true, "paper: shared folder"},
	{PG_SYS_AIM, PG_FEAT_IM, TCP, 9898, 9898, true, true, "TOC gateway"},
	/* ICQ: paper */
	{PG_SYS_ICQ, PG_FEAT_LOGIN, TCP, 5190, 5190, false, true, "paper: login.icq.com"},
	{PG_SYS_ICQ, PG_FEAT_IM, TCP, 3570, 3570, true, true, "paper: messages"},
	{PG_SYS_ICQ, PG_FEAT_VOICE_VIDEO, UDP, 6701, 6701, true, true, "paper: voice/video"},
	{PG_SYS_ICQ, PG_FEAT_FILE_TRANSFER, TCP, 3574, 3574, true, true, "paper: file transfer"},
	{PG_SYS_ICQ, PG_FEAT_FILE_SHARING, TCP, 7320, 7320, true, true, "paper: file sharing"},
	{PG_SYS_ICQ, PG_FEAT_IM, UDP, 4000, 4000, true, false, "ICQ v5 server (UDP 4000)"},
	/* MSN: paper */
	{PG_SYS_MSN, PG_FEAT_LOGIN, TCP, 1863, 1863, false, true, "paper: MSNP"},
	{PG_SYS_MSN, PG_FEAT_IM, TCP, 1863, 1863, true, true, "paper: MSNP"},
	{PG_SYS_MSN, PG_FEAT_VOICE_VIDEO, UDP, 13324, 13325, true, true, "paper: voice/video"},
	{PG_SYS_MSN, PG_FEAT_APP_SHARING, TCP, 1503, 1503, true, true, "paper: T.120 app sharing"},
	{PG_SYS_MSN, PG_FEAT_WHITEBOARD, TCP, 1503, 1503, false, true, "paper: T.120 whiteboard"},
	{PG_SYS_MSN, PG_FEAT_FILE_TRANSFER, TCP, 6891, 6900, true, true, "paper: MSNFTP 6891"},
	/* RDP serves far more than Messenger's Remote Assistance: no kernel
	 * block; the invitation in the MSN session identifies it instead. */
	{PG_SYS_MSN, PG_FEAT_REMOTE_ASSISTANCE, TCP, 3389, 3389, false, false, "paper: RDP"},
	/* Yahoo: paper (file transfer over 80 is no usable hint or block) */
	{PG_SYS_YAHOO, PG_FEAT_IM, TCP, 5050, 5050, true, true, "paper: YMSG pager"},
	{PG_SYS_YAHOO, PG_FEAT_LOGIN, TCP, 5050, 5050, false, true, "paper: YMSG pager"},
	{PG_SYS_YAHOO, PG_FEAT_VOICE_VIDEO, TCP, 5100, 5100, true, true, "webcam"},
	{PG_SYS_YAHOO, PG_FEAT_IM, TCP, 5101, 5101, true, false, "P2P IM"},
	{PG_SYS_YAHOO, PG_FEAT_FILE_TRANSFER, TCP, 80, 80, false, false, "paper: HTTP from sender"},
	{PG_SYS_YAHOO, PG_FEAT_FILE_SHARING, TCP, 80, 80, false, false, "paper: HTTP shared folder"},
	/* KaZaA / FastTrack: paper */
	{PG_SYS_FASTTRACK, PG_FEAT_NETWORK, TCP, 1214, 1214, true, true, "paper: supernode"},
	{PG_SYS_FASTTRACK, PG_FEAT_NETWORK, UDP, 1214, 1214, true, true, "FastTrack UDP ping"},
	{PG_SYS_FASTTRACK, PG_FEAT_DOWNLOAD, TCP, 1214, 1214, false, true, "paper: HTTP transfers"},
	/* Gnutella: paper */
	{PG_SYS_GNUTELLA, PG_FEAT_NETWORK, TCP, 6346, 6347, true, true, "paper: servent"},
	{PG_SYS_GNUTELLA, PG_FEAT_NETWORK, UDP, 6346, 6347, true, true, "Gnutella UDP"},
	{PG_SYS_GNUTELLA, PG_FEAT_DOWNLOAD, TCP, 6346, 6347, false, true, "paper: servent HTTP"},
	/* proxies */
	{PG_SYS_PROXY, PG_FEAT_SOCKS5, TCP, 1080, 1080, true, false, "SOCKS"},
	/* later systems (signatures.md) */
	{PG_SYS_BITTORRENT, PG_FEAT_DOWNLOAD, TCP, 6881, 6889, true, true, "BitTorrent classic"},
	{PG_SYS_BITTORRENT, PG_FEAT_NETWORK, UDP, 6881, 6889, true, true, "BitTorrent DHT"},
	{PG_SYS_BITTORRENT, PG_FEAT_NETWORK, TCP, 6969, 6969, true, false, "tracker"},
	{PG_SYS_BITTORRENT, PG_FEAT_NETWORK, UDP, 6771, 6771, true, true, "LSD"},
	{PG_SYS_BITTORRENT, PG_FEAT_DOWNLOAD, TCP, 51413, 51413, true, false, "Transmission"},
	{PG_SYS_EDONKEY, PG_FEAT_NETWORK, TCP, 4661, 4661, true, true, "eD2k server"},
	{PG_SYS_EDONKEY, PG_FEAT_DOWNLOAD, TCP, 4662, 4662, true, true, "eMule client"},
	{PG_SYS_EDONKEY, PG_FEAT_NETWORK, UDP, 4665, 4665, true, true, "eD2k server UDP"},
	{PG_SYS_EDONKEY, PG_FEAT_NETWORK, UDP, 4672, 4672, true, true, "eMule/Kad UDP"},
	{PG_SYS_DC, PG_FEAT_NETWORK, TCP, 411, 411, true, true, "NMDC hub"},
	{PG_SYS_XMPP, PG_FEAT_IM, TCP, 5222, 5223, true, true, "XMPP c2s"},
	{PG_SYS_XMPP, PG_FEAT_IM, TCP, 5269, 5269, true, false, "XMPP s2s"},
	{PG_SYS_IRC, PG_FEAT_IM, TCP, 6665, 6669, true, true, "IRC"},
	{PG_SYS_IRC, PG_FEAT_IM, TCP, 6697, 6697, true, true, "IRC over TLS"},
	/* UDP 8000 also serves other software: a hint, no kernel block */
	{PG_SYS_QQ, PG_FEAT_IM, UDP, 8000, 8000, true, false, "QQ/OICQ server"},
	{PG_SYS_SOULSEEK, PG_FEAT_NETWORK, TCP, 2242, 2242, true, true, "Soulseek server"},
	{PG_SYS_SOULSEEK, PG_FEAT_DOWNLOAD, TCP, 2234, 2234, true, true, "Soulseek peers (default)"},
	{PG_SYS_MANOLITO, PG_FEAT_NETWORK, UDP, 41170, 41170, true, true, "Manolito (Piolet, Blubster)"},
};

const size_t pg_port_rule_count = sizeof(pg_port_rules) / sizeof(pg_port_rules[0]);

bool pg_port_hint(uint8_t l4proto, uint16_t port, enum pg_system *sys,
		  enum pg_feature *feat)
{
	for (size_t i = 0; i < pg_port_rule_count; i++) {
		const struct pg_port_rule *r = &pg_port_rules[i];
		if (r->hint && r->l4proto == l4proto && port >= r->lo && port <= r->hi) {
			*sys = r->system;
			*feat = r->feature;
			return true;
		}
	}
	return false;
}
