/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reading systems.d data files (format: peergate-systems(5)).  inih splits
 * the lines; as for policy.ini (see policy_lexer.c for why), the lines go
 * through our own reader, which counts them, so every message says
 * FILE:LINE.  The reader also strips leading white space, so no line is
 * ever an inih continuation: a long list is written as the same key again.
 *
 * One file is one system: a [system] section (name, features) first, then
 * one section per feature with its hosts, ranges and ports.
 */
#include <dirent.h>
#include <errno.h>
#include <ini.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peergate/hosts.h"

#include "policy_text.h"
#include "systems_priv.h"

#define DATA_FILE_MAX_BYTES (256u * 1024u)
#define DATA_FILES_MAX 256
#define QUOTE "%.64s"

static const char *const system_keys[] = { "name", "features", "description" };
static const char *const feature_keys[] = { "hosts", "ranges", "tcp", "udp" };
/* Names a data system may not take: policy.ini's own sections. */
static const char *const reserved_names[] = { "engine", "exceptions", "system" };

enum sect { SECT_NONE, SECT_SYSTEM, SECT_FEATURE, SECT_SKIP };

/* Where each data system was defined in this load, for "duplicate". */
struct origin {
	char file[256];
	unsigned line;
};

struct reader {
	struct pg_systems *reg;
	const struct pg_systems *prev;
	struct pg_diag *diag;
	struct origin origin[PG_SYS_DATA_MAX];
	bool taken[PG_SYS_DATA_MAX];      /* ids defined in this load */

	/* The file being read: everything from here on is cleared for each
	 * file (read_file). */
	const char *file;
	const char *pos, *end;
	unsigned line;
	enum sect sect;
	char sect_name[64];
	unsigned system_line;             /* the [system] header */
	unsigned feature_line[PG_FEAT_COUNT];
	enum pg_feature feat;
	/* [system] as read so far */
	char name[PG_SYSTEM_NAME_MAX];
	unsigned name_line, features_line;
	unsigned features;                /* as listed */
	bool resolved, bad_system;        /* sys known / [system] was refused */
	enum pg_system sys;
	unsigned sys_features;            /* the features feature sections may use */
	bool oom;
};

static void PG_PRINTF(3, 4) err(struct reader *rd, unsigned line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pol_diag_vadd(rd->diag, rd->file, line, fmt, ap);
	va_end(ap);
}

static void out_of_memory(struct reader *rd)
{
	if (!rd->oom)
		err(rd, 0, "out of memory");
	rd->oom = true;
}

/* ---- the [system] section, resolved when the first feature section
 * starts (or at the end of the file) ---- */

