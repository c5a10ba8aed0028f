/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "peergate/capture.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "peergate/linklayer.h"

/* Network Monitor 2.x: a 24-byte header (magic "GMBU", version, MAC type,
 * SYSTEMTIME of the start), then the frame table's offset and length; the
 * table holds one 32-bit offset per frame; a frame is a 64-bit microsecond
 * delta, original and captured lengths, then the bytes.  All little-endian. */
struct netmon {
	uint8_t *file;
	size_t size;
	const uint8_t *table;
	uint32_t frames, next;
	uint64_t start_ms;
	int dlt;
};

struct capture {
	pcap_t *pcap;
	struct netmon nm;
	uint8_t *mem;             /* what pcap reads through fmemopen */
	bool live;                /* an interface: no frame now is no end */
	char *iobuf;              /* the file's stdio buffer */
};

/* libpcap reads a saved capture with two fread calls per frame: with
 * stdio's default buffer (one page) that is a read(2) every few frames,
 * which costs more than classifying them. */
enum { CAPTURE_IO_BUFFER = 1 << 20 };

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* Takes ownership of file (size bytes, all of the capture) whatever the
 * outcome; capture_close frees it. */
static int netmon_init(struct netmon *nm, uint8_t *file, size_t size, char *err,
		       size_t errlen)
{
	nm->file = file;
	nm->size = size;
	if (size < 32 || size > (1u << 30)) {
		snprintf(err, errlen, "Network Monitor file of unusable size %zu", size);
		return -1;
	}
	const uint8_t *h = nm->file;
	if (h[5] != 2) {
		snprintf(err, errlen, "Network Monitor version %u.%u is not supported (2.x is)", h[5], h[4]);
		return -1;
	}
	uint16_t mac = le16(h + 6);
	if (mac != 1) {
		snprintf(err, errlen, "Network Monitor media type %u is not supported (Ethernet is)", mac);
		return -1;
	}
	nm->dlt = PG_DLT_EN10MB;
	struct tm tm = {
		.tm_year = le16(h + 8) - 1900, .tm_mon = le16(h + 10) - 1,
		.tm_mday = le16(h + 14), .tm_hour = le16(h + 16),
		.tm_min = le16(h + 18), .tm_sec = le16(h + 20),
	};
	nm->start_ms = (uint64_t)timegm(&tm) * 1000 + le16(h + 22);
	uint32_t off = le32(h + 24), len = le32(h + 28);
	if (off > nm->size || len > nm->size - off || len % 4) {
		snprintf(err, errlen, "Network Monitor frame table out of bounds");
		return -1;
	}
	nm->table = nm->file + off;
	nm->frames = len / 4;
	return 0;
}

/* Reads the whole file: the frame table sits at its end. */
static int netmon_open(struct netmon *nm, FILE *f, char *err, size_t errlen)
{
	if (fseek(f, 0, SEEK_END) < 0) {
		snprintf(err, errlen, "cannot seek: %s", strerror(errno));
		return -1;
	}
	long size = ftell(f);
	rewind(f);
	if (size < 32 || size > (1L << 30)) {
		snprintf(err, errlen, "Network Monitor file of unusable size %ld", size);
		return -1;
	}
	uint8_t *file = malloc((size_t)size);
	if (!file || fread(file, 1, (size_t)size, f) != (size_t)size) {
		free(file);
		snprintf(err, errlen, "cannot read the file");
		return -1;
	}
	return netmon_init(nm, file, (size_t)size, err, errlen);
}

static int netmon_next(struct netmon *nm, struct capture_frame *f, char *err, size_t errlen)
{
	if (nm->next >= nm->frames)
		return 0;
	uint32_t off = le32(nm->table + 4 * (size_t)nm->next++);
	if (off > nm->size || nm->size - off < 16) {
		snprintf(err, errlen, "frame %u header out of bounds", nm->next);
		return -1;
	}
	const uint8_t *r = nm->file + off;
	uint64_t delta_us = (uint64_t)le32(r) | (uint64_t)le32(r + 4) << 32;
	uint32_t caplen = le32(r + 12);
	if (caplen > nm->size - off - 16) {
		snprintf(err, errlen, "frame %u data out of bounds", nm->next);
		return -1;
	}
	f->ts_ms = nm->start_ms + delta_us / 1000;
	f->data = r + 16;
	f->caplen = caplen;
	return 1;
}

struct capture *capture_open(const char *path, char *err, size_t errlen)
{
	char pe[PCAP_ERRBUF_SIZE];
	struct capture *c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s", strerror(errno));
		free(c);
		return NULL;
	}
	c->iobuf = malloc(CAPTURE_IO_BUFFER);
	if (c->iobuf)
		setvbuf(f, c->iobuf, _IOFBF, CAPTURE_IO_BUFFER);
	uint8_t magic[4] = {0};
	size_t got = fread(magic, 1, 4, f);
	if (got == 4 && !memcmp(magic, "GMBU", 4)) {
		int rc = netmon_open(&c->nm, f, err, errlen);
		fclose(f);
		if (rc < 0) {
			capture_close(c);
			return NULL;
		}
		return c;
	}
	rewind(f);
	/* libpcap takes ownership of f */
	c->pcap = pcap_fopen_offline(f, pe);
	if (!c->pcap) {
		fclose(f);
		snprintf(err, errlen, "%s", pe);
		free(c->iobuf);
		free(c);
		return NULL;
	}
	return c;
}

