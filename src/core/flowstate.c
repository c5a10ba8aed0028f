/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "peergate/flowstate.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "peergate/decimal.h"
#include "peergate/seterr.h"
#include "peergate/systems.h"
#include "peergate/taxonomy.h"

enum {
	LINE_MAX_LEN = 512,
	FLOW_FIELDS = 17,         /* "flow" and its 16 fields */
	/* the flag bits that mean something to the next run */
	KEPT_FLAGS = PG_FLOW_WATCH | PG_FLOW_FROM_START,
};

#define MAGIC "peergate-flows"

/* Host names come from the wire: the format has no room for spaces or
 * control bytes, so the same characters the engine keeps are kept here. */
static bool host_char_ok(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '"' && c != '\\';
}

/* --- writing --- */

struct pg_flowstate_writer {
	FILE *out;
	char *path;
	char *tmp;
	size_t count;
	const struct pg_systems *systems;
};

static void writer_free(struct pg_flowstate_writer *w)
{
	if (!w)
		return;
	if (w->out)
		fclose(w->out);
	free(w->path);
	free(w->tmp);
	free(w);
}

struct pg_flowstate_writer *pg_flowstate_writer_open(const char *path, int64_t written_s,
						     uint32_t mark_mask,
						     const struct pg_systems *systems,
						     char *err, size_t errlen)
{
	struct pg_flowstate_writer *w = calloc(1, sizeof(*w));
	size_t plen = strlen(path);
	int fd = -1;
	if (!w || !(w->path = strdup(path)) || !(w->tmp = malloc(plen + 5))) {
		pg_seterr(err, errlen, "out of memory");
		goto fail;
	}
	memcpy(w->tmp, path, plen);
	memcpy(w->tmp + plen, ".tmp", 5);
	/* A temporary file left by a crash is ours to replace; O_EXCL and
	 * O_NOFOLLOW keep us from writing through a link someone put there. */
	unlink(w->tmp);
	fd = open(w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || !(w->out = fdopen(fd, "w"))) {
		pg_seterr(err, errlen, "cannot create %s: %s", w->tmp, strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(w->tmp);
		}
		goto fail;
	}
	w->systems = systems;
	fprintf(w->out, MAGIC " %d\nwritten %lld\nmark-mask 0x%08x\n", PG_FLOWSTATE_VERSION,
		(long long)written_s, mark_mask);
	return w;
fail:
	writer_free(w);
	return NULL;
}

void pg_flowstate_writer_add(struct pg_flowstate_writer *w, const struct pg_flow *f,
			     const char *host)
{
	char c[INET6_ADDRSTRLEN], s[INET6_ADDRSTRLEN], h[PG_FLOWSTATE_HOST_MAX];
	int af = f->family == 6 ? AF_INET6 : AF_INET;
	size_t n = 0;

	if ((f->l4proto != IPPROTO_TCP && f->l4proto != IPPROTO_UDP) ||
	    (f->family != 4 && f->family != 6) ||
	    !inet_ntop(af, f->client_addr, c, sizeof(c)) ||
	    !inet_ntop(af, f->server_addr, s, sizeof(s)))
		return;
	for (; host && host[n] && n < sizeof(h) - 1; n++)
		h[n] = host_char_ok((unsigned char)host[n]) ? host[n] : '?';
	h[n] = '\0';
	fprintf(w->out, "flow %s %s %u %s %u %s %s %s %u %s 0x%02x %u %u %llu %llu %s\n",
		f->l4proto == IPPROTO_TCP ? "tcp" : "udp", c, f->client_port, s, f->server_port,
		pg_systems_name(w->systems, f->system), pg_feature_name(f->feature),
		pg_method_name(f->method), f->confidence,
		f->via_proxy ? pg_feature_name(f->via_proxy) : "-", f->flags & KEPT_FLAGS,
		f->packets[0], f->packets[1], (unsigned long long)f->bytes[0],
		(unsigned long long)f->bytes[1], n ? h : "-");
	w->count++;
}

