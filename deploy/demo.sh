#!/bin/bash
# demo.sh: the broker serving a simulated guest, on embedded defaults.
#
# Makes a simulated SEV-SNP chip (kbs-client sim-init: NOT AMD hardware),
# starts the real kbs on 127.0.0.1 (free ports) with that chip's root as its
# only extra trust root, stores a policy for the chip's image and a disk key
# through the admin API (kbs-admin), and fetches the key as a booting guest
# would (kbs-client get-secret, the broker's identity key pinned). Then a
# guest running another image is refused with the rule that failed, the
# audit chain is verified, and the broker is stopped with SIGTERM. Every
# file lives in a temporary directory that is removed at the end. Exits 0
# only if every step did what it says.
set -eu
cd "$(dirname "$0")/.."
build=${BUILD:-build}
kbs=$build/kbs/kbs
client=$build/client/kbs-client
admin=$build/kbs/kbs-admin
for b in "$kbs" "$client" "$admin"; do
	[ -x "$b" ] || {
		echo "demo: $b is missing: run ./deploy/setup.sh first" >&2
		exit 1
	}
done

tmp=$(mktemp -d)
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
step() { printf '\n== %s\n' "$*"; }

step "a simulated chip (its reports verify only against its own test root)"
"$client" sim-init "$tmp/chip" --product milan | head -1
measurement=$(awk '/^measurement =/ {print $3}' "$tmp/chip/chip.conf")
cp -a "$tmp/chip" "$tmp/other-image"
sed -i 's/^measurement = .*/measurement = '"$(printf 'ee%.0s' $(seq 48))"'/' "$tmp/other-image/chip.conf"

step "the broker, with the chip's root as its only extra trust root"
"$kbs" --data-dir "$tmp/data" --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 \
	--trust-root "$tmp/chip/ark.pem" >"$tmp/kbs.out" 2>"$tmp/kbs.log" &
pid=$!
for _ in $(seq 100); do
	grep -q "listening admin" "$tmp/kbs.out" 2>/dev/null && break
	sleep 0.1
done
cat "$tmp/kbs.out"
port=$(awk '/listening public/ {print $NF}' "$tmp/kbs.out")
aport=$(awk '/listening admin/ {print $NF}' "$tmp/kbs.out")
key=$(awk '/identity key/ {print $NF}' "$tmp/kbs.out")
[ -n "$port" ] && [ -n "$aport" ] || {
	echo "demo: the broker did not start" >&2
	cat "$tmp/kbs.log" >&2
	exit 1
}
adm() { "$admin" --url "http://127.0.0.1:$aport" --token-file "$tmp/data/admin.token" "$@"; }

step "a policy for the chip's image, reviewed with kbs-policy explain"
cat >"$tmp/disk-unlock.json" <<EOF
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
"$build/policy/kbs-policy" explain "$tmp/disk-unlock.json"
adm policy put "$tmp/disk-unlock.json" >/dev/null
head -c 32 /dev/urandom >"$tmp/disk.key"
adm secret put disk-key --policy disk-unlock --from-file "$tmp/disk.key" >/dev/null
echo "stored policy disk-unlock and secret disk-key (32 random bytes) through the admin API"

step "the guest at boot: challenge, report, attest, verify the broker's signature, decrypt"
"$client" get-secret --url "http://127.0.0.1:$port" --server-key "$key" --name disk-key \
	--out "$tmp/unlocked.key" --attester "sim:$tmp/chip" 2>&1
cmp -s "$tmp/unlocked.key" "$tmp/disk.key"
echo "the released key is the stored one"

step "a guest running another image is refused, with the failed rule named"
rc=0
"$client" get-secret --url "http://127.0.0.1:$port" --server-key "$key" --name disk-key \
	--out "$tmp/refused.key" --attester "sim:$tmp/other-image" 2>&1 || rc=$?
[ "$rc" = 1 ] && [ ! -e "$tmp/refused.key" ]
echo "exit $rc (denied), nothing written"

step "the audit trail: every decision and change, hash-chained"
adm audit verify
adm audit export | /usr/bin/python3 -c 'import json, sys
for line in sys.stdin:
    r = json.loads(line)
    if "event" in r:
        print("  #%-3d %-13s %-8s %s" % (r["seq"], r["event"], r["decision"] or "-", ",".join(r["secrets"]) or r["object"]["name"] if "object" in r else ",".join(r["secrets"])))'

step "SIGTERM: finish in-flight requests, flush the store, exit 0"
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=""
echo "kbs exited $rc"
[ "$rc" = 0 ]
echo
echo "demo: OK (simulated chip; a real guest uses --attester auto on SEV-SNP hardware)"
