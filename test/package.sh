#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Installation and the Debian package, without touching this machine:
#   1. cpack -G DEB builds the package; its file list has the binaries in
#      /usr/sbin, the policy in /etc/peergate (and nothing under /usr/etc
#      or /usr/local), the unit, the sysusers.d file, the bash completions,
#      the man pages and the examples under /usr/share/doc/peergate; the
#      policy is its only conffile; Depends names the libraries.
#   2. Installed into a scratch root (dpkg --root, maintainer scripts run
#      with DPKG_ROOT, nothing outside that root changed): the user
#      peergate exists there and the unit is enabled the Debian way; the
#      unit, the binaries' compiled-in defaults and the conffile name the
#      same paths.  systemd-analyze verify passes on the installed unit and
#      `systemd-analyze security` scores it 3.5 or lower.
#   3. An edited policy survives a re-install; remove keeps it, purge
#      removes it and the enablement.
#   4. cmake --install (DESTDIR) installs the policy only when there is
#      none; a build configured for /usr/local generates a unit and
#      defaults that point at /usr/local.
# Uses BUILD_DIR when it was configured with -DCMAKE_INSTALL_PREFIX=/usr
# (scripts/test does), else builds the two binaries in a scratch folder.
# Arguments: BUILD_DIR SRC_DIR.  Skips (77) without root or the tools.
set -u
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: needs root (dpkg --root into a scratch folder)"
	exit 77
fi
for t in cpack dpkg dpkg-deb dpkg-shlibdeps systemd-analyze man; do
	command -v "$t" >/dev/null 2>&1 || { echo "SKIP: '$t' is not installed"; exit 77; }
done
work=$(mktemp -d /tmp/pgpkg.XXXXXX)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }
cache_get() { sed -n "s/^$1:[A-Z]*=//p" "$2/CMakeCache.txt"; }

pkgbuild=$build
if [ "$(cache_get CMAKE_INSTALL_PREFIX "$build")" != /usr ]; then
	echo "note: $build is not a /usr build; building the binaries in a scratch folder"
	pkgbuild=$work/build
	cmake -S "$src" -B "$pkgbuild" -DCMAKE_INSTALL_PREFIX=/usr -DBUILD_TESTING=OFF \
		-DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null &&
		nice cmake --build "$pkgbuild" -j2 --target peergated peergatectl >/dev/null ||
		{ echo "FAIL: cannot build a /usr tree"; exit 1; }
fi

# ---- 1. the package
if ! cpack -G DEB --config "$pkgbuild/CPackConfig.cmake" -B "$work/pkg" >"$work/cpack.log" 2>&1; then
	cat "$work/cpack.log"
	echo "FAIL: cpack -G DEB failed"
	exit 1
