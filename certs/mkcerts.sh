#!/bin/sh
# mkcerts.sh DIR [ROUTERS] - makes a development PKI for riskgw in DIR:
#
#   ca.crt ca.key                the dev CA (routers, riskgwd, venues, admin UI)
#   riskgwd.crt/.key             riskgwd's server certificate toward routers
#                                and its client certificate toward venues
#   venue.crt/.key               the venue simulator (server)
#   admin.crt/.key               riskgw-admin's HTTPS certificate
#   router1..N.crt/.key          router client certificates (CN=routerN)
#   expired.crt/.key             a router certificate that has expired
#   rogue-ca.crt, rogue.crt/.key a router certificate from another CA
#
# Server certificates carry subjectAltName localhost, 127.0.0.1 and ::1.
# Keys are EC P-256 and mode 0600 (riskgwd refuses keys readable by others).
# Development only: never use these keys in production. Safe to run again:
# existing files are kept.
set -eu

dir=${1:?usage: mkcerts.sh DIR [ROUTERS]}
routers=${2:-8}
days=825
umask 077
mkdir -p "$dir"
cd "$dir"

key() {
	[ -f "$1.key" ] || openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	    -out "$1.key" 2>/dev/null
	chmod 600 "$1.key"
}

# sign NAME CN EXT CA [DAYS_OR_DATES...]
sign() {
	name=$1 cn=$2 ext=$3 ca=$4
	[ -f "$name.crt" ] && return 0
	key "$name"
	openssl req -new -key "$name.key" -subj "/O=riskgw dev/CN=$cn" -out "$name.csr"
	printf '%s\n' "$ext" >"$name.ext"
	openssl x509 -req -in "$name.csr" -CA "$ca.crt" -CAkey "$ca.key" -CAcreateserial \
	    -days "$days" -sha256 -extfile "$name.ext" -out "$name.crt" 2>/dev/null
	rm -f "$name.csr" "$name.ext"
}

mkca() {
	[ -f "$1.crt" ] && return 0
	key "$1"
	openssl req -new -x509 -key "$1.key" -subj "/O=riskgw dev/CN=$2" -days 3650 -sha256 \
	    -addext "basicConstraints=critical,CA:TRUE" \
	    -addext "keyUsage=critical,keyCertSign,cRLSign" -out "$1.crt"
}

server_ext='basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1'
client_ext='basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth'

mkca ca "riskgw dev CA"
sign riskgwd riskgwd "$server_ext" ca
sign venue venue "$server_ext" ca
sign admin localhost "$server_ext" ca
i=1
while [ "$i" -le "$routers" ]; do
	sign "router$i" "router$i" "$client_ext" ca
	i=$((i + 1))
done

# An expired router certificate: valid for one day in 2024. `openssl x509`
# of OpenSSL 3.0 cannot set a start date; `openssl ca` can.
if [ ! -f expired.crt ]; then
	key expired
	t=$(mktemp -d ./ca-XXXXXX)
	: >"$t/index.txt"
	echo 1000 >"$t/serial"
	cat >"$t/ca.cnf" <<EOF
[ca]
default_ca = dev
[dev]
database = $t/index.txt
new_certs_dir = $t
serial = $t/serial
certificate = ca.crt
private_key = ca.key
default_md = sha256
policy = any
unique_subject = no
[any]
organizationName = optional
commonName = supplied
[client]
$client_ext
EOF
	openssl req -new -key expired.key -subj "/O=riskgw dev/CN=router1" -out "$t/expired.csr"
	openssl ca -batch -notext -config "$t/ca.cnf" -extensions client \
	    -startdate 20240101000000Z -enddate 20240102000000Z \
	    -in "$t/expired.csr" -out expired.crt 2>/dev/null
	rm -rf "$t"
fi

# A router certificate from a CA riskgwd does not trust.
mkca rogue-ca "rogue CA"
sign rogue router1 "$client_ext" rogue-ca

chmod 644 ./*.crt
