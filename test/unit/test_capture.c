/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Capture files: a Network Monitor 2.x file built by hand (the format
 * libpcap does not read), damaged variants of it, and a pcap file. */
#include "check.h"
#include "peergate/capture.h"
#include "peergate/linklayer.h"

#include <unistd.h>

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }

/* Header, two 60-byte frames at 128 and 204, the frame table at 280. */
static size_t build_netmon(uint8_t *f)
{
	memset(f, 0, 400);
	memcpy(f, "GMBU", 4);
	f[4] = 0; /* minor */
	f[5] = 2; /* major */
	put16(f + 6, 1); /* Ethernet */
	put16(f + 8, 2005); put16(f + 10, 7); put16(f + 14, 16);
	put16(f + 16, 9); put16(f + 18, 57); put16(f + 20, 3); put16(f + 22, 63);
	put32(f + 24, 280); /* frame table */
	put32(f + 28, 8);
	for (int i = 0; i < 2; i++) {
		uint8_t *r = f + 128 + 76 * i;
		put32(r, (uint32_t)(i * 1500000)); /* 1.5 s apart, in microseconds */
		put32(r + 8, 60);
		put32(r + 12, 60);
		r[16 + 12] = 0x08; /* ethertype IPv4 */
		r[16 + 14] = 0x45;
		put32(f + 280 + 4 * i, (uint32_t)(128 + 76 * i));
	}
	return 288;
}

static int write_tmp(const uint8_t *data, size_t n, char *path)
{
	strcpy(path, "/tmp/pgcapXXXXXX");
	int fd = mkstemp(path);
	if (fd < 0)
		return -1;
	ssize_t w = write(fd, data, n);
	close(fd);
	return w == (ssize_t)n ? 0 : -1;
}

/* Reads the capture from a file, or from memory when path is NULL. */
static int count_frames_via(const uint8_t *data, size_t n, const char *path,
			    uint64_t *first_ts, uint64_t *last_ts)
{
	char err[256];
	struct capture *c = path ? capture_open(path, err, sizeof(err))
				 : capture_open_memory(data, n, err, sizeof(err));
	int frames = 0;
	if (c) {
		struct capture_frame fr;
		int rc;
		while ((rc = capture_next(c, &fr, err, sizeof(err))) == 1) {
			if (!frames && first_ts)
				*first_ts = fr.ts_ms;
			if (last_ts)
				*last_ts = fr.ts_ms;
			frames++;
		}
		if (rc < 0)
			frames = -1;
		CHECK(capture_dlt(c) == PG_DLT_EN10MB);
		capture_close(c);
	} else {
		frames = -1;
	}
	return frames;
}

/* Frames read from a file holding data; the in-memory reader must agree. */
static int count_frames(const uint8_t *data, size_t n, uint64_t *first_ts, uint64_t *last_ts)
{
	char path[64];
	uint64_t m_first = 0, m_last = 0;
	if (write_tmp(data, n, path) < 0)
		return -2;
	int frames = count_frames_via(data, n, path, first_ts, last_ts);
	unlink(path);
	CHECK(count_frames_via(data, n, NULL, &m_first, &m_last) == frames);
	if (frames > 0) {
		CHECK(!first_ts || *first_ts == m_first);
		CHECK(!last_ts || *last_ts == m_last);
	}
	return frames;
}

int main(void)
{
	uint8_t f[400], bad[400];
	size_t n = build_netmon(f);
	uint64_t t0 = 0, t1 = 0;

	CHECK(count_frames(f, n, &t0, &t1) == 2);
	CHECK(t0 == 1121507823063ull); /* 2005-07-16 09:57:03.063 UTC */
	CHECK(t1 - t0 == 1500);

	/* frame table beyond the file */
	memcpy(bad, f, n);
	put32(bad + 24, 1000);
	CHECK(count_frames(bad, n, NULL, NULL) == -1);
	/* a frame offset beyond the file: an error after the good frame */
	memcpy(bad, f, n);
	put32(bad + 284, 5000);
	CHECK(count_frames(bad, n, NULL, NULL) == -1);
	/* a captured length beyond the file */
	memcpy(bad, f, n);
	put32(bad + 204 + 12, 100000);
	CHECK(count_frames(bad, n, NULL, NULL) == -1);
	/* version 1.x and a media type other than Ethernet are refused */
	memcpy(bad, f, n);
	bad[5] = 1;
	CHECK(count_frames(bad, n, NULL, NULL) == -1);
	memcpy(bad, f, n);
	put16(bad + 6, 2);
	CHECK(count_frames(bad, n, NULL, NULL) == -1);
	/* every truncation is an error or fewer frames, never a crash */
	for (size_t cut = 0; cut < n; cut += 7)
		CHECK(count_frames(f, cut, NULL, NULL) < 2);

	/* pcap through libpcap: a raw-IP file with one packet */
	uint8_t p[64] = {0};
	put32(p, 0xa1b2c3d4);
	put16(p + 4, 2);
	put16(p + 6, 4);
	put32(p + 16, 65535);
	put32(p + 20, 101); /* LINKTYPE_RAW */
	put32(p + 24, 10);
	put32(p + 32, 20);
	put32(p + 36, 20);
	p[40] = 0x45;
	char path[64], err[256];
	CHECK(write_tmp(p, 60, path) == 0);
	struct capture *c = capture_open(path, err, sizeof(err));
	CHECK(c != NULL);
	if (c) {
		struct capture_frame fr;
		CHECK(capture_next(c, &fr, err, sizeof(err)) == 1 && fr.caplen == 20 && fr.ts_ms == 10000);
		CHECK(pg_dlt_supported(capture_dlt(c)));
		CHECK(capture_next(c, &fr, err, sizeof(err)) == 0);
		capture_close(c);
	}
	unlink(path);
	/* the same pcap from memory, then cut inside its packet record */
	c = capture_open_memory(p, 60, err, sizeof(err));
	CHECK(c != NULL);
	if (c) {
		struct capture_frame fr;
		CHECK(capture_next(c, &fr, err, sizeof(err)) == 1 && fr.caplen == 20 && fr.data[0] == 0x45);
		CHECK(capture_next(c, &fr, err, sizeof(err)) == 0);
		capture_close(c);
	}
	c = capture_open_memory(p, 50, err, sizeof(err));
	CHECK(c != NULL);
	if (c) {
		struct capture_frame fr;
		CHECK(capture_next(c, &fr, err, sizeof(err)) == -1 && err[0]);
		capture_close(c);
	}
	CHECK(capture_open_memory(p, 0, err, sizeof(err)) == NULL && err[0]);
	/* not a capture at all: a clear error */
	CHECK(write_tmp((const uint8_t *)"hello, not a capture", 20, path) == 0);
	CHECK(capture_open(path, err, sizeof(err)) == NULL && err[0]);
	unlink(path);
	CHECK(capture_open("/nonexistent/x.pcap", err, sizeof(err)) == NULL &&
	      strstr(err, "No such file") != NULL);
	return pg_test_summary("test_capture");
}
