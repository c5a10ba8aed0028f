#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The installed unit under a real systemd: this machine's root, seen through
# a copy-on-write overlay (writes go to a tmpfs), with peergate installed
# into it by cmake --install, booted by systemd-nspawn in a private network
# namespace.  Nothing on this machine changes.  Inside:
#   1. systemctl start returns with the table already in place (Type=notify),
#      the daemon running as peergate under the full sandbox.
#   2. systemctl reload: 0 with a good policy; 1 with a broken one, whose
#      FILE:LINE message is in the journal, and the service stays active.
#      `nft flush ruleset` inside: the table is back, one loss warned (the
#      reload, the daemon's own batch, is none).
#   3. A daemon whose loop stops (SIGSTOP) misses its watchdog pings and
#      is restarted; the new one has the table in place.
#   4. systemctl stop removes the table; systemd-analyze security scores
#      the loaded unit 3.5 or lower.
# Needs a build configured with -DCMAKE_INSTALL_PREFIX=/usr (scripts/test
# does).  Arguments: BUILD_DIR SRC_DIR.  Skips (77) without root, nspawn,
# overlayfs or such a build.
set -u
build=$(cd "$1" && pwd)    # SRC_DIR ($2) is not needed: cmake --install knows it
skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root (overlay mount, systemd-nspawn)"
for t in systemd-nspawn nsenter systemd-id128; do
	command -v "$t" >/dev/null 2>&1 || skip "'$t' is not installed"
done
[ "$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")" = /usr ] ||
	skip "$build is not configured with -DCMAKE_INSTALL_PREFIX=/usr"
# LeakSanitizer cannot run under the unit's sandbox (no ptrace, a system
# call filter): a sanitizer build would only test that.
grep -q '^PEERGATE_SANITIZE:BOOL=ON' "$build/CMakeCache.txt" &&
	skip "a sanitizer build does not run under the unit's sandbox (tested in the plain build)"
grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null ||
	skip "no overlay file system"

work=$(mktemp -d /tmp/pgsysd.XXXXXX)
root=$work/merged
nspawn=
init=
cleanup() {
	if [ -n "$nspawn" ] && kill -0 "$nspawn" 2>/dev/null; then
		kill -TERM "$nspawn" 2>/dev/null   # nspawn powers the container off
		for _ in $(seq 100); do kill -0 "$nspawn" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$nspawn" 2>/dev/null
		wait "$nspawn" 2>/dev/null
	fi
	umount "$root" 2>/dev/null
	umount "$work/rw" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }

mkdir -p "$work/rw" "$root"
mount -t tmpfs -o mode=0755 tmpfs "$work/rw" && mkdir "$work/rw/upper" "$work/rw/work" &&
	mount -t overlay overlay -o "lowerdir=/,upperdir=$work/rw/upper,workdir=$work/rw/work" "$root" ||
	skip "cannot mount an overlay of / here"
systemd-id128 new >"$root/etc/machine-id"   # nspawn refuses the host's own id
DESTDIR=$root cmake --install "$build" >"$work/install.log" 2>&1 ||
	{ cat "$work/install.log"; echo "FAIL: cmake --install into the overlay"; exit 1; }

systemd-nspawn -D "$root" -b --private-network -M "pgsysd$$" --register=no --keep-unit \
	--link-journal=no --console=pipe >"$work/boot.log" 2>&1 &
nspawn=$!
deadline=$((SECONDS + 30))
while [ "$SECONDS" -lt "$deadline" ]; do
	init=$(pgrep -P "$nspawn" -x systemd | head -1)
	[ -n "$init" ] && break
	kill -0 "$nspawn" 2>/dev/null || break
	sleep 0.1
done
[ -n "$init" ] || { tail -5 "$work/boot.log"; skip "systemd-nspawn cannot boot a container here"; }
in_c() { nsenter -t "$init" -a "$@"; }
state=
while [ "$SECONDS" -lt "$deadline" ]; do
	state=$(in_c systemctl is-system-running 2>/dev/null)
	case $state in running|degraded) break ;; esac
	sleep 0.1
done
case $state in
running|degraded) ok "container booted ($state)" ;;
*) echo "FAIL: the container did not finish booting: '$state'"; exit 1 ;;
esac
unit_prop() { in_c systemctl show -p "$1" --value peergated; }
has_table() { in_c nft list table inet peergate >/dev/null 2>&1; }

# 1. start; the table exists the moment systemctl returns
in_c systemd-sysusers >/dev/null 2>&1
in_c systemctl daemon-reload
in_c systemctl stop peergated 2>/dev/null   # the boot may have started it
if in_c systemctl start peergated && has_table; then
	ok "systemctl start returned with table inet peergate in place"
