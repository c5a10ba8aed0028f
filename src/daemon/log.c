/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "log.h"

#include <pthread.h>

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "peergate/ratelimit.h"

/* The daemon's own messages: a start-up or a reload writes a dozen at
 * once; a fault that repeats is held to a few a second. */
enum { EVENT_RATE = 20, EVENT_BURST = 100 };
/* How often, at most, a "suppressed" line is written. */
enum { REPORT_INTERVAL_MS = 10000 };

/* Every packet worker logs its flows through the one logger: the buckets
 * and counts are under the lock (syslog(3) and stdio lock on their own). */
struct pg_log {
	pthread_mutex_t lock;
	char ident[32];
	int level;
	bool to_syslog, to_stderr;
	struct pg_ratelimit bucket[PG_LOG_CLASS_COUNT];
	uint64_t lines[PG_LOG_CLASS_COUNT];
	uint64_t last_report_ms;
};

static const char *const class_words[PG_LOG_CLASS_COUNT] = {
	[PG_LOG_EVENT] = "daemon messages",
	[PG_LOG_FLOW] = "flow lines",
};

static uint64_t monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* systemd names the journal stream it connected to stderr in
 * JOURNAL_STREAM (device:inode): stderr is then read by the journal, which
 * gets every line through syslog already. */
static bool stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

struct pg_log *pg_log_open(const struct pg_log_config *c)
{
	struct pg_log *log = calloc(1, sizeof(*log));

