#!/bin/bash
# test_scaleout.sh KBS KBS_CLIENT KBS_ADMIN KBS_STORE: scale-out on loopback
# (docs/operations.md, "Scale-out"). A 3-member etcd cluster, 3 kbs replicas
# sharing one master key, HAProxy in TCP mode (round robin) in front:
#   - guests through HAProxy all get their secret, and no attestation ever
#     met a nonce of another replica (challenge and attest share a connection);
#   - a secret put through replica 1 is released by replicas 2 and 3 directly;
#   - replicas that must not apply: one with another master key (every
#     value refused as etcd_record, nothing released), one that never
#     reached etcd (not ready, admin writes 503 etcd_not_synced), one whose
#     store holds a secret etcd lacks (first sync refused, etcd_local_only,
#     the secret kept); one whose store fills up applies what it missed
#     once there is room (root only: a small tmpfs); one whose write was
#     committed but its answer lost (a fake etcd): 503, not sent again;
#   - two admins: a write with a stale If-Match is 409 etcd_conflict;
#   - rollbacks (etcd access, no master key): a policy's older value and a
#     deleted secret's value put back are refused by every replica
#     (etcd_rollback, kbs_etcd_rollbacks_total); admin writes afterwards
#     apply everywhere; a restarted replica still refuses them; a replica
#     behind etcd (a fake) given the current If-Match numbers its write
#     above etcd's current value; a replica that was down while an older
#     value was put back writes (also the bytes it holds) above every
#     replica's number, so all apply it; garbage under a key is passed over
#     like a refused value (If-Match 0 on a deleted secret, a re-push);
#   - replica 3 watches member 3 only: member 3 stopped, writes and a
#     compaction meanwhile, member 3 back: replica 3 resyncs (a full read)
#     and releases the new secret;
#   - replica 2 killed (SIGKILL) under guests: they retry and all succeed;
#   - etcd stopped whole: releases go on, admin writes are 503
#     etcd_unavailable; etcd back: every replica (2 restarted from its
#     store) converges to etcd's revision;
#   - etcd restored from a cold backup (its revision below the replicas'):
#     each replica reads everything again, a secret written then is
#     released by all and they converge to etcd's revision; every audit
#     chain verifies.
# Skips (77) without etcd or haproxy. Ports are picked free at random;
# every wait has a deadline; everything started is killed on exit.
set -u
kbs=$1
client=$2
admin=$3
store=$4
here=$(dirname "$0")
for tool in etcd haproxy curl; do
	if ! command -v "$tool" >/dev/null; then
		echo "SKIP: $tool is not installed (deploy/setup.sh installs etcd-server and haproxy)"
		exit 77
	fi
done
# shellcheck source=lib.sh
. "$here/lib.sh"
pids=()
mounted=""
cleanup() {
	kill_pids
	[ -n "$mounted" ] && umount -l "$mounted"
	[ -n "${KEEP_TMP:-}" ] && echo "kept $tmp" || rm -rf "$tmp"
}
trap cleanup EXIT
t0=$(date +%s)

# ---- etcd --------------------------------------------------------------------

read -r c1 c2 c3 p1 p2 p3 <<<"$(free_ports 6)"
cport=("" "$c1" "$c2" "$c3")
pport=("" "$p1" "$p2" "$p3")
cluster="e1=http://127.0.0.1:$p1,e2=http://127.0.0.1:$p2,e3=http://127.0.0.1:$p3"
epid=("" "" "" "")
etcd_start() {
	local i=$1
	etcd --name "e$i" --data-dir "$tmp/etcd$i" \
		--listen-client-urls "http://127.0.0.1:${cport[$i]}" \
		--advertise-client-urls "http://127.0.0.1:${cport[$i]}" \
		--listen-peer-urls "http://127.0.0.1:${pport[$i]}" \
		--initial-advertise-peer-urls "http://127.0.0.1:${pport[$i]}" \
		--initial-cluster "$cluster" --initial-cluster-state new \
		--initial-cluster-token "kbs-test-$$" \
		>>"$tmp/etcd$i.log" 2>&1 &
	epid[$i]=$!
	pids+=($!)
}
etcd_stop() {
	kill "${epid[$1]}" 2>/dev/null
	wait "${epid[$1]}" 2>/dev/null
}
# etcd_wait I...: until each member says it is healthy (20 s).
etcd_wait() {
	local i n
	for i in "$@"; do
		for n in $(seq 200); do
			if curl -sf -m 1 "http://127.0.0.1:${cport[$i]}/health" | grep -q '"health":"true"'; then
				break
			fi
			sleep 0.1
		done
	done
}
# etcd_rev: the cluster's current revision (from any live member).
etcd_rev() {
	local i
	for i in 1 2 3; do
		if curl -sf -m 1 "http://127.0.0.1:${cport[$i]}/v3/kv/range" -d '{"key":"AA=="}' >"$tmp/rev.json"; then
			json "$tmp/rev.json" 'int(d["header"]["revision"])'
			return
		fi
	done
	echo 0
}
for i in 1 2 3; do etcd_start "$i"; done
etcd_wait 1 2 3
check "etcd cluster healthy" test "$(etcd_rev)" -ge 1

# ---- chip, policy, secrets ------------------------------------------------------

"$client" sim-init "$tmp/chip" --product milan >/dev/null || exit 1
measurement=$(awk '/^measurement =/ {print $3}' "$tmp/chip/chip.conf")
cat >"$tmp/prod.json" <<EOF
{"kbs_policy": 1, "name": "prod", "rules": {"product": ["milan"], "measurement": ["$measurement"],
 "min_tcb": {"milan": {"bootloader": 3, "tee": 0, "snp": 8, "microcode": 115}}}}
EOF
for s in disk late quiet; do head -c 32 /dev/urandom >"$tmp/$s.key"; done

# ---- three replicas, one master key --------------------------------------------

