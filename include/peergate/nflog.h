/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Packets the kernel logs to an NFLOG group (nfnetlink_log), read without
 * holding them: the table logs a connection's SYN here instead of queueing
 * it, so the SYN goes on at once and the daemon still learns where the
 * client's stream starts (see syn_table.h).
 *
 * The kernel appends each logged packet to this socket while the packet
 * is in the hook (one message per packet: the queue threshold is 1), so a
 * message is readable here before any later packet of the same connection
 * can reach an NFQUEUE socket.  A reader that drains this socket after it
 * received a queued packet has therefore seen that connection's SYN,
 * unless the socket overflowed: those losses are counted.
 */
#ifndef PEERGATE_NFLOG_H
#define PEERGATE_NFLOG_H

#include <stddef.h>
#include <stdint.h>

struct pg_nflog;

/* Binds NFLOG group `group`, asking for the first copy_bytes of each
 * packet, with a receive buffer of rcvbuf bytes.  NULL with err filled
 * when the kernel has no nfnetlink_log or another program holds the
 * group. */
struct pg_nflog *pg_nflog_open(uint16_t group, uint32_t copy_bytes, uint32_t rcvbuf,
			       char *err, size_t errlen);
void pg_nflog_close(struct pg_nflog *l);

int pg_nflog_fd(const struct pg_nflog *l);

/* Reads every message waiting, without blocking, and calls fn with each
 * logged packet's network-layer bytes (as far as they were copied).
 * Returns how many packets were read, or -1 when the socket failed (err
 * filled).  A full socket buffer is no failure: it is counted
 * (pg_nflog_overruns). */
int pg_nflog_drain(struct pg_nflog *l, void (*fn)(void *ctx, const uint8_t *ip, size_t len),
		   void *ctx, char *err, size_t errlen);

/* Times the kernel reported that messages were dropped because the socket
 * was full (each report stands for one or more packets). */
uint64_t pg_nflog_overruns(const struct pg_nflog *l);

#endif
