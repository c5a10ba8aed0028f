/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Turn counting for a TCP conversation (see peergate/turns.h).
 */
#include "peergate/turns.h"

void pg_turns_add(struct pg_turns *t, bool client, size_t n)
{
	if (n == 0)
		return;
	if (t->count == 0) {
		t->count = 1;
		t->client_first = client;
		t->len[0] = 0;
	} else {
		/* turn i is the client's when (i even) == client_first */
		bool last_client = ((t->count - 1) % 2 == 0) == t->client_first;
		if (last_client != client) {
			if (t->count >= PG_TURNS_MAX)
				return;
			t->len[t->count++] = 0;
		}
	}
	uint32_t *len = &t->len[t->count - 1];
	*len = n > UINT32_MAX - *len ? UINT32_MAX : *len + (uint32_t)n;
}
