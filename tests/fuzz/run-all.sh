#!/bin/bash
# tests/fuzz/run-all.sh SECONDS [TARGET...]
#
# Runs each fuzz target (all of tests/fuzz/meson.build's, or the ones
# named, without the fuzz_ prefix) under libFuzzer with ASan and UBSan
# for SECONDS of wall time, one target at a time in one process each (the
# machine is shared: no -jobs, no -fork), then:
#   - merges what it found into tests/fuzz/corpus/NAME/: the run's inputs
#     are minimized with -merge=1 against the corpus, and only the files
#     that add coverage are copied in, as fuzz-SHA1PREFIX, smallest first,
#     while the directory stays within MAX_FILES files and MAX_BYTES bytes;
#   - keeps every crash, leak, timeout and out-of-memory input in
#     tests/fuzz/regressions/NAME/, which meson test replays in every
#     build (so it fails until the bug is fixed), and every input libFuzzer
#     found slow (over 10 s) that still takes 1 s or more run again alone;
#   - prints one line per target: CPU seconds (user + system of the
#     fuzzing process), executions, inputs added, crashers kept.
# It exits 1 when any target crashed. On a machine that does anything else,
# run it as `chrt --idle 0 tests/fuzz/run-all.sh ...` (docs/performance.md,
# "Fuzzing": nice alone does not make it yield).
#
# The build is its own directory (KBS_FUZZ_BUILD, default build-fuzz),
# set up with clang, -Dfuzzing=libfuzzer and -Db_sanitize=address,undefined.
# Environment: KBS_FUZZ_MAX_FILES (500), KBS_FUZZ_MAX_BYTES (2 MiB),
# KBS_FUZZ_LOG (a file that gets the per-target lines appended).
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ $# -lt 1 ] || ! [[ $1 =~ ^[0-9]+$ ]] || [ "$1" -lt 1 ]; then
	echo "usage: tests/fuzz/run-all.sh SECONDS [TARGET...]" >&2
	exit 2
fi
secs=$1
shift
build=${KBS_FUZZ_BUILD:-build-fuzz}
max_files=${KBS_FUZZ_MAX_FILES:-500}
max_bytes=${KBS_FUZZ_MAX_BYTES:-2097152}

# The targets meson.build declares (its table's keys), in its order.
all=$(sed -n "/^fuzz_targets = {/,/^}/s/^ *'\([a-z0-9_]*\)':.*/\1/p" tests/fuzz/meson.build)
if [ $# -gt 0 ]; then
	targets="$*"
	for t in $targets; do
		if ! grep -qx "$t" <<<"$all"; then
			echo "run-all: no fuzz target '$t' (one of: $(tr '\n' ' ' <<<"$all"))" >&2
			exit 2
		fi
	done
else
	targets=$all
fi

if [ ! -f "$build/build.ninja" ]; then
	CC=clang meson setup "$build" -Dfuzzing=libfuzzer -Db_sanitize=address,undefined \
		-Db_lundef=false -Dbuildtype=debugoptimized >/dev/null
fi
# shellcheck disable=SC2046 # one word per target
ninja -C "$build" $(for t in $targets; do echo "tests/fuzz/fuzz_$t"; done) >/dev/null

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
work=$(mktemp -d "${TMPDIR:-/tmp}/kbs-fuzz-run-XXXXXX")
trap 'rm -rf "$work"' EXIT
failed=0

# add_new CORPUS MERGED: copies MERGED's files that CORPUS lacks, smallest first, within the caps.
add_new() {
	local corpus=$1 merged=$2 added=0 n bytes f sum size
	declare -A have=()
	for f in "$corpus"/*; do
		[ -f "$f" ] && have[$(sha1sum <"$f" | cut -c1-40)]=1
	done
	n=$(find "$corpus" -maxdepth 1 -type f | wc -l)
	bytes=$(find "$corpus" -maxdepth 1 -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}')
	while read -r size f; do
		[ -n "$f" ] || continue
		sum=$(sha1sum <"$f" | cut -c1-40)
		[ -z "${have[$sum]:-}" ] || continue
		if [ "$n" -ge "$max_files" ] || [ $((bytes + size)) -gt "$max_bytes" ]; then
			break
		fi
		cp "$f" "$corpus/fuzz-${sum:0:12}"
		have[$sum]=1
		n=$((n + 1))
		bytes=$((bytes + size))
		added=$((added + 1))
	done < <(find "$merged" -maxdepth 1 -type f -printf '%s %p\n' | sort -n)
	echo "$added"
}

for t in $targets; do
	exe=$build/tests/fuzz/fuzz_$t
	corpus=tests/fuzz/corpus/$t
	reg=tests/fuzz/regressions/$t
	run=$work/$t/run
	crash=$work/$t/crash
	merged=$work/$t/merged
	mkdir -p "$run" "$crash" "$merged" "$corpus"
	# libFuzzer writes new inputs into its first directory: a copy, not the tree.
	cp -a "$corpus"/. "$run"/
	TIMEFORMAT='%U %S'
	rc=0
	{ time "$exe" "$run" -max_total_time="$secs" -timeout=25 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$crash/" >"$work/$t/log" 2>&1 || rc=$?; } \
		2>"$work/$t/time"
	cpu=$(awk '{printf "%.1f", $1 + $2}' "$work/$t/time")
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$t/log" | tail -1)
	kept=0
	for f in "$crash"/*; do
		[ -f "$f" ] || continue
		# libFuzzer saves a unit that ran over 10 s of wall time. Under
		# SCHED_IDLE a busy machine can leave the fuzzer without a CPU that
		# long, so such a unit is timed again alone and kept only when it
		# still takes a second or more.
		if [[ $(basename "$f") == slow-unit-* ]]; then
			ms=$("$exe" -runs=1 "$f" 2>&1 | sed -n 's/^Executed .* in \([0-9]*\) ms$/\1/p' | tail -1)
			if [ -n "$ms" ] && [ "$ms" -lt 1000 ]; then
				echo "run-all: $t: $(basename "$f") took $ms ms alone (slow only while the fuzzer had no CPU): not kept" >&2
				continue
			fi
		fi
		mkdir -p "$reg"
		cp "$f" "$reg/$(basename "$f")"
		kept=$((kept + 1))
	done
	if [ "$rc" -ne 0 ] || [ "$kept" -gt 0 ]; then
		failed=1
		echo "run-all: $t failed (exit $rc); its log:" >&2
		grep -E 'ERROR|SUMMARY|fuzz_[a-z_]+:|runtime error' "$work/$t/log" | head -20 >&2 || true
	fi
	"$exe" -merge=1 "$merged" "$corpus" "$run" >"$work/$t/merge.log" 2>&1 || {
		echo "run-all: $t: merge failed" >&2
		tail -5 "$work/$t/merge.log" >&2
		failed=1
	}
	added=$(add_new "$corpus" "$merged")
	line="$t cpu_s=$cpu execs=${execs:-?} added=$added crashers=$kept corpus=$(find "$corpus" -maxdepth 1 -type f | wc -l)"
	echo "$line"
	[ -z "${KBS_FUZZ_LOG:-}" ] || echo "$(date -u +%FT%TZ) $line" >>"$KBS_FUZZ_LOG"
	rm -rf "${work:?}/$t"
done
exit "$failed"