fi
deb=$(ls "$work"/pkg/*.deb 2>/dev/null | head -1)
[ -f "$deb" ] || { echo "FAIL: no .deb in $work/pkg"; exit 1; }
ok "built $(basename "$deb") ($(stat -c %s "$deb") bytes)"
dpkg-deb -c "$deb" | awk '$1 !~ /^d/ {print $NF}' | sed 's|^\./|/|' | sort >"$work/files"
echo "package files:"
sed 's/^/  /' "$work/files"
missing=
for f in /usr/sbin/peergated /usr/sbin/peergatectl /etc/peergate/policy.ini \
	/lib/systemd/system/peergated.service /usr/lib/sysusers.d/peergate.conf \
	/usr/share/bash-completion/completions/peergatectl \
	/usr/share/bash-completion/completions/peergated \
	/usr/share/man/man8/peergated.8 /usr/share/man/man8/peergatectl.8 \
	/usr/share/man/man5/peergate-policy.ini.5 /usr/share/doc/peergate/policy.ini \
	/usr/share/man/man5/peergate-systems.5 /usr/share/peergate/systems.d/aim.conf \
	/usr/share/peergate/systems.d/discord.conf \
	/usr/share/doc/peergate/examples/allow-all.ini \
	/usr/share/doc/peergate/examples/block-everything.ini; do
	grep -qxF "$f" "$work/files" || missing="$missing $f"
done
if [ -z "$missing" ]; then ok "the package holds every expected file"; else fail "missing from the package:$missing"; fi
stray=$(grep -E '^/usr/etc/|^/usr/local/|^/home/|^/tmp/|^/root/|^/run/' "$work/files")
if [ -z "$stray" ]; then ok "nothing under /usr/etc, /usr/local, /run or home folders"; else fail "stray files: $stray"; fi
dpkg-deb -e "$deb" "$work/control"
if [ "$(cat "$work/control/conffiles" 2>/dev/null)" = /etc/peergate/policy.ini ]; then
	ok "conffiles: /etc/peergate/policy.ini"
else
	fail "conffiles: '$(cat "$work/control/conffiles" 2>&1)'"
fi
depends=$(dpkg-deb -f "$deb" Depends)
missing=
for lib in libnetfilter-queue1 libmnl0 libnftnl11 libinih1 libpcap0.8 libc6; do
	[[ $depends == *"$lib "* || $depends == *"$lib," || $depends == *"$lib" ]] || missing="$missing $lib"
done
if [ -z "$missing" ]; then ok "Depends: $depends"; else fail "Depends lacks$missing: $depends"; fi
for s in postinst prerm postrm; do
	if [ -x "$work/control/$s" ] && sh -n "$work/control/$s"; then :; else fail "maintainer script $s missing or broken"; fi
done

# ---- 2. into a scratch root
root=$work/root
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/etc"
: >"$root/var/lib/dpkg/status"
# what the package's scripts could change on this machine (other tests may
# add users meanwhile, so only peergate's entries are compared)
host_state() {
	ls -ld /etc/peergate /usr/sbin/peergated /lib/systemd/system/peergated.service \
		/etc/systemd/system/peergated.service \
		/etc/systemd/system/multi-user.target.wants/peergated.service \
		/var/lib/systemd/deb-systemd-helper-enabled/peergated.service.dsh-also \
		/var/lib/systemd/deb-systemd-helper-masked/peergated.service 2>&1
	grep '^peergate:' /etc/passwd /etc/group
}
host_state >"$work/host.before"
dpkg_root() {
	dpkg --root="$root" --force-script-chrootless --force-depends --force-confold "$@"
}
if ! dpkg_root -i "$deb" >"$work/dpkg.log" 2>&1; then
	cat "$work/dpkg.log"
	fail "dpkg --root -i failed"
fi
st=$(dpkg-query --root="$root" -W -f='${Status}' peergate 2>&1)
[ "$st" = "install ok installed" ] && ok "dpkg status: $st" || fail "dpkg status: $st"
if grep -q '^peergate:' "$root/etc/passwd" && grep -q '^peergate:' "$root/etc/group"; then
	ok "postinst created the user and group peergate"
else
	fail "no user peergate in the scratch root"
fi
wants=$root/etc/systemd/system/multi-user.target.wants/peergated.service
if [ "$(readlink "$wants")" = /lib/systemd/system/peergated.service ]; then
	ok "enabled: multi-user.target.wants/peergated.service -> /lib/systemd/system/peergated.service"
else
	fail "not enabled: $(ls -l "$wants" 2>&1)"
fi
host_state >"$work/host.after"
if cmp -s "$work/host.before" "$work/host.after"; then
	ok "this machine's units, users and /etc are unchanged"
else
	fail "the install changed this machine: $(diff "$work/host.before" "$work/host.after")"
fi

unit=$root/lib/systemd/system/peergated.service
ukey() { sed -n "s/^$1=//p" "$unit"; }
start=$(ukey ExecStart)
reload=$(ukey ExecReload)
policy_default=$("$root/usr/sbin/peergatectl" check --help | sed -n 's/.*(default \([^)]*\)).*/\1/p')
daemon_default=$("$root/usr/sbin/peergated" --help | sed -n 's/.*--policy FILE.*(default \([^)]*\)).*/\1/p')
if [ "$start" = "/usr/sbin/peergated --policy /etc/peergate/policy.ini" ] &&
	[ "$reload" = "/usr/sbin/peergatectl reload" ] && [ "$(ukey Type)" = notify ] &&
	[ -n "$(ukey WatchdogSec)" ] && [ "$policy_default" = /etc/peergate/policy.ini ] &&
	[ "$daemon_default" = /etc/peergate/policy.ini ]; then
	ok "unit, peergated and peergatectl agree: /usr/sbin, /etc/peergate/policy.ini; Type=notify, WatchdogSec=$(ukey WatchdogSec), ExecReload=$reload"
else
	fail "paths disagree: ExecStart=$start ExecReload=$reload Type=$(ukey Type); peergated default '$daemon_default', peergatectl default '$policy_default'"
fi
socket_default=$("$root/usr/sbin/peergated" --help | sed -n 's/.*--socket PATH.*(default \([^)]*\)).*/\1/p')
if [ "$socket_default" = /run/peergate/peergate.sock ] && [ "$(ukey RuntimeDirectory)" = peergate ]; then
	ok "control socket default $socket_default in the unit's RuntimeDirectory=peergate"
else
	fail "socket default '$socket_default', RuntimeDirectory=$(ukey RuntimeDirectory)"
fi
if MANPATH=$root/usr/share/man systemd-analyze verify --root="$root" \
	/lib/systemd/system/peergated.service >"$work/verify.log" 2>&1 && [ ! -s "$work/verify.log" ]; then
	ok "systemd-analyze verify: clean (binaries and man pages found in the package)"
else
	fail "systemd-analyze verify: $(cat "$work/verify.log")"
fi
systemd-analyze security --offline=true "$unit" >"$work/security.log" 2>&1
score=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' "$work/security.log")
if [ -n "$score" ] && awk -v s="$score" 'BEGIN {exit !(s <= 3.5)}'; then
	ok "systemd-analyze security: exposure $score (at most 3.5)"
else
	grep '✗' "$work/security.log"
	fail "systemd-analyze security: exposure '$score' (want 3.5 or lower)"
fi

# ---- 3. the admin's edits
echo "# edited by the admin" >>"$root/etc/peergate/policy.ini"
dpkg_root -i "$deb" >"$work/dpkg2.log" 2>&1 || fail "re-install failed: $(cat "$work/dpkg2.log")"
if [ "$(tail -1 "$root/etc/peergate/policy.ini")" = "# edited by the admin" ]; then
	ok "re-install keeps the edited policy"
else
	fail "re-install overwrote the edited policy"
fi
dpkg_root -r peergate >"$work/remove.log" 2>&1 || fail "remove failed: $(cat "$work/remove.log")"
if [ ! -e "$root/usr/sbin/peergated" ] && [ -f "$root/etc/peergate/policy.ini" ]; then
	ok "remove: binaries gone, edited policy kept"
else
	fail "remove: $(ls "$root/usr/sbin" "$root/etc/peergate" 2>&1)"
fi
dpkg_root -P peergate >"$work/purge.log" 2>&1 || fail "purge failed: $(cat "$work/purge.log")"
if [ ! -e "$root/etc/peergate/policy.ini" ] && [ ! -e "$wants" ] &&
	[ ! -e "$root/etc/systemd/system/peergated.service" ]; then
	ok "purge: policy and enablement gone"
else
	fail "purge left: $(ls -l "$root/etc/peergate" "$wants" "$root/etc/systemd/system" 2>&1)"
fi

# ---- 4. cmake --install
dest=$work/dest
DESTDIR=$dest cmake --install "$pkgbuild" >"$work/install1.log" 2>&1 || fail "cmake --install failed"
if [ -f "$dest/etc/peergate/policy.ini" ] && [ ! -e "$dest/usr/etc" ] &&
	[ -f "$dest/usr/share/doc/peergate/examples/allow-all.ini" ]; then
	ok "cmake --install: /etc/peergate/policy.ini, examples in /usr/share/doc/peergate"
else
	fail "cmake --install put: $(cd "$dest" && find . -name '*.ini')"
fi
echo "# edited by the admin" >>"$dest/etc/peergate/policy.ini"
DESTDIR=$dest cmake --install "$pkgbuild" >"$work/install2.log" 2>&1 || fail "second cmake --install failed"
if [ "$(tail -1 "$dest/etc/peergate/policy.ini")" = "# edited by the admin" ] &&
	grep -q "Kept: $dest/etc/peergate/policy.ini" "$work/install2.log"; then
	ok "a second cmake --install keeps the edited policy and says so"
else
	fail "second cmake --install: $(grep -i policy.ini "$work/install2.log")"
fi
local_build=$work/local
if cmake -S "$src" -B "$local_build" -DCMAKE_INSTALL_PREFIX=/usr/local -DBUILD_TESTING=OFF \
	>"$work/local.log" 2>&1; then
	lunit=$local_build/systemd/peergated.service
	if grep -qx "ExecStart=/usr/local/sbin/peergated --policy /usr/local/etc/peergate/policy.ini" "$lunit" &&
		grep -qx "ExecReload=/usr/local/sbin/peergatectl reload" "$lunit" &&
		grep -q '"/usr/local/etc/peergate/policy.ini"' "$local_build/generated/peergate/paths.h" &&
		grep -q '/usr/local/lib/systemd/system' "$local_build/cmake_install.cmake"; then
		ok "prefix /usr/local: unit and defaults both say /usr/local/sbin, /usr/local/etc/peergate"
	else
		fail "prefix /usr/local: $(grep Exec "$lunit"; grep PG_PATH "$local_build/generated/peergate/paths.h")"
	fi
else
	fail "cannot configure a /usr/local build: $(tail -5 "$work/local.log")"
fi

if [ "$failures" = 0 ]; then
	echo "package: 1 passed, 0 failed"
	exit 0
fi
echo "package: 0 passed, $failures failed"
exit 1
