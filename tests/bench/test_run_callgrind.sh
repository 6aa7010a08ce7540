#!/bin/bash
# test_run_callgrind.sh BUILD_DIR: tests/bench/run-callgrind.sh on a few
# attestations (2, then 6): both memset modes, the last line's format, and
# ratios that must hold whatever the machine (an attestation contains its
# verification and costs more than it, and less than three of it). Then the
# exact errors of bad flags. Instructions are counted, not time: nothing
# here depends on the machine's load.
set -u
build=$1
script=$(dirname "$0")/run-callgrind.sh
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kbs-test-callgrind-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
check() {
	local name=$1
	shift
	if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL $name"; fi
}

"$script" --build "$build" --dir "$tmp" --few 2 --many 6 >"$tmp/out" 2>"$tmp/err"
check "runs (exit 0)" test $? = 0
last=$(tail -1 "$tmp/out")
re='^attest_ir=([0-9]+\.[0-9]{3}) verify_ir=([0-9]+\.[0-9]{3}) ratio=([0-9]+\.[0-9]{3}) attest_ir_vector_memset=([0-9]+\.[0-9]{3}) ratio_vector_memset=([0-9]+\.[0-9]{3})$'
if [[ $last =~ $re ]]; then
	pass=$((pass + 1))
	check "ratio within (1, 3)" python3 -c "import sys; r = float(sys.argv[1]); sys.exit(0 if 1 < r < 3 else 1)" "${BASH_REMATCH[3]}"
	check "vector memset ratio within (1, 3)" python3 -c "import sys; r = float(sys.argv[1]); sys.exit(0 if 1 < r < 3 else 1)" "${BASH_REMATCH[5]}"
	check "verification 4 to 6 M instructions" python3 -c "import sys; v = float(sys.argv[1]); sys.exit(0 if 4 < v < 6 else 1)" "${BASH_REMATCH[2]}"
	[ "$fail" = 0 ] || echo "last line: $last"
	check "vector memset counts fewer" python3 -c "import sys; sys.exit(0 if float(sys.argv[2]) < float(sys.argv[1]) else 1)" "${BASH_REMATCH[1]}" "${BASH_REMATCH[4]}"
else
	fail=$((fail + 1))
	echo "FAIL last line: $last"
	cat "$tmp/out" "$tmp/err"
fi
check "no broker left" bash -c "! pgrep -f '[c]allgrind-out-file=$tmp' >/dev/null"
check "scratch removed" bash -c "! ls -d '$tmp'/kbs-callgrind.* 2>/dev/null"

"$script" --build "$build" --memset rep --few 2 --many 3 --dir "$tmp" >"$tmp/out" 2>&1
check "rep only: three fields" bash -c "tail -1 '$tmp/out' | grep -Eqx 'attest_ir=[0-9.]+ verify_ir=[0-9.]+ ratio=[0-9.]+'"
[ "$fail" = 0 ] || cat "$tmp/out"

# bad_flag NAME MESSAGE ARGS...: exit 2 with MESSAGE as the only output.
bad_flag() {
	local name=$1 msg=$2 out
	shift 2
	out=$("$script" --build "$build" --dir "$tmp" "$@" 2>&1)
	check "$name: exit 2" test $? = 2
	check "$name: message" test "$out" = "$msg"
}
bad_flag "--few = --many" "run-callgrind.sh: need 1 <= --few < --many" --few 5 --many 5
bad_flag "--few 0" "run-callgrind.sh: need 1 <= --few < --many" --few 0
bad_flag "--memset other" "run-callgrind.sh: --memset is rep, vector or both" --memset stosb
bad_flag "unknown flag" "usage: run-callgrind.sh [--build DIR] [--dir DIR] [--few N] [--many N] [--concurrency C] [--memset rep|vector|both]" --fast
bad_flag "no build" "run-callgrind.sh: $tmp/nowhere/kbs/kbs missing (ninja -C $tmp/nowhere)" --build "$tmp/nowhere"

echo "run_callgrind: $pass passed, $fail failed"
[ "$fail" = 0 ]
