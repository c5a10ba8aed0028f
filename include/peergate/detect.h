/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The detector interface.  A detector is a pure function over the payload
 * bytes a flow has carried so far: no I/O, no globals, no allocation.  The
 * engine calls every detector still in play on each inspected payload
 * packet, in either direction, until one matches with enough confidence or
 * the flow's inspection budget is spent.
 */
#ifndef PEERGATE_DETECT_H
#define PEERGATE_DETECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "peergate/direction.h"
#include "peergate/expect.h"
#include "peergate/taxonomy.h"

/* Confidence levels.  A match at or above PG_CONF_DECIDE ends inspection. */
enum {
	PG_CONF_PORT = 10,    /* a port-table hint only */
	PG_CONF_WEAK = 40,    /* heuristic: keep inspecting, report if nothing better */
	PG_CONF_DECIDE = 70,
	PG_CONF_STRONG = 90,  /* framing and lengths check out */
	PG_CONF_CERTAIN = 100,
};

struct pg_detect_input {
	uint8_t l4proto;          /* IPPROTO_TCP or IPPROTO_UDP */
	uint8_t family;           /* 4 or 6 */
	enum pg_dir dir;          /* direction of this packet */
	uint16_t client_port;
	uint16_t server_port;
	const uint8_t *client_addr; /* 4 or 16 bytes, per family */
	const uint8_t *server_addr;
	unsigned index;           /* 0-based count of payload packets before this
				     one in this direction */
	const uint8_t *payload;   /* this packet's payload */
	size_t payload_len;
	/* TCP: the in-order bytes this direction has sent since its first
	 * payload, this packet included, capped at the engine's inspection
	 * buffer.  UDP: the same as payload. */
	const uint8_t *stream;
	size_t stream_len;
	/* The same for the other direction (may be empty). */
	const uint8_t *other_stream;
	size_t other_len;
	/* Packets with payload seen so far per direction, this one included. */
	unsigned c2s_packets, s2c_packets;
	/* TCP flow seen from its handshake: each direction's stream starts at
	 * the first byte of the application protocol, so a detector may rule
	 * its protocol out on the first payload instead of allowing for a
	 * capture (or a gateway restart) that joined the session midway. */
	bool from_start;
};

struct pg_detect_result {
	enum pg_system system;
	enum pg_feature feature;
	enum pg_method method;    /* usually PG_METHOD_PAYLOAD */
	uint8_t confidence;       /* PG_CONF_* */
	/* A host name the bytes name (TLS SNI, HTTP Host, CONNECT, SOCKS 4a/5,
	 * XMPP to=).  Points into the input; the engine matches it against the
	 * host patterns.  Not NUL-terminated. */
	const char *host;
	size_t host_len;
	struct pg_expectation expect;
	/* Room for a host name a detector had to decode (QUIC's SNI is only in
	 * decrypted bytes): host may point here.  Kept last: the engine clears
	 * the fields before it, not this buffer, between calls. */
#define PG_DETECT_HOST_BUF 256
	char host_buf[PG_DETECT_HOST_BUF];
};

enum pg_detect_status {
	PG_DETECT_NO = 0,   /* cannot be this protocol: not asked again for this flow */
	PG_DETECT_MAYBE,    /* not yet: ask again with the next packet */
	PG_DETECT_MATCH,    /* *out filled in */
};

enum { PG_L4_TCP = 1, PG_L4_UDP = 2 };

struct pg_detector {
	const char *name;
	unsigned l4_mask;          /* PG_L4_TCP | PG_L4_UDP */
	enum pg_detect_status (*fn)(const struct pg_detect_input *in,
				    struct pg_detect_result *out);
	/* Optional: a system whose wire format this detector recognises in
	 * every case (no encrypted or mid-stream variant).  When it rules a
	 * flow out while the flow's only evidence is that system's port, the
	 * port hint is dropped: other software on 5222 is not XMPP. */
	enum pg_system vetoes_port_of;
};

/* A list of detectors the engine asks in order, NULL-terminated, and whether
 * they find IM/P2P systems (policed) or ordinary protocols and host names.
 * The engine takes its detectors as an array of groups, ended by a group
 * whose list is NULL (pg_engine_config.detectors); src/detect provides the
 * standard set (peergate/detect_registry.h), so the engine itself names no
 * detector. */
struct pg_detector_group {
	const struct pg_detector *const *list;
	bool policed;
};

/* Helper to fill a payload match. */
static inline enum pg_detect_status
pg_match(struct pg_detect_result *out, enum pg_system sys,
	 enum pg_feature feat, uint8_t confidence)
{
	out->system = sys;
	out->feature = feat;
	out->method = PG_METHOD_PAYLOAD;
	out->confidence = confidence;
	return PG_DETECT_MATCH;
}

#endif
