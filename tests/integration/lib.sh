# lib.sh: sourced by the integration scripts. Makes the scratch directory
# $tmp (removed on exit), the pass/fail counters, and expect. The caller
# prints "$pass passed, $fail failed" and exits non-zero when fail > 0.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0

# expect NAME WANT_RC WANT_PREFIX CMD...: runs CMD, checks rc and that stdout starts with WANT_PREFIX.
expect() {
	local name=$1 want_rc=$2 want=$3 out rc
	shift 3
	out=$("$@" 2>"$tmp/err")
	rc=$?
	if [ "$rc" = "$want_rc" ] && [ "${out#"$want"}" != "$out" -o -z "$want" ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL $name: rc=$rc (want $want_rc)"
		echo "  stdout: $(printf '%s' "$out" | head -3)"
		echo "  stderr: $(head -3 "$tmp/err")"
		echo "  want prefix: $want"
	fi
}

# expect_err NAME TEXT: the stderr of the last expect holds TEXT.
expect_err() {
	if grep -qF -- "$2" "$tmp/err"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL $1: stderr lacks: $2"
		echo "  stderr: $(head -3 "$tmp/err")"
	fi
}

# wait_listening OUT PID: waits (at most 10 s) for kbs's "listening admin"
# line in OUT and sets $listen_port and $listen_admin from the two
# "listening" lines; 1 when PID exits first or the time is up.
wait_listening() {
	local i
	for i in $(seq 100); do
		if grep -q "listening admin" "$1" 2>/dev/null; then
			listen_port=$(awk '/listening public/ {print $NF}' "$1")
			listen_admin=$(awk '/listening admin/ {print $NF}' "$1")
			return 0
		fi
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
