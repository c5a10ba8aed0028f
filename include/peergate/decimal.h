/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unsigned decimal numbers in configuration and state files: digits only,
 * no sign, no white space, so that a number means the same to every
 * reader whatever the locale.
 */
#ifndef PEERGATE_DECIMAL_H
#define PEERGATE_DECIMAL_H

#include <stdbool.h>
#include <stdint.h>

/* The value of s if it is one or more digits and at most max; false (out
 * untouched) otherwise. */
bool pg_parse_decimal(const char *s, uint64_t max, uint64_t *out);

#endif
