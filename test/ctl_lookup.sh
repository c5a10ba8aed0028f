#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `peergatectl lookup` against the shipped data files and a policy of its
# own: host names and addresses of both families named by a pattern or a
# range, with the policy's action and its [exceptions]; names nothing
# claims; --json; an invalid policy refused with FILE:LINE.  Needs neither
# root nor ../shared.
# Usage: ctl_lookup.sh BUILD_DIR SRC_DIR
set -u
build=$(cd "${1:?usage: ctl_lookup.sh BUILD_DIR SRC_DIR}" && pwd)
src=$(cd "${2:?usage: ctl_lookup.sh BUILD_DIR SRC_DIR}" && pwd)
ctl=$build/peergatectl
work=$(mktemp -d /tmp/pglookup.XXXXXX)
trap 'rm -rf "$work"' EXIT
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

cat >"$work/policy.ini" <<'INI'
[telegram]
im = block
[exceptions]
allow = 149.154.175.0/24
INI
lookup() { "$ctl" lookup --systems "$src/policy/systems.d" --policy "$work/policy.ini" "$@"; }

# expect QUERY "TEXT": the line for QUERY must end with TEXT
expect() {
	local out
	out=$(lookup "$1" 2>&1) || { fail "lookup $1 exited $?: $out"; return; }
	case $out in
	"$1"*"$2") echo "ok: $out" ;;
	*) fail "lookup $1: got '$out', want '... $2'" ;;
	esac
}
expect web.telegram.org "telegram/im by host: block"
expect WEB.Telegram.ORG. "telegram/im by host: block"
expect 149.154.167.51 "telegram/im by range: block"
expect 2001:67c:4e8::a "telegram/im by range: block"
expect 149.154.175.10 "telegram/im by range: allow"
expect 149.154.176.1 "not named by any host pattern or range"
expect 52.113.0.1 "teams/any by range: allow"
expect teams.microsoft.com "teams/im by host: allow"
expect www.example.com "not named by any host pattern or range"

out=$(lookup --json 149.154.167.51 www.example.com 2>&1) || fail "lookup --json exited $?"
echo "$out" | "$PY" -c '
import json, sys
a = json.load(sys.stdin)
assert len(a) == 2, a
assert a[0] == {"query": "149.154.167.51", "system": "telegram", "feature": "im",
                "by": "range", "action": "block"}, a[0]
assert a[1]["system"] is None and a[1]["by"] is None, a[1]
print("ok: --json")' || fail "lookup --json printed: $out"

printf '[telegram]\nim = bloc\n' >"$work/bad.ini"
out=$("$ctl" lookup --systems "$src/policy/systems.d" --policy "$work/bad.ini" t.me 2>&1)
rc=$?
[ "$rc" = 1 ] || fail "an invalid policy exited $rc, want 1"
echo "$out" | grep -q "$work/bad.ini:2:" || fail "an invalid policy is not reported as FILE:LINE: $out"
"$ctl" lookup >/dev/null 2>&1
[ $? = 2 ] || fail "lookup without a query did not exit 2"

if [ "$failures" = 0 ]; then
	echo "ctl_lookup: ok"
	exit 0
fi
echo "ctl_lookup: $failures failure(s)"
exit 1
