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

# kbs_start DATA CONFIG_JSON [ARGS...]: starts $kbs on DATA (127.0.0.1, port
# 0) with CONFIG_JSON as its configuration file and ARGS (by default
# --trust-root $sim/ark.pem); its output in $tmp/out, its log appended to
# $tmp/log. Sets pid, pub, adm, token; returns 1, the daemon stopped, if it
# did not start.
kbs_start() {
	local data=$1 roots=(--trust-root "$sim/ark.pem")
	printf '%s\n' "$2" >"$tmp/config.json"
	shift 2
	[ $# -gt 0 ] && roots=("$@")
	rm -f "$tmp/out"
	"$kbs" --data-dir "$data" --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 \
		"${roots[@]}" --config "$tmp/config.json" >"$tmp/out" 2>>"$tmp/log" &
	pid=$!
	pub="" adm=""
	if wait_listening "$tmp/out" "$pid" 30; then # 30 s: the machine may be busy
		pub=$listen_port adm=$listen_admin
	fi
	token=$(cat "$data/admin.token" 2>/dev/null)
	if [ -z "$pub" ] || [ -z "$adm" ]; then
		echo "kbs did not start with $(cat "$tmp/config.json"):"
		cat "$tmp/out"
		tail -5 "$tmp/log"
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		return 1
	fi
}

# kbs_stop: SIGTERM to $pid, and the exit status must be 0.
kbs_stop() {
	kill -TERM "$pid"
	wait "$pid"
	expect "SIGTERM exits 0" 0 "" test "$?" = 0
}

# admin METHOD PATH [CURL ARGS...]: the admin API of that broker, with its token.
admin() {
	local m=$1 p=$2
	shift 2
	curl -s -X "$m" -H "Authorization: Bearer $token" "$@" "http://127.0.0.1:$adm$p"
}

# kbs_cases SCRIPT CASE...: runs a case driver (kbs_review.py, attack.py)
# against the broker kbs_start started; one pass or fail per case; lines
# starting with "#" are measurements, printed. At most 300 s.
kbs_cases() {
	local script=$1 line
	shift
	while IFS= read -r line; do
		case $line in
		ok\ *) pass=$((pass + 1)) ;;
		\#*) echo "$line" ;;
		*) fail=$((fail + 1)) && echo "$line" ;;
		esac
	done < <(timeout 300 /usr/bin/python3 "$script" "$client" "$sim" "$pub" "$adm" "$token" "$@" 2>&1)
}

# The broker under test ($kbs, set by the caller) in the background.
# start NAME DATA_DIR [ARGS...]: runs kbs in the background; sets ${NAME}_pid,
# ${NAME}_port, ${NAME}_admin, ${NAME}_key (its identity key) once it prints
# both "listening" lines, and adds the pid to $pids (for a caller's trap).
start() {
	local name=$1 dir=$2 out
	shift 2
	out=$tmp/$name.out
	rm -f "$out" # the child truncates it only once it runs: never read an old one
	"$kbs" --data-dir "$dir" --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 "$@" \
		>"$out" 2>"$tmp/$name.log" &
	eval "${name}_pid=$!"
	pids="${pids:-} $!"
	if wait_listening "$out" "$!"; then
		eval "${name}_port=$listen_port ${name}_admin=$listen_admin"
		eval "${name}_key=$(awk '/identity key/ {print $NF}' "$out")"
		return 0
	fi
	echo "FAIL: kbs $name did not start"
	cat "$tmp/$name.log"
	exit 1
}

# stop PID SIGNAL: sends SIGNAL and waits (at most 15 s); sets $stopped to
# the exit status ("timeout" if it had to be killed). Not in a subshell:
# only the shell that started the daemon can wait for it.
stop() {
	local pid=$1 sig=$2 i
	kill -"$sig" "$pid" 2>/dev/null
	for i in $(seq 150); do
		if ! kill -0 "$pid" 2>/dev/null || [ "$(ps -o stat= -p "$pid" | cut -c1)" = Z ]; then
			wait "$pid"
			stopped=$?
			return
		fi
		sleep 0.1
	done
	kill -9 "$pid"
	wait "$pid"
	stopped=timeout
}

# wait_listening OUT PID [SECONDS]: waits (at most SECONDS, 10 by default)
# for kbs's "listening admin" line in OUT and sets $listen_port and
# $listen_admin from the two "listening" lines; 1 when PID exits first or
# the time is up. kbs_start and start wait with it.
wait_listening() {
	local i
	for i in $(seq $((${3:-10} * 10))); do
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

# The helpers of the etcd tests (test_scaleout.sh, test_etcd_tls.sh).
ok() {
	pass=$((pass + 1))
}
bad() {
	fail=$((fail + 1))
	echo "FAIL $*"
}
# check NAME CONDITION...: one assertion.
check() {
	local name=$1
	shift
	if "$@"; then ok; else bad "$name"; fi
}

# free_ports N: N distinct free loopback ports.
free_ports() {
	/usr/bin/python3 - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

# json FILE_OR_- EXPR: a member of a JSON document (python expression on d).
json() {
	/usr/bin/python3 -c 'import json,sys
d = json.load(open(sys.argv[1]) if sys.argv[1] != "-" else sys.stdin)
print(eval(sys.argv[2]))' "$@" 2>/dev/null
}

# wait_until SECONDS CMD...: polls CMD every 0.1 s.
wait_until() {
	local n=$(($1 * 10))
	shift
	while [ "$n" -gt 0 ]; do
		if "$@"; then return 0; fi
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}
# kill_pids: SIGKILL every process in the array pids (what the script started), then reap them.
kill_pids() {
	local p
	for p in "${pids[@]}"; do
		kill -9 "$p" 2>/dev/null
	done
	wait 2>/dev/null
}
