#!/bin/bash
# test_kbs_client_sim.sh CLIENT: the simulated chip end to end with the real
# kbs-client. For Milan, Genoa and Turin: sim-init makes a chip (every line
# says "simulated"), sim-report signs a report with it, and verify accepts
# it only with --trust-root DIR/ark.pem, saying "EXTRA ROOT" in text and
# "trust_root": "extra" in JSON; without the root, with another chip's root,
# or with a tampered byte it is refused with the exact first line. Usage
# errors exit 2 with their message. RSA-4096 key generation makes each
# sim-init take a few seconds, so there are three chips in all.
set -u
client=$1
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

rd=$(printf '%02x' $(seq 0 63))
export OUT=$tmp/init.out
measurement=$(printf 'ab%.0s' $(seq 48))
declare -A name=([milan]=Milan [genoa]=Genoa [turin]=Turin)
declare -A version=([milan]=3 [genoa]=3 [turin]=5)
declare -A extra=([milan]="--measurement $measurement --vmpl 2"
	[genoa]="--policy 0x70000"
	[turin]="--tcb bl=2,tee=1,snp=3,ucode=72,fmc=5")

for p in milan genoa turin; do
	d=$tmp/$p
	# shellcheck disable=SC2086
	expect "sim-init $p" 0 "simulated $p chip created in $d: NOT AMD hardware; its reports verify only with --trust-root $d/ark.pem" \
		bash -c 'set -o pipefail; "$@" | tee "$OUT"' _ "$client" sim-init "$d" --product "$p" ${extra[$p]}
	expect "sim-init $p: every line says simulated" 1 "" grep -v simulated "$tmp/init.out"
	expect "sim-init $p: six lines" 0 "6" grep -c . "$tmp/init.out"
	expect "sim-init $p key mode" 0 "600" stat -c %a "$d/vcek.key"
	expect "sim-init $p dir mode" 0 "700" stat -c %a "$d"
	expect "sim-init $p twice" 2 "" "$client" sim-init "$d" --product "$p"
	expect_err "sim-init $p twice message" "already holds a simulated chip"

	expect "sim-report $p" 0 "simulated $p report v${version[$p]} written to $tmp/$p.bin, certificates to $tmp/$p.pem (attester sim)" \
		"$client" sim-report --attester "sim:$d" --report-data "$rd" --out "$tmp/$p.bin" --certs-out "$tmp/$p.pem"
	expect "sim-report $p size" 0 "1184" stat -c %s "$tmp/$p.bin"
	expect "sim-report $p certs" 0 "2" grep -c "BEGIN CERTIFICATE" "$tmp/$p.pem"

	ok="OK genuine $p report v${version[$p]} signed by vcek under EXTRA ROOT 1 \"OU=SIMULATED - NOT AMD, O=kbs simulated SEV-SNP chip, CN=ARK-${name[$p]}\" (--trust-root: NOT AMD)"
	expect "verify $p" 0 "$ok" \
		"$client" verify --report "$tmp/$p.bin" --vcek "$tmp/$p.pem" --trust-root "$d/ark.pem"
	cat "$d/ask.pem" "$d/ark.pem" >"$tmp/$p-chain.pem"
	expect "verify $p, root also in the chain" 0 "$ok" \
		"$client" verify --report "$tmp/$p.bin" --vcek "$d/vcek.pem" --chain "$tmp/$p-chain.pem" \
		--trust-root "$d/ark.pem"
	expect "verify $p without --trust-root" 1 \
		"REJECTED signer_cert: certificate issuer does not match its signer: VCEK issuer O=kbs simulated SEV-SNP chip is not the ASK subject O=Advanced Micro Devices" \
		"$client" verify --report "$tmp/$p.bin" --vcek "$tmp/$p.pem"
	expect "verify $p, root in the chain only" 1 \
		"REJECTED ark: root certificate is not a pinned AMD ARK: root CN=ARK-${name[$p]} is not a pinned AMD ARK" \
		"$client" verify --report "$tmp/$p.bin" --vcek "$tmp/$p.pem" --chain "$d/ark.pem"
	expect "verify $p without the ask" 1 \
		"REJECTED ark: a required certificate is missing: extra root 1 was given without the ASK that issued the signer" \
		"$client" verify --report "$tmp/$p.bin" --vcek "$d/vcek.pem" --chain "$d/ark.pem" --trust-root "$d/ark.pem"
	python3 -c 'import sys; d = bytearray(open(sys.argv[1], "rb").read()); d[0x90] ^= 1; open(sys.argv[2], "wb").write(d)' \
		"$tmp/$p.bin" "$tmp/$p-tampered.bin"
	expect "verify $p tampered" 1 \
		"REJECTED report_signature: attestation report signature does not verify: report signature does not verify with the VCEK key" \
		"$client" verify --report "$tmp/$p-tampered.bin" --vcek "$tmp/$p.pem" --trust-root "$d/ark.pem"

	"$client" verify --report "$tmp/$p.bin" --vcek "$tmp/$p.pem" --trust-root "$d/ark.pem" --json >"$tmp/$p.json"
	openssl x509 -in "$d/ark.pem" -outform der | sha256sum | cut -d' ' -f1 >"$tmp/$p.ark.sha256"
	expect "verify $p json" 0 "" python3 - "$tmp/$p.json" "$p" "$rd" "$(cat "$tmp/$p.ark.sha256")" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