# The master key (secrets) and the identity key (what guests pin) are shared;
# each replica keeps its own nonce key and admin token.
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$tmp/master.hex"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$tmp/identity.hex"
kpid=("" "" "" "")
pub=("" "" "" "")
adm=("" "" "" "")
key=""
kbs_start() {
	local i=$1 out=$tmp/kbs$i.out n
	rm -f "$out"
	"$kbs" --data-dir "$tmp/data$i" --listen "127.0.0.1:${pub[$i]:-0}" \
		--admin-listen "127.0.0.1:${adm[$i]:-0}" --config "$tmp/kbs$i.json" \
		--trust-root "$tmp/chip/ark.pem" >"$out" 2>>"$tmp/kbs$i.log" &
	kpid[$i]=$!
	pids+=($!)
	for n in $(seq 100); do
		if grep -q "listening admin" "$out" 2>/dev/null; then
			pub[$i]=$(awk '/listening public/ {print $NF}' "$out")
			adm[$i]=$(awk '/listening admin/ {print $NF}' "$out")
			return 0
		fi
		sleep 0.1
	done
	echo "FAIL: kbs replica $i did not start"
	cat "$tmp/kbs$i.log"
	exit 1
}
for i in 1 2 3; do
	mkdir -m 700 "$tmp/data$i"
	(umask 077 && cp "$tmp/master.hex" "$tmp/data$i/master.key" &&
		cp "$tmp/identity.hex" "$tmp/data$i/identity.key")
	if [ "$i" = 3 ]; then
		eps="\"http://127.0.0.1:$c3\"" # replica 3 knows member 3 only
	else
		eps="\"http://127.0.0.1:$c1\", \"http://127.0.0.1:$c2\", \"http://127.0.0.1:$c3\""
	fi
	cat >"$tmp/kbs$i.json" <<EOF
{"replica_id": "kbs-$i", "rate_per_ip": 0,
 "etcd": {"endpoints": [$eps], "prefix": "/kbs-test/", "timeout": "1s", "max_lag": 50}}
EOF
	kbs_start "$i"
done
key=$(awk '/identity key/ {print $NF}' "$tmp/kbs1.out")
for i in 2 3; do
	check "replicas share the identity guests pin" test "$(awk '/identity key/ {print $NF}' "$tmp/kbs$i.out")" = "$key"
done

# ready I: replica I's /readyz JSON into $tmp/ready$i.json; 0 when ready.
ready() {
	curl -s -m 2 -o "$tmp/ready$1.json" -w '%{http_code}' "http://127.0.0.1:${pub[$1]}/readyz" | grep -q 200
}
for i in 1 2 3; do
	check "replica $i ready after its first sync" wait_until 15 ready "$i"
done
check "readyz reports the applied revision" test "$(json "$tmp/ready1.json" 'd["applied_revision"] >= 1 and d["synced"]')" = True

A() { "$admin" --url "http://127.0.0.1:${adm[$1]}" --token-file "$tmp/data$1/admin.token" "${@:2}"; }
# gs URL NAME [ARGS]: one guest; the secret on stdout.
gs() {
	"$client" get-secret --url "$1" --server-key "$key" --attester "sim:$tmp/chip" --name "$2" \
		--out - --retries 6 2>>"$tmp/guests.log"
}
# released_by I NAME: replica I (direct) releases NAME, equal to its file.
released_by() {
	"$client" get-secret --url "http://127.0.0.1:${pub[$1]}" --server-key "$key" \
		--attester "sim:$tmp/chip" --name "$2" --out "$tmp/got.$1.$2" 2>/dev/null && cmp -s "$tmp/got.$1.$2" "$tmp/$2.key"
}

expect "policy put through replica 1" 0 "" A 1 policy put "$tmp/prod.json"
expect "secret put through replica 1" 0 "" A 1 secret put disk --policy prod --from-file "$tmp/disk.key"
check "replica 1 releases at once" released_by 1 disk
check "replica 2 releases within 5 s" wait_until 5 released_by 2 disk
check "replica 3 releases within 5 s" wait_until 5 released_by 3 disk

# ---- replicas that must not apply ---------------------------------------------

not_released_by() { ! released_by "$@"; }
not_ready() { ! ready "$1"; }
# extra I KEYFILE CONFIG_JSON: replica I (4 to 6) with its own data directory.
extra() {
	if [ ! -d "$tmp/data$1" ]; then
		mkdir -m 700 "$tmp/data$1"
		(umask 077 && cp "$2" "$tmp/data$1/master.key" &&
			cp "$tmp/identity.hex" "$tmp/data$1/identity.key")
	fi
	printf '%s\n' "$3" >"$tmp/kbs$1.json"
	pub[$1]=""
	adm[$1]=""
	kbs_start "$1"
}
stop_extra() {
	kill "${kpid[$1]}" 2>/dev/null
	wait "${kpid[$1]}" 2>/dev/null
}
etcd_cfg() { # etcd_cfg I ENDPOINT
	printf '{"replica_id": "kbs-%s", "rate_per_ip": 0, "etcd": {"endpoints": ["%s"], "prefix": "/kbs-test/", "timeout": "1s"}}' "$1" "$2"
}
# 4: another master key. It reads etcd, but no value opens under its key:
# nothing is stored, each refusal is logged, nothing is released.
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$tmp/other.hex"
extra 4 "$tmp/other.hex" "$(etcd_cfg 4 "http://127.0.0.1:$c1")"
check "another master key: it syncs" wait_until 10 ready 4
check "another master key: each value refused (etcd_record)" grep -q '"key":"/kbs-test/secrets/disk".*"error":"etcd_record"' "$tmp/kbs4.log"
check "another master key: the secret is not released" not_released_by 4 disk
stop_extra 4
# 5: etcd unreachable from the start: not ready, admin writes 503 etcd_not_synced.
read -r dead <<<"$(free_ports 1)"
extra 5 "$tmp/master.hex" "$(etcd_cfg 5 "http://127.0.0.1:$dead")"
sleep 1
check "never synced: not ready" not_ready 5
check "never synced: readyz says so" test "$(json "$tmp/ready5.json" 'd["synced"], d["etcd_up"]')" = "(False, False)"
put5() {
	curl -s -o "$tmp/put5.json" -w '%{http_code}' -X PUT -H "Authorization: Bearer $(cat "$tmp/data5/admin.token")" \
		"http://127.0.0.1:${adm[5]}/v1/admin/secrets/x" -d '{"policy":"prod","value":"eA=="}'
	printf ' %s\n' "$(json "$tmp/put5.json" 'd.get("error", "")')"
}
expect "never synced: admin writes are 503 etcd_not_synced" 0 "503 etcd_not_synced" put5
stop_extra 5
# 6: a store holding a secret etcd lacks, made before replication was on:
# its first sync refuses (etcd_local_only) instead of deleting it.
extra 6 "$tmp/master.hex" '{"replica_id": "kbs-6"}'
A 6 policy put "$tmp/prod.json" >/dev/null
A 6 secret put local-only --policy prod --from-file "$tmp/quiet.key" >/dev/null
stop_extra 6
extra 6 "$tmp/master.hex" "$(etcd_cfg 6 "http://127.0.0.1:$c1")"
check "local-only secret: the first sync refuses" wait_until 10 grep -q '"secret":"local-only","error":"etcd_local_only"' "$tmp/kbs6.log"
check "local-only secret: not ready" not_ready 6
shows_local_only() { A 6 secret show local-only | grep -q '"policy":.*"prod"'; }
check "local-only secret: still in the store" shows_local_only
stop_extra 6
# 7: a store on a file system that fills up: a change it cannot apply is
# not passed over; once there is room again it is applied.
if [ "$(id -u)" != 0 ]; then
	echo "full store: skipped (mounting a small tmpfs needs root; uid $(id -u))"
