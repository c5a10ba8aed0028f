/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "peergate/detect.h"

const struct pg_detector *const pg_detectors_paper[] = {
	NULL,
};
