/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Private to the registry (systems.c) and its data file reader
 * (systems_read.c): the registry's layout.
 */
#ifndef PEERGATE_SYSTEMS_PRIV_H
#define PEERGATE_SYSTEMS_PRIV_H

#include "peergate/systems.h"

struct data_system {
	char name[PG_SYSTEM_NAME_MAX];    /* "" = free id */
	bool defined;                     /* false: retired, kept for its name */
	unsigned features;                /* bit set over enum pg_feature */
};

struct sig_host {
	char *pattern;
	enum pg_system system;
	enum pg_feature feature;
};

struct sig_range {
	struct pg_prefix prefix;
	enum pg_system system;
	enum pg_feature feature;
};

struct pg_systems {
	struct data_system data[PG_SYS_DATA_MAX];
	struct sig_host *hosts;
	size_t nhosts, cap_hosts;
	struct sig_range *ranges;
	size_t nranges, cap_ranges;
	struct pg_systems_port *ports;
	size_t nports, cap_ports;
	size_t files;
};

/* Appends; false when out of memory. */
bool sys_push_host(struct pg_systems *s, const char *pattern,
		   enum pg_system sys, enum pg_feature feat);
bool sys_push_range(struct pg_systems *s, const struct pg_prefix *p,
		    enum pg_system sys, enum pg_feature feat);
bool sys_push_port(struct pg_systems *s, const struct pg_systems_port *p);

/* The feature bit set of a built-in policed system. */
unsigned sys_builtin_features(enum pg_system sys);

#endif