elif ! mkdir "$tmp/data7" || ! mount -t tmpfs -o size=8m,mode=0700 kbs-scaleout "$tmp/data7"; then
	echo "full store: skipped (mount -t tmpfs failed)"
else
	mounted=$tmp/data7
	(umask 077 && cp "$tmp/master.hex" "$tmp/data7/master.key" &&
		cp "$tmp/identity.hex" "$tmp/data7/identity.key")
	extra 7 "$tmp/master.hex" "$(etcd_cfg 7 "http://127.0.0.1:$c1")"
	check "full store: it syncs" wait_until 10 ready 7
	dd if=/dev/zero of="$tmp/data7/fill" bs=64k 2>/dev/null # until ENOSPC
	# Free pages inside the store take some writes first.
	for n in $(seq 60); do
		head -c 49152 /dev/urandom >"$tmp/full.key"
		A 1 secret put full --policy prod --from-file "$tmp/full.key" >/dev/null 2>&1 || break
		sleep 0.2
		grep -q '"key":"/kbs-test/secrets/full".*"error":"store_full"' "$tmp/kbs7.log" && break
	done
	check "full store: replica 7 could not apply a change" grep -q '"key":"/kbs-test/secrets/full".*"error":"store_full"' "$tmp/kbs7.log"
	rm -f "$tmp/data7/fill"
	check "full store: room again, replica 7 releases it" wait_until 10 released_by 7 full
	stop_extra 7
fi

# 8: etcd commits a write and its answer is lost (an endpoint takes the
# transaction and never answers): the replica must not ask the next
# endpoint, whose compare fails, and call it 409 "nothing was written".
cat >"$tmp/fake_etcd.py" <<'EOF'
import base64, http.server, json, sys, threading, time
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    def log_message(self, *a):
        pass
    def do_POST(self):
        req = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        # The second one: the watch moves the replica's requests there (etcd.c).
        hung = self.server.server_port == int(sys.argv[2])
        if self.path == "/v3/kv/txn" and hung:
            open(sys.argv[3], "a").write("txn\n")  # "committed"; the answer never comes
            time.sleep(5)
            return
        if self.path == "/v3/watch":
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'{"result":{"header":{"revision":"7"},"created":true}}\n')
            self.wfile.flush()
            time.sleep(30)
            return
        if self.path == "/v3/kv/txn":
            body = {"header": {"revision": "8"}, "succeeded": False}
        else:  # the bound policy is in etcd (its value opens nowhere: only its revision counts)
            key = base64.b64encode(b"/kbs-test/policies/prod").decode()
            body = {"header": {"revision": "7"}, "kvs": [{"key": key, "mod_revision": "3",
                    "create_revision": "3", "version": "1", "value": "eA=="}], "count": "1"}
            if b"count_only" in req:
                body = {"header": {"revision": "7"}, "count": "1"}
        out = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)
for port in sys.argv[1:3]:
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", int(port)), H)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
time.sleep(600)
EOF
read -r f1 f2 <<<"$(free_ports 2)"
/usr/bin/python3 "$tmp/fake_etcd.py" "$f1" "$f2" "$tmp/fake_txn.log" &
pids+=($!)
extra 8 "$tmp/master.hex" "{\"replica_id\": \"kbs-8\", \"etcd\": {\"endpoints\": [\"http://127.0.0.1:$f1\", \"http://127.0.0.1:$f2\"], \"prefix\": \"/kbs-test/\", \"timeout\": \"1s\"}}"
check "answer lost: replica 8 syncs with the fake etcd" wait_until 10 ready 8
put8() {
	curl -s -o "$tmp/put8.json" -w '%{http_code}' -X PUT -H "Authorization: Bearer $(cat "$tmp/data8/admin.token")" \
		"http://127.0.0.1:${adm[8]}/v1/admin/secrets/x" -d '{"policy":"prod","value":"eA=="}'
	printf ' %s\n' "$(json "$tmp/put8.json" 'd.get("error", "")')"
}
expect "answer lost: the write is 503 etcd_unavailable (outcome unknown), not 409" 0 "503 etcd_unavailable" put8
check "answer lost: the transaction was sent once" test "$(wc -l <"$tmp/fake_txn.log")" = 1
stop_extra 8

# ---- two admins ------------------------------------------------------------------

T1=$(cat "$tmp/data1/admin.token")
T2=$(cat "$tmp/data2/admin.token")
put() { # put I IF_MATCH NAME FILE: status and error of an admin secret PUT
	local h=()
	[ -n "$2" ] && h=(-H "If-Match: \"$2\"")
	curl -s -o "$tmp/put.json" -w '%{http_code}' -X PUT -H "Authorization: Bearer $(cat "$tmp/data$1/admin.token")" \
		"${h[@]}" "http://127.0.0.1:${adm[$1]}/v1/admin/secrets/$3" \
		-d "{\"policy\":\"prod\",\"value\":\"$(base64 -w0 "$4")\"}"
	printf ' %s\n' "$(json "$tmp/put.json" 'd.get("error", "")')"
}
curl -s -H "Authorization: Bearer $T1" "http://127.0.0.1:${adm[1]}/v1/admin/secrets/disk" >"$tmp/show1.json"
rev=$(json "$tmp/show1.json" 'd["revision"]')
check "secret show carries its revision" test "${rev:-0}" -ge 1
wait_until 5 bash -c "curl -s -H 'Authorization: Bearer $T2' http://127.0.0.1:${adm[2]}/v1/admin/secrets/disk | grep -q '\"revision\":$rev'"
expect "admin 2 writes with the revision it saw" 0 "201 " put 2 "$rev" disk "$tmp/disk.key"
expect "admin 1, same revision, is refused" 0 "409 etcd_conflict" put 1 "$rev" disk "$tmp/disk.key"
expect "If-Match must be a number" 0 "400 etcd_if_match" put 1 "-3" disk "$tmp/disk.key"
expect "kbs-admin --if-match, stale" 1 "" A 1 secret put disk --policy prod --from-file "$tmp/disk.key" --if-match "$rev"
expect_err "kbs-admin names the conflict" "etcd_conflict"
rev2=$(A 1 secret show disk | json - 'd["revision"]')
expect "kbs-admin --if-match, current" 0 "" A 1 secret put disk --policy prod --from-file "$tmp/disk.key" --if-match "$rev2"
expect "kbs-admin --if-match needs a number" 2 "" A 1 secret delete disk --if-match x
expect_err "kbs-admin says why" "--if-match needs a revision number"
expect "kbs-admin --if-match is not taken by secret show" 2 "" A 1 secret show disk --if-match 1
expect "a new name with If-Match 0 (must not exist)" 0 "201 " put 1 0 quiet "$tmp/quiet.key"
expect "If-Match 0 on an existing name" 0 "409 etcd_conflict" put 1 0 quiet "$tmp/quiet.key"
expect "delete with a stale revision" 0 "409 etcd_conflict" bash -c "curl -s -o '$tmp/del.json' -w '%{http_code}' -X DELETE -H 'Authorization: Bearer $T1' -H 'If-Match: 1' http://127.0.0.1:${adm[1]}/v1/admin/secrets/quiet; printf ' %s\n' \"\$(/usr/bin/python3 -c 'import json;print(json.load(open(\"$tmp/del.json\"))[\"error\"])')\""
expect "delete through replica 3" 0 "" A 3 secret delete quiet
check "replica 1 forgets the deleted secret" wait_until 5 bash -c "curl -s -H 'Authorization: Bearer $T1' http://127.0.0.1:${adm[1]}/v1/admin/secrets/quiet | grep -q not_found"

