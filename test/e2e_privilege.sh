#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Least privilege, through a client | router | server namespace router:
#   1. peergated started as root with --user runs as that user with exactly
#      CAP_NET_ADMIN (effective, permitted, bounding; no inheritable or
#      ambient capability; no_new_privs), and says so in its log.
#   2. The control socket is 0660 USER:GROUP in a 0750 directory it created.
#      A non-owner in the group reads stats and flows, but its reload is
#      refused (and the client exits non-zero); someone outside the group
#      cannot connect; the daemon's user and root may reload.  An unknown
#      command gets an error reply.
#   3. After the drop, a root reload that newly blocks BitTorrent stops an
#      open BitTorrent flow (policy re-read, table rebuilt, ct mark cleared
#      over netlink) while a plain flow goes on; a blocked UDP flow goes into
#      the kernel's blocked-flow set; stats still work.
#   4. --socket naming a regular file, or a socket another peergated listens
#      on, makes start-up fail (non-zero) and leaves the file alone.
#   5. SIGTERM: exit 0, and the daemon removes its socket.
#   6. Started unprivileged with only an ambient CAP_NET_ADMIN (as systemd
#      User= with AmbientCapabilities= does), it works the same and ends up
#      with the same capability sets.
# Uses the user and group peergate when they exist; otherwise creates a
# throw-away system user and group and removes them at exit.
# Arguments: BUILD_DIR SRC_DIR.  Skips (77) without root.
set -u
umask 022
. "${2:?usage: e2e_privilege.sh BUILD_DIR SRC_DIR}/test/lib/e2e.sh"
pg_e2e_begin e2e_privilege "$1" "$2"
for t in setpriv useradd userdel getent; do
	command -v "$t" >/dev/null 2>&1 || { echo "SKIP: '$t' is not installed"; exit 77; }
done
pg_e2e_netns pgpv
# 0755: the daemon's user reads the policy here, the clients run the copy of
# peergatectl (the build folder may be out of their reach)
chmod 0755 "$work"
install -m 0755 "$build/peergatectl" "$work/peergatectl"
PG_E2E_CTL=$work/peergatectl

if id -u peergate >/dev/null 2>&1; then
	user=peergate
else
	user=pgpv$$
	useradd --system --user-group --no-create-home --home-dir /nonexistent \
		--shell /usr/sbin/nologin "$user" || { echo "FAIL: cannot create user $user"; exit 1; }
	PG_CLEANUP_HOOKS+=("userdel '$user' 2>/dev/null; groupdel '$user' 2>/dev/null")
fi
uid=$(id -u "$user")
gid=$(id -g "$user")
group=$(id -gn "$user")
# someone in the socket's group who is not its owner, and someone outside it
member=(setpriv --reuid=65534 --regid=65534 "--groups=$gid")
outsider=(setpriv --reuid=65534 --regid=65534 --clear-groups)
owner=(setpriv "--reuid=$uid" "--regid=$gid" --clear-groups)
echo "daemon user $user (uid $uid), socket group $group (gid $gid)"

