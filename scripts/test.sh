#!/usr/bin/env bash
# test.sh - installs what is needed, builds with warnings as errors and with
# AddressSanitizer + UndefinedBehaviorSanitizer, and runs every test
# (`make check`: cmocka unit tests and integration tests), then
# `make distcheck`. Exits non-zero if anything fails.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
bash "$src/scripts/deps.sh"
bash "$src/scripts/build.sh" build/check --enable-werror --enable-sanitizers
cd "$src/build/check"
if ! make -j"$(nproc)" check; then
	for f in $(find . -name '*.log' ! -name config.log ! -name test-suite.log); do
		if grep -qE '^:test-result: (FAIL|ERROR)' "${f%.log}.trs" 2>/dev/null; then
			echo "===== $f"
			tail -n 80 "$f"
		fi
	done
	exit 1
fi
make -j"$(nproc)" distcheck >distcheck.log 2>&1 || { tail -n 100 distcheck.log; exit 1; }
grep -E '^riskgw-.*archives ready for distribution' distcheck.log || true
echo "test.sh: all tests passed"
