/* SPDX-License-Identifier: GPL-2.0-or-later */
/* From policy to kernel port sets: what gets blocked by port, and what must
 * not be (ports shared with an allowed feature). */
#include "check.h"
#include "peergate/nft_policy.h"

#include <netinet/in.h>

static bool sets_cover(const struct pg_nft_portset *s, size_t n, uint8_t proto,
		       uint16_t port, enum pg_system *sys)
{
	for (size_t i = 0; i < n; i++)
		for (size_t r = 0; r < s[i].count; r++)
			if (s[i].l4proto == proto && s[i].ranges[r].lo <= port &&
			    port <= s[i].ranges[r].hi) {
				if (sys)
					*sys = s[i].system;
				return true;
			}
	return false;
}

static struct pg_policy *load(const char *text)
{
	struct pg_diag d = {0};
	struct pg_policy *p = pg_policy_load_string(text, "t.ini", &d);
	if (!p)
		pg_diag_print(&d, stderr);
	return p;
}

int main(void)
{
	struct pg_nft_portset sets[64];
	enum pg_system sys;

	/* AIM file transfer blocked, AIM login/IM allowed: 5190 stays open,
	 * 4443 (IM images, also blocked) is cut. */
	struct pg_policy *p = load("[aim]\nfile-transfer = block\nfile-sharing = block\nimages = block\n");
	CHECK(p != NULL);
	size_t n = pg_nft_portsets_from_policy(p, sets, 64);
	CHECK(!sets_cover(sets, n, IPPROTO_TCP, 5190, NULL));
	CHECK(sets_cover(sets, n, IPPROTO_TCP, 4443, &sys) && sys == PG_SYS_AIM);
	pg_policy_destroy(p);

	/* Everything of AIM and ICQ blocked: now 5190 is blocked too. */
	p = load("[aim]\nall = block\n[icq]\nall = block\n");
	n = pg_nft_portsets_from_policy(p, sets, 64);
	CHECK(sets_cover(sets, n, IPPROTO_TCP, 5190, NULL));
	pg_policy_destroy(p);

	/* ... unless ICQ, which shares 5190, is allowed. */
	p = load("[aim]\nall = block\n");
	n = pg_nft_portsets_from_policy(p, sets, 64);
	CHECK(!sets_cover(sets, n, IPPROTO_TCP, 5190, NULL));
	CHECK(sets_cover(sets, n, IPPROTO_TCP, 4443, NULL));
	pg_policy_destroy(p);

	/* ports = no: payload inspection only, no kernel sets for that system */
	p = load("[gnutella]\nall = block\nports = no\n[fasttrack]\nall = block\n");
	n = pg_nft_portsets_from_policy(p, sets, 64);
	CHECK(!sets_cover(sets, n, IPPROTO_TCP, 6346, NULL));
	CHECK(sets_cover(sets, n, IPPROTO_TCP, 1214, &sys) && sys == PG_SYS_FASTTRACK);
	CHECK(sets_cover(sets, n, IPPROTO_UDP, 1214, NULL));
	pg_policy_destroy(p);

	/* MSN: remote assistance blocked never blocks RDP (3389) in the
	 * kernel; voice/video blocked cuts UDP 13324-13325. */
	p = load("[msn]\nremote-assistance = block\nvoice-video = block\n");
	n = pg_nft_portsets_from_policy(p, sets, 64);
	CHECK(!sets_cover(sets, n, IPPROTO_TCP, 3389, NULL));
	CHECK(sets_cover(sets, n, IPPROTO_UDP, 13325, NULL));
	CHECK(!sets_cover(sets, n, IPPROTO_TCP, 13325, NULL));
	pg_policy_destroy(p);

	/* exceptions: allow never blocks, inspect wins over allow */
	p = load("[bittorrent]\nall = block\n[exceptions]\nallow = 10.0.0.0/8 2001:db8::/32\n"
		 "inspect = 10.9.0.0/16\n");
	CHECK(p != NULL);
	uint8_t it[4] = {10, 1, 2, 3}, lab[4] = {10, 9, 0, 7}, out4[4] = {192, 0, 2, 1};
	uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 5}, o6[16] = {0x20, 0x01, 0x0d, 0xb9};
	CHECK(pg_policy_flow_action(p, PG_SYS_BITTORRENT, PG_FEAT_DOWNLOAD, 4, it, out4) == PG_ACTION_ALLOW);
	CHECK(pg_policy_flow_action(p, PG_SYS_BITTORRENT, PG_FEAT_DOWNLOAD, 4, out4, it) == PG_ACTION_ALLOW);
	CHECK(pg_policy_flow_action(p, PG_SYS_BITTORRENT, PG_FEAT_DOWNLOAD, 4, lab, out4) == PG_ACTION_BLOCK);
	CHECK(pg_policy_flow_action(p, PG_SYS_BITTORRENT, PG_FEAT_DOWNLOAD, 4, out4, out4) == PG_ACTION_BLOCK);
	CHECK(pg_policy_flow_action(p, PG_SYS_BITTORRENT, PG_FEAT_DOWNLOAD, 6, v6, o6) == PG_ACTION_ALLOW);
	CHECK(pg_policy_flow_action(p, PG_SYS_BITTORRENT, PG_FEAT_DOWNLOAD, 6, o6, o6) == PG_ACTION_BLOCK);
	pg_policy_destroy(p);

	/* [proxy] blocked: a CONNECT to an allowed messenger is blocked too;
	 * [proxy] log: an allowed inner flow is logged */
	p = load("[proxy]\nall = block\n[aim]\nall = allow\n");
	CHECK(pg_policy_flow_action_via(p, PG_SYS_AIM, PG_FEAT_LOGIN, PG_FEAT_HTTP_CONNECT, 4,
					out4, out4) == PG_ACTION_BLOCK);
	CHECK(pg_policy_flow_action_via(p, PG_SYS_AIM, PG_FEAT_LOGIN, PG_FEAT_ANY, 4,
					out4, out4) == PG_ACTION_ALLOW);
	pg_policy_destroy(p);
	p = load("[proxy]\nsocks5 = log\n[msn]\nfile-transfer = block\n");
	CHECK(pg_policy_flow_action_via(p, PG_SYS_MSN, PG_FEAT_IM, PG_FEAT_SOCKS5, 4,
					out4, out4) == PG_ACTION_LOG);
	CHECK(pg_policy_flow_action_via(p, PG_SYS_MSN, PG_FEAT_FILE_TRANSFER, PG_FEAT_SOCKS5, 4,
					out4, out4) == PG_ACTION_BLOCK);
	pg_policy_destroy(p);

	/* allow-all: no sets at all */
	p = pg_policy_default();
	CHECK(pg_nft_portsets_from_policy(p, sets, 64) == 0);
	pg_policy_destroy(p);
	return pg_test_summary("test_nft_policy");
}
