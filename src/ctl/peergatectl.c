/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>

int main(void)
{
	fprintf(stderr, "peergatectl: not built yet (stub)\n");
	return 1;
}
