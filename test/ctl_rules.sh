#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `peergatectl rules flush` tells the truth, in a private network namespace:
# with no table it says nothing was removed; after `rules apply` it says
# the table was removed (and it is gone); both exit 0; a table of someone
# else is never touched.
# Arguments: BUILD_DIR SRC_DIR.  Skips (77) without root.
set -u
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
. "$src/test/lib/netns.sh"
pg_netns_require
ns=pgfl$$
trap 'ip netns del "$ns" 2>/dev/null' EXIT
ip netns add "$ns" || { echo "FAIL: cannot create a namespace"; exit 1; }
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }
ctl() { ip netns exec "$ns" "$build/peergatectl" "$@"; }
has_table() { ip netns exec "$ns" nft list table inet "$1" >/dev/null 2>&1; }

ip netns exec "$ns" nft add table inet other
out=$(ctl rules flush 2>&1)
rc=$?
if [ "$rc" = 0 ] && [ "$out" = "no table inet peergate: nothing removed" ]; then
	ok "flush without a table: exit 0, '$out'"
else
	fail "flush without a table: exit $rc, '$out'"
fi
ctl rules apply --policy "$src/policy/policy.ini" >/dev/null || fail "rules apply failed"
has_table peergate || fail "no table after rules apply"
out=$(ctl rules flush 2>&1)
rc=$?
if [ "$rc" = 0 ] && [ "$out" = "table inet peergate removed" ] && ! has_table peergate; then
	ok "flush with a table: exit 0, '$out', and it is gone"
else
	fail "flush with a table: exit $rc, '$out', table $(has_table peergate && echo left || echo gone)"
fi
out=$(ctl rules flush 2>&1)
[ "$out" = "no table inet peergate: nothing removed" ] || fail "second flush: '$out'"
has_table other && ok "table inet other untouched" || fail "table inet other was removed"

if [ "$failures" = 0 ]; then
	echo "ctl_rules: 1 passed, 0 failed"
	exit 0
fi
echo "ctl_rules: 0 passed, $failures failed"
exit 1
