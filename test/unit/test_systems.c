/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The systems registry and its data file reader (systems.d). */
#include <netinet/in.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "peergate/hosts.h"
#include "peergate/nft_policy.h"
#include "peergate/systems.h"
#include "shipped_systems.h"

static char tmpdir[] = "/tmp/pg_test_systems.XXXXXX";

/* Writes dir/name (dir NULL: the test's directory); returns its path in a
 * static buffer. */
static const char *write_file(const char *dir, const char *name, const char *text)
{
	static char path[2][512];
	static int which;
	char *p = path[which ^= 1];
	snprintf(p, sizeof(path[0]), "%s/%s", dir ? dir : tmpdir, name);
	FILE *f = fopen(p, "w");
	if (!f)
		return p;
	fputs(text, f);
	fclose(f);
	return p;
}

/* Loads one file; returns the registry or NULL with d filled. */
static struct pg_systems *load_one(const char *text, struct pg_diag *d)
{
	const char *path = write_file(NULL, "one.conf", text);
	return pg_systems_load_files(&path, 1, NULL, d);
}

/* True when loading text fails with exactly one message, "FILE:LINE: ..."
 * containing what. */
static bool fails_at(const char *text, unsigned line, const char *what)
{
	struct pg_diag d = { 0 };
	struct pg_systems *s = load_one(text, &d);
	char prefix[600];
	bool ok;

	snprintf(prefix, sizeof(prefix), "%s/one.conf:%u: ", tmpdir, line);
	ok = !s && d.count == 1 && strncmp(d.msg[0], prefix, strlen(prefix)) == 0 &&
	     strstr(d.msg[0], what) != NULL;
	if (!ok) {
		fprintf(stderr, "expected %s... %s, got %u message(s):\n", prefix, what, d.count);
		pg_diag_print(&d, stderr);
	}
	pg_systems_destroy(s);
	return ok;
}

static const char good[] =
	"# a made-up messenger\n"
	"[system]\n"
	"name = examplechat\n"
	"features = im voice-video file-transfer\n"
	"description = for the tests\n"
	"\n"
	"[im]\n"
	"hosts = chat.example-messenger.test, api.example-messenger.test\n"
	"; source: none, documentation prefixes (RFC 5737, RFC 3849)\n"
	"ranges = 192.0.2.0/24 2001:db8:77::/48\n"
	"tcp = 5555 6000-6001\n"
	"\n"
	"[voice-video]\n"
	"udp = 7000-7100\n"
	"  hosts = media.example-messenger.test   ; indented lines are keys too\n"
	"[ file-transfer ]\n"
	"hosts = files.example-messenger.test\n"
	"[any]\n"
	"hosts = example-messenger.test\n";

