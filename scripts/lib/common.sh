# Shared by scripts/run and scripts/test: install what a fresh Debian 12
# machine lacks, then configure and build.  Sourced, not run.

PG_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# Debian packages the build, the tests and the demo need (clang and
# libclang-rt-14-dev, which holds libFuzzer, for scripts/fuzz; conntrackd
# and keepalived for the two-router failover test).
PG_PACKAGES=(build-essential cmake pkg-config
	libnetfilter-queue-dev libmnl-dev libnftnl-dev libnftables-dev libjansson-dev
	libinih-dev libpcap-dev nettle-dev
	python3 python3-scapy iproute2 nftables iperf3 conntrack procps
	passwd util-linux clang libclang-rt-14-dev conntrackd keepalived
	dpkg-dev systemd man-db systemd-container transmission-cli)

pg_install_deps() {
	local missing=()
	for p in "${PG_PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "installing: ${missing[*]}"
	local sudo=""
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

# pg_build DIR [cmake args...]; PG_TARGETS (optional) limits what is built.
# The prefix is /usr (Debian's paths: /usr/sbin, /etc/peergate) unless the
# arguments say otherwise.
pg_build() {
	local dir=$1
	shift
	cmake -S "$PG_ROOT" -B "$dir" -DCMAKE_INSTALL_PREFIX=/usr "$@" >/dev/null
	# shellcheck disable=SC2086
	cmake --build "$dir" -j"$(nproc)" ${PG_TARGETS:+--target $PG_TARGETS}
}
