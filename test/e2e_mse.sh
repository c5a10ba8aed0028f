#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# End-to-end: encrypted BitTorrent (MSE/PE) on port 443 between two real
# transmission clients (`encryption = required`; uTP, DHT, PEX, LSD off),
# through a client | router | server namespace router with peergated
# inline ([bittorrent] all = block, ports = no).  The leecher finds the
# seeder through test/tools/fixedtracker.py over a link that bypasses the
# router, so the gateway sees the peer connection and nothing that names
# the peer: only the handshake's shape can find it.
#
#   1. heuristics = log: the transfer completes, and the gateway counted a
#      heuristic match (so the setup works and the flow was found)
#   2. reload with heuristics = block: a second leecher's transfer does
#      not complete within 10 s, and the gateway blocked flows
#   3. peergated exits 0 on SIGTERM with no sanitizer report
#
# Needs root and transmission-cli (skips with 77 otherwise).
# Usage: e2e_mse.sh BUILD_DIR SRC_DIR
set -u
. "${2:?usage: e2e_mse.sh BUILD_DIR SRC_DIR}/test/lib/e2e.sh"
pg_e2e_begin e2e_mse "$1" "$2"
for t in transmission-cli transmission-create; do
	command -v "$t" >/dev/null 2>&1 ||
		{ echo "SKIP: $t is not installed (apt-get install transmission-cli)"; exit 77; }
done

write_policy() {
	cat >"$work/policy.ini" <<EOF2
[bittorrent]
all = block
ports = no
heuristics = $1
EOF2
}
write_policy log

pg_e2e_netns pgmse
ip -n "$C" link add bp type veth peer name bp netns "$S"
ip -n "$C" addr add 10.231.9.1/30 dev bp
ip -n "$S" addr add 10.231.9.2/30 dev bp
ip -n "$C" link set bp up
ip -n "$S" link set bp up

mkdir -p "$work/seed" "$work/cfg-s" "$work/leech1" "$work/cfg-c1" "$work/leech2" "$work/cfg-c2"
head -c $((64 * 1024)) /dev/urandom >"$work/seed/payload.bin"
transmission-create -o "$work/t.torrent" -s 16 -t http://10.231.9.2:6970/announce \
	"$work/seed/payload.bin" >/dev/null
for cfg in cfg-s cfg-c1 cfg-c2; do
	cat >"$work/$cfg/settings.json" <<'JSON'
{
    "dht-enabled": false,
    "pex-enabled": false,
    "lpd-enabled": false,
    "utp-enabled": false,
    "encryption": 2,
    "port-forwarding-enabled": false,
    "peer-port-random-on-start": false,
    "blocklist-enabled": false
}
JSON
done

pg_e2e_daemon "$work/daemon.log" --policy "$work/policy.ini"

stats_num() {
	pg_e2e_ctl stats --json |
		"$PG_PY" -c 'import json,sys; print(json.load(sys.stdin)["engine"][sys.argv[1]])' "$1"
}

pg_spawn "$S" "$work/tracker.log" "$PG_PY" "$src/test/tools/fixedtracker.py" \
	10.231.9.2 6970 "$PG_S4" 443 10.231.9.2
pg_spawn "$S" "$work/seed.log" transmission-cli -er -M -p 443 -g "$work/cfg-s" \
	-w "$work/seed" "$work/t.torrent"
sleep 3 # verified and listening

# leech N SECONDS: runs leecher N; true when the file arrived whole in time
leech() {
	local n=$1 secs=$2 pid ok=1
	pg_spawn "$C" "$work/leech$n.log" transmission-cli -er -M -p $((51413 + n)) \
		-g "$work/cfg-c$n" -w "$work/leech$n" "$work/t.torrent"
	pid=$PG_LAST_PID
	for _ in $(seq $((secs * 2))); do
		cmp -s "$work/seed/payload.bin" "$work/leech$n/payload.bin" && { ok=0; break; }
		sleep 0.5
	done
	pg_kill "$pid" KILL
	return $ok
}

t_leech=$(date +%s)
if leech 1 40; then
	pass "heuristics = log: the encrypted transfer on 443 completed ($(($(date +%s) - t_leech)) s)"
else
	fail "heuristics = log: the transfer did not complete (setup broken?): $(tail -3 "$work/leech1.log")"
fi
m=$(stats_num heuristic_matches)
[ "${m:-0}" -ge 1 ] && pass "heuristics = log: $m heuristic match(es) counted" ||
	fail "heuristics = log: no heuristic match counted"

write_policy block
pg_e2e_ctl reload >"$work/reload.out" 2>&1 ||
	fail "reload refused: $(cat "$work/reload.out")"
if leech 2 10; then
	fail "heuristics = block: the encrypted transfer completed through the gateway"
else
	got=$(stat -c %s "$work/leech2/payload.bin" 2>/dev/null || echo 0)
	pass "heuristics = block: no transfer within 10 s (the leecher's file: $got bytes, seeder's: $((64 * 1024)))"
fi
blocked=$(pg_e2e_ctl stats --json | "$PG_PY" -c '
import json, sys
print(sum(v.get("flows_dropped", 0) for v in json.load(sys.stdin)["verdicts"]
          if v["system"] == "bittorrent"))' 2>/dev/null)
[ "${blocked:-0}" -ge 1 ] && pass "heuristics = block: $blocked bittorrent flow(s) blocked" ||
	fail "heuristics = block: no bittorrent flow counted blocked"

kill -TERM "$daemon" 2>/dev/null
rc=0
wait "$daemon" || rc=$?
[ "$rc" = 0 ] && ! grep -q 'runtime error\|Sanitizer' "$work/daemon.log" &&
	pass "peergated exited 0 on SIGTERM, no sanitizer report" ||
	fail "peergated exited $rc on SIGTERM or reported a sanitizer error"

pg_e2e_finish
