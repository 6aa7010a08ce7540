#!/bin/bash
# test_kbs_client.sh CLIENT KBS_POLICY: drives kbs-client verify/show over
# every vector in tests/vectors/snp and asserts exit codes and the exact
# first line; checks that verify --policy gives kbs-policy test's per-rule
# results, row for row.
set -u
client=$1
kbs_policy=$2
v=${KBS_VECTORS:?run through meson test}
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
root_early=${KBS_SOURCE_ROOT:?run through meson test}

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

# AMD's two lists (VCEK chain, VLEK chain) look alike: each option names its
# list, and a list of the other chain is refused instead of taken as "not revoked".
expect "vcek crl for a vlek report" 1 "REJECTED crl: CRL is the list of the other signing-key chain (VCEK or VLEK): CRL was given as the VCEK list (it speaks for the ASK); the report is VLEK-signed" \
	"$client" verify --report "$v/trustee/milan_vlek_report.bin" --vcek "$v/trustee/milan_vlek.der" \
	--crl "$crl" --at 2025-01-09T00:00:00Z
expect "vlek crl for a vcek report" 1 "REJECTED crl: CRL is the list of the other signing-key chain (VCEK or VLEK): CRL was given as the VLEK list (it speaks for the ASVK); the report is VCEK-signed" \
	"$client" verify --report "$v/virtee-sev/milan_report.bin" --vcek "$v/virtee-sev/milan_vcek.der" \
	--vlek-crl "$crl" --at 2026-07-01T00:00:00Z
expect "vlek crl for a vlek report" 1 "REJECTED crl: CRL is not yet valid" \
	"$client" verify --report "$v/trustee/milan_vlek_report.bin" --vcek "$v/trustee/milan_vlek.der" \
	--vlek-crl "$crl" --at 2025-01-09T00:00:00Z
expect "both crls, vcek report" 0 "OK genuine milan report" \
	"$client" verify --report "$v/virtee-sev/milan_report.bin" --vcek "$v/virtee-sev/milan_vcek.der" \
	--crl "$crl" --vlek-crl "$crl" --at 2026-07-01T00:00:00Z
"$kbs_policy" test "$root_early/deploy/policies/permissive-dev.json" --report "$v/trustee/milan_vlek_report.bin" \
	--vcek "$v/trustee/milan_vlek.der" --crl "$crl" --at 2025-01-09T00:00:00Z >/dev/null 2>"$tmp/kind.err"
expect "kbs-policy vcek crl for a vlek report" 0 "" grep -q "evidence rejected: crl check failed: CRL is the list of the other signing-key chain" "$tmp/kind.err"

# Certificates are DER: a BER copy (outer length with a leading zero octet) is refused.
python3 -c 'import sys; d = open(sys.argv[1], "rb").read(); assert d[1] == 0x82; open(sys.argv[2], "wb").write(b"\x30\x83\x00" + d[2:])' \
	"$v/virtee-sev/milan_vcek.der" "$tmp/ber_vcek.der"
expect "ber certificate" 2 "" "$client" verify --report "$v/virtee-sev/milan_report.bin" --vcek "$tmp/ber_vcek.der"
cp "$tmp/err" "$tmp/err.ber"
expect "ber certificate message" 0 "" grep -qx "kbs-client: VCEK/VLEK $tmp/ber_vcek.der: certificate is BER, not DER (a non-minimal or indefinite length, or fields that re-encode differently)" "$tmp/err.ber"

# Expected measurement: equal passes, different fails, malformed is usage.
m=$(col virtee-sev/milan_report.bin 26)
other=$(col go-sev-guest/milan_report.bin 26)
base=(--report "$v/virtee-sev/milan_report.bin" --vcek "$v/virtee-sev/milan_vcek.der" --at 2026-07-01T00:00:00Z)
expect "measurement match" 0 "OK genuine milan report" "$client" verify "${base[@]}" --expected-measurement "$m"
expect "measurement mismatch" 1 "REJECTED expected_measurement: measurement is not the expected value" \
	"$client" verify "${base[@]}" --expected-measurement "$other"
expect "measurement malformed" 2 "" "$client" verify "${base[@]}" --expected-measurement abc

