#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Records a real obfuscated eMule transfer between two aMule daemons
# (amuled) through the client | router | server namespaces of
# test/lib/netns.sh, captured on the router's client-side interface.  The
# seeder (server namespace) listens on PORT, shares a file of random bytes
# and requires obfuscation; the leecher (client namespace) requests and
# supports it.  Neither connects to Kad, uses client UDP or UPnP, or has a
# server list, IP filter or version check to fetch (the leecher's only
# other packets are its server UDP pings to the router's address).  The
# leecher learns the seeder from test/tools/fixeded2kserver.py, a minimal
# eD2k server in the router namespace on the router's own addresses: aMule
# asks sources only while connected to a network, and it obfuscates a
# connection to a client only when it knows that client's user hash and
# obfuscation settings (the seeder's hash is set in its preferences.dat and
# handed to the server).
# The capture holds the connections to the seeder's address only; with
# PG_EMULE_WITH_SERVER set, the leecher's eD2k server connection too (its
# OP_FOUNDSOURCES_OBFU answer names the seeder's address and port).  Needs
# root, amule-daemon (amuled, amulecmd), openssl and tcpdump.  With
# PG_EMULE_KEEP set, a failed transfer leaves its capture in OUTFILE.partial.
# Usage: test/tools/mkcaptures_emule.sh OUTFILE PORT [SIZE_KIB]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
outfile=${1:?usage: mkcaptures_emule.sh OUTFILE PORT [SIZE_KIB]}
port=${2:?usage: mkcaptures_emule.sh OUTFILE PORT [SIZE_KIB]}
size_kib=${3:-24}
. "$here/../lib/netns.sh"
pg_netns_require
for t in amuled amulecmd openssl tcpdump; do
	command -v "$t" >/dev/null 2>&1 || { echo "needs $t" >&2; exit 1; }
done
tmp=$(mktemp -d)
PG_CLEANUP_HOOKS+=("rm -rf '$tmp'")
pg_netns_setup pgem

ecpass=peergate
ecport=4712
srvport=4661
for side in s c; do
	mkdir -p "$tmp/cfg-$side/Incoming" "$tmp/cfg-$side/Temp"
done
head -c $((size_kib * 1024)) /dev/urandom >"$tmp/cfg-s/Incoming/payload.bin"
# The eD2k hash of a file below 9,728,000 bytes is the MD4 of its bytes.
filehash=$(openssl dgst -provider legacy -provider default -md4 -r \
	"$tmp/cfg-s/Incoming/payload.bin" | cut -c1-32)
link="ed2k://|file|payload.bin|$((size_kib * 1024))|$filehash|/"
# The seeder's user hash, marked as eMule's (bytes 5 and 14), written
# where aMule keeps it: a version byte and the 16 bytes.
seedhash=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
seedhash="${seedhash:0:10}0e${seedhash:12:16}6f${seedhash:30:2}"
printf '\x02' >"$tmp/cfg-s/preferences.dat"
printf '%s' "$seedhash" | sed 's/../\\x&/g' | xargs -0 printf >>"$tmp/cfg-s/preferences.dat"

# conf DIR NICK PORT REQUIRED: an amule.conf that reaches nothing by itself
conf() {
	cat >"$1/amule.conf" <<CONF
[eMule]
AppVersion=2.3.3
Nick=$2
Port=$3
UDPPort=$(($3 + 10))
UDPDisable=1
UDPEnable=0
Address=
Autoconnect=0
Reconnect=0
ConnectToKad=0
ConnectToED2K=1
Serverlist=0
AddServerListFromServer=0
AddServerListFromClient=0
SafeServerConnect=0
SmartIdCheck=0
UPnPEnabled=0
NewVersionCheck=0
GeoIPEnabled=0
IPFilterAutoLoad=0
IPFilterClients=0
IPFilterServers=0
FilterLanIPs=0
ParanoidFiltering=0
Ed2kServersUrl=
KadNodesUrl=
IPFilterURL=
OnlineSignature=0
MaxUpload=0
MaxDownload=0
IncomingDir=$1/Incoming
TempDir=$1/Temp
OSDirectory=$1/
ICH=1
AICHTrust=0
[ExternalConnect]
AcceptExternalConnections=1
ECAddress=127.0.0.1
ECPort=$ecport
ECPassword=$(printf '%s' "$ecpass" | md5sum | cut -c1-32)
UPnPECEnabled=0
[WebServer]
Enabled=0
UPnPWebServerEnabled=0
[Proxy]
ProxyEnableProxy=0
[Obfuscation]
IsClientCryptLayerSupported=1
IsCryptLayerRequested=1
IsClientCryptLayerRequired=$4
CONF
}
conf "$tmp/cfg-s" peergate-seeder "$port" 1
conf "$tmp/cfg-c" peergate-leecher 4662 0

# ec NS COMMAND: one amulecmd command against that namespace's amuled
ec() {
	pg_in "$1" amulecmd -h 127.0.0.1 -p "$ecport" -P "$ecpass" -c "$2"
}
# ec_wait NS: until that namespace's amuled answers on its EC port
ec_wait() {
	local _
	for _ in $(seq 60); do
		ec "$1" status >/dev/null 2>&1 && return 0
		sleep 0.5
	done
	echo "amuled in $1 does not answer on EC port $ecport" >&2
	return 1
}

pg_spawn "$PG_NS_ROUTER" "$tmp/ed2kserver.log" "$PG_PY" "$here/fixeded2kserver.py" \
	"$srvport" "$PG_S4" "$port" "$seedhash" 7
pg_spawn "$PG_NS_ROUTER" "$tmp/rec.log" tcpdump -U -n -s 0 -i vc -w "$tmp/cap.pcap" \
	"tcp and (host $PG_S4${PG_EMULE_WITH_SERVER:+ or port $srvport})"
recpid=$PG_LAST_PID
pg_spawn "$PG_NS_SERVER" "$tmp/seed.log" amuled --config-dir="$tmp/cfg-s"
seedpid=$PG_LAST_PID
pg_spawn "$PG_NS_CLIENT" "$tmp/leech.log" amuled --config-dir="$tmp/cfg-c"
leechpid=$PG_LAST_PID
ec_wait "$PG_NS_SERVER"
ec_wait "$PG_NS_CLIENT"
sleep 2 # the seeder hashes its shared file
ec "$PG_NS_CLIENT" "add ed2k://|server|$PG_R4C|$srvport|/" >"$tmp/ec.log" 2>&1
ec "$PG_NS_CLIENT" "connect $PG_R4C:$srvport" >>"$tmp/ec.log" 2>&1
sleep 2
ec "$PG_NS_CLIENT" "add $link" >>"$tmp/ec.log" 2>&1

done=0
pg_wait_same "$tmp/cfg-s/Incoming/payload.bin" "$tmp/cfg-c/Incoming/payload.bin" 120 && done=1
sleep 2
pg_kill "$leechpid" INT
pg_kill "$seedpid" INT
sleep 0.5
pg_kill "$recpid" INT
if [ "$done" != 1 ]; then
	echo "transfer did not complete; logs:" >&2
	for f in ec.log ed2kserver.log leech.log seed.log; do
		echo "== $f" >&2
		tail -n 25 "$tmp/$f" >&2
	done
	[ -n "${PG_EMULE_KEEP:-}" ] && cp "$tmp/cap.pcap" "$outfile.partial"
	exit 1
fi
cp "$tmp/cap.pcap" "$outfile"
echo "wrote $outfile ($(stat -c %s "$outfile") bytes); seeder user hash $seedhash"
