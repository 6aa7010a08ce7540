#!/bin/bash
# tests/bench/run-callgrind.sh [--build DIR] [--dir DIR] [--few N] [--many N]
#                              [--concurrency C] [--memset rep|vector|both]
#
# The user-space instructions of one cached attestation, against those of
# the one P-384 verification inside it, counted by callgrind
# (docs/performance.md, "Where a cached attestation's instructions go").
# Instruction counts do not depend on what else the machine runs, so this
# is the one figure of the broker's cost that can be taken beside fuzzers.
#
# The broker runs under callgrind twice, serving --few and then --many
# attestations from kbs-bench at --concurrency; every figure is the
# difference of the two runs divided by the difference of the counts, so
# start-up, the benchmark's admin set-up and shutdown cancel out and what
# is left is the cost of one more attestation (HTTP, JSON, base64, nonce,
# verification, policy, audit commit, reply; user space only, the kernel's
# part is not counted).
#
# --memset: glibc's memset clears blocks of 2 KiB and more with `rep
# stosb`, which callgrind counts as one instruction per byte; the CPU does
# it at tens of bytes per cycle. "vector" sets glibc's tunable
# x86_rep_stosb_threshold so memset takes its vector loop instead (one
# instruction per 32 bytes), which is the cost the CPU sees; "both" (the
# default) reports the two.
#
# Last line: attest_ir=... verify_ir=... ratio=... [attest_ir_vector_memset=...
# ratio_vector_memset=...], ratio = attest_ir / verify_ir, in millions.
set -u
build=build
base=/var/tmp
few=100
many=600
conc=2
memset=both
while [ $# -gt 0 ]; do
	case $1 in
	--build) build=$2; shift 2 ;;
	--dir) base=$2; shift 2 ;;
	--few) few=$2; shift 2 ;;
	--many) many=$2; shift 2 ;;
	--concurrency) conc=$2; shift 2 ;;
	--memset) memset=$2; shift 2 ;;
	*) echo "usage: run-callgrind.sh [--build DIR] [--dir DIR] [--few N] [--many N] [--concurrency C] [--memset rep|vector|both]" >&2; exit 2 ;;
	esac
done
case $memset in rep | vector | both) ;; *) echo "run-callgrind.sh: --memset is rep, vector or both" >&2; exit 2 ;; esac
if ! [[ $few =~ ^[0-9]+$ && $many =~ ^[0-9]+$ ]] || [ "$few" -lt 1 ] || [ "$many" -le "$few" ]; then
	echo "run-callgrind.sh: need 1 <= --few < --many" >&2
	exit 2
fi
for p in valgrind callgrind_annotate python3; do
	command -v "$p" >/dev/null || { echo "run-callgrind.sh: $p missing" >&2; exit 2; }
done
client=$build/client/kbs-client
bench=$build/tests/bench/kbs-bench
for f in "$build/kbs/kbs" "$client" "$bench"; do
	[ -x "$f" ] || { echo "run-callgrind.sh: $f missing (ninja -C $build)" >&2; exit 2; }
done
real_kbs=$(realpath "$build/kbs/kbs")
tmp=$(mktemp -d "$base/kbs-callgrind.XXXXXX") || exit 1
# shellcheck source=broker.sh
. "$(dirname "$0")/broker.sh"
cleanup() {
	local p
	for p in "${kbs_pids[@]}"; do kill "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT

# kbs_start runs "$kbs" with the broker's arguments: here a script that
# puts the broker under callgrind, its output file named by KBS_CG_OUT.
kbs=$tmp/kbs-under-callgrind
cat >"$kbs" <<EOF
#!/bin/sh
exec valgrind --tool=callgrind --callgrind-out-file="\$KBS_CG_OUT" "$real_kbs" "\$@"
EOF
chmod +x "$kbs"
# meson test sets MALLOC_PERTURB_, which has malloc fill every block it
# hands out and takes back: not the broker's cost (it moved the count by
# +-0.5 M per attestation), so never measured.
unset MALLOC_PERTURB_
bench_config=$tmp/bench.json
echo '{"rate_per_ip": 0, "threads": 2, "nonce_lifetime": 600}' >"$bench_config"
"$client" sim-init "$tmp/chip" --product milan >/dev/null || exit 1

# one_run TAG N TUNABLES: the broker under callgrind serves N attestations;
# sets run_total and run_verify, the whole process's Ir and
# snp_sig_verify_p384's inclusive Ir. Not in a subshell: the cleanup must
# see every broker started.
one_run() {
	local tag=$1 n=$2 tunables=$3 out=$tmp/$1.cg port admin pid
	KBS_CG_OUT=$out GLIBC_TUNABLES=$tunables kbs_start "$tag" "$tmp/$tag" --trust-root "$tmp/chip/ark.pem"
	eval "port=\$${tag}_port admin=\$${tag}_admin pid=\$${tag}_pid"
	if ! "$bench" --url "http://127.0.0.1:$port" --admin-url "http://127.0.0.1:$admin" \
		--token-file "$tmp/$tag/admin.token" --sim "$tmp/chip" --requests "$n" \
		--concurrency "$conc" >"$tmp/$tag.bench" 2>&1; then
		echo "run-callgrind.sh: kbs-bench failed ($tag):" >&2
		cat "$tmp/$tag.bench" >&2
		exit 1
	fi
	# A broker under callgrind on a loaded machine can take well over the
	# default 30 s to drain and write its profile: give it 10 minutes.
	kbs_stop "$pid" 600
	run_total=$(awk '/^totals:/ {print $2}' "$out")
	run_verify=$(callgrind_annotate --inclusive=yes --threshold=100 --auto=no "$out" 2>/dev/null |
		awk '/:snp_sig_verify_p384 / {gsub(",", "", $1); print $1; exit}')
	if [ -z "$run_total" ] || [ -z "$run_verify" ]; then
		echo "run-callgrind.sh: no callgrind totals for $tag (broker log: $tmp/$tag.log)" >&2
		exit 1
	fi
}

# measure NAME TUNABLES: both runs; appends "NAME ATTEST_IR VERIFY_IR" (per
# attestation: the difference of the runs over the difference of the counts).
measure() {
	local t1 v1
	one_run "$1_few" "$few" "$2"
	t1=$run_total v1=$run_verify
	one_run "$1_many" "$many" "$2"
	echo "$1 $(((run_total - t1) / (many - few))) $(((run_verify - v1) / (many - few)))" >>"$tmp/results"
}

echo "run-callgrind: the broker under callgrind, $few then $many attestations at c=$conc, data under $tmp"
[ "$memset" = vector ] || measure rep ""
[ "$memset" = rep ] || measure vector glibc.cpu.x86_rep_stosb_threshold=1073741824
python3 - "$tmp/results" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1])]
what = {"rep": "glibc's memset (rep stosb, counted per byte)", "vector": "memset's vector loop"}
fields = []
for name, att, ver in rows:
    att, ver = int(att) / 1e6, int(ver) / 1e6
    print("%s: %.3f M Ir per attestation, the verification %.3f M of it, ratio %.3f" % (what[name], att, ver, att / ver))
    if not fields:
        fields += ["attest_ir=%.3f" % att, "verify_ir=%.3f" % ver, "ratio=%.3f" % (att / ver)]
    else:
        fields += ["attest_ir_vector_memset=%.3f" % att, "ratio_vector_memset=%.3f" % (att / ver)]
print(" ".join(fields))
PY
