#!/bin/sh
# certs/mkcerts.sh makes a PKI that verifies as documented: the dev
# certificates chain to the dev CA, the expired and rogue ones do not, keys
# are private, and a second run changes nothing.
. "${top_srcdir:-.}/tests/integration/lib.sh"

command -v openssl >/dev/null || exit 77
sh "$top_srcdir/certs/mkcerts.sh" "$T/pki" 3 >"$T/log" 2>&1 || { cat "$T/log"; fail "mkcerts.sh failed"; }
cd "$T/pki" || hard_error "no $T/pki"

for c in riskgwd venue admin router1 router2 router3; do
	expect_rc 0 openssl verify -CAfile ca.crt "$c.crt"
done
expect_rc 2 openssl verify -CAfile ca.crt expired.crt
expect_grep "certificate has expired" "$T/all"
expect_rc 2 openssl verify -CAfile ca.crt rogue.crt
expect_rc 0 openssl verify -CAfile ca.crt -verify_hostname localhost riskgwd.crt
expect_rc 0 openssl verify -CAfile ca.crt -verify_ip 127.0.0.1 venue.crt
openssl x509 -in router2.crt -noout -subject >"$T/subj"
expect_grep "CN = router2" "$T/subj"
for k in *.key; do
	[ "$(stat -c %a "$k")" = 600 ] || fail "$k is mode $(stat -c %a "$k"), expected 600"
done
sum1=$(cat ./*.crt ./*.key | md5sum)
sh "$top_srcdir/certs/mkcerts.sh" "$T/pki" 3 >/dev/null 2>&1 || fail "second run failed"
sum2=$(cat ./*.crt ./*.key | md5sum)
[ "$sum1" = "$sum2" ] || fail "a second run changed the PKI"
exit 0
