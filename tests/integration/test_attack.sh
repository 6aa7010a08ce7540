#!/bin/bash
# test_attack.sh KBS CLIENT KBS_STORE: attack and fault tests against the
# real daemon on loopback (issue 12), each bounded in count and time; the
# cases are in attack.py and assert exact statuses and error codes:
#   mutate      ~3000 malformed and mutated attest bodies: no crash, no release
#   oversize    headers over the connection memory, long URLs, bodies over the cap; RSS flat
#   admin_early an admin request without a valid token: 401 from its head, its body never read
#   burst_kill  SIGKILL during 16 guests' releases; after a restart every
#               acknowledged release is audited, the chain verifies (and kbs-store verify-audit)
#   connlimit   max_connections and per_ip_connections, another address served
#   slowloris   clients trickling bytes are cut at request_deadline; a good guest is served
#   flood       challenge and attest floods: 429, another address served, audit within budget
#   disk_full   the data dir on a small tmpfs, filled: 503 unavailable, nothing released,
#               releases again once space is back (root only; skipped otherwise, saying why)
# Skipped (77) without curl or PyNaCl.
set -u
kbs=$1
client=$2
store=$3
here=$(dirname "$0")
# shellcheck source=lib.sh
. "$here/lib.sh"
py=/usr/bin/python3
command -v curl >/dev/null || { echo "curl missing: skipped"; exit 77; }
"$py" -c 'import nacl' 2>/dev/null || { echo "PyNaCl missing: skipped"; exit 77; }
export ATTACK_DIR=$tmp
mounted=""
trap '[ -n "$mounted" ] && umount -l "$mounted"; rm -rf "$tmp"' EXIT

sim=$tmp/sim
"$client" sim-init "$sim" --product milan >/dev/null || exit 1
measurement=$(sed -n 's/^measurement = //p' "$sim/chip.conf")

# start_kbs DATA CONFIG_JSON: kbs_start (lib.sh), and the broker's pid and
# store for attack.py.
start_kbs() {
	kbs_start "$@" || return 1
	export KBS_PID=$pid ATTACK_DATA=$1/store
}
stop_kbs() { kbs_stop; }

# setup: the policy admitting the simulated chip and the secret under it.
setup() {
	printf '{"kbs_policy":1,"name":"prod","rules":{"measurement":["%s"]}}' "$measurement" >"$tmp/prod.json"
	expect "policy prod" 0 '{"warnings"' admin POST /v1/admin/policies --data-binary "@$tmp/prod.json"
	expect "secret disk-key" 0 '{"name":"disk-key"' admin PUT /v1/admin/secrets/disk-key \
		-d "{\"policy\":\"prod\",\"value\":\"$(printf 'attack-disk-key-value' | base64)\"}"
}

# cases NAME...: runs attack.py cases, one pass or fail each.
cases() { kbs_cases "$here/attack.py" "$@"; }

# ---- no rate limit: mutations, oversize, SIGKILL ------------------------------------
data=$tmp/data
start_kbs "$data" '{"rate_per_ip": 0, "per_ip_connections": 256, "kds_fetch": false}' || exit 1
setup
cases mutate oversize admin_early
cases burst_kill
wait "$pid"
expect "SIGKILL" 0 "137" echo "$?"
start_kbs "$data" '{"rate_per_ip": 0, "per_ip_connections": 256, "kds_fetch": false}' || exit 1
cases burst_check
stop_kbs
expect "kbs-store verify-audit after SIGKILL" 0 "" "$store" -d "$data/store" -k "$data/master.key" verify-audit

# ---- small limits: connections, slow clients ------------------------------------------
start_kbs "$data" '{"rate_per_ip": 0, "max_connections": 12, "per_ip_connections": 4,
	"threads": 2, "connection_timeout": 3, "request_deadline": 5}' || exit 1
cases connlimit slowloris
expect "a slow client's close is logged with its code" 0 "" grep -q '"event":"request_deadline".*"error":"request_deadline"' "$tmp/log"
stop_kbs

# ---- rate limits: floods ------------------------------------------------------------------
start_kbs "$data" '{"rate_per_ip": 20, "rate_burst": 40, "refused_audit_per_minute": 6}' || exit 1
cases flood
stop_kbs

# ---- disk full ---------------------------------------------------------------------------------
if [ "$(id -u)" != 0 ]; then
	echo "disk_full: skipped (mounting a small tmpfs needs root; uid $(id -u))"
elif ! mkdir "$tmp/small" || ! mount -t tmpfs -o size=8m,mode=0700 kbs-attack "$tmp/small"; then
	echo "disk_full: skipped (mount -t tmpfs failed)"
else
	mounted=$tmp/small
	start_kbs "$tmp/small/data" '{"rate_per_ip": 0}' || exit 1
	setup
	rm -f "$tmp/acked"
	dd if=/dev/zero of="$tmp/small/fill" bs=64k 2>/dev/null # until ENOSPC
	expect "the file system is full" 0 "0" bash -c "df --output=avail -k '$tmp/small' | tail -1 | tr -d ' '"
	cases disk_full
	rm -f "$tmp/small/fill"
	cases disk_back
	expect "the full disk was logged" 0 "" grep -q '"event":"audit_failed".*"error":"store_full"' "$tmp/log"
	stop_kbs
	expect "kbs-store verify-audit after the full disk" 0 "" "$store" -d "$tmp/small/data/store" -k "$tmp/small/data/master.key" verify-audit
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
