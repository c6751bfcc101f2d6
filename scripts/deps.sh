#!/usr/bin/env bash
# deps.sh - installs the Debian packages riskgw needs to build, test and run
# its demo. Safe to run again: when every package is present it does nothing.
set -euo pipefail

PACKAGES=(
	build-essential autoconf automake pkg-config
	libssl-dev openssl
	liblmdb-dev lmdb-utils
	libmicrohttpd-dev
	libjansson-dev
	libcmocka-dev
	valgrind
	python3		# integration tests and the demo read JSON stats with it
	haproxy		# tests/bench/run-gw-bench.sh: the plain TLS relay riskgwd is measured against
	libquickfix-dev	# tests/interop: QuickFIX (C++, g++ from build-essential)
)

missing=()
for p in "${PACKAGES[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing packages: ${missing[*]}; run as root (or apt-get install them)" >&2
	exit 1
fi
echo "deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
