/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Handshake shapes of encrypted P2P protocols that have no plaintext:
 * BitTorrent's Message Stream Encryption (MSE/PE) and eMule's protocol
 * obfuscation.  Pure functions over what a TCP flow has shown so far: the
 * sizes of its turns (the bytes one side sends before the other answers)
 * and the first bytes of each direction.  They say whether the bytes have
 * the shape; the caller adds what else it knows (no known protocol matched,
 * the port, a peer learned from the swarm) before it names a system.
 */
#ifndef PEERGATE_SHAPE_H
#define PEERGATE_SHAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "peergate/heuristics.h"
#include "peergate/turns.h"



/* True when n bytes (n >= 16) look uniformly random: many distinct byte
 * values for their number, none repeated far beyond chance, and not
 * mostly text.  Ciphertext, keys and random padding pass; text, TLV
 * framing and headers do not. */
bool pg_bytes_look_random(const uint8_t *p, size_t n);

/* BitTorrent MSE/PE (the Message Stream Encryption specification):
 *   1 A->B  Ya (96 bytes) + PadA (0-512)       -> 96..608 random bytes
 *   2 B->A  Yb (96 bytes) + PadB (0-512)       -> 96..608 random bytes
 *   3 A->B  HASH('req1',S) (20) + HASH('req2',SKEY)^HASH('req3',S) (20)
 *           + ENCRYPT(VC 8, crypto_provide 4, len(PadC) 2, PadC 0-512,
 *           len(IA) 2) + ENCRYPT(IA)            -> at least 56 bytes
 *   4 B->A  ENCRYPT(VC, crypto_select, len(PadD), PadD) + payload
 * YES once turns 1-3 have those sizes (the client speaking first) and
 * the first two turns' bytes look random.  c2s / s2c are the first bytes
 * of each direction (at least the first turn's, when available). */
enum pg_shape pg_shape_mse(const struct pg_turns *t, const uint8_t *c2s, size_t c2s_len,
			   const uint8_t *s2c, size_t s2c_len);

/* eMule protocol obfuscation, client to client (EncryptedStreamSocket):
 *   A: marker (1, not an eD2k protocol byte) + key part (4) + magic (4)
 *      + methods (1) + preferred (1) + padlen (1) + pad (0-255) -> 12..267
 *   B: magic (4) + method (1) + padlen (1) + pad (0-255)        -> 6..261
 *   A: the encrypted eD2k hello
 * YES once the three turns are seen with those sizes.  Short turns say
 * little: the caller uses this only with another signal (the port). */
enum pg_shape pg_shape_emule_client(const struct pg_turns *t, const uint8_t *c2s,
				    size_t c2s_len);

/* eMule obfuscation to a server (Diffie-Hellman):
 *   A: marker (1) + g^a (96) + random (0-15)                   -> 97..112
 *   B: g^b (96) + encrypted magic, method, padlen, pad (0-15)   -> 102..117
 * YES once both turns are seen with those sizes and look random.  These
 * sizes fall inside MSE's, so the caller tells them apart by port. */
enum pg_shape pg_shape_emule_server(const struct pg_turns *t, const uint8_t *c2s,
				    size_t c2s_len, const uint8_t *s2c, size_t s2c_len);

/* Ports BitTorrent and eMule software listen on by default. */
bool pg_shape_bittorrent_port(uint16_t port);
bool pg_shape_emule_client_port(uint16_t port);
bool pg_shape_emule_server_port(uint16_t port);

/* IRC and XMPP over TLS: the chat system a TLS flow's SNI (host, may be
 * NULL) and server port suggest.  Returns 0 for none, else the confidence
 * the match deserves: a name of the form irc.* / xmpp.* says more than the
 * port (6697 ircs-u; 5223, legacy XMPP TLS, only with a name that is not
 * Apple's: Apple's push service uses 5223 too, often with no name).  *irc
 * is true for IRC, false for XMPP. */
unsigned pg_shape_tls_chat(const char *host, size_t host_len, uint16_t server_port,
			   bool *irc);

#endif
