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

#endif
