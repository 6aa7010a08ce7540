#!/bin/bash
# test_kbs_policy_measure.sh KBS_POLICY: drives `kbs-policy measure` over
# every case of tests/vectors/measure/EXPECTED.tsv (exact digest on stdout),
# the --ovmf-hash-only / --snp-ovmf-hash pipeline, crafted malformed
# firmware (exit 1 and the exact error line), unreadable files and bad
# options (exit 2), and the JSON report of the inputs.
set -u
kbs_policy=$1
root=${KBS_SOURCE_ROOT:?run through meson test}
v=$root/tests/vectors/measure
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0

# expect NAME WANT_RC WANT_STDOUT CMD...: runs CMD, checks rc and that stdout is exactly WANT_STDOUT (any if empty).
expect() {
	local name=$1 want_rc=$2 want=$3 out rc
	shift 3
	out=$("$@" 2>"$tmp/err")
	rc=$?
	if [ "$rc" = "$want_rc" ] && { [ -z "$want" ] || [ "$out" = "$want" ]; }; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL $name: rc=$rc (want $want_rc)"
		echo "  stdout: $(printf '%s' "$out" | head -3)"
		echo "  stderr: $(head -3 "$tmp/err")"
		echo "  want:   $want"
	fi
}

# expect_err NAME WANT_RC WANT_FIRST_STDERR_LINE CMD...: rc, empty stdout, exact first stderr line.
expect_err() {
	local name=$1 want_rc=$2 want=$3 out rc line
	shift 3
	out=$("$@" 2>"$tmp/err")
	rc=$?
	line=$(head -1 "$tmp/err")
	if [ "$rc" = "$want_rc" ] && [ -z "$out" ] && [ "$line" = "$want" ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL $name: rc=$rc (want $want_rc)"
		echo "  stdout: $(printf '%s' "$out" | head -3)"
		echo "  stderr: $line"
		echo "  want:   $want"
	fi
}

measure() { "$kbs_policy" measure "$@"; }

# Every shared case, through the tool, text and JSON.
n=0
while IFS=$'\t' read -r name mode vcpus vtype vmm ovmf kernel initrd append features ohash want; do
	args=(--ovmf "$v/$ovmf")
	if [ "$mode" = "snp:ovmf-hash" ]; then
		args+=(--ovmf-hash-only)
	else
		args+=(--vcpus "$vcpus" --vmm-type "$vmm" --guest-features "$features")
		[ "$vtype" = - ] || args+=(--vcpu-type "$vtype")
		[ "$kernel" = - ] || args+=(--kernel "$kernel")
		[ "$initrd" = - ] || args+=(--initrd "$initrd")
		case $append in
		-) ;;
		"(empty)") args+=(--append "") ;;
		*) args+=(--append "$append") ;;
		esac
		[ "$ohash" = - ] || args+=(--snp-ovmf-hash "$ohash")
	fi
	expect "tsv $name" 0 "$want" measure "${args[@]}"
	measure "${args[@]}" --json >"$tmp/$name.json"
	expect "tsv $name json" 0 "" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["digest"] == sys.argv[2], d["digest"]
assert d["mode"] == ("ovmf-hash" if sys.argv[3] == "snp:ovmf-hash" else "snp"), d["mode"]
' "$tmp/$name.json" "$want" "$mode"
	n=$((n + 1))
done < <(tail -n +2 "$v/EXPECTED.tsv")
expect "tsv has every case" 0 "" test "$n" = 8

# The plain OvmfX64 build has no kernel-hashes section: a kernel is an error.
amd=$v/ovmf_AmdSev_suffix.bin
x64=$v/ovmf_OvmfX64_suffix.bin
base=(--vcpu-type EPYC-v4 --guest-features 0x21)
expect_err "ovmfx64 with kernel" 1 \
	"kbs-policy measure: $x64: a kernel was given, but the OVMF has no SNP kernel-hashes section (measure_no_kernel_hashes)" \
	measure --ovmf "$x64" --kernel /dev/null "${base[@]}"

