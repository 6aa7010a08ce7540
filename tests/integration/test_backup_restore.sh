#!/bin/bash
# test_backup_restore.sh KBS KBS_CLIENT KBS_ADMIN KBS_STORE: the backup and
# restore of docs/operations.md, done as written there.
#
# A broker with the master key as a credential (as the unit runs it)
# releases a secret to a simulated chip; a backup is taken through the
# admin API (kbs-admin backup) and one with kbs-store while it runs, with
# the audit head of the moment. A secret written after the backup is not
# in it. Each backup is restored into a NEW data directory (data.mdb, the
# identity key, nothing else), checked with kbs-store verify and
# verify-audit --expect-head, and a broker started on it releases the
# secret to the same guest (same identity key, so the pinned key still
# verifies) and its audit chain verifies. Refusals: a restore started
# with another master key (store_master_key), a backup into a directory
# that holds files (exists), kbs-store verify-audit with a head the
# restored log does not extend.
set -u
kbs=$1
client=$2
admin=$3
store=$4
. "$(dirname "$0")/lib.sh"
pids=""
trap 'for p in $pids; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT

# start NAME DATA_DIR CREDS_DIR: a broker on loopback; sets NAME_port, NAME_admin, NAME_pid.
start() {
	local name=$1 dir=$2 creds=$3
	rm -f "$tmp/$name.out"
	CREDENTIALS_DIRECTORY=$creds "$kbs" --data-dir "$dir" --listen 127.0.0.1:0 \
		--admin-listen 127.0.0.1:0 --master-key-credential master.key \
		--trust-root "$tmp/chip/ark.pem" >"$tmp/$name.out" 2>"$tmp/$name.log" &
	eval "${name}_pid=$!"
	pids="$pids $!"
	wait_listening "$tmp/$name.out" $! || return 1
	eval "${name}_port=$listen_port ${name}_admin=$listen_admin"
}
stop() { # stop PID: SIGTERM, wait; $stopped is the exit status
	kill -TERM "$1"
	wait "$1"
	stopped=$?
}

"$client" sim-init "$tmp/chip" --product milan >/dev/null || exit 1
measurement=$(awk '/^measurement =/ {print $3}' "$tmp/chip/chip.conf")
cat >"$tmp/prod.json" <<EOF
{"kbs_policy": 1, "name": "prod", "rules": {"product": ["milan"], "measurement": ["$measurement"]}}
EOF
head -c 32 /dev/urandom >"$tmp/disk.key"
head -c 32 /dev/urandom >"$tmp/late.key"

# The master key as the unit passes it: a credential, not in the data directory.
mkdir -m 0700 "$tmp/creds" "$tmp/wrong-creds"
openssl rand -hex 32 >"$tmp/creds/master.key"
openssl rand -hex 32 >"$tmp/wrong-creds/master.key"
chmod 0600 "$tmp/creds/master.key" "$tmp/wrong-creds/master.key"

data=$tmp/data
start main "$data" "$tmp/creds" || {
	echo "FAIL: kbs did not start"
	cat "$tmp/main.log"
	exit 1
}
key=$(awk '/identity key/ {print $NF}' "$tmp/main.out")
adm() { "$admin" --url "http://127.0.0.1:$1" --token-file "$data/admin.token" "${@:2}"; }
gs() { "$client" get-secret --url "http://127.0.0.1:$1" --server-key "$key" "${@:2}"; }

expect "policy put" 0 "" adm "$main_admin" policy put "$tmp/prod.json"
expect "secret put" 0 "" adm "$main_admin" secret put disk-key --policy prod --from-file "$tmp/disk.key"
expect "released before the backup" 0 "" gs "$main_port" --name disk-key --out "$tmp/got0" \
	--attester "sim:$tmp/chip"
expect "no master.key in the data directory" 1 "" test -e "$data/master.key"

