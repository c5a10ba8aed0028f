/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The standard detector set, in the order the engine asks it: the IM/P2P
 * detectors before the ordinary protocols, so that a messenger inside HTTP
 * or TLS is named before the carrier is.
 */
#include "peergate/detect_registry.h"

#include "peergate/engine.h"

static const struct pg_detector_group standard_groups[] = {
	{pg_detectors_paper, true},
	{pg_detectors_modern, true},
	{pg_detectors_common, false},
	{NULL, false},
};

const struct pg_detector_group *pg_detector_registry(void)
{
	return standard_groups;
}

void pg_detect_attach(struct pg_engine_config *cfg)
{
	cfg->detectors = pg_detector_registry();
	cfg->heuristics = pg_heuristics_standard();
}