static bool name_valid(const char *n)
{
	size_t len = strlen(n);

	if (len == 0 || len >= PG_SYSTEM_NAME_MAX || n[0] < 'a' || n[0] > 'z')
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = n[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* A new data system's id: the one prev gave the name, else the lowest id
 * prev never used, else one prev has retired; -1 when all are taken. */
static int pick_id(const struct reader *rd, const char *name)
{
	const struct pg_systems *p = rd->prev;

	for (int i = 0; p && i < PG_SYS_DATA_MAX; i++)
		if (strcmp(p->data[i].name, name) == 0)
			return rd->taken[i] ? -1 : i;
	for (int i = 0; i < PG_SYS_DATA_MAX; i++)
		if (!rd->taken[i] && (!p || !p->data[i].name[0]))
			return i;
	for (int i = 0; p && i < PG_SYS_DATA_MAX; i++)
		if (!rd->taken[i] && !p->data[i].defined)
			return i;
	return -1;
}

static void resolve_builtin(struct reader *rd, enum pg_system sys)
{
	unsigned have = sys_builtin_features(sys);
	unsigned extra = rd->features & ~have;

	for (unsigned f = 1; extra && f < PG_FEAT_COUNT; f++) {
		if ((extra >> f) & 1u) {
			err(rd, rd->features_line,
			    "feature '%s' is not one of built-in system %s's; a data file cannot add features to it",
			    pg_feature_name((enum pg_feature)f), pg_system_name(sys));
			rd->bad_system = true;
			return;
		}
	}
	rd->sys = sys;
	rd->sys_features = have;
	rd->resolved = true;
}

static void resolve_system(struct reader *rd)
{
	enum pg_system sys;

	if (rd->resolved || rd->bad_system)
		return;
	rd->bad_system = true;
	if (!rd->system_line) {
		err(rd, rd->line, "a data file starts with a [system] section (name, features)");
		return;
	}
	if (!rd->name[0]) {
		err(rd, rd->system_line, "[system] has no 'name'");
		return;
	}
	if (pg_system_from_name(rd->name, &sys)) {
		if (!pg_system_is_policed(sys)) {
			err(rd, rd->name_line,
			    "system name '%s' clashes with traffic peergate never polices", rd->name);
			return;
		}
		rd->bad_system = false;
		resolve_builtin(rd, sys);
		return;
	}
	if (pol_word_index(rd->name, reserved_names, COUNT(reserved_names)) >= 0) {
		err(rd, rd->name_line, "system name '%s' clashes with a policy.ini section", rd->name);
		return;
	}
	if (!rd->features_line || !rd->features) {
		err(rd, rd->system_line, "[system] of new system '%s' lists no 'features'", rd->name);
		return;
	}
	for (int i = 0; i < PG_SYS_DATA_MAX; i++) {
		if (rd->taken[i] && strcmp(rd->reg->data[i].name, rd->name) == 0) {
			err(rd, rd->name_line, "duplicate system '%s' (first defined in %s:%u)",
			    rd->name, rd->origin[i].file, rd->origin[i].line);
			return;
		}
	}
	int id = pick_id(rd, rd->name);
	if (id < 0) {
		err(rd, rd->name_line, "too many data systems (at most %d)", PG_SYS_DATA_MAX);
		return;
	}
	struct data_system *d = &rd->reg->data[id];
	snprintf(d->name, sizeof(d->name), "%s", rd->name);
	d->defined = true;
	d->features = rd->features;
	rd->taken[id] = true;
	snprintf(rd->origin[id].file, sizeof(rd->origin[id].file), "%s", rd->file);
	rd->origin[id].line = rd->name_line;
	rd->sys = (enum pg_system)(PG_SYS_DATA_FIRST + id);
	rd->sys_features = rd->features;
	rd->resolved = true;
	rd->bad_system = false;
}

static void system_key(struct reader *rd, const char *key, const char *value)
{
	char tok[TOKEN_MAX];
	const char *pos = value;

	switch (pol_word_index(key, system_keys, COUNT(system_keys))) {
	case 0:
		if (rd->name_line) {
			err(rd, rd->line, "'name' is already set on line %u", rd->name_line);
			return;
		}
		rd->name_line = rd->line;
		if (!name_valid(value)) {
			err(rd, rd->line,
			    "invalid system name '" QUOTE "'; use a lower-case letter, then letters, digits, '-' or '_' (at most %d)",
			    value, PG_SYSTEM_NAME_MAX - 1);
			rd->bad_system = true;
			return;
		}
		snprintf(rd->name, sizeof(rd->name), "%s", value);
		return;
	case 1:
		if (rd->features_line) {
			err(rd, rd->line, "'features' is already set on line %u", rd->features_line);
			return;
		}
		rd->features_line = rd->line;
		while (pol_next_token(&pos, tok, sizeof(tok))) {
			enum pg_feature f;
			if (!pg_feature_from_name(tok, &f) || f == PG_FEAT_ANY ||
			    f == PG_FEAT_HTTP_TUNNEL) {
				err(rd, rd->line,
				    "unknown feature '" QUOTE "' (any and http-tunnel come with every system)",
				    tok);
				rd->bad_system = true;
				continue;
			}
			rd->features |= 1u << f;
		}
		return;
	case 2:
		return; /* free text */
	default: {
		char list[128] = "";
		const char *close = pol_suggest(key, system_keys, COUNT(system_keys));
		pol_join_words(list, sizeof(list), system_keys, COUNT(system_keys));
		if (close)
			err(rd, rd->line, "unknown key '" QUOTE "' in [system]; did you mean '%s'?",
			    key, close);
		else
			err(rd, rd->line, "unknown key '" QUOTE "' in [system]; expected %s", key, list);
	}
	}
}

/* ---- feature sections ---- */

static void add_ports(struct reader *rd, uint8_t l4proto, const char *value)
{
	char tok[TOKEN_MAX];
	const char *pos = value;

	while (pol_next_token(&pos, tok, sizeof(tok))) {
		char *dash = strchr(tok, '-');
		uint32_t lo, hi;
		if (dash)
			*dash = '\0';
		bool ok = pol_parse_u32(tok, &lo) && lo >= 1 && lo <= 65535;
		if (ok && dash)
			ok = pol_parse_u32(dash + 1, &hi) && hi >= lo && hi <= 65535;
		else
			hi = lo;
		if (dash)
			*dash = '-';
		if (!ok) {
			err(rd, rd->line, "bad port '" QUOTE "'; expected 1 to 65535, or LOW-HIGH", tok);
			continue;
		}
		struct pg_systems_port p = {
			.system = rd->sys, .feature = rd->feat, .l4proto = l4proto,
			.lo = (uint16_t)lo, .hi = (uint16_t)hi,
		};
		if (!sys_push_port(rd->reg, &p))
			out_of_memory(rd);
	}
}

static void feature_key(struct reader *rd, const char *key, const char *value)
{
	char tok[TOKEN_MAX], why[160];
	const char *pos = value;

	switch (pol_word_index(key, feature_keys, COUNT(feature_keys))) {
	case 0:
		while (pol_next_token(&pos, tok, sizeof(tok))) {
			if (!pg_host_pattern_check(tok, why, sizeof(why)))
				err(rd, rd->line, "bad host pattern '" QUOTE "': %s", tok, why);
			else if (!sys_push_host(rd->reg, tok, rd->sys, rd->feat))
				out_of_memory(rd);
		}
		return;
	case 1:
		while (pol_next_token(&pos, tok, sizeof(tok))) {
			struct pg_prefix p;
			if (!pg_prefix_parse(tok, &p, why, sizeof(why)))
				err(rd, rd->line, "bad prefix '" QUOTE "': %s", tok, why);
			else if (!sys_push_range(rd->reg, &p, rd->sys, rd->feat))
				out_of_memory(rd);
		}
		return;
	case 2:
		add_ports(rd, IPPROTO_TCP, value);
		return;
	case 3:
		add_ports(rd, IPPROTO_UDP, value);
		return;
	default: {
		const char *close = pol_suggest(key, feature_keys, COUNT(feature_keys));
		if (close)
			err(rd, rd->line, "unknown key '" QUOTE "' in [%s]; did you mean '%s'?",
			    key, rd->sect_name, close);
		else
			err(rd, rd->line, "unknown key '" QUOTE "' in [%s]; expected hosts, ranges, tcp or udp",
			    key, rd->sect_name);
	}
	}
}

static void enter_section(struct reader *rd, const char *name)
{
	enum pg_feature f;

	snprintf(rd->sect_name, sizeof(rd->sect_name), "%s", name);
	rd->sect = SECT_SKIP;
	if (strcmp(name, "system") == 0) {
		if (rd->system_line)
			err(rd, rd->line, "duplicate section [system] (first on line %u)",
			    rd->system_line);
		else if (rd->resolved || rd->bad_system)
			err(rd, rd->line, "[system] comes before the feature sections");
		else {
			rd->system_line = rd->line;
			rd->sect = SECT_SYSTEM;
		}
		return;
	}
	if (!pg_feature_from_name(name, &f)) {
		err(rd, rd->line, "unknown section [" QUOTE "]; expected [system] or a feature such as [im]",
		    name);
		return;
	}
	resolve_system(rd);
	if (rd->bad_system)
		return;
	if (f != PG_FEAT_ANY && f != PG_FEAT_HTTP_TUNNEL && !((rd->sys_features >> f) & 1u)) {
		err(rd, rd->line, "feature '%s' is not listed in %s's features", name, rd->name);
		return;
	}
	if (rd->feature_line[f]) {
		err(rd, rd->line, "duplicate section [%s] (first on line %u)", name,
		    rd->feature_line[f]);
		return;
	}
	rd->feature_line[f] = rd->line;
	rd->feat = f;
	rd->sect = SECT_FEATURE;
}

static int on_pair(void *user, const char *section, const char *name, const char *value)
{
	struct reader *rd = user;

	(void)section; /* tracked by the line reader, with its line */
	switch (rd->sect) {
	case SECT_NONE:
		err(rd, rd->line, "key '" QUOTE "' is outside any section; a data file starts with [system]",
		    name);
		break;
	case SECT_SYSTEM:
		system_key(rd, name, value);
		break;
	case SECT_FEATURE:
		feature_key(rd, name, value);
		break;
	case SECT_SKIP:
		break; /* the header was reported */
	}
	return 1;
}

/* inih's line reader: one physical line, counted, without its leading
 * white space; [section] lines are entered here (inih tells the handler
 * only of keys) and lines inih would refuse are reported and blanked. */
static char *read_line(char *buf, int size, void *stream)
{
	struct reader *rd = stream;

	if (rd->pos >= rd->end)
		return NULL;
	const char *nl = memchr(rd->pos, '\n', (size_t)(rd->end - rd->pos));
	const char *eol = nl ? nl : rd->end;
	const char *s = rd->pos;
	rd->pos = nl ? nl + 1 : rd->end;
	rd->line++;
	while (s < eol && pol_is_space((unsigned char)*s))
		s++;
	size_t len = (size_t)(eol - s);
	while (len && pol_is_space((unsigned char)s[len - 1]))
		len--;
	buf[0] = '\0';
	if (len + 1 > (size_t)size || memchr(s, '\0', len)) {
		err(rd, rd->line, "line too long or holding a NUL byte (at most %d characters); repeat the key instead",
		    size - 1);
		return buf;
	}
	if (len == 0 || *s == '#' || *s == ';')
		return buf;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (*s == '[') {
		const char *close = pol_find_chars_or_comment(buf + 1, "]");
		if (*close != ']') {
			err(rd, rd->line, "missing ']' in section header");
			rd->sect = SECT_SKIP;
		} else {
			char name[64];
			const char *b = buf + 1;
			/* "[ im ]" is [im] */
			while (b < close && pol_is_space((unsigned char)*b))
				b++;
			while (close > b && pol_is_space((unsigned char)close[-1]))
				close--;
			snprintf(name, sizeof(name), "%.*s", (int)(close - b), b);
			enter_section(rd, name);
		}
		buf[0] = '\0';
		return buf;
	}
	const char *eq = pol_find_chars_or_comment(buf, "=:");
	if (*eq != '=' && *eq != ':') {
		err(rd, rd->line, "expected KEY = VALUE");
		buf[0] = '\0';
	} else if (eq == buf) {
		err(rd, rd->line, "missing key name before '='");
		buf[0] = '\0';
	}
	return buf;
}

/* One file's text, named name in messages. */
static void read_text(struct reader *rd, const char *name, const char *text, size_t len)
{
	memset(&rd->file, 0, sizeof(*rd) - offsetof(struct reader, file));
	rd->sect = SECT_NONE;
	rd->file = name;
	rd->pos = text;
	rd->end = text + len;
	int rc = ini_parse_stream(read_line, rd, on_pair, rd);
	if (rc == -2)
		out_of_memory(rd);
	resolve_system(rd); /* a file with [system] only: names or extends a system */
	rd->reg->files++;
}

static void read_file(struct reader *rd, const char *path)
{
	char *text = NULL;
	size_t len;
	FILE *f = fopen(path, "re");

	memset(&rd->file, 0, sizeof(*rd) - offsetof(struct reader, file));
	rd->sect = SECT_NONE;
	rd->file = path;
	if (!f) {
		err(rd, 0, "cannot open: %s", strerror(errno));
		goto out;
	}
	text = malloc(DATA_FILE_MAX_BYTES + 1);
	if (!text) {
		out_of_memory(rd);
		goto out;
	}
	len = fread(text, 1, DATA_FILE_MAX_BYTES + 1, f);
	if (ferror(f)) {
		err(rd, 0, "read error: %s", strerror(errno));
		goto out;
	}
	if (len > DATA_FILE_MAX_BYTES) {
		err(rd, 0, "file too large (more than %u bytes)", DATA_FILE_MAX_BYTES);
		goto out;
	}
	read_text(rd, path, text, len);
out:
	if (f)
		fclose(f);
	free(text);
}

/* Reads n files, or (paths NULL) the one text under the name text_name. */
static struct pg_systems *load_paths(const char *const *paths, size_t n,
				     const char *text, const char *text_name,
				     const struct pg_systems *prev, struct pg_diag *diag)
{
	struct pg_diag local;
	struct reader *rd = calloc(1, sizeof(*rd));
	struct pg_systems *reg = calloc(1, sizeof(*reg));

	if (!diag) {
		diag = &local;
		local.count = 0;
	}
	if (!rd || !reg) {
		pol_diag_add(diag, "systems.d", 0, "out of memory");
		goto fail;
	}
	rd->reg = reg;
	rd->prev = prev;
	rd->diag = diag;
	if (!paths)
		read_text(rd, text_name, text, strlen(text));
	for (size_t i = 0; paths && i < n; i++)
		read_file(rd, paths[i]);
	if (diag->count)
		goto fail;
	/* Systems prev had and this load does not: kept by name, retired. */
	for (int i = 0; prev && i < PG_SYS_DATA_MAX; i++) {
		if (!rd->taken[i] && prev->data[i].name[0]) {
			reg->data[i] = prev->data[i];
			reg->data[i].defined = false;
		}
	}
	free(rd);
	return reg;
fail:
	free(rd);
	pg_systems_destroy(reg);
	return NULL;
}

struct pg_systems *pg_systems_load_files(const char *const *paths, size_t n,
					 const struct pg_systems *prev,
					 struct pg_diag *diag)
{
	if (diag)
		diag->count = 0;
	return load_paths(paths, n, NULL, NULL, prev, diag);
}

struct pg_systems *pg_systems_load_string(const char *text, const char *name,
					  const struct pg_systems *prev,
					  struct pg_diag *diag)
{
	if (diag)
		diag->count = 0;
	return load_paths(NULL, 0, text ? text : "", name ? name : "systems", prev, diag);
}

/* ---- directories ---- */

struct entry {
	char base[128];
	char path[512];
};

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->base, ((const struct entry *)b)->base);
}

