/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The error convention of the code that talks to the system (src/net, the
 * flow state file): a function that can fail takes (char *err, size_t
 * errlen) and, when it fails, leaves there one line saying what failed and
 * why.  err may be NULL, or errlen 0: no message.
 */
#ifndef PEERGATE_SETERR_H
#define PEERGATE_SETERR_H

#include <stddef.h>

__attribute__((format(printf, 3, 4)))
void pg_seterr(char *err, size_t errlen, const char *fmt, ...);

#endif
