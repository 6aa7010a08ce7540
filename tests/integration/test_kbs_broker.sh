#!/bin/bash
# test_kbs_broker.sh KBS KBS_CLIENT KBS_ADMIN: the real broker on 127.0.0.1
# (port 0), a temporary data directory and a sim-init chain passed with
# --trust-root, driven by the real kbs-client and kbs-admin, and by
# guest.py, an independent implementation of the protocol (PyNaCl), for
# the cases a well-behaved client never produces. Every refusal asserts its
# exact exit code and first line or error name. Bounded: every wait has a
# deadline, every loop a count.
set -u
kbs=$1
client=$2
admin=$3
here=$(dirname "$0")
# shellcheck source=lib.sh
. "$here/lib.sh"
guest="/usr/bin/python3 $here/guest.py"
if ! /usr/bin/python3 -c 'import nacl' 2>/dev/null; then
	echo "python3-nacl is missing (deploy/setup.sh installs it)"
	exit 1
fi

# ---- helpers ----------------------------------------------------------------

# code URL [CURL ARGS]: prints the HTTP status and the "error" member of the answer.
code() {
	local url=$1 body st
	shift
	body=$(curl -s -o "$tmp/body" -w '%{http_code}' "$@" "$url")
	st=$body
	printf '%s %s\n' "$st" "$(/usr/bin/python3 -c 'import json,sys
try: print(json.load(open(sys.argv[1])).get("error", ""))
except Exception: print("")' "$tmp/body")"
}

gs() { "$client" get-secret --url "http://127.0.0.1:$main_port" --server-key "$key" "$@"; }
adm() { "$admin" --url "http://127.0.0.1:$main_admin" --token-file "$data/admin.token" "$@"; }

# ---- chips, policies, secrets -------------------------------------------------

"$client" sim-init "$tmp/chip" --product milan >/dev/null || exit 1
"$client" sim-init "$tmp/other" --product milan >/dev/null || exit 1 # a root never trusted
# Guests of the same chip that run another image, or allow debugging:
# chip.conf's guest fields may be edited (its comments say so).
for v in wrongimage debug; do
	cp -a "$tmp/chip" "$tmp/$v"
done
sed -i 's/^measurement = .*/measurement = '"$(printf '11%.0s' $(seq 48))"'/' "$tmp/wrongimage/chip.conf"
sed -i 's/^policy = .*/policy = 0x00000000000b0000/' "$tmp/debug/chip.conf"
measurement=$(awk '/^measurement =/ {print $3}' "$tmp/chip/chip.conf")

cat >"$tmp/prod.json" <<EOF
{
  "kbs_policy": 1,
  "name": "prod",
  "description": "the simulated chip's image, no debugging",
  "rules": {
    "product": ["milan"],
    "measurement": ["$measurement"],
    "min_tcb": {"milan": {"bootloader": 3, "tee": 0, "snp": 8, "microcode": 115}}
  }
}
EOF
cat >"$tmp/strict.json" <<EOF
{
  "kbs_policy": 1,
  "name": "strict",
  "rules": {
    "measurement": ["$measurement"],
    "min_tcb": {"milan": {"bootloader": 3, "tee": 0, "snp": 9, "microcode": 115}}
  }
}
EOF
printf 'not json' >"$tmp/bad.json"
head -c 32 /dev/urandom >"$tmp/disk.key"
head -c 64 /dev/urandom >"$tmp/other.key"

data=$tmp/data
start main "$data" --trust-root "$tmp/chip/ark.pem"
key=$(awk '/identity key/ {print $NF}' "$tmp/main.out")
P=http://127.0.0.1:$main_port
A=http://127.0.0.1:$main_admin

expect "first start names the key files" 0 "kbs: first start: created $data/master.key" head -1 "$tmp/main.out"
expect "extra root is announced" 0 "kbs: WARNING: 1 extra trust root(s) configured" grep WARNING "$tmp/main.out"
expect "key files are 0600" 0 "600 600 600 600" bash -c "cd '$data' && stat -c %a master.key identity.key nonce.key admin.token | xargs"
expect "healthz" 0 "ok" curl -sf "$P/healthz"
expect "readyz" 0 "ready" curl -sf "$P/readyz"
expect "jwks carries the printed key" 0 "$key" /usr/bin/python3 -c 'import json,sys,urllib.request
print(json.load(urllib.request.urlopen(sys.argv[1]))["keys"][0]["x"])' "$P/v1/keys"
expect "public port 404s the admin API" 0 "404 not_found" code "$P/v1/admin/secrets" -H "Authorization: Bearer $(cat "$data/admin.token")"
expect "admin API needs a token" 0 "401 unauthorized" code "$A/v1/admin/secrets"

