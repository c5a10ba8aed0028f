/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The detectors peergate ships (library pgdetect, src/detect/): the one
 * place that knows them all.  Whoever builds an engine hands it
 * pg_detector_registry() through pg_engine_config.detectors; the engine
 * (pgcore) does not link against the detectors.
 */
#ifndef PEERGATE_DETECT_REGISTRY_H
#define PEERGATE_DETECT_REGISTRY_H

#include "peergate/detect.h"
#include "peergate/heuristics.h"

/* One NULL-terminated list per family file: src/detect/paper.c (the six
 * systems of the paper and their tunnels), src/detect/modern.c (later
 * IM/P2P systems) and src/detect/common.c (ordinary protocols and host
 * extractors: HTTP, TLS, QUIC, DNS, SSH, proxies ...).  Within a list,
 * more specific detectors come first. */
extern const struct pg_detector *const pg_detectors_paper[];
extern const struct pg_detector *const pg_detectors_modern[];
extern const struct pg_detector *const pg_detectors_common[];

/* The three lists as the engine's groups, IM/P2P first, ended by
 * {NULL, false}.  Static and read-only. */
const struct pg_detector_group *pg_detector_registry(void);

/* The heuristics (learned BitTorrent peers, handshake shapes, chat over
 * TLS) for pg_engine_config.heuristics.  Static and read-only. */
const struct pg_heuristics_ops *pg_heuristics_standard(void);

struct pg_engine_config;

/* Hands an engine configuration the standard detectors and heuristics:
 * what the daemon, `peergatectl classify` and the tests build engines
 * with. */
void pg_detect_attach(struct pg_engine_config *cfg);

#endif
