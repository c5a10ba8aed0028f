/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "peergate/taxonomy.h"

#include <string.h>

static const char *const system_names[PG_SYS_COUNT] = {
	[PG_SYS_UNKNOWN] = "unknown",
	[PG_SYS_AIM] = "aim",
	[PG_SYS_ICQ] = "icq",
	[PG_SYS_MSN] = "msn",
	[PG_SYS_YAHOO] = "yahoo",
	[PG_SYS_FASTTRACK] = "fasttrack",
	[PG_SYS_GNUTELLA] = "gnutella",
	[PG_SYS_PROXY] = "proxy",
	[PG_SYS_BITTORRENT] = "bittorrent",
	[PG_SYS_EDONKEY] = "edonkey",
	[PG_SYS_DC] = "dc",
	[PG_SYS_XMPP] = "xmpp",
	[PG_SYS_IRC] = "irc",
	[PG_SYS_TELEGRAM] = "telegram",
	[PG_SYS_WHATSAPP] = "whatsapp",
	[PG_SYS_SIGNAL] = "signal",
	[PG_SYS_TEAMS] = "teams",
	[PG_SYS_SKYPE] = "skype",
	[PG_SYS_TOR] = "tor",
	[PG_SYS_QQ] = "qq",
	[PG_SYS_SOULSEEK] = "soulseek",
	[PG_SYS_MANOLITO] = "manolito",
	[PG_SYS_ARES] = "ares",
	[PG_SYS_HTTP] = "http",
	[PG_SYS_TLS] = "tls",
	[PG_SYS_QUIC] = "quic",
	[PG_SYS_DNS] = "dns",
	[PG_SYS_SSH] = "ssh",
	[PG_SYS_STUN] = "stun",
	[PG_SYS_MAIL] = "mail",
	[PG_SYS_FTP] = "ftp",
};

static const char *const feature_names[PG_FEAT_COUNT] = {
	[PG_FEAT_ANY] = "any",
	[PG_FEAT_LOGIN] = "login",
	[PG_FEAT_IM] = "im",
	[PG_FEAT_IMAGES] = "images",
	[PG_FEAT_VOICE] = "voice",
	[PG_FEAT_VOICE_VIDEO] = "voice-video",
	[PG_FEAT_GAMES] = "games",
	[PG_FEAT_FILE_TRANSFER] = "file-transfer",
	[PG_FEAT_FILE_SHARING] = "file-sharing",
	[PG_FEAT_APP_SHARING] = "app-sharing",
	[PG_FEAT_WHITEBOARD] = "whiteboard",
	[PG_FEAT_REMOTE_ASSISTANCE] = "remote-assistance",
	[PG_FEAT_NETWORK] = "network",
	[PG_FEAT_DOWNLOAD] = "download",
	[PG_FEAT_CHAT] = "chat",
	[PG_FEAT_SOCKS4] = "socks4",
	[PG_FEAT_SOCKS5] = "socks5",
	[PG_FEAT_HTTP_CONNECT] = "http-connect",
	[PG_FEAT_HTTP_TUNNEL] = "http-tunnel",
};

static const char *const method_names[PG_METHOD_COUNT] = {
	[PG_METHOD_NONE] = "none",
	[PG_METHOD_PORT] = "port",
	[PG_METHOD_HOST] = "host",
	[PG_METHOD_PAYLOAD] = "payload",
	[PG_METHOD_CORRELATION] = "correlation",
	[PG_METHOD_HEURISTIC] = "heuristic",
};

