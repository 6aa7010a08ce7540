#!/bin/bash
# test_kbs_review.sh KBS CLIENT: the review's findings, each checked against
# the real daemon. Starts kbs on 127.0.0.1 port 0 with a temporary data
# directory and a simulated Milan chip's ARK as --trust-root, stores a
# policy that admits the chip ("prod") and one that refuses it ("deny")
# with a secret under each through the admin API (curl), then runs the
# cases of kbs_review.py (each asserts exact statuses and error codes) and
# stops the daemon with SIGTERM (exit status 0). Skipped (77) without
# curl or PyNaCl.
set -u
kbs=$1
client=$2
here=$(dirname "$0")
# shellcheck source=lib.sh
. "$here/lib.sh"
py=/usr/bin/python3
command -v curl >/dev/null || { echo "curl missing: skipped"; exit 77; }
"$py" -c 'import nacl' 2>/dev/null || { echo "PyNaCl missing: skipped"; exit 77; }

sim=$tmp/sim
"$client" sim-init "$sim" --product milan >/dev/null || exit 1
measurement=$(sed -n 's/^measurement = //p' "$sim/chip.conf")

# start_kbs CONFIG_JSON [ARGS...]: kbs_start (lib.sh) on $tmp/data.
start_kbs() { kbs_start "$tmp/data" "$@"; }
stop_kbs() { kbs_stop; }

# cases NAME...: runs kbs_review.py cases, one pass or fail each.
cases() { kbs_cases "$here/kbs_review.py" "$@"; }

start_kbs '{"rate_per_ip": 0, "per_ip_connections": 256, "token_lifetime": 10}' || exit 1
printf '{"kbs_policy":1,"name":"prod","rules":{"measurement":["%s"]}}' "$measurement" >"$tmp/prod.json"
printf '{"kbs_policy":1,"name":"deny","rules":{"measurement":["%s"]}}' "$(printf '00%.0s' $(seq 48))" >"$tmp/deny.json"
expect "policy prod" 0 '{"warnings"' admin POST /v1/admin/policies --data-binary "@$tmp/prod.json"
expect "policy deny" 0 '{"warnings"' admin POST /v1/admin/policies --data-binary "@$tmp/deny.json"
expect "secret disk-key" 0 '{"name":"disk-key"' admin PUT /v1/admin/secrets/disk-key \
	-d "{\"policy\":\"prod\",\"value\":\"$(printf 'review-disk-key-value' | base64)\"}"
expect "secret other" 0 '{"name":"other"' admin PUT /v1/admin/secrets/other \
	-d "{\"policy\":\"deny\",\"value\":\"$(printf 'review-other-value' | base64)\"}"

# 32 secrets under one rich policy, and 32 under 32 rich policies, all with
# 250-byte names: their audit record is over 64 KiB when written out in full.
rich() { # rich NAME: a policy with most rules, admitting the simulated chip
	printf '{"kbs_policy":1,"name":"%s","rules":{"product":["milan","genoa"],"signing_key":["vcek"],' "$1"
	printf '"measurement":["%s","%s"],' "$measurement" "$(printf 'be%.0s' $(seq 48))"
	printf '"guest_policy":{"debug_allowed":false,"migration_agent_allowed":false,"smt_allowed":true},'
	printf '"vmpl":{"max":0},"min_tcb":{"milan":{"bootloader":3,"tee":0,"snp":8,"microcode":115},'
	printf '"genoa":{"bootloader":10,"tee":0,"snp":27,"microcode":88}},'
	printf '"min_firmware":{"milan":"1.52.4","genoa":"1.55.49"},'
	printf '"tcb_deny":[{"product":"milan","bootloader":2,"tee":0,"snp":5,"microcode":68}]}}'
}
long=$(printf 'x%.0s' $(seq 242))
rich rich >"$tmp/rich.json"
admin POST /v1/admin/policies --data-binary "@$tmp/rich.json" >/dev/null
for i in $(seq -w 1 32); do
	rich "rich-$i" >"$tmp/rich-$i.json"
	admin POST /v1/admin/policies --data-binary "@$tmp/rich-$i.json" >/dev/null
	admin PUT "/v1/admin/secrets/long-$i-$long" -d "{\"policy\":\"rich\",\"value\":\"$(printf "long-$i" | base64)\"}" >/dev/null
	admin PUT "/v1/admin/secrets/dist-$i-$long" -d "{\"policy\":\"rich-$i\",\"value\":\"$(printf "dist-$i" | base64)\"}" >/dev/null
done
expect "64 secrets stored" 0 "64" bash -c 'admin() { curl -s -H "Authorization: Bearer $1" "http://127.0.0.1:$2/v1/admin/secrets"; }; admin "$@" | grep -o "\"name\":\"[a-z]*-[0-9]*-x*\"" | wc -l' _ "$token" "$adm"

cases body_declared_too_large body_just_too_large body_chunked_too_large body_chunked_endless
cases replay_race parallel_guests certificate_inputs
cases weak_guest_key metrics_replay_once metrics_audit_records unknown_names many_secrets refused_audit_budget
cases token_refusals token_fetch_opens token_expired token_policy_changed
# The wire says token_invalid; the log names the step that refused it.
expect "token refusal logged with its step" 0 "" \
	grep -q '"event":"token_refused".*"step":"token_signature"' "$tmp/log"
stop_kbs

# Again on the same data, with a request rate of 5 a second and no audit
# budget for refused evidence.
start_kbs '{"rate_per_ip": 5, "rate_burst": 5, "refused_audit_per_minute": 0}' || exit 1
cases rate_admin_apart
sleep 1.2 # the public bucket refills
cases refused_audit_off
"$py" "$here/kbs_review.py" "$client" "$sim" "$pub" "$adm" "$token" save_token >"$tmp/token.txt"
stop_kbs

# Without the simulated root, a token made under it opens nothing.
start_kbs '{}' --log-level info || exit 1
expect "token of a dropped trust root" 0 '401 token_invalid' "$py" "$here/kbs_review.py" \
	"$client" "$sim" "$pub" "$adm" "$token" fetch_saved "$(cat "$tmp/token.txt")"
# SIGTERM answers the request in flight and does not wait for idle connections.
cases shutdown_probe "$pid"
wait "$pid"
expect "SIGTERM with a request in flight exits 0" 0 "" test "$?" = 0

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
