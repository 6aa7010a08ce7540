#!/bin/bash
# test_demo.sh BUILD_DIR: deploy/demo.sh as the README runs it. --ci must
# pass end to end; the interactive mode must leave a broker serving and
# --stop must end it and remove the demo directory; a bad option is a
# usage error.
set -u
build=$1
src=$(cd "$(dirname "$0")/../.." && pwd)
. "$(dirname "$0")/lib.sh"
demo=$build/demo

# --ci: every step, the next commands checked, SIGTERM, exit 0, nothing left.
env BUILD="$build" "$src/deploy/demo.sh" --ci >"$tmp/ci.out" 2>&1
rc=$?
[ "$rc" = 0 ] && grep -q "^demo: OK (simulated chip" "$tmp/ci.out" &&
	pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL demo --ci rc=$rc"; tail "$tmp/ci.out"; }
[ ! -e "$demo" ] && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL --ci left $demo"; }

# The interactive mode: the broker stays up and answers on the printed port.
env BUILD="$build" "$src/deploy/demo.sh" </dev/null >"$tmp/run.out" 2>&1
rc=$?
[ "$rc" = 0 ] && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL demo rc=$rc"; tail "$tmp/run.out"; }
pid=$(cat "$demo/kbs.pid" 2>/dev/null)
url=$(awk '/^  public API/ {print $3}' "$tmp/run.out")
if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && curl -fsS "$url/healthz" >/dev/null; then
	pass=$((pass + 1))
else
	fail=$((fail + 1))
	echo "FAIL the demo broker is not serving (pid '$pid', url '$url')"
fi
grep -q "./deploy/demo.sh --stop" "$tmp/run.out" && pass=$((pass + 1)) ||
	{ fail=$((fail + 1)); echo "FAIL no next commands printed"; }
# The printed denied-guest command is refused with exit 1.
deny=$(grep -A1 "another image" "$tmp/run.out" | tail -1)
expect "printed denied guest" 1 "" $deny
expect_err "printed denied guest names the rule" "failed measurement"

expect "demo --stop" 0 "demo: stopped the demo broker" env BUILD="$build" "$src/deploy/demo.sh" --stop
for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
! kill -0 "$pid" 2>/dev/null && [ ! -e "$demo" ] && pass=$((pass + 1)) ||
	{ fail=$((fail + 1)); echo "FAIL --stop left the broker or $demo"; }
expect "demo --stop twice" 0 "" env BUILD="$build" "$src/deploy/demo.sh" --stop
expect "demo bad option" 2 "" env BUILD="$build" "$src/deploy/demo.sh" --frobnicate
expect_err "demo usage" "usage: deploy/demo.sh [--ci | --stop]"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