static void test_good_file(void)
{
	struct pg_diag d = { 0 };
	struct pg_systems *s = load_one(good, &d);
	struct pg_systems_counts n;
	enum pg_system id;
	enum pg_feature f;

	pg_diag_print(&d, stderr);
	CHECK(s != NULL && d.count == 0);
	if (!s)
		return;
	CHECK(pg_systems_from_name(s, "examplechat", &id));
	CHECK(id == PG_SYS_DATA_FIRST);
	CHECK_STR(pg_systems_name(s, id), "examplechat");
	CHECK(pg_systems_defined(s, id));
	CHECK(pg_system_is_policed(id) && pg_system_is_data(id));
	CHECK(pg_systems_feature_valid(s, id, PG_FEAT_IM));
	CHECK(pg_systems_feature_valid(s, id, PG_FEAT_VOICE_VIDEO));
	CHECK(pg_systems_feature_valid(s, id, PG_FEAT_ANY));
	CHECK(!pg_systems_feature_valid(s, id, PG_FEAT_LOGIN));
	/* built-in names are still the taxonomy's */
	CHECK(pg_systems_from_name(s, "aim", &id) && id == PG_SYS_AIM);
	CHECK_STR(pg_systems_name(s, PG_SYS_TLS), "tls");
	CHECK(!pg_systems_defined(s, PG_SYS_TLS));
	CHECK_STR(pg_systems_name(s, PG_SYS_DATA_FIRST + 1), "unknown");
	CHECK(!pg_systems_defined(s, PG_SYS_DATA_FIRST + 1));
	CHECK(!pg_systems_defined(NULL, PG_SYS_DATA_FIRST));

	pg_systems_get_counts(s, &n);
	CHECK(n.files == 1 && n.systems == 1 && n.hosts == 5 && n.ranges == 2 && n.ports == 3);

	struct pg_host_rules *r = pg_host_rules_create();
	CHECK(pg_systems_add_signals(s, r));
	CHECK(pg_host_rules_match(r, "chat.example-messenger.test", 27, &id, &f) &&
	      id == PG_SYS_DATA_FIRST && f == PG_FEAT_IM);
	CHECK(pg_host_rules_match(r, "media.example-messenger.test", 28, &id, &f) &&
	      f == PG_FEAT_VOICE_VIDEO);
	CHECK(pg_host_rules_match(r, "www.example-messenger.test", 26, &id, &f) &&
	      f == PG_FEAT_ANY);
	uint8_t a4[4] = { 192, 0, 2, 200 };
	uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x77, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
	CHECK(pg_host_rules_match_addr(r, 4, a4, &id, &f) && id == PG_SYS_DATA_FIRST &&
	      f == PG_FEAT_IM);
	CHECK(pg_host_rules_match_addr(r, 6, a6, &id, &f) && f == PG_FEAT_IM);
	CHECK(pg_host_rules_port_hint(r, IPPROTO_TCP, 6001, &id, &f) && f == PG_FEAT_IM);
	CHECK(pg_host_rules_port_hint(r, IPPROTO_UDP, 7050, &id, &f) && f == PG_FEAT_VOICE_VIDEO);
	pg_host_rules_destroy(r);

	const struct pg_systems_port *ports;
	CHECK(pg_systems_ports(s, &ports) == 3 && ports[1].lo == 6000 && ports[1].hi == 6001);

	/* the policy names it like any system, and takes the registry */
	struct pg_policy *p = pg_policy_load_string_systems(
		"[examplechat]\nim = block\nfile-transfer = log\n", "t.ini", s, &d);
	pg_diag_print(&d, stderr);
	CHECK(p != NULL);
	CHECK(pg_policy_action(p, PG_SYS_DATA_FIRST, PG_FEAT_IM) == PG_ACTION_BLOCK);
	CHECK(pg_policy_action(p, PG_SYS_DATA_FIRST, PG_FEAT_FILE_TRANSFER) == PG_ACTION_LOG);
	CHECK(pg_policy_action(p, PG_SYS_DATA_FIRST, PG_FEAT_VOICE_VIDEO) == PG_ACTION_ALLOW);
	CHECK_STR(pg_systems_name(pg_policy_systems(p), PG_SYS_DATA_FIRST), "examplechat");
	pg_policy_destroy(p);
}

static void test_policy_checks_data_features(void)
{
	struct pg_diag d = { 0 };
	struct pg_systems *s = load_one(good, &d);
	struct pg_policy *p = pg_policy_load_string_systems("[examplechat]\nlogin = block\n",
							    "t.ini", s, &d);
	CHECK(p == NULL && d.count == 1 && strstr(d.msg[0], "t.ini:2: ") == d.msg[0]);
	pg_policy_destroy(p);
	/* without the data files the section is unknown */
	p = pg_policy_load_string("[examplechat]\nim = block\n", "t.ini", &d);
	CHECK(p == NULL && d.count == 1 && strstr(d.msg[0], "unknown section [examplechat]"));
	pg_policy_destroy(p);
}