p, rd, sha = sys.argv[2], sys.argv[3], sys.argv[4]
assert d["verdict"] == "genuine" and d["product"] == p, d
assert d["trust_root"] == "extra", d
e = d["extra_root"]
assert e["index"] == 1 and e["sha256"] == sha and "SIMULATED" in e["subject"], e
out = {c["check"]: (c["outcome"], c.get("detail", "")) for c in d["checks"]}
assert out["ark"] == ("pass", "extra (NOT AMD) %s ARK, self-signature verified" % p), out["ark"]
assert out["tcb"][0] == "pass" and out["chip_id"][0] == "pass", out
r = d["report"]
assert r["report_data"] == rd, r["report_data"]
assert r["reported_tcb"]["raw"] == r["current_tcb"]["raw"] == r["committed_tcb"]["raw"] == r["launch_tcb"]["raw"], r
if p == "milan":
    assert r["measurement"] == "ab" * 48 and r["vmpl"] == 2, r
if p == "genoa":
    assert r["policy"]["raw"] == "0x70000" and r["policy"]["migration_agent_allowed"], r["policy"]
if p == "turin":
    t = r["reported_tcb"]
    assert (t["fmc"], t["bootloader"], t["tee"], t["snp"], t["microcode"]) == (5, 2, 1, 3, 72), t
PY
done

# A genuine AMD verification says "amd" and nothing about extra roots.
v=${KBS_VECTORS:?run through meson test}
"$client" verify --report "$v/virtee-sev/milan_report.bin" --vcek "$v/virtee-sev/milan_vcek.der" \
	--at 2026-07-01T00:00:00Z --trust-root "$tmp/milan/ark.pem" --json >"$tmp/amd.json"
expect "amd json" 0 "" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["verdict"] == "genuine" and d["trust_root"] == "amd" and "extra_root" not in d, d' "$tmp/amd.json"
expect "amd text" 0 "OK genuine milan report v2 signed by vcek" \
	"$client" verify --report "$v/virtee-sev/milan_report.bin" --vcek "$v/virtee-sev/milan_vcek.der" \
	--at 2026-07-01T00:00:00Z --trust-root "$tmp/milan/ark.pem"
expect "measurement expected" 0 "OK genuine milan report v3" "$client" verify --report "$tmp/milan.bin" \
	--vcek "$tmp/milan.pem" --trust-root "$tmp/milan/ark.pem" --expected-measurement "$measurement"

# --report-data against a report whose REPORT_DATA we chose (sim-report above):
# the same bytes pass and the OK line then names only the CRL as unchecked; any
# other value is refused (exit 1), the first line naming the check.
sim=(--report "$tmp/milan.bin" --vcek "$tmp/milan.pem" --trust-root "$tmp/milan/ark.pem")
simok="OK genuine milan report v3 signed by vcek under EXTRA ROOT 1 \"OU=SIMULATED - NOT AMD, O=kbs simulated SEV-SNP chip, CN=ARK-Milan\" (--trust-root: NOT AMD)"
expect "sim: unchecked said" 0 "$simok (CRL not checked; REPORT_DATA not checked)" "$client" verify "${sim[@]}"
expect "sim: report-data chosen" 0 "$simok (CRL not checked)" "$client" verify "${sim[@]}" --report-data "$rd"
expect "sim: report-data another request's" 1 "REJECTED report_data: the report's REPORT_DATA is not the expected value" \
	"$client" verify "${sim[@]}" --report-data "$(printf '%02x' $(seq 1 64))"