# What the verdict does not cover is said: the OK line names the CRL and
# REPORT_DATA when they were not checked; --report-data compares REPORT_DATA
# (constant time), --require-crl refuses instead of skipping revocation.
# expect_line NAME RC LINE CMD...: rc, and stdout is exactly LINE (else rc 99, stdout shown).
expect_line() {
	local name=$1 want_rc=$2 want=$3
	shift 3
	expect "$name" "$want_rc" "" bash -c 'out=$("$@"); rc=$?
		[ "$out" = "$0" ] || { printf "%s (want: %s)" "$out" "$0"; exit 99; }
		exit $rc' "$want" "$@"
}
rdt=$(col oak/turin_oc_report.bin 27)
rdm=$(col virtee-sev/milan_report.bin 27)
zero=$(printf '00%.0s' $(seq 64))
turin=(--report "$v/oak/turin_oc_report.bin" --vcek "$v/oak/turin_oc_vcek.der" --at 2025-08-01T00:00:00Z)
milan=("${base[@]}" --crl "$crl")
T="OK genuine turin report v5 signed by vcek"
M="OK genuine milan report v2 signed by vcek"
expect_line "unchecked said" 0 "$T (CRL not checked; REPORT_DATA not checked)" "$client" verify "${turin[@]}"
expect_line "report-data match" 0 "$T (CRL not checked)" "$client" verify "${turin[@]}" --report-data "$rdt"
expect_line "report-data upper case" 0 "$T (CRL not checked)" "$client" verify "${turin[@]}" \
	--report-data "$(printf '%s' "$rdt" | tr a-f A-F)"
expect_line "report-data mismatch" 1 "REJECTED report_data: the report's REPORT_DATA is not the expected value" \
	"$client" verify "${turin[@]}" --report-data "$zero"
expect_line "report-data last byte" 1 "REJECTED report_data: the report's REPORT_DATA is not the expected value" \
	"$client" verify "${turin[@]}" --report-data "${rdt%??}01"
for bad in "${rdt%?}" "${rdt}0" "${rdt%??}zz" "" "0x${rdt%??}"; do
	expect "report-data malformed '$bad'" 2 "" "$client" verify "${turin[@]}" --report-data "$bad"
	expect_err "report-data malformed '$bad' message" "kbs-client verify: --report-data needs 128 hex digits (64 bytes)"
done
expect_line "crl checked" 0 "$M (REPORT_DATA not checked)" "$client" verify "${milan[@]}"
expect_line "require-crl with a crl" 0 "$M (REPORT_DATA not checked)" "$client" verify "${milan[@]}" --require-crl
expect_line "require-crl, report-data: nothing unchecked" 0 "$M" \
	"$client" verify "${milan[@]}" --require-crl --report-data "$rdm"
expect_line "require-crl without a crl" 1 \
	"REJECTED require_crl: a CRL is required but none was given for this report's chain (revocation not checked)" \
	"$client" verify "${base[@]}" --require-crl
expect_line "require-crl, only the other chain's list" 1 \
	"REJECTED crl: CRL is the list of the other signing-key chain (VCEK or VLEK): CRL was given as the VLEK list (it speaks for the ASVK); the report is VCEK-signed" \
	"$client" verify "${base[@]}" --require-crl --vlek-crl "$crl"
expect_line "require-crl before report-data" 1 \
	"REJECTED require_crl: a CRL is required but none was given for this report's chain (revocation not checked)" \
	"$client" verify "${base[@]}" --require-crl --report-data "$zero"
expect "tampered: the pipeline decides first" 1 "REJECTED report_signature:" \
	"$client" verify --report "$v/tampered/turin_reported_tcb_bitflip.bin" --vcek "$v/oak/turin_oc_vcek.der" \
	--at 2025-08-01T00:00:00Z --require-crl --report-data "$zero"
