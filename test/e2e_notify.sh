#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The service manager protocol, with a fake NOTIFY_SOCKET (a datagram
# listener standing in for systemd) and peergated in a network namespace
# with a private /run (so the unit's own ExecReload command, which uses the
# default control socket, reaches this daemon and no other):
#   1. READY=1 arrives only once the gateway is in place: when it arrives
#      the listener itself finds the table inet peergate and the bound
#      queue in the namespace (neither existed before the start).
#   2. With WATCHDOG_USEC set, WATCHDOG=1 pings keep arriving.
#   3. The unit's ExecReload command: a good policy exits 0; a broken one
#      exits 1 with FILE:LINE messages and the daemon keeps running; each
#      reload is framed by RELOADING=1 and READY=1.
#   4. SIGTERM: STOPPING=1, exit 0, the table is gone.
# Arguments: BUILD_DIR SRC_DIR.  Skips (77) without root or the tools.
set -u
. "${2:?usage: e2e_notify.sh BUILD_DIR SRC_DIR}/test/lib/e2e.sh"
pg_e2e_begin e2e_notify "$1" "$2"
for t in nsenter unshare; do
	command -v "$t" >/dev/null 2>&1 || { echo "SKIP: '$t' is not installed"; exit 77; }
done
unit=$build/systemd/peergated.service
[ -f "$unit" ] || { echo "FAIL: no generated unit at $unit"; exit 1; }
# one namespace; the daemon and the listener are started here, not with
# pg_spawn, and stopped at exit all the same
pg_e2e_ns1 pgsd

cat >"$work/listener.py" <<'PY'
# Receives notifications like systemd's notify socket; on the first
# READY=1 it checks, before anything else, that the table and a bound
# queue exist in the namespace.  One JSON object per message.
import json, os, socket, subprocess, sys, time
path, ns, out = sys.argv[1], sys.argv[2], sys.argv[3]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path + ".tmp")
os.rename(path + ".tmp", path)
s.settimeout(0.5)
ready_seen = False
deadline = time.monotonic() + 50
with open(out, "w") as f:
    while time.monotonic() < deadline:
        try:
            msg = s.recv(4096).decode()
        except socket.timeout:
            continue
        rec = {"msg": msg}
        if "READY=1" in msg.split("\n") and not ready_seen:
            ready_seen = True
            t = subprocess.run(["ip", "netns", "exec", ns, "nft", "list", "table", "inet",
                                "peergate"], capture_output=True)
            q = subprocess.run(["ip", "netns", "exec", ns, "cat",
                                "/proc/net/netfilter/nfnetlink_queue"], capture_output=True)
            rec["table"] = t.returncode == 0
            rec["queues"] = len(q.stdout.decode().split("\n")) - 1
        f.write(json.dumps(rec) + "\n")
        f.flush()
        if "STOPPING=1" in msg.split("\n"):
            break
PY

count() { grep -c "$1" "$work/notify.log" 2>/dev/null; }
wait_for() {   # wait_for PATTERN N: until the log has N lines matching (5 s)
	for _ in $(seq 50); do
		[ "$(count "$1")" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

cat >"$work/policy.ini" <<'INI'
[engine]
fail = open
[bittorrent]
all = block
INI
pg_in "$R" nft list table inet peergate >/dev/null 2>&1 && fail "a table existed before the start"
"$PG_PY" "$work/listener.py" "$work/notify.sock" "$R" "$work/notify.log" &
listener=$!
PG_SPAWNED+=("$listener")
for _ in $(seq 50); do [ -S "$work/notify.sock" ] && break; sleep 0.1; done
[ -S "$work/notify.sock" ] || { echo "FAIL: the listener did not start"; exit 1; }

# peergated as the unit starts it, with a private /run for its socket
ip netns exec "$R" unshare --mount --propagation private sh -c \
	'mount -t tmpfs -o mode=0755 tmpfs /run && exec "$@"' sh \
	env NOTIFY_SOCKET="$work/notify.sock" WATCHDOG_USEC=400000 \
	"$build/peergated" --policy "$work/policy.ini" >"$work/daemon.log" 2>&1 &
daemon=$!
PG_SPAWNED+=("$daemon")

# 1. READY once the gateway is in place
if wait_for '"READY=1' 1; then
	first=$(head -1 "$work/notify.log")
	case $first in
	*'"table": true'*'"queues": '[1-9]*) pass "READY=1 came first, and on its arrival the table and a bound queue existed: $first" ;;
	*) fail "READY=1 before the gateway was in place: $first" ;;
	esac