expect "sim: require-crl" 1 "REJECTED require_crl: a CRL is required but none was given for this report's chain (revocation not checked)" \
	"$client" verify "${sim[@]}" --report-data "$rd" --require-crl

# Another chip's root does not make the evidence genuine; several roots may be given.
expect "other chip's root" 1 "REJECTED signer_cert: certificate issuer does not match its signer" \
	"$client" verify --report "$tmp/milan.bin" --vcek "$tmp/milan.pem" --trust-root "$tmp/genoa/ark.pem"
expect "several roots" 0 "OK genuine turin report v5 signed by vcek under EXTRA ROOT 3 " \
	"$client" verify --report "$tmp/turin.bin" --vcek "$tmp/turin.pem" --trust-root "$tmp/milan/ark.pem" \
	--trust-root "$tmp/genoa/ark.pem" --trust-root "$tmp/turin/ark.pem"

# --trust-root refusals: usage errors (exit 2) naming the code.
base=(--report "$tmp/milan.bin" --vcek "$tmp/milan.pem")
expect "trust-root not a root" 2 "" "$client" verify "${base[@]}" --trust-root "$tmp/milan/ask.pem"
expect_err "trust-root not a root message" "kbs-client verify: --trust-root $tmp/milan/ask.pem: extra trust root is not one self-signed RSA-4096 RSASSA-PSS CA certificate with CN ARK-<product> (root_malformed)"
expect "trust-root twice" 2 "" "$client" verify "${base[@]}" --trust-root "$tmp/milan/ark.pem" --trust-root "$tmp/milan/ark.pem"
expect_err "trust-root twice message" "(root_duplicate)"
expect "trust-root amd ark" 2 "" "$client" verify "${base[@]}" --trust-root "$v/amd/ark_milan.pem"
expect_err "trust-root amd ark message" "(root_duplicate)"
expect "trust-root amd ask" 2 "" "$client" verify "${base[@]}" --trust-root "$v/amd/ask_milan.pem"
expect_err "trust-root amd ask message" "(root_amd_name)"
expect "trust-root missing" 2 "" "$client" verify "${base[@]}" --trust-root "$tmp/none.pem"
expect_err "trust-root missing message" "kbs-client: cannot read trust root $tmp/none.pem: system call failed: No such file or directory"

# sim-init and sim-report usage errors.
expect "sim-init no dir" 2 "" "$client" sim-init
expect "sim-init two dirs" 2 "" "$client" sim-init "$tmp/a" "$tmp/b"
expect "sim-init bad product" 2 "" "$client" sim-init "$tmp/x" --product rome
expect "sim-init fmc on milan" 2 "" "$client" sim-init "$tmp/x" --tcb bl=1,tee=0,snp=1,ucode=1,fmc=1
expect_err "sim-init fmc message" "kbs-client sim-init: --tcb must be bl=N,tee=N,snp=N,ucode=N, each 0..255"
expect "sim-init bad vmpl" 2 "" "$client" sim-init "$tmp/x" --vmpl 4
expect "sim-init bad measurement" 2 "" "$client" sim-init "$tmp/x" --measurement abcd
expect "sim-init bad policy" 2 "" "$client" sim-init "$tmp/x" --policy 0x12345678901234567
expect "sim-init no parent" 2 "" "$client" sim-init "$tmp/no/such"
expect_err "sim-init no parent message" "No such file or directory"
[ ! -e "$tmp/x" ] && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: a refused sim-init left $tmp/x"; }
expect "sim-report bad spec" 2 "" "$client" sim-report --attester "tpm:/x" --report-data "$rd" --out "$tmp/r.bin"
expect_err "sim-report bad spec message" "attester is unknown or malformed"
expect "sim-report short data" 2 "" "$client" sim-report --attester "sim:$tmp/milan" --report-data abcd --out "$tmp/r.bin"
expect "sim-report missing out" 2 "" "$client" sim-report --attester "sim:$tmp/milan" --report-data "$rd"
chmod 0644 "$tmp/genoa/vcek.key"
expect "sim-report key perms" 2 "" "$client" sim-report --attester "sim:$tmp/genoa" --report-data "$rd" --out "$tmp/r.bin"
expect_err "sim-report key perms message" "simulated VCEK private key file is readable by group or others"
expect "help lists sim-init" 0 "" bash -c '"$1" --help | grep -q "kbs-client sim-init DIR"' _ "$client"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
