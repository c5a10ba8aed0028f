/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The line reader that feeds policy.ini to inih, and the load entry points.
 *
 * Why we count lines ourselves (the one place this is explained): inih is
 * the INI parser, but Debian's libinih is built without INI_HANDLER_LINENO,
 * so its handler is never told which line a key is on, and every message
 * must say FILE:LINE.  The parse therefore goes through ini_parse_stream
 * with read_line below as the reader: it hands inih one physical line at a
 * time and counts them, so its count is the line of each handler call.
 *
 * Counting alone is not enough, because inih decides what a line is and
 * tells the handler only about some lines.  So classify() decides each line
 * the same way ini.c is about to (comment, [section], key = value, or an
 * indented continuation of the last key), and this file does only what
 * follows from that:
 *  - a [section] header never reaches the handler, so its syntax is checked
 *    here and its name handed to pol_enter_section();
 *  - a line inih cannot parse never reaches the handler either (inih only
 *    returns the number of the first such line), so each is reported here;
 *  - a continuation line reaches the handler looking like its key again, so
 *    the handler learns which it is from ld->kind;
 *  - a line too long for inih's buffer, or holding a NUL, would be split or
 *    cut short by inih, so it is reported here and inih gets a stand-in.
 * The handler (pol_on_pair) and check_pending() report any line where our
 * idea and inih's disagree ("parser mismatch"; the fuzz target aborts on
 * it).  Sections, keys and values are checked in policy_read.c, as inih
 * splits them.  A libinih built with INI_HANDLER_LINENO would make only the
 * counting redundant: every point in the list above would remain.
 */
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peergate/systems.h"

#include "policy_loader.h"

#define POLICY_MAX_BYTES (1u << 20)  /* a policy is a few KiB; refuse junk */

/* inih's rule for where a name (chars = "=:"), a section name (chars =
 * "]") or a value ends: at one of chars, or at a ';' that follows white
 * space (an inline comment). */
const char *pol_find_chars_or_comment(const char *s, const char *chars)
{
	bool was_space = false;

	while (*s && (!chars || !strchr(chars, *s)) && !(was_space && *s == ';')) {
		was_space = pol_is_space((unsigned char)*s);
		s++;
	}
	return s;
}

/* Where inih looks at the line in buf: past a UTF-8 BOM on line 1 and past
 * leading white space. */
static const char *line_start(const struct loader *ld, const char *buf)
{
	const char *s = buf;

	if (ld->line == 1 && (unsigned char)s[0] == 0xEF &&
	    (unsigned char)s[1] == 0xBB && (unsigned char)s[2] == 0xBF)
		s += 3;
	while (*s && pol_is_space((unsigned char)*s))
		s++;
	return s;
}

/* A [section] line: the name ends where inih ends it, at ']'. */
static void on_header(struct loader *ld, const char *s)
{
	const char *end = pol_find_chars_or_comment(s + 1, "]");

	ld->cont = CONT_IGNORE;
	if (*end != ']') {
		pol_err_at(ld, "missing ']' in section header");
		ld->sect = SECT_SKIP;
		return;
	}
	ld->prev_key = false;
	size_t len = (size_t)(end - (s + 1));
	if (len >= sizeof(ld->sect_name))
		len = sizeof(ld->sect_name) - 1;
	memcpy(ld->sect_name, s + 1, len);
	ld->sect_name[len] = '\0';

	const char *after = end + 1;
	while (pol_is_space((unsigned char)*after))
		after++;
	if (*after && *after != ';' && *after != '#')
		pol_err_at(ld, "unexpected text after [%s]", ld->sect_name);
	pol_enter_section(ld);
}

/* Decides what inih will make of the line in buf, following ini.c: strip
 * a UTF-8 BOM on line 1 and surrounding white space; then a comment, a
 * continuation (indented, after a key), a [section], or name=value. */
static void classify(struct loader *ld, const char *buf)
{
	const char *s = line_start(ld, buf);

	ld->kind = LINE_OTHER;
	if (*s == '\0' || *s == ';' || *s == '#')
		return;
#if INI_ALLOW_MULTILINE
	if (ld->prev_key && s > buf) {
		ld->kind = LINE_CONT;
		return;
	}
#endif
	if (*s == '[') {
		on_header(ld, s);
		return;
	}
	const char *end = pol_find_chars_or_comment(s, "=:");
	if (*end == '=' || *end == ':') {
		ld->kind = LINE_KEY;
		while (end > s && pol_is_space((unsigned char)end[-1]))
			end--;
		ld->prev_key = end > s;
		return;
	}
	size_t len = strcspn(s, "\r\n");
	pol_err_at(ld, "cannot parse '%.*s%s'; expected [section], key = value or a comment",
		   (int)(len > 60 ? 60 : len), s, len > 60 ? "..." : "");
	ld->cont = CONT_IGNORE;
}

/* The other half of the mismatch check in pol_on_pair: a line we took for a
 * key or continuation that inih did not hand to the handler. */
static void check_pending(struct loader *ld)
{
	if (ld->pending)
		pol_err_at(ld, "line not understood (parser mismatch)");
	ld->pending = false;
}

/* A line inih cannot take whole (too long for its buffer, or holding a NUL)
 * has been reported; buf holds the part before the problem.  inih gets a
 * stand-in that leaves its state where the real line would have: for a key
 * line, "key =" (so later continuation lines still belong to that key and
 * are ignored with it), else an empty line. */
