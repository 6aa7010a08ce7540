# shellcheck shell=bash disable=SC2034,SC2154 # variables shared with the sourcing script
# lib.sh: sourced by tsan.sh and valgrind.sh. Builds what they need in
# their own build directory, makes a simulated chip, a policy for it and
# a secret, and starts and stops the broker under a wrapper (valgrind, or
# nothing for a TSan build). Every wait has a deadline.
#
# The caller sets: build (the build directory), setup_args (meson options
# for a fresh one), and then calls: san_build, san_chip, san_start CMD...,
# san_provision, san_stop.
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1
root=$PWD
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kbs-sanitize-XXXXXX")
trap 'san_kill; rm -rf "$tmp"' EXIT
kbs_pid=""

say() { echo "$(basename "$0"): $*"; }
die() {
	say "FAIL: $*"
	exit 1
}

# san_build: sets up $build once with $setup_args, builds the three programs.
san_build() {
	if [ ! -f "$build/build.ninja" ]; then
		# shellcheck disable=SC2086 # setup_args is a word list
		meson setup "$build" $setup_args >"$tmp/setup.log" 2>&1 ||
			{ cat "$tmp/setup.log"; die "meson setup $build"; }
	fi
	ninja -C "$build" kbs/kbs kbs/kbs-admin client/kbs-client >"$tmp/build.log" 2>&1 ||
		{ tail -30 "$tmp/build.log"; die "build"; }
	kbs=$build/kbs/kbs
	admin=$build/kbs/kbs-admin
	client=$build/client/kbs-client
}

# san_chip: a simulated milan chip in $tmp/chip and a policy for its image.
san_chip() {
	local m
	"$client" sim-init "$tmp/chip" --product milan >/dev/null || die "sim-init"
	m=$(awk '/^measurement =/ {print $3}' "$tmp/chip/chip.conf")
	cat >"$tmp/prod.json" <<EOF
{"kbs_policy": 1, "name": "prod", "rules": {"product": ["milan"], "measurement": ["$m"]}}
EOF
	head -c 32 /dev/urandom >"$tmp/disk.key"
}

# san_start CMD...: runs CMD kbs ... in the background, waits (at most
# START_WAIT tenths of a second) for both "listening" lines.
san_start() {
	local i out=$tmp/kbs.out
	"$@" "$kbs" --data-dir "$tmp/data" --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 \
		--trust-root "$tmp/chip/ark.pem" >"$out" 2>"$tmp/kbs.log" &
	kbs_pid=$!
	for i in $(seq "${START_WAIT:-600}"); do
		if grep -q "listening admin" "$out" 2>/dev/null; then
			port=$(awk '/listening public/ {print $NF}' "$out")
			aport=$(awk '/listening admin/ {print $NF}' "$out")
			key=$(awk '/identity key/ {print $NF}' "$out")
			P=http://127.0.0.1:$port
			A=http://127.0.0.1:$aport
			return 0
		fi
		kill -0 "$kbs_pid" 2>/dev/null || break
		sleep 0.1
	done
	tail -20 "$tmp/kbs.log"
	die "the broker did not start"
}

adm() { "$admin" --url "$A" --token-file "$tmp/data/admin.token" --timeout 120 "$@"; }
gs() { "$client" get-secret --url "$P" --server-key "$key" --attester "sim:$tmp/chip" "$@"; }

# san_provision: the policy and the secret the guests ask for.
san_provision() {
	adm policy put "$tmp/prod.json" >/dev/null || die "policy put"
	adm secret put disk-key --policy prod --from-file "$tmp/disk.key" >/dev/null ||
		die "secret put"
}

# san_stop: SIGTERM, then waits (at most STOP_WAIT seconds); sets $stopped to the exit status.
san_stop() {
	local i
	kill -TERM "$kbs_pid" 2>/dev/null
	for i in $(seq $((${STOP_WAIT:-120} * 10))); do
		if ! kill -0 "$kbs_pid" 2>/dev/null; then
			wait "$kbs_pid"
			stopped=$?
			kbs_pid=""
			return 0
		fi
		sleep 0.1
	done
	san_kill
	stopped=timeout
}

san_kill() {
	if [ -n "$kbs_pid" ]; then
		kill -KILL "$kbs_pid" 2>/dev/null
		wait "$kbs_pid" 2>/dev/null
		kbs_pid=""
	fi
}