# The vCPU signature three ways; the cloud VMMs ignore it.
sig4=$(measure --ovmf "$amd" --vcpus 4 "${base[@]}")
expect "vcpu-sig" 0 "$sig4" measure --ovmf "$amd" --vcpus 4 --vcpu-sig 0x00800f12 --guest-features 0x21
expect "vcpu-sig bare hex" 0 "$sig4" measure --ovmf "$amd" --vcpus 4 --vcpu-sig 800F12 --guest-features 0x21
expect "vcpu-family" 0 "$sig4" measure --ovmf "$amd" --vcpus 4 --vcpu-family 23 --vcpu-model 1 \
	--vcpu-stepping 2 --guest-features 0x21
ec2=$(measure --ovmf "$amd" --vmm-type ec2 --vcpus 2 --guest-features 0x21)
expect "ec2 ignores the vcpu type" 0 "$ec2" measure --ovmf "$amd" --vmm-type EC2 --vcpus 2 \
	--vcpu-type EPYC-Milan --guest-features 0x21

# A 4 MiB firmware (data prepended to the fixture, so the footer stays at the
# end): hash it once, then start from that value with only its tail.
python3 - "$amd" "$tmp/big.fd" <<'PY'
import sys
tail = open(sys.argv[1], "rb").read()
body = bytes((i * 131 + (i >> 12)) & 0xff for i in range((4 << 20) - len(tail)))
open(sys.argv[2], "wb").write(body + tail)
PY
printf 'kernel image bytes' >"$tmp/vmlinuz"
printf 'initrd bytes' >"$tmp/initrd"
boot=(--kernel "$tmp/vmlinuz" --initrd "$tmp/initrd" --append "root=/dev/vda ro" --vcpus 4 "${base[@]}")
direct=$(measure --ovmf "$tmp/big.fd" "${boot[@]}")
ohash=$(measure --ovmf "$tmp/big.fd" --ovmf-hash-only)
expect "ovmf hash is 96 hex digits" 0 "" bash -c '[[ $1 =~ ^[0-9a-f]{96}$ ]]' _ "$ohash"
expect "reuse ovmf hash" 0 "$direct" measure --ovmf "$amd" --snp-ovmf-hash "$ohash" "${boot[@]}"
expect "reuse ovmf hash, upper case" 0 "$direct" \
	measure --ovmf "$amd" --snp-ovmf-hash "$(printf '%s' "$ohash" | tr a-f A-F)" "${boot[@]}"
other=$(measure --ovmf "$amd" "${boot[@]}")
expect "the tail alone is another image" 0 "" test "$other" != "$direct"
measure --ovmf "$tmp/big.fd" "${boot[@]}" --json >"$tmp/big.json"
expect "json inputs" 0 "" python3 - "$tmp/big.json" "$tmp" "$direct" <<'PY'
import hashlib, json, sys
d = json.load(open(sys.argv[1]))
tmp = sys.argv[2]
sha = lambda p: hashlib.sha256(open(p, "rb").read()).hexdigest()
assert d["digest"] == sys.argv[3]
assert d["ovmf"]["size"] == 4 << 20 and d["ovmf"]["sha256"] == sha(tmp + "/big.fd")
assert d["ovmf"]["pages"] == "hashed" and d["ovmf"]["sev_es_reset_eip"] == "0x0080b004"
assert [s["type"] for s in d["ovmf"]["sections"]] == ["sec_mem", "sec_mem", "secrets", "cpuid",
    "svsm_caa", "kernel_hashes", "sec_mem"]
assert d["ovmf"]["hash_table"] == {"gpa": "0x00810c00", "size": "0x400"}
assert d["kernel"] == {"path": tmp + "/vmlinuz", "sha256": sha(tmp + "/vmlinuz")}
assert d["initrd"]["sha256"] == sha(tmp + "/initrd")
assert d["cmdline"] == {"value": "root=/dev/vda ro",
    "sha256": hashlib.sha256(b"root=/dev/vda ro\0").hexdigest()}
