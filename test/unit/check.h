/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A small test harness: CHECK records a failure with file:line and goes on;
 * pg_test_summary prints "N passed, N failed" and returns the exit code.
 */
#ifndef PEERGATE_TEST_CHECK_H
#define PEERGATE_TEST_CHECK_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned pg_test_passed, pg_test_failed;

#define CHECK(cond)                                                         \
	do {                                                                \
		if (cond) {                                                 \
			pg_test_passed++;                                   \
		} else {                                                    \
			pg_test_failed++;                                   \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n",        \
				__FILE__, __LINE__, #cond);                 \
		}                                                           \
	} while (0)

#define CHECK_STR(a, b)                                                     \
	do {                                                                \
		const char *pg_a_ = (a), *pg_b_ = (b);                      \
		if (pg_a_ && pg_b_ && strcmp(pg_a_, pg_b_) == 0) {          \
			pg_test_passed++;                                   \
		} else {                                                    \
			pg_test_failed++;                                   \
			fprintf(stderr, "%s:%d: \"%s\" != \"%s\"\n",        \
				__FILE__, __LINE__, pg_a_ ? pg_a_ : "(null)", \
				pg_b_ ? pg_b_ : "(null)");                  \
		}                                                           \
	} while (0)

/* Decodes a hex string (spaces allowed) into buf; returns the length. */
static inline size_t pg_hex(const char *hex, uint8_t *buf, size_t cap)
{
	size_t n = 0;
	int hi = -1;
	for (const char *p = hex; *p; p++) {
		int v;
		if (*p >= '0' && *p <= '9')
			v = *p - '0';
		else if (*p >= 'a' && *p <= 'f')
			v = *p - 'a' + 10;
		else if (*p >= 'A' && *p <= 'F')
			v = *p - 'A' + 10;
		else
			continue;
		if (hi < 0) {
			hi = v;
		} else {
			if (n < cap)
				buf[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	return n;
}

static inline int pg_test_summary(const char *name)
{
	printf("%s: %u passed, %u failed\n", name, pg_test_passed, pg_test_failed);
	return pg_test_failed ? 1 : 0;
}

#endif
