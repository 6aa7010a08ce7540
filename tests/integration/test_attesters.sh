#!/bin/bash
# test_attesters.sh KBS KBS_CLIENT STANDIN_SO: the tsm and sev-guest
# attesters end to end through the real kbs-client and the real broker.
# attester_standin.so (LD_PRELOAD, tests/unit/client) answers configfs-tsm
# under $KBS_TSM_ROOT and /dev/sev-guest at $KBS_SEV_GUEST_DEVICE with
# reports signed by a sim-init chip that the broker trusts with
# --trust-root. Released, denied (another image), a failing step (exit 4
# with the step's line), auto's pick, and `kbs-client report` files that
# `kbs-client verify` accepts offline. Bounded: every wait has a deadline.
set -u
kbs=$1
client=$2
standin=$3
here=$(dirname "$0")
# shellcheck source=lib.sh
. "$here/lib.sh"
P="kbs-client get-secret"

"$client" sim-init "$tmp/chip" --product milan >/dev/null || exit 1
cp -a "$tmp/chip" "$tmp/wrongimage"
sed -i 's/^measurement = .*/measurement = '"$(printf '11%.0s' $(seq 48))"'/' "$tmp/wrongimage/chip.conf"
measurement=$(awk '/^measurement =/ {print $3}' "$tmp/chip/chip.conf")
cat >"$tmp/prod.json" <<EOP
{
  "kbs_policy": 1,
  "name": "prod",
  "rules": { "product": ["milan"], "measurement": ["$measurement"] }
}
EOP
head -c 32 /dev/urandom >"$tmp/disk.key"
mkdir "$tmp/tsm"
: >"$tmp/sev-guest"

"$kbs" --data-dir "$tmp/data" --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 \
	--trust-root "$tmp/chip/ark.pem" >"$tmp/kbs.out" 2>"$tmp/kbs.log" &
kbs_pid=$!
trap 'kill "$kbs_pid" 2>/dev/null; wait "$kbs_pid" 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do
	grep -q "listening admin" "$tmp/kbs.out" 2>/dev/null && break
	sleep 0.1
done
port=$(awk '/listening public/ {print $NF}' "$tmp/kbs.out")
admin_port=$(awk '/listening admin/ {print $NF}' "$tmp/kbs.out")
key=$(awk '/identity key/ {print $NF}' "$tmp/kbs.out")
if [ -z "$admin_port" ]; then
	echo "FAIL: kbs did not start"
	cat "$tmp/kbs.log"
	exit 1
fi
adm() { "${client%/client/kbs-client}/kbs/kbs-admin" --url "http://127.0.0.1:$admin_port" --token-file "$tmp/data/admin.token" "$@"; }
expect "policy put" 0 "" adm policy put "$tmp/prod.json"
expect "secret put" 0 "" adm secret put disk-key --policy prod --from-file "$tmp/disk.key"

# with CHIP [VAR=VALUE...] CMD...: the client under the stand-in signing with CHIP.
with() {
	local chip=$1
	shift
	env LD_PRELOAD="$standin" KBS_STANDIN_SIM_DIR="$tmp/$chip" KBS_TSM_ROOT="$tmp/tsm" \
		KBS_SEV_GUEST_DEVICE="$tmp/sev-guest" \
		ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" "$@"
}
gs=("$client" get-secret --url "http://127.0.0.1:$port" --server-key "$key" --name disk-key)

for at in tsm sev-guest; do
	rm -f "$tmp/got"
	expect "$at: released" 0 "" with chip "${gs[@]}" --attester "$at" --out "$tmp/got"
	expect_err "$at: says which attester" "$P: attester $at"
	expect "$at: the secret" 0 "" cmp "$tmp/got" "$tmp/disk.key"
	expect "$at: another image is denied" 1 "" with wrongimage "${gs[@]}" --attester "$at" --out "$tmp/x"
	expect_err "$at: the failed rule" "measurement"

	rm -f "$tmp/r.bin" "$tmp/t.bin"
	expect "$at: report" 0 "report written to $tmp/r.bin (attester $at, 2 certificates" \
		with chip "$client" report --attester "$at" --out "$tmp/r.bin" --certs-out "$tmp/t.bin" \
		--report-data "$(printf '5a%.0s' $(seq 64))"
	expect "$at: report verifies offline" 0 "OK genuine milan report v3 signed by vcek under EXTRA ROOT" \
		"$client" verify --report "$tmp/r.bin" --certs-table "$tmp/t.bin" --trust-root "$tmp/chip/ark.pem"
	expect "$at: not without the root" 1 "" \
		"$client" verify --report "$tmp/r.bin" --certs-table "$tmp/t.bin"
