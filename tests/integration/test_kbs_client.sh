#!/bin/bash
# test_kbs_client.sh CLIENT: drives kbs-client verify/show over every vector
# in tests/vectors/snp and asserts exit codes and the exact first line.
set -u
client=$1
v=${KBS_VECTORS:?run through meson test}
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

row() { awk -F'\t' -v r="$1" '$1 == r' "$v/EXPECTED.tsv"; }
col() { row "$1" | cut -f"$2"; }

# Every genuine report verifies at its verify_at, with the chain and with the
# compiled-in ASK alone; the product printed is the TSV's.
while IFS=$'\t' read -r report signer chain product expect _nb _na at _rest; do
	[ "$expect" = yes ] || continue
	p=$(printf '%s' "$product" | tr 'A-Z' 'a-z')
	expect "genuine $report" 0 "OK genuine $p report" \
		"$client" verify --report "$v/$report" --vcek "$v/$signer" --chain "$v/$chain" --at "$at"
	expect "genuine $report (built-in chain)" 0 "OK genuine $p report" \
		"$client" verify --report "$v/$report" --vcek "$v/$signer" --at "$at"
done < <(tail -n +2 "$v/EXPECTED.tsv")

# Tampered copies: the signature check names the failure.
for t in milan_measurement_bitflip genoa_signature_bitflip turin_reported_tcb_bitflip; do
	r="tampered/$t.bin"
	expect "tampered $t" 1 "REJECTED report_signature: attestation report signature does not verify" \
		"$client" verify --report "$v/$r" --vcek "$v/$(col "$r" 2)" --at "$(col "$r" 8)"
done

# Forged VCEKs (hwID edited): their ASK signature no longer verifies.
at=$(col trustee/milan_vcek_report.bin 8)
for n in legacy new; do
	expect "forged vcek $n" 1 "REJECTED signer_cert: VCEK/VLEK signature does not verify under the ASK/ASVK" \
		"$client" verify --report "$v/trustee/milan_vcek_report.bin" \
		--vcek "$v/trustee/neg_vcek_bad_hwid_$n.der" --at "$at"
done

# VLEKs are valid for one year: all have expired by now.
expect "expired vlek" 1 "REJECTED validity: certificate has expired" \
	"$client" verify --report "$v/trustee/milan_vlek_report.bin" --vcek "$v/trustee/milan_vlek.der"

# Another chip's VCEK: the report signature fails.
expect "other chip" 1 "REJECTED report_signature:" \
	"$client" verify --report "$v/go-sev-guest/milan_report.bin" \
	--vcek "$v/virtee-sev/milan_vcek.der" --at 2026-07-01T00:00:00Z

# The Milan CRL: fine inside its window, stale after it unless allowed.
crl="$v/amd/crl_milan.der"
expect "crl fresh" 0 "OK genuine milan report" \
	"$client" verify --report "$v/virtee-sev/milan_report.bin" --vcek "$v/virtee-sev/milan_vcek.der" \
	--crl "$crl" --at 2026-07-01T00:00:00Z
expect "crl stale" 1 "REJECTED crl: CRL is past its next update time" \
	"$client" verify --report "$v/virtee-sev/milan_report.bin" --vcek "$v/virtee-sev/milan_vcek.der" \
	--crl "$crl" --at 2026-09-01T00:00:00Z
expect "crl stale allowed" 0 "OK genuine milan report" \
	"$client" verify --report "$v/virtee-sev/milan_report.bin" --vcek "$v/virtee-sev/milan_vcek.der" \
	--crl "$crl" --at 2026-09-01T00:00:00Z --allow-stale-crl
expect "crl of another product" 1 "REJECTED crl:" \
	"$client" verify --report "$v/oak/genoa_oc_report.bin" --vcek "$v/oak/genoa_oc_vcek.der" \
	--crl "$crl" --at 2026-07-01T00:00:00Z

# Expected measurement: equal passes, different fails, malformed is usage.
m=$(col virtee-sev/milan_report.bin 26)
other=$(col go-sev-guest/milan_report.bin 26)
base=(--report "$v/virtee-sev/milan_report.bin" --vcek "$v/virtee-sev/milan_vcek.der" --at 2026-07-01T00:00:00Z)
expect "measurement match" 0 "OK genuine milan report" "$client" verify "${base[@]}" --expected-measurement "$m"
expect "measurement mismatch" 1 "REJECTED expected_measurement: measurement is not the expected value" \
	"$client" verify "${base[@]}" --expected-measurement "$other"
expect "measurement malformed" 2 "" "$client" verify "${base[@]}" --expected-measurement abc

