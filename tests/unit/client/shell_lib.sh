# shell_lib.sh: what the client's shell tests share: a scratch directory
# $tmp removed on exit (with the fake broker whose pid is in $fake_pid),
# and assertions that count into $pass/$fail.
tmp=$(mktemp -d)
fake_pid=
cleanup() {
	[ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
pass=0
fail=0

ok() { pass=$((pass + 1)); }

bad() {
	fail=$((fail + 1))
	echo "FAIL $1"
	[ -f "$tmp/err" ] && sed 's/^/  stderr: /' "$tmp/err" | head -5
}

# expect NAME RC STDERR_LINE CMD...: exit code, and a stderr line equal to STDERR_LINE ("" = any).
expect() {
	local name=$1 want_rc=$2 want=$3 rc
	shift 3
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" != "$want_rc" ]; then
		bad "$name: rc=$rc, want $want_rc"
	elif [ -n "$want" ] && ! grep -qxF -- "$want" "$tmp/err"; then
		bad "$name: no stderr line '$want'"
	else
		ok
	fi
}

# check NAME CMD...: a plain assertion.
check() {
	local name=$1
	shift
	if "$@"; then ok; else bad "$name"; fi
}

# finish prints the tally and sets the exit status.
finish() {
	echo "$pass passed, $fail failed"
	[ "$fail" = 0 ]
}
