/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Capture files: pcap and pcapng through libpcap, and Microsoft Network
 * Monitor 2.x files (which libpcap does not read) through our own reader.
 */
#ifndef PEERGATE_CAPTURE_H
#define PEERGATE_CAPTURE_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

struct capture;

struct capture_frame {
	uint64_t ts_ms;           /* capture clock, milliseconds */
	const uint8_t *data;
	size_t caplen;
};

/* Opens a capture; NULL with a message in err. */
struct capture *capture_open(const char *path, char *err, size_t errlen);
/* The same over a capture held in memory (copied: data may go away once
 * this returns).  What the fuzz target reads captures through. */
struct capture *capture_open_memory(const void *data, size_t len, char *err,
				    size_t errlen);
/* A capture read from a stream as it comes (standard input: `tcpdump -w -
 * | peergatectl classify -`): pcap or pcapng only, since a Network Monitor
 * file keeps its frame table at the end.  f is closed by capture_close. */
struct capture *capture_open_stream(FILE *f, char *err, size_t errlen);
/* Live frames from an interface (libpcap; needs CAP_NET_RAW), delivered
 * as they arrive.  Nothing is ever sent or dropped: it only reads. */
struct capture *capture_open_live(const char *iface, char *err, size_t errlen);
void capture_close(struct capture *c);

/* A live capture's descriptor for poll(), -1 for files. */
int capture_fd(const struct capture *c);

/* The link type as a libpcap DLT value. */
int capture_dlt(const struct capture *c);

/* 1: a frame; 0: end of file; -1: read error (message in err);
 * CAPTURE_NONE_YET: a live capture has no frame waiting. */
enum { CAPTURE_NONE_YET = 2 };
int capture_next(struct capture *c, struct capture_frame *f, char *err, size_t errlen);

#endif