# Malformed reports are rejected as evidence (exit 1), unreadable ones are I/O errors (exit 2).
head -c 1183 "$v/virtee-sev/milan_report.bin" >"$tmp/short.bin"
expect "short report" 1 "REJECTED report_format: attestation report has the wrong length" \
	"$client" verify --report "$tmp/short.bin" --vcek "$v/virtee-sev/milan_vcek.der"
{ printf '\x04\x00\x00\x00'; tail -c +5 "$v/virtee-sev/milan_report.bin"; } >"$tmp/v4.bin"
expect "version 4" 1 "REJECTED report_format: attestation report version is not supported" \
	"$client" verify --report "$tmp/v4.bin" --vcek "$v/virtee-sev/milan_vcek.der"
expect "missing report" 2 "" "$client" verify --report "$tmp/none.bin"
expect "no vcek" 1 "REJECTED" "$client" verify --report "$v/routex-client-lua/genoa_v2_report_novcek.bin"
expect "bad cert file" 2 "" "$client" verify --report "$v/virtee-sev/milan_report.bin" --vcek "$tmp/short.bin"
expect "bad time" 2 "" "$client" verify "${base[@]}" --at yesterday
expect "bad product" 2 "" "$client" verify "${base[@]}" --product rome
expect "no arguments" 2 "" "$client"
expect "unknown command" 2 "" "$client" frobnicate
expect "stray argument" 2 "" "$client" verify "${base[@]}" extra

# JSON: every check's outcome, and the fields of the report.
"$client" verify "${base[@]}" --json >"$tmp/ok.json"
expect "json genuine" 0 "" python3 - "$tmp/ok.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["verdict"] == "genuine", d
names = [c["check"] for c in d["checks"]]
assert names == ["product", "ark", "ask", "signer_cert", "validity", "crl",
                 "report_signature", "tcb", "chip_id"], names
out = {c["check"]: c["outcome"] for c in d["checks"]}
assert out["crl"] == "skipped" and out["report_signature"] == "pass" and out["chip_id"] == "pass", out
assert d["report"]["reported_tcb"]["snp"] == 8 and d["signer"] == "vcek"
PY
"$client" verify --report "$v/tampered/milan_measurement_bitflip.bin" \
	--vcek "$v/go-sev-guest/milan_vcek.der" --at 2022-10-24T00:00:00Z --json >"$tmp/bad.json"
expect "json rejected" 0 "" python3 - "$tmp/bad.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["verdict"] == "rejected" and d["error"] == "report_signature", d
out = {c["check"]: c["outcome"] for c in d["checks"]}
assert out["report_signature"] == "fail" and out["tcb"] == "not_run", out
PY

# show: every report decodes; the JSON agrees with EXPECTED.tsv.
while IFS=$'\t' read -r report _s _c product _rest; do
	"$client" show --report "$v/$report" --json >"$tmp/show.json"
	expect "show $report" 0 "" python3 - "$tmp/show.json" "$v/EXPECTED.tsv" "$report" <<'PY'
import csv, json, sys
d = json.load(open(sys.argv[1]))
rows = {r["report"]: r for r in csv.DictReader(open(sys.argv[2]), delimiter="\t")}
e = rows[sys.argv[3]]
assert d["version"] == int(e["version"])
assert d["vmpl"] == int(e["vmpl"])
assert d["policy"]["raw"] == e["policy"], (d["policy"], e["policy"])
assert d["measurement"] == e["measurement"]
assert d["chip_id"] == e["chip_id"]
assert d["report_data"] == e["report_data"]
assert d["host_data"] == e["host_data"]
assert d["reported_tcb"]["raw"] == "0x%016x" % int(e["reported_tcb"], 16)
assert d["key_info"]["signing_key"] == e["signing_key"].lower()
assert d["current_fw"] == e["current_fw"] and d["committed_fw"] == e["committed_fw"]
fields = dict(kv.split("=") for kv in e["reported_tcb_fields"].split(","))
names = {"bl": "bootloader", "tee": "tee", "snp": "snp", "ucode": "microcode", "fmc": "fmc"}
for k, want in fields.items():
    assert d["reported_tcb"][names[k]] == int(want), (k, d["reported_tcb"], fields)
if int(e["version"]) >= 3:
    assert d["product"] == e["product"].lower() and d["product_source"] == "cpuid"
PY
done < <(tail -n +2 "$v/EXPECTED.tsv")
expect "show text" 0 "report version       5" "$client" show --report "$v/oak/turin_oc_report.bin"
"$client" show --report "$v/oak/turin_oc_report.bin" >"$tmp/turin.txt"
expect "show turin tcb layout" 0 "" grep -q "reported_tcb         0x4700000002000100 (fmc=0 bl=1 tee=0 snp=2 ucode=71)" "$tmp/turin.txt"
expect "show debug flag" 0 "" grep -Eq "debug allowed +no" "$tmp/turin.txt"
expect "show short" 2 "" "$client" show
expect "show bad report" 1 "" "$client" show --report "$tmp/short.bin"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
