#!/bin/bash
# demo.sh: the broker serving a simulated guest, on embedded defaults.
#
#   deploy/demo.sh          run the demo and leave the broker running, with
#                           the next commands to try printed at the end
#   deploy/demo.sh --ci     the same, then run those next commands too,
#                           check what each does, stop the broker with
#                           SIGTERM and remove the demo directory (CI)
#   deploy/demo.sh --stop   stop a broker an earlier run left running
#
# Makes a simulated SEV-SNP chip (kbs-client sim-init: NOT AMD hardware,
# trusted only by this demo's broker, through --trust-root), starts the real
# kbs on 127.0.0.1 (free ports) with every setting at its default and its
# data in build/demo/, stores a policy for the chip's image and a disk key
# through the admin API (kbs-admin), and fetches the key as a booting guest
# would (kbs-client get-secret, the broker's identity key pinned). Then it
# shows the decision, each rule's result and the audit record the broker
# wrote for the release. Exits 0 only if every step did what it says.
set -eu
cd "$(dirname "$0")/.."
build=${BUILD:-build}
kbs=$build/kbs/kbs
client=$build/client/kbs-client
admin=$build/kbs/kbs-admin
policy_tool=$build/policy/kbs-policy
demo=$build/demo

mode=${1:-run}
case "$mode" in
run | --ci | --stop) ;;
*)
	echo "usage: deploy/demo.sh [--ci | --stop]" >&2
	exit 2
	;;
esac

# stop_left_running: end the broker an earlier interactive run left behind.
stop_left_running() {
	local old
	[ -f "$demo/kbs.pid" ] || return 0
	old=$(cat "$demo/kbs.pid")
	# Only our own broker: the pid file may be stale and the pid reused.
	if [ "$(readlink "/proc/$old/exe" 2>/dev/null)" = "$(readlink -f "$kbs")" ]; then
		kill -TERM "$old"
		for _ in $(seq 100); do
			kill -0 "$old" 2>/dev/null || break
			sleep 0.1
		done
		echo "demo: stopped the demo broker (pid $old)"
	fi
	rm -f "$demo/kbs.pid"
}

if [ "$mode" = --stop ]; then
	stop_left_running
	rm -rf "$demo"
	exit 0
fi

for b in "$kbs" "$client" "$admin" "$policy_tool"; do
	[ -x "$b" ] || {
		echo "demo: $b is missing: run ./deploy/setup.sh first" >&2
		exit 1
	}
done

stop_left_running
rm -rf "$demo"
mkdir -p "$demo"
pid=""
# On any failure (and at the end of --ci), stop the broker; an interactive
# run that succeeded clears pid so the broker stays up.
cleanup() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
		rm -f "$demo/kbs.pid"
	fi
	[ "$mode" = --ci ] && rm -rf "$demo"
	return 0
}
trap cleanup EXIT
step() { printf '\n== %s\n' "$*"; }

step "a SIMULATED chip: not AMD hardware; only this demo's broker trusts its root"
"$client" sim-init "$demo/chip" --product milan | head -1
measurement=$(awk '/^measurement =/ {print $3}' "$demo/chip/chip.conf")
cp -a "$demo/chip" "$demo/other-image"
sed -i 's/^measurement = .*/measurement = '"$(printf 'ee%.0s' $(seq 48))"'/' "$demo/other-image/chip.conf"
echo "and a copy of it that launches another image (measurement ee..ee): $demo/other-image"

step "the broker: every setting at its default, data in $demo/data"
"$kbs" --data-dir "$demo/data" --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 \
	--trust-root "$demo/chip/ark.pem" >"$demo/kbs.out" 2>"$demo/kbs.log" &
pid=$!
echo "$pid" >"$demo/kbs.pid"
for _ in $(seq 100); do
	grep -q "listening admin" "$demo/kbs.out" 2>/dev/null && break
	sleep 0.1
done
cat "$demo/kbs.out"
port=$(awk '/listening public/ {print $NF}' "$demo/kbs.out")
aport=$(awk '/listening admin/ {print $NF}' "$demo/kbs.out")
key=$(awk '/identity key/ {print $NF}' "$demo/kbs.out")
[ -n "$port" ] && [ -n "$aport" ] && [ -n "$key" ] || {
	echo "demo: the broker did not start" >&2
	cat "$demo/kbs.log" >&2
	exit 1
}
url=http://127.0.0.1:$port
admin_url=http://127.0.0.1:$aport
adm() { "$admin" --url "$admin_url" --token-file "$demo/data/admin.token" "$@"; }