/* A data system's ports become kernel port sets under its name when the
 * policy blocks the feature. */
static void test_port_sets(void)
{
	struct pg_diag d = { 0 };
	struct pg_systems *s = load_one(good, &d);
	struct pg_policy *p = pg_policy_load_string_systems(
		"[examplechat]\nim = block\n", "t.ini", s, &d);
	struct pg_nft_portset sets[64];
	size_t n = p ? pg_nft_portsets_from_policy(p, sets, 64) : 0;
	const struct pg_nft_portset *im = NULL;

	CHECK(p != NULL);
	for (size_t i = 0; i < n; i++) {
		if (sets[i].system == PG_SYS_DATA_FIRST)
			CHECK(im == NULL && (im = &sets[i]) != NULL);
	}
	CHECK(im && im->feature == PG_FEAT_IM && im->l4proto == IPPROTO_TCP &&
	      strcmp(im->system_name, "examplechat") == 0 && im->count == 2);
	pg_policy_destroy(p);
	/* voice-video allowed: its UDP ports get no set */
	s = load_one(good, &d);
	p = pg_policy_load_string_systems("[examplechat]\nim = allow\n", "t.ini", s, &d);
	n = p ? pg_nft_portsets_from_policy(p, sets, 64) : 0;
	for (size_t i = 0; i < n; i++)
		CHECK(sets[i].system != PG_SYS_DATA_FIRST);
	pg_policy_destroy(p);
}

static void test_errors(void)
{
	CHECK(fails_at("[system]\nname = x1\nfeatures = im\ncolour = red\n", 4,
		       "unknown key 'colour' in [system]"));
	CHECK(fails_at("[system]\nname = x1\nfeatures = im\n[im]\nhost = a.test\n", 5,
		       "unknown key 'host' in [im]; did you mean 'hosts'?"));
	CHECK(fails_at("[system]\nname = x1\nfeatures = im\n[im]\nranges = 192.0.2.1/24\n", 5,
		       "bad prefix '192.0.2.1/24': host bits are set"));
	CHECK(fails_at("[system]\nname = x1\nfeatures = im\n[im]\nranges = 2001:db8::/129\n", 5,
		       "bad prefix '2001:db8::/129'"));
	CHECK(fails_at("[system]\nname = x1\nfeatures = im\n[im]\ntcp = 80 0\n", 5,
		       "bad port '0'"));
	CHECK(fails_at("[system]\nname = x1\nfeatures = im\n[im]\nudp = 9-8\n", 5,
		       "bad port '9-8'"));
	CHECK(fails_at("[system]\nname = x1\nfeatures = im\n[im]\nudp = 70000\n", 5,
		       "bad port '70000'"));
	CHECK(fails_at("[system]\nname = x1\nfeatures = im\n[im]\nhosts = a..test\n", 5,
		       "bad host pattern 'a..test'"));
	CHECK(fails_at("[system]\nname = x1\nfeatures = im\n\n[voice-video]\nhosts = a.test\n", 5,
		       "feature 'voice-video' is not listed in x1's features"));
	CHECK(fails_at("[system]\nname = x1\nfeatures = im telepathy\n", 3,
		       "unknown feature 'telepathy'"));
	CHECK(fails_at("[system]\nname = tls\nfeatures = im\n", 2,
		       "system name 'tls' clashes with traffic peergate never polices"));
	CHECK(fails_at("[system]\nname = exceptions\nfeatures = im\n", 2,
		       "system name 'exceptions' clashes with a policy.ini section"));
	CHECK(fails_at("[system]\nname = Bad Name\n", 2, "invalid system name 'Bad Name'"));
	CHECK(fails_at("[system]\nname = x1\n", 1, "lists no 'features'"));
	CHECK(fails_at("[system]\nfeatures = im\n[im]\n", 1, "[system] has no 'name'"));
	CHECK(fails_at("[im]\nhosts = a.test\n", 1, "starts with a [system] section"));
	CHECK(fails_at("[system]\nname = x1\nfeatures = im\n[chat-room]\n", 4,
		       "unknown section [chat-room]"));
	CHECK(fails_at("[system]\nname = x1\nfeatures = im\nthis line has no value\n", 4,
		       "expected KEY = VALUE"));
	CHECK(fails_at("[system]\nname = x1\nfeatures = im\n[im]\n[im]\n", 5,
		       "duplicate section [im] (first on line 4)"));
	/* a built-in system keeps its taxonomy's features */
	CHECK(fails_at("[system]\nname = aim\nfeatures = im games chat\n", 3,
		       "feature 'chat' is not one of built-in system aim's"));
	CHECK(fails_at("[system]\nname = aim\n[network]\nhosts = a.test\n", 3,
		       "feature 'network' is not listed in aim's features"));
}

