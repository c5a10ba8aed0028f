#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `peergatectl classify` on captures that hold no packet at all: a 24-byte
# pcap (file header only), a pcapng with a section and an interface but no
# packet block, and a Network Monitor 2.x file with an empty frame table.
# Each must be read as "0 frames, 0 flows" with exit status 0.  In the
# ASan+UBSan build this once aborted (qsort given NULL for an empty flow
# list).  Needs neither root nor ../shared.
# Usage: classify_empty.sh BUILD_DIR SRC_DIR
set -u
build=${1:?usage: classify_empty.sh BUILD_DIR SRC_DIR}
ctl="$build/peergatectl"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# In the sanitizer build any report must fail the test, not just print.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}

# Little-endian pcap header: magic, version 2.4, zone, sigfigs, snaplen
# 65535, link type 1 (Ethernet).
printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\x00\x00\x01\x00\x00\x00' \
	>"$tmp/header-only.pcap"
# pcapng: a 28-byte section header block (byte-order magic, version 1.0,
# section length -1) and a 20-byte interface description block (Ethernet,
# snaplen 65535).
printf '\x0a\x0d\x0d\x0a\x1c\x00\x00\x00\x4d\x3c\x2b\x1a\x01\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff\x1c\x00\x00\x00' \
	>"$tmp/no-packets.pcapng"
printf '\x01\x00\x00\x00\x14\x00\x00\x00\x01\x00\x00\x00\xff\xff\x00\x00\x14\x00\x00\x00' \
	>>"$tmp/no-packets.pcapng"
# Network Monitor 2.0: "GMBU", version 0.2, Ethernet, 2005-07-16 09:57:03,
# frame table at offset 32 with length 0.
printf 'GMBU\x00\x02\x01\x00\xd5\x07\x07\x00\x00\x00\x10\x00\x09\x00\x39\x00\x03\x00\x00\x00\x20\x00\x00\x00\x00\x00\x00\x00' \
	>"$tmp/no-frames.cap"

passed=0 failed=0
for f in header-only.pcap no-packets.pcapng no-frames.cap; do
	size=$(stat -c %s "$tmp/$f")
	out=$("$ctl" classify "$tmp/$f" 2>&1)
	rc=$?
	if [ $rc -eq 0 ] && printf '%s\n' "$out" | grep -q ": 0 frames, 0 flows,"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL $f ($size bytes): exit $rc"
		printf '%s\n' "$out" | sed 's/^/  /'
	fi
	# --json prints nothing for a capture without flows.
	out=$("$ctl" classify --json "$tmp/$f" 2>&1)
	rc=$?
	if [ $rc -eq 0 ] && [ -z "$out" ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL $f --json: exit $rc"
		printf '%s\n' "$out" | sed 's/^/  /'
	fi
done
[ "$(stat -c %s "$tmp/header-only.pcap")" -eq 24 ] || { echo "FAIL: header-only.pcap is not 24 bytes"; failed=$((failed + 1)); }
echo "classify_empty: $passed passed, $failed failed"
[ $failed -eq 0 ]