expect "policy put" 0 "" adm policy put "$tmp/prod.json"
expect "policy put strict" 0 "" adm policy put "$tmp/strict.json"
expect "policy that does not parse" 1 "" adm policy put "$tmp/bad.json"
expect_err "policy parse error named" "policy_syntax"
expect "secret bound to a missing policy" 1 "" adm secret put orphan --policy nosuch --from-file "$tmp/disk.key"
expect_err "missing policy named" "not_found"
expect "secret put disk-key" 0 "" adm secret put disk-key --policy prod --from-file "$tmp/disk.key"
expect "secret put other-key" 0 "" adm secret put other-key --policy strict --from-file "$tmp/other.key"
expect "secret put second-key" 0 "" adm secret put second-key --policy prod --stdin <"$tmp/other.key"

# ---- release and refusals through kbs-client --------------------------------------

expect "released on a good report" 0 "" gs --name disk-key --out "$tmp/got.key" --attester "sim:$tmp/chip"
expect "the value is the one stored" 0 "" cmp "$tmp/got.key" "$tmp/disk.key"
expect "the file is 0600" 0 "600" stat -c %a "$tmp/got.key"
mkdir "$tmp/two"
expect "two secrets released together" 0 "" gs --name disk-key --name second-key --out "$tmp/two" --attester "sim:$tmp/chip"
expect "second of two" 0 "" cmp "$tmp/two/second-key" "$tmp/other.key"