assert d["vcpus"] == 4 and d["vcpu_type"] == "EPYC-v4" and d["vcpu_sig"] == "0x00800f12"
assert d["vmm"] == "qemu" and d["guest_features"] == "0x21"
PY
measure --ovmf "$amd" --snp-ovmf-hash "$ohash" --vmm-type gce --json >"$tmp/gce.json"
expect "json given hash, no kernel" 0 "" python3 - "$tmp/gce.json" "$ohash" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["ovmf"]["pages"] == "from --snp-ovmf-hash" and d["ovmf"]["snp_ovmf_hash"] == sys.argv[2]
assert d["kernel"] is None and d["initrd"] is None and d["cmdline"] is None
assert d["vcpu_sig"] is None and d["vmm"] == "gce" and d["guest_features"] == "0x1"
PY

# The measured value goes into a policy as printed.
printf '{"kbs_policy": 1, "name": "measured", "rules": {"measurement": ["%s"]}}\n' "$direct" >"$tmp/p.json"
expect "policy accepts the spelling" 0 "" "$kbs_policy" explain "$tmp/p.json"

# Malformed firmware: exit 1, one line naming the file and the exact cause.
mutate() { # OUT PYTHON-STATEMENTS (d: bytearray of the AmdSev fixture; u16/u32 put helpers)
	python3 - "$amd" "$1" "$2" <<'PY'
import struct, sys
d = bytearray(open(sys.argv[1], "rb").read())
def u16(o, v): struct.pack_into("<H", d, o, v)
def u32(o, v): struct.pack_into("<I", d, o, v)
n = len(d)
footer = n - 50
meta = n - struct.unpack_from("<I", d, 3950)[0]
exec(sys.argv[3])
open(sys.argv[2], "wb").write(d)
PY
}
bad() { # NAME CODE SENTENCE PYTHON
	mutate "$tmp/$1.bin" "$4"
	expect_err "malformed $1" 1 "kbs-policy measure: $tmp/$1.bin: $3 ($2)" \
		measure --ovmf "$tmp/$1.bin" "${base[@]}"
}
bad truncated measure_footer_truncated "OVMF is too short to hold the GUIDed footer table" 'd = d[-40:]'
bad no_footer measure_no_metadata "OVMF has no SEV metadata (no GUIDed footer table or no metadata entry)" \
	'd[footer + 2] ^= 1'
bad footer_length measure_footer_length "OVMF footer table length points outside the file" \
	'u16(footer, 0xffff)'
bad guid_loop measure_footer_loop "OVMF footer table entry length is below its own header (the walk would not advance)" \
	'u16(footer - 18, 0)'
bad entry_overrun measure_footer_entry "OVMF footer table entry overruns the table or has the wrong length for its GUID" \
	'u16(3932, 40)'
bad duplicate_guid measure_footer_duplicate "OVMF footer table repeats a GUID" \
	'd[3934:3950] = d[3956:3972]'
bad metadata_offset measure_metadata_offset "SEV metadata offset points outside the OVMF file" \
	'u32(3950, n + 4)'
bad metadata_signature measure_metadata_header "SEV metadata header has the wrong signature or version" \
	'd[meta:meta + 4] = b"ASEW"'
bad table_overflow measure_metadata_table "SEV metadata section table overflows its header, the file or the section limit" \
	'u32(meta + 12, 200); u32(meta + 4, 16 + 200 * 12)'
bad duplicate_section measure_section_duplicate "SEV metadata repeats a section that must be unique" \
	'u32(meta + 16 + 3 * 12 + 8, 2)'
bad overlap measure_section_overlap "SEV metadata sections overlap each other or the firmware image" \
	'u32(meta + 16 + 12, 0x808000)'
bad section_type measure_section_type "SEV metadata section has an unknown type" \
	'u32(meta + 16 + 8, 9)'
bad section_range measure_section_range "SEV metadata section is empty, unaligned, past 4 GiB or of the wrong size for its type" \
	'u32(meta + 16 + 4, 0x1800)'
