# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# The opening and closing every scripted end-to-end test shares, on top of
# test/lib/netns.sh (which this sources).  Sourced, not run; a script starts
#
#   set -u
#   . "${2:?usage: NAME.sh BUILD_DIR SRC_DIR}/test/lib/e2e.sh"
#   pg_e2e_begin NAME "$1" "$2" [NS_PREFIX]
#
# and ends with pg_e2e_finish.
#
#   pg_e2e_begin NAME BUILD_DIR SRC_DIR [NS_PREFIX]
#                             set build and src (absolute); exit 77 (skip)
#                             unless root with ip/nft/netns; fail unless
#                             peergated and peergatectl are built; make the
#                             work directory $work (removed at exit, with
#                             the namespaces: the EXIT trap is set here);
#                             sock=$work/ctl.sock; zero the counters; with
#                             NS_PREFIX, pg_e2e_netns NS_PREFIX as well
#   pg_e2e_netns PREFIX       the client | router | server namespaces
#                             (pg_netns_setup), or exit 1; sets C R S
#   pg_e2e_ns1 NAME           one namespace NAME$$ with lo up instead,
#                             removed at exit (it is PG_NS_ROUTER); sets R
#   pass TEXT / fail TEXT     print PASS: / FAIL: TEXT and count it in
#                             $passes / $failures (pg_e2e_pass/pg_e2e_fail:
#                             the same, for scripts that wrap them)
#   pg_e2e_ctl ARGS...        peergatectl ARGS --socket "$sock", inside
#                             namespace $PG_E2E_NS (default $R; none when
#                             empty); the binary is $PG_E2E_CTL
#   pg_e2e_daemon LOG [OPTIONS...]
#                             start peergated OPTIONS --socket "$sock" in
#                             $PG_E2E_NS, never in the machine's own
#                             namespace (output to LOG, its pid in
#                             $daemon) and wait up to 10 s for its control
#                             socket to answer; if it does not: FAIL, the
#                             log, exit 1
#   pg_e2e_daemon_try LOG [OPTIONS...]
#                             the same, but returns 1 instead of exiting
#   pg_e2e_finish [LOG...]    the summary (NAME: P passed, F failed, time);
#                             on a failure the failed checks again and the
#                             last lines of each LOG (default
#                             $work/daemon.log); exit 0 or 1
#
# Counting: a check that a script makes by other means (a Python block
# printing its own verdict) adds to $failures itself.

# shellcheck source=netns.sh source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/netns.sh"

PG_E2E_NAME=
PG_E2E_T0=
PG_E2E_NS=
PG_E2E_CTL=
PG_E2E_FAILED=()
passes=0
failures=0
daemon=

# build, src, work and sock are for the scripts
# shellcheck disable=SC2034
pg_e2e_begin() {
	PG_E2E_NAME=${1:?pg_e2e_begin NAME BUILD_DIR SRC_DIR [NS_PREFIX]}
	build=$(cd "${2:?pg_e2e_begin: no BUILD_DIR}" && pwd) || exit 1
	src=$(cd "${3:?pg_e2e_begin: no SRC_DIR}" && pwd) || exit 1
	pg_netns_require
	local b
	for b in peergated peergatectl; do
		[ -x "$build/$b" ] || { echo "FAIL: $build/$b is not built"; exit 1; }
	done
	PG_E2E_T0=$(date +%s)
	PG_E2E_CTL=$build/peergatectl
	work=$(mktemp -d "/tmp/pg-$PG_E2E_NAME.XXXXXX") ||
		{ echo "FAIL: cannot make a work directory"; exit 1; }
	PG_CLEANUP_HOOKS+=("rm -rf '$work'")
	# pg_netns_setup sets the same again; until then (and in scripts
	# without its namespaces) the work directory goes at exit too
	trap 'pg_netns_cleanup' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	sock=$work/ctl.sock
	if [ -n "${4:-}" ]; then
		pg_e2e_netns "$4"
	fi
	return 0
}

pg_e2e_netns() {
	pg_netns_setup "$1" || { echo "FAIL: cannot build the namespace router"; exit 1; }
	# shellcheck disable=SC2034 # C, R and S are for the scripts
	C=$PG_NS_CLIENT R=$PG_NS_ROUTER S=$PG_NS_SERVER
	PG_E2E_NS=$R
}

pg_e2e_ns1() {
	PG_NS_ROUTER=$1$$
	if ! { ip netns add "$PG_NS_ROUTER" && ip -n "$PG_NS_ROUTER" link set lo up; }; then
		echo "FAIL: cannot create a namespace"
		exit 1
	fi
	R=$PG_NS_ROUTER
	PG_E2E_NS=$R
}

pg_e2e_pass() {
	echo "PASS: $*"
	passes=$((passes + 1))
}

pg_e2e_fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
	PG_E2E_FAILED+=("$*")
}

pass() { pg_e2e_pass "$@"; }
fail() { pg_e2e_fail "$@"; }

pg_e2e_ctl() {
	if [ -n "$PG_E2E_NS" ]; then
		pg_in "$PG_E2E_NS" "$PG_E2E_CTL" "$@" --socket "$sock"
	else
		"$PG_E2E_CTL" "$@" --socket "$sock"
	fi
}

pg_e2e_daemon_try() {
	local log=$1
	shift
	# never in the machine's own namespace: the daemon installs its table
	if [ -z "$PG_E2E_NS" ]; then
		echo "FAIL: pg_e2e_daemon: no namespace (pg_e2e_netns or pg_e2e_ns1 first)" >"$log"
		return 1
	fi
	pg_spawn "$PG_E2E_NS" "$log" "$build/peergated" "$@" --socket "$sock"
	daemon=$PG_LAST_PID
	for _ in $(seq 100); do
		timeout 5 "$PG_E2E_CTL" stats --json --socket "$sock" >/dev/null 2>&1 && return 0
		kill -0 "$daemon" 2>/dev/null || break
		sleep 0.1
	done
	return 1
}

pg_e2e_daemon() {
	pg_e2e_daemon_try "$@" && return 0
	echo "FAIL: peergated did not start ($*):"
	cat "$1"
	exit 1
}

# shellcheck disable=SC2120 # the default is $work/daemon.log
pg_e2e_finish() {
	local pg_logs=("$@") l
	[ ${#pg_logs[@]} -gt 0 ] || pg_logs=("$work/daemon.log")
	if [ "$failures" -gt 0 ]; then
		echo "$PG_E2E_NAME: $failures check(s) failed:"
		[ ${#PG_E2E_FAILED[@]} -eq 0 ] || printf '  - %s\n' "${PG_E2E_FAILED[@]}"
		for l in "${pg_logs[@]}"; do
			[ -s "$l" ] || continue
			echo "--- ${l#"$work"/}, last lines:"
			tail -20 "$l"
		done
	fi
	echo "$PG_E2E_NAME: $passes passed, $failures failed in $(($(date +%s) - PG_E2E_T0)) s"
	[ "$failures" = 0 ] && exit 0
	exit 1
}