run=$work/run
sock=$run/ctl.sock
flow() { pg_in "$PG_NS_CLIENT" "$PG_PY" "$src/test/tools/longflow.py" client "$PG_S4" "$@"; }
json_get() { "$PG_PY" -c 'import json,sys; d=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): d=d[k]
print(d)' "$@"; }

# Capability sets and ids of a running process, as the kernel reports them.
check_status() {
	local what=$2 st=/proc/$1/status
	local eff prm inh amb bnd nnp uids gids
	eff=$(awk '/^CapEff:/ {print $2}' "$st")
	prm=$(awk '/^CapPrm:/ {print $2}' "$st")
	inh=$(awk '/^CapInh:/ {print $2}' "$st")
	amb=$(awk '/^CapAmb:/ {print $2}' "$st")
	bnd=$(awk '/^CapBnd:/ {print $2}' "$st")
	nnp=$(awk '/^NoNewPrivs:/ {print $2}' "$st")
	uids=$(awk '/^Uid:/ {print $2, $3, $4, $5}' "$st")
	gids=$(awk '/^Gid:/ {print $2, $3, $4, $5}' "$st")
	if [ "$eff" = 0000000000001000 ] && [ "$prm" = 0000000000001000 ] &&
		[ "$inh" = 0000000000000000 ] && [ "$amb" = 0000000000000000 ] &&
		[ "$bnd" = 0000000000001000 ] && [ "$nnp" = 1 ]; then
		pass "$what: CapEff=CapPrm=CapBnd=0x1000 (CAP_NET_ADMIN), no inheritable/ambient, NoNewPrivs"
	else
		fail "$what: CapEff=$eff CapPrm=$prm CapInh=$inh CapAmb=$amb CapBnd=$bnd NoNewPrivs=$nnp"
	fi
	if [ "$uids" = "$uid $uid $uid $uid" ] && [ "$gids" = "$gid $gid $gid $gid" ]; then
		pass "$what: uid $uid and gid $gid (real, effective, saved, fs)"
	else
		fail "$what: Uid: $uids Gid: $gids (expected $uid / $gid)"
	fi
}

wait_ready() {
	for _ in $(seq 50); do
		pg_e2e_ctl stats --json >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

cat >"$work/allow.ini" <<'INI'
[engine]
fail = closed
INI
cat >"$work/block.ini" <<'INI'
[engine]
fail = closed
[bittorrent]
download = block
network = block
ports = no
INI
cp "$work/allow.ini" "$work/policy.ini"

pg_spawn "$PG_NS_SERVER" "$work/server.log" "$PG_PY" "$src/test/tools/longflow.py" server 6881 7001
pg_wait_listen "$PG_NS_SERVER" 6881 7001
pg_e2e_daemon "$work/daemon.log" --policy "$work/policy.ini" --user "$user" --socket-group "$group"

# 1. who the daemon is now
check_status "$daemon" "root start with --user"
if grep -q "running as user $user (uid $uid, gid $gid); capabilities: effective cap_net_admin, permitted cap_net_admin, inheritable none, ambient none, bounding cap_net_admin; no_new_privs on" "$work/daemon.log"; then
	pass "the log says who it runs as"
else
	fail "no 'running as' line: $(grep 'running as' "$work/daemon.log")"
fi

# 2. the socket and who may do what
if [ "$(stat -c '%a %u %g %F' "$sock")" = "660 $uid $gid socket" ] &&
	[ "$(stat -c '%a %u %g' "$run")" = "750 $uid $gid" ]; then
	pass "socket 0660 $user:$group in a 0750 $user:$group directory"
else
	fail "socket $(stat -c '%a %U:%G' "$sock"), directory $(stat -c '%a %U:%G' "$run")"
fi
if pg_in "$R" "${member[@]}" "$work/peergatectl" stats --json --socket "$sock" >"$work/m-stats.json" 2>"$work/m-stats.err" &&
	json_get "$work/m-stats.json" engine.queued >/dev/null 2>&1 &&
	pg_in "$R" "${member[@]}" "$work/peergatectl" flows --socket "$sock" >/dev/null 2>&1; then
	pass "a group member (uid 65534) reads stats and flows"
else
	fail "a group member cannot read stats/flows: $(cat "$work/m-stats.err")"
fi
if pg_in "$R" "${member[@]}" "$work/peergatectl" reload --socket "$sock" >"$work/m-reload.out" 2>"$work/m-reload.err"; then
	fail "a group member's reload was accepted"
elif ! grep -q "peergated refused: permission denied: reload needs root or the daemon's user (uid $uid); you are uid 65534" "$work/m-reload.err"; then
	fail "a group member's reload failed without the refusal: $(cat "$work/m-reload.err")"
else
	pass "a group member's reload is refused: $(cat "$work/m-reload.err")"
fi
grep -q "reload refused to uid 65534" "$work/daemon.log" || fail "the refusal is not logged"
if pg_in "$R" "${outsider[@]}" "$work/peergatectl" stats --socket "$sock" >/dev/null 2>"$work/o.err"; then
	fail "someone outside the group read stats"
else
	pass "outside the group: $(head -c 120 "$work/o.err")"
fi
if pg_in "$R" "${owner[@]}" "$work/peergatectl" reload --socket "$sock" >/dev/null 2>"$work/u-reload.err"; then
	pass "the daemon's user may reload"
else
	fail "the daemon's user cannot reload: $(cat "$work/u-reload.err")"
fi
reply=$("$PG_PY" -c 'import socket,sys
s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(b"bogus\n")
print(s.makefile().read().strip())' "$sock")
case $reply in
*'"error":"unknown command '"'"'bogus'"'"': known are stats, flows, reload, ping"'*) pass "unknown command answered: $reply" ;;
*) fail "unknown command got: $reply" ;;
esac

# 3. a reload that blocks BitTorrent, after the drop
flow 6881 bittorrent 6 >"$work/bt.json" &
bt=$!
flow 7001 plain 6 >"$work/plain.json" &
plain=$!
sleep 1.5
cp "$work/block.ini" "$work/policy.ini"
pg_e2e_ctl reload >"$work/reload.out" 2>&1 || fail "root's reload failed: $(cat "$work/reload.out")"
wait "$bt" "$plain"
bt_end=$(json_get "$work/bt.json" end)
pl_end=$(json_get "$work/plain.json" end)
if [ "$bt_end" != "done" ]; then
	pass "the open BitTorrent flow stopped after the reload ($bt_end)"
else
	fail "the open BitTorrent flow survived the reload that blocks it"
fi
if [ "$pl_end" = "done" ]; then
	pass "the plain flow went on"
else
	fail "the plain flow was disturbed: $pl_end"
fi
# a BitTorrent DHT ping over UDP (a high port, so no port rule decides it)
pg_in "$PG_NS_CLIENT" "$PG_PY" -c 'import socket,sys,time
m = b"d1:ad2:id20:" + bytes(range(20)) + b"e1:q4:ping1:t2:aa1:y1:qe"
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(3):
    s.sendto(m, (sys.argv[1], 40000)); time.sleep(0.1)' "$PG_S4"
for _ in $(seq 30); do
	pg_e2e_ctl stats --json >"$work/stats.json" 2>/dev/null &&
		[ "$(json_get "$work/stats.json" engine.dyn_blocks)" -ge 1 ] && break
	sleep 0.1
done
"$PG_PY" - "$work/stats.json" <<'PY' || failures=$((failures + 1))
import json, sys
e = json.load(open(sys.argv[1]))["engine"]
bad = [k + "=%d" % e[k] for k in ("verdict_errors", "reload_failures", "ct_clear_failures",
                                  "dyn_block_failures") if e[k]]
if e["ct_marks_cleared"] < 1: bad.append("no ct mark cleared")
if e["dyn_blocks"] < 1: bad.append("no flow added to the blocked-flow set")
if e["reloads"] < 2: bad.append("reloads=%d" % e["reloads"])
print("FAIL: after the drop: " + ", ".join(bad) if bad else
      "ok: after the drop: stats answer; reloads=%d ct_marks_cleared=%d dyn_blocks=%d, no failures"
      % (e["reloads"], e["ct_marks_cleared"], e["dyn_blocks"]))
sys.exit(1 if bad else 0)
PY

# 4. start-up refused: a regular file, a live socket
printf 'precious\n' >"$work/notasocket"
pg_in "$R" "$build/peergated" --policy "$work/policy.ini" --socket "$work/notasocket" \
	--user "$user" >"$work/file.log" 2>&1
rc=$?
if [ "$rc" != 0 ] && [ "$(cat "$work/notasocket")" = precious ] &&
	grep -q "$work/notasocket exists and is a regular file" "$work/file.log"; then
	pass "--socket on a regular file: exit $rc, file intact: $(grep -m1 "exists and is" "$work/file.log")"
else
	fail "--socket on a regular file: exit $rc, file now '$(cat "$work/notasocket" 2>&1)', log: $(cat "$work/file.log")"
fi
pg_in "$R" "$build/peergated" --policy "$work/policy.ini" --socket "$sock" >"$work/live.log" 2>&1
rc=$?
if [ "$rc" != 0 ] && grep -q "another peergated is listening on $sock" "$work/live.log" &&
	pg_e2e_ctl stats --json >/dev/null 2>&1; then
	pass "a second daemon on the live socket: exit $rc; the first still answers"
else
	fail "second daemon on the live socket: exit $rc, log: $(cat "$work/live.log")"
fi

# 5. a clean stop removes the socket
kill -TERM "$daemon"
wait "$daemon"
rc=$?
if [ "$rc" = 0 ] && [ ! -e "$sock" ]; then
	pass "SIGTERM: exit 0, socket removed"
else
	fail "SIGTERM: exit $rc, socket $([ -e "$sock" ] && echo left || echo removed)"
fi

# 6. started unprivileged with an ambient CAP_NET_ADMIN, in a directory of
# its own (what RuntimeDirectory= provides)
run=$work/run2
sock=$run/ctl.sock
install -d -m 0750 -o "$uid" -g "$gid" "$run"
cp "$work/allow.ini" "$work/policy.ini"
group_opt=()
getent group peergate >/dev/null && group_opt=(--socket-group "$group")
pg_spawn "$R" "$work/daemon2.log" setpriv "--reuid=$uid" "--regid=$gid" --clear-groups \
	--inh-caps=-all,+net_admin --ambient-caps=-all,+net_admin --bounding-set=-all,+net_admin \
	-- "$build/peergated" --policy "$work/policy.ini" --socket "$sock" "${group_opt[@]}"
daemon=$PG_LAST_PID
if wait_ready; then
	check_status "$daemon" "unprivileged start with ambient CAP_NET_ADMIN"
	[ "$(stat -c '%a %u %g' "$sock")" = "660 $uid $gid" ] || fail "socket $(stat -c '%a %U:%G' "$sock")"
	if [ ${#group_opt[@]} = 0 ]; then
		if grep -q "no group 'peergate'; the control socket goes to the daemon's own group (gid $gid)" \
			"$work/daemon2.log"; then
			pass "no group peergate: the socket went to the daemon's group (logged)"
		else
			fail "the fallback to the daemon's group is not logged"
		fi
	fi
	if pg_e2e_ctl reload >/dev/null 2>"$work/reload2.err"; then
		pass "root's reload works (unprivileged start)"
	else
		fail "reload after an unprivileged start: $(cat "$work/reload2.err")"
	fi
	kill -TERM "$daemon"
	wait "$daemon"
	rc=$?
	if [ "$rc" = 0 ] && [ ! -e "$sock" ]; then
		pass "unprivileged start: exit 0 at SIGTERM, socket removed"
	else
		fail "unprivileged start: exit $rc at SIGTERM, socket $([ -e "$sock" ] && echo left || echo removed)"
	fi
else
	fail "peergated did not start unprivileged with ambient CAP_NET_ADMIN: $(tail -5 "$work/daemon2.log")"
fi

pg_e2e_finish "$work/daemon.log" "$work/daemon2.log"
