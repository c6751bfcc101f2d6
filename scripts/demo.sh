#!/usr/bin/env bash
# demo.sh [--duration SECONDS] [--keep] [--engine-only] - installs what is
# needed, builds riskgw and runs the demo on loopback: venue-sim, riskgwd
# and three router-sims over mutual TLS (tests/sim/demo.sh says what they
# do). It runs until Ctrl-C, or SECONDS with --duration, then prints a
# summary. --engine-only runs the rules engine's own Knight replay
# (tests/sim/rules_demo.c) instead, without the network.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
bash "$src/scripts/deps.sh"
bash "$src/scripts/build.sh" build/demo
if [ "${1:-}" = --engine-only ]; then
	shift
	exec "$src/build/demo/tests/sim/rules-demo" "$@"
fi
exec sh "$src/tests/sim/demo.sh" "$src/build/demo" "$@"
