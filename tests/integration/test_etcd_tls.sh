#!/bin/bash
# test_etcd_tls.sh KBS KBS_CLIENT KBS_ADMIN: replication through an etcd
# that requires TLS with client certificates (--client-cert-auth) under a
# private CA, on loopback (docs/operations.md, "Scale-out", etcd TLS):
#   - two replicas with ca_file, cert_file and key_file: a policy put
#     through replica 1 is in etcd (read back with the client certificate)
#     and replica 2 serves it;
#   - a replica without a client certificate: etcd refuses it, the refusal
#     is logged with libcurl's reason, it never syncs and an admin write is
#     503 etcd_not_synced;
#   - a replica trusting another CA: etcd's certificate fails verification
#     (logged), likewise 503 etcd_not_synced;
#   - start-up refusals: cert_file without key_file and TLS members with
#     http:// endpoints (configuration errors, exit 2), a key file open to
#     others or not the certificate's key (exit 1, naming the member);
#   - no log holds the private key.
# Skips (77) without etcd or openssl. Ports are picked free; every wait has
# a deadline; everything started is killed on exit.
set -u
kbs=$1
client=$2
admin=$3
here=$(dirname "$0")
for tool in etcd openssl curl; do
	if ! command -v "$tool" >/dev/null; then
		echo "SKIP: $tool is not installed (deploy/setup.sh installs etcd-server)"
		exit 77
	fi
done
# shellcheck source=lib.sh
. "$here/lib.sh"
pids=()
cleanup() {
	kill_pids
	[ -n "${KEEP_TMP:-}" ] && echo "kept $tmp" || rm -rf "$tmp"
}
trap cleanup EXIT

# ---- a private CA, etcd's certificate, a client's, and an unrelated CA -------

