/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Sources named in an eD2k server's answers (see ed2kpeers.h). */
#include "peergate/ed2kpeers.h"

#include <stdbool.h>

enum {
	ED2K_PROT_EDONKEY = 0xE3,
	ED2K_HEADER = 6,              /* protocol, 32-bit size, opcode */
	OP_FOUNDSOURCES = 0x42,
	OP_FOUNDSOURCES_OBFU = 0x44,
	FILE_HASH = 16,
	CRYPT_HAS_USERHASH = 0x80,    /* the obfuscation options byte's flag for
					 a user hash that follows */
	MAX_FRAME = 1 << 20,          /* a size past this is not eD2k */
};

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The sources of one answer: body is after the opcode, avail the bytes of
 * it at hand. */
static size_t read_sources(const uint8_t *body, size_t avail, bool obfu, pg_btpeer_cb cb,
			   void *ctx)
{
	size_t found = 0;

	if (avail < FILE_HASH + 1)
		return 0;
	unsigned count = body[FILE_HASH];
	size_t at = FILE_HASH + 1;
	for (unsigned i = 0; i < count; i++) {
		if (at + 6 > avail)
			break;
		const uint8_t *id = body + at;
		uint16_t port = (uint16_t)(body[at + 4] | body[at + 5] << 8);
		at += 6;
		if (obfu) {
			if (at + 1 > avail)
				break;
			if (body[at] & CRYPT_HAS_USERHASH)
				at += FILE_HASH;
			at++;
			if (at > avail)
				break;
		}
		/* A high ID is the client's address, in network order; a low
		 * ID (below 2^24, its last byte 0) names a firewalled client
		 * reached through the server. */
		if (id[3] == 0 || id[0] == 0 || port == 0)
			continue;
		cb(ctx, 4, id, port, PG_FEAT_DOWNLOAD);
		found++;
	}
	return found;
}

size_t pg_ed2kpeers_server(const uint8_t *p, size_t n, pg_btpeer_cb cb, void *ctx)
{
	size_t found = 0;

	while (n >= ED2K_HEADER && p[0] == ED2K_PROT_EDONKEY) {
		uint32_t size = le32(p + 1);
		if (size == 0 || size > MAX_FRAME)
			break;
		uint8_t op = p[5];
		size_t body = size - 1, avail = n - ED2K_HEADER;
		if (avail > body)
			avail = body;
		if (op == OP_FOUNDSOURCES || op == OP_FOUNDSOURCES_OBFU)
			found += read_sources(p + ED2K_HEADER, avail, op == OP_FOUNDSOURCES_OBFU,
					      cb, ctx);
		if (n - ED2K_HEADER <= body)
			break;
		p += ED2K_HEADER + body;
		n -= ED2K_HEADER + body;
	}
	return found;
}