# ---- rollbacks: an etcd writer without the master key puts old values back ---------

# etcd_get KEY: the base64 value etcd holds at KEY ("" if none).
etcd_get() {
	curl -sf -m 2 "http://127.0.0.1:$c1/v3/kv/range" -d "{\"key\":\"$(printf '%s' "$1" | base64 -w0)\"}" >"$tmp/get.json"
	json "$tmp/get.json" 'd["kvs"][0]["value"] if d.get("kvs") else ""'
}
# etcd_put KEY B64: what the attacker does (etcd access, no master key).
etcd_put() {
	curl -sf -m 2 "http://127.0.0.1:$c1/v3/kv/put" -d "{\"key\":\"$(printf '%s' "$1" | base64 -w0)\",\"value\":\"$2\"}" >/dev/null
}
# policy_sha I: the sha256 of prod as replica I holds it.
policy_sha() { A "$1" policy show prod | json - 'd["sha256"]'; }
file_sha() { sha256sum "$1" | awk '{print $1}'; }
rollbacks() { curl -s "http://127.0.0.1:${pub[$1]}/metrics" | awk '$1 == "kbs_etcd_rollbacks_total" {print $2}'; }
# refused I KEY N: replica I logged N etcd_rollback refusals of KEY.
refused() { test "$(grep -c "\"event\":\"etcd_rollback\",\"key\":\"$2\"" "$tmp/kbs$1.log")" -ge "$3"; }
shows_policy() { test "$(policy_sha "$1")" = "$(file_sha "$2")"; }
forgot() { A "$1" secret show "$2" 2>&1 | grep -q not_found; }
# (a) a policy goes back to an older version
old_policy=$(etcd_get /kbs-test/policies/prod)
check "rollback: etcd holds the policy's value" test -n "$old_policy"
sed 's/"kbs_policy": 1,/"kbs_policy": 1, /' "$tmp/prod.json" >"$tmp/prod2.json" # new bytes, same rules
expect "rollback: a newer policy version through replica 1" 0 "" A 1 policy put "$tmp/prod2.json"
for i in 1 2 3; do
	check "rollback: replica $i holds the newer policy" wait_until 5 shows_policy "$i" "$tmp/prod2.json"
	expect "rollback: replica $i counted no rollback yet" 0 "0" rollbacks "$i"
done
check "rollback: the attacker puts the older value back" etcd_put /kbs-test/policies/prod "$old_policy"
for i in 1 2 3; do
	check "rollback: replica $i refuses it (etcd_rollback)" wait_until 5 refused "$i" /kbs-test/policies/prod 1
	check "rollback: replica $i logged it once" test "$(grep -c '"event":"etcd_rollback","key":"/kbs-test/policies/prod"' "$tmp/kbs$i.log")" = 1
	check "rollback: replica $i logged both seqs" grep -q '"event":"etcd_rollback","key":"/kbs-test/policies/prod","revision":[0-9]*,"held_seq":[0-9]*,"offered_seq":[0-9]*' "$tmp/kbs$i.log"
	check "rollback: replica $i keeps the newer policy" shows_policy "$i" "$tmp/prod2.json"
	expect "rollback: replica $i counted it" 0 "1" rollbacks "$i"
	check "rollback: replica $i still releases under it" released_by "$i" disk
done
# (b) a deleted secret comes back
head -c 32 /dev/urandom >"$tmp/gone.key"
expect "tombstone: a secret to delete" 0 "" A 1 secret put gone --policy prod --from-file "$tmp/gone.key"
for i in 1 2 3; do check "tombstone: replica $i releases it" wait_until 5 released_by "$i" gone; done
old_secret=$(etcd_get /kbs-test/secrets/gone)
expect "tombstone: delete through replica 2" 0 "" A 2 secret delete gone
check "tombstone: etcd keeps a tombstone at the key" test -n "$(etcd_get /kbs-test/secrets/gone)"
check "tombstone: etcd's value is not the secret's any more" test "$(etcd_get /kbs-test/secrets/gone)" != "$old_secret"
for i in 1 2 3; do check "tombstone: replica $i forgets it" wait_until 5 forgot "$i" gone; done
expect "tombstone: a second delete is 404 not_found" 1 "" A 1 secret delete gone
expect_err "tombstone: kbs-admin says not_found" "not_found"
check "tombstone: the attacker puts the deleted value back" etcd_put /kbs-test/secrets/gone "$old_secret"
for i in 1 2 3; do
	check "tombstone: replica $i refuses it (etcd_rollback)" wait_until 5 refused "$i" /kbs-test/secrets/gone 1
	check "tombstone: replica $i keeps it deleted" forgot "$i" gone
	check "tombstone: replica $i does not release it" not_released_by "$i" gone
	expect "tombstone: replica $i counted two rollbacks" 0 "2" rollbacks "$i"
done
# (c) admin writes after the refused values are applied everywhere
expect "after a rollback: the same policy bytes again go to etcd" 0 "" A 1 policy put "$tmp/prod2.json"
check "after a rollback: etcd holds a new value of the policy" test "$(etcd_get /kbs-test/policies/prod)" != "$old_policy"
sed 's/"kbs_policy": 1,/"kbs_policy": 1,  /' "$tmp/prod.json" >"$tmp/prod3.json"
expect "after a rollback: a newer policy through replica 3" 0 "" A 3 policy put "$tmp/prod3.json"
expect "after a rollback: If-Match 0 on a deleted secret (a tombstone is absent)" 0 "201 " put 1 0 gone "$tmp/gone.key"
for i in 1 2 3; do
	check "after a rollback: replica $i holds the newest policy" wait_until 5 shows_policy "$i" "$tmp/prod3.json"
	check "after a rollback: replica $i releases the secret put again" wait_until 5 released_by "$i" gone
