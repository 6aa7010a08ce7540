#!/bin/bash
# test_kbs_bench.sh KBS KBS_CLIENT KBS_BENCH BENCH_CHIPS: kbs-bench against
# the real broker on 127.0.0.1 (port 0): a short run (50 attestations at
# concurrency 2) whose last line has the documented format and whose every
# release was checked and decrypted, the --json line, several chips under
# one root (the cold mode), a broker started with --no-audit-sync (its
# warning), and the exact errors of bad flags and bad setups. Nothing here
# is timed: the numbers are only checked for their format.
set -u
kbs=$1
client=$2
bench=$3
chips=$4
here=$(dirname "$0")
# shellcheck source=../integration/lib.sh
. "$here/../integration/lib.sh"
# shellcheck source=broker.sh
. "$here/broker.sh"
bench_config=$tmp/bench.json


# first_err NAME TEXT: the first line of the last expect's stderr is exactly TEXT.
first_err() {
	local got
	got=$(head -1 "$tmp/err")
	if [ "$got" = "$2" ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL $1: stderr line 1: $got"
		echo "  want: $2"
	fi
}

# The broker's per-address rate limit (50/s by default) would refuse a benchmark.
echo '{"rate_per_ip": 0}' >"$tmp/bench.json"
"$client" sim-init "$tmp/chip" --product milan >/dev/null || exit 1
kbs_start main "$tmp/data" --trust-root "$tmp/chip/ark.pem"
U=http://127.0.0.1:$main_port
A=http://127.0.0.1:$main_admin
tok=$tmp/data/admin.token
b() { "$bench" --url "$U" --admin-url "$A" --token-file "$tok" "$@"; }
line_re='^attest_cpu_us=[0-9]+\.[0-9] verify_cpu_us=[0-9]+\.[0-9] openssl_verify_cpu_us=[0-9]+\.[0-9] ratio=[0-9]+\.[0-9]{3} rps=[0-9]+\.[0-9] p50_ms=[0-9]+\.[0-9]{3} p99_ms=[0-9]+\.[0-9]{3}$'

# ---- a short run -------------------------------------------------------------------

b --sim "$tmp/chip" --requests 50 --concurrency 2 >"$tmp/run.out" 2>"$tmp/run.err"
rc=$?
expect "the run succeeds" 0 "0" echo "$rc"
[ "$rc" = 0 ] || cat "$tmp/run.err"
expect "the broker was found by its port" 0 "kbs-bench: broker pid $main_pid, 1 chip(s), concurrency 2" head -1 "$tmp/run.out"
expect "every request released and checked" 0 "requests 50 measured in 1 batch(es) of at most 1000 (plus 2 unmeasured to open the connections): 50 released and checked, 0 failed" grep '^requests ' "$tmp/run.out"
expect "the last line has the documented format" 0 "ok" bash -c "tail -1 '$tmp/run.out' | grep -Eq '$line_re' && echo ok"

b --sim "$tmp/chip" --requests 20 --concurrency 1 --secrets 3 --json --pid "$main_pid" >"$tmp/json.out" 2>"$tmp/json.err"
expect "--json, --secrets 3 and --pid" 0 "0" echo "$?"
expect "the JSON line" 0 "20 20 0 3" /usr/bin/python3 -c 'import json,sys
lines = open(sys.argv[1]).read().splitlines()
j = json.loads(lines[-2])
print(j["requests"], j["ok"], j["failed"], j["secrets"])' "$tmp/json.out"
expect "the last line after --json" 0 "ok" bash -c "tail -1 '$tmp/json.out' | grep -Eq '$line_re' && echo ok"

# ---- several chips under one root (cold attestations) ----------------------------------

expect "bench_chips makes 3 chips" 0 "bench_chips: 3 chips under $tmp/chips" "$chips" "$tmp/chips" 3
kbs_start cold "$tmp/data-cold" --trust-root "$tmp/chips/ark.pem"
expect "a run over 3 chips" 0 "kbs-bench: broker pid $cold_pid, 3 chip(s)" "$bench" --url "http://127.0.0.1:$cold_port" --admin-url "http://127.0.0.1:$cold_admin" --token-file "$tmp/data-cold/admin.token" --sim "$tmp/chips" --requests 30
kbs_stop "$cold_pid"

# ---- --no-audit-sync -------------------------------------------------------------

kbs_start nosync "$tmp/data-nosync" --trust-root "$tmp/chip/ark.pem" --no-audit-sync
expect "--no-audit-sync warns first" 0 "kbs: WARNING: --no-audit-sync: the store is NOT flushed to disk; a crash or power loss can lose answered releases, their audit records, consumed nonces and admin writes. For benchmarks only, never in production" head -1 "$tmp/nosync.out"
expect "--no-audit-sync is logged" 0 "1" grep -c '"event":"no_audit_sync"' "$tmp/nosync.log"
expect "a run against it" 0 "" "$bench" --url "http://127.0.0.1:$nosync_port" --admin-url "http://127.0.0.1:$nosync_admin" --token-file "$tmp/data-nosync/admin.token" --sim "$tmp/chip" --requests 40
kbs_stop "$nosync_pid"
expect "without the flag there is no such warning" 1 "0" grep -c "no-audit-sync" "$tmp/main.out"

# ---- bad flags: exit 2 with the exact message ---------------------------------------------

expect "no flags" 2 "" "$bench"
first_err "no flags: message" "kbs-bench: --url, --admin-url, --token-file and --sim are required"
expect "--concurrency 0" 2 "" b --sim "$tmp/chip" --concurrency 0
first_err "--concurrency 0: message" "kbs-bench: --concurrency: a number from 1 to 1024"
expect "--concurrency 1025" 2 "" b --sim "$tmp/chip" --concurrency 1025
first_err "--concurrency 1025: message" "kbs-bench: --concurrency: a number from 1 to 1024"
expect "--requests x" 2 "" b --sim "$tmp/chip" --requests x
first_err "--requests x: message" "kbs-bench: --requests: a number from 1 to 10000000"
expect "--requests -1" 2 "" b --sim "$tmp/chip" --requests -1
first_err "--requests -1: message" "kbs-bench: --requests: a number from 1 to 10000000"
expect "--duration 0" 2 "" b --sim "$tmp/chip" --duration 0
first_err "--duration 0: message" "kbs-bench: --duration: a number from 1 to 86400"
expect "--secrets 33" 2 "" b --sim "$tmp/chip" --secrets 33
first_err "--secrets 33: message" "kbs-bench: --secrets: a number from 1 to 32"
expect "--pid 0" 2 "" b --sim "$tmp/chip" --pid 0
first_err "--pid 0: message" "kbs-bench: --pid: a number from 1 to 4194304"
expect "--pid 12abc" 2 "" b --sim "$tmp/chip" --pid 12abc
first_err "--pid 12abc: message" "kbs-bench: --pid: a number from 1 to 4194304"
expect "an ftp URL" 2 "" "$bench" --url ftp://127.0.0.1:1 --admin-url "$A" --token-file "$tok" --sim "$tmp/chip"
first_err "an ftp URL: message" "kbs-bench: --url and --admin-url: http://HOST:PORT"
expect "a URL with a bad port" 2 "" "$bench" --url http://127.0.0.1:99999 --admin-url "$A" --token-file "$tok" --sim "$tmp/chip"
first_err "a bad port: message" "kbs-bench: --url: http://HOST:PORT"
expect "an extra argument" 2 "" b --sim "$tmp/chip" extra
first_err "an extra argument: message" "kbs-bench: unexpected argument extra"
expect "an unknown flag" 2 "" b --sim "$tmp/chip" --bogus
expect_err "an unknown flag: usage" "usage: kbs-bench --url URL --admin-url URL --token-file F --sim DIR [--pid PID]"
expect "--help" 0 "usage: kbs-bench --url URL" "$bench" --help

# ---- bad setups: exit 1 with the exact message -----------------------------------------

mkdir "$tmp/empty"
expect "--sim without a chip" 1 "" b --sim "$tmp/empty"
first_err "--sim without a chip: message" "kbs-bench: --sim $tmp/empty: no chip.conf in it or in chip-* below it"
expect "a missing token file" 1 "" "$bench" --url "$U" --admin-url "$A" --token-file "$tmp/nosuch" --sim "$tmp/chip"
first_err "a missing token file: message" "kbs-bench: --token-file $tmp/nosuch: No such file or directory"
printf 'not-the-token\n' >"$tmp/bad.token"
expect "a wrong admin token" 1 "" "$bench" --url "$U" --admin-url "$A" --token-file "$tmp/bad.token" --sim "$tmp/chip"
expect_err "a wrong admin token: the refused call" "kbs-bench: POST /v1/admin/policies: HTTP 401: "
expect "no broker on the port" 1 "" "$bench" --url http://127.0.0.1:1 --admin-url "$A" --token-file "$tok" --sim "$tmp/chip"
first_err "no broker on the port: message" "kbs-bench: no process of ours listens on port 1 of --url (give --pid)"
expect "--pid of no process" 1 "" b --sim "$tmp/chip" --pid 4194304
first_err "--pid of no process: message" "kbs-bench: --pid 4194304: no such process"
sleep 60 &
other=$!
expect "--pid of another process" 1 "" b --sim "$tmp/chip" --requests 100 --pid "$other"
first_err "--pid of another process: message" "kbs-bench: the CPU time of pid $other did not move over the run: is it the broker?"
kill "$other"
wait "$other" 2>/dev/null

kbs_stop "$main_pid"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