bad no_reset_block measure_no_reset_block "OVMF has no SEV-ES reset block (the AP start address)" \
	'd[4030] ^= 0xff'
tail -c 4095 "$amd" >"$tmp/odd.bin"
expect_err "size not whole pages" 1 \
	"kbs-policy measure: $tmp/odd.bin: OVMF image size is not a non-zero multiple of 4 KiB within the size limit (measure_ovmf_size)" \
	measure --ovmf "$tmp/odd.bin" "${base[@]}"
expect "a tail is enough with a given hash" 0 "" measure --ovmf "$tmp/odd.bin" --snp-ovmf-hash "$ohash" "${base[@]}"
expect_err "hash-only of a malformed firmware" 1 \
	"kbs-policy measure: $tmp/guid_loop.bin: OVMF footer table entry length is below its own header (the walk would not advance) (measure_footer_loop)" \
	measure --ovmf "$tmp/guid_loop.bin" --ovmf-hash-only
mutate "$tmp/small_table.bin" 'u32(3976, 0x80)' # the hash table entry's size (its data is at 3972)
expect_err "hash table too small" 1 \
	"kbs-policy measure: $tmp/small_table.bin: OVMF SEV hash table entry is missing, too small or outside the kernel-hashes section (measure_hash_table)" \
	measure --ovmf "$tmp/small_table.bin" --kernel /dev/null "${base[@]}"

# Files that cannot be read: exit 2 with the file and errno.
expect_err "missing ovmf" 2 \
	"kbs-policy measure: cannot read OVMF $tmp/none.fd: system call failed: No such file or directory" \
	measure --ovmf "$tmp/none.fd" "${base[@]}"
expect_err "missing kernel" 2 \
	"kbs-policy measure: cannot read kernel $tmp/none: system call failed: No such file or directory" \
	measure --ovmf "$amd" --kernel "$tmp/none" "${base[@]}"
expect_err "missing initrd" 2 \
	"kbs-policy measure: cannot read initrd $tmp/none: system call failed: No such file or directory" \
	measure --ovmf "$amd" --kernel /dev/null --initrd "$tmp/none" "${base[@]}"
expect_err "ovmf is a directory" 2 \
	"kbs-policy measure: cannot read OVMF $tmp: system call failed: Is a directory" \
	measure --ovmf "$tmp" "${base[@]}"

# Options: exit 2, the option named.
expect_err "vcpus 0" 2 "kbs-policy measure: --vcpus 0: vCPU count is 0 or above the VMM's limit (measure_vcpu_count)" \
	measure --ovmf "$amd" --vcpus 0 "${base[@]}"
expect_err "vcpus above qemu" 2 "kbs-policy measure: --vcpus 4097: vCPU count is 0 or above the VMM's limit (measure_vcpu_count)" \
	measure --ovmf "$amd" --vcpus 4097 "${base[@]}"
expect "vcpus at qemu's limit" 0 "" measure --ovmf "$amd" --vcpus 4096 "${base[@]}"
expect_err "vcpus above ec2" 2 "kbs-policy measure: --vcpus 193: vCPU count is 0 or above the VMM's limit (measure_vcpu_count)" \
	measure --ovmf "$amd" --vcpus 193 --vmm-type ec2
expect_err "vcpus above gce" 2 "kbs-policy measure: --vcpus 385: vCPU count is 0 or above the VMM's limit (measure_vcpu_count)" \
	measure --ovmf "$amd" --vcpus 385 --vmm-type gce
expect_err "vcpus not a number" 2 'kbs-policy measure: --vcpus "-1": not a decimal number up to 4294967295' \
	measure --ovmf "$amd" --vcpus -1 "${base[@]}"
expect_err "vcpus trailing text" 2 'kbs-policy measure: --vcpus "4x": not a decimal number up to 4294967295' \
	measure --ovmf "$amd" --vcpus 4x "${base[@]}"
