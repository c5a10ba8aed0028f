/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The service manager's notification protocol (sd_notify(3)), spoken
 * directly: one datagram of newline-separated VAR=value assignments to the
 * AF_UNIX socket named by $NOTIFY_SOCKET.  Without a service manager
 * listening (no $NOTIFY_SOCKET) every call is a no-op, so the daemon runs
 * the same in a terminal.
 */
#ifndef PEERGATE_SDNOTIFY_H
#define PEERGATE_SDNOTIFY_H

#include <stddef.h>

struct pg_sdnotify;

/* Reads $NOTIFY_SOCKET, and $WATCHDOG_USEC / $WATCHDOG_PID for the
 * watchdog.  Returns NULL with err empty when there is no socket to talk
 * to, NULL with err filled when $NOTIFY_SOCKET is unusable (not a path or
 * an abstract name, too long) or no socket could be created. */
struct pg_sdnotify *pg_sdnotify_open(char *err, size_t errlen);

/* Sends state, e.g. "READY=1\nSTATUS=running".  Returns 0 (also for NULL
 * n), or -1 with errno set when the datagram could not be sent. */
int pg_sdnotify_send(const struct pg_sdnotify *n, const char *state);

/* "RELOADING=1" with the MONOTONIC_USEC= stamp the protocol asks for. */
int pg_sdnotify_reloading(const struct pg_sdnotify *n);

/* How often to send "WATCHDOG=1", in milliseconds: half the watchdog
 * timeout the manager set for this process, or 0 when it set none (also
 * for NULL n). */
unsigned pg_sdnotify_watchdog_ms(const struct pg_sdnotify *n);

/* Closes the socket.  NULL is fine. */
void pg_sdnotify_close(struct pg_sdnotify *n);

#endif
