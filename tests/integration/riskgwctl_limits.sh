#!/bin/sh
# riskgwctl_limits.sh - riskgwctl end to end on a real rules.mdb: init,
# import docs/examples/limits.json, export and compare, a bad file (exit 1,
# a message, store unchanged), dry run, CSV, single-record commands, the
# audit log, usage errors, and mdb_stat reading the file.
. "$(dirname "$0")/lib.sh"

CTL="$top_builddir/riskgwctl"
EXAMPLE="$top_srcdir/docs/examples/limits.json"
[ -x "$CTL" ] || hard_error "$CTL not built"
[ -r "$EXAMPLE" ] || hard_error "$EXAMPLE missing"

DB="$T/rules.mdb"
W="--who ops --reason integration-test"
unset RISKGW_RULES

ctl() {
	"$CTL" -f "$DB" "$@"
}

# The LMDB transaction id (with mdb_stat; else a checksum of the export and
# the audit log): must not move when nothing is written.
txnid() {
	if [ -n "$MDB_STAT" ]; then
		$MDB_STAT -n -e "$DB" | sed -n 's/.*Last transaction ID: *//p'
	else
		{ "$CTL" -f "$DB" limits export && "$CTL" -f "$DB" audit; } | cksum
	fi
}

MDB_STAT=
if command -v mdb_stat >/dev/null 2>&1; then
	MDB_STAT=mdb_stat
else
	echo "note: mdb_stat (lmdb-utils) not installed: its checks are skipped" >&2
fi

# ---- usage errors: exit 2 ----------------------------------------------------
expect_rc 2 "$CTL"
expect_grep '^usage: riskgwctl' "$T/err"
expect_rc 2 "$CTL" -f "$DB" bogus
expect_grep 'unknown command "bogus"' "$T/err"
expect_rc 2 "$CTL" -f "$DB" limits
expect_grep '"limits" needs a subcommand' "$T/err"
expect_rc 2 "$CTL" -f "$DB" limits frobnicate
expect_rc 2 "$CTL" -f
expect_rc 2 ctl limits import "$EXAMPLE"
expect_grep 'riskgwctl: --who USER is required' "$T/err"
expect_grep 'limits import \[--replace\]' "$T/err"
expect_rc 2 ctl limits import --who ops "$EXAMPLE"
expect_grep '--reason TEXT is required' "$T/err"
expect_rc 2 ctl limits import $W
expect_rc 2 ctl limits import --bogus $W "$EXAMPLE"
expect_grep 'unknown option --bogus' "$T/err"
expect_rc 2 ctl limits export --who ops
expect_rc 2 ctl limit set global - order_qty abc $W
expect_rc 2 ctl limit set world - order_qty 1 $W
expect_rc 2 ctl limit set global - order_qty 1 maybe $W
expect_rc 0 "$CTL" -h
expect_grep 'parents import-csv' "$T/out"

# ---- before init: exit 1 -----------------------------------------------------
expect_rc 1 ctl limits export
expect_grep "^riskgwctl: $DB: no such file" "$T/err"

# ---- init --------------------------------------------------------------------
expect_rc 0 ctl init
[ -f "$DB" ] || fail "init did not create $DB"
expect_rc 1 ctl init
expect_grep 'already exists' "$T/err"
# $RISKGW_RULES is the default file
RISKGW_RULES=$DB
export RISKGW_RULES
expect_rc 0 "$CTL" limits export
expect_grep '"format": "riskgw-limits"' "$T/out"
unset RISKGW_RULES

# ---- import the example, export it back byte for byte ----------------------
expect_rc 0 ctl limits import $W "$EXAMPLE"
expect_rc 0 ctl limits export "$T/export.json"
cmp "$EXAMPLE" "$T/export.json" || { diff "$EXAMPLE" "$T/export.json" >&2; fail "export differs from the imported file"; }
expect_rc 0 ctl limits export -
cmp "$T/out" "$T/export.json" || fail "export to stdout differs"
expect_rc 0 ctl limits export
cmp "$T/out" "$T/export.json" || fail "export without FILE differs"

# the same from stdin, with --replace, into a second store
expect_rc 0 "$CTL" -f "$T/two.mdb" init
"$CTL" -f "$T/two.mdb" limits import --replace $W - <"$T/export.json" || fail "import from stdin"
expect_rc 0 "$CTL" -f "$T/two.mdb" limits export
cmp "$T/out" "$T/export.json" || fail "second store differs"

# ---- a bad file: exit 1, the message, nothing changed ------------------------
before=$(txnid)
audit_before=$(ctl audit | wc -l)
sed 's/"qty": 1000,/"qtyy": 1000,/' "$EXAMPLE" >"$T/bad.json"
cmp -s "$T/bad.json" "$EXAMPLE" && hard_error "sed did not change the example"
for flags in "" "--replace" "--dry-run"; do
	expect_rc 1 ctl limits import $flags $W "$T/bad.json"
	expect_grep "^riskgwctl: $T/bad.json: parents\[[0-9]*\]\.qtyy: unknown key$" "$T/err"
	[ "$(txnid)" = "$before" ] || fail "bad import ($flags) changed the store"
