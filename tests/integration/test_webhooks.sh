#!/bin/bash
# test_webhooks.sh KBS KBS_CLIENT KBS_ADMIN: the broker's webhooks and
# `kbs-client watch` (docs/webhooks.md, docs/guest.md) against
# webhook_receiver.py on 127.0.0.1, which checks every signature with
# Python's hmac and records every attempt. The real broker runs on port 0
# with a simulated chip passed with --trust-root. Every wait has a
# deadline, every loop a count.
set -u
kbs=$1
client=$2
admin=$3
here=$(dirname "$0")
# shellcheck source=lib.sh
. "$here/lib.sh"
receiver="/usr/bin/python3 $here/webhook_receiver.py"
pids=""
trap 'for p in $pids; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT

# ---- helpers ----------------------------------------------------------------

# start and stop: lib.sh.

# receiver NAME [ARGS...]: starts webhook_receiver.py on a free port (or
# --port N); sets ${NAME}_pid, ${NAME}_rport; records go to $tmp/NAME.jsonl.
receiver() {
	local name=$1 i
	shift
	rm -f "$tmp/$name.port"
	: >"$tmp/$name.jsonl"
	$receiver --key-file "$tmp/hook.key" --out "$tmp/$name.jsonl" --port-file "$tmp/$name.port" "$@" &
	eval "${name}_pid=$!"
	pids="$pids $!"
	for i in $(seq 100); do
		if [ -s "$tmp/$name.port" ]; then
			eval "${name}_rport=$(cat "$tmp/$name.port")"
			return 0
		fi
		sleep 0.1
	done
	echo "FAIL: receiver $name did not start"
	exit 1
}

# wait_for FILE PYEXPR [SECONDS]: waits until PYEXPR (over `recs`, the list
# of records of FILE) is true; prints "yes" or "no".
wait_for() {
	local file=$1 expr=$2 secs=${3:-10} i
	for i in $(seq $((secs * 10))); do
		if /usr/bin/python3 -c 'import json,sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
sys.exit(0 if eval(sys.argv[2]) else 1)' "$file" "$expr" 2>/dev/null; then
			echo yes
			return
		fi
		sleep 0.1
	done
	echo no
}

# q FILE PYEXPR: prints PYEXPR over the records of FILE.
q() {
	/usr/bin/python3 -c 'import json,sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print(eval(sys.argv[2]))' "$1" "$2"
}

# metric PORT SERIES: the value of one series of /metrics.
metric() {
	curl -s "http://127.0.0.1:$1/metrics" | awk -v s="$2" '$1 == s {print $2}'
}

