#!/bin/bash
# test_secret_leak.sh KBS CLIENT ADMIN: no secret value, master key, token
# or private key appears in what the broker and its tools write (issue 12).
# A full flow over HTTPS with known, distinctive values (two secrets, the
# master key, the admin token and a second token, the TLS and identity
# private keys, a guest's X25519 private key): kbs-client and attack.py
# releases, refusals of every kind, token fetches, kbs-admin listing,
# showing, exporting. Then leak_scan.py looks for each value (raw, hex,
# base64, base64url) in: the broker's standard output and error (debug
# level), every tool's output, /metrics, every answer body, the audit
# export, every file the broker wrote in its data directory but its key
# files (lock.mdb; data.mdb for the secret values, the master key and the
# tokens, which it holds only sealed or hashed). Last, a core dump of the
# idle broker after the releases (SIGABRT, core limit raised), when
# /proc/sys/kernel/core_pattern writes a file: the secret values, the
# master key, the tokens and the identity key must not be in it. (The TLS
# private key is out of scope there: the TLS library holds it for the
# process's life.) Skipped (77) without curl, openssl or PyNaCl.
set -u
kbs=$1
client=$2
admin=$3
here=$(dirname "$0")
# shellcheck source=lib.sh
. "$here/lib.sh"
py=/usr/bin/python3
command -v curl >/dev/null || { echo "curl missing: skipped"; exit 77; }
command -v openssl >/dev/null || { echo "openssl missing: skipped"; exit 77; }
"$py" -c 'import nacl' 2>/dev/null || { echo "PyNaCl missing: skipped"; exit 77; }
out=$tmp/outputs # everything scanned, one file per output
mkdir "$out"

sim=$tmp/sim
"$client" sim-init "$sim" --product milan >/dev/null || exit 1
measurement=$(sed -n 's/^measurement = //p' "$sim/chip.conf")

# Distinctive values: printable ones, so a leak in a text log is plain to see.
secret1="LEAK-CANARY-disk-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
secret2="LEAK-CANARY-second-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf '%s' "$secret1" >"$tmp/secret1"
printf '%s' "$secret2" >"$tmp/secret2"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
	-keyout "$tmp/tls.key" -out "$tmp/tls.pem" 2>/dev/null || exit 1
chmod 600 "$tmp/tls.key"
printf '{"tls_cert": "%s", "tls_key": "%s", "rate_per_ip": 0, "token_lifetime": 60}\n' \
	"$tmp/tls.pem" "$tmp/tls.key" >"$tmp/config.json"

# The broker runs in its own directory: a relative core_pattern writes there.
data=$tmp/data
mkdir "$tmp/cwd"
(
	cd "$tmp/cwd" || exit 1
	ulimit -c unlimited 2>/dev/null
	exec "$kbs" --data-dir "$data" --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 \
		--trust-root "$sim/ark.pem" --config "$tmp/config.json" --log-level debug \
		>"$out/kbs.stdout" 2>"$out/kbs.stderr"
) &
pid=$!
for _ in $(seq 300); do
	grep -q "listening admin" "$out/kbs.stdout" 2>/dev/null && break
	sleep 0.1
done
pub=$(sed -n 's/.*listening public .* port \([0-9]*\)$/\1/p' "$out/kbs.stdout")
adm=$(sed -n 's/.*listening admin .* port \([0-9]*\)$/\1/p' "$out/kbs.stdout")
key=$(awk '/identity key/ {print $NF}' "$out/kbs.stdout")
[ -n "$pub" ] && [ -n "$adm" ] || { echo "kbs did not start"; cat "$out/kbs.stderr"; exit 1; }
token=$(cat "$data/admin.token")
adm() { "$admin" --url "http://127.0.0.1:$adm" --token-file "$data/admin.token" "$@"; }

printf '{"kbs_policy":1,"name":"prod","rules":{"measurement":["%s"]}}' "$measurement" >"$tmp/prod.json"
expect "policy" 0 "" adm policy put "$tmp/prod.json"
expect "secret 1" 0 "" adm secret put disk-key --policy prod --from-file "$tmp/secret1"
expect "secret 2" 0 "" adm secret put second-key --policy prod --stdin <"$tmp/secret2"
expect "a second token" 0 "" adm token create --role auditor --out "$tmp/auditor.token"

