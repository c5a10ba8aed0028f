#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The bash completions, driven the way bash drives them (COMP_WORDS,
# COMP_CWORD), against the built binaries: peergatectl completes its
# commands, the rules actions, each command's options and file arguments;
# peergated completes its options, users and groups.
# Arguments: BUILD_DIR SRC_DIR.
set -u
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
. "$src/completion/peergatectl.bash"
. "$src/completion/peergated.bash"
failures=0
work=$(mktemp -d /tmp/pgcomp.XXXXXX)
trap 'rm -rf "$work"' EXIT
touch "$work/policy-a.ini" "$work/policy-b.ini"
mkdir "$work/sysdir"

# expect FUNCTION "EXPECTED WORDS" WORD...: complete the last word
expect() {
	local fn=$1 want=$2
	shift 2
	COMP_WORDS=("$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	"$fn" 2>/dev/null
	local got
	got=$(printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ')
	got=${got% }
	if [ "$got" = "$want" ]; then
		echo "ok: ${*:2} -> $got"
	else
		echo "FAIL: ${*:2}: got '$got', want '$want'"
		failures=$((failures + 1))
	fi
}
ctl=$build/peergatectl
expect _peergatectl "--help --version check classify flows help lookup reload rules stats version" "$ctl" ""
expect _peergatectl "reload rules" "$ctl" r
expect _peergatectl "apply flush show" "$ctl" rules ""
expect _peergatectl "--json --prometheus --socket --watch" "$ctl" stats --
expect _peergatectl "1 10 2 5" "$ctl" stats --watch ""
expect _peergatectl "--json --socket" "$ctl" flows --
expect _peergatectl "--quiet" "$ctl" classify --json --q
expect _peergatectl "--policy" "$ctl" rules apply --p
expect _peergatectl "$work/policy-a.ini $work/policy-b.ini" "$ctl" rules apply --policy "$work/pol"
expect _peergatectl "$work/policy-a.ini $work/policy-b.ini" "$ctl" check "$work/pol"
expect _peergated "--socket --socket-group" "$build/peergated" --so
expect _peergated "root" "$build/peergated" --user roo
expect _peergated "--log-level --log-target" "$build/peergated" --log
expect _peergated "debug" "$build/peergated" --log-level de
expect _peergatectl "--count" "$ctl" classify -i lo --co
expect _peergatectl "lo" "$ctl" classify --interface l
expect _peergatectl "--systems" "$ctl" check --sys
expect _peergatectl "--json --policy --systems" "$ctl" lookup --
expect _peergatectl "$work/policy-a.ini $work/policy-b.ini" "$ctl" lookup --policy "$work/pol"
expect _peergated "$work/sysdir" "$build/peergated" --systems "$work/sysd"
if [ "$failures" = 0 ]; then
	echo "completion: 1 passed, 0 failed"
	exit 0
fi
echo "completion: 0 passed, $failures failed"
exit 1
