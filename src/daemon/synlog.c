/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "synlog.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "peergate/nflog.h"
#include "peergate/nft_table.h"
#include "peergate/syn_table.h"

/* A SYN whose connection sends its first byte later than this is not
 * used: the connection is read as one joined mid-way.  Long enough for
 * any handshake and a client that waits for a server's banner. */
enum { SYN_MAX_AGE_MS = 120000 };

/* Room for a burst of SYNs between two drains (each message takes about
 * 400 bytes of the socket's budget: some 10,000 SYNs). */
enum { SYNLOG_RCVBUF = 4 << 20 };

/* The reader thread drains at most this often: it wakes when SYNs wait,
 * reads them all, then sleeps, so a busy router costs it at most 100
 * wake-ups a second, and the socket overflows only past about a million
 * SYNs a second. */
enum { READER_PAUSE_MS = 10 };

struct gw_synlog {
	pthread_mutex_t lock;
	struct pg_nflog *log;
	struct pg_syn_table *table;
	uint16_t group;
	uint64_t read;             /* logged SYNs read from the socket */
	uint64_t read_failures;
	pthread_t reader;
	bool reader_running;
	int stop_fd;               /* eventfd: the reader ends */
	uint64_t (*clock_ms)(void);
};

struct gw_synlog *gw_synlog_open(uint16_t group, uint32_t slots, char *err, size_t errlen)
{
	struct gw_synlog *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	pthread_mutex_init(&s->lock, NULL);
	s->group = group;
	s->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	uint64_t key = 0;
	/* The slot hash's key; without randomness the table still works,
	 * only its slots are predictable. */
	if (getrandom(&key, sizeof(key), GRND_NONBLOCK) != (ssize_t)sizeof(key))
		key = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ull ^ (uint64_t)getpid();
	s->table = pg_syn_table_create(slots, SYN_MAX_AGE_MS, key);
	s->log = pg_nflog_open(group, PG_NFT_SYN_SNAPLEN, SYNLOG_RCVBUF, err, errlen);
	if (!s->table || !s->log || s->stop_fd < 0) {
		gw_synlog_close(s);
		return NULL;
	}
	return s;
}

void gw_synlog_close(struct gw_synlog *s)
{
	if (!s)
		return;
	gw_synlog_stop_reader(s);
	if (s->stop_fd >= 0)
		close(s->stop_fd);
	pg_nflog_close(s->log);
	pg_syn_table_destroy(s->table);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

uint16_t gw_synlog_group(const struct gw_synlog *s)
{
	return s->group;
}

struct put_ctx {
	struct gw_synlog *s;
	uint64_t now_ms;
};

static void put_syn(void *ctx, const uint8_t *ip, size_t len)
{
	struct put_ctx *pc = ctx;

	pc->s->read++;
	(void)pg_syn_table_put(pc->s->table, ip, len, pc->now_ms);
}

/* With the lock held. */
static void drain_locked(struct gw_synlog *s, uint64_t now_ms)
{
	struct put_ctx pc = {s, now_ms};

	if (pg_nflog_drain(s->log, put_syn, &pc, NULL, 0) < 0)
		s->read_failures++;
}

void gw_synlog_drain(struct gw_synlog *s, uint64_t now_ms)
{
	pthread_mutex_lock(&s->lock);
	drain_locked(s, now_ms);
	pthread_mutex_unlock(&s->lock);
}

static void *reader_main(void *arg)
{
	struct gw_synlog *s = arg;
	struct pollfd pfd[2] = {
		{.fd = pg_nflog_fd(s->log), .events = POLLIN},
		{.fd = s->stop_fd, .events = POLLIN},
	};
	const struct timespec pause = {0, READER_PAUSE_MS * 1000000L};

	for (;;) {
		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			break;
		if (pfd[1].revents & POLLIN)
			break;
		if (pfd[0].revents)
			gw_synlog_drain(s, s->clock_ms());
		nanosleep(&pause, NULL);
	}
	return NULL;
}

int gw_synlog_start_reader(struct gw_synlog *s, uint64_t (*clock_ms)(void))
{
	s->clock_ms = clock_ms;
	if (pthread_create(&s->reader, NULL, reader_main, s) != 0)
		return -1;
	s->reader_running = true;
	return 0;
}

void gw_synlog_stop_reader(struct gw_synlog *s)
{
	uint64_t one = 1;

	if (!s->reader_running)
		return;
	if (write(s->stop_fd, &one, sizeof(one)) < 0)
		return; /* cannot happen with an eventfd below its maximum */
	pthread_join(s->reader, NULL);
	s->reader_running = false;
}

size_t gw_synlog_take(struct gw_synlog *s, const struct pg_packet *p, bool drain,
		      uint64_t now_ms, uint8_t *buf, size_t cap)
{
	pthread_mutex_lock(&s->lock);
	if (drain)
		drain_locked(s, now_ms);
	size_t n = pg_syn_table_take(s->table, p, now_ms, buf, cap);
	pthread_mutex_unlock(&s->lock);
	return n;
}

void gw_synlog_json(struct gw_synlog *s, FILE *out)
{
	struct pg_syn_table_stats st;
	uint64_t overruns, read, failures;

	pthread_mutex_lock(&s->lock);
	pg_syn_table_get_stats(s->table, &st);
	overruns = pg_nflog_overruns(s->log);
	read = s->read;
	failures = s->read_failures;
	pthread_mutex_unlock(&s->lock);
	fprintf(out, ",\"syn_log\":{\"group\":%u,\"read\":%llu,\"kept\":%llu,"
		"\"replaced\":%llu,\"refused\":%llu,\"taken\":%llu,\"stale\":%llu,"
		"\"socket_overruns\":%llu,\"read_failures\":%llu}",
		(unsigned)s->group, (unsigned long long)read, (unsigned long long)st.kept,
		(unsigned long long)st.replaced, (unsigned long long)st.refused,
		(unsigned long long)st.taken, (unsigned long long)st.stale,
		(unsigned long long)overruns, (unsigned long long)failures);
}
