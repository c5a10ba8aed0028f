/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Bencoding (BEP 3), read in place: the BitTorrent detector and the peer
 * lists of trackers and DHT answers (btpeers.c) share it.
 */
#ifndef PEERGATE_DETECT_BENCODE_H
#define PEERGATE_DETECT_BENCODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Parses a byte string "<len>:<bytes>" at p[*i]; sets *s and *slen and
 * moves *i past it. */
bool pg_benc_string(const uint8_t *p, size_t len, size_t *i,
		    const uint8_t **s, size_t *slen);

/* Skips one bencoded value at p[*i]; false when it is malformed or runs
 * past the end.  Nesting deeper than 16 - depth is refused. */
bool pg_benc_skip(const uint8_t *p, size_t len, size_t *i, int depth);

#endif