done
printf '{"format":"riskgw-limits","version":1,"limits":[],"parents":[],"ref_prices":[],"restricted":[' >"$T/trunc.json"
expect_rc 1 ctl limits import --replace $W "$T/trunc.json"
expect_grep 'JSON line 1 column' "$T/err"
expect_rc 1 ctl limits import $W "$T/does-not-exist.json"
expect_grep 'No such file' "$T/err"
[ "$(txnid)" = "$before" ] || fail "bad imports changed the store"
expect_rc 0 ctl limits export
cmp "$T/out" "$T/export.json" || fail "bad imports changed the export"
[ "$(ctl audit | wc -l)" -eq "$audit_before" ] || fail "bad imports wrote audit records"

# ---- dry run of a good change: exit 0, nothing written -------------------------
sed 's/"qty": 1000,/"qty": 1001,/' "$EXAMPLE" >"$T/good.json"
expect_rc 0 ctl limits import --dry-run --replace $W "$T/good.json"
expect_grep 'dry run' "$T/out"
[ "$(txnid)" = "$before" ] || fail "dry run changed the store"
expect_rc 0 ctl limits import $W "$T/good.json"
[ "$(txnid)" != "$before" ] || fail "import did not commit"
expect_rc 0 ctl limits export
expect_grep '"qty": 1001,' "$T/out"

# ---- single records -------------------------------------------------------------
expect_rc 0 ctl limit set global - order_qty 777 $W
expect_rc 0 ctl limit set account NEWACC order_notional 12.5 trip $W
expect_rc 0 ctl limits export
expect_grep '"value": 777,' "$T/out"
expect_grep '"key": "NEWACC"' "$T/out"
expect_grep '"value": "12.5",' "$T/out"
expect_rc 0 ctl limit del account NEWACC order_notional $W
expect_rc 1 ctl limit del account NEWACC $W
expect_grep 'no such limit' "$T/err"
expect_rc 0 ctl parent set PX1 ACC9 IBM sell 500 limit_px=149.5 trip=qty $W
expect_rc 2 ctl parent set PX2 ACC9 IBM sideways 500 $W
expect_grep 'side' "$T/err"
expect_rc 2 ctl parent set PX2 ACC9 IBM buy 500 colour=red $W
expect_rc 0 ctl refpx set NEWSYM 12.34 $W
expect_rc 2 ctl refpx set NEWSYM 0 $W
expect_rc 0 ctl restrict add BADSYM "sanctions list" $W
expect_rc 0 ctl limits export
expect_grep '"id": "PX1"' "$T/out"
expect_grep '"symbol": "NEWSYM"' "$T/out"
expect_grep '"reason": "sanctions list"' "$T/out"
expect_rc 0 ctl restrict del BADSYM $W
expect_rc 1 ctl restrict del BADSYM $W
expect_grep 'not restricted' "$T/err"
expect_rc 0 ctl refpx del NEWSYM $W
expect_rc 0 ctl parent del PX1 $W
expect_rc 1 ctl parent del PX1 $W
expect_grep 'no such parent' "$T/err"

# ---- CSV ----------------------------------------------------------------------
expect_rc 0 ctl parents export-csv "$T/parents.csv"
expect_grep '^id,account,symbol,side,qty,limit_px,max_notional,max_rate,trip$' "$T/parents.csv"
n_before=$(wc -l <"$T/parents.csv")
printf 'id,account,symbol,side,qty,limit_px,max_notional,max_rate,trip\r\n"C,1",ACC1,IBM,buy,10,,,,\r\n' >"$T/add.csv"
expect_rc 0 ctl parents import-csv $W "$T/add.csv"
expect_rc 0 ctl parents export-csv
expect_grep '^"C,1",ACC1,IBM,buy,10,,,,qty|notional|rate$' "$T/out"
[ "$(wc -l <"$T/out")" -eq $((n_before + 1)) ] || fail "CSV merge did not add one parent"
printf 'id,account,symbol,side,qty,limit_px,max_notional,max_rate,trip\nC2,ACC1,IBM,buy,10,,,,\nC3,ACC1,IBM,buy,zero,,,,\n' >"$T/bad.csv"
before=$(txnid)
expect_rc 1 ctl parents import-csv --replace $W "$T/bad.csv"
expect_grep '^riskgwctl: .*bad.csv: line 3, column 5 (qty): "zero" is not a whole number$' "$T/err"
[ "$(txnid)" = "$before" ] || fail "bad CSV changed the store"
expect_rc 0 ctl parents import-csv --replace $W "$T/parents.csv"
expect_rc 0 ctl parents export-csv
cmp "$T/out" "$T/parents.csv" || fail "CSV replace did not restore the parents"

# ---- audit --------------------------------------------------------------------
expect_rc 0 ctl audit
[ "$(wc -l <"$T/out")" -gt 10 ] || fail "too few audit records"
expect_grep '	ops	' "$T/out"
expect_grep '	integration-test$' "$T/out"
awk -F'\t' 'NF != 7 { bad = 1 } END { exit bad }' "$T/out" || fail "audit lines are not 7 tab-separated fields"
last=$(tail -n 1 "$T/out" | cut -f1)
expect_rc 0 ctl audit --from "$last"
[ "$(wc -l <"$T/out")" -eq 1 ] || fail "audit --from $last did not give one record"
expect_rc 0 ctl audit --json --from 1
expect_grep '^{"seq": *1,' "$T/out"
expect_rc 2 ctl audit --from x

# ---- the file is plain LMDB ----------------------------------------------------
if [ -n "$MDB_STAT" ]; then
	expect_rc 0 mdb_stat -n -a "$DB"
	for db in meta limits parents refpx restricted audit; do
		expect_grep "^Status of $db\$" "$T/out"
	done
fi

exit 0