done
# (d) durable: replica 2 restarted refuses the old bytes again
kill "${kpid[2]}" 2>/dev/null
wait "${kpid[2]}" 2>/dev/null
check "durable: the attacker puts the old policy back while replica 2 is down" etcd_put /kbs-test/policies/prod "$old_policy"
check "durable: and the secret's first value" etcd_put /kbs-test/secrets/gone "$old_secret"
before2=$(grep -c '"event":"etcd_rollback"' "$tmp/kbs2.log")
kbs_start 2
check "durable: replica 2 ready again" wait_until 15 ready 2
check "durable: replica 2 refuses both at its full read" wait_until 5 bash -c "test \$(grep -c '\"event\":\"etcd_rollback\"' '$tmp/kbs2.log') -ge $((before2 + 2))"
check "durable: replica 2 keeps the newest policy" shows_policy 2 "$tmp/prod3.json"
check "durable: replica 2 releases the secret's newest value" released_by 2 gone
for i in 1 3; do
	check "durable: replica $i keeps the newest policy" shows_policy "$i" "$tmp/prod3.json"
done
# Put etcd right again for what follows: the newest policy and secret pushed over the old bytes.
expect "re-push the policy over the old bytes" 0 "" A 1 policy put "$tmp/prod3.json"
expect "re-push the secret over the old bytes" 0 "" A 1 secret put gone --policy prod --from-file "$tmp/gone.key"
check "re-pushed: etcd holds a new policy value" test "$(etcd_get /kbs-test/policies/prod)" != "$old_policy"
# (e) a replica behind etcd, given the current If-Match: it asks etcd for the
# current value's number and writes above it, not above its own (a fake
# etcd: its first full read shows the old value at revision 3, any later
# read the newest at revision 9; the transaction is recorded, not applied).
new_policy=$(etcd_get /kbs-test/policies/prod)
seq_of() { printf '%s' "$1" | base64 -d | /usr/bin/python3 -c 'import sys; print(int.from_bytes(sys.stdin.buffer.read()[13:21], "little"))'; }
# fake_http.Base: what the fakes below share (one JSON answer; a watch's first line).
cat >"$tmp/fake_http.py" <<'EOF'
import http.server, json
class Base(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    def log_message(self, *a):
        pass
    def answer(self, body):
        out = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)
    def watch_created(self, revision):
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b'{"result":{"header":{"revision":"%d"},"created":true}}\n' % revision)
EOF
cat >"$tmp/fake_behind.py" <<'EOF'
import base64, http.server, json, sys, threading, time
import fake_http
key = base64.b64encode(b"/kbs-test/policies/prod").decode()
state = {"ranges": 0}
class H(fake_http.Base):
    def do_POST(self):
        req = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path == "/v3/watch":
            self.watch_created(9)
            self.wfile.flush()
            time.sleep(30)
            return
        if self.path == "/v3/kv/txn":
            open(sys.argv[4], "ab").write(req + b"\n")
            self.answer({"header": {"revision": "10"}, "succeeded": True})
            return
        if b"count_only" in req:
            self.answer({"header": {"revision": "9"}, "count": "1"})
            return
        state["ranges"] += 1
        old = state["ranges"] == 1
        kv = {"key": key, "mod_revision": "3" if old else "9", "create_revision": "2",
              "version": "1" if old else "5", "value": sys.argv[2] if old else sys.argv[3]}
        self.answer({"header": {"revision": "9"}, "kvs": [kv], "count": "1"})
srv = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H)
srv.daemon_threads = True
srv.serve_forever()
EOF
read -r f9 <<<"$(free_ports 1)"
/usr/bin/python3 "$tmp/fake_behind.py" "$f9" "$old_policy" "$new_policy" "$tmp/behind_txn.log" &
pids+=($!)
extra 9 "$tmp/master.hex" "$(etcd_cfg 9 "http://127.0.0.1:$f9")"
check "behind: replica 9 syncs with the old value" wait_until 10 ready 9
check "behind: replica 9 holds the old policy" shows_policy 9 "$tmp/prod.json"
expect "behind: replica 9 writes with the current If-Match" 0 "" A 9 policy put "$tmp/prod3.json" --if-match 9
written_seq() {
	/usr/bin/python3 -c 'import base64, json, sys
t = json.loads(open(sys.argv[1]).readline())
v = base64.b64decode(t["success"][0]["request_put"]["value"])
print(t["compare"][0]["mod_revision"], v[:12] == b"kbs-etcd-v2\0", int.from_bytes(v[13:21], "little"))' "$tmp/behind_txn.log"
}
check "behind: etcd's newest value is numbered above the old one" test "$(seq_of "$new_policy")" -gt "$(seq_of "$old_policy")"
expect "behind: its value is numbered above etcd's current one, compared with revision 9" 0 "9 True $(($(seq_of "$new_policy") + 1))" written_seq
stop_extra 9

# (f) a replica that lagged behind an etcd writer's put-back: replica 2 is down
# while a newer value is written, the attacker puts the older one back, and
# replica 2 comes back holding (and seeing in etcd) the older number. A write
# through it must still be numbered above what replicas 1 and 3 hold (etcd's
# revision is the floor), so all three apply it and none logs etcd_rollback
# for it; a re-push of the bytes replica 2 holds goes to etcd too.
pol_sha() { A "$1" policy show "$2" | json - 'd["sha256"]'; }
holds_pol() { test "$(pol_sha "$1" "$2")" = "$(file_sha "$3")"; }
rollbacks_of() { grep -c "\"event\":\"etcd_rollback\",\"key\":\"$2\"" "$tmp/kbs$1.log"; }
bound_to() { test "$(A "$1" secret show "$2" | json - 'd["policy"]')" = "$3"; }
for v in 1 2 3; do
	sed -e 's/"name": "prod"/"name": "lag"/' -e "s/\"bootloader\": 3/\"bootloader\": $v/" "$tmp/prod.json" >"$tmp/lag$v.json"
