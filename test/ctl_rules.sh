#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `peergatectl rules flush` tells the truth, in a private network namespace:
# with no table it says nothing was removed; after `rules apply` it says
# the table was removed (and it is gone); both exit 0; a table of someone
# else is never touched.
# Arguments: BUILD_DIR SRC_DIR.  Skips (77) without root.
set -u
. "${2:?usage: ctl_rules.sh BUILD_DIR SRC_DIR}/test/lib/e2e.sh"
pg_e2e_begin ctl_rules "$1" "$2"
pg_e2e_ns1 pgfl
ns=$R
ctl() { ip netns exec "$ns" "$build/peergatectl" "$@"; }
has_table() { ip netns exec "$ns" nft list table inet "$1" >/dev/null 2>&1; }

ip netns exec "$ns" nft add table inet other
out=$(ctl rules flush 2>&1)
rc=$?
if [ "$rc" = 0 ] && [ "$out" = "no table inet peergate: nothing removed" ]; then
	pass "flush without a table: exit 0, '$out'"
else
	fail "flush without a table: exit $rc, '$out'"
fi
ctl rules apply --policy "$src/policy/policy.ini" >/dev/null || fail "rules apply failed"
has_table peergate || fail "no table after rules apply"
out=$(ctl rules flush 2>&1)
rc=$?
if [ "$rc" = 0 ] && [ "$out" = "table inet peergate removed" ] && ! has_table peergate; then
	pass "flush with a table: exit 0, '$out', and it is gone"
else
	fail "flush with a table: exit $rc, '$out', table $(has_table peergate && echo left || echo gone)"
fi
out=$(ctl rules flush 2>&1)
[ "$out" = "no table inet peergate: nothing removed" ] || fail "second flush: '$out'"
has_table other && pass "table inet other untouched" || fail "table inet other was removed"

pg_e2e_finish
