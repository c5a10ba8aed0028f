/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Handshake shapes of encrypted P2P protocols (see peergate/shape.h).
 * Sizes come from the MSE specification and from the handshake layout that
 * eMule documents in EncryptedStreamSocket; nothing here decrypts.
 */
#include "peergate/shape.h"

#include <string.h>

enum {
	MSE_KEY = 96,             /* a 768-bit Diffie-Hellman public value */
	MSE_PAD_MAX = 512,
	MSE_MSG3_MIN = 20 + 20 + 8 + 4 + 2 + 2, /* two hashes, VC, provide, two lengths */
	EMULE_C_MIN = 12, EMULE_C_MAX = 12 + 255,
	EMULE_S_MIN = 6, EMULE_S_MAX = 6 + 255,
	EMULE_DH_C_MIN = 1 + 96, EMULE_DH_C_MAX = 1 + 96 + 15,
	EMULE_DH_S_MIN = 96 + 6, EMULE_DH_S_MAX = 96 + 6 + 15,
	/* The bytes a randomness test reads: one MSE message at most. */
	RANDOM_WINDOW = MSE_KEY + MSE_PAD_MAX,
};

bool pg_bytes_look_random(const uint8_t *p, size_t n)
{
	if (n < 16)
		return false;
	if (n > RANDOM_WINDOW)
		n = RANDOM_WINDOW;
	unsigned count[256] = {0};
	size_t distinct = 0, text = 0, top = 0;
	for (size_t i = 0; i < n; i++) {
		if (count[p[i]]++ == 0)
			distinct++;
		if (count[p[i]] > top)
			top = count[p[i]];
		if ((p[i] >= 0x20 && p[i] < 0x7f) || p[i] == '\r' || p[i] == '\n' || p[i] == '\t')
			text++;
	}
	/* The distinct values n uniform draws give: 256 (1 - (255/256)^n).
	 * Random bytes land within a few of it; ask for 85% of it, which text
	 * and structured binary miss by far (a 96-byte message: 68 of 80). */
	double miss = 1.0;
	for (size_t i = 0; i < n; i++)
		miss *= 255.0 / 256.0;
	double expect = 256.0 * (1.0 - miss);
	if ((double)distinct < 0.85 * expect)
		return false;
	/* No value much more often than chance (zero runs, repeated fields). */
	if (top > 6 + n / 32)
		return false;
	/* Printable bytes are 98 of 256 values: random bytes are about 38%
	 * text, never three quarters. */
	return text * 4 < n * 3;
}

static size_t min_size(size_t a, size_t b)
{
	return a < b ? a : b;
}

/* The first turn is a known protocol's opening after all: a TLS record,
 * SSH's banner, an HTTP method, BitTorrent's plaintext handshake.  The
 * engine's detectors rule these out first; this keeps the pure function
 * honest on its own. */
static bool known_opening(const uint8_t *p, size_t n)
{
	static const char *const prefixes[] = {
		"SSH-", "GET ", "POST ", "HEAD ", "PUT ", "CONNECT ", "OPTIONS ",
		/* two literals: \x13B would read as one hex escape */
		("\x13" "BitTorrent protocol"),
	};
	if (n >= 3 && p[0] >= 0x14 && p[0] <= 0x17 && p[1] == 0x03 && p[2] <= 0x04)
		return true;
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t k = strlen(prefixes[i]);
		if (n >= k && memcmp(p, prefixes[i], k) == 0)
			return true;
	}
	return false;
}

/* A first turn that opens with its own length (2 or 4 bytes, big or
 * little endian, with or without the prefix counted) is framed: a
 * length-prefixed protocol (OpenVPN over TCP, many RPCs), not a
 * Diffie-Hellman value, whose first bytes carry no such relation (a chance
 * of about 1 in 16000 for random bytes). */