done
sed 's/"name": "prod"/"name": "locked"/' "$tmp/prod.json" >"$tmp/locked.json"
# lag_start KEY: replica 2 down, the value just written through replica 1 is
# replaced in etcd by the attacker's copy of $old (replicas 1 and 3 refuse it),
# replica 2 back and ready.
lag_start() {
	local b1 b3
	b1=$(rollbacks_of 1 "$1")
	b3=$(rollbacks_of 3 "$1")
	etcd_put "$1" "$old"
	check "lagged: replica 1 refuses the put-back of $1" wait_until 5 refused 1 "$1" $((b1 + 1))
	check "lagged: replica 3 refuses the put-back of $1" wait_until 5 refused 3 "$1" $((b3 + 1))
	kbs_start 2
	check "lagged: replica 2 ready again" wait_until 15 ready 2
}
lag_stop2() {
	kill "${kpid[2]}" 2>/dev/null
	wait "${kpid[2]}" 2>/dev/null
}
# The policy: lag1 everywhere, lag2 while replica 2 is down, lag1's value put back.
expect "lagged: policy lag1 through replica 1" 0 "" A 1 policy put "$tmp/lag1.json"
check "lagged: replica 2 holds lag1" wait_until 5 holds_pol 2 lag "$tmp/lag1.json"
old=$(etcd_get /kbs-test/policies/lag)
lag_stop2
expect "lagged: policy lag2 through replica 1 (replica 2 down)" 0 "" A 1 policy put "$tmp/lag2.json"
lag_start /kbs-test/policies/lag
check "lagged: replica 2 holds lag1 (it never saw lag2)" holds_pol 2 lag "$tmp/lag1.json"
n1=$(rollbacks_of 1 /kbs-test/policies/lag)
n3=$(rollbacks_of 3 /kbs-test/policies/lag)
expect "lagged: policy lag3 through replica 2" 0 "" A 2 policy put "$tmp/lag3.json"
for i in 1 2 3; do
	check "lagged: replica $i holds lag3" wait_until 5 holds_pol "$i" lag "$tmp/lag3.json"
done
check "lagged: replica 1 logged no etcd_rollback for the honest write" test "$(rollbacks_of 1 /kbs-test/policies/lag)" = "$n1"
check "lagged: replica 3 logged no etcd_rollback for the honest write" test "$(rollbacks_of 3 /kbs-test/policies/lag)" = "$n3"
# Again, and this time replica 2 re-pushes the very bytes it holds (lag3).
old=$(etcd_get /kbs-test/policies/lag)
lag_stop2
expect "lagged: policy lag2 again through replica 1 (replica 2 down)" 0 "" A 1 policy put "$tmp/lag2.json"
lag_start /kbs-test/policies/lag
n1=$(rollbacks_of 1 /kbs-test/policies/lag)
expect "lagged: re-push of lag3 (the bytes replica 2 holds) through replica 2" 0 "" A 2 policy put "$tmp/lag3.json"
for i in 1 2 3; do
	check "lagged: after the re-push replica $i holds lag3" wait_until 5 holds_pol "$i" lag "$tmp/lag3.json"
done
check "lagged: replica 1 logged no etcd_rollback for the re-push" test "$(rollbacks_of 1 /kbs-test/policies/lag)" = "$n1"
# The secret: bound to prod everywhere, rewritten while replica 2 is down, the
# first value put back; replica 2 re-binds it to locked with a new value.
expect "lagged: policy locked" 0 "" A 1 policy put "$tmp/locked.json"
head -c 32 /dev/urandom >"$tmp/lagsec.key"
expect "lagged: secret lagsec bound to prod" 0 "" A 1 secret put lagsec --policy prod --from-file "$tmp/lagsec.key"
check "lagged: replica 2 releases lagsec" wait_until 5 released_by 2 lagsec
old=$(etcd_get /kbs-test/secrets/lagsec)
lag_stop2
head -c 32 /dev/urandom >"$tmp/lagsec.key"
expect "lagged: lagsec rewritten through replica 1 (replica 2 down)" 0 "" A 1 secret put lagsec --policy prod --from-file "$tmp/lagsec.key"
lag_start /kbs-test/secrets/lagsec
n1=$(rollbacks_of 1 /kbs-test/secrets/lagsec)
head -c 32 /dev/urandom >"$tmp/lagsec.key"
expect "lagged: lagsec re-bound to locked through replica 2" 0 "" A 2 secret put lagsec --policy locked --from-file "$tmp/lagsec.key"
for i in 1 2 3; do
	check "lagged: replica $i binds lagsec to locked" wait_until 5 bound_to "$i" lagsec locked
	check "lagged: replica $i releases the new value" wait_until 5 released_by "$i" lagsec
done
check "lagged: replica 1 logged no etcd_rollback for the re-binding" test "$(rollbacks_of 1 /kbs-test/secrets/lagsec)" = "$n1"

# (g) garbage (a value that does not open) under a key is passed over like a
# refused value: over a deleted secret If-Match 0 creates it again, and the
# bytes a replica holds pushed again reach etcd.
head -c 32 /dev/urandom >"$tmp/junk.key"
expect "garbage: a secret to delete" 0 "" A 1 secret put junk --policy prod --from-file "$tmp/junk.key"
expect "garbage: deleted" 0 "" A 1 secret delete junk
for i in 1 2 3; do check "garbage: replica $i forgets it" wait_until 5 forgot "$i" junk; done
junk=$(printf 'not a kbs value' | base64 -w0)
check "garbage: the attacker puts garbage over the tombstone" etcd_put /kbs-test/secrets/junk "$junk"
check "garbage: replica 1 passes it over (etcd_record)" wait_until 5 grep -q '"key":"/kbs-test/secrets/junk".*"error":"etcd_record"' "$tmp/kbs1.log"
expect "garbage: If-Match 0 over it on the deleted secret" 0 "201 " put 1 0 junk "$tmp/junk.key"
for i in 1 2 3; do check "garbage: replica $i releases the secret made again" wait_until 5 released_by "$i" junk; done
sed 's/"name": "prod"/"name": "junkpol"/' "$tmp/prod.json" >"$tmp/junkpol.json"
expect "garbage: a policy" 0 "" A 1 policy put "$tmp/junkpol.json"
for i in 1 2 3; do check "garbage: replica $i holds the policy" wait_until 5 holds_pol "$i" junkpol "$tmp/junkpol.json"; done
check "garbage: the attacker puts garbage over the policy" etcd_put /kbs-test/policies/junkpol "$junk"
check "garbage: replica 1 passes the policy's over (etcd_record)" wait_until 5 grep -q '"key":"/kbs-test/policies/junkpol".*"error":"etcd_record"' "$tmp/kbs1.log"
expect "garbage: the bytes replica 1 holds pushed again" 0 "" A 1 policy put "$tmp/junkpol.json"
check "garbage: etcd holds a value of the policy again" test "$(etcd_get /kbs-test/policies/junkpol)" != "$junk"
for i in 1 2 3; do check "garbage: replica $i still holds the policy" holds_pol "$i" junkpol "$tmp/junkpol.json"; done