expect "wrong measurement" 1 "" gs --name disk-key --out "$tmp/x" --attester "sim:$tmp/wrongimage"
expect_err "wrong measurement names the rule" "measurement"
expect "debug allowed" 1 "" gs --name disk-key --out "$tmp/x" --attester "sim:$tmp/debug"
expect_err "debug names the rule" "debug"
expect "TCB below the minimum" 1 "" gs --name other-key --out "$tmp/x" --attester "sim:$tmp/chip"
expect_err "TCB names the rule" "min_tcb.milan"
mkdir "$tmp/none"
expect "one of two requested secrets denied" 1 "" gs --name disk-key --name other-key --out "$tmp/none" --attester "sim:$tmp/chip"
expect "nothing written when one is denied" 0 "0" bash -c "ls -A '$tmp/none' | wc -l"
expect "a chain to a root not passed with --trust-root" 4 "" gs --name disk-key --out "$tmp/x" --attester "sim:$tmp/other"
expect_err "the failed step is named" "evidence at ask: ASK signature does not verify under the ARK key"
expect "a secret no policy covers (none by that name)" 6 "" gs --name nosuch --out "$tmp/x" --attester "sim:$tmp/chip"
expect_err "not_found" "not_found"
other_key=$(/usr/bin/python3 -c 'import base64; from nacl.signing import SigningKey
print(base64.urlsafe_b64encode(bytes(SigningKey.generate().verify_key)).decode().rstrip("="))')
expect "a wrong --server-key is refused by the client" 5 "" "$client" get-secret --url "$P" --server-key "$other_key" --name disk-key --out "$tmp/x" --attester "sim:$tmp/chip"
expect_err "signature named" "response_signature"
expect "no file was written on refusals" 1 "" test -e "$tmp/x"

# ---- protocol abuse through guest.py (an independent implementation) -------------

g() { $guest --url "$P" --client "$client" --sim "$tmp/chip" --name disk-key "$@"; }
want_value="released disk-key=$(od -An -tx1 -v "$tmp/disk.key" | tr -d ' \n')"
expect "independent guest: released, signature and token checked" 0 "$want_value" g
expect "independent guest: fetch by token" 0 "$want_value" g --fetch
expect "replayed nonce" 0 "refused 401 nonce_replayed" g --mode replay
expect "forged nonce MAC" 0 "refused 401 nonce_mac" g --mode bad-mac
expect "REPORT_DATA carries another nonce" 0 "refused 401 report_data_nonce" g --mode rd-nonce
expect "REPORT_DATA key is not ours: the broker wraps to it, we cannot open" 0 "undecryptable" g --mode rd-key
expect "tampered report signature" 0 "refused 401 evidence report_signature" g --mode tamper-sig

# Another replica (its own data dir, replica id and nonce key) and a short
# nonce lifetime, from the configuration file.
cat >"$tmp/replica.json" <<EOF
{"replica_id": "kbs-1", "nonce_lifetime": 5}
EOF
start rep "$tmp/data2" --trust-root "$tmp/chip/ark.pem" --config "$tmp/replica.json"
expect "another replica's nonce" 0 "refused 401 nonce_other_replica" g --challenge-url "http://127.0.0.1:$rep_port"
expect "an expired nonce" 0 "refused 401 nonce_expired" $guest --url "http://127.0.0.1:$rep_port" --client "$client" --sim "$tmp/chip" --name disk-key --wait 7
# A nonce is judged when the body is in: a head sent in time and a body that
# trickles in past the lifetime is expired (the replica has no secrets: a
# nonce that passes gets to 404 not_found).
expect "a slow body within the nonce lifetime" 0 "refused 404 not_found" $guest --url "http://127.0.0.1:$rep_port" --client "$client" --sim "$tmp/chip" --name disk-key --slow-body 1
expect "a slow body past the nonce lifetime" 0 "refused 401 nonce_expired" $guest --url "http://127.0.0.1:$rep_port" --client "$client" --sim "$tmp/chip" --name disk-key --slow-body 7
stop "$rep_pid" TERM
expect "the replica stops cleanly" 0 "0" echo "$stopped"

# ---- bad input: codes, and the daemon stays up ----------------------------------

head -c 300000 /dev/zero | tr '\0' 'a' >"$tmp/big"
expect "body over the limit" 0 "413 too_large" code "$P/v1/attest" --data-binary @"$tmp/big"
expect "truncated JSON" 0 "400 bad_request" code "$P/v1/attest" -d '{"nonce":"AAAA'
expect "unknown member" 0 "400 bad_request" code "$P/v1/attest" -d '{"nonce":"","report":"","secrets":["a"],"extra":1}'
expect "duplicate member" 0 "400 bad_request" code "$P/v1/attest" -d '{"nonce":"","nonce":"","report":"","secrets":["a"]}'
nonce=$(curl -s -XPOST "$P/v1/challenge" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["nonce"])')
expect "malformed base64" 0 "400 bad_base64" code "$P/v1/attest" -d '{"nonce":"'"$nonce"'","report":"!!!!","secrets":["a"]}'
expect "wrong report length" 0 "400 report_length" code "$P/v1/attest" -d '{"nonce":"'"$nonce"'","report":"AAAA","secrets":["a"]}'
expect "a nonce of the wrong size" 0 "400 nonce_malformed" code "$P/v1/attest" -d '{"nonce":"AAAA","report":"AAAA","secrets":["a"]}'
expect "wrong method" 0 "405 method" code "$P/v1/attest"
expect "the daemon is still up" 0 "ok" curl -sf "$P/healthz"

# ---- roles ------------------------------------------------------------------------

expect "auditor token" 0 "" adm token create --role auditor --out "$tmp/auditor.token"
expect "auditor token file is 0600" 0 "600" stat -c %a "$tmp/auditor.token"
aud() { "$admin" --url "$A" --token-file "$tmp/auditor.token" "$@"; }
expect "auditor lists secrets" 0 "" aud secret list
aud secret list >"$tmp/aud.out" 2>&1
aud secret show disk-key >>"$tmp/aud.out" 2>&1
aud audit export >>"$tmp/aud.out" 2>&1
aud policy show prod >>"$tmp/aud.out" 2>&1
disk_b64=$(base64 -w0 "$tmp/disk.key")
disk_hex=$(od -An -tx1 -v "$tmp/disk.key" | tr -d ' \n')
expect "the auditor never sees a value (base64)" 1 "" grep -qF "$disk_b64" "$tmp/aud.out"
expect "the auditor never sees a value (hex)" 1 "" grep -qF "$disk_hex" "$tmp/aud.out"
expect "the logs never hold a value" 1 "" grep -qF "$disk_b64" "$tmp/main.log"
expect "auditor cannot write" 1 "" aud secret put x --policy prod --from-file "$tmp/disk.key"
expect_err "forbidden" "forbidden"
echo "kbs-admin-v1.0000000000000000000000000000000000000000000000000000000000000000" >"$tmp/bad.token"
chmod 600 "$tmp/bad.token"
expect "a bad token" 1 "" "$admin" --url "$A" --token-file "$tmp/bad.token" secret list
expect_err "bad token is unauthorized" "unauthorized"
id=$(adm token list | /usr/bin/python3 -c 'import json,sys
print([t["id"] for t in json.load(sys.stdin)["tokens"] if t["role"] == "auditor"][0])' 2>/dev/null)
expect "revoke the auditor" 0 "" adm token revoke "$id"
expect "a revoked token" 1 "" aud secret list
expect_err "revoked token is unauthorized" "unauthorized"

# ---- 32 guests in parallel ------------------------------------------------------------

pids=""
for i in $(seq 32); do
	gs --name disk-key --out "$tmp/par.$i" --attester "sim:$tmp/chip" 2>"$tmp/par.$i.err" &
	pids="$pids $!"
done
ok=0
for j in $pids; do
	wait "$j" && ok=$((ok + 1))
done
expect "32 guests in parallel all succeed" 0 "32" echo "$ok"
same=0
for i in $(seq 32); do
	cmp -s "$tmp/par.$i" "$tmp/disk.key" && same=$((same + 1))
done
expect "every one got the value" 0 "32" echo "$same"
expect "the audit chain verifies" 0 "" adm audit verify
expect "metrics count the releases" 0 "" grep -q 'kbs_attest_decisions_total{result="released"}' <(curl -s "$P/metrics")
curl -s "$P/metrics" >"$tmp/metrics"
expect "metrics see the store's commit batches" 0 "" awk '$1 == "kbs_store_commit_batch_size_count" && $2 > 0 {ok = 1} END {exit !ok}' "$tmp/metrics"
expect "metrics show the map size" 0 "" grep -q '^kbs_store_map_size_bytes [1-9]' "$tmp/metrics"

# ---- crashes and restarts ----------------------------------------------------------

g --mode save --save "$tmp/saved.json" >/dev/null
stop "$main_pid" KILL
expect "SIGKILL" 0 "137" echo "$stopped"
start main "$data" --trust-root "$tmp/chip/ark.pem"
P=http://127.0.0.1:$main_port
A=http://127.0.0.1:$main_admin
expect "no first-start line on restart" 1 "" grep -q "first start" "$tmp/main.out"
expect "the same identity key after restart" 0 "kbs: identity key (Ed25519, pin this in the guest): $key" grep "identity key" "$tmp/main.out"
expect "secrets survive SIGKILL" 0 "" gs --name disk-key --out "$tmp/after.key" --attester "sim:$tmp/chip"
expect "with their value" 0 "" cmp "$tmp/after.key" "$tmp/disk.key"
expect "policies survive SIGKILL" 0 "" adm policy show prod
expect "a nonce consumed before the crash stays consumed" 0 "refused 401 nonce_replayed" $guest --url "$P" --client "$client" --sim "$tmp/chip" --name disk-key --mode send --save "$tmp/saved.json"
expect "the audit chain verifies after SIGKILL" 0 "" adm audit verify
adm audit export >"$tmp/whole.audit"
stop "$main_pid" TERM
expect "SIGTERM exits 0" 0 "0" echo "$stopped"
# Restarted with the smallest admin_max_body, the export comes in pages of
# about 4 KiB of records: kbs-admin follows "next" and prints what one
# answer held before.
echo '{"admin_max_body": 4096}' >"$tmp/paged.json"
start main "$data" --trust-root "$tmp/chip/ark.pem" --config "$tmp/paged.json"
A=http://127.0.0.1:$main_admin
expect "nothing lost after SIGTERM" 0 "" adm audit verify
curl -s -H "Authorization: Bearer $(cat "$data/admin.token")" "$A/v1/admin/audit" >"$tmp/page1.audit"
expect "the first page holds 4 KiB and a record, and says where the next starts" 0 "ok" \
	/usr/bin/python3 -c 'import json,sys
raw = open(sys.argv[1]).read().splitlines()
lines = [json.loads(l) for l in raw]
size = sum(len(l) + 1 for l in raw[:-1])
ok = 4096 <= size < 4096 + len(raw[-2]) + 1 and lines[-1]["next"] == lines[-2]["seq"] + 1
print("ok" if ok else "no: %d bytes, %r" % (size, lines[-1]))' "$tmp/page1.audit"
adm audit export >"$tmp/paged.audit"
expect "kbs-admin's paged export holds every record of the whole one, in order, and one head" 0 "ok" \
	/usr/bin/python3 -c 'import json,sys
whole = open(sys.argv[1]).read().splitlines()
paged = open(sys.argv[2]).read().splitlines()
heads = [l for l in paged if "\"head\"" in l]
ok = paged[:len(whole) - 1] == whole[:-1] and len(paged) > 40 and heads == paged[-1:]
ok = ok and "next" not in json.loads(paged[-1])
print("ok" if ok else "differ: %d %d %r" % (len(whole), len(paged), heads))' "$tmp/whole.audit" "$tmp/paged.audit"
expect "an export from a later seq" 0 "" grep -q '"seq":30,' <(adm audit export --since 30 | head -1)
# A broker whose "next" does not move on is refused, not followed for ever.
cat >"$tmp/stuck.py" <<'EOF'
import http.server
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b'{"seq":5}\n{"head":{"seq":9,"sha256":"%s"},"next":5}\n' % (b"0" * 64)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.timeout = 10
for _ in range(3):
    s.handle_request()
EOF
/usr/bin/python3 "$tmp/stuck.py" >"$tmp/stuck.port" &
stuck_pid=$!
for _ in $(seq 50); do [ -s "$tmp/stuck.port" ] && break; sleep 0.1; done
expect "a page whose next does not move on" 1 "" "$admin" --url "http://127.0.0.1:$(cat "$tmp/stuck.port")" --token-file "$data/admin.token" audit export --since 5
expect_err "is refused" 'audit page "next" at byte 10'
kill "$stuck_pid" 2>/dev/null
wait "$stuck_pid" 2>/dev/null
stop "$main_pid" TERM
expect "SIGTERM again" 0 "0" echo "$stopped"

# ---- HTTPS on the public listener, the admin API on a unix socket ------------------

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
	-keyout "$tmp/tls.key" -out "$tmp/tls.pem" 2>/dev/null
chmod 600 "$tmp/tls.key"
printf '{"tls_cert": "%s", "tls_key": "%s"}\n' "$tmp/tls.pem" "$tmp/tls.key" >"$tmp/tls.json"
rm -f "$tmp/tls.out"
"$kbs" --data-dir "$data" --listen 127.0.0.1:0 --admin-listen "unix:$tmp/admin.sock" \
	--trust-root "$tmp/chip/ark.pem" --config "$tmp/tls.json" >"$tmp/tls.out" 2>"$tmp/tls.log" &
tls_pid=$!
for _ in $(seq 100); do
	grep -q "listening admin" "$tmp/tls.out" 2>/dev/null && break
	sleep 0.1
done
tls_port=$(awk '/listening public/ {print $NF}' "$tmp/tls.out")
expect "the admin socket is 0600" 0 "600" stat -c %a "$tmp/admin.sock"
expect "kbs-admin over the unix socket" 0 "" "$admin" --url "unix:$tmp/admin.sock" --token-file "$data/admin.token" secret list
expect "released over HTTPS with the CA pinned" 0 "" "$client" get-secret --url "https://127.0.0.1:$tls_port" --ca "$tmp/tls.pem" \
	--server-key "$key" --name disk-key --out "$tmp/tls.got" --attester "sim:$tmp/chip"
expect "the same value over HTTPS" 0 "" cmp "$tmp/tls.got" "$tmp/disk.key"
expect "HTTPS with an unknown CA is refused" 5 "" "$client" get-secret --url "https://127.0.0.1:$tls_port" \
	--server-key "$key" --name disk-key --out "$tmp/tls.no" --attester "sim:$tmp/chip" --retries 0
stop "$tls_pid" TERM
expect "the TLS broker stops cleanly" 0 "0" echo "$stopped"
expect "the socket is removed at exit" 1 "" test -e "$tmp/admin.sock"

# ---- start-up errors ------------------------------------------------------------------

printf '{\n  "listen": "127.0.0.1:0",\n  "nonce_lifetme": 60\n}\n' >"$tmp/typo.json"
expect "a typo in the configuration" 2 "" "$kbs" --data-dir "$tmp/d3" --config "$tmp/typo.json"
expect_err "names line, column and the fix" "typo.json:3:3: nonce_lifetme: unknown setting (did you mean \"nonce_lifetime\"?)"
chmod 644 "$data/identity.key"
expect "a key file others can read stops the broker" 1 "" "$kbs" --data-dir "$data" --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0
expect_err "the file is named" "identity key identity.key"
chmod 600 "$data/identity.key"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
