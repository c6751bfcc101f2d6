#!/usr/bin/env bash
# build.sh DIR [configure options...] - configures riskgw out of tree in DIR
# (relative to the source tree) and builds it. Reconfigures only when the
# options or the build system changed.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
dir=$1
shift
cd "$src"
if [ ! -x configure ] || [ configure.ac -nt configure ] || [ Makefile.am -nt configure ] ||
    [ m4/rg_macros.m4 -nt configure ]; then
	autoreconf -fi >/dev/null
fi
mkdir -p "$dir"
cd "$dir"
want="$*"
if [ ! -f Makefile ] || [ "$(cat .riskgw-configure-args 2>/dev/null)" != "$want" ] ||
    [ "$src/configure" -nt Makefile ]; then
	"$src/configure" -q "$@"
	printf '%s' "$want" >.riskgw-configure-args
fi
make -j"$(nproc)" >/dev/null