# JSON: crl_checked, report_data_checked, not_checked always; require_crl and
# report_data when asked; the existing fields as before.
js() { # WANT_RC NAME PYTHON-ASSERTS ARGS...
	local want_rc=$1 name=$2 py=$3 rc
	shift 3
	"$client" verify "$@" --json >"$tmp/v.json"
	rc=$?
	expect "json $name rc" 0 "" test "$rc" = "$want_rc"
	expect "json $name" 0 "" python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
'"$py" "$tmp/v.json"
}
js 0 "unchecked" '
assert d["verdict"] == "genuine" and d["signer"] == "vcek" and d["trust_root"] == "amd", d
assert d["crl_checked"] is False and d["report_data_checked"] is False, d
assert d["not_checked"] == ["crl", "report_data"], d["not_checked"]
assert "require_crl" not in d and "report_data" not in d and "error" not in d, d
assert {c["check"]: c["outcome"] for c in d["checks"]}["crl"] == "skipped", d' "${turin[@]}"
js 0 "all checked" '
assert d["verdict"] == "genuine" and d["crl_checked"] is True and d["report_data_checked"] is True, d
assert d["not_checked"] == [], d
assert d["require_crl"] == {"outcome": "pass"} and d["report_data"] == {"outcome": "pass"}, d' \
	"${milan[@]}" --require-crl --report-data "$rdm"
js 1 "report-data mismatch" '
assert d["verdict"] == "rejected" and d["failed_step"] == "report_data", d
assert d["error"] == "client_report_data_mismatch", d
assert d["message"] == "the report'"'"'s REPORT_DATA is not the expected value", d
assert d["report_data"] == {"outcome": "fail", "error": "client_report_data_mismatch"}, d
assert d["report_data_checked"] is True and d["not_checked"] == ["crl"], d' "${turin[@]}" --report-data "$zero"
js 1 "require-crl" '
assert d["verdict"] == "rejected" and d["failed_step"] == "require_crl", d
assert d["error"] == "client_crl_required", d
assert d["require_crl"] == {"outcome": "fail", "error": "client_crl_required"}, d
assert d["report_data"] == {"outcome": "pass"} and d["not_checked"] == ["crl"], d' \
	"${turin[@]}" --require-crl --report-data "$rdt"
js 1 "tampered" '
assert d["verdict"] == "rejected" and d["error"] == "report_signature", d
assert d["require_crl"] == {"outcome": "not_run"} and d["report_data"] == {"outcome": "not_run"}, d
assert d["not_checked"] == ["crl", "report_data"], d' \
	--report "$v/tampered/turin_reported_tcb_bitflip.bin" --vcek "$v/oak/turin_oc_vcek.der" \
	--at 2025-08-01T00:00:00Z --require-crl --report-data "$zero"

# The extended report's certificate table: which certificate is which comes
# from the certificate, not from the GUID the host put it under.
mktable() { # OUT GUID=FILE...
	python3 - "$@" <<'PY'
import struct, sys, uuid
out, entries = sys.argv[1], [a.split("=", 1) for a in sys.argv[2:]]
certs = [open(f, "rb").read() for _, f in entries]
off, table, blob = 24 * (len(entries) + 1), b"", b""
for (g, _), c in zip(entries, certs):
    table += uuid.UUID(g).bytes + struct.pack("<II", off + len(blob), len(c))
    blob += c
open(out, "wb").write(table + bytes(24) + blob)
PY
}
g_vcek=63da758d-e664-4564-adc5-f4b93be8accd
g_vlek=a8074bc2-a25a-483e-aae6-39c045a0b8a1
g_ask=4ab7b379-bbac-4fe4-a02f-05aef327c782
g_ark=c0b406a4-a803-4952-9743-3fb6014cd0ae
mktable "$tmp/vlek_table.bin" "$g_ark=$v/amd/ark_milan.der" "$g_ask=$v/amd/asvk_milan.der" \
	"$g_vlek=$v/trustee/milan_vlek.der"
expect "certs-table vlek" 0 "OK genuine milan report v3 signed by vlek of CN=cc-" \
	"$client" verify --report "$v/trustee/milan_vlek_report.bin" --certs-table "$tmp/vlek_table.bin" --at 2025-01-09
mktable "$tmp/vlek_as_vcek.bin" "$g_vcek=$v/trustee/milan_vlek.der" "$g_ark=$v/amd/ark_milan.der"
expect "certs-table vlek under the vcek guid" 0 "OK genuine milan report v3 signed by vlek of CN=cc-" \
	"$client" verify --report "$v/trustee/milan_vlek_report.bin" --certs-table "$tmp/vlek_as_vcek.bin" --at 2025-01-09