# The flow: kbs-client over HTTPS, then attest.py's releases and refusals.
gs() { "$client" get-secret --url "https://127.0.0.1:$pub" --ca "$tmp/tls.pem" --server-key "$key" "$@"; }
expect "release through kbs-client" 0 "" gs --name disk-key --out "$tmp/got1" --attester "sim:$sim"
expect "the value" 0 "" cmp "$tmp/got1" "$tmp/secret1"
gs --name disk-key --out - --attester "sim:$sim" --token-out "$tmp/tok" >/dev/null 2>"$out/client.1"
gs --name nosuch --out "$tmp/x" --attester "sim:$sim" >"$out/client.2" 2>&1
cp -a "$sim" "$tmp/other"
sed -i 's/^measurement = .*/measurement = '"$(printf '11%.0s' $(seq 48))"'/' "$tmp/other/chip.conf"
gs --name disk-key --out "$tmp/x" --attester "sim:$tmp/other" >"$out/client.3" 2>&1
expect "attack.py's flow" 0 "ok leak_flow" env ATTACK_DIR="$tmp" ATTACK_CA="$tmp/tls.pem" \
	ATTACK_SECRET="$secret1" KBS_PID="$pid" "$py" "$here/attack.py" "$client" "$sim" "$pub" "$adm" \
	"$token" leak_flow
cp "$tmp/answers" "$out/answers"
adm secret list >"$out/admin.list" 2>&1
adm secret show disk-key >"$out/admin.show" 2>&1
adm audit export >"$out/admin.audit" 2>&1
adm audit verify >"$out/admin.verify" 2>&1
adm token list >"$out/admin.tokens" 2>&1
"$admin" --url "http://127.0.0.1:$adm" --token-file "$tmp/auditor.token" secret list >"$out/auditor.list" 2>&1
"$admin" --url "http://127.0.0.1:$adm" --token-file "$tmp/auditor.token" secret put x --policy prod --from-file "$tmp/secret1" >"$out/auditor.put" 2>&1
curl -s --cacert "$tmp/tls.pem" "https://127.0.0.1:$pub/metrics" >"$out/metrics.public"
curl -s "http://127.0.0.1:$adm/metrics" >"$out/metrics.admin"
curl -s -H "Authorization: Bearer $token" "http://127.0.0.1:$adm/v1/admin/audit" >"$out/audit.raw"
expect "the audit export has the releases" 0 "" grep -q '"decision":"release"' "$out/audit.raw"

# The needles: NAME HEX-OF-RAW-BYTES.
hexof() { od -An -tx1 -v | tr -d ' \n'; }
{
	echo "secret1 $(hexof <"$tmp/secret1")"
	echo "secret2 $(hexof <"$tmp/secret2")"
	echo "master_key $(head -c 64 "$data/master.key")"
	echo "master_key_file $(head -c 64 "$data/master.key" | hexof)"
	echo "admin_token $(tr -d '\n' <"$data/admin.token" | hexof)"
	echo "admin_token_secret ${token##*.}"
	echo "auditor_token $(tr -d '\n' <"$tmp/auditor.token" | hexof)"
	echo "identity_key $(head -c 64 "$data/identity.key")"
	echo "nonce_key $(head -c 64 "$data/nonce.key")"
	echo "guest_key $(hexof <"$tmp/guest.key")"
} >"$tmp/needles"
{
	echo "tls_key $(sed '1d;$d' "$tmp/tls.key" | base64 -d | hexof)" # the PKCS#8 DER
	echo "tls_scalar $(openssl pkey -in "$tmp/tls.key" -text -noout 2>/dev/null |
		sed -n '/^priv:/,/^pub:/p' | sed '1d;$d' | tr -d ' :\n')"
} >>"$tmp/needles"
expect "twelve needles" 0 "12" bash -c "grep -c '^[a-z_0-9]* [0-9a-f]\{32,\}$' '$tmp/needles'"

