/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The system, feature and method names peergate uses in policy.ini, JSON
 * output and counters.  The spellings are a contract (see README): change
 * the tables in taxonomy.c only by adding.
 */
#ifndef PEERGATE_TAXONOMY_H
#define PEERGATE_TAXONOMY_H

#include <stdbool.h>
#include <stddef.h>

enum pg_system {
	PG_SYS_UNKNOWN = 0,
	/* the six systems of the source paper */
	PG_SYS_AIM,
	PG_SYS_ICQ,
	PG_SYS_MSN,
	PG_SYS_YAHOO,
	PG_SYS_FASTTRACK,
	PG_SYS_GNUTELLA,
	/* ways around a block */
	PG_SYS_PROXY,
	/* systems beyond the paper */
	PG_SYS_BITTORRENT,
	PG_SYS_EDONKEY,
	PG_SYS_DC,
	PG_SYS_XMPP,
	PG_SYS_IRC,
	PG_SYS_TELEGRAM,
	PG_SYS_WHATSAPP,
	PG_SYS_SIGNAL,
	PG_SYS_TEAMS,
	PG_SYS_SKYPE,
	PG_SYS_TOR,
	PG_SYS_QQ,
	PG_SYS_SOULSEEK,
	PG_SYS_MANOLITO,
	PG_SYS_ARES,
	/* Systems defined in data files (systems.d, see systems.h): their ids
	 * are handed out at load, their names are held by the registry.  New
	 * built-in systems go above this block. */
	PG_SYS_DATA_FIRST,
	PG_SYS_DATA_LAST = PG_SYS_DATA_FIRST + 63,
	PG_SYS_POLICED_END, /* everything below is ordinary traffic, never policed */
	PG_SYS_HTTP = PG_SYS_POLICED_END,
	PG_SYS_TLS,
	PG_SYS_QUIC,
	PG_SYS_DNS,
	PG_SYS_SSH,
	PG_SYS_STUN,
	PG_SYS_MAIL,
	PG_SYS_FTP,
	PG_SYS_COUNT
};

enum pg_feature {
	PG_FEAT_ANY = 0,
	PG_FEAT_LOGIN,
	PG_FEAT_IM,
	PG_FEAT_IMAGES,
	PG_FEAT_VOICE,
	PG_FEAT_VOICE_VIDEO,
	PG_FEAT_GAMES,
	PG_FEAT_FILE_TRANSFER,
	PG_FEAT_FILE_SHARING,
	PG_FEAT_APP_SHARING,
	PG_FEAT_WHITEBOARD,
	PG_FEAT_REMOTE_ASSISTANCE,
	PG_FEAT_NETWORK,
	PG_FEAT_DOWNLOAD,
	PG_FEAT_CHAT,
	PG_FEAT_SOCKS4,
	PG_FEAT_SOCKS5,
	PG_FEAT_HTTP_CONNECT,
	PG_FEAT_HTTP_TUNNEL,
	PG_FEAT_COUNT
};

enum pg_method {
	PG_METHOD_NONE = 0,
	PG_METHOD_PORT,
	PG_METHOD_HOST,
	PG_METHOD_PAYLOAD,
	PG_METHOD_CORRELATION,
	PG_METHOD_HEURISTIC,      /* a handshake's shape, a learned peer, a
				   * TLS name or port: see peergate/shape.h */
	PG_METHOD_COUNT
};

/* Room for systems defined in data files: ids PG_SYS_DATA_FIRST ... LAST. */
#define PG_SYS_DATA_MAX (PG_SYS_DATA_LAST - PG_SYS_DATA_FIRST + 1)

/* The built-in names; a data system's id gives "unknown" here (its name is
 * the registry's: pg_systems_name in systems.h). */
const char *pg_system_name(enum pg_system sys);
const char *pg_feature_name(enum pg_feature feat);
const char *pg_method_name(enum pg_method method);

/* Name lookups; return false for an unknown name. */
bool pg_system_from_name(const char *name, enum pg_system *out);
bool pg_feature_from_name(const char *name, enum pg_feature *out);

/* True for an id in the block of data systems. */
bool pg_system_is_data(enum pg_system sys);

/* True for the IM/P2P systems (and proxy) that policy can block, data
 * systems' ids included. */
bool pg_system_is_policed(enum pg_system sys);

/* True for the systems that peergate can also find by heuristics
 * (bittorrent, edonkey, irc, xmpp): see `heuristics` in policy.ini. */
bool pg_system_has_heuristics(enum pg_system sys);

/* True when the taxonomy lists this feature for this system.  `any` and
 * `http-tunnel` are valid for every policed system. */
bool pg_feature_valid_for(enum pg_system sys, enum pg_feature feat);

/* Fills out[] with the features the taxonomy lists for sys (without `any`);
 * returns how many. */
size_t pg_system_features(enum pg_system sys, enum pg_feature *out, size_t max);

#endif