	if (!log)
		return NULL;
	pthread_mutex_init(&log->lock, NULL);
	snprintf(log->ident, sizeof(log->ident), "%s", c->ident ? c->ident : "peergated");
	log->level = c->level;
	switch (c->target) {
	case PG_LOG_TARGET_AUTO:
		log->to_syslog = true;
		log->to_stderr = !stderr_is_journal();
		break;
	case PG_LOG_TARGET_SYSLOG:
		log->to_syslog = true;
		break;
	case PG_LOG_TARGET_STDERR:
		log->to_stderr = true;
		break;
	case PG_LOG_TARGET_BOTH:
		log->to_syslog = log->to_stderr = true;
		break;
	}
	pg_ratelimit_init(&log->bucket[PG_LOG_EVENT], EVENT_RATE, EVENT_BURST);
	pg_ratelimit_init(&log->bucket[PG_LOG_FLOW], c->flow_rate, c->flow_rate);
	/* Connect now: after setup the sandbox may no longer let the
	 * daemon reach /dev/log for the first time. */
	if (log->to_syslog)
		openlog(log->ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	return log;
}

void pg_log_close(struct pg_log *log)
{
	if (!log)
		return;
	if (log->to_syslog)
		closelog();
	pthread_mutex_destroy(&log->lock);
	free(log);
}

void pg_log_set_flow_rate(struct pg_log *log, uint32_t rate)
{
	if (!log)
		return;
	pthread_mutex_lock(&log->lock);
	pg_ratelimit_set(&log->bucket[PG_LOG_FLOW], rate, rate);
	pthread_mutex_unlock(&log->lock);
}

bool pg_log_enabled(const struct pg_log *log, int level)
{
	return !log || level <= log->level;
}

static const char *stderr_tag(int level)
{
	switch (level) {
	case LOG_EMERG:
	case LOG_ALERT:
	case LOG_CRIT:
	case LOG_ERR:
		return "error: ";
	case LOG_WARNING:
		return "warning: ";
	default:
		return "";
	}
}

static void emit(struct pg_log *log, int level, const char *msg)
{
	if (!log || log->to_stderr)
		fprintf(stderr, "%s: %s%s\n", log ? log->ident : "peergated", stderr_tag(level),
			msg);
	if (log && log->to_syslog)
		syslog(level, "%s", msg);
}

static void vlog(struct pg_log *log, int level, enum pg_log_class cls, const char *fmt,
		 va_list ap)
{
	char msg[1024];

	if (!pg_log_enabled(log, level))
		return;
	if (log) {
		pthread_mutex_lock(&log->lock);
		bool taken = pg_ratelimit_take(&log->bucket[cls], monotonic_ms());
		log->lines[cls] += taken;
		pthread_mutex_unlock(&log->lock);
		if (!taken)
			return;
	}
	vsnprintf(msg, sizeof(msg), fmt, ap);
	emit(log, level, msg);
}

void pg_log(struct pg_log *log, int level, enum pg_log_class cls, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(log, level, cls, fmt, ap);
	va_end(ap);
}

void pg_log_lines(struct pg_log *log, int level, enum pg_log_class cls, const char *text)
{
	while (text && *text) {
		size_t n = strcspn(text, "\n");
		if (n)
			pg_log(log, level, cls, "%.*s", (int)n, text);
		text += n + (text[n] == '\n');
	}
}

void pg_log_tick(struct pg_log *log, uint64_t now_ms)
{
	bool reported = false;

	/* The first suppression after a quiet spell is reported at once,
	 * then at most one report per interval while the flood goes on. */
	if (!log)
		return;
	pthread_mutex_lock(&log->lock);
	if (log->last_report_ms && now_ms - log->last_report_ms < REPORT_INTERVAL_MS) {
		pthread_mutex_unlock(&log->lock);
		return;
	}
	for (int c = 0; c < PG_LOG_CLASS_COUNT; c++) {
		uint64_t n = pg_ratelimit_collect(&log->bucket[c]);
		char msg[160];

		if (!n)
			continue;
		/* Past the bucket: a report is one line per interval. */
		snprintf(msg, sizeof(msg), "%llu %s suppressed by the rate limit (%u a second) "
			 "since the last report", (unsigned long long)n, class_words[c],
			 log->bucket[c].rate);
		log->lines[PG_LOG_EVENT]++;
		emit(log, LOG_WARNING, msg);
		reported = true;
	}
	log->last_report_ms = reported ? now_ms : 0;
	pthread_mutex_unlock(&log->lock);
}

void pg_log_get_stats(struct pg_log *log, struct pg_log_stats *s)
{
	memset(s, 0, sizeof(*s));
	if (!log)
		return;
	pthread_mutex_lock(&log->lock);
	for (int c = 0; c < PG_LOG_CLASS_COUNT; c++) {
		s->lines[c] = log->lines[c];
		s->suppressed[c] = log->bucket[c].refused;
	}
	pthread_mutex_unlock(&log->lock);
}

int pg_log_level_parse(const char *name)
{
	static const struct {
		const char *name;
		int level;
	} levels[] = {
		{"emerg", LOG_EMERG}, {"alert", LOG_ALERT}, {"crit", LOG_CRIT},
		{"err", LOG_ERR}, {"error", LOG_ERR}, {"warning", LOG_WARNING},
		{"warn", LOG_WARNING}, {"notice", LOG_NOTICE}, {"info", LOG_INFO},
		{"debug", LOG_DEBUG},
	};

	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		if (!strcasecmp(name, levels[i].name))
			return levels[i].level;
	return -1;
}

int pg_log_target_parse(const char *name)
{
	static const char *const names[] = {
		[PG_LOG_TARGET_AUTO] = "auto", [PG_LOG_TARGET_SYSLOG] = "syslog",
		[PG_LOG_TARGET_STDERR] = "stderr", [PG_LOG_TARGET_BOTH] = "both",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i]))
			return (int)i;
	return -1;
}

void pg_log_clean(char *dst, size_t len, const char *src)
{
	size_t o = 0;

	if (!len)
		return;
	for (const unsigned char *p = (const unsigned char *)(src ? src : ""); *p; p++) {
		bool plain = *p > ' ' && *p < 0x7f && *p != '"' && *p != '\\';
		size_t need = plain ? 1 : 4;
		if (o + need >= len)
			break;
		if (plain)
			dst[o++] = (char)*p;
		else
			o += (size_t)snprintf(dst + o, len - o, "\\x%02x", *p);
	}
	dst[o] = '\0';
}