expect "certs-table vlek for a vcek report" 1 "REJECTED signer_cert: report signing key type does not match the certificate (VCEK/VLEK)" \
	"$client" verify --report "$v/trustee/milan_vcek_report.bin" --certs-table "$tmp/vlek_table.bin" --at 2025-01-09
mktable "$tmp/genoa_ark.bin" "$g_vcek=$v/trustee/milan_vcek.der" "$g_ark=$v/amd/ark_genoa.der"
expect "certs-table other product's ark" 1 "REJECTED ark: processor product of report and certificate differ" \
	"$client" verify --report "$v/trustee/milan_vcek_report.bin" --certs-table "$tmp/genoa_ark.bin" --at 2023-02-23
mktable "$tmp/dup.bin" "$g_ask=$v/amd/ask_milan.der" "$g_ask=$v/amd/asvk_milan.der" "$g_vcek=$v/trustee/milan_vcek.der"
expect "certs-table duplicate guid" 2 "" \
	"$client" verify --report "$v/trustee/milan_vcek_report.bin" --certs-table "$tmp/dup.bin" --at 2023-02-23

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
expect "missing crl" 2 "" "$client" verify "${base[@]}" --crl "$tmp/none.der"
cp "$tmp/err" "$tmp/err.crl"
expect "missing crl message" 0 "" grep -qx "kbs-client: cannot read CRL $tmp/none.der: system call failed: No such file or directory" "$tmp/err.crl"
expect "missing certs table" 2 "" "$client" verify "${base[@]}" --certs-table "$tmp/none.bin"
cp "$tmp/err" "$tmp/err.table"
expect "missing certs table message" 0 "" grep -qx "kbs-client: cannot read certificate table $tmp/none.bin: system call failed: No such file or directory" "$tmp/err.table"
expect "bad time" 2 "" "$client" verify "${base[@]}" --at yesterday
expect "bad product" 2 "" "$client" verify "${base[@]}" --product rome
expect "missing vlek crl" 2 "" "$client" verify "${base[@]}" --vlek-crl "$tmp/none.der"
cp "$tmp/err" "$tmp/err.vcrl"
expect "missing vlek crl message" 0 "" grep -qx "kbs-client: cannot read VLEK CRL $tmp/none.der: system call failed: No such file or directory" "$tmp/err.vcrl"
"$client" --help >"$tmp/help.txt"
expect "usage lists --policy" 0 "" grep -q -- "--policy FILE" "$tmp/help.txt"
expect "usage lists --require-crl" 0 "" grep -q -- "--require-crl" "$tmp/help.txt"
expect "usage lists --report-data" 0 "" grep -q -- "--report-data HEX" "$tmp/help.txt"
expect "no arguments" 2 "" "$client"
expect "unknown command" 2 "" "$client" frobnicate
expect "stray argument" 2 "" "$client" verify "${base[@]}" extra

# The extended report's certificate table (GHCB layout: GUID, offset,
# length entries, a zero entry, then the DER certificates).
mktable() { # OUT VCEK ASK ARK
	python3 - "$@" <<'PY'
import struct, sys, uuid
out, files = sys.argv[1], sys.argv[2:]
guids = ["63da758d-e664-4564-adc5-f4b93be8accd", "4ab7b379-bbac-4fe4-a02f-05aef327c782",
         "c0b406a4-a803-4952-9743-3fb6014cd0ae"]
blobs = [open(f, "rb").read() for f in files]
off = 24 * (len(blobs) + 1)
head, body = b"", b""
for g, b in zip(guids, blobs):
    head += uuid.UUID(g).bytes + struct.pack("<II", off + len(body), len(b))
    body += b
open(out, "wb").write(head + b"\0" * 24 + body)
PY
}
mktable "$tmp/table.bin" "$v/virtee-sev/milan_vcek.der" "$v/amd/ask_milan.der" "$v/amd/ark_milan.der"
expect "certs table" 0 "OK genuine milan report" \
	"$client" verify --report "$v/virtee-sev/milan_report.bin" --certs-table "$tmp/table.bin" --at 2026-07-01T00:00:00Z
mktable "$tmp/table2.bin" "$v/go-sev-guest/milan_vcek.der" "$v/amd/ask_milan.der" "$v/amd/ark_milan.der"
expect "certs table, other chip" 1 "REJECTED report_signature:" \
	"$client" verify --report "$v/virtee-sev/milan_report.bin" --certs-table "$tmp/table2.bin" --at 2026-07-01T00:00:00Z
