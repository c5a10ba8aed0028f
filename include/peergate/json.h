/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef PEERGATE_JSON_H
#define PEERGATE_JSON_H

#include <stdio.h>

/* Writes s as a JSON string literal (quotes included). */
void pg_json_string(FILE *out, const char *s);

#endif