else
	in_c systemctl stop peergated
	in_c journalctl -u peergated --no-pager -n 15
	echo "FAIL: systemctl start peergated"
	exit 1
fi
main=$(unit_prop MainPID)
if [ "$(in_c stat -c %U "/proc/$main")" = peergate ] &&
	in_c grep -q '^CapEff:.*0000000000001000$' "/proc/$main/status" &&
	in_c grep -q '^Seccomp:.*2' "/proc/$main/status"; then
	ok "running as peergate with CAP_NET_ADMIN only, under a seccomp filter"
else
	fail "daemon identity: $(in_c grep -E '^(Uid|CapEff|Seccomp):' "/proc/$main/status")"
fi

# 2. reloads through ExecReload
in_c systemctl reload peergated && ok "reload with a good policy: exit 0" ||
	fail "reload with a good policy failed"
# 2a. in the container's pid namespace too, the daemon tells its own
# reload from another program's `nft flush ruleset`: only the flush is a
# loss, and the table is back within 2 s
in_c nft flush ruleset
for _ in $(seq 20); do has_table && break; sleep 0.1; done
losses=$(in_c journalctl -u peergated --no-pager -o cat | grep -c 'by another program')
if has_table && [ "$losses" = 1 ]; then
	ok "nft flush ruleset: the table is back; the one warning: $(in_c journalctl -u peergated \
		--no-pager -o cat | grep -m1 'by another program')"
else
	fail "nft flush ruleset: table back: $(has_table && echo yes || echo no), $losses loss warnings (want 1)"
fi
in_c cp /etc/peergate/policy.ini /etc/peergate/policy.ini.good
in_c sh -c 'printf "\n[tor]\nall = blok\n" >>/etc/peergate/policy.ini'
in_c systemctl reload peergated 2>/dev/null
rc=$?
line=$(in_c journalctl -u peergated --no-pager -o cat | grep -m1 '/etc/peergate/policy.ini:[0-9]*:')
if [ "$rc" = 1 ] && [ -n "$line" ] && [ "$(unit_prop ActiveState)" = active ] &&
	[ "$(unit_prop MainPID)" = "$main" ]; then
	ok "reload with a broken policy: exit 1, journal: $line; still active"
else
	fail "broken reload: exit $rc, journal '$line', $(unit_prop ActiveState)"
fi
in_c mv /etc/peergate/policy.ini.good /etc/peergate/policy.ini

# 3. the watchdog (1 s here, set by a drop-in)
in_c sh -c 'mkdir -p /run/systemd/system/peergated.service.d &&
	printf "[Service]\nWatchdogSec=1s\n" >/run/systemd/system/peergated.service.d/wd.conf'
in_c systemctl daemon-reload
in_c systemctl restart peergated
main=$(unit_prop MainPID)
restarts=$(unit_prop NRestarts)
new=$main
sleep 2    # several pings while it runs: no restart
[ "$(unit_prop NRestarts)" = "$restarts" ] || fail "restarted while pinging"
if [ "${main:-0}" -gt 1 ]; then
	in_c kill -STOP "$main"
	deadline=$((SECONDS + 10))
	while [ "$SECONDS" -lt "$deadline" ]; do
		new=$(unit_prop MainPID)
		[ "$new" != "$main" ] && [ "$new" != 0 ] && [ "$(unit_prop ActiveState)" = active ] && break
		sleep 0.2
	done
fi
if [ "$(unit_prop NRestarts)" -gt "$restarts" ] && [ "$new" != "$main" ] && has_table &&
	in_c journalctl -u peergated --no-pager -o cat | grep -q 'Watchdog timeout'; then
	ok "a stopped packet loop missed the watchdog: restarted (pid $main -> $new), table in place"
else
	fail "watchdog: NRestarts $(unit_prop NRestarts), pid $main -> $new, $(unit_prop ActiveState)"
fi

# 4. stop, and the score of the unit as systemd loaded it
in_c rm -r /run/systemd/system/peergated.service.d
in_c systemctl daemon-reload
in_c systemctl stop peergated
has_table && fail "the table is still there after systemctl stop" ||
	ok "systemctl stop removed the table"
score=$(in_c systemd-analyze security peergated --no-pager 2>&1 |
	sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
if [ -n "$score" ] && awk -v s="$score" 'BEGIN {exit !(s <= 3.5)}'; then
	ok "systemd-analyze security peergated (loaded unit): $score"
else
	fail "systemd-analyze security peergated: '$score'"
fi

if [ "$failures" = 0 ]; then
	echo "e2e_systemd: 1 passed, 0 failed"
	exit 0
fi
echo "--- journal"; in_c journalctl -u peergated --no-pager -n 20
echo "e2e_systemd: 0 passed, $failures failed"
exit 1