# (h) a watch message whose third event the store fails to take (an
# authentic value around a sealed record that does not decode): the two
# before it, one policy written twice, are applied; the watch is opened
# again at the failed event's revision, and a replay of the earlier ones
# would be no rollback (a fake etcd: no keys at revision 4, then the policy
# at 5 and 6 and the bad secret at 7; it records each watch's start).
cat >"$tmp/fake_replay.py" <<'EOF'
import base64, hashlib, hmac, http.server, json, struct, sys, time
import fake_http
master = bytes.fromhex(open(sys.argv[2]).read().strip())
# keystore/masterkey.c: record_mac = crypto_kdf_derive_from_key(32, 4, "kbsstore", master)
mac_key = hashlib.blake2b(b"", digest_size=32, key=master, salt=struct.pack("<Q", 4) + bytes(8),
                          person=b"kbsstore" + bytes(8)).digest()
def value(kind, seq, name, payload):  # kbs/replica_value.c, kbs-etcd-v2
    def s(b):
        return bytes([len(b)]) + b
    v = (b"kbs-etcd-v2\0" + bytes([kind]) + struct.pack("<Q", seq) + s(name) + s(b"replay-admin")
         + s(b"") + s(b"kbs-fake") + struct.pack("<I", len(payload)) + payload)
    return v + hmac.new(mac_key, b"kbs-replica-v1\0" + v, hashlib.sha256).digest()
def kv(key, rev, val):
    return {"key": base64.b64encode(key).decode(), "mod_revision": str(rev), "create_revision": "5",
            "version": "1", "value": base64.b64encode(val).decode()}
events = [kv(b"/kbs-test/policies/rp", 5, value(2, 5, b"rp", open(sys.argv[3], "rb").read())),
          kv(b"/kbs-test/policies/rp", 6, value(2, 6, b"rp", open(sys.argv[4], "rb").read())),
          kv(b"/kbs-test/secrets/bad", 7, value(1, 7, b"bad", b"not a sealed record"))]
class H(fake_http.Base):
    def do_POST(self):
        req = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
        if self.path == "/v3/watch":
            start = int(req["create_request"]["start_revision"])
            open(sys.argv[5], "a").write("%d\n" % start)
            self.watch_created(7)
            evs = [{"kv": e} for e in events if int(e["mod_revision"]) >= start]
            self.wfile.write(json.dumps({"result": {"header": {"revision": "7"}, "events": evs}}).encode() + b"\n")
            self.wfile.flush()
            time.sleep(30)
            return
        if self.path == "/v3/kv/txn":
            self.answer({"header": {"revision": "8"}, "succeeded": False})
            return
        self.answer({"header": {"revision": "7" if state["synced"] else "4"}, "count": "0"})
        state["synced"] = True
state = {"synced": False}
srv = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H)
srv.daemon_threads = True
srv.serve_forever()
EOF
sed 's/"name": "prod"/"name": "rp"/' "$tmp/prod.json" >"$tmp/rp1.json"
sed 's/"name": "prod"/"name": "rp", /' "$tmp/prod.json" >"$tmp/rp2.json"
read -r f10 <<<"$(free_ports 1)"
/usr/bin/python3 "$tmp/fake_replay.py" "$f10" "$tmp/master.hex" "$tmp/rp1.json" "$tmp/rp2.json" "$tmp/replay_watch.log" &
pids+=($!)
extra 10 "$tmp/master.hex" "$(etcd_cfg 10 "http://127.0.0.1:$f10")"
watches() { test "$(wc -l <"$tmp/replay_watch.log" 2>/dev/null || echo 0)" -ge "$1"; }
check "replay: replica 10 opened its watch three times" wait_until 15 watches 3
check "replay: the bad secret stopped it (etcd_apply logged)" grep -q '"key":"/kbs-test/secrets/bad".*"error"' "$tmp/kbs10.log"
check "replay: replica 10 holds the policy's second value" holds_pol 10 rp "$tmp/rp2.json"
expect "replay: the first watch from 5, every later one from 7 (the failed event)" 0 "5 7 7" bash -c "head -3 '$tmp/replay_watch.log' | tr '\\n' ' '"
check "replay: no etcd_rollback logged" test "$(grep -c '"event":"etcd_rollback"' "$tmp/kbs10.log")" = 0
expect "replay: none counted" 0 "0" rollbacks 10
stop_extra 10

# ---- guests through HAProxy (round robin, TCP) --------------------------------

# haproxy_up: HAProxy on a port picked just now (one picked at the start
# may have been taken since, by a port-0 listener or an outgoing
# connection of another test); a few tries, each with a fresh port.
haproxy_up() {
	local try
	for try in 1 2 3; do
		read -r hp <<<"$(free_ports 1)"
		cat >"$tmp/haproxy.cfg" <<-EOF
		global
		    maxconn 512
		defaults
		    mode tcp
		    timeout connect 1s
		    timeout client 30s
		    timeout server 30s
		    retries 3
		    option redispatch
		frontend kbs
		    bind 127.0.0.1:$hp
		    default_backend replicas
		backend replicas
		    balance roundrobin
		    server r1 127.0.0.1:${pub[1]} check inter 300ms fall 1 rise 2
		    server r2 127.0.0.1:${pub[2]} check inter 300ms fall 1 rise 2
		    server r3 127.0.0.1:${pub[3]} check inter 300ms fall 1 rise 2
		EOF
		haproxy -db -f "$tmp/haproxy.cfg" >"$tmp/haproxy.log" 2>&1 &
		pids+=($!)
		if wait_until 20 bash -c "curl -sf -m 1 http://127.0.0.1:$hp/healthz >/dev/null"; then
			return 0
		fi
		echo "haproxy on port $hp did not serve (try $try):"
		tail -5 "$tmp/haproxy.log"
		kill "${pids[-1]}" 2>/dev/null
	done
	return 1
}
check "HAProxy in front of the replicas serves" haproxy_up
LB=http://127.0.0.1:$hp

