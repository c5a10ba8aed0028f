/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Feeds arbitrary bytes to the policy loader as a NUL-terminated string.
 * Beyond "no crash, no leak" it checks two invariants: a policy comes back
 * exactly when no error was reported, and the loader's line classifier
 * never disagrees with inih's (its "parser mismatch" message).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peergate/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pg_diag diag;
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	struct pg_policy *p = pg_policy_load_string(text, "fuzz.ini", &diag);
	if ((p == NULL) != (diag.count != 0))
		abort();
	unsigned kept = diag.count < PG_DIAG_MAX ? diag.count : PG_DIAG_MAX;
	for (unsigned i = 0; i < kept; i++) {
		/* Every message is "fuzz.ini:LINE: text" or "fuzz.ini: text";
		 * the text starts with fixed words, so input quoted later in a
		 * message cannot fake the mismatch marker. */
		const char *m = diag.msg[i];
		if (strncmp(m, "fuzz.ini:", 9) != 0)
			abort();
		m += 9;
		m += strspn(m, "0123456789");
		if (*m == ':')
			m++;
		if (strncmp(m, " line not understood (parser mismatch)", 38) == 0)
			abort();
	}
	if (p) {
		/* Exercise every query on what was accepted. */
		struct pg_policy *dflt = pg_policy_default();
		uint8_t addr[16] = { 10, 1, 2, 3 };
		for (int s = 0; s < PG_SYS_COUNT; s++) {
			for (int f = 0; f < PG_FEAT_COUNT; f++)
				if ((unsigned)pg_policy_action(p, (enum pg_system)s,
							       (enum pg_feature)f) > PG_ACTION_LOG)
					abort();
			(void)pg_policy_system_changed(p, dflt, (enum pg_system)s);
			(void)pg_policy_ports_enabled(p, (enum pg_system)s);
			const char *const *hosts;
			size_t n = pg_policy_hosts(p, (enum pg_system)s, &hosts);
			for (size_t i = 0; i < n; i++)
				if (!pg_host_pattern_check(hosts[i], NULL, 0))
					abort();
		}
		(void)pg_policy_exception_allow(p, 4, addr, addr);
		(void)pg_policy_exception_inspect(p, 6, addr, addr);
		FILE *null = fopen("/dev/null", "w");
		if (null) {
			pg_policy_print_summary(p, null);
			fclose(null);
		}
		pg_policy_destroy(dflt);
		pg_policy_destroy(p);
	}
	free(text);
	return 0;
}