expect_err "unknown vcpu type" 2 \
	'kbs-policy measure: --vcpu-type "EPYC-Zen9": unknown vCPU type (measure_vcpu_type); known: EPYC EPYC-v1 EPYC-v2 EPYC-v3 EPYC-v4 EPYC-v5 EPYC-IBPB EPYC-Rome EPYC-Rome-v1 EPYC-Rome-v2 EPYC-Rome-v3 EPYC-Rome-v4 EPYC-Rome-v5 EPYC-Milan EPYC-Milan-v1 EPYC-Milan-v2 EPYC-Milan-v3 EPYC-Genoa EPYC-Genoa-v1 EPYC-Genoa-v2 EPYC-Turin EPYC-Turin-v1' \
	measure --ovmf "$amd" --vcpu-type EPYC-Zen9
expect_err "qemu needs a vcpu" 2 \
	"kbs-policy measure: --vmm-type qemu puts the vCPU signature into the VMSA: give --vcpu-type, --vcpu-sig or --vcpu-family/--vcpu-model/--vcpu-stepping" \
	measure --ovmf "$amd"
expect_err "two vcpu forms" 2 \
	"kbs-policy measure: give one of --vcpu-type, --vcpu-sig or --vcpu-family/--vcpu-model/--vcpu-stepping" \
	measure --ovmf "$amd" --vcpu-type EPYC-v4 --vcpu-sig 0x800f12
expect_err "family without model" 2 \
	"kbs-policy measure: --vcpu-family, --vcpu-model and --vcpu-stepping go together" \
	measure --ovmf "$amd" --vcpu-family 25
expect_err "stepping range" 2 'kbs-policy measure: --vcpu-stepping "16": not a decimal number up to 15' \
	measure --ovmf "$amd" --vcpu-family 25 --vcpu-model 1 --vcpu-stepping 16
expect_err "unknown vmm" 2 'kbs-policy measure: --vmm-type "azure": must be qemu, ec2 or gce' \
	measure --ovmf "$amd" --vmm-type azure
expect_err "guest features without SNPActive" 2 \
	"kbs-policy measure: --guest-features 0x20: guest features (SEV_FEATURES) lack SNPActive (bit 0) (measure_guest_features)" \
	measure --ovmf "$amd" --vcpu-type EPYC-v4 --guest-features 0x20
expect_err "guest features not hex" 2 'kbs-policy measure: --guest-features "0x": not a hexadecimal number up to 18446744073709551615' \
	measure --ovmf "$amd" --vcpu-type EPYC-v4 --guest-features 0x
expect_err "short ovmf hash" 2 "kbs-policy measure: --snp-ovmf-hash: must be exactly 96 hex digits (48 bytes)" \
	measure --ovmf "$amd" --snp-ovmf-hash abcd "${base[@]}"
expect_err "initrd without kernel" 2 "kbs-policy measure: --initrd needs --kernel" \
	measure --ovmf "$amd" --initrd /dev/null "${base[@]}"
expect_err "append without kernel" 2 "kbs-policy measure: --append needs --kernel" \
	measure --ovmf "$amd" --append quiet "${base[@]}"
expect_err "hash-only takes no launch options" 2 "kbs-policy measure: --vcpus does not go with --ovmf-hash-only" \
	measure --ovmf "$amd" --ovmf-hash-only --vcpus 2
expect_err "option twice" 2 "kbs-policy measure: --vcpus is given twice" \
	measure --ovmf "$amd" --vcpus 1 --vcpus 2 "${base[@]}"
expect_err "option without value" 2 "kbs-policy measure: --kernel needs a value" \
	measure --ovmf "$amd" "${base[@]}" --kernel
expect_err "no ovmf" 2 "kbs-policy measure: --ovmf is required" measure --vcpu-type EPYC-v4
expect_err "stray argument" 2 'kbs-policy measure: unexpected argument "extra"' \
	measure --ovmf "$amd" "${base[@]}" extra
expect "help" 0 "" measure --help
expect "listed in the usage" 0 "" bash -c '"$1" 2>&1 | grep -q "kbs-policy measure --ovmf"' _ "$kbs_policy"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