int pg_flowstate_writer_commit(struct pg_flowstate_writer *w, char *err, size_t errlen)
{
	int ret = -1;
	FILE *out = w->out;
	w->out = NULL;
	fprintf(out, "end %zu\n", w->count);
	bool ok = fflush(out) == 0 && !ferror(out) && fsync(fileno(out)) == 0;
	int saved = errno;
	if (fclose(out) != 0 && ok) {
		ok = false;
		saved = errno;
	}
	if (!ok) {
		pg_seterr(err, errlen, "cannot write %s: %s", w->tmp, strerror(saved));
		goto out;
	}
	if (rename(w->tmp, w->path) < 0) {
		pg_seterr(err, errlen, "cannot rename %s to %s: %s", w->tmp, w->path,
			strerror(errno));
		goto out;
	}
	ret = 0;
out:
	if (ret < 0)
		unlink(w->tmp);
	writer_free(w);
	return ret;
}

/* --- reading --- */

struct pg_flowstate {
	struct pg_flowstate_entry *entries;
	size_t count, cap;
	size_t skipped;
};

static bool parse_hex(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	if (s[0] != '0' || s[1] != 'x' || !s[2])
		return false;
	for (s += 2; *s; s++) {
		unsigned d;
		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (*s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else
			return false;
		if (v > (max - d) / 16)
			return false;
		v = v * 16 + d;
	}
	*out = v;
	return true;
}

static bool parse_method(const char *s, enum pg_method *out)
{
	for (unsigned i = 0; i < PG_METHOD_COUNT; i++) {
		if (!strcmp(s, pg_method_name((enum pg_method)i))) {
			*out = (enum pg_method)i;
			return true;
		}
	}
	return false;
}

/* Splits line at single spaces; empty fields are an error.  Returns the
 * number of fields, or -1 (too many or empty). */
static int split(char *line, char **fields, int max)
{
	int n = 0;
	for (char *p = line;;) {
		char *sp = strchr(p, ' ');
		if (n == max || sp == p || !*p)
			return -1;
		fields[n++] = p;
		if (!sp)
			return n;
		*sp = '\0';
		p = sp + 1;
	}
}

static bool parse_addr(const char *s, uint8_t *family, uint8_t *addr)
{
	if (inet_pton(AF_INET, s, addr) == 1) {
		*family = 4;
		return true;
	}
	if (inet_pton(AF_INET6, s, addr) == 1) {
		*family = 6;
		return true;
	}
	return false;
}

/* One `flow` line (already split) into e.  Returns NULL or what is wrong. */
static const char *parse_flow(char **v, const struct pg_systems *systems,
			      struct pg_flowstate_entry *e)
{
	struct pg_flow *f = &e->flow;
	uint8_t fam2;
	uint64_t n;
	enum pg_system sys;
	enum pg_feature feat;
	enum pg_method method;

	memset(e, 0, sizeof(*e));
	if (!strcmp(v[1], "tcp"))
		f->l4proto = IPPROTO_TCP;
	else if (!strcmp(v[1], "udp"))
		f->l4proto = IPPROTO_UDP;
	else
		return "transport is neither tcp nor udp";
	if (!parse_addr(v[2], &f->family, f->client_addr) ||
	    !parse_addr(v[4], &fam2, f->server_addr) || fam2 != f->family)
		return "bad address";
	if (!pg_parse_decimal(v[3], 65535, &n))
		return "bad port";
	f->client_port = (uint16_t)n;
	if (!pg_parse_decimal(v[5], 65535, &n))
		return "bad port";
	f->server_port = (uint16_t)n;
	if (!pg_systems_from_name(systems, v[6], &sys))
		return "unknown system";
	if (!pg_feature_from_name(v[7], &feat))
		return "unknown feature";
	if (!parse_method(v[8], &method))
		return "unknown method";
	f->system = (uint8_t)sys;
	f->feature = (uint8_t)feat;
	f->method = (uint8_t)method;
	if (!pg_parse_decimal(v[9], 255, &n))
		return "bad confidence";
	f->confidence = (uint8_t)n;
	if (strcmp(v[10], "-")) {
		if (!pg_feature_from_name(v[10], &feat))
			return "unknown proxy feature";
		f->via_proxy = (uint8_t)feat;
	}
	if (!parse_hex(v[11], 0xff, &n))
		return "bad flags";
	f->flags = (uint8_t)(n & KEPT_FLAGS);
	for (int d = 0; d < 2; d++) {
		if (!pg_parse_decimal(v[12 + d], UINT32_MAX, &n))
			return "bad packet count";
		f->packets[d] = (uint32_t)n;
		if (!pg_parse_decimal(v[14 + d], UINT64_MAX, &n))
			return "bad byte count";
		f->bytes[d] = n;
	}
	f->state = PG_FLOW_DECIDED;
	if (strcmp(v[16], "-")) {
		size_t len = strlen(v[16]);
		if (len >= sizeof(e->host))
			return "host name too long";
		for (size_t i = 0; i < len; i++)
			if (!host_char_ok((unsigned char)v[16][i]))
				return "bad character in host name";
		memcpy(e->host, v[16], len + 1);
	}
	return NULL;
}

static int key_cmp(const struct pg_flow *a, const struct pg_flow *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	if (a->l4proto != b->l4proto)
		return a->l4proto < b->l4proto ? -1 : 1;
	int c = memcmp(a->client_addr, b->client_addr, 16);
	if (c)
		return c;
	if (a->client_port != b->client_port)
		return a->client_port < b->client_port ? -1 : 1;
	c = memcmp(a->server_addr, b->server_addr, 16);
	if (c)
		return c;
	if (a->server_port != b->server_port)
		return a->server_port < b->server_port ? -1 : 1;
	return 0;
}

static int entry_cmp(const void *a, const void *b)
{
	return key_cmp(&((const struct pg_flowstate_entry *)a)->flow,
		       &((const struct pg_flowstate_entry *)b)->flow);
}

static bool append(struct pg_flowstate *fs, const struct pg_flowstate_entry *e)
{
	if (fs->count == fs->cap) {
		size_t cap = fs->cap ? fs->cap * 2 : 64;
		struct pg_flowstate_entry *n = realloc(fs->entries, cap * sizeof(*n));
		if (!n)
			return false;
		fs->entries = n;
		fs->cap = cap;
	}
	fs->entries[fs->count++] = *e;
	return true;
}

/* Reads one line without its newline.  Returns 1, 0 at a clean end of
 * file, -1 for a line that is too long or cut off. */
static int read_line(FILE *in, char *line, size_t size)
{
	if (!fgets(line, (int)size, in))
		return 0;
	size_t len = strlen(line);
	if (!len || line[len - 1] != '\n')
		return -1;
	line[len - 1] = '\0';
	return 1;
}

/* Where reading a state file stands. */
struct state_reader {
	struct pg_flowstate *fs;
	const struct pg_flowstate_limits *lim;
	unsigned lineno;
	size_t flows;           /* flow lines read, skipped ones included */
	bool ended;             /* the end line was read */
	char *err;
	size_t errlen;
};

/* Line 1: the magic and the format version. */
static bool read_magic(struct state_reader *r, char **v, int nf)
{
	uint64_t n;

	if (nf != 2 || strcmp(v[0], MAGIC)) {
		pg_seterr(r->err, r->errlen, "not a peergate flow state file");
		return false;
	}
	if (!pg_parse_decimal(v[1], UINT32_MAX, &n) || n != PG_FLOWSTATE_VERSION) {
		pg_seterr(r->err, r->errlen, "format version %s; this peergated reads version %d",
			v[1], PG_FLOWSTATE_VERSION);
		return false;
	}
	return true;
}

/* Line 2: when it was written, which must be recent. */
static bool read_written(struct state_reader *r, char **v, int nf)
{
	const struct pg_flowstate_limits *lim = r->lim;
	uint64_t n;

	if (nf != 2 || strcmp(v[0], "written") || !pg_parse_decimal(v[1], INT64_MAX, &n)) {
		pg_seterr(r->err, r->errlen, "line 2: expected 'written SECONDS'");
		return false;
	}
	/* A clock set back is no reason to trust the file. */
	if ((int64_t)n > lim->now_s || lim->now_s - (int64_t)n > lim->max_age_s) {
		pg_seterr(r->err, r->errlen, "stale: written %lld s ago, the limit is %u s "
			"(tcp-timeout)", (long long)(lim->now_s - (int64_t)n), lim->max_age_s);
		return false;
	}
	return true;
}

/* Line 3: the mark mask the flows were stamped under, which must be ours
 * (their codes would be read in the wrong bits otherwise). */
static bool read_mark_mask(struct state_reader *r, char **v, int nf)
{
	uint64_t n;

	if (nf != 2 || strcmp(v[0], "mark-mask") || !parse_hex(v[1], UINT32_MAX, &n)) {
		pg_seterr(r->err, r->errlen, "line 3: expected 'mark-mask 0xHEX'");
		return false;
	}
	if (n != r->lim->mark_mask) {
		pg_seterr(r->err, r->errlen, "written under mark-mask 0x%08llx, now 0x%08x",
			(unsigned long long)n, r->lim->mark_mask);
		return false;
	}
	return true;
}

/* A flow line: kept while there is room under max-flows. */
static bool read_flow(struct state_reader *r, char **v)
{
	struct pg_flowstate_entry e;
	const char *why = parse_flow(v, r->lim->systems, &e);

	if (why) {
		pg_seterr(r->err, r->errlen, "line %u: %s", r->lineno, why);
		return false;
	}
	r->flows++;
	if (r->fs->count >= r->lim->max_flows) {
		r->fs->skipped++;
	} else if (!append(r->fs, &e)) {
		pg_seterr(r->err, r->errlen, "out of memory");
		return false;
	}
	return true;
}

/* The end line: its count proves that no flow line went missing. */
static bool read_end(struct state_reader *r, char **v)
{
	uint64_t n;

	if (!pg_parse_decimal(v[1], SIZE_MAX, &n) || n != r->flows) {
		pg_seterr(r->err, r->errlen, "line %u: the end line counts %s flows, the file "
			"holds %zu", r->lineno, v[1], r->flows);
		return false;
	}
	r->ended = true;
	return true;
}

/* One line, by where it stands and what it starts with. */
static bool read_state_line(struct state_reader *r, char *line)
{
	char *v[FLOW_FIELDS];

	if (r->ended) {
		pg_seterr(r->err, r->errlen, "line %u: text after the end line", r->lineno);
		return false;
	}
	int nf = split(line, v, FLOW_FIELDS);
	if (r->lineno == 1)
		return read_magic(r, v, nf);
	if (r->lineno == 2)
		return read_written(r, v, nf);
	if (r->lineno == 3)
		return read_mark_mask(r, v, nf);
	if (nf == FLOW_FIELDS && !strcmp(v[0], "flow"))
		return read_flow(r, v);
	if (nf == 2 && !strcmp(v[0], "end"))
		return read_end(r, v);
	pg_seterr(r->err, r->errlen, "line %u: not a flow line", r->lineno);
	return false;
}

struct pg_flowstate *pg_flowstate_read(FILE *in, const struct pg_flowstate_limits *lim,
				       char *err, size_t errlen)
{
	char line[LINE_MAX_LEN];
	struct state_reader r = {.lim = lim, .err = err, .errlen = errlen};
	int got;

	r.fs = calloc(1, sizeof(*r.fs));
	if (!r.fs) {
		pg_seterr(err, errlen, "out of memory");
		goto fail;
	}
	while ((got = read_line(in, line, sizeof(line))) != 0) {
		r.lineno++;
		if (got < 0) {
			pg_seterr(err, errlen, "line %u: too long or cut off (truncated file?)",
				r.lineno);
			goto fail;
		}
		if (!read_state_line(&r, line))
			goto fail;
	}
	if (ferror(in)) {
		pg_seterr(err, errlen, "read error: %s", strerror(errno));
		goto fail;
	}
	if (!r.ended) {
		pg_seterr(err, errlen, r.lineno ? "no end line (truncated file?)" : "empty file");
		goto fail;
	}
	if (r.fs->count)
		qsort(r.fs->entries, r.fs->count, sizeof(*r.fs->entries), entry_cmp);
	return r.fs;
fail:
	pg_flowstate_destroy(r.fs);
	return NULL;
}

enum pg_flowstate_load_status pg_flowstate_load(const char *path,
						const struct pg_flowstate_limits *lim,
						struct pg_flowstate **out, char *err,
						size_t errlen)
{
	enum pg_flowstate_load_status st = PG_FLOWSTATE_REJECTED;
	struct stat sb;
	FILE *in = NULL;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	*out = NULL;
	if (fd < 0) {
		if (errno == ENOENT)
			return PG_FLOWSTATE_ABSENT;
		pg_seterr(err, errlen, "cannot open: %s", strerror(errno));
		goto out;
	}
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		pg_seterr(err, errlen, "not a regular file");
		goto out;
	}
	in = fdopen(fd, "r");
	if (!in) {
		pg_seterr(err, errlen, "cannot read: %s", strerror(errno));
		goto out;
	}
	fd = -1;
	*out = pg_flowstate_read(in, lim, err, errlen);
	if (*out)
		st = PG_FLOWSTATE_LOADED;
out:
	if (in)
		fclose(in);
	if (fd >= 0)
		close(fd);
	/* Used once: a file read at one start must not speak again at the
	 * next, after a crash that wrote none. */
	unlink(path);
	return st;
}

