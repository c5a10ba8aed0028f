/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The capture reader over arbitrary files: the input is a whole capture
 * file (pcap and pcapng go through libpcap, "GMBU" files through our
 * Network Monitor 2.x reader), read through capture_open_memory, which
 * differs from capture_open only in where the bytes come from.  Every frame
 * is read to its last byte (so ASan sees an overlong caplen) and taken
 * down to its IP header as `peergatectl classify` does.  Invariants: a
 * failure always comes with a message, and the IP header lies inside the
 * frame.
 */
#include <stdint.h>
#include <stdlib.h>

#include "peergate/capture.h"
#include "peergate/linklayer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256] = "";
	struct capture *c = capture_open_memory(data, size, err, sizeof(err));

	if (!c) {
		if (!err[0])
			abort();
		return 0;
	}
	int dlt = capture_dlt(c);
	struct capture_frame fr;
	int rc;
	volatile uint8_t sink = 0;

	while ((rc = capture_next(c, &fr, err, sizeof(err))) == 1) {
		uint8_t sum = 0;
		for (size_t i = 0; i < fr.caplen; i++)
			sum ^= fr.data[i];
		sink ^= sum;
		const uint8_t *ip;
		size_t ip_len;
		if (pg_dlt_supported(dlt) && pg_link_to_ip(dlt, fr.data, fr.caplen, &ip, &ip_len) &&
		    (ip < fr.data || ip_len > fr.caplen || (size_t)(ip - fr.data) > fr.caplen - ip_len))
			abort();
	}
	if (rc < 0 && !err[0])
		abort();
	capture_close(c);
	(void)sink;
	return 0;
}
