/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "peergate/decimal.h"

bool pg_parse_decimal(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		unsigned d = (unsigned)(*s - '0');
		/* Checked before the step, so that max = UINT64_MAX works. */
		if (d > max || v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}
