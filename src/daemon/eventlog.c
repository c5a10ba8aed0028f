/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "eventlog.h"

#include <pthread.h>
#include <stdbool.h>

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
	pthread_mutex_t lock;     /* workers write, the control thread retargets */
	char path[256];           /* "" with no file */
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

struct pg_eventlog *pg_eventlog_create(void)
{
	struct pg_eventlog *ev = calloc(1, sizeof(*ev));

	if (ev)
		pthread_mutex_init(&ev->lock, NULL);
	return ev;
}

void pg_eventlog_destroy(struct pg_eventlog *ev)
{
	if (!ev)
		return;
	if (ev->f)
		fclose(ev->f);
	pthread_mutex_destroy(&ev->lock);
	free(ev);
}

int pg_eventlog_set_path(struct pg_eventlog *ev, const char *path, char *err, size_t errlen)
{
	FILE *f = path[0] ? open_append(path, err, errlen) : NULL;
	bool same = !strcmp(path, ev->path);
	int rc = path[0] && !f ? -1 : 0;

	pthread_mutex_lock(&ev->lock);
	if (f || !same || !path[0]) {
		if (ev->f)
			fclose(ev->f);
		ev->f = f;
		snprintf(ev->path, sizeof(ev->path), "%s", f ? path : "");
	}
	pthread_mutex_unlock(&ev->lock);
	return rc;
}

void pg_eventlog_path(struct pg_eventlog *ev, char *buf, size_t len)
{
	pthread_mutex_lock(&ev->lock);
	snprintf(buf, len, "%s", ev->path);
	pthread_mutex_unlock(&ev->lock);
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
		     const struct pg_flow_verdict *fv, const char *system, const char *host)
{
	char ts[40], c[64], s[64];

	if (!ev)
		return 0;
	timestamp(ts, sizeof(ts));
	pthread_mutex_lock(&ev->lock);
	if (!ev->f) {
		pthread_mutex_unlock(&ev->lock);
		return 0;
	}
	pg_format_endpoint(f->family, f->client_addr, f->client_port, c, sizeof(c));
	pg_format_endpoint(f->family, f->server_addr, f->server_port, s, sizeof(s));
	fprintf(ev->f, "{\"timestamp\":\"%s\",\"event_type\":\"flow\",\"action\":\"%s\","
		"\"system\":\"%s\",\"feature\":\"%s\",\"method\":\"%s\",\"confidence\":%u,"
		"\"l4\":\"%s\",\"client\":\"%s\",\"server\":\"%s\"",
		ts, pg_action_name(fv->action), system,
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
	int rc = 0;
	if (ferror(ev->f)) {
		clearerr(ev->f);
		ev->failed++;
		rc = -1;
	} else {
		ev->written++;
	}
	pthread_mutex_unlock(&ev->lock);
	return rc;
}

void pg_eventlog_counts(struct pg_eventlog *ev, uint64_t *written, uint64_t *failed)
{
	*written = *failed = 0;
	if (!ev)
		return;
	pthread_mutex_lock(&ev->lock);
	*written = ev->written;
	*failed = ev->failed;
	pthread_mutex_unlock(&ev->lock);
}
