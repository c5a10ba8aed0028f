#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# peergated's syslog(3) output with its severities, read from a /dev/log
# socket the test binds in a private mount namespace (a tmpfs over /dev
# there; the machine's /dev is untouched): with --log-target syslog and a
# blocked BitTorrent DHT ping over loopback in a private network namespace,
#   - the flow line arrives as daemon.notice (<29>), tagged peergated[PID];
#   - the start-up summary as daemon.info (<30>), "ready" as daemon.notice;
#   - nothing is written to stderr.
# Arguments: BUILD_DIR SRC_DIR.  Skips without root or unshare.
set -u
if [ "$(id -u)" -ne 0 ] || ! command -v unshare >/dev/null 2>&1 || ! command -v nft >/dev/null 2>&1; then
	echo "SKIP: needs root, unshare and nft"
	exit 77
fi
. "${2:?usage: log_syslog.sh BUILD_DIR SRC_DIR}/test/lib/e2e.sh"
pg_e2e_begin log_syslog "$1" "$2"
pg_e2e_ns1 pgsyslog
ns=$R
printf '[engine]\nhooks = output\nfail = open\n[bittorrent]\nall = block\n' >"$work/policy.ini"

cat >"$work/inner.sh" <<'INNER'
# runs in a private mount namespace: $1 work, $2 ns, $3 build, $4 python
set -u
work=$1 ns=$2 build=$3 py=$4
mkdir "$work/olddev"
mount --bind /dev "$work/olddev" || exit 1
mount -t tmpfs -o mode=755 none /dev || exit 1
for n in null zero urandom random; do
	touch "/dev/$n" && mount --bind "$work/olddev/$n" "/dev/$n"
done
"$py" -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
out = open(sys.argv[1], "w")
print("bound", flush=True)
s.settimeout(15)
try:
    while True:
        m = s.recv(65536).decode(errors="replace")
        out.write(m.replace("\n", " ") + "\n")
        out.flush()
        if "stopping" in m:
            break
except socket.timeout:
    pass
' "$work/syslog.txt" >"$work/recv.log" 2>&1 &
recv=$!
for _ in $(seq 50); do grep -q bound "$work/recv.log" && break; sleep 0.1; done
ip netns exec "$ns" "$build/peergated" --policy "$work/policy.ini" --socket "$work/ctl.sock" \
	--state '' --log-target syslog >"$work/stderr.txt" 2>&1 &
daemon=$!
for _ in $(seq 100); do
	ip netns exec "$ns" "$build/peergatectl" stats --json --socket "$work/ctl.sock" >/dev/null 2>&1 && break
	sleep 0.1
done
ip netns exec "$ns" "$py" -c '
import socket
m = b"d1:ad2:id20:" + bytes(range(20)) + b"e1:q4:ping1:t2:aa1:y1:qe"
socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(m, ("127.0.0.1", 40000))'
for _ in $(seq 50); do grep -q 'flow action=' "$work/syslog.txt" 2>/dev/null && break; sleep 0.1; done
kill -TERM "$daemon"
wait "$daemon"
wait "$recv"
# the mounts go with this mount namespace
INNER
unshare -m --propagation private bash "$work/inner.sh" "$work" "$ns" "$build" "$PG_PY"

check() {	# DESCRIPTION PATTERN
	local line
	if line=$(grep -m1 -E "$2" "$work/syslog.txt" 2>/dev/null); then
		pass "$1: $line"
	else
		fail "$1: no datagram matching '$2'"
	fi
}
check "blocked flow as daemon.notice" '^<29>.* peergated\[[0-9]+\]: flow action=block class=bittorrent/network method=payload confidence=[0-9]+ l4=udp client=127\.0\.0\.1:[0-9]+ server=127\.0\.0\.1:40000$'
check "start-up summary as daemon.info" '^<30>.* peergated\[[0-9]+\]: start-up: '
check "ready as daemon.notice" '^<29>.* peergated\[[0-9]+\]: ready; control socket '
if [ -s "$work/stderr.txt" ]; then
	fail "--log-target syslog wrote to stderr: $(head -3 "$work/stderr.txt")"
else
	pass "nothing on stderr with --log-target syslog"
fi
pg_e2e_finish "$work/syslog.txt"
