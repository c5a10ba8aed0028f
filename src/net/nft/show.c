/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `peergatectl rules show`: table inet peergate as nft prints it, through
 * libnftables (`nft list table inet peergate`, or `nft -j ...` for
 * --json), with a comment line saying which queue kind is in use.  One
 * exception: the queue rules of a kernel without nft_queue hold the xt
 * NFQUEUE target, which libnftables 1.0.6 cannot print (xtqueue.h), so
 * their statement comes from our own dump, in the shape nft prints a
 * native `queue` statement, marked as the xt target.
 */
#include "peergate/nft_show.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <nftables/libnftables.h>

#include "netlink.h"
#include "peergate/nft_table.h"
#include "peergate/seterr.h"
#include "xtqueue.h"

/* The marker of a queue statement that is really the xt NFQUEUE target:
 * an nft comment in text, and the rule's "comment" in JSON. */
#define XT_NOTE "xt NFQUEUE target (nft_compat)"

/* libnftables 1.0.6 leaks what it allocates to print an xt statement in
 * text (in libxtables' xt_xlate_alloc, and in libnftables itself), once
 * per xt rule listed.  Not ours to fix, and under LeakSanitizer (the ASan
 * run of scripts/test) it would make every `rules show` fail, so leaks
 * allocated inside those two libraries are not reported; they are named
 * by library because their frames often have no symbol, or are not
 * unwound at all. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PG_NFT_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(PG_NFT_ASAN)
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libxtables.so\nleak:libnftables.so\n";
}

/* ...and without a table of the suppressed leaks on stderr at exit. */
const char *__lsan_default_options(void);
const char *__lsan_default_options(void)
{
	return "print_suppressions=0";
}
#endif

/* libxtables, which libnftables asks about every xt statement, writes its
 * complaints ("libxtables: unhandled NFPROTO in xtables_set_nfproto", "XT
 * target NFQUEUE not found") straight to fd 2, past libnftables' error
 * buffer; so fd 2 points to /dev/null while libnftables runs.  Returns the
 * saved fd 2 for stderr_restore, or -1 (then nothing was changed). */
static int stderr_mute(void)
{
	int saved, null;

	fflush(stderr);
	saved = fcntl(2, F_DUPFD_CLOEXEC, 3);
	if (saved < 0)
		return -1;
	null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (null < 0 || dup2(null, 2) < 0) {
		if (null >= 0)
			close(null);
		close(saved);
		return -1;
	}
	close(null);
	return saved;
}

static void stderr_restore(int saved)
{
	if (saved < 0)
		return;
	dup2(saved, 2);
	close(saved);
}

/* The first line of libnftables' error text, for a message of ours. */
static void first_line(const char *text, char *buf, size_t len)
{
	size_t n = text ? strcspn(text, "\n") : 0;

	snprintf(buf, len, "%.*s", (int)n, text ? text : "");
}

/* `nft -a list table inet peergate` (with -j when json): the handles
 * match lines and objects to the rules of our own dump.  *out is
 * malloc'd. */
static int nft_list(bool json, char **out, char *err, size_t errlen)
{
	struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	char why[200];
	int ret = -1, saved, rc;

	*out = NULL;
	if (!ctx || nft_ctx_buffer_output(ctx) < 0 || nft_ctx_buffer_error(ctx) < 0) {
		pg_seterr(err, errlen, "cannot set up libnftables");
		goto out;
	}
	nft_ctx_output_set_flags(ctx, NFT_CTX_OUTPUT_HANDLE |
				 (json ? NFT_CTX_OUTPUT_JSON : 0u));
	saved = stderr_mute();
	rc = nft_run_cmd_from_buffer(ctx, "list table inet " PG_NFT_TABLE);
	stderr_restore(saved);
	if (rc != 0) {
		first_line(nft_ctx_get_error_buffer(ctx), why, sizeof(why));
		pg_seterr(err, errlen, "libnftables cannot list table inet " PG_NFT_TABLE ": %s",
			  why[0] ? why : "no reason given");
		goto out;
	}
	*out = strdup(nft_ctx_get_output_buffer(ctx));
	if (!*out) {
		pg_seterr(err, errlen, "out of memory");
		goto out;
	}
	ret = 0;
out:
	if (ctx)
		nft_ctx_free(ctx);
	return ret;
}

/* Cuts " # handle N" off the end of line (length *len); returns N, or 0
 * when there is none. */
static uint64_t cut_handle(const char *line, size_t *len)
{
	static const char tag[] = " # handle ";
	size_t n = *len, d = n;
	const char *p;

	while (d > 0 && line[d - 1] >= '0' && line[d - 1] <= '9')
		d--;
	if (d == n || d < sizeof(tag) - 1)
		return 0;
	p = line + d - (sizeof(tag) - 1);
	if (memcmp(p, tag, sizeof(tag) - 1) != 0)
		return 0;
	*len = (size_t)(p - line);
	return strtoull(line + d, NULL, 10);
}

/* A rule line whose statement is the xt NFQUEUE target: nft 1.0.6 prints
 * nothing for the target (newer ones `xt target "NFQUEUE"`), so the
 * rest of nft's line stays and the queue statement is ours. */
