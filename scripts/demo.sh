#!/usr/bin/env bash
# demo.sh [--duration SECONDS] - installs what is needed, builds riskgw and
# runs the demo on loopback. Until the gateway exists the demo drives the
# rules engine end to end on a real rules.mdb: limits imported with
# riskgwctl, parents registered, a stream of child orders from well-behaved
# routers and one runaway router (Knight's Power Peg), every decision checked
# against the limits.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
bash "$src/scripts/deps.sh"
bash "$src/scripts/build.sh" build/demo
exec "$src/build/demo/tests/sim/rules-demo" "$@"
