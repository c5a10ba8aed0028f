/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Feeds arbitrary bytes to the systems' data file reader (systems.d) as one
 * file.  Beyond "no crash, no leak": a registry comes back exactly when no
 * error was reported, every message says "fuzz.conf:", and a registry's
 * signals all go into host rules (the reader checked every pattern, prefix
 * and port the rules take).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peergate/hosts.h"
#include "peergate/systems.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pg_diag diag;
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	struct pg_systems *s = pg_systems_load_string(text, "fuzz.conf", NULL, &diag);
	if ((s == NULL) != (diag.count != 0))
		abort();
	unsigned kept = diag.count < PG_DIAG_MAX ? diag.count : PG_DIAG_MAX;
	for (unsigned i = 0; i < kept; i++)
		if (strncmp(diag.msg[i], "fuzz.conf:", 10) != 0)
			abort();
	if (s) {
		struct pg_host_rules *r = pg_host_rules_create();
		if (!r || !pg_systems_add_signals(s, r))
			abort();
		for (int id = PG_SYS_DATA_FIRST; id <= PG_SYS_DATA_LAST; id++) {
			enum pg_system back;
			const char *name = pg_systems_name(s, (enum pg_system)id);
			if (pg_systems_defined(s, (enum pg_system)id) &&
			    (!pg_systems_from_name(s, name, &back) || (int)back != id))
				abort();
		}
		pg_host_rules_destroy(r);
	}
	pg_systems_destroy(s);
	free(text);
	return 0;
}