# ---- backups: the admin API and kbs-store, with the head of the moment -----
adm "$main_admin" audit verify >"$tmp/verify.json"
head=$(python3 -c 'import json,sys; h=json.load(open(sys.argv[1]))["head"]
print("%d:%s" % (h["seq"], h["sha256"]))' "$tmp/verify.json")
expect "the audit head is read" 0 "" test -n "$head"
expect "kbs-admin backup" 0 "" adm "$main_admin" backup "$tmp/backup-api"
expect "the backup is one data.mdb, 0600" 0 "data.mdb 600" \
	bash -c "cd '$tmp/backup-api' && stat -c '%n %a' *"
CREDENTIALS_DIRECTORY=$tmp/creds expect "kbs-store backup while the broker runs" 0 "" \
	"$store" -d "$data/store" -c master.key backup "$tmp/backup-store"
expect "a backup into a directory with files is refused" 1 "" \
	adm "$main_admin" backup "$tmp/backup-api"
expect_err "exists named" "exists"
# After the backup: not in it.
expect "a secret written after the backup" 0 "" \
	adm "$main_admin" secret put late-key --policy prod --from-file "$tmp/late.key"
stop "$main_pid"
expect "the broker stops cleanly" 0 "0" echo "$stopped"

# ---- restore each into a new data directory ---------------------------------
n=0
for b in backup-api backup-store; do
	n=$((n + 1))
	new=$tmp/restored-$n
	# As docs/operations.md says: a new 0700 directory, the backup's data.mdb
	# as store/data.mdb (0600, no lock.mdb), the saved identity.key.
	mkdir -m 0700 "$new" "$new/store"
	install -m 0600 "$tmp/$b/data.mdb" "$new/store/data.mdb"
	install -m 0600 "$data/identity.key" "$new/identity.key"
	CREDENTIALS_DIRECTORY=$tmp/creds expect "$b: kbs-store verify" 0 "store verified" \
		"$store" -d "$new/store" -c master.key verify
	CREDENTIALS_DIRECTORY=$tmp/creds expect "$b: the log extends the saved head" 0 \
		"audit chain intact" "$store" -d "$new/store" -c master.key verify-audit \
		--expect-head "$head"
	CREDENTIALS_DIRECTORY=$tmp/creds "$store" -d "$new/store" -c master.key verify-audit \
		--expect-head "$head" >"$tmp/va.out" 2>&1
	expect "$b: says it extends the head" 0 "" grep -qF "audit log extends the expected head $head" "$tmp/va.out"
	bogus="${head%%:*}:$(printf '0%.0s' $(seq 64))"
	CREDENTIALS_DIRECTORY=$tmp/creds expect "$b: a head it does not extend is refused" 1 "" \
		"$store" -d "$new/store" -c master.key verify-audit --expect-head "$bogus"

	if [ $n = 1 ]; then
		# The wrong master key: refused at start, nothing created.
		start wrong "$new" "$tmp/wrong-creds"
		wait "$wrong_pid"
		expect "$b: another master key does not start" 0 "1" echo $?
		expect "$b: the error names the key" 0 "" grep -q "store_master_key" "$tmp/wrong.log"
	fi

	start "r$n" "$new" "$tmp/creds" || {
		fail=$((fail + 1))
		echo "FAIL $b: the restored broker did not start"
		cat "$tmp/r$n.log"
		continue
	}
	eval "port=\$r${n}_port admin_port=\$r${n}_admin pid=\$r${n}_pid"
	expect "$b: not a first start" 1 "" grep -q "first start" "$tmp/r$n.out"
	expect "$b: the same identity key" 0 "$key" awk '/identity key/ {print $NF}' "$tmp/r$n.out"
	expect "$b: released from the restored store" 0 "" gs "$port" --name disk-key \
		--out "$tmp/got$n" --attester "sim:$tmp/chip"
	expect "$b: the value is the one stored" 0 "" cmp "$tmp/got$n" "$tmp/disk.key"
	# The bootstrap token is in the store; its file is a copy: bring it along.
	install -m 0600 "$data/admin.token" "$new/admin.token"
	expect "$b: the secret written after the backup is absent" 1 "" \
		"$admin" --url "http://127.0.0.1:$admin_port" --token-file "$new/admin.token" \
		secret show late-key
	expect_err "$b: not_found" "not_found"
	"$admin" --url "http://127.0.0.1:$admin_port" --token-file "$new/admin.token" \
		audit verify >"$tmp/rverify.json" 2>&1
	expect "$b: the audit chain verifies" 0 "True" python3 -c 'import json,sys
print(json.load(open(sys.argv[1]))["intact"])' "$tmp/rverify.json"
	expect "$b: the release was audited after the head" 0 "True" python3 -c 'import json,sys
print(json.load(open(sys.argv[1]))["head"]["seq"] > int(sys.argv[2]))' "$tmp/rverify.json" "${head%%:*}"
	stop "$pid"
	expect "$b: the restored broker stops cleanly" 0 "0" echo "$stopped"
done

# Master-key rotation (docs/operations.md), on the first restored store,
# its broker stopped: kbs-store rotate-key re-seals under a new key and
# audits it; the old key no longer opens the store, the new one serves.
new=$tmp/restored-1
mkdir -m 0700 "$tmp/new-creds"
openssl rand -hex 32 >"$tmp/new-creds/master.key"
chmod 0600 "$tmp/new-creds/master.key"
CREDENTIALS_DIRECTORY=$tmp/creds expect "rotate-key" 0 "master key rotated; audit record " \
	"$store" -d "$new/store" -c master.key rotate-key -k "$tmp/new-creds/master.key"
CREDENTIALS_DIRECTORY=$tmp/creds expect "the old key no longer opens it" 1 "" \
	"$store" -d "$new/store" -c master.key verify
expect_err "... says so" "master key does not match the store"
CREDENTIALS_DIRECTORY=$tmp/new-creds expect "the new key verifies it" 0 "store verified" \
	"$store" -d "$new/store" -c master.key verify
CREDENTIALS_DIRECTORY=$tmp/new-creds "$store" -d "$new/store" -c master.key export-audit \
	>"$tmp/rot.jsonl"
expect "the rotation is audited" 0 "master_key_rotate kbs-store" python3 -c 'import json,sys
r = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
e = [x for x in r if x.get("event") == "master_key_rotate"]
print(e[-1]["event"], e[-1]["actor"]) if e else print("none")' "$tmp/rot.jsonl"
CREDENTIALS_DIRECTORY=$tmp/new-creds expect "rotate-key to a missing file" 1 "" \
	"$store" -d "$new/store" -c master.key rotate-key -k "$tmp/nope.key"
expect_err "... names it" "rotate-key: $tmp/nope.key: No such file or directory"
CREDENTIALS_DIRECTORY=$tmp/new-creds expect "rotate-key usage" 2 "" \
	"$store" -d "$new/store" -c master.key rotate-key "$tmp/new-creds/master.key"
if start rot "$new" "$tmp/new-creds"; then
	expect "released under the new key" 0 "" gs "$rot_port" --name disk-key \
		--out "$tmp/got-rot" --attester "sim:$tmp/chip"
	expect "the value survived the rotation" 0 "" cmp "$tmp/got-rot" "$tmp/disk.key"
	stop "$rot_pid"
	expect "the rotated broker stops cleanly" 0 "0" echo "$stopped"
else
	fail=$((fail + 1))
	echo "FAIL the rotated store did not serve"
	cat "$tmp/rot.log"
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