static bool length_framed(const uint8_t *p, size_t avail, uint32_t turn)
{
	if (avail < 4)
		return false;
	uint32_t be16 = (uint32_t)p[0] << 8 | p[1], le16 = (uint32_t)p[1] << 8 | p[0];
	uint32_t be32 = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	uint32_t le32 = (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
	return be16 == turn || be16 + 2 == turn || le16 == turn || le16 + 2 == turn ||
	       be32 == turn || be32 + 4 == turn || le32 == turn || le32 + 4 == turn;
}

enum pg_shape pg_shape_mse(const struct pg_turns *t, const uint8_t *c2s, size_t c2s_len,
			   const uint8_t *s2c, size_t s2c_len)
{
	if (t->count == 0)
		return PG_SHAPE_MAYBE;
	if (!t->client_first)
		return PG_SHAPE_NO; /* the initiator speaks first */
	/* Turn 1: Ya and PadA, still arriving while below 96 bytes. */
	if (t->len[0] > MSE_KEY + MSE_PAD_MAX)
		return PG_SHAPE_NO;
	if (t->len[0] < MSE_KEY)
		return t->count == 1 ? PG_SHAPE_MAYBE : PG_SHAPE_NO;
	size_t n1 = min_size(c2s_len, t->len[0]);
	if (known_opening(c2s, c2s_len) || (n1 >= MSE_KEY && !pg_bytes_look_random(c2s, n1)))
		return PG_SHAPE_NO;
	if (t->count > 1 && length_framed(c2s, c2s_len, t->len[0]))
		return PG_SHAPE_NO;
	if (t->count == 1)
		return PG_SHAPE_MAYBE;
	/* Turn 2: Yb and PadB, complete once the initiator speaks again. */
	if (t->len[1] > MSE_KEY + MSE_PAD_MAX)
		return PG_SHAPE_NO;
	if (t->len[1] < MSE_KEY)
		return t->count == 2 ? PG_SHAPE_MAYBE : PG_SHAPE_NO;
	size_t n2 = min_size(s2c_len, t->len[1]);
	if (n2 < MSE_KEY || known_opening(s2c, s2c_len) || !pg_bytes_look_random(s2c, n2))
		return PG_SHAPE_NO;
	if (t->count > 2 && length_framed(s2c, s2c_len, t->len[1]))
		return PG_SHAPE_NO;
	if (n1 < MSE_KEY)
		return PG_SHAPE_MAYBE; /* the caller could not show turn 1's bytes */
	if (t->count == 2)
		return PG_SHAPE_MAYBE;
	/* Turn 3: the synchronisation hashes and the encrypted VC and
	 * lengths, at least 56 bytes; the responder cannot answer (turn 4)
	 * before all of them arrived. */
	if (t->len[2] < MSE_MSG3_MIN)
		return t->count == 3 ? PG_SHAPE_MAYBE : PG_SHAPE_NO;
	return PG_SHAPE_YES;
}

/* eD2k's protocol bytes, which an obfuscated opening's marker avoids. */
static bool ed2k_marker(uint8_t b)
{
	return b == 0xe3 || b == 0xc5 || b == 0xd4 || b == 0xe4 || b == 0xe5;
}

enum pg_shape pg_shape_emule_client(const struct pg_turns *t, const uint8_t *c2s,
				    size_t c2s_len)
{
	if (t->count == 0)
		return PG_SHAPE_MAYBE;
	if (!t->client_first || t->len[0] > EMULE_C_MAX)
		return PG_SHAPE_NO;
	if (c2s_len >= 1 && ed2k_marker(c2s[0]))
		return PG_SHAPE_NO;
	if (c2s_len >= 4 && known_opening(c2s, c2s_len))
		return PG_SHAPE_NO;
	if (t->len[0] < EMULE_C_MIN)
		return t->count == 1 ? PG_SHAPE_MAYBE : PG_SHAPE_NO;
	/* Random key part, magic and padding: no long runs of one value. */
	size_t n1 = min_size(c2s_len, t->len[0]);
	if (n1 >= 16 && !pg_bytes_look_random(c2s, n1))
		return PG_SHAPE_NO;
	if (n1 >= 12 && n1 < 16) {
		unsigned zeros = 0;
		for (size_t i = 0; i < n1; i++)
			zeros += c2s[i] == 0;
		if (zeros > 3)
			return PG_SHAPE_NO;
	}
	if (t->count == 1)
		return PG_SHAPE_MAYBE;
	if (t->len[1] > EMULE_S_MAX)
		return PG_SHAPE_NO;
	if (t->len[1] < EMULE_S_MIN)
		return t->count == 2 ? PG_SHAPE_MAYBE : PG_SHAPE_NO;
	if (t->count == 2)
		return PG_SHAPE_MAYBE;
	return PG_SHAPE_YES;
}

enum pg_shape pg_shape_emule_server(const struct pg_turns *t, const uint8_t *c2s,
				    size_t c2s_len, const uint8_t *s2c, size_t s2c_len)
{
	if (t->count == 0)
		return PG_SHAPE_MAYBE;
	if (!t->client_first || t->len[0] > EMULE_DH_C_MAX)
		return PG_SHAPE_NO;
	if (c2s_len >= 1 && ed2k_marker(c2s[0]))
		return PG_SHAPE_NO;
	if (t->len[0] < EMULE_DH_C_MIN)
		return t->count == 1 ? PG_SHAPE_MAYBE : PG_SHAPE_NO;
	size_t n1 = min_size(c2s_len, t->len[0]);
	if (n1 < EMULE_DH_C_MIN || known_opening(c2s, c2s_len) || !pg_bytes_look_random(c2s, n1))
		return PG_SHAPE_NO;
	if (t->count == 1)
		return PG_SHAPE_MAYBE;
	if (t->len[1] > EMULE_DH_S_MAX)
		return PG_SHAPE_NO;
	if (t->len[1] < EMULE_DH_S_MIN)
		return t->count == 2 ? PG_SHAPE_MAYBE : PG_SHAPE_NO;
	size_t n2 = min_size(s2c_len, t->len[1]);
	if (n2 < EMULE_DH_S_MIN || !pg_bytes_look_random(s2c, n2))
		return PG_SHAPE_NO;
	return PG_SHAPE_YES;
}

bool pg_shape_bittorrent_port(uint16_t port)
{
	return (port >= 6881 && port <= 6889) || port == 51413;
}

bool pg_shape_emule_client_port(uint16_t port)
{
	return port == 4662;
}

bool pg_shape_emule_server_port(uint16_t port)
{
	return port == 4661 || port == 4242;
}

static bool ci_prefix(const char *s, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);
	if (n < k)
		return false;
	for (size_t i = 0; i < k; i++) {
		char c = s[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != prefix[i])
			return false;
	}
	return true;
}

static bool ci_suffix(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);
	return n >= k && ci_prefix(s + n - k, k, suffix);
}

unsigned pg_shape_tls_chat(const char *host, size_t host_len, uint16_t server_port,
			   bool *irc)
{
	if (!host)
		host_len = 0;
	/* a name with a dot after the label: irc.libera.chat, not irc-tools.com */
	if (host_len > 4 && ci_prefix(host, host_len, "irc.")) {
		*irc = true;
		return PG_CONF_HEUR_PORT;
	}
	if (host_len > 5 && ci_prefix(host, host_len, "xmpp.")) {
		*irc = false;
		return PG_CONF_HEUR_PORT;
	}
	if (server_port == 6697) {
		*irc = true;
		return PG_CONF_HEUR_SHAPE;
	}
	/* 5223 is mostly Apple's push service, which sends no name or one of
	 * its own: only another name makes it XMPP's legacy TLS port. */
	if (server_port == 5223 && host_len > 0 && !ci_suffix(host, host_len, ".apple.com") &&
	    !(host_len == 9 && ci_prefix(host, host_len, "apple.com"))) {
		*irc = false;
		return PG_CONF_HEUR_SHAPE;
	}
	return 0;
}
