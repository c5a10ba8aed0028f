#!/bin/sh
# keepalived notify script for two peergate routers running conntrackd
# (FTFW mode).  keepalived calls it on every state change of the sync group:
#
#   peergate-notify.sh [-C CONNTRACKD_CONF] [-L LOGFILE] TYPE NAME STATE [PRIORITY]
#
# STATE MASTER (this router takes the gateway addresses over):
#   conntrackd -c   commit the entries replicated from the other router into
#                   this kernel: with them their ct marks, and so peergate's
#                   verdicts, which this router's table honours before it
#                   queues anything; allowed flows go on without inspection,
#                   blocked ones stay blocked
#   conntrackd -f   flush both caches (the external one is now in the kernel)
#   conntrackd -R   fill the internal cache from the kernel table
#   conntrackd -B   send it all to the other router, for when it comes back
# STATE BACKUP:
#   conntrackd -t   this router's own entries expire (PurgeTimeout)
#   conntrackd -n   ask the other router for its table
# STATE FAULT: conntrackd -t.  STATE STOP: nothing.
#
# Messages go to LOGFILE if given, else to syslog (logger), tagged
# peergate-ha.  Exits 0: keepalived does not act on a notify script's status.
conf=/etc/conntrackd/conntrackd.conf
log=
while [ $# -gt 0 ]; do
	case "$1" in
	-C) conf=$2; shift 2 ;;
	-L) log=$2; shift 2 ;;
	*) break ;;
	esac
done
state=${3:-}

say() {
	if [ -n "$log" ]; then
		echo "$(date '+%Y-%m-%d %H:%M:%S.%N') peergate-ha: $*" >>"$log"
	else
		logger -t peergate-ha -- "$*" 2>/dev/null || true
	fi
}

ctd=$(command -v conntrackd 2>/dev/null || echo /usr/sbin/conntrackd)

# run WHAT ARGS...: one conntrackd client command, its failure logged
run() {
	what=$1
	shift
	if out=$("$ctd" -C "$conf" "$@" 2>&1); then
		say "$what: done"
	else
		say "$what: FAILED: $out"
	fi
}

say "state $state ($*)"
case "$state" in
MASTER)
	run "commit external cache (conntrackd -c)" -c
	run "flush caches (conntrackd -f)" -f
	run "resync internal cache with the kernel (conntrackd -R)" -R
	run "bulk send to the other router (conntrackd -B)" -B
	say "takeover complete"
	;;
BACKUP)
	run "purge timer on the kernel table (conntrackd -t)" -t
	run "resync request to the other router (conntrackd -n)" -n
	;;
FAULT)
	run "purge timer on the kernel table (conntrackd -t)" -t
	;;
esac
exit 0
