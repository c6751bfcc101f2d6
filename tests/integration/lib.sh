# lib.sh - sourced by the integration test scripts.
# Exit codes follow automake: 0 pass, 1 fail, 77 skip, 99 hard error.
set -u

: "${top_builddir:=$(pwd)}"
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"

# A private temp directory for this test, removed on exit.
T=$(mktemp -d "${TMPDIR:-/tmp}/riskgw-it-XXXXXX") || exit 99
trap 'rm -rf "$T"' EXIT

fail() {
	echo "FAIL: $*" >&2
	command -v on_fail >/dev/null 2>&1 && on_fail >&2
	exit 1
}

hard_error() {
	echo "ERROR: $*" >&2
	exit 99
}

# expect_rc WANT CMD...: runs CMD, fails unless it exits with WANT. Its
# stdout is left in $T/out, its stderr in $T/err, both in $T/all.
expect_rc() {
	want=$1
	shift
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
	cat "$T/out" "$T/err" >"$T/all"
	if [ "$rc" -ne "$want" ]; then
		echo "--- stdout" >&2; cat "$T/out" >&2
		echo "--- stderr" >&2; cat "$T/err" >&2
		fail "'$*' exited $rc, expected $want"
	fi
}

# expect_grep PATTERN FILE: fails unless FILE has a line matching PATTERN.
expect_grep() {
	grep -q -- "$1" "$2" || { echo "--- $2" >&2; cat "$2" >&2; fail "no '$1' in $2"; }
}
