#!/usr/bin/env bash
# demo.sh [--duration SECONDS] [--keep] [--knight] [--engine-only] -
# installs what is needed, builds riskgw and runs the demo on loopback:
# venue-sim, riskgwd and three router-sims over mutual TLS (tests/sim/demo.sh
# says what they do). It runs until Ctrl-C, or SECONDS with --duration, then
# prints a summary. --knight runs the Knight Capital replay instead (8
# routers, 212 parents, tests/sim/knight.sh: it checks and prints PASS/FAIL
# for each claim); --engine-only runs the rules engine's own replay
# (tests/sim/rules_demo.c), without the network.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
bash "$src/scripts/deps.sh"
bash "$src/scripts/build.sh" build/demo
if [ "${1:-}" = --knight ]; then
	shift
	exec sh "$src/tests/sim/knight.sh" "$src/build/demo" "$@"
fi
if [ "${1:-}" = --engine-only ]; then
	shift
	exec "$src/build/demo/tests/sim/rules-demo" "$@"
fi
exec sh "$src/tests/sim/demo.sh" "$src/build/demo" "$@"