struct capture *capture_open_memory(const void *data, size_t len, char *err,
				    size_t errlen)
{
	char pe[PCAP_ERRBUF_SIZE];
	struct capture *c = calloc(1, sizeof(*c));
	uint8_t *copy = malloc(len ? len : 1);
	FILE *f = NULL;

	if (!c || !copy) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (len)
		memcpy(copy, data, len);
	if (len >= 4 && !memcmp(copy, "GMBU", 4)) {
		int rc = netmon_init(&c->nm, copy, len, err, errlen);
		copy = NULL;
		if (rc < 0)
			goto fail;
		return c;
	}
	/* libpcap reads saved captures only from a FILE: a memory stream over
	 * the copy takes the same path through libpcap as a file does. */
	f = fmemopen(copy, len, "rb");
	if (!f) {
		snprintf(err, errlen, "%s", strerror(errno));
		goto fail;
	}
	c->pcap = pcap_fopen_offline(f, pe);
	if (!c->pcap) {
		snprintf(err, errlen, "%s", pe);
		goto fail;
	}
	/* pcap_close closes f; the buffer under it goes after that. */
	c->mem = copy;
	return c;
fail:
	if (f)
		fclose(f);
	free(copy);
	capture_close(c);
	return NULL;
}

struct capture *capture_open_stream(FILE *f, char *err, size_t errlen)
{
	char pe[PCAP_ERRBUF_SIZE];
	struct capture *c = calloc(1, sizeof(*c));

	if (!c) {
		snprintf(err, errlen, "out of memory");
		fclose(f);
		return NULL;
	}
	/* libpcap takes ownership of f when it succeeds */
	c->pcap = pcap_fopen_offline(f, pe);
	if (!c->pcap) {
		snprintf(err, errlen, "%s", pe);
		fclose(f);
		free(c);
		return NULL;
	}
	return c;
}

/* Live frames: whole up to 64 KiB (a GRO/TSO super-packet; a cut frame
 * would leave a gap in the reassembled stream).  In immediate mode libpcap
 * gives each frame a ring slot of the snapshot length, so the ring is
 * sized for a few hundred of them: a burst must not overrun it. */
enum { LIVE_SNAPLEN = 65535, LIVE_BUFFER = 32 << 20, LIVE_TIMEOUT_MS = 100 };

struct capture *capture_open_live(const char *iface, char *err, size_t errlen)
{
	char pe[PCAP_ERRBUF_SIZE] = "";
	struct capture *c = calloc(1, sizeof(*c));

	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->pcap = pcap_create(iface, pe);
	if (!c->pcap) {
		snprintf(err, errlen, "%s", pe);
		goto fail;
	}
	/* Immediate mode: a flow is reported as its packets arrive, not when
	 * a kernel buffer fills. */
	pcap_set_snaplen(c->pcap, LIVE_SNAPLEN);
	pcap_set_buffer_size(c->pcap, LIVE_BUFFER);
	pcap_set_immediate_mode(c->pcap, 1);
	pcap_set_timeout(c->pcap, LIVE_TIMEOUT_MS);
	int rc = pcap_activate(c->pcap);
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", pcap_statustostr(rc), pcap_geterr(c->pcap));
		goto fail;
	}
	if (pcap_setnonblock(c->pcap, 1, pe) < 0) {
		snprintf(err, errlen, "%s", pe);
		goto fail;
	}
	c->live = true;
	return c;
fail:
	capture_close(c);
	return NULL;
}

int capture_fd(const struct capture *c)
{
	return c->live ? pcap_get_selectable_fd(c->pcap) : -1;
}

void capture_close(struct capture *c)
{
	if (!c)
		return;
	if (c->pcap)
		pcap_close(c->pcap);
	/* after the stream that used it is closed */
	free(c->iobuf);
	free(c->mem);
	free(c->nm.file);
	free(c);
}

int capture_dlt(const struct capture *c)
{
	return c->pcap ? pcap_datalink(c->pcap) : c->nm.dlt;
}

int capture_next(struct capture *c, struct capture_frame *f, char *err, size_t errlen)
{
	if (!c->pcap)
		return netmon_next(&c->nm, f, err, errlen);
	struct pcap_pkthdr *hdr;
	const u_char *data;
	int rc = pcap_next_ex(c->pcap, &hdr, &data);
	if (rc == 1) {
		f->ts_ms = (uint64_t)hdr->ts.tv_sec * 1000 + (uint64_t)hdr->ts.tv_usec / 1000;
		f->data = data;
		f->caplen = hdr->caplen;
		return 1;
	}
	if (rc == PCAP_ERROR_BREAK)
		return 0;
	if (rc == 0 && c->live)
		return CAPTURE_NONE_YET;
	snprintf(err, errlen, "%s", pcap_geterr(c->pcap));
	return -1;
}