void pg_flowstate_destroy(struct pg_flowstate *fs)
{
	if (!fs)
		return;
	free(fs->entries);
	free(fs);
}

size_t pg_flowstate_count(const struct pg_flowstate *fs)
{
	return fs ? fs->count : 0;
}

const struct pg_flowstate_entry *pg_flowstate_at(const struct pg_flowstate *fs, size_t i)
{
	return i < pg_flowstate_count(fs) ? &fs->entries[i] : NULL;
}

size_t pg_flowstate_skipped(const struct pg_flowstate *fs)
{
	return fs ? fs->skipped : 0;
}

static long find_oriented(const struct pg_flowstate *fs, uint8_t family, uint8_t l4proto,
			  const uint8_t *client, uint16_t client_port,
			  const uint8_t *server, uint16_t server_port)
{
	struct pg_flow key;
	size_t alen = family == 6 ? 16 : 4;
	memset(&key, 0, sizeof(key));
	key.family = family;
	key.l4proto = l4proto;
	memcpy(key.client_addr, client, alen);
	memcpy(key.server_addr, server, alen);
	key.client_port = client_port;
	key.server_port = server_port;
	size_t lo = 0, hi = fs->count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = key_cmp(&fs->entries[mid].flow, &key);
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < fs->count && !key_cmp(&fs->entries[lo].flow, &key) ? (long)lo : -1;
}

long pg_flowstate_find(const struct pg_flowstate *fs, uint8_t family, uint8_t l4proto,
		       const uint8_t *a, uint16_t a_port, const uint8_t *b, uint16_t b_port)
{
	if (!fs || !fs->count)
		return -1;
	long i = find_oriented(fs, family, l4proto, a, a_port, b, b_port);
	return i >= 0 ? i : find_oriented(fs, family, l4proto, b, b_port, a, a_port);
}