pki=$tmp/pki
mkdir -m 700 "$pki"
ca() { # ca NAME
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-subj "/CN=$1" -keyout "$pki/$1.key" -out "$pki/$1.pem" 2>/dev/null
}
leaf() { # leaf NAME CA EXT
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$1" \
		-keyout "$pki/$1.key" -out "$pki/$1.csr" 2>/dev/null &&
		printf '%s\n' "$3" >"$pki/$1.ext" &&
		openssl x509 -req -in "$pki/$1.csr" -CA "$pki/$2.pem" -CAkey "$pki/$2.key" \
			-CAcreateserial -days 2 -extfile "$pki/$1.ext" -out "$pki/$1.pem" 2>/dev/null
}
ca etcd-ca || exit 1
ca other-ca || exit 1
# clientAuth too: etcd's JSON gateway calls its own gRPC server with this certificate.
leaf server etcd-ca "subjectAltName=IP:127.0.0.1
extendedKeyUsage=serverAuth,clientAuth" || exit 1
leaf client etcd-ca "extendedKeyUsage=clientAuth" || exit 1
leaf stranger other-ca "extendedKeyUsage=clientAuth" || exit 1
chmod 600 "$pki"/*.key

# ---- etcd: https only, client certificates required ----------------------------

read -r cport pport <<<"$(free_ports 2)"
ep="https://127.0.0.1:$cport"
etcd --name e1 --data-dir "$tmp/etcd" \
	--listen-client-urls "$ep" --advertise-client-urls "$ep" \
	--listen-peer-urls "http://127.0.0.1:$pport" \
	--initial-advertise-peer-urls "http://127.0.0.1:$pport" \
	--initial-cluster "e1=http://127.0.0.1:$pport" --initial-cluster-state new \
	--cert-file "$pki/server.pem" --key-file "$pki/server.key" \
	--trusted-ca-file "$pki/etcd-ca.pem" --client-cert-auth \
	>>"$tmp/etcd.log" 2>&1 &
pids+=($!)
ecurl() { # ecurl PATH [ARGS]: to etcd with the client certificate
	curl -sf -m 2 --cacert "$pki/etcd-ca.pem" --cert "$pki/client.pem" --key "$pki/client.key" \
		"$ep$1" "${@:2}"
}
etcd_healthy() { ecurl /health | grep -q '"health":"true"'; }
check "etcd up with TLS" wait_until 20 etcd_healthy
no_cert_refused() { ! curl -sf -m 2 --cacert "$pki/etcd-ca.pem" "$ep/health" >/dev/null; }
check "etcd refuses a client without a certificate" no_cert_refused

# ---- replicas --------------------------------------------------------------------

"$client" sim-init "$tmp/chip" --product milan >/dev/null || exit 1
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$tmp/master.hex"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$tmp/identity.hex"
declare -A kpid pub adm
# start I CONFIG_JSON: replica I on its own data directory; 0 once listening,
# else 1 with its exit status in $tmp/rc$I (it stopped).
start() {
	local i=$1 out=$tmp/kbs$1.out n
	if [ ! -d "$tmp/data$i" ]; then
		mkdir -m 700 "$tmp/data$i"
		(umask 077 && cp "$tmp/master.hex" "$tmp/data$i/master.key" &&
			cp "$tmp/identity.hex" "$tmp/data$i/identity.key")
	fi
	printf '%s\n' "$2" >"$tmp/kbs$i.json"
	rm -f "$out" "$tmp/rc$i"
	("$kbs" --data-dir "$tmp/data$i" --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 \
		--config "$tmp/kbs$i.json" --trust-root "$tmp/chip/ark.pem" >"$out" \
		2>>"$tmp/kbs$i.log"; echo $? >"$tmp/rc$i") &
	kpid[$i]=$!
	pids+=($!)
	for n in $(seq 300); do
		if grep -q "listening admin" "$out" 2>/dev/null; then
			pub[$i]=$(awk '/listening public/ {print $NF}' "$out")
			adm[$i]=$(awk '/listening admin/ {print $NF}' "$out")
			return 0
		fi
		[ -f "$tmp/rc$i" ] && return 1
		sleep 0.1
	done
	return 1
}
stop() {
	local p
	p=$(pgrep -P "${kpid[$1]}" 2>/dev/null)
	[ -n "$p" ] && kill "$p" 2>/dev/null
	wait "${kpid[$1]}" 2>/dev/null
}
cfg() { # cfg I ENDPOINT TLS_MEMBERS [TIMEOUT]
	printf '{"replica_id": "kbs-%s", "rate_per_ip": 0, "etcd": {"endpoints": ["%s"], "prefix": "/kbs-tls/", "timeout": "%s"%s}}' "$1" "$2" "${4:-1s}" "$3"
}
full_tls=", \"ca_file\": \"$pki/etcd-ca.pem\", \"cert_file\": \"$pki/client.pem\", \"key_file\": \"$pki/client.key\""
ready() {
	curl -s -m 2 -o "$tmp/ready$1.json" -w '%{http_code}' "http://127.0.0.1:${pub[$1]}/readyz" | grep -q 200
}
A() { "$admin" --url "http://127.0.0.1:${adm[$1]}" --token-file "$tmp/data$1/admin.token" "${@:2}"; }

for i in 1 2; do
	check "replica $i starts with ca_file, cert_file, key_file" start "$i" "$(cfg "$i" "$ep" "$full_tls")"
	check "replica $i syncs through TLS" wait_until 15 ready "$i"
done
measurement=$(awk '/^measurement =/ {print $3}' "$tmp/chip/chip.conf")
cat >"$tmp/prod.json" <<EOF
{"kbs_policy": 1, "name": "prod", "rules": {"product": ["milan"], "measurement": ["$measurement"],
 "min_tcb": {"milan": {"bootloader": 3, "tee": 0, "snp": 8, "microcode": 115}}}}
EOF
expect "policy put through replica 1" 0 "" A 1 policy put "$tmp/prod.json"
in_etcd() { # the key is in etcd, read with the client certificate
	ecurl /v3/kv/range -d "{\"key\":\"$(printf '/kbs-tls/policies/prod' | base64 -w0)\",\"count_only\":true}" |
		grep -q '"count":"1"'
}
check "the policy is in etcd" in_etcd
shows_prod() { A 2 policy show prod 2>/dev/null | grep -q '"name":.*"prod"'; }
check "replica 2 has the policy within 5 s (watch over TLS)" wait_until 5 shows_prod
head -c 32 /dev/urandom >"$tmp/disk.key"
expect "secret put through replica 2" 0 "" A 2 secret put disk --policy prod --from-file "$tmp/disk.key"
shows_disk() { A 1 secret show disk 2>/dev/null | grep -q '"policy":.*"prod"'; }
check "replica 1 has the secret within 5 s" wait_until 5 shows_disk

# ---- refused by etcd or refusing it -----------------------------------------------

put() { # put I: an admin write; "STATUS ERROR"
	curl -s -o "$tmp/put$1.json" -w '%{http_code}' -X PUT -H "Authorization: Bearer $(cat "$tmp/data$1/admin.token")" \
		"http://127.0.0.1:${adm[$1]}/v1/admin/secrets/x" -d '{"policy":"prod","value":"eA=="}'
	printf ' %s\n' "$(json "$tmp/put$1.json" 'd.get("error", "")')"
}
not_ready() { ! ready "$1"; }
logged() { grep -qE -- "$2" "$tmp/kbs$1.log"; }
# 3: the private CA but no client certificate: etcd ends the handshake. In
# TLS 1.3 the client learns it only when it sends or reads next, so libcurl
# says 55 (send) or 56 (receive), with a reason that varies with timing.
# Its timeout is 5 s, so the first failure, the one logged, is the refusal, not a timeout.
check "no client certificate: starts" start 3 "$(cfg 3 "$ep" ", \"ca_file\": \"$pki/etcd-ca.pem\"" 5s)"
check "no client certificate: the refusal is logged with libcurl's reason" \
	wait_until 10 logged 3 "\"event\":\"etcd_request\",\"endpoint\":\"$ep\",\"curl\":5[56],\"error\":\"[^\"]+\""
check "no client certificate: not ready" not_ready 3
expect "no client certificate: admin writes are 503 etcd_not_synced" 0 "503 etcd_not_synced" put 3
sleep 2 # etcd is asked again each second: logged once until it answers
check "no client certificate: logged once" test "$(grep -c '"event":"etcd_request"' "$tmp/kbs3.log")" = 1
stop 3
# 4: the client certificate, but trusting another CA: etcd's certificate fails.
check "wrong CA: starts" start 4 "$(cfg 4 "$ep" ", \"ca_file\": \"$pki/other-ca.pem\", \"cert_file\": \"$pki/client.pem\", \"key_file\": \"$pki/client.key\"")"
check "wrong CA: verification failure logged" \
	wait_until 10 logged 4 "\"event\":\"etcd_request\",\"endpoint\":\"$ep\",\"curl\":60,\"error\":\"SSL certificate problem: unable to get local issuer certificate\""
check "wrong CA: not ready" not_ready 4
expect "wrong CA: admin writes are 503 etcd_not_synced" 0 "503 etcd_not_synced" put 4
stop 4
# 5: no ca_file: etcd's certificate is checked against the system CAs, which lack the private CA
# (curl 60; 77 where no system CA bundle is installed: ca-certificates is not a dependency).
check "system CAs only: starts" start 5 "$(cfg 5 "$ep" ", \"cert_file\": \"$pki/client.pem\", \"key_file\": \"$pki/client.key\"")"
check "system CAs only: verification failure logged" \
	wait_until 10 logged 5 "\"event\":\"etcd_request\",\"endpoint\":\"$ep\",\"curl\":(60,\"error\":\"SSL certificate problem: unable to get local issuer certificate|77,\"error\":\"[^\"]+)\""
stop 5

# 7: two endpoints, the first refused in its TLS handshake (its name, localhost, is not in
# etcd's certificate): a write that meets it goes on to the second, none is etcd_unavailable.
# (Only where localhost resolves to 127.0.0.1: a bare chroot may have no /etc/hosts.)
if getent ahostsv4 localhost | grep -q "^127\.0\.0\.1 "; then
	check "failover: starts" start 7 "$(cfg 7 "https://localhost:$cport\", \"$ep" "$full_tls" 2s)"
	check "failover: syncs through the second endpoint" wait_until 15 ready 7
	for n in 1 2 3 4 5 6; do
		expect "failover: admin write $n is answered 201" 0 "201 " put 7
	done
	check "failover: the refused endpoint is logged (curl 60)" \
		logged 7 "\"event\":\"etcd_(request|watch)\",\"endpoint\":\"https://localhost:$cport\",\"curl\":60"
	stop 7
else
	echo "# skipped the failover case: localhost does not resolve to 127.0.0.1 here"
fi

# ---- start-up refusals ----------------------------------------------------------

# refused I WANT_RC TEXT CONFIG: replica I does not start, exits WANT_RC, stderr holds TEXT.
refused() {
	if start "$1" "$4"; then
		bad "$1: started with $4"
		stop "$1"
		return
	fi
	check "$1: exit status $2" test "$(cat "$tmp/rc$1")" = "$2"
	check "$1: says $3" grep -qF -- "$3" "$tmp/kbs$1.out" "$tmp/kbs$1.log"
}
refused 6 2 "etcd.cert_file: needs key_file (set both or neither)" \
	"$(cfg 6 "$ep" ", \"cert_file\": \"$pki/client.pem\"")"
refused 6 2 "etcd.key_file: needs cert_file (set both or neither)" \
	"$(cfg 6 "$ep" ", \"key_file\": \"$pki/client.key\"")"
refused 6 2 "etcd.ca_file: needs every endpoint to be https://" \
	"$(cfg 6 "http://127.0.0.1:$cport" ", \"ca_file\": \"$pki/etcd-ca.pem\"")"
refused 6 2 "etcd.cert_file: needs every endpoint to be https://" \
	"$(cfg 6 "http://127.0.0.1:$cport" ", \"cert_file\": \"$pki/client.pem\", \"key_file\": \"$pki/client.key\"")"
cp -p "$pki/client.key" "$pki/open.key"
chmod 644 "$pki/open.key"
refused 6 1 "kbs: etcd.key_file \"$pki/open.key\": the etcd key_file is not a private" \
	"$(cfg 6 "$ep" ", \"ca_file\": \"$pki/etcd-ca.pem\", \"cert_file\": \"$pki/client.pem\", \"key_file\": \"$pki/open.key\"")"
check "open key file: the code is named" grep -qF "(etcd_key_file)" "$tmp/kbs6.log"
ln -s "$pki/client.key" "$pki/link.key"
refused 6 1 "kbs: etcd.key_file \"$pki/link.key\":" \
	"$(cfg 6 "$ep" ", \"ca_file\": \"$pki/etcd-ca.pem\", \"cert_file\": \"$pki/client.pem\", \"key_file\": \"$pki/link.key\"")"
refused 6 1 "kbs: etcd.key_file \"$pki/stranger.key\":" \
	"$(cfg 6 "$ep" ", \"ca_file\": \"$pki/etcd-ca.pem\", \"cert_file\": \"$pki/client.pem\", \"key_file\": \"$pki/stranger.key\"")"
refused 6 1 "kbs: etcd.ca_file \"$pki/missing.pem\":" \
	"$(cfg 6 "$ep" ", \"ca_file\": \"$pki/missing.pem\"")"
check "the missing CA file is named with its code" grep -qF "(etcd_tls_file)" "$tmp/kbs6.log"
refused 6 1 "kbs: etcd.cert_file \"$pki/client.key\":" \
	"$(cfg 6 "$ep" ", \"cert_file\": \"$pki/client.key\", \"key_file\": \"$pki/client.key\"")"

keyline=$(sed -n 2p "$pki/client.key")
no_key_logged() { ! grep -qF -- "$keyline" "$tmp"/kbs*.log "$tmp"/kbs*.out && ! grep -q "PRIVATE KEY" "$tmp"/kbs*.log "$tmp"/kbs*.out; }
check "no log holds the private key" no_key_logged

for i in 1 2; do stop "$i"; done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
