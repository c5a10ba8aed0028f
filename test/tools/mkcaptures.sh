#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Regenerates test/captures/*.pcap: plays each scripted session of
# mkcaptures.py over real sockets from the client namespace to the server
# namespace (through the router, no gateway) and records the client's
# interface with dumpcap (Wireshark) or tcpdump.  Needs root.
# Usage: test/tools/mkcaptures.sh [OUTDIR] [NAME...]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../captures}
shift || true
. "$here/../lib/netns.sh"
pg_netns_require
if command -v dumpcap >/dev/null 2>&1; then
	rec=dumpcap
elif command -v tcpdump >/dev/null 2>&1; then
	rec=tcpdump
else
	echo "needs dumpcap (wireshark-common) or tcpdump" >&2
	exit 1
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)
tmp=$(mktemp -d)
PG_CLEANUP_HOOKS+=("rm -rf '$tmp'")
pg_netns_setup pgcap
names=("$@")
[ ${#names[@]} -gt 0 ] || mapfile -t names < <("$PG_PY" "$here/mkcaptures.py" list | awk '{print $1}')
for name in "${names[@]}"; do
	"$PG_PY" "$here/mkcaptures.py" flows "$name" >"$tmp/$name.json"
	filter="host $PG_S4 or host $PG_S6"
	if [ "$rec" = dumpcap ]; then
		pg_spawn "$PG_NS_CLIENT" "$tmp/rec.log" dumpcap -q -P -i eth0 -f "$filter" -w "$tmp/$name.pcap"
	else
		pg_spawn "$PG_NS_CLIENT" "$tmp/rec.log" tcpdump -U -n -s 0 -i eth0 -w "$tmp/$name.pcap" "$filter"
	fi
	recpid=$PG_LAST_PID
	sleep 1.5   # the recorder is listening
	# one server address, flows one after another, as a real session would
	"$PG_PY" "$PG_REPLAY" play --client-ns "$PG_NS_CLIENT" --server-ns "$PG_NS_SERVER" \
		--client4 "$PG_C4" --server4 "$PG_S4" --client6 "$PG_C6" --server6 "$PG_S6" \
		--family orig --jobs 1 --pace 0.02 --expect whole "$tmp/$name.json"
	sleep 0.5
	pg_kill "$recpid" INT
	cp "$tmp/$name.pcap" "$out/$name.pcap"
	echo "wrote $out/$name.pcap ($(stat -c %s "$out/$name.pcap") bytes)"
done
