/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "eventlog.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "peergate/json.h"
#include "peergate/packet.h"
#include "peergate/taxonomy.h"

struct pg_eventlog {
	char path[256];
	FILE *f;
	uint64_t written, failed;
};

/* Appending and line-buffered: each object reaches the file in one
 * write, so a reader never sees half a line (lines are far below the
 * buffer's size). */
static FILE *open_append(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "ae");

	if (!f) {
		snprintf(err, errlen, "cannot open the event file %s: %s", path, strerror(errno));
		return NULL;
	}
	setvbuf(f, NULL, _IOLBF, 0);
	return f;
}

struct pg_eventlog *pg_eventlog_open(const char *path, char *err, size_t errlen)
{
	struct pg_eventlog *ev = calloc(1, sizeof(*ev));

	if (!ev) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(ev->path, sizeof(ev->path), "%s", path);
	ev->f = open_append(path, err, errlen);
	if (!ev->f) {
		free(ev);
		return NULL;
	}
	return ev;
}

void pg_eventlog_close(struct pg_eventlog *ev)
{
	if (!ev)
		return;
	fclose(ev->f);
	free(ev);
}

const char *pg_eventlog_path(const struct pg_eventlog *ev)
{
	return ev->path;
}

int pg_eventlog_reopen(struct pg_eventlog *ev, char *err, size_t errlen)
{
	FILE *f = open_append(ev->path, err, errlen);

	if (!f)
		return -1;
	fclose(ev->f);
	ev->f = f;
	return 0;
}

/* RFC 3339 in UTC with milliseconds: 2026-12-02T11:25:00.123Z */
static void timestamp(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

int pg_eventlog_flow(struct pg_eventlog *ev, const struct pg_flow *f,
		     const struct pg_flow_verdict *fv, const char *host)
{
	char ts[40], c[64], s[64];

	if (!ev)
		return 0;
	timestamp(ts, sizeof(ts));
	pg_format_endpoint(f->family, f->client_addr, f->client_port, c, sizeof(c));
	pg_format_endpoint(f->family, f->server_addr, f->server_port, s, sizeof(s));
	fprintf(ev->f, "{\"timestamp\":\"%s\",\"event_type\":\"flow\",\"action\":\"%s\","
		"\"system\":\"%s\",\"feature\":\"%s\",\"method\":\"%s\",\"confidence\":%u,"
		"\"l4\":\"%s\",\"client\":\"%s\",\"server\":\"%s\"",
		ts, pg_action_name(fv->action), pg_system_name(f->system),
		pg_feature_name(f->feature), pg_method_name(f->method), f->confidence,
		f->l4proto == IPPROTO_TCP ? "tcp" : "udp", c, s);
	if (host && *host) {
		/* off the wire: the project's one escaper makes it a string */
		fputs(",\"host\":", ev->f);
		pg_json_string(ev->f, host);
	}
	if (f->via_proxy)
		fprintf(ev->f, ",\"via\":\"%s\"", pg_feature_name(f->via_proxy));
	if (fv->excepted)
		fputs(",\"excepted\":true", ev->f);
	fputs("}\n", ev->f);
	if (ferror(ev->f)) {
		clearerr(ev->f);
		ev->failed++;
		return -1;
	}
	ev->written++;
	return 0;
}

void pg_eventlog_counts(const struct pg_eventlog *ev, uint64_t *written, uint64_t *failed)
{
	*written = ev ? ev->written : 0;
	*failed = ev ? ev->failed : 0;
}
