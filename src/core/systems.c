/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The systems registry: names and features of the built-in and the data
 * systems, and the signals the data files give them.  Reading the files is
 * systems_read.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peergate/hosts.h"
#include "peergate/paths.h"

#include "systems_priv.h"

void pg_systems_destroy(struct pg_systems *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nhosts; i++)
		free(s->hosts[i].pattern);
	free(s->hosts);
	free(s->ranges);
	free(s->ports);
	free(s);
}

/* Grows a vector by one element; false when out of memory. */
static bool grow(void **v, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return true;
	size_t ncap = *cap ? *cap * 2 : 32;
	void *nv = realloc(*v, ncap * size);
	if (!nv)
		return false;
	*v = nv;
	*cap = ncap;
	return true;
}

bool sys_push_host(struct pg_systems *s, const char *pattern,
		   enum pg_system sys, enum pg_feature feat)
{
	if (!grow((void **)&s->hosts, &s->cap_hosts, s->nhosts, sizeof(*s->hosts)))
		return false;
	char *copy = strdup(pattern);
	if (!copy)
		return false;
	s->hosts[s->nhosts++] = (struct sig_host){ copy, sys, feat };
	return true;
}

bool sys_push_range(struct pg_systems *s, const struct pg_prefix *p,
		    enum pg_system sys, enum pg_feature feat)
{
	if (!grow((void **)&s->ranges, &s->cap_ranges, s->nranges, sizeof(*s->ranges)))
		return false;
	s->ranges[s->nranges++] = (struct sig_range){ *p, sys, feat };
	return true;
}

bool sys_push_port(struct pg_systems *s, const struct pg_systems_port *p)
{
	if (!grow((void **)&s->ports, &s->cap_ports, s->nports, sizeof(*s->ports)))
		return false;
	s->ports[s->nports++] = *p;
	return true;
}

unsigned sys_builtin_features(enum pg_system sys)
{
	enum pg_feature f[PG_FEAT_COUNT];
	size_t n = pg_system_features(sys, f, PG_FEAT_COUNT);
	unsigned bits = 0;

	for (size_t i = 0; i < n; i++)
		bits |= 1u << f[i];
	return bits;
}

static const struct data_system *data_at(const struct pg_systems *s, enum pg_system sys)
{
	if (!s || !pg_system_is_data(sys))
		return NULL;
	const struct data_system *d = &s->data[sys - PG_SYS_DATA_FIRST];
	return d->name[0] ? d : NULL;
}

const char *pg_systems_name(const struct pg_systems *s, enum pg_system sys)
{
	const struct data_system *d = data_at(s, sys);

	return d ? d->name : pg_system_name(sys);
}

bool pg_systems_from_name(const struct pg_systems *s, const char *name,
			  enum pg_system *out)
{
	if (pg_system_from_name(name, out))
		return true;
	for (unsigned i = 0; s && i < PG_SYS_DATA_MAX; i++) {
		if (s->data[i].name[0] && strcmp(s->data[i].name, name) == 0) {
			*out = (enum pg_system)(PG_SYS_DATA_FIRST + i);
			return true;
		}
	}
	return false;
}

bool pg_systems_defined(const struct pg_systems *s, enum pg_system sys)
{
	if (pg_system_is_data(sys)) {
		const struct data_system *d = data_at(s, sys);
		return d && d->defined;
	}
	return pg_system_is_policed(sys);
}

bool pg_systems_feature_valid(const struct pg_systems *s, enum pg_system sys,
			      enum pg_feature feat)
{
	if (!pg_system_is_data(sys))
		return pg_feature_valid_for(sys, feat);
	const struct data_system *d = data_at(s, sys);
	if (!d || !d->defined || (unsigned)feat >= PG_FEAT_COUNT)
		return false;
	if (feat == PG_FEAT_ANY || feat == PG_FEAT_HTTP_TUNNEL)
		return true;
	return (d->features >> feat) & 1u;
}

bool pg_systems_add_signals(const struct pg_systems *s, struct pg_host_rules *r)
{
	for (size_t i = 0; s && i < s->nhosts; i++)
		if (!pg_host_rules_add(r, s->hosts[i].pattern, s->hosts[i].system,
				       s->hosts[i].feature))
			return false;
	for (size_t i = 0; s && i < s->nranges; i++)
		if (!pg_host_rules_add_range(r, &s->ranges[i].prefix, s->ranges[i].system,
					     s->ranges[i].feature))
			return false;
	for (size_t i = 0; s && i < s->nports; i++)
		if (!pg_host_rules_add_ports(r, s->ports[i].l4proto, s->ports[i].lo,
					     s->ports[i].hi, s->ports[i].system,
					     s->ports[i].feature))
			return false;
	return true;
}

size_t pg_systems_ports(const struct pg_systems *s, const struct pg_systems_port **out)
{
	*out = s ? s->ports : NULL;
	return s ? s->nports : 0;
}

void pg_systems_get_counts(const struct pg_systems *s, struct pg_systems_counts *out)
{
	memset(out, 0, sizeof(*out));
	if (!s)
		return;
	out->files = s->files;
	for (unsigned i = 0; i < PG_SYS_DATA_MAX; i++)
		out->systems += s->data[i].defined;
	out->hosts = s->nhosts;
	out->ranges = s->nranges;
	out->ports = s->nports;
}

size_t pg_systems_default_dirs(const char **out, size_t max, char *buf, size_t buflen)
{
	const char *env = getenv("PEERGATE_SYSTEMS_DIRS");
	size_t n = 0;

	if (env && *env && buflen) {
		char *save = NULL;
		snprintf(buf, buflen, "%s", env);
		for (char *tok = strtok_r(buf, ":", &save); tok && n < max;
		     tok = strtok_r(NULL, ":", &save))
			out[n++] = tok;
		return n;
	}
	if (max > 0)
		out[n++] = PG_PATH_SYSTEMS_DIR;
	if (max > 1)
		out[n++] = PG_PATH_SYSTEMS_ETC_DIR;
	return n;
}
