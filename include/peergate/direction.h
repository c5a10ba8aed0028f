/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Which way a packet travels within its flow.  Its own header because the
 * flow table, the expectation table and the detectors all speak of it, and
 * none of them should have to include another's interface for it.
 */
#ifndef PEERGATE_DIRECTION_H
#define PEERGATE_DIRECTION_H

/* The client is the side that opened the flow (sent the SYN, or the first
 * datagram); a flow first seen mid-stream takes the side holding the
 * service port as the server. */
enum pg_dir { PG_DIR_C2S = 0, PG_DIR_S2C = 1 };

#endif