# The scan finds each value where it is meant to be (so "clean" below means something),
# and what is left of one whose first 20 characters were overwritten (freed memory).
tr -d '\n' <"$tmp/auditor.token" | sed 's/^.\{20\}/xxxxxxxxxxxxxxxxxxxx/' >"$tmp/part.token"
"$py" "$here/leak_scan.py" "$tmp/needles" "$tmp/got1" "$tmp/secret2" "$data/master.key" \
	"$data/admin.token" "$tmp/auditor.token" "$data/identity.key" "$data/nonce.key" \
	"$tmp/guest.key" "$tmp/tls.key" >"$tmp/control"
"$py" "$here/leak_scan.py" "$tmp/needles" "$tmp/part.token" >>"$tmp/control"
for hit in "secret1 raw" "secret2 raw" "master_key hex" "master_key_file raw" "admin_token raw" \
	"admin_token_secret hex" "auditor_token raw" "identity_key hex" "nonce_key hex" \
	"guest_key raw" "tls_key base64@" "auditor_token raw-part .*part.token"; do
	expect "control: $hit" 0 "" grep -q "^leak $hit" "$tmp/control"
done
expect "outputs, logs, metrics, answers, audit export" 0 "clean" "$py" "$here/leak_scan.py" "$tmp/needles" "$out"/*
# What the broker wrote in its data directory, but the key files themselves.
written=$(find "$data" -type f ! -name master.key ! -name identity.key ! -name nonce.key ! -name admin.token ! -name data.mdb)
expect "the broker wrote lock.mdb" 0 "" test -n "$written"
expect "files the broker wrote" 0 "clean" "$py" "$here/leak_scan.py" "$tmp/needles" $written
grep -E '^(secret|master_key|admin_token|auditor_token)' "$tmp/needles" >"$tmp/sealed.needles"
expect "data.mdb holds the values only sealed, tokens only hashed" 0 "clean" \
	"$py" "$here/leak_scan.py" "$tmp/sealed.needles" "$data/store/data.mdb"

# ---- a core dump of the idle broker -----------------------------------------------
pattern=$(cat /proc/sys/kernel/core_pattern 2>/dev/null)
limit=$(grep '^Max core file size' "/proc/$pid/limits" | awk '{print $5}')
case $pattern in
'|'*)
	echo "core dump: skipped (core_pattern pipes to a program: $pattern)"
	kill -TERM "$pid"
	wait "$pid"
	;;
/*)
	echo "core dump: skipped (core_pattern writes outside the broker's directory: $pattern)"
	kill -TERM "$pid"
	wait "$pid"
	;;
*)
	if [ "$limit" = 0 ]; then
		echo "core dump: skipped (the broker's core limit is 0: a sanitizer build sets it so, or the hard limit here is 0)"
		kill -TERM "$pid"
		wait "$pid"
	else
		sleep 1 # idle: every request answered
		kill -ABRT "$pid"
		wait "$pid"
		expect "SIGABRT" 0 "134" echo "$?"
		core=$(find "$tmp/cwd" -maxdepth 1 -type f -name 'core*' | head -1)
		expect "a core file was written (core_pattern $pattern)" 0 "" test -n "$core"
		if [ -n "$core" ]; then
			echo "core dump: $(du -k "$core" | cut -f1) KiB"
			grep -E '^(secret|master_key|admin_token|auditor_token|identity_key|nonce_key)' \
				"$tmp/needles" >"$tmp/core.needles"
			expect "the core holds no secret value, master key, token or broker key" 0 "clean" \
				"$py" "$here/leak_scan.py" "$tmp/core.needles" "$core"
			# Control: the TLS key, which the broker keeps, is found in the same core.
			grep '^tls_key ' "$tmp/needles" >"$tmp/tls.needles"
			expect "control: the core holds the TLS key the broker keeps" 1 "leak tls_key" \
				"$py" "$here/leak_scan.py" "$tmp/tls.needles" "$core"
			rm -f "$core"
		fi
	fi
	;;
esac

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