step "a policy for the chip's image, as a reviewer reads it (kbs-policy explain)"
cat >"$demo/disk-unlock.json" <<EOF
{
  "kbs_policy": 1,
  "name": "disk-unlock",
  "description": "the demo image on a Milan chip at TCB 3/0/8/115 or newer, no debugging",
  "rules": {
    "product": ["milan"],
    "measurement": ["$measurement"],
    "min_tcb": {"milan": {"bootloader": 3, "tee": 0, "snp": 8, "microcode": 115}},
    "vmpl": {"max": 0}
  }
}
EOF
"$policy_tool" explain "$demo/disk-unlock.json"
adm policy put "$demo/disk-unlock.json" >/dev/null
head -c 32 /dev/urandom >"$demo/disk.key"
adm secret put disk-key --policy disk-unlock --from-file "$demo/disk.key" >/dev/null
echo "stored policy disk-unlock and secret disk-key (32 random bytes) through the admin API"

step "the guest at boot: challenge, report, attest, verify the broker's signature, decrypt"
"$client" get-secret --url "$url" --server-key "$key" --name disk-key \
	--out "$demo/unlocked.key" --attester "sim:$demo/chip" 2>&1
cmp -s "$demo/unlocked.key" "$demo/disk.key"
echo "the released key is the stored one"

step "what the broker decided, rule by rule, and the audit record it wrote"
# The newest attest record; its rules member is the JSON text the broker
# keeps for auditors (expected and actual values; guests see rule ids only).
adm audit export | /usr/bin/python3 -c '
import json, sys
last = None
for line in sys.stdin:
    r = json.loads(line)
    if r.get("event") == "attest":
        last = r
if last is None or last["decision"] != "release":
    sys.exit("demo: no release record in the audit export")
rules = json.loads(last["rules"])
print("decision: %s (trust: %s)" % (last["decision"], rules["trust"]))
for s in rules["secrets"]:
    print("secret %s: %s under policy %s v%s" % (s["name"], s["decision"], s["policy"], s["version"]))
    width = max([len(row["rule"]) for row in s.get("rules", [])] + [0])
    for row in s.get("rules", []):
        print("  %-*s %-5s expected %s, got %s" % (width, row["rule"], row["result"],
              row.get("expected", "-"), row.get("actual", "-")))
shown = {k: v for k, v in last.items() if k != "rules"}
print("audit record #%d:" % last["seq"])
print(json.dumps(shown, indent=2))
'
adm audit verify >/dev/null
echo "the audit chain verifies (kbs-admin audit verify)"

# The commands the closing text offers; --ci runs each and checks it.
deny_cmd="$client get-secret --url $url --server-key $key --name disk-key --out - --attester sim:$demo/other-image"
explain_cmd="$policy_tool explain $demo/disk-unlock.json"
audit_cmd="$admin --url $admin_url --token-file $demo/data/admin.token audit verify"
v=tests/vectors/snp
verify_cmd="$client verify --report $v/virtee-sev/milan_report.bin --vcek $v/virtee-sev/milan_vcek.der --chain $v/amd/cert_chain_milan.pem --at 2023-05-03T00:00:00Z"

if [ "$mode" = run ]; then
	pid=""
	cat <<EOF

demo: OK. The broker is still running (pid $(cat "$demo/kbs.pid")), on
  public API $url   admin API $admin_url
and will keep running until you stop it. Next, try:

  # a guest running another image: refused, the failed rule named (exit 1)
  $deny_cmd

  # the policy, rule by rule, as an auditor reads it
  $explain_cmd

  # the tamper-evident audit chain
  $audit_cmd

  # a real AMD-signed report bundled with kbs, verified offline
  $verify_cmd

  # stop the broker and remove $demo
  ./deploy/demo.sh --stop

(The chip is simulated: a real guest uses --attester auto on SEV-SNP hardware.)
EOF
	exit 0
fi

step "--ci: the next commands, each checked"
rc=0
$deny_cmd >"$demo/refused.out" 2>"$demo/refused.err" || rc=$?
cat "$demo/refused.err"
[ "$rc" = 1 ] && [ ! -s "$demo/refused.out" ] && grep -q "failed measurement" "$demo/refused.err"
echo "another image: exit $rc (denied), nothing released"
$explain_cmd | grep -q "The launch measurement must be exactly the one listed value."
echo "kbs-policy explain: OK"
$audit_cmd | grep -q '"intact":[[:space:]]*true'
echo "kbs-admin audit verify: intact"
$verify_cmd
echo "kbs-client verify on a bundled AMD report: OK"

step "SIGTERM: finish in-flight requests, flush the store, exit 0"
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=""
rm -f "$demo/kbs.pid"
echo "kbs exited $rc"
[ "$rc" = 0 ]
echo
echo "demo: OK (simulated chip; a real guest uses --attester auto on SEV-SNP hardware)"
