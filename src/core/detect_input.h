/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * How the engine builds a detector's input.  Internal to the project: the
 * engine calls it for every detector run, and the unit tests' harness
 * (test/unit/detect_harness.h) calls it too, so that a detector under test
 * sees what the engine would hand it.
 */
#ifndef PEERGATE_CORE_DETECT_INPUT_H
#define PEERGATE_CORE_DETECT_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "peergate/detect.h"
#include "peergate/flow.h"
#include "peergate/packet.h"

/* The bytes a detector reads besides the packet, as the caller keeps them:
 * the bytes new to the detectors since their last run (TCP: what this
 * segment completed in order, or more when runs were spaced out; NULL: the
 * packet's payload), this direction's stream (TCP: reassembled, this packet
 * included; UDP: the datagram) and the other direction's. */
struct pg_detect_bytes {
	const uint8_t *fresh;
	size_t fresh_len;
	const uint8_t *stream;
	size_t stream_len;
	const uint8_t *other;     /* may be NULL */
	size_t other_len;
	bool from_start;          /* the stream starts at the session's first byte */
};

/* The input for payload packet p of flow f travelling in direction dir;
 * index counts the payload packets of that direction before it.  The packet
 * counters come from f.  bytes NULL: the packet is read on its own (its
 * payload is the stream, the other direction is empty), as for a decided
 * flow that is only watched for announcements. */
struct pg_detect_input pg_detect_input_of(const struct pg_flow *f, enum pg_dir dir,
					  const struct pg_packet *p, unsigned index,
					  const struct pg_detect_bytes *bytes);

#endif
