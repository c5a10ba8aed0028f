#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Records ordinary encrypted traffic made by real programs, for the
# heuristics' false-positive checks (test/captures/expected.tsv): TLS 1.3
# between `openssl s_server` and `openssl s_client` on 443 and 8443, with
# SNI irc.* on 6697 and xmpp.* on 5223, and SSH
# (OpenSSH sshd and ssh, a command that prints 4 KiB of random text) on
# 2222 and 443; through the client | router | server namespaces of
# test/lib/netns.sh, captured on the router.  (No TLS without a name on
# 5223, though that is plain TLS too: test/e2e_inline.sh replays the
# ordinary flows of these captures under a policy whose kernel port sets
# block 5223.)  Needs root, openssl, sshd, ssh
# and tcpdump.
# Usage: test/tools/mkcaptures_encrypted.sh OUTFILE
set -eu
here=$(cd "$(dirname "$0")" && pwd)
outfile=${1:?usage: mkcaptures_encrypted.sh OUTFILE}
. "$here/../lib/netns.sh"
pg_netns_require
for t in openssl /usr/sbin/sshd ssh ssh-keygen tcpdump; do
	command -v "$t" >/dev/null 2>&1 || { echo "needs $t" >&2; exit 1; }
done
tmp=$(mktemp -d)
PG_CLEANUP_HOOKS+=("rm -rf '$tmp'")
pg_netns_setup pgenc

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
	-subj /CN=www.example.org -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>/dev/null
ssh-keygen -q -t ed25519 -N '' -f "$tmp/host_key"
ssh-keygen -q -t ed25519 -N '' -f "$tmp/user_key"
cp "$tmp/user_key.pub" "$tmp/authorized_keys"
chmod 600 "$tmp/authorized_keys"
cat >"$tmp/sshd_config" <<CFG
HostKey $tmp/host_key
AuthorizedKeysFile $tmp/authorized_keys
StrictModes no
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PidFile none
Port 2222
Port 443
CFG

pg_spawn "$PG_NS_ROUTER" "$tmp/rec.log" tcpdump -U -n -s 0 -i vc -w "$tmp/cap.pcap" \
	"tcp and host $PG_S4"
recpid=$PG_LAST_PID
servers=()
for port in 8443 6697 5223; do
	pg_spawn "$PG_NS_SERVER" "$tmp/tls$port.log" openssl s_server -quiet -www \
		-accept "$port" -cert "$tmp/cert.pem" -key "$tmp/key.pem"
	servers+=("$PG_LAST_PID")
done
sleep 1.5

# tls PORT [SNI]: one HTTPS-style request over real TLS 1.3
tls() {
	local sni=()
	[ -n "${2:-}" ] && sni=(-servername "$2") || sni=(-noservername)
	printf 'GET / HTTP/1.0\r\n\r\n' |
		pg_in "$PG_NS_CLIENT" timeout 10 openssl s_client -quiet -connect "$PG_S4:$1" \
			"${sni[@]}" >/dev/null 2>&1 || true
	sleep 0.3
}
tls 8443 www.example.org
tls 6697 irc.libera.example
tls 5223 xmpp.example.org
for pid in "${servers[@]}"; do
	pg_kill "$pid"
done
pg_spawn "$PG_NS_SERVER" "$tmp/tls443.log" openssl s_server -quiet -www \
	-accept 443 -cert "$tmp/cert.pem" -key "$tmp/key.pem"
tls443=$PG_LAST_PID
sleep 1
tls 443 www.example.org
pg_kill "$tls443"
sleep 0.5

mkdir -p /run/sshd # sshd's privilege separation directory
pg_spawn "$PG_NS_SERVER" "$tmp/sshd.log" /usr/sbin/sshd -D -e -f "$tmp/sshd_config"
sleep 1
for port in 2222 443; do
	pg_in "$PG_NS_CLIENT" timeout 20 ssh -q -i "$tmp/user_key" -p "$port" \
		-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes \
		"root@$PG_S4" 'head -c 3072 /dev/urandom | base64' >"$tmp/ssh$port.out" ||
		{ echo "ssh on $port failed:" >&2; cat "$tmp/sshd.log" >&2; exit 1; }
	[ "$(wc -c <"$tmp/ssh$port.out")" -gt 4000 ] || { echo "ssh on $port: short output" >&2; exit 1; }
	sleep 0.3
done
sleep 0.5
pg_kill "$recpid" INT
cp "$tmp/cap.pcap" "$outfile"
echo "wrote $outfile ($(stat -c %s "$outfile") bytes)"
