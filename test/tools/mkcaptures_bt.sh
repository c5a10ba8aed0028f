#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Records a real encrypted BitTorrent transfer between two transmission
# clients (MSE/PE with `encryption = required`; uTP, DHT, PEX and LSD off)
# through the client | router | server namespaces of test/lib/netns.sh,
# captured on the router's client-side interface.  The seeder listens on
# PORT.  The leecher learns the seeder from test/tools/fixedtracker.py,
# reached over an extra veth link between client and server that bypasses
# the router, so the router (and the capture) sees the peer connection
# only: no tracker, DHT or PEX traffic names the peer.  With LEECHER
# `libtorrent` the leecher is libtorrent-rasterbar instead
# (test/tools/ltpeer.py, MSE forced, uTP/DHT/LSD off), handed the seeder's
# address directly.  Needs root, transmission-cli and tcpdump (and
# python3-libtorrent for the libtorrent leecher).
# Usage: test/tools/mkcaptures_bt.sh OUTFILE PORT [SIZE_KIB [LEECHER]]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
outfile=${1:?usage: mkcaptures_bt.sh OUTFILE PORT [SIZE_KIB]}
port=${2:?usage: mkcaptures_bt.sh OUTFILE PORT [SIZE_KIB]}
size_kib=${3:-48}
leecher=${4:-transmission}
. "$here/../lib/netns.sh"
pg_netns_require
for t in transmission-cli transmission-create tcpdump; do
	command -v "$t" >/dev/null 2>&1 || { echo "needs $t" >&2; exit 1; }
done
tmp=$(mktemp -d)
PG_CLEANUP_HOOKS+=("rm -rf '$tmp'")
pg_netns_setup pgbt
# the bypass link for the tracker
ip -n "$PG_NS_CLIENT" link add bp type veth peer name bp netns "$PG_NS_SERVER"
ip -n "$PG_NS_CLIENT" addr add 10.231.9.1/30 dev bp
ip -n "$PG_NS_SERVER" addr add 10.231.9.2/30 dev bp
ip -n "$PG_NS_CLIENT" link set bp up
ip -n "$PG_NS_SERVER" link set bp up

mkdir -p "$tmp/seed" "$tmp/leech" "$tmp/cfg-s" "$tmp/cfg-c"
head -c $((size_kib * 1024)) /dev/urandom >"$tmp/seed/payload.bin"
transmission-create -o "$tmp/t.torrent" -s 16 -t http://10.231.9.2:6970/announce \
	"$tmp/seed/payload.bin" >/dev/null
for cfg in cfg-s cfg-c; do
	cat >"$tmp/$cfg/settings.json" <<JSON
{
    "dht-enabled": false,
    "pex-enabled": false,
    "lpd-enabled": false,
    "utp-enabled": false,
    "encryption": 2,
    "port-forwarding-enabled": false,
    "peer-port-random-on-start": false,
    "blocklist-enabled": false,
    "message-level": 2
}
JSON
done

pg_spawn "$PG_NS_SERVER" "$tmp/tracker.log" "$PG_PY" "$here/fixedtracker.py" \
	10.231.9.2 6970 "$PG_S4" "$port" 10.231.9.2
pg_spawn "$PG_NS_ROUTER" "$tmp/rec.log" tcpdump -U -n -s 0 -i vc -w "$tmp/cap.pcap" \
	"tcp and host $PG_S4"
recpid=$PG_LAST_PID
sleep 1.5
pg_spawn "$PG_NS_SERVER" "$tmp/seed.log" transmission-cli -er -M -p "$port" \
	-g "$tmp/cfg-s" -w "$tmp/seed" "$tmp/t.torrent"
seedpid=$PG_LAST_PID
sleep 3   # verified and listening
if [ "$leecher" = libtorrent ]; then
	pg_spawn "$PG_NS_CLIENT" "$tmp/leech.log" "$PG_PY" "$here/ltpeer.py" leech \
		"$tmp/t.torrent" "$tmp/leech" 51414 60 "$PG_S4" "$port"
else
	pg_spawn "$PG_NS_CLIENT" "$tmp/leech.log" transmission-cli -er -M -p 51414 \
		-g "$tmp/cfg-c" -w "$tmp/leech" "$tmp/t.torrent"
fi
leechpid=$PG_LAST_PID
done=0
pg_wait_same "$tmp/seed/payload.bin" "$tmp/leech/payload.bin" 60 && done=1
sleep 1
pg_kill "$leechpid" INT
pg_kill "$seedpid" INT
sleep 0.5
pg_kill "$recpid" INT
if [ "$done" != 1 ]; then
	echo "transfer did not complete; logs:" >&2
	tail -5 "$tmp/leech.log" "$tmp/seed.log" "$tmp/tracker.log" >&2
	exit 1
fi
cp "$tmp/cap.pcap" "$outfile"
echo "wrote $outfile ($(stat -c %s "$outfile") bytes)"