done
expect "report files are 0600" 0 "600 600" bash -c "stat -c %a '$tmp/r.bin' '$tmp/t.bin' | xargs"

expect "auto picks tsm" 0 "" with chip "${gs[@]}" --out "$tmp/got"
expect_err "auto says tsm" "$P: attester tsm"
expect "auto without configfs-tsm picks sev-guest" 0 "" with chip env KBS_TSM_ROOT="$tmp/none" "${gs[@]}" --out "$tmp/got"
expect_err "auto says sev-guest" "$P: attester sev-guest"

expect "tsm: a changed generation" 4 "" with chip env KBS_STANDIN_TSM_MODE=generation "${gs[@]}" --attester tsm --out "$tmp/x"
expect_err "the step and the reason" "$P: attester tsm: configfs-tsm: the entry's generation is unreadable or changed: another writer used it: generation changed from 2 to 3: another writer used the entry"
expect "tsm: another provider" 4 "" with chip env KBS_STANDIN_TSM_MODE=provider "${gs[@]}" --attester tsm --out "$tmp/x"
expect_err "provider named" "provider is 'tdx_guest', not sev_guest"
expect "sev-guest: a firmware error" 4 "" with chip env KBS_STANDIN_SEV_MODE=fw-error "${gs[@]}" --attester sev-guest --out "$tmp/x"
expect_err "the firmware code" "$P: attester sev-guest: sev-guest: the firmware or the hypervisor returned an error: SNP_GET_EXT_REPORT: firmware error 0x16, hypervisor error 0x0"
expect "report: a firmware error" 4 "" with chip env KBS_STANDIN_SEV_MODE=fw-error "$client" report --attester sev-guest --out "$tmp/x"
expect_err "report names the step" "kbs-client report: attester sev-guest: sev-guest: the firmware or the hypervisor returned an error: SNP_GET_EXT_REPORT: firmware error 0x16, hypervisor error 0x0"
expect "no tsm entry is left behind" 0 "" test -z "$(ls -A "$tmp/tsm")"
expect "nothing written on failure" 1 "" test -e "$tmp/x"

# ---- kbs-client report: usage, no attester, no table ------------------------
R="kbs-client report"
expect "report needs --out" 2 "" "$client" report
expect_err "says so" "$R: --out is required"
expect "report-data must be 64 bytes" 2 "" "$client" report --out "$tmp/y" --report-data abcd
expect_err "says how" "$R: --report-data needs 128 hex digits"
expect "no attester here" 4 "" env KBS_TSM_ROOT="$tmp/none" KBS_SEV_GUEST_DEVICE="$tmp/none" \
	"$client" report --out "$tmp/y"
expect_err "auto names both" "$R: attester auto: no attester on this machine: neither configfs-tsm nor /dev/sev-guest is present"
expect "no report file on failure" 1 "" test -e "$tmp/y"
rm -f "$tmp/r.bin" "$tmp/t.bin"
expect "no auxblob: the report alone" 0 "report written to $tmp/r.bin (attester tsm, 0 certificates" \
	with chip env KBS_STANDIN_TSM_MODE=no-auxblob "$client" report --attester tsm --out "$tmp/r.bin" \
	--certs-out "$tmp/t.bin"
expect_err "the table is not written, and why" "$R: the platform returned no certificate table: $tmp/t.bin not written (verify fetches the VCEK from AMD's KDS)"
expect "no table file" 1 "" test -e "$tmp/t.bin"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