static void drop_line(struct loader *ld, char *buf)
{
	const char *s = line_start(ld, buf);

	ld->dropped = true;
	ld->cont = CONT_IGNORE;
	ld->kind = LINE_OTHER;
	if (*s == '[') {
		ld->sect = SECT_SKIP; /* its keys would land in the wrong section */
	} else if (*s && *s != ';' && *s != '#' && !(ld->prev_key && s > buf)) {
		char *end = (char *)pol_find_chars_or_comment(s, "=:");
		if (*end == '=' || *end == ':') {
			end[1] = '\n';
			end[2] = '\0';
			classify(ld, buf);
			ld->pending = ld->kind != LINE_OTHER;
			return;
		}
	}
	buf[0] = '\n';
	buf[1] = '\0';
}

/* The ini_reader: one physical line per call, so inih's line count and ours
 * agree. */
static char *read_line(char *buf, int size, void *stream)
{
	struct loader *ld = stream;

	check_pending(ld);
	if (ld->pos >= ld->end || size < 4)
		return NULL;
	const char *text = ld->pos;
	const char *nl = memchr(text, '\n', (size_t)(ld->end - text));
	size_t len = nl ? (size_t)(nl - text) + 1 : (size_t)(ld->end - text);
	size_t content = len;
	/* inih needs room for the text, "\r\n" and the NUL. */
	size_t room = (size_t)size - 3;
	const char *nul = memchr(text, '\0', len);

	ld->pos += len;
	ld->line++;
	ld->dropped = false;
	/* At most one "\r\n" is not content: the check below must bound the
	 * bytes copied, and a run of '\r' is content like any other. */
	if (content && text[content - 1] == '\n')
		content--;
	if (content && text[content - 1] == '\r')
		content--;

	if (nul || content > room) {
		size_t keep = nul ? (size_t)(nul - text) : room;
		if (keep > room)
			keep = room;
		memcpy(buf, text, keep);
		buf[keep] = '\0';
		if (nul)
			pol_err_at(ld, "line contains a NUL byte");
		else
			pol_err_at(ld, "line too long (%zu characters, at most %zu); continue a long list on indented lines",
				   content, room);
		drop_line(ld, buf);
		return buf;
	}
	memcpy(buf, text, len);
	buf[len] = '\0';
	classify(ld, buf);
	ld->pending = ld->kind != LINE_OTHER;
	return buf;
}

/* systems is taken: the policy owns it, or it is destroyed. */
static struct pg_policy *load_text(const char *text, size_t len,
				   const char *name, struct pg_systems *systems,
				   struct pg_diag *diag)
{
	struct loader *ld = calloc(1, sizeof(*ld));
	struct pg_policy *p = NULL;
	int rc;

	if (!diag && ld)
		diag = &ld->own_diag;
	if (diag)
		diag->count = 0;
	if (!ld) {
		if (diag)
			pol_diag_add(diag, name, 0, "out of memory");
		goto out;
	}
	ld->name = name;
	ld->diag = diag;
	ld->reg = systems;
	ld->pos = text;
	ld->end = text + len;
	memset(ld->feat_action, -1, sizeof(ld->feat_action));
	memset(ld->all_action, -1, sizeof(ld->all_action));
	ld->p = pg_policy_default();
	if (!ld->p) {
		pol_out_of_memory(ld);
		goto out;
	}

	rc = ini_parse_stream(read_line, ld, pol_on_pair, ld);
	check_pending(ld); /* inih stops calling the reader at end of input */
	if (rc == -2)
		pol_out_of_memory(ld);
	else if (rc != 0 && diag->count == 0)
		pol_err_line(ld, rc > 0 ? (unsigned)rc : 0, "cannot parse line");
	pol_finish(ld);
	if (diag->count == 0) {
		p = ld->p;
		ld->p = NULL;
		p->systems = systems;
		systems = NULL;
	}
out:
	if (ld)
		pg_policy_destroy(ld->p);
	free(ld);
	pg_systems_destroy(systems);
	return p;
}

struct pg_policy *pg_policy_load_string_systems(const char *text, const char *name,
						struct pg_systems *systems,
						struct pg_diag *diag)
{
	if (!name)
		name = "policy";
	if (!text) {
		if (diag) {
			diag->count = 0;
			pol_diag_add(diag, name, 0, "no policy text");
		}
		pg_systems_destroy(systems);
		return NULL;
	}
	return load_text(text, strlen(text), name, systems, diag);
}

struct pg_policy *pg_policy_load_string(const char *text, const char *name,
					struct pg_diag *diag)
{
	return pg_policy_load_string_systems(text, name, NULL, diag);
}

struct pg_policy *pg_policy_load_file(const char *path, struct pg_diag *diag)
{
	return pg_policy_load_file_systems(path, NULL, diag);
}

struct pg_policy *pg_policy_load_file_systems(const char *path,
					      struct pg_systems *systems,
					      struct pg_diag *diag)
{
	struct pg_diag local;
	struct pg_policy *p = NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (!diag)
		diag = &local;
	diag->count = 0;
	f = fopen(path, "re");
	if (!f) {
		pol_diag_add(diag, path, 0, "cannot open: %s", strerror(errno));
		goto out;
	}
	/* One extra byte tells "exactly the limit" from "more". */
	buf = malloc(POLICY_MAX_BYTES + 1);
	if (!buf) {
		pol_diag_add(diag, path, 0, "out of memory");
		goto out;
	}
	len = fread(buf, 1, POLICY_MAX_BYTES + 1, f);
	if (ferror(f)) {
		pol_diag_add(diag, path, 0, "read error: %s", strerror(errno));
		goto out;
	}
	if (len > POLICY_MAX_BYTES) {
		pol_diag_add(diag, path, 0, "file too large (more than %u bytes)", POLICY_MAX_BYTES);
		goto out;
	}
	p = load_text(buf, len, path, systems, diag);
	systems = NULL;
out:
	pg_systems_destroy(systems);
	if (f)
		fclose(f);
	free(buf);
	return p;
}