else
	fail "no READY=1 within 5 s: $(cat "$work/notify.log"; tail -5 "$work/daemon.log")"
fi

# 2. the watchdog (every 200 ms here)
if wait_for 'WATCHDOG=1' 4; then
	pass "watchdog pings arrive ($(count 'WATCHDOG=1') so far)"
else
	fail "watchdog pings: $(count 'WATCHDOG=1') within 5 s"
fi

# 3. the unit's ExecReload, run where the daemon's /run is
reload=$(sed -n 's/^ExecReload=//p' "$unit")
sbindir=$(dirname "${reload%% *}")
reload_cmd=${reload/#$sbindir/$build}
reload() { nsenter -t "$daemon" -m -n -- $reload_cmd; }
echo "ExecReload=$reload, run as: $reload_cmd"
if reload >"$work/reload1.out" 2>&1; then
	pass "ExecReload with a good policy: exit 0 ($(cat "$work/reload1.out"))"
else
	fail "ExecReload with a good policy failed: $(cat "$work/reload1.out")"
fi
printf '[engine]\nfail = open\n[bittorrent]\nall = blok\n' >"$work/policy.ini"
reload >"$work/reload2.out" 2>"$work/reload2.err"
rc=$?
if [ "$rc" = 1 ] && grep -q "$work/policy.ini:4:" "$work/reload2.err"; then
	pass "ExecReload with a broken policy: exit 1: $(head -1 "$work/reload2.err")"
else
	fail "ExecReload with a broken policy: exit $rc, stderr: $(cat "$work/reload2.err")"
fi
kill -0 "$daemon" 2>/dev/null || fail "the daemon died after the refused reload"
if wait_for '"READY=1' 3 && [ "$(count 'RELOADING=1')" = 2 ] &&
	grep -q 'RELOADING=1\\nMONOTONIC_USEC=[0-9]' "$work/notify.log" &&
	grep -q 'READY=1\\nSTATUS=policy reloaded' "$work/notify.log" &&
	grep -q 'READY=1\\nSTATUS=reload refused' "$work/notify.log"; then
	pass "each reload framed by RELOADING=1 (with MONOTONIC_USEC) and READY=1"
else
	fail "reload notifications: $(grep -v WATCHDOG "$work/notify.log")"
fi
seq=$(grep -v WATCHDOG "$work/notify.log" | sed 's/.*"msg": "\([A-Z]*\)=.*/\1/' | tr '\n' ' ')
[ "$seq" = "READY RELOADING READY RELOADING READY " ] || fail "notification order: $seq"

# 4. stop
kill -TERM "$daemon"
wait "$daemon"
rc=$?
daemon=
wait_for 'STOPPING=1' 1 || true
if [ "$rc" = 0 ] && [ "$(count 'STOPPING=1')" = 1 ] &&
	! pg_in "$R" nft list table inet peergate >/dev/null 2>&1; then
	pass "SIGTERM: STOPPING=1, exit 0, table removed"
else
	fail "SIGTERM: exit $rc, STOPPING=1 x$(count 'STOPPING=1'), table $(pg_in "$R" nft list table inet peergate >/dev/null 2>&1 && echo left || echo gone)"
fi

pg_e2e_finish "$work/notify.log" "$work/daemon.log"