head -c 30 "$tmp/table.bin" >"$tmp/table3.bin"
expect "certs table truncated" 2 "" \
	"$client" verify --report "$v/virtee-sev/milan_report.bin" --certs-table "$tmp/table3.bin"
cp "$tmp/err" "$tmp/err.keep"
expect "certs table truncated message" 0 "" grep -q "extended report certificate table is malformed" "$tmp/err.keep"

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

# show: every report decodes; the JSON agrees with EXPECTED.tsv (one checker run for all).
mkdir -p "$tmp/show"
while IFS=$'\t' read -r report _rest; do
	expect "show $report" 0 "" "$client" show --report "$v/$report" --json
	"$client" show --report "$v/$report" --json >"$tmp/show/$(printf '%s' "$report" | tr / _).json"
done < <(tail -n +2 "$v/EXPECTED.tsv")
expect "show json fields" 0 "" python3 - "$tmp/show" "$v/EXPECTED.tsv" <<'PY'
import csv, json, sys
names = {"bl": "bootloader", "tee": "tee", "snp": "snp", "ucode": "microcode", "fmc": "fmc"}
for e in csv.DictReader(open(sys.argv[2]), delimiter="\t"):
    d = json.load(open(sys.argv[1] + "/" + e["report"].replace("/", "_") + ".json"))
    where = e["report"]
    assert d["version"] == int(e["version"]), where
    assert d["vmpl"] == int(e["vmpl"]), where
    assert d["policy"]["raw"] == e["policy"], (where, d["policy"], e["policy"])
    assert d["measurement"] == e["measurement"], where
    assert d["chip_id"] == e["chip_id"], where
    assert d["report_data"] == e["report_data"], where
    assert d["host_data"] == e["host_data"], where
    assert d["reported_tcb"]["raw"] == "0x%016x" % int(e["reported_tcb"], 16), where
    assert d["key_info"]["signing_key"] == e["signing_key"].lower(), where
    assert d["current_fw"] == e["current_fw"] and d["committed_fw"] == e["committed_fw"], where
    fields = dict(kv.split("=") for kv in e["reported_tcb_fields"].split(","))
    for k, want in fields.items():
        assert d["reported_tcb"][names[k]] == int(want), (where, k, d["reported_tcb"])
    if int(e["version"]) >= 3:
        assert d["product"] == e["product"].lower() and d["product_source"] == "cpuid", where
PY
expect "show text" 0 "report version       5" "$client" show --report "$v/oak/turin_oc_report.bin"
"$client" show --report "$v/oak/turin_oc_report.bin" >"$tmp/turin.txt"
expect "show turin tcb layout" 0 "" grep -q "reported_tcb         0x4700000002000100 (fmc=0 bl=1 tee=0 snp=2 ucode=71)" "$tmp/turin.txt"
expect "show debug flag" 0 "" grep -Eq "debug allowed +no" "$tmp/turin.txt"
# A v3+ report whose CPUID names no known product (here family 0x1a model
# 0x50, Zen 6) is not decoded with a guessed layout: the TCBs stay raw.
python3 -c 'import sys; d = bytearray(open(sys.argv[1], "rb").read()); d[0x189] = 0x50; open(sys.argv[2], "wb").write(d)' \
	"$v/oak/turin_oc_report.bin" "$tmp/unknown_cpuid.bin"
"$client" show --report "$tmp/unknown_cpuid.bin" >"$tmp/unknown.txt"
expect "show unknown cpuid text" 0 "" grep -q "reported_tcb         0x4700000002000100 (product unknown: not decoded)" "$tmp/unknown.txt"
expect "show unknown cpuid label" 0 "" grep -q "^product              unknown (report CPUID 1a/50 names no known product)" "$tmp/unknown.txt"
"$client" show --report "$tmp/unknown_cpuid.bin" --json >"$tmp/unknown.json"
expect "show unknown cpuid json" 0 "" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["product"] == "unknown", d["product"]
t = d["reported_tcb"]
assert t["raw"] == "0x4700000002000100" and "bootloader" not in t and t["error"] == "product unknown", t
' "$tmp/unknown.json"
expect "show explicit product" 0 "" bash -c '"$1" show --report "$2" --product turin | grep -q "(fmc=0 bl=1 tee=0 snp=2 ucode=71)"' _ "$client" "$tmp/unknown_cpuid.bin"
expect "show short" 2 "" "$client" show
expect "show bad report" 1 "" "$client" show --report "$tmp/short.bin"

