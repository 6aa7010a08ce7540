# broker.sh: sourced by test_kbs_bench.sh and run-kbs-bench.sh. Needs $kbs
# (the kbs binary), $tmp (a scratch directory) and $bench_config (a
# configuration file). kbs_pids lists every broker started, for cleanup.
kbs_pids=()

# kbs_start NAME DATA_DIR [ARGS...]: starts kbs on 127.0.0.1 (port 0, both
# listeners) with --config $bench_config and ARGS; sets ${NAME}_pid,
# ${NAME}_port and ${NAME}_admin once both "listening" lines are out. A
# broker that does not start within 30 s ends the script (exit 1).
kbs_start() {
	local name=$1 dir=$2 i o
	shift 2
	o=$tmp/$name.out
	rm -f "$o" # the child truncates it only once it runs: never read an old one
	"$kbs" --data-dir "$dir" --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 \
		--config "$bench_config" "$@" >"$o" 2>"$tmp/$name.log" &
	eval "${name}_pid=$!"
	kbs_pids+=($!)
	for i in $(seq 300); do
		if grep -q "listening admin" "$o" 2>/dev/null; then
			eval "${name}_port=$(awk '/listening public/ {print $NF}' "$o")"
			eval "${name}_admin=$(awk '/listening admin/ {print $NF}' "$o")"
			return 0
		fi
		sleep 0.1
	done
	echo "FAIL: kbs $name did not start" >&2
	cat "$tmp/$name.log" >&2
	exit 1
}

# kbs_stop PID [SECONDS]: SIGTERM, at most SECONDS (default 30) for the
# drain, then SIGKILL.
kbs_stop() {
	local pid=$1 grace=${2:-30} i
	kill -TERM "$pid" 2>/dev/null
	for i in $(seq $((grace * 10))); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}