static void test_duplicate_across_files(void)
{
	const char *paths[2];
	char a[512], b[512];
	struct pg_diag d = { 0 };

	snprintf(a, sizeof(a), "%s", write_file(NULL, "a.conf", "[system]\nname = dup\nfeatures = im\n"));
	snprintf(b, sizeof(b), "%s",
		 write_file(NULL, "b.conf", "# again\n[system]\nname = dup\nfeatures = im\n"));
	paths[0] = a;
	paths[1] = b;
	struct pg_systems *s = pg_systems_load_files(paths, 2, NULL, &d);
	char want[1200];
	snprintf(want, sizeof(want), "%s:3: duplicate system 'dup' (first defined in %s:2)", b, a);
	CHECK(s == NULL && d.count == 1 && strcmp(d.msg[0], want) == 0);
	pg_systems_destroy(s);
	/* two files may add to one built-in system */
	snprintf(a, sizeof(a), "%s", write_file(NULL, "a.conf", "[system]\nname = irc\n[im]\nhosts = irc.a.test\n"));
	snprintf(b, sizeof(b), "%s", write_file(NULL, "b.conf", "[system]\nname = irc\n[im]\nhosts = irc.b.test\n"));
	s = pg_systems_load_files(paths, 2, NULL, &d);
	CHECK(s != NULL && d.count == 0);
	pg_systems_destroy(s);
	unlink(a);
	unlink(b);
}

/* A later directory replaces a file of the same name; ids survive a reload
 * and a removed system keeps its name, retired. */
static void test_dirs_and_reload(void)
{
	char d1[600], d2[600];
	const char *dirs[2] = { d1, d2 };
	struct pg_diag d = { 0 };
	enum pg_system id_a, id_b, id_c, id;

	snprintf(d1, sizeof(d1), "%s/shipped", tmpdir);
	snprintf(d2, sizeof(d2), "%s/admin", tmpdir);
	CHECK(mkdir(d1, 0700) == 0);
	write_file(d1, "a.conf", "[system]\nname = sys-a\nfeatures = im\n");
	write_file(d1, "b.conf", "[system]\nname = sys-b\nfeatures = im\n");
	write_file(d1, "notes.txt", "not a data file\n");
	/* the admin directory may be missing, the first may not */
	struct pg_systems *s1 = pg_systems_load(dirs, 2, NULL, &d);
	CHECK(s1 != NULL && pg_systems_from_name(s1, "sys-a", &id_a) &&
	      pg_systems_from_name(s1, "sys-b", &id_b) && id_a != id_b);
	const char *missing = "/nonexistent/systems.d";
	struct pg_systems *none = pg_systems_load(&missing, 1, NULL, &d);
	CHECK(none == NULL && d.count == 1 && strstr(d.msg[0], "cannot read the data directory"));

	/* the admin's a.conf replaces the shipped one: sys-a is gone */
	CHECK(mkdir(d2, 0700) == 0);
	write_file(d2, "a.conf", "[system]\nname = sys-c\nfeatures = im\n[im]\nhosts = c.test\n");
	struct pg_systems *s2 = pg_systems_load(dirs, 2, s1, &d);
	pg_diag_print(&d, stderr);
	CHECK(s2 != NULL);
	if (s1 && s2) {
		CHECK(pg_systems_from_name(s2, "sys-b", &id) && id == id_b);
		CHECK(pg_systems_from_name(s2, "sys-c", &id_c) && id_c != id_a && id_c != id_b);
		CHECK(pg_systems_from_name(s2, "sys-a", &id) && id == id_a);
		CHECK(!pg_systems_defined(s2, id_a));
		CHECK_STR(pg_systems_name(s2, id_a), "sys-a");
		struct pg_systems_counts n;
		pg_systems_get_counts(s2, &n);
		CHECK(n.files == 2 && n.systems == 2 && n.hosts == 1);
	}
	pg_systems_destroy(s1);
	pg_systems_destroy(s2);
}