# --policy: the same evaluator and printers as `kbs-policy test`, on allow,
# deny and rejected evidence, in text and JSON.
root=${KBS_SOURCE_ROOT:?}
pol=$root/deploy/policies
policy_case() { # NAME WANT_RC POLICY REPORT VCEK AT [CRL]
	local name=$1 want_rc=$2 p=$3 r=$4 c=$5 at=$6
	local crl=()
	[ -n "${7:-}" ] && crl=(--crl "$v/$7")
	expect "policy $name" "$want_rc" "" "$client" verify --report "$v/$r" --vcek "$v/$c" --at "$at" "${crl[@]}" --policy "$p"
	"$client" verify --report "$v/$r" --vcek "$v/$c" --at "$at" "${crl[@]}" --policy "$p" | tail -n +2 >"$tmp/client.txt"
	"$kbs_policy" test "$p" --report "$v/$r" --vcek "$v/$c" --at "$at" "${crl[@]}" >"$tmp/policy.txt" 2>/dev/null
	expect "policy $name text rows" 0 "" cmp "$tmp/client.txt" "$tmp/policy.txt"
	"$client" verify --report "$v/$r" --vcek "$v/$c" --at "$at" "${crl[@]}" --policy "$p" --json >"$tmp/client.json"
	"$kbs_policy" test "$p" --report "$v/$r" --vcek "$v/$c" --at "$at" "${crl[@]}" --json >"$tmp/policy.json" 2>/dev/null
	expect "policy $name json rows" 0 "" python3 -c '
import json, sys
a = json.load(open(sys.argv[1]))["policy_result"]
b = json.load(open(sys.argv[2]))
assert a == b, (a, b)' "$tmp/client.json" "$tmp/policy.json"
}
# prod-disk-unlock and mpc-party require a checked CRL: the Milan case gets
# the real AMD Milan CRL; no Turin CRL is bundled, so the Turin case is a
# deny on the revocation rule alone (and "no crl" the same for Milan).
policy_case allow 0 "$pol/prod-disk-unlock.json" atakit-gcp/milan_report.bin atakit-gcp/milan_vcek.der "$(col atakit-gcp/milan_report.bin 8)" amd/crl_milan.der
policy_case "no crl" 1 "$pol/prod-disk-unlock.json" atakit-gcp/milan_report.bin atakit-gcp/milan_vcek.der "$(col atakit-gcp/milan_report.bin 8)"
policy_case deny 1 "$pol/prod-disk-unlock.json" go-sev-guest/milan_report.bin go-sev-guest/milan_vcek.der 2022-10-24T00:00:00Z
policy_case turin 1 "$pol/mpc-party.json" oak/turin_oc_report.bin oak/turin_oc_vcek.der "$(col oak/turin_oc_report.bin 8)"
policy_case tampered 1 "$pol/mpc-party.json" tampered/turin_reported_tcb_bitflip.bin oak/turin_oc_vcek.der "$(col oak/turin_oc_report.bin 8)"
expect "policy deny line" 1 "REJECTED policy: policy denies the evidence" \
	"$client" verify --report "$v/go-sev-guest/milan_report.bin" --vcek "$v/go-sev-guest/milan_vcek.der" \
	--at 2022-10-24T00:00:00Z --policy "$pol/prod-disk-unlock.json"
printf '{"kbs_policy": 1, "name": "x", "rules": {"measurment": []}}' >"$tmp/typo.json"
expect "policy typo is usage" 2 "" "$client" verify "${base[@]}" --policy "$tmp/typo.json"
cp "$tmp/err" "$tmp/typo.err"
expect "policy typo names key" 0 "" grep -q "typo.json:1:42: rules.measurment: unknown key \"measurment\" (did you mean \"measurement\"?) (policy_unknown_key)" "$tmp/typo.err"
expect "policy missing" 2 "" "$client" verify "${base[@]}" --policy "$tmp/none.json"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