# free_port: a port nothing listens on (bound, then released).
free_port() {
	/usr/bin/python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

hookcfg() { # hookcfg PORT EVENTS [EXTRA]: a configuration with one webhook
	printf '{"webhooks": [{"url": "http://127.0.0.1:%s/hook", "events": %s, "secret_file": "%s"}]%s}\n' \
		"$1" "$2" "$tmp/hook.key" "${3:-}"
}

all_events='["release", "denial", "policy_change", "audit_chain_failure", "token_revoked"]'

# ---- chips, policies, keys ------------------------------------------------------

"$client" sim-init "$tmp/chip" --product milan >/dev/null || exit 1
cp -a "$tmp/chip" "$tmp/wrongimage"
sed -i 's/^measurement = .*/measurement = '"$(printf '11%.0s' $(seq 48))"'/' "$tmp/wrongimage/chip.conf"
measurement=$(awk '/^measurement =/ {print $3}' "$tmp/chip/chip.conf")
policy_json() { # policy_json MEASUREMENT
	printf '{"kbs_policy": 1, "name": "prod", "rules": {"product": ["milan"], "measurement": ["%s"]}}\n' "$1"
}
policy_json "$measurement" >"$tmp/prod.json"
policy_json "$(printf '22%.0s' $(seq 48))" >"$tmp/prod-next.json"
head -c 32 /dev/urandom >"$tmp/disk.key"
disk_hex=$(od -An -tx1 -v "$tmp/disk.key" | tr -d ' \n')
disk_b64=$(base64 -w0 "$tmp/disk.key")
(umask 077 && head -c 32 /dev/urandom | od -An -tx1 -v | tr -d ' \n' >"$tmp/hook.key")

# ---- release, denial, policy change, token revoked ---------------------------------

receiver r1
hookcfg "$r1_rport" "$all_events" >"$tmp/main.json"
start main "$tmp/data" --trust-root "$tmp/chip/ark.pem" --config "$tmp/main.json"
P=http://127.0.0.1:$main_port
adm() { "$admin" --url "http://127.0.0.1:$main_admin" --token-file "$tmp/data/admin.token" "$@"; }
gs() { "$client" get-secret --url "$P" --server-key "$main_key" "$@"; }

expect "policy put" 0 "" adm policy put "$tmp/prod.json"
expect "secret put" 0 "" adm secret put disk-key --policy prod --from-file "$tmp/disk.key"
expect "released" 0 "" gs --name disk-key --out "$tmp/got.key" --attester "sim:$tmp/chip"
expect "denied" 1 "" gs --name disk-key --out "$tmp/x" --attester "sim:$tmp/wrongimage"
expect "token create" 0 "" adm token create --role auditor --out "$tmp/auditor.token"
tok=$(adm token list | /usr/bin/python3 -c 'import json,sys
print([t["id"] for t in json.load(sys.stdin)["tokens"] if t["role"] == "auditor"][0])')
expect "token revoke" 0 "" adm token revoke "$tok"

kinds='sorted(r["body"]["kind"] for r in recs)'
expect "four events delivered" 0 "yes" wait_for "$tmp/r1.jsonl" 'len(recs) >= 4'
expect "their kinds" 0 "['denial', 'policy_change', 'release', 'token_revoked']" q "$tmp/r1.jsonl" "$kinds"
expect "every signature checks out" 0 "True" q "$tmp/r1.jsonl" 'all(r["valid"] and r["status"] == 204 for r in recs)'
expect "one attempt each (no retries)" 0 "4" q "$tmp/r1.jsonl" 'len(set(r["id"] for r in recs))'
rel='[r["body"] for r in recs if r["body"]["kind"] == "release"][0]'
den='[r["body"] for r in recs if r["body"]["kind"] == "denial"][0]'
expect "release names the secret, policy and version" 0 "disk-key prod 1 allow" q "$tmp/r1.jsonl" \
	"' '.join(str(x) for x in ($rel['secrets'][0]['name'], $rel['secrets'][0]['policy'], $rel['secrets'][0]['version'], $rel['secrets'][0]['decision']))"
expect "release carries the replica and the audit sequence" 0 "kbs-0 True" q "$tmp/r1.jsonl" \
	"$rel['replica'] + ' ' + str($rel['audit_seq'] > 0)"
expect "release carries the measurement" 0 "$measurement" q "$tmp/r1.jsonl" "$rel['measurement']"
expect "denial names the failed rule" 0 "['measurement']" q "$tmp/r1.jsonl" "$den['secrets'][0]['failed_rules']"
expect "denial's decision" 0 "policy_denied" q "$tmp/r1.jsonl" "$den['secrets'][0]['decision']"
expect "policy change: name, version" 0 "prod 1" q "$tmp/r1.jsonl" \
	"' '.join(str(r['body'][k]) for r in recs if r['body']['kind'] == 'policy_change' for k in ('name', 'version'))"
expect "token revoked names the token" 0 "$tok" q "$tmp/r1.jsonl" \
	"[r['body']['token_id'] for r in recs if r['body']['kind'] == 'token_revoked'][0]"
expect "no body holds the secret value (hex)" 1 "" grep -qiF "$disk_hex" "$tmp/r1.jsonl"
expect "no body holds the secret value (base64)" 1 "" grep -qF "$disk_b64" "$tmp/r1.jsonl"
expect "the same policy again is no change (no event)" 0 "" adm policy put "$tmp/prod.json"
expect "a new version is one" 0 "" adm policy put "$tmp/prod-next.json"
expect "policy change for version 2" 0 "yes" wait_for "$tmp/r1.jsonl" \
	'[r["body"]["version"] for r in recs if r["body"]["kind"] == "policy_change"] == [1, 2]'
expect "metrics: release events" 0 "1" metric "$main_port" 'kbs_webhook_events_total{kind="release"}'
expect "metrics: policy events" 0 "2" metric "$main_port" 'kbs_webhook_events_total{kind="policy_change"}'
expect "metrics: deliveries ok" 0 "5" metric "$main_port" 'kbs_webhook_deliveries_total{result="ok"}'
expect "metrics: nothing dropped" 0 "0" metric "$main_port" 'kbs_webhook_dropped_total{reason="queue_full"}'
expect "metrics: queue empty" 0 "0" metric "$main_port" 'kbs_webhook_queue_depth'
expect "the first policy back (version 3) for what follows" 0 "" adm policy put "$tmp/prod.json"

# The receiver's check is real: a changed signature, body or timestamp is refused.
R="http://127.0.0.1:$r1_rport/hook"
body='{"kind":"release","id":"00112233445566778899aabbccddeeff"}'
ts=$(date +%s)
sig=$(/usr/bin/python3 -c 'import hmac,hashlib,sys
print(hmac.new(bytes.fromhex(open(sys.argv[1]).read().strip()), (sys.argv[2] + "." + sys.argv[3]).encode(), hashlib.sha256).hexdigest())' \
	"$tmp/hook.key" "$ts" "$body")
post() { # post SIG TIMESTAMP BODY: the receiver's answer status
	curl -s -o /dev/null -w '%{http_code}' -H "Content-Type: application/json" \
		-H "KBS-Webhook-Id: 00112233445566778899aabbccddeeff" -H "KBS-Webhook-Timestamp: $2" \
		-H "KBS-Webhook-Signature: v1=$1" --data-binary "$3" "$R"
}
expect "receiver: a good signature" 0 "204" post "$sig" "$ts" "$body"
bad=$(printf '%s' "$sig" | tr '0-9a-f' '1-9a-f0')
expect "receiver: a tampered signature" 0 "401" post "$bad" "$ts" "$body"
expect "receiver: another timestamp" 0 "401" post "$sig" "$((ts + 1))" "$body"
expect "receiver: another body" 0 "401" post "$sig" "$ts" "${body/release/denial}"
expect "receiver recorded the refusals as invalid" 0 "3" q "$tmp/r1.jsonl" 'sum(1 for r in recs if not r["valid"])'

stop "$main_pid" TERM
expect "the broker stops cleanly" 0 "0" echo "$stopped"

# ---- retries: the same id on every attempt ---------------------------------------------

receiver r2 --fail-first 2
hookcfg "$r2_rport" '["release"]' >"$tmp/retry.json"
start retry "$tmp/data" --trust-root "$tmp/chip/ark.pem" --config "$tmp/retry.json"
P=http://127.0.0.1:$retry_port
main_key=$retry_key
expect "released (receiver failing)" 0 "" gs --name disk-key --out "$tmp/got.key" --attester "sim:$tmp/chip"
expect "delivered on the third attempt" 0 "yes" wait_for "$tmp/r2.jsonl" '[r["status"] for r in recs] == [503, 503, 204]' 15
expect "the same id on every attempt" 0 "1" q "$tmp/r2.jsonl" 'len(set(r["id"] for r in recs))'
expect "every attempt signed" 0 "True" q "$tmp/r2.jsonl" 'all(r["valid"] for r in recs)'
expect "metrics: two http errors" 0 "2" metric "$retry_port" 'kbs_webhook_deliveries_total{result="http_error"}'

# Receiver down, then up: retried until it answers.
stop "$retry_pid" TERM
port=$(free_port)
hookcfg "$port" '["release"]' >"$tmp/down.json"
start down "$tmp/data" --trust-root "$tmp/chip/ark.pem" --config "$tmp/down.json"
P=http://127.0.0.1:$down_port
main_key=$down_key
expect "released (receiver down)" 0 "" gs --name disk-key --out "$tmp/got.key" --attester "sim:$tmp/chip"
for i in $(seq 50); do
	[ "$(metric "$down_port" 'kbs_webhook_deliveries_total{result="connect_error"}')" = 1 ] && break
	sleep 0.1
done
expect "the first attempt failed to connect" 0 "1" metric "$down_port" 'kbs_webhook_deliveries_total{result="connect_error"}'
receiver r3 --port "$port"
expect "delivered once the receiver is up" 0 "yes" wait_for "$tmp/r3.jsonl" 'len(recs) == 1 and recs[0]["status"] == 204' 15
expect "metrics: one delivery ok" 0 "1" metric "$down_port" 'kbs_webhook_deliveries_total{result="ok"}'
stop "$down_pid" TERM

# ---- a slow receiver and a tiny queue: releases stay fast, drops are counted ---------

receiver r4 --delay 4
hookcfg "$r4_rport" '["release", "denial"]' ', "webhook_queue": 2' >"$tmp/slow.json"
start slow "$tmp/data" --trust-root "$tmp/chip/ark.pem" --config "$tmp/slow.json"
P=http://127.0.0.1:$slow_port
main_key=$slow_key
t0=$(date +%s%N)
ok=0
for i in $(seq 6); do
	gs --name disk-key --out "$tmp/got.key" --attester "sim:$tmp/chip" 2>/dev/null && ok=$((ok + 1))
done
t1=$(date +%s%N)
expect "six releases under a slow receiver" 0 "6" echo "$ok"
expect "... in under 4 s in all (no request waited for it)" 0 "yes" bash -c "[ $(((t1 - t0) / 1000000)) -lt 4000 ] && echo yes"
dropped=$(metric "$slow_port" 'kbs_webhook_dropped_total{reason="queue_full"}')
expect "drops counted" 0 "yes" bash -c "[ '$dropped' -ge 3 ] && echo yes"
expect "the queue holds at most 2" 0 "2" metric "$slow_port" 'kbs_webhook_queue_depth'
t0=$(date +%s%N)
stop "$slow_pid" TERM
t1=$(date +%s%N)
expect "shutdown with a stuck queue exits 0" 0 "0" echo "$stopped"
expect "... within the bounded drain" 0 "yes" bash -c "[ $(((t1 - t0) / 1000000)) -lt 6000 ] && echo yes"
expect "what was left is logged as dropped at shutdown" 0 "" grep -q '"reason":"shutdown"' "$tmp/slow.log"

# ---- kbs-client watch ------------------------------------------------------------------------

start w "$tmp/data" --trust-root "$tmp/chip/ark.pem"
W=http://127.0.0.1:$w_port
adm() { "$admin" --url "http://127.0.0.1:$w_admin" --token-file "$tmp/data/admin.token" "$@"; }
watch() { "$client" watch --url "$W" --server-key "$w_key" "$@"; }
field() { # field FILE LINE PYEXPR: PYEXPR over `o`, the JSON of line LINE of FILE
	/usr/bin/python3 -c 'import json,sys
o = json.loads(open(sys.argv[1]).read().splitlines()[int(sys.argv[2]) - 1])
print(eval(sys.argv[3]))' "$1" "$2" "$3"
}
watch --once --name disk-key --attester "sim:$tmp/chip" >"$tmp/once.out" 2>"$tmp/once.err"
expect "watch --once: released, exit 0" 0 "0" echo "$?"
expect "one line" 0 "1" bash -c "wc -l <'$tmp/once.out'"
expect "the line says released, under which policy and version" 0 "released disk-key prod 3 0" \
	field "$tmp/once.out" 1 '" ".join(str(o[k]) for k in ("outcome", "name", "policy", "version", "exit"))'
expect "the line has the url, time, request id and latency" 0 "True" field "$tmp/once.out" 1 \
	'o["url"] == "'"$W"'" and o["time"] > 0 and len(o["request_id"]) > 0 and o["latency_ms"] >= 0'
expect "the value never leaves the process (hex)" 1 "" grep -qiF "$disk_hex" "$tmp/once.out" "$tmp/once.err"
expect "the value never leaves the process (base64)" 1 "" grep -qF "$disk_b64" "$tmp/once.out" "$tmp/once.err"
watch --once --name disk-key --attester "sim:$tmp/wrongimage" >"$tmp/den.out" 2>/dev/null
expect "watch --once: denied, exit 1" 0 "1" echo "$?"
expect "denied names the failed rule" 0 "denied ['measurement'] policy_denied" \
	field "$tmp/den.out" 1 '" ".join(str(o[k]) for k in ("outcome", "failed_rules", "broker_error"))'
"$client" watch --once --url "http://127.0.0.1:$(free_port)" --server-key "$w_key" --name disk-key \
	--attester "sim:$tmp/chip" --timeout 3 >"$tmp/unr.out" 2>/dev/null
expect "broker unreachable: exit 3" 0 "3" echo "$?"
expect "... an error line with the code" 0 "error client_unreachable 3" \
	field "$tmp/unr.out" 1 '" ".join(str(o[k]) for k in ("outcome", "error", "exit"))'

# A policy change flips the next round.
watch --interval 2s --count 3 --name disk-key --attester "sim:$tmp/chip" >"$tmp/flip.out" 2>/dev/null &
wpid=$!
pids="$pids $wpid"
for i in $(seq 100); do
	[ -s "$tmp/flip.out" ] && break
	sleep 0.1
done
expect "a new measurement in the policy" 0 "" adm policy put "$tmp/prod-next.json"
wait "$wpid"
expect "--count 3 ends with the last round's code (denied)" 0 "1" echo "$?"
expect "three rounds" 0 "3" bash -c "wc -l <'$tmp/flip.out'"
expect "released, then denied" 0 "released denied denied" bash -c \
	"for n in 1 2 3; do /usr/bin/python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).read().splitlines()[int(sys.argv[2]) - 1])[\"outcome\"])' '$tmp/flip.out' \$n; done | xargs"
expect "the denied round names version 4's failed rule" 0 "['measurement']" field "$tmp/flip.out" 2 'o["failed_rules"]'
expect "rounds start 2 s apart" 0 "True" /usr/bin/python3 -c 'import json,sys
t = [json.loads(l)["time"] for l in open(sys.argv[1])]
print(all(1 <= b - a <= 3 for a, b in zip(t, t[1:])))' "$tmp/flip.out"
expect "the first policy back" 0 "" adm policy put "$tmp/prod.json"

# The posted line is the printed one, signed.
receiver r5
watch --once --name disk-key --attester "sim:$tmp/chip" --webhook "http://127.0.0.1:$r5_rport/watch" \
	--webhook-secret-file "$tmp/hook.key" >"$tmp/post.out" 2>"$tmp/post.err"
expect "watch with a webhook: exit 0" 0 "0" echo "$?"
expect "the post arrived, signed" 0 "yes" wait_for "$tmp/r5.jsonl" 'len(recs) == 1 and recs[0]["valid"] and recs[0]["status"] == 204'
expect "the post is the printed line" 0 "True" /usr/bin/python3 -c 'import json,sys
print(json.loads(open(sys.argv[1]).readline())["body"] == json.loads(open(sys.argv[2]).readline()))' "$tmp/r5.jsonl" "$tmp/post.out"
expect "the post names the id it is signed under" 0 "True" q "$tmp/r5.jsonl" 'recs[0]["id"] == recs[0]["body"]["id"]'
port=$(free_port)
watch --once --name disk-key --attester "sim:$tmp/chip" --webhook "http://127.0.0.1:$port/x" \
	--webhook-secret-file "$tmp/hook.key" >/dev/null 2>"$tmp/post.err"
rc=$?
cp "$tmp/post.err" "$tmp/err"
expect_err "a webhook down is said" "kbs-client watch: webhook: not delivered (Couldn't connect to server, HTTP 0)"
expect "... and does not change the round's code" 0 "0" echo "$rc"
expect "--interval 24h is the largest" 0 "" watch --interval 24h --count 1 --name disk-key --attester "sim:$tmp/chip"
# Standard output closed (a reader that went away): the watch ends, exit 2,
# rather than attesting on unseen.
timeout 20 "$client" watch --url "$W" --server-key "$w_key" --interval 1s --name disk-key \
	--attester "sim:$tmp/chip" 2>"$tmp/pipe.err" | head -c 1 >/dev/null
rc=${PIPESTATUS[0]}
expect "standard output gone: exit 2" 0 "2" echo "$rc"
cp "$tmp/pipe.err" "$tmp/err"
expect_err "... and said" "kbs-client watch: cannot write to standard output: Broken pipe"
# SIGTERM in the pause after a round ends the watch at once (the signals
# are blocked but for the wait itself, so none is lost before the sleep):
# a long interval must not hold it. (Before the first round the default
# action applies: nothing has happened yet.)
for at in 2; do
	"$client" watch --url "$W" --server-key "$w_key" --interval 1h --name disk-key \
		--attester "sim:$tmp/chip" >"$tmp/term.out" 2>/dev/null &
	wp=$!
	sleep "$at"
	t0=$(date +%s)
	kill -TERM "$wp"
	wait "$wp"
	rc=$?
	expect "SIGTERM at ${at}s: the round ends, exit 0, within 5 s" 0 "0 1 yes" \
		echo "$rc $(wc -l <"$tmp/term.out") $([ $(($(date +%s) - t0)) -le 5 ] && echo yes)"
done
stop "$w_pid" TERM

# ---- an audit chain failure --------------------------------------------------------------

# One byte of the release's audit record is changed in the store under the
# running broker (a hex digit of its request id, at every place the id is
# in the file: LMDB leaves old copies of pages behind; the broker maps the
# file shared, so it reads the edit). The next verify finds the chain
# broken at that record and the webhook hears of it; a restart refuses to
# serve and says so to the webhook before it exits.
rid=$(q "$tmp/r1.jsonl" "$rel['request_id']")
seq=$(q "$tmp/r1.jsonl" "$rel['audit_seq']")
start tamper "$tmp/data" --trust-root "$tmp/chip/ark.pem" --config "$tmp/main.json"
tadm() { "$admin" --url "http://127.0.0.1:$tamper_admin" --token-file "$tmp/data/admin.token" "$@"; }
expect "audit verify: intact before" 0 "" tadm audit verify
expect "the release's record is edited in the file" 0 "edited" /usr/bin/python3 -c 'import sys
path, rid = sys.argv[1], sys.argv[2].encode()
with open(path, "r+b") as f:
    data = bytearray(f.read())
    at = data.find(rid)
    if at < 0:
        sys.exit("request id not found")
    while at >= 0:
        f.seek(at)
        f.write(b"0" if data[at] != ord("0") else b"1")
        at = data.find(rid, at + 1)
print("edited")' "$tmp/data/store/data.mdb" "$rid"
: >"$tmp/r1.jsonl"
expect "audit verify finds the chain broken" 1 "" tadm audit verify
expect_err "... and says so" "kbs-admin: the audit chain is NOT intact"
chain='[r["body"] for r in recs if r["valid"] and r["body"]["kind"] == "audit_chain_failure"]'
expect "the webhook hears of it" 0 "yes" wait_for "$tmp/r1.jsonl" "len($chain) == 1"
expect "... found by the verify, with the first bad record" 0 "audit_verify $seq" q "$tmp/r1.jsonl" \
	"$chain[0]['found_by'] + ' ' + str($chain[0]['first_bad_seq'])"
expect "metrics: one audit chain event" 0 "1" metric "$tamper_port" 'kbs_webhook_events_total{kind="audit_chain_failure"}'
stop "$tamper_pid" TERM
: >"$tmp/r1.jsonl"
expect "a restart refuses the broken chain" 0 "1 kbs: keystore state check $tmp/data/store: audit chain is broken (store_audit_chain)" \
	bash -c "'$kbs' --data-dir '$tmp/data' --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 --config '$tmp/main.json' >/dev/null 2>'$tmp/t.err'; echo \$? \$(head -1 '$tmp/t.err')"
expect "... after telling the webhook" 0 "startup $seq" q "$tmp/r1.jsonl" \
	"$chain[0]['found_by'] + ' ' + str($chain[0]['first_bad_seq'])"

# Arguments, refused before anything is sent.
iv="the interval is not a whole number followed by s, m or h (from 1s to 24h)"
for bad in 0s -5m 5 5d 1.5h 25h 05m 86401s s 1hh; do
	expect "--interval $bad" 2 "" watch --interval "$bad" --name disk-key --attester "sim:$tmp/chip"
	expect_err "--interval $bad: exact" "kbs-client watch: --interval $bad: $iv"
done
expect "--once with --count" 2 "" watch --interval 1s --once --count 1 --name disk-key
expect_err "... exact" "kbs-client watch: --once and --count exclude each other"
expect "--webhook without its key" 2 "" watch --once --name disk-key --webhook http://127.0.0.1:1/x
expect_err "... exact" "kbs-client watch: --webhook and --webhook-secret-file go together (posts are always signed)"
expect "--webhook not http" 2 "" watch --once --name disk-key --webhook file:///tmp/x --webhook-secret-file "$tmp/hook.key"
expect_err "... exact" "kbs-client watch: --webhook must be an http:// or https:// URL"
expect "--name required" 2 "" watch --once
expect_err "... exact" "kbs-client watch: --name is required: the broker decides per secret"
expect "--interval required without --once" 2 "" watch --name disk-key
expect_err "... exact" "kbs-client watch: --interval is required (or --once)"
expect "--count 0" 2 "" watch --once --count 0 --name disk-key
expect_err "... exact" "kbs-client watch: --count needs a number from 1 to 1000000"
chmod 644 "$tmp/hook.key"
expect "a webhook key open to others" 2 "" watch --once --name disk-key --webhook http://127.0.0.1:1/x --webhook-secret-file "$tmp/hook.key"
expect_err "... exact" "kbs-client watch: --webhook-secret-file $tmp/hook.key: the webhook secret file is not ours, is open to others, or is not 32 to 64 bytes (raw or hex)"
chmod 600 "$tmp/hook.key"
expect "watch --help" 0 "usage: kbs-client watch --url URL --interval DURATION" watch --help
expect "kbs-client --help lists watch" 0 "" bash -c "'$client' --help | grep -q '^kbs-client watch --url URL --interval 30s|5m|1h'"

# ---- configuration errors ----------------------------------------------------------------

cfgerr() { # cfgerr FILE: kbs's exit status and first stderr line
	"$kbs" --data-dir "$tmp/data" --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 --config "$1" 2>"$tmp/cfg.err" >/dev/null
	echo "$? $(head -1 "$tmp/cfg.err")"
}
hookcfg 1 '["release", "rotate"]' >"$tmp/c1.json"
expect "unknown event" 0 "2 kbs: $tmp/c1.json:1:72: webhooks: events: must name release, denial, policy_change, audit_chain_failure or token_revoked" cfgerr "$tmp/c1.json"
printf '{"webhooks": [{"url": "http://h", "events": ["release"], "secret_file": "/k", "timeout": 1}]}' >"$tmp/c2.json"
expect "unknown member" 0 "2 kbs: $tmp/c2.json:1:79: webhooks: timeout: unknown member (url, events, secret_file)" cfgerr "$tmp/c2.json"
printf '{"webhooks": [{"url": "file:///etc/passwd", "events": ["release"], "secret_file": "/k"}]}' >"$tmp/c3.json"
expect "a URL that is not http(s)" 0 "2 kbs: $tmp/c3.json:1:23: webhooks: url: must be an http:// or https:// URL without spaces, shorter than 1024 bytes" cfgerr "$tmp/c3.json"
printf '{"webhoks": []}' >"$tmp/c4.json"
expect "a misspelt setting" 0 "2 kbs: $tmp/c4.json:1:2: webhoks: unknown setting (did you mean \"webhooks\"?)" cfgerr "$tmp/c4.json"
hookcfg 1 '["release"]' >"$tmp/c5.json"
chmod 644 "$tmp/hook.key"
expect "a secret file open to others" 0 "1 kbs: webhook 0: secret file $tmp/hook.key: the webhook secret file is not ours, is open to others, or is not 32 to 64 bytes (raw or hex) (webhook_key_file)" cfgerr "$tmp/c5.json"
chmod 600 "$tmp/hook.key"
printf 'short' >"$tmp/short.key"
chmod 600 "$tmp/short.key"
sed "s|$tmp/hook.key|$tmp/short.key|" "$tmp/c5.json" >"$tmp/c6.json"
expect "a secret file too short" 0 "1 kbs: webhook 0: secret file $tmp/short.key: the webhook secret file" cfgerr "$tmp/c6.json"
sed "s|$tmp/hook.key|$tmp/missing.key|" "$tmp/c5.json" >"$tmp/c7.json"
expect "a missing secret file" 0 "1 kbs: webhook 0: secret file $tmp/missing.key: system call failed (system)" cfgerr "$tmp/c7.json"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