# guest TAG I NAME: one guest through HAProxy in the background; its pid joins gpids.
gpids=()
guest() {
	(gs "$LB" "$3" >"$tmp/g.$1.$2" && cmp -s "$tmp/g.$1.$2" "$tmp/$3.key" && touch "$tmp/ok.$1.$2") &
	gpids+=($!)
}
# wait_guests TAG N: waits for the guests (each bounded by its own timeouts
# and retries) and prints how many got their secret right.
wait_guests() {
	local good=0 i p
	for p in "${gpids[@]}"; do wait "$p"; done
	gpids=()
	for i in $(seq "$2"); do [ -e "$tmp/ok.$1.$i" ] && good=$((good + 1)); done
	echo "$good"
}
# guests N NAME TAG: N guests at once; prints how many got NAME right.
guests() {
	local i
	for i in $(seq "$1"); do guest "$3" "$i" "$2"; done
	wait_guests "$3" "$1"
}
expect "24 guests through HAProxy all succeed" 0 "24" guests 24 disk lb
# other_replica I: the nonce_other_replica refusals replica I counted.
other_replica() {
	curl -s "http://127.0.0.1:${pub[$1]}/metrics" | awk '/^kbs_attest_refused_evidence_total\{reason="nonce_other_replica"\}/ {print $2}' | grep . || echo 0
}
for i in 1 2 3; do
	# Round robin would send a second connection elsewhere: none did.
	expect "replica $i: no attest on another replica's nonce" 0 "0" other_replica "$i"
	expect "replica $i served guests" 0 "" bash -c "curl -s http://127.0.0.1:${pub[$i]}/metrics | grep -q '^kbs_attest_decisions_total{result=\"released\"} [1-9]'"
done

# ---- a member down, a compaction, a resync -----------------------------------------

etcd_stop 3
expect "a secret put while member 3 is down" 0 "" A 1 secret put late --policy prod --from-file "$tmp/late.key"
# One more write, so the compaction passes the revision replica 3 resumes from.
expect "and another" 0 "" A 1 secret put quiet --policy prod --from-file "$tmp/quiet.key"
now=$(etcd_rev)
expect "etcd compacts to its current revision" 0 "" curl -sf "http://127.0.0.1:$c1/v3/kv/compaction" -d "{\"revision\":\"$now\",\"physical\":true}"
etcd_start 3
etcd_wait 3
check "replica 3 (member 3 only) resyncs and releases the new secret" wait_until 20 released_by 3 late
metric() { curl -s "http://127.0.0.1:${pub[$1]}/metrics" | awk -v m="$2" '$1 == m {print $2}'; }
check "replica 3 counted a resync" test "$(metric 3 kbs_etcd_resyncs_total)" -ge 1
check "replica 3 counted watch reconnects" test "$(metric 3 kbs_etcd_watch_reconnects_total)" -ge 1
check "replica 1 resynced never" test "$(metric 1 kbs_etcd_resyncs_total)" = 0
expect "kbs_etcd_up" 0 "1" metric 1 kbs_etcd_up

# ---- a replica killed under load ------------------------------------------------------

for i in $(seq 30); do
	guest kill "$i" disk
	[ "$i" = 10 ] && kill -9 "${kpid[2]}"
done
wait_guests kill 30 >"$tmp/kill.count" # here: only this shell can wait for them
expect "30 guests, replica 2 killed among them: all succeed" 0 "30" cat "$tmp/kill.count"
wait "${kpid[2]}" 2>/dev/null

# ---- etcd down whole -------------------------------------------------------------------

for i in 1 2 3; do etcd_stop "$i"; done
# A cold backup of every member, restored at the end (etcd's revision goes back).
for i in 1 2 3; do cp -a "$tmp/etcd$i" "$tmp/etcd$i.backup"; done
expect "etcd down: guests through HAProxy still succeed" 0 "6" guests 6 disk down
check "etcd down: replica 3 releases directly" released_by 3 late
expect "etcd down: admin writes are 503 etcd_unavailable" 0 "503 etcd_unavailable" put 1 "" disk "$tmp/disk.key"
check "etcd down: kbs_etcd_up is 0" wait_until 5 bash -c "curl -s http://127.0.0.1:${pub[1]}/metrics | grep -qx 'kbs_etcd_up 0'"
check "etcd down: a synced replica stays ready" ready 1

# ---- etcd back: convergence ----------------------------------------------------------------

for i in 1 2 3; do etcd_start "$i"; done
etcd_wait 1 2 3
written() { put 1 "" disk "$tmp/disk.key" | grep -q '^201'; }
check "etcd back: admin writes succeed again" wait_until 20 written
kbs_start 2 # from its store: it re-reads etcd
converged() {
	local want i
	want=$(etcd_rev)
	for i in 1 2 3; do
		ready "$i" || return 1
		[ "$(json "$tmp/ready$i.json" 'd["applied_revision"]')" = "$want" ] || return 1
	done
}
check "every replica converges to etcd's revision" wait_until 20 converged
# Replica 1 caught up through a new watch from its revision, not a full read.
check "replica 1 caught up after the outage without a resync" test "$(metric 1 kbs_etcd_resyncs_total)" = 0
check "replica 1 counted the broken watch" test "$(metric 1 kbs_etcd_watch_reconnects_total)" -ge 1
check "restarted replica 2 releases what it missed" released_by 2 late
check "replica 2 releases the secret rewritten while it was down" released_by 2 disk

# ---- etcd restored from a backup: its revision goes back ----------------------------------

# Writes after the backup: the replicas' revision is well above the backup's.
for i in 1 2 3; do
	expect "a write after the backup ($i)" 0 "" A 1 secret put quiet --policy prod --from-file "$tmp/quiet.key"
done
for i in 1 2 3; do
	etcd_stop "$i"
	rm -rf "$tmp/etcd$i"
	mv "$tmp/etcd$i.backup" "$tmp/etcd$i"
done
for i in 1 2 3; do etcd_start "$i"; done
etcd_wait 1 2 3
check "restored etcd is behind the replicas" test "$(etcd_rev)" -lt "$(json "$tmp/ready1.json" 'd["applied_revision"]')"
restored() { put 1 "" after "$tmp/late.key" | grep -q '^201'; }
cp "$tmp/late.key" "$tmp/after.key"
check "restored etcd: a new secret is written" wait_until 20 restored
for i in 1 2 3; do
	check "restored etcd: replica $i releases the new secret" wait_until 10 released_by "$i" after
done
check "restored etcd: every replica converges to etcd's revision" wait_until 20 converged
check "restored etcd: replica 1 resynced" test "$(metric 1 kbs_etcd_resyncs_total)" -ge 1

# ---- audit: one chain per replica ----------------------------------------------------------

for i in 1 2 3; do
	A "$i" audit export >"$tmp/audit$i.jsonl" 2>/dev/null
	check "replica $i's audit names etcd as the source of applied changes" grep -q 'etcd:kbs-1@' "$tmp/audit$i.jsonl"
done
for i in 1 2 3; do
	kill "${kpid[$i]}" 2>/dev/null
	wait "${kpid[$i]}" 2>/dev/null
	expect "replica $i: kbs-store verify" 0 "" "$store" -d "$tmp/data$i/store" -k "$tmp/data$i/master.key" verify
	expect "replica $i: kbs-store verify-audit" 0 "" "$store" -d "$tmp/data$i/store" -k "$tmp/data$i/master.key" verify-audit
done

echo "took $(($(date +%s) - t0)) s"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