static void test_shipped(void)
{
	static const char *const names[] = { "discord", "google_chat", "imo", "kakaotalk",
					     "line", "snapchat", "threema", "viber", "wechat" };
	struct pg_systems *s = shipped_systems();
	struct pg_host_rules *r = pg_host_rules_create();
	enum pg_system id;
	enum pg_feature f;

	CHECK(s != NULL);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		CHECK(pg_systems_from_name(s, names[i], &id) && pg_systems_defined(s, id));
		CHECK(pg_systems_feature_valid(s, id, PG_FEAT_IM));
	}
	CHECK(pg_systems_add_signals(s, r));
	CHECK(pg_host_rules_match(r, "gateway.discord.gg", 18, &id, &f) &&
	      strcmp(pg_systems_name(s, id), "discord") == 0 && f == PG_FEAT_IM);
	CHECK(pg_host_rules_match(r, "up-m.talk.kakao.com", 19, &id, &f) &&
	      strcmp(pg_systems_name(s, id), "kakaotalk") == 0 && f == PG_FEAT_FILE_TRANSFER);
	/* the vendors' published ranges, both families */
	const uint8_t tg6[16] = { 0x20, 0x01, 0x06, 0x7c, 0x04, 0xe8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0a };
	const uint8_t tg4[4] = { 91, 108, 56, 130 }, teams4[4] = { 52, 112, 1, 1 };
	const uint8_t teams6[16] = { 0x26, 0x03, 0x10, 0x63, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
	CHECK(pg_host_rules_match_addr(r, 6, tg6, &id, &f) &&
	      strcmp(pg_systems_name(s, id), "telegram") == 0 && f == PG_FEAT_IM);
	CHECK(pg_host_rules_match_addr(r, 4, tg4, &id, &f) &&
	      strcmp(pg_systems_name(s, id), "telegram") == 0);
	CHECK(pg_host_rules_match_addr(r, 4, teams4, &id, &f) &&
	      strcmp(pg_systems_name(s, id), "teams") == 0 && f == PG_FEAT_ANY);
	CHECK(pg_host_rules_match_addr(r, 6, teams6, &id, &f) &&
	      strcmp(pg_systems_name(s, id), "teams") == 0);
	/* shared front-ends are not claimed */
	CHECK(!pg_host_rules_match(r, "www.google.com", 14, &id, &f));
	CHECK(!pg_host_rules_match(r, "www.qq.com", 10, &id, &f));
	CHECK(!pg_host_rules_match(r, "map.kakao.com", 13, &id, &f));
	CHECK(!pg_host_rules_match(r, "x.appspot.com", 13, &id, &f));
	pg_host_rules_destroy(r);
	pg_systems_destroy(s);
}

int main(void)
{
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	test_good_file();
	test_policy_checks_data_features();
	test_port_sets();
	test_errors();
	test_duplicate_across_files();
	test_dirs_and_reload();
	test_shipped();
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	return pg_test_summary("test_systems");
}
