/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The common detector list: every ordinary-protocol detector is listed once,
 * with the transports it needs, and on sample openings exactly the expected
 * detector matches while the others rule themselves out.
 */
#include <netinet/in.h>

#include "detect_harness.h"

static const struct pg_detector *find(const char *name)
{
	for (size_t i = 0; pg_detectors_common[i]; i++)
		if (strcmp(pg_detectors_common[i]->name, name) == 0)
			return pg_detectors_common[i];
	return NULL;
}

static void test_list(void)
{
	static const struct {
		const char *name;
		unsigned mask;
	} want[] = {
		{"socks", PG_L4_TCP}, {"ssh", PG_L4_TCP}, {"tls", PG_L4_TCP},
		{"quic", PG_L4_UDP},  {"http", PG_L4_TCP},
		{"dns", PG_L4_TCP | PG_L4_UDP},
		{"mail", PG_L4_TCP},  {"ftp", PG_L4_TCP},
	};
	size_t n = 0;
	while (pg_detectors_common[n])
		n++;
	CHECK(n == sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct pg_detector *d = find(want[i].name);
		CHECK(d && d->l4_mask == want[i].mask && d->fn);
	}
}

/* Runs every TCP detector over the steps; returns the one that matched. */
static const char *who(const struct pg_step *s, size_t n, uint16_t port)
{
	static struct pg_run run;
	const char *hit = NULL;
	for (size_t i = 0; pg_detectors_common[i]; i++) {
		const struct pg_detector *d = pg_detectors_common[i];
		if (!(d->l4_mask & PG_L4_TCP))
			continue;
		if (pg_run_detector(d, IPPROTO_TCP, 40000, port, s, n, &run) ==
		    PG_DETECT_MATCH) {
			if (hit)
				return "two matches";
			hit = d->name;
		}
	}
	return hit ? hit : "none";
}

static void test_exclusive(void)
{
	const struct pg_step smtp[] = {{PG_DIR_S2C, NULL, "220 mx.google.com ESMTP s4si9696358qcc.63 - gsmtp\r\n"},
				       {PG_DIR_C2S, NULL, "EHLO xxxxxxxxxxxxx.xxx.com\r\n"}};
	CHECK_STR(who(smtp, 2, 25), "mail");
	const struct pg_step ftp[] = {{PG_DIR_S2C, NULL, "220 (vsFTPd 3.0.3)\r\n"},
				      {PG_DIR_C2S, NULL, "USER anonymous\r\n"}};
	CHECK_STR(who(ftp, 2, 21), "ftp");
	const struct pg_step http[] = {{PG_DIR_C2S, NULL, "CONNECT messenger.hotmail.com:1863 HTTP/1.1\r\n\r\n"}};
	CHECK_STR(who(http, 1, 8080), "http");
	const struct pg_step ssh[] = {{PG_DIR_S2C, NULL, "SSH-2.0-OpenSSH_5.3\r\n"},
				      {PG_DIR_C2S, NULL, "SSH-2.0-OpenSSH_5.6\r\n"}};
	CHECK_STR(who(ssh, 2, 22), "ssh");
	const struct pg_step socks[] = {{PG_DIR_C2S, "050100", NULL}, {PG_DIR_S2C, "0500", NULL},
					{PG_DIR_C2S, "050100030e7777772e676f6f676c652e636f6d0050", NULL}};
	CHECK_STR(who(socks, 3, 1080), "socks");
	const struct pg_step tls[] = {{PG_DIR_C2S,
		"16030100730100006f0301529cbffbd7cefc629d6c34c6e18c3017d7592c4319115bc3"
		"1a497c1bf6bed4fc00002e00390038003500160013000a00330032002f009a009900"
		"96000500040015001200090014001100080006000300ff0100001800000014001200"
		"000f7777772e6578616d706c652e636f6d", NULL}};
	CHECK_STR(who(tls, 1, 443), "tls");
	/* BitTorrent handshake: none of ours */
	const struct pg_step bt[] = {{PG_DIR_C2S, "13426974546f7272656e742070726f746f636f6c0000000000100005", NULL},
				     {PG_DIR_S2C, "13426974546f7272656e742070726f746f636f6c0000000000100005", NULL}};
	CHECK_STR(who(bt, 2, 51413), "none");
}

int main(void)
{
	test_list();
	test_exclusive();
	return pg_test_summary("test_detect_common");
}
