#!/bin/bash
# tests/sanitize/tsan.sh [ROUNDS]: the broker built with ThreadSanitizer
# (build-tsan, -Db_sanitize=thread; KBS_TSAN_BUILD to change it), driven
# by the 32-guest parallel test of tests/integration/test_kbs_broker.sh
# ROUNDS times (default 5) while an admin client writes at the same time
# (secrets put and deleted, policy versions, tokens created and revoked,
# audit export and verify, /metrics and /readyz), then stopped with
# SIGTERM. Fails on any ThreadSanitizer report (from the broker or the
# clients, which are built the same way), a guest that did not get its
# secret, an admin write that failed, or an unclean exit.
#
# Suppressions: tests/sanitize/tsan.supp, only for proven false
# positives in third-party code, each with its reason.
build=${KBS_TSAN_BUILD:-build-tsan}
setup_args="-Db_sanitize=thread -Db_lundef=false -Dbuildtype=debugoptimized"
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
rounds=${1:-5}

san_build
# halt_on_error=0: count every report; exitcode: a run with reports fails.
export TSAN_OPTIONS="halt_on_error=0 exitcode=66 second_deadlock_stack=1 log_path=$tmp/tsan suppressions=$root/tests/sanitize/tsan.supp"
san_chip
START_WAIT=1200 san_start env
san_provision

# admin_writes N: N rounds of admin traffic; the first failure ends it with 1.
admin_writes() {
	local k id
	for k in $(seq "$1"); do
		head -c 16 /dev/urandom >"$tmp/w.$k"
		adm secret put "w/$k" --policy prod --from-file "$tmp/w.$k" >/dev/null || return 1
		adm policy put "$tmp/prod.json" >/dev/null || return 1
		adm token create --role auditor --out "$tmp/tok.$k" >/dev/null || return 1
		id=$(adm token list | /usr/bin/python3 -c 'import json,sys
print([t["id"] for t in json.load(sys.stdin)["tokens"] if t["role"] == "auditor" and not t.get("revoked")][0])') ||
			return 1
		adm token revoke "$id" >/dev/null || return 1
		adm audit export >/dev/null || return 1
		curl -sf "$P/metrics" >/dev/null || return 1
		curl -sf "$P/readyz" >/dev/null || return 1
		if [ "$k" -gt 1 ]; then
			adm secret delete "w/$((k - 1))" >/dev/null || return 1
		fi
	done
	adm audit verify >/dev/null
}

for r in $(seq "$rounds"); do
	pids=""
	for i in $(seq 32); do
		timeout 300 "$client" get-secret --url "$P" --server-key "$key" --name disk-key \
			--out "$tmp/par.$r.$i" --attester "sim:$tmp/chip" 2>"$tmp/par.$r.$i.err" &
		pids="$pids $!"
	done
	admin_writes 8 >"$tmp/admin.$r.log" 2>&1 &
	admin_pid=$!
	ok=0
	for j in $pids; do
		wait "$j" && ok=$((ok + 1))
	done
	wait "$admin_pid" || { cat "$tmp/admin.$r.log"; die "round $r: an admin write failed"; }
	same=0
	for i in $(seq 32); do
		cmp -s "$tmp/par.$r.$i" "$tmp/disk.key" && same=$((same + 1))
	done
	if [ "$ok" != 32 ] || [ "$same" != 32 ]; then
		head -5 "$tmp"/par."$r".*.err
		die "round $r: $ok of 32 guests succeeded, $same got the value"
	fi
	say "round $r: 32 guests released, admin writes done"
done
san_stop
reports=$(cat "$tmp"/tsan.* 2>/dev/null | grep -c '^WARNING: ThreadSanitizer' || true)
if [ "$reports" != 0 ]; then
	cat "$tmp"/tsan.*
	die "$reports ThreadSanitizer report(s)"
fi
[ "$stopped" = 0 ] || { tail -20 "$tmp/kbs.log"; die "the broker exited with $stopped"; }
say "ok: $rounds rounds of 32 parallel guests with concurrent admin writes, no ThreadSanitizer report, clean exit"