#define F(x) (1u << PG_FEAT_##x)
/* Features per system, as listed in the taxonomy (bit set over enum pg_feature). */
static const unsigned system_features[PG_SYS_POLICED_END] = {
	[PG_SYS_AIM] = F(LOGIN) | F(IM) | F(IMAGES) | F(VOICE) | F(GAMES) |
		       F(FILE_TRANSFER) | F(FILE_SHARING),
	[PG_SYS_ICQ] = F(LOGIN) | F(IM) | F(VOICE_VIDEO) | F(FILE_TRANSFER) |
		       F(FILE_SHARING),
	[PG_SYS_MSN] = F(LOGIN) | F(IM) | F(VOICE_VIDEO) | F(APP_SHARING) |
		       F(WHITEBOARD) | F(FILE_TRANSFER) | F(REMOTE_ASSISTANCE),
	[PG_SYS_YAHOO] = F(LOGIN) | F(IM) | F(VOICE_VIDEO) | F(FILE_TRANSFER) |
			 F(FILE_SHARING),
	[PG_SYS_FASTTRACK] = F(NETWORK) | F(DOWNLOAD),
	[PG_SYS_GNUTELLA] = F(NETWORK) | F(DOWNLOAD),
	[PG_SYS_PROXY] = F(SOCKS4) | F(SOCKS5) | F(HTTP_CONNECT),
	[PG_SYS_BITTORRENT] = F(NETWORK) | F(DOWNLOAD),
	[PG_SYS_EDONKEY] = F(NETWORK) | F(DOWNLOAD),
	[PG_SYS_DC] = F(NETWORK) | F(DOWNLOAD),
	[PG_SYS_XMPP] = F(LOGIN) | F(IM) | F(FILE_TRANSFER),
	[PG_SYS_IRC] = F(IM) | F(FILE_TRANSFER) | F(CHAT),
	[PG_SYS_TELEGRAM] = F(IM) | F(VOICE_VIDEO) | F(FILE_TRANSFER),
	[PG_SYS_WHATSAPP] = F(IM) | F(VOICE_VIDEO) | F(FILE_TRANSFER),
	[PG_SYS_SIGNAL] = F(IM) | F(VOICE_VIDEO) | F(FILE_TRANSFER),
	[PG_SYS_TEAMS] = F(IM) | F(VOICE_VIDEO) | F(FILE_TRANSFER),
	[PG_SYS_SKYPE] = F(IM) | F(VOICE_VIDEO) | F(FILE_TRANSFER),
	[PG_SYS_TOR] = F(NETWORK),
	[PG_SYS_QQ] = F(IM) | F(VOICE_VIDEO) | F(FILE_TRANSFER),
	[PG_SYS_SOULSEEK] = F(NETWORK) | F(DOWNLOAD),
	[PG_SYS_MANOLITO] = F(NETWORK) | F(DOWNLOAD),
	[PG_SYS_ARES] = F(NETWORK) | F(DOWNLOAD) | F(CHAT),
};
#undef F

const char *pg_system_name(enum pg_system sys)
{
	if ((unsigned)sys >= PG_SYS_COUNT || !system_names[sys])
		return "unknown";
	return system_names[sys];
}

const char *pg_feature_name(enum pg_feature feat)
{
	if ((unsigned)feat >= PG_FEAT_COUNT)
		return "any";
	return feature_names[feat];
}

const char *pg_method_name(enum pg_method method)
{
	if ((unsigned)method >= PG_METHOD_COUNT)
		return "none";
	return method_names[method];
}

bool pg_system_from_name(const char *name, enum pg_system *out)
{
	for (unsigned i = 0; i < PG_SYS_COUNT; i++) {
		if (system_names[i] && strcmp(name, system_names[i]) == 0) {
			*out = (enum pg_system)i;
			return true;
		}
	}
	return false;
}

bool pg_feature_from_name(const char *name, enum pg_feature *out)
{
	for (unsigned i = 0; i < PG_FEAT_COUNT; i++) {
		if (strcmp(name, feature_names[i]) == 0) {
			*out = (enum pg_feature)i;
			return true;
		}
	}
	return false;
}

bool pg_system_is_data(enum pg_system sys)
{
	return sys >= PG_SYS_DATA_FIRST && sys <= PG_SYS_DATA_LAST;
}

bool pg_system_is_policed(enum pg_system sys)
{
	return sys > PG_SYS_UNKNOWN && sys < PG_SYS_POLICED_END;
}

bool pg_system_has_heuristics(enum pg_system sys)
{
	return sys == PG_SYS_BITTORRENT || sys == PG_SYS_EDONKEY || sys == PG_SYS_IRC ||
	       sys == PG_SYS_XMPP;
}

bool pg_feature_valid_for(enum pg_system sys, enum pg_feature feat)
{
	if (!pg_system_is_policed(sys) || (unsigned)feat >= PG_FEAT_COUNT)
		return false;
	if (feat == PG_FEAT_ANY)
		return true;
	if (feat == PG_FEAT_HTTP_TUNNEL)
		return sys != PG_SYS_PROXY;
	return (system_features[sys] >> feat) & 1u;
}

size_t pg_system_features(enum pg_system sys, enum pg_feature *out, size_t max)
{
	size_t n = 0;

	if (!pg_system_is_policed(sys))
		return 0;
	for (unsigned f = 1; f < PG_FEAT_COUNT && n < max; f++) {
		if ((system_features[sys] >> f) & 1u)
			out[n++] = (enum pg_feature)f;
	}
	return n;
}