static bool is_data_file(const char *base)
{
	size_t n = strlen(base);

	return base[0] != '.' && n > 5 && n < sizeof(((struct entry *)0)->base) &&
	       strcmp(base + n - 5, ".conf") == 0;
}

/* Adds dir's files to v, replacing those of the same name. */
static bool scan_dir(const char *dir, bool required, struct entry *v, size_t *n,
		     struct pg_diag *diag)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d) {
		if (errno == ENOENT && !required)
			return true;
		pol_diag_add(diag, dir, 0, "cannot read the data directory: %s", strerror(errno));
		return false;
	}
	while ((de = readdir(d))) {
		if (!is_data_file(de->d_name))
			continue;
		size_t i = 0;
		while (i < *n && strcmp(v[i].base, de->d_name) != 0)
			i++;
		if (i == *n) {
			if (*n == DATA_FILES_MAX) {
				pol_diag_add(diag, dir, 0, "too many data files (at most %d)",
					     DATA_FILES_MAX);
				closedir(d);
				return false;
			}
			(*n)++;
		}
		/* is_data_file checked that the name fits */
		memcpy(v[i].base, de->d_name, strlen(de->d_name) + 1);
		snprintf(v[i].path, sizeof(v[i].path), "%s/%s", dir, de->d_name);
	}
	closedir(d);
	return true;
}

struct pg_systems *pg_systems_load(const char *const *dirs, size_t ndirs,
				   const struct pg_systems *prev,
				   struct pg_diag *diag)
{
	struct pg_diag local;
	struct entry *v = calloc(DATA_FILES_MAX, sizeof(*v));
	const char **paths = calloc(DATA_FILES_MAX, sizeof(*paths));
	struct pg_systems *reg = NULL;
	size_t n = 0;

	if (!diag)
		diag = &local;
	diag->count = 0;
	if (!v || !paths) {
		pol_diag_add(diag, "systems.d", 0, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < ndirs; i++)
		if (!scan_dir(dirs[i], i == 0, v, &n, diag))
			goto out;
	qsort(v, n, sizeof(*v), entry_cmp);
	for (size_t i = 0; i < n; i++)
		paths[i] = v[i].path;
	reg = load_paths(paths, n, NULL, NULL, prev, diag);
out:
	free(v);
	free(paths);
	return reg;
}
