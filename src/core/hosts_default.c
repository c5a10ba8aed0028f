/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The built-in host patterns: the source paper's servers and the further
 * ones in signatures.md.  Only names dedicated to a messenger are listed;
 * shared front-ends (CDNs, login.live.com, yahoo.com itself) are not,
 * because a block there would hit unrelated services.  The policy's
 * `hosts = ...` keys add to this list.
 */
#include "peergate/hosts.h"

struct default_host {
	const char *pattern;
	enum pg_system system;
	enum pg_feature feature;
};

static const struct default_host default_hosts[] = {
	/* AIM (paper: login.oscar.aol.com) */
	{"login.oscar.aol.com", PG_SYS_AIM, PG_FEAT_LOGIN},
	{"login.messaging.aol.com", PG_SYS_AIM, PG_FEAT_LOGIN},
	{"slogin.oscar.aol.com", PG_SYS_AIM, PG_FEAT_LOGIN},
	{"api.screenname.aol.com", PG_SYS_AIM, PG_FEAT_LOGIN},
	{"api.oscar.aol.com", PG_SYS_AIM, PG_FEAT_LOGIN},
	{"bos.oscar.aol.com", PG_SYS_AIM, PG_FEAT_IM},
	{"toc.oscar.aol.com", PG_SYS_AIM, PG_FEAT_IM},
	{"aimhttp.oscar.aol.com", PG_SYS_AIM, PG_FEAT_HTTP_TUNNEL},
	{"oscar.aol.com", PG_SYS_AIM, PG_FEAT_ANY},
	/* ICQ (paper: login.icq.com) */
	{"login.icq.com", PG_SYS_ICQ, PG_FEAT_LOGIN},
	{"slogin.icq.com", PG_SYS_ICQ, PG_FEAT_LOGIN},
	{"api.login.icq.net", PG_SYS_ICQ, PG_FEAT_LOGIN},
	{"api.icq.net", PG_SYS_ICQ, PG_FEAT_ANY},
	{"ars.icq.com", PG_SYS_ICQ, PG_FEAT_ANY},
	{"http.proxy.icq.com", PG_SYS_ICQ, PG_FEAT_HTTP_TUNNEL},
	{"icq.mirabilis.com", PG_SYS_ICQ, PG_FEAT_IM},
	/* MSN (paper: *.msgr.hotmail.com, messenger.hotmail.com) */
	{"messenger.hotmail.com", PG_SYS_MSN, PG_FEAT_LOGIN},
	{"*.msgr.hotmail.com", PG_SYS_MSN, PG_FEAT_IM},
	{"gateway.messenger.hotmail.com", PG_SYS_MSN, PG_FEAT_HTTP_TUNNEL},
	{"messenger.msn.com", PG_SYS_MSN, PG_FEAT_ANY},
	{"messengerclear.live.com", PG_SYS_MSN, PG_FEAT_LOGIN},
	{"messengersecure.live.com", PG_SYS_MSN, PG_FEAT_LOGIN},
	{"nexus.passport.com", PG_SYS_MSN, PG_FEAT_LOGIN},
	{"loginnet.passport.com", PG_SYS_MSN, PG_FEAT_LOGIN},
	/* Yahoo (paper: *.msg.*.yahoo.com) */
	{"*.msg.yahoo.com", PG_SYS_YAHOO, PG_FEAT_IM},
	{"*.msg.*.yahoo.com", PG_SYS_YAHOO, PG_FEAT_IM},
	{"scs.msg.yahoo.com", PG_SYS_YAHOO, PG_FEAT_LOGIN},
	{"scsa.msg.yahoo.com", PG_SYS_YAHOO, PG_FEAT_LOGIN},
	{"filetransfer.msg.yahoo.com", PG_SYS_YAHOO, PG_FEAT_FILE_TRANSFER},
	{"relay.msg.yahoo.com", PG_SYS_YAHOO, PG_FEAT_FILE_TRANSFER},
	{"shttp.msg.yahoo.com", PG_SYS_YAHOO, PG_FEAT_HTTP_TUNNEL},
	{"*.msg.yahoo.co.jp", PG_SYS_YAHOO, PG_FEAT_IM},
	{"filetransfer.msg.yahoo.co.jp", PG_SYS_YAHOO, PG_FEAT_FILE_TRANSFER},
	{"relay.msg.yahoo.co.jp", PG_SYS_YAHOO, PG_FEAT_FILE_TRANSFER},
	{"cs1.yahoo.co.jp", PG_SYS_YAHOO, PG_FEAT_IM},
	{"*.chat.dcn.yahoo.com", PG_SYS_YAHOO, PG_FEAT_IM},
	/* BitTorrent clients' own services (uTorrent Web, BitTorrent web seeds) */
	{"utorrent.com", PG_SYS_BITTORRENT, PG_FEAT_ANY},
	{"bittorrent.com", PG_SYS_BITTORRENT, PG_FEAT_ANY},
	/* Telegram */
	{"telegram.org", PG_SYS_TELEGRAM, PG_FEAT_IM},
	{"telegram.me", PG_SYS_TELEGRAM, PG_FEAT_IM},
	{"t.me", PG_SYS_TELEGRAM, PG_FEAT_IM},
	{"tdesktop.com", PG_SYS_TELEGRAM, PG_FEAT_IM},
	{"tupdate.com", PG_SYS_TELEGRAM, PG_FEAT_IM},
	{"cdn-telegram.org", PG_SYS_TELEGRAM, PG_FEAT_FILE_TRANSFER},
	/* WhatsApp */
	{"whatsapp.net", PG_SYS_WHATSAPP, PG_FEAT_IM},
	{"whatsapp.com", PG_SYS_WHATSAPP, PG_FEAT_IM},
	{"mmg.whatsapp.net", PG_SYS_WHATSAPP, PG_FEAT_FILE_TRANSFER},
	{"mms.whatsapp.net", PG_SYS_WHATSAPP, PG_FEAT_FILE_TRANSFER},
	{"media*.whatsapp.net", PG_SYS_WHATSAPP, PG_FEAT_FILE_TRANSFER},
	{"mmg-fna.whatsapp.net", PG_SYS_WHATSAPP, PG_FEAT_FILE_TRANSFER},
	/* Signal */
	{"signal.org", PG_SYS_SIGNAL, PG_FEAT_IM},
	{"whispersystems.org", PG_SYS_SIGNAL, PG_FEAT_IM},
	{"signal.art", PG_SYS_SIGNAL, PG_FEAT_IM},
	{"cdn.signal.org", PG_SYS_SIGNAL, PG_FEAT_FILE_TRANSFER},
	{"cdn2.signal.org", PG_SYS_SIGNAL, PG_FEAT_FILE_TRANSFER},
	{"cdn3.signal.org", PG_SYS_SIGNAL, PG_FEAT_FILE_TRANSFER},
	{"sfu.voip.signal.org", PG_SYS_SIGNAL, PG_FEAT_VOICE_VIDEO},
	/* Microsoft Teams */
	{"teams.microsoft.com", PG_SYS_TEAMS, PG_FEAT_IM},
	{"teams.microsoft.us", PG_SYS_TEAMS, PG_FEAT_IM},
	{"teams.live.com", PG_SYS_TEAMS, PG_FEAT_IM},
	{"teams.skype.com", PG_SYS_TEAMS, PG_FEAT_IM},
	{"teams.cloud.microsoft", PG_SYS_TEAMS, PG_FEAT_IM},
	{"teams.office.com", PG_SYS_TEAMS, PG_FEAT_IM},
	{"teams.office.net", PG_SYS_TEAMS, PG_FEAT_IM},
	{"statics.teams.cdn.live.net", PG_SYS_TEAMS, PG_FEAT_IM},
	{"mstea.ms", PG_SYS_TEAMS, PG_FEAT_IM},
	{"teams.trafficmanager.net", PG_SYS_TEAMS, PG_FEAT_IM},
	{"teams-msgapi.trafficmanager.net", PG_SYS_TEAMS, PG_FEAT_IM},
	{"lync.com", PG_SYS_TEAMS, PG_FEAT_IM},
	/* Skype (consumer) */
	{"skype.com", PG_SYS_SKYPE, PG_FEAT_IM},
	{"skype.net", PG_SYS_SKYPE, PG_FEAT_IM},
	{"skypeassets.com", PG_SYS_SKYPE, PG_FEAT_IM},
	{"skypeforbusiness.com", PG_SYS_SKYPE, PG_FEAT_IM},
	{"gateway.messenger.live.com", PG_SYS_SKYPE, PG_FEAT_IM},
	/* XMPP services with dedicated names */
	{"jabber.org", PG_SYS_XMPP, PG_FEAT_IM},
	{"talk.google.com", PG_SYS_XMPP, PG_FEAT_IM},
	{"chat.facebook.com", PG_SYS_XMPP, PG_FEAT_IM},
	/* IRC networks */
	{"libera.chat", PG_SYS_IRC, PG_FEAT_IM},
	{"oftc.net", PG_SYS_IRC, PG_FEAT_IM},
	{"undernet.org", PG_SYS_IRC, PG_FEAT_IM},
	{"ircnet.com", PG_SYS_IRC, PG_FEAT_IM},
	{"efnet.org", PG_SYS_IRC, PG_FEAT_IM},
	{"quakenet.org", PG_SYS_IRC, PG_FEAT_IM},
	{"freenode.net", PG_SYS_IRC, PG_FEAT_IM},
	{"rizon.net", PG_SYS_IRC, PG_FEAT_IM},
};

bool pg_host_rules_add_defaults(struct pg_host_rules *r)
{
	for (size_t i = 0; i < sizeof(default_hosts) / sizeof(default_hosts[0]); i++)
		if (!pg_host_rules_add(r, default_hosts[i].pattern,
				       default_hosts[i].system,
				       default_hosts[i].feature))
			return false;
	return true;
}