static void print_xt_rule(FILE *out, const char *line, size_t len,
			  const struct xtqueue_rule *r)
{
	static const char xt[] = "xt target \"NFQUEUE\"";
	char q[64];

	while (len > 0 && line[len - 1] == ' ')
		len--;
	if (len >= sizeof(xt) - 1 && memcmp(line + len - (sizeof(xt) - 1), xt, sizeof(xt) - 1) == 0)
		len -= sizeof(xt) - 1;
	while (len > 0 && line[len - 1] == ' ')
		len--;
	pgnft_xtqueue_text(r, q, sizeof(q));
	fprintf(out, "%.*s %s # " XT_NOTE "\n", (int)len, line, q);
}

static void print_queue_note(FILE *out, const struct xtqueue_rules *q)
{
	fprintf(out, "\t# queue: %s%s\n",
		q->kind < 0 ? "none" : pg_nft_queue_kind_name((enum pg_nft_queue_kind)q->kind),
		q->kind == PG_NFT_QUEUE_COMPAT ? " (xt NFQUEUE target through nft_compat)" :
		q->kind == PG_NFT_QUEUE_NATIVE ? " (nft queue expression)" : "");
}

/* nft's text without the handles, the queue note after the table's first
 * line, and the xt NFQUEUE rules completed. */
static void print_text(FILE *out, const char *text, const struct xtqueue_rules *q)
{
	bool first = true;

	for (const char *line = text; *line;) {
		size_t len = strcspn(line, "\n");
		size_t cut = len;
		uint64_t handle = cut_handle(line, &cut);
		const struct xtqueue_rule *r = handle ? pgnft_xtqueue_find(q, handle) : NULL;

		if (r)
			print_xt_rule(out, line, cut, r);
		else
			fprintf(out, "%.*s\n", (int)cut, line);
		if (first)
			print_queue_note(out, q);
		first = false;
		line += len + (line[len] == '\n');
	}
}

static bool is_xt_nfqueue(const json_t *stmt)
{
	const char *name = json_string_value(json_object_get(json_object_get(stmt, "xt"), "name"));

	return name && strcmp(name, "NFQUEUE") == 0;
}

/* One rule object of nft's JSON: the xt target becomes the queue
 * statement, and the rule says in its "comment" what it really is
 * (between "handle" and "expr", where nft puts a rule's comment). */
static int fix_xt_rule(json_t *rule, const struct xtqueue_rule *r)
{
	json_t *expr = json_incref(json_object_get(rule, "expr"));
	json_t *stmt = NULL;
	size_t i;
	int ret = -1;

	if (!json_is_array(expr))
		goto out;
	for (i = 0; i < json_array_size(expr); i++) {
		if (is_xt_nfqueue(json_array_get(expr, i)))
			break;
	}
	stmt = pgnft_xtqueue_json(r);
	if (!stmt ||
	    (i < json_array_size(expr) ? json_array_set(expr, i, stmt) : json_array_append(expr, stmt)) < 0 ||
	    json_object_del(rule, "expr") < 0 ||
	    (!json_object_get(rule, "comment") &&
	     json_object_set_new(rule, "comment", json_string(XT_NOTE)) < 0) ||
	    json_object_set(rule, "expr", expr) < 0)
		goto out;
	ret = 0;
out:
	json_decref(stmt);
	json_decref(expr);
	return ret;
}

/* nft's JSON with the xt NFQUEUE rules completed. */
static int print_json(FILE *out, const char *text, const struct xtqueue_rules *q,
		      char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root = json_loads(text, 0, &jerr);
	json_t *items = json_object_get(root, "nftables");
	int ret = -1;

	if (!json_is_array(items)) {
		pg_seterr(err, errlen, "cannot read libnftables' JSON: %s",
			  root ? "no \"nftables\" array" : jerr.text);
		goto out;
	}
	for (size_t i = 0; i < json_array_size(items); i++) {
		json_t *rule = json_object_get(json_array_get(items, i), "rule");
		json_t *h = json_object_get(rule, "handle");
		const struct xtqueue_rule *r = json_is_integer(h) ?
			pgnft_xtqueue_find(q, (uint64_t)json_integer_value(h)) : NULL;

		if (r && fix_xt_rule(rule, r) < 0) {
			pg_seterr(err, errlen, "out of memory");
			goto out;
		}
	}
	if (json_dumpf(root, out, 0) < 0) {
		pg_seterr(err, errlen, "cannot write the JSON");
		goto out;
	}
	fputc('\n', out);
	ret = 0;
out:
	json_decref(root);
	return ret;
}

int pg_nft_show(FILE *out, bool json, char *err, size_t errlen)
{
	struct mnl_socket *nl = NULL;
	struct xtqueue_rules q = {.kind = -1};
	char *text = NULL;
	int ret = -1;

	/* Our own dump first: it says whether the table exists (in our
	 * words), and where the xt NFQUEUE rules are. */
	nl = pgnft_nl_open(err, errlen);
	if (!nl || pgnft_xtqueue_read(nl, &q, err, errlen) < 0 ||
	    nft_list(json, &text, err, errlen) < 0)
		goto out;
	if (json) {
		if (print_json(out, text, &q, err, errlen) < 0)
			goto out;
	} else {
		print_text(out, text, &q);
	}
	ret = 0;
out:
	free(text);
	pgnft_xtqueue_free(&q);
	if (nl)
		mnl_socket_close(nl);
	return ret;
}
