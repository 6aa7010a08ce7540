#!/bin/bash
# test_kds.sh KBS KBS_CLIENT KBS_ADMIN: certificates from AMD KDS (kbs/kds.h)
# against fake_kds.py on 127.0.0.1 (a random port), serving by the KDS URL
# scheme the chain and VCEKs of simulated chips issued under one test ARK
# whose key this test holds (kds_chip.py, so it can sign CRLs), with
# injected 429s, slow answers, a wrong content type, another chip's
# certificate, CRLs that go stale and forged CRLs (the test ARK's name,
# another key) from KDS, kds_cache_dir and certs import, which are never
# held. Guests send no certificates
# (guest.py --no-certs). Every refusal asserts its exact status and code.
# Loopback only; every wait is bounded.
set -u
kbs=$1
client=$2
admin=$3
here=$(dirname "$0")
# shellcheck source=lib.sh
. "$here/lib.sh"
py=/usr/bin/python3
guest="$py $here/guest.py"
fake_pid=""
cleanup() {
	[ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# stop_kbs PID: SIGTERM and wait (lib.sh's stop).
stop_kbs() { stop "$1" TERM; }

start_fake() {
	rm -f "$tmp/fake.port"
	$py "$here/fake_kds.py" "$tmp/kds" "$tmp/fake.port" 2>"$tmp/fake.log" &
	fake_pid=$!
	for i in $(seq 100); do
		[ -s "$tmp/fake.port" ] && break
		sleep 0.1
	done
	fport=$(cat "$tmp/fake.port")
	F=http://127.0.0.1:$fport
}
mode() { curl -sf -X POST --data "$1" "$F/_mode" >/dev/null; }
# count PATH: how many times the fake KDS was asked for PATH.
count() { curl -sf "$F/_counts" | $py -c 'import json,sys; print(json.load(sys.stdin).get(sys.argv[1], 0))' "$1"; }
# metric NAME{LABELS}: its value on broker $1's public port.
metric() { curl -sf "http://127.0.0.1:$1/metrics" | awk -v k="$2" '$1 == k {print $2}'; }

# eq NAME WANT CMD...: CMD prints exactly WANT (expect checks a prefix: "1" would pass "12").
eq() {
	local name=$1 want=$2 got
	shift 2
	got=$("$@" 2>&1)
	if [ "$got" = "$want" ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL $name: got '$got', want '$want'"
	fi
}

# config FILE KEY=JSON...: a broker configuration.
config() {
	local f=$1
	shift
	$py -c 'import json,sys
print(json.dumps({k: json.loads(v) for k, v in (a.split("=", 1) for a in sys.argv[2:])}))' _ "$@" >"$f"
}

# setup DATA NAME: the policy and the secret on broker NAME.
setup() {
	local a
	eval "a=\$${2}_admin"
	"$admin" --url "http://127.0.0.1:$a" --token-file "$1/admin.token" policy put "$tmp/prod.json" >/dev/null &&
		"$admin" --url "http://127.0.0.1:$a" --token-file "$1/admin.token" secret put disk-key --policy prod --from-file "$tmp/disk.key" >/dev/null
}

# g PORT CHIP [ARGS]: one guest without certificates.
g() {
	local port=$1 chip=$2
	shift 2
	$guest --url "http://127.0.0.1:$port" --client "$client" --sim "$tmp/$chip" --name disk-key --no-certs "$@"
}

# import_refused NAME WHAT FILE CODE STATUS: certs import (kbs-admin, then the API) on broker
# NAME (data directory $tmp/NAME) of FILE as the Milan VCEK-chain CRL is refused with CODE
# and STATUS.
import_refused() {
	local a tok=$tmp/$1/admin.token
	eval "a=\$${1}_admin"
	mkdir -p "$tmp/imp5/vcek/v1/Milan"
	cp "$3" "$tmp/imp5/vcek/v1/Milan/crl"
	"$admin" --url "http://127.0.0.1:$a" --token-file "$tok" certs import "$tmp/imp5" >"$tmp/imp.out" 2>/dev/null
	eq "certs import of $2 exits 1" "1" echo $?
	eq "... refused with $4" "refused vcek/v1/Milan/crl $4" cat "$tmp/imp.out"
	eq "... answered $5" "$5" curl -s -o /dev/null -w '%{http_code}' -X PUT --data-binary @"$3" \
		-H "Authorization: Bearer $(cat "$tok")" "http://127.0.0.1:$a/v1/admin/certs/vcek/v1/Milan/crl"
}

# ---- chips under one test ARK, the fake KDS's files ------------------------------

"$client" sim-init "$tmp/a" --product milan >/dev/null || exit 1
$py "$here/kds_chip.py" ca "$tmp/ca" milan || exit 1
# b..e: other chips of the same product (their own chip ids), one VCEK key each is enough.
for c in a b c d e; do
	if [ "$c" != a ]; then
		cp -a "$tmp/a" "$tmp/$c"
		id=$(head -c 64 /dev/urandom | od -An -tx1 | tr -d ' \n')
		sed -i "s/^chip_id = .*/chip_id = $id/" "$tmp/$c/chip.conf"
	fi
	$py "$here/kds_chip.py" issue "$tmp/ca" "$tmp/$c" || exit 1
done
hwid() { awk '/^chip_id =/ {print $3}' "$tmp/$1/chip.conf"; }
measurement=$(awk '/^measurement =/ {print $3}' "$tmp/a/chip.conf")
# The query KDS is asked, written here from the spec, independently of kbs/kds_url.c.
query="blSPL=3&teeSPL=0&snpSPL=8&ucodeSPL=115"
tcbname=bl03_tee00_snp08_ucode115

k=$tmp/kds/vcek/v1/Milan
mkdir -p "$k"
cat "$tmp/ca/ask.pem" "$tmp/ca/ark.pem" >"$k/cert_chain"
$py "$here/kds_chip.py" crl "$tmp/ca" "$k/crl" 86400 || exit 1
for c in a b c d; do
	openssl x509 -in "$tmp/$c/vcek.pem" -outform DER -out "$k/$(hwid $c).der"
	printf '%s\n' "$query" >"$k/$(hwid $c).query"
done
# d: the fake KDS serves chip a's certificate as d's.
cp "$k/$(hwid a).der" "$k/$(hwid d).der"

cat >"$tmp/prod.json" <<EOF
{"kbs_policy": 1, "name": "prod", "rules": {"product": ["milan"], "measurement": ["$measurement"]}}
EOF
head -c 32 /dev/urandom >"$tmp/disk.key"
want="released disk-key=$(od -An -tx1 "$tmp/disk.key" | tr -d ' \n')"

start_fake
config "$tmp/kbs.json" kds_url="\"$F\"" kds_timeout=2 crl_grace=3600

# ---- fetch once, then from the cache -------------------------------------------------

data=$tmp/data
start main "$data" --config "$tmp/kbs.json" --trust-root "$tmp/ca/ark.pem"
setup "$data" main || exit 1
expect "a guest without certificates gets its secret" 0 "$want" g "$main_port" a
eq "KDS was asked for its VCEK once, with the TCB query" "1" count "/vcek/v1/Milan/$(hwid a)"
eq "and for the chain once" "1" count /vcek/v1/Milan/cert_chain
eq "and for the CRL once" "1" count /vcek/v1/Milan/crl
eq "fetch counted ok" "1" metric "$main_port" 'kbs_kds_fetches_total{kind="vcek",result="ok"}'
expect "CRL age is a gauge per product" 0 "" test -n "$(metric "$main_port" 'kbs_crl_age_seconds{product="milan",chain="vcek"}')"
expect "a second guest of the chip is served from the cache" 0 "$want" g "$main_port" a
eq "KDS was not asked again" "1" count "/vcek/v1/Milan/$(hwid a)"
eq "fetch counted cached" "1" metric "$main_port" 'kbs_kds_fetches_total{kind="vcek",result="cached"}'
expect "a guest that sends its VCEK does not use KDS" 0 "$want" $guest --url "http://127.0.0.1:$main_port" --client "$client" --sim "$tmp/a" --name disk-key

# ---- 429: a retry hint, never a denial ---------------------------------------------------

mode '{"vcek": "429", "retry_after": 5}'
expect "429 from KDS: the guest gets 503, Retry-After and kds_unavailable" 0 "refused 503 kds_unavailable retry_after=5" g "$main_port" b --show-retry
expect "during the back-off no fetch starts" 0 "refused 503 kds_unavailable" g "$main_port" b --show-retry
eq "one request reached KDS" "1" count "/vcek/v1/Milan/$(hwid b)"
eq "fetch counted http_429" "1" metric "$main_port" 'kbs_kds_fetches_total{kind="vcek",result="http_429"}'
eq "no denial was counted" "0" metric "$main_port" 'kbs_attest_decisions_total{result="denied"}'
mode '{"vcek": "ok"}'
sleep 5.2
expect "after the back-off the guest gets its secret" 0 "$want" g "$main_port" b

# ---- timeout, wrong content type, another chip's certificate -------------------------------

mode '{"vcek": "slow", "slow": 4}'
expect "KDS slower than kds_timeout: 503 kds_timeout" 0 "refused 503 kds_timeout retry_after=2" g "$main_port" c --show-retry
eq "fetch counted timeout" "1" metric "$main_port" 'kbs_kds_fetches_total{kind="vcek",result="timeout"}'
mode '{"vcek": "html"}'
expect "a VCEK served as text/html: 502 kds_content" 0 "refused 502 kds_content" g "$main_port" c
mode '{"vcek": "junk"}'
expect "a VCEK that does not parse: 502 kds_content" 0 "refused 502 kds_content" g "$main_port" c
mode '{"vcek": "ok"}'
expect "another chip's certificate: 502 kds_wrong_cert" 0 "refused 502 kds_wrong_cert" g "$main_port" d
eq "fetch counted bad_content" "3" metric "$main_port" 'kbs_kds_fetches_total{kind="vcek",result="bad_content"}'
expect "the wrong certificate was not cached: asked again" 0 "refused 502 kds_wrong_cert" g "$main_port" d
eq "... and KDS was asked twice" "2" count "/vcek/v1/Milan/$(hwid d)"
expect "chip c once KDS answers" 0 "$want" g "$main_port" c
expect "a chip KDS does not know: 502 kds_http" 0 "refused 502 kds_http" g "$main_port" e

# ---- restart: the store's cache serves without KDS -------------------------------------------

stop_kbs "$main_pid"
kill "$fake_pid"
wait "$fake_pid" 2>/dev/null
fake_pid=""
start main "$data" --config "$tmp/kbs.json" --trust-root "$tmp/ca/ark.pem"
expect "after a restart, without KDS, the cached VCEK serves" 0 "$want" g "$main_port" a
eq "... counted cached" "1" metric "$main_port" 'kbs_kds_fetches_total{kind="vcek",result="cached"}'
expect "an uncached chip without KDS: 503 kds_unavailable" 0 "refused 503 kds_unavailable" g "$main_port" e
stop_kbs "$main_pid"

# ---- single flight: 20 guests of one chip, one KDS request ------------------------------------

start_fake
config "$tmp/kbs.json" kds_url="\"$F\"" kds_timeout=5 crl_grace=3600
mode '{"vcek": "slow", "slow": 1}'
start sf "$tmp/sf" --config "$tmp/kbs.json" --trust-root "$tmp/ca/ark.pem"
setup "$tmp/sf" sf || exit 1
for i in $(seq 20); do
	g "$sf_port" a >"$tmp/par.$i" 2>&1 &
done
wait_ok=0
for i in $(seq 200); do
	[ "$(cat "$tmp"/par.* 2>/dev/null | grep -c .)" -ge 20 ] && wait_ok=1 && break
	sleep 0.1
done
eq "20 parallel guests all finished" "1" echo "$wait_ok"
eq "20 parallel guests all got the secret" "20" bash -c "cat '$tmp'/par.* | grep -c '^$want\$'"
eq "exactly one KDS VCEK request for 20 guests" "1" count "/vcek/v1/Milan/$(hwid a)"
eq "exactly one chain request" "1" count /vcek/v1/Milan/cert_chain
mode '{"vcek": "ok"}'
stop_kbs "$sf_pid"

# ---- forged CRLs: the test ARK's name, another key; never held, from any source -----------------------

# A second CA of the same names (kds_chip.py names every ARK alike) but its own keys:
# its lists are issued as ARK-Milan of the trusted root, and no trusted ARK signed them.
$py "$here/kds_chip.py" ca "$tmp/forge" milan || exit 1
bad_crl='kbs_kds_fetches_total{kind="crl",result="bad_content"}'
# A denial under a held forged list would be crl_signature at the crl check: the same
# "refused 401 evidence crl" line, so the refusals are told apart by their reason.
revoked='kbs_attest_refused_evidence_total{reason="cert_revoked"}'
badsig='kbs_attest_refused_evidence_total{reason="crl_signature"}'
# logged NAME FILE TEXT: FILE holds the line TEXT exactly once.
logged() { eq "$1" "1" grep -cF -- "$3" "$2"; }

# In the store: a list stored before lists were checked at intake may be forged. Broker fs
# stores chip a's certificates and a list of the forge's ARK while it trusts that ARK, then
# restarts trusting the test ARK's only. It runs on through the sections below, so its
# last checks come after the 30 s between two tries for a first list (crl_first).
fsd=$tmp/fsimport
mkdir -p "$fsd/vcek/v1/Milan/$(hwid a)"
cp "$k/cert_chain" "$fsd/vcek/v1/Milan/"
cp "$k/$(hwid a).der" "$fsd/vcek/v1/Milan/$(hwid a)/${tcbname}_vcek.der"
$py "$here/kds_chip.py" crl "$tmp/forge" "$fsd/vcek/v1/Milan/crl" 86400 || exit 1
config "$tmp/fs.json" kds_url='"http://127.0.0.1:9"' kds_fetch=false
fsadm() { "$admin" --url "http://127.0.0.1:$fs_admin" --token-file "$tmp/fs/admin.token" "$@"; }
start fs "$tmp/fs" --config "$tmp/fs.json" --trust-root "$tmp/forge/ark.pem"
expect "the forge's list is stored while its ARK is trusted" 0 "" fsadm certs import "$fsd"
stop_kbs "$fs_pid"
start fs "$tmp/fs" --config "$tmp/fs.json" --trust-root "$tmp/ca/ark.pem"
setup "$tmp/fs" fs || exit 1
storedlog='{"event":"crl_cached","key":"crl/vcek/Milan","error":"crl_signature"}'
logged "a forged list in the store is refused at start-up with crl_signature" "$tmp/fs.log" "$storedlog"
fs_t0=$(date +%s) # guest 1 tries for a first list (crl_first) at once: the 30 s count from here
for i in 1 2 3; do
	expect "it is not held: with no list, guest $i is served" 0 "$want" g "$fs_port" a
done
logged "... logged once over three attestations (each tries for a first list)" "$tmp/fs.log" "$storedlog"
eq "... not counted as a fetch" "0" metric "$fs_port" "$bad_crl"

# ---- CRLs: revocation, stale within the grace, past it fail closed ------------------------------

$py "$here/kds_chip.py" crl "$tmp/ca" "$k/crl" 86400 ask || exit 1
start rv "$tmp/rv" --config "$tmp/kbs.json" --trust-root "$tmp/ca/ark.pem"
setup "$tmp/rv" rv || exit 1
expect "a CRL from KDS that revokes the ASK denies" 0 "refused 401 evidence crl" g "$rv_port" a
stop_kbs "$rv_pid"

# A list valid for 6 s from C, and a grace of 6 s: stale from C+6, expired from C+12.
C=$(date +%s)
$py "$here/kds_chip.py" crl "$tmp/ca" "$k/crl" 6 || exit 1
config "$tmp/stale.json" kds_url="\"$F\"" kds_timeout=2 crl_grace=6
# sleep_until T: sleep until the wall clock reads T (Unix seconds).
sleep_until() { while [ "$(date +%s)" -lt "$1" ]; do sleep 0.2; done; }
start st "$tmp/st" --config "$tmp/stale.json" --trust-root "$tmp/ca/ark.pem"
setup "$tmp/st" st || exit 1
expect "a fresh short-lived CRL" 0 "$want" g "$st_port" a
mode '{"crl": "500"}'
sleep_until $((C + 8))
expect "past nextUpdate, within crl_grace: still served" 0 "$want" g "$st_port" a
sleep_until $((C + 14))
expect "past nextUpdate + crl_grace: 503 crl_expired" 0 "refused 503 crl_expired retry_after=60" g "$st_port" a --show-retry
eq "counted in kbs_crl_stale_total" "1" metric "$st_port" kbs_crl_stale_total
expect "the refresher tried KDS again" 0 "" test "$(count /vcek/v1/Milan/crl)" -ge 2
mode '{"crl": "ok"}'
cp "$k/crl" "$tmp/old.crl"
sleep 1.1 # the next list's thisUpdate is a later second
$py "$here/kds_chip.py" crl "$tmp/ca" "$k/crl" 86400 || exit 1
stop_kbs "$st_pid"

# ---- air-gapped: kbs-admin certs import (both layouts), kds_fetch false -------------------------

imp=$tmp/import
mkdir -p "$imp/vcek/v1/Milan/$(hwid a)" "$imp/vcek/$(hwid b)" "$imp/bad/x"
cp "$k/cert_chain" "$k/crl" "$imp/vcek/v1/Milan/"
cp "$k/$(hwid a).der" "$imp/vcek/v1/Milan/$(hwid a)/${tcbname}_vcek.der"
cp "$k/$(hwid b).der" "$imp/vcek/$(hwid b)/${tcbname}_vcek.der"
config "$tmp/off.json" kds_url='"http://127.0.0.1:9"' kds_fetch=false
start off "$tmp/off" --config "$tmp/off.json" --trust-root "$tmp/ca/ark.pem"
setup "$tmp/off" off || exit 1
offadm() { "$admin" --url "http://127.0.0.1:$off_admin" --token-file "$tmp/off/admin.token" "$@"; }
expect "offline: nothing cached: 503 kds_offline" 0 "refused 503 kds_offline" g "$off_port" a
offadm certs import "$imp" >"$tmp/imp.out" 2>"$tmp/imp.err"
eq "certs import of both layouts exits 0" "0" echo $?
expect "the import says how many" 0 "kbs-admin: certs import: 4 imported, 0 refused" cat "$tmp/imp.err"
expect "the kbs-layout VCEK is imported" 0 "imported vcek/v1/Milan/$(hwid a)/${tcbname}_vcek.der vcek/Milan/$(hwid a)/$tcbname" grep "$(hwid a)" "$tmp/imp.out"
expect "the Trustee-layout VCEK is imported" 0 "imported vcek/$(hwid b)/${tcbname}_vcek.der vcek/Milan/$(hwid b)/$tcbname" grep "$(hwid b)" "$tmp/imp.out"
expect "the chain is imported" 0 "imported vcek/v1/Milan/cert_chain chain/vcek/Milan" grep cert_chain "$tmp/imp.out"
expect "the CRL is imported" 0 "imported vcek/v1/Milan/crl crl/vcek/Milan" grep /crl "$tmp/imp.out"
expect "then kds_fetch=false serves (kbs layout)" 0 "$want" g "$off_port" a
expect "... and the Trustee layout" 0 "$want" g "$off_port" b
printf 'garbage' >"$imp/bad/x/file"
mkdir -p "$imp/vcek/$(hwid c)"
cp "$k/$(hwid a).der" "$imp/vcek/$(hwid c)/${tcbname}_vcek.der"
cp "$k/cert_chain" "$imp/vcek/v1/Milan/crl"
offadm certs import "$imp" >"$tmp/imp.out" 2>/dev/null
eq "an import with bad files exits 1" "1" echo $?
expect "a path in no layout: kds_layout" 0 "refused bad/x/file kds_layout" grep bad/x "$tmp/imp.out"
expect "a VCEK filed under another chip: kds_layout" 0 "refused vcek/$(hwid c)/${tcbname}_vcek.der kds_layout" grep "$(hwid c)" "$tmp/imp.out"
expect "a chain filed as a CRL: kds_layout" 0 "refused vcek/v1/Milan/crl kds_layout" grep /crl "$tmp/imp.out"
expect "the misfiled VCEK was not stored" 0 "refused 503 kds_offline" g "$off_port" c
import_refused off "a CRL older than the held one" "$tmp/old.crl" crl_rollback 409
stop_kbs "$off_pid"

# ---- air-gapped: the read-only kds_cache_dir (Trustee's layout) ----------------------------------

cd_dir=$tmp/cachedir
mkdir -p "$cd_dir/vcek/$(hwid c)" "$cd_dir/vcek/v1/Milan"
cp "$k/$(hwid c).der" "$cd_dir/vcek/$(hwid c)/vcek.der"
cp "$k/cert_chain" "$cd_dir/vcek/v1/Milan/"
chmod -R a-w "$cd_dir"
config "$tmp/dir.json" kds_url='"http://127.0.0.1:9"' kds_fetch=false kds_cache_dir="\"$cd_dir\""
start dir "$tmp/dir" --config "$tmp/dir.json" --trust-root "$tmp/ca/ark.pem"
setup "$tmp/dir" dir || exit 1
expect "kds_cache_dir (Trustee's flat vcek.der) serves offline" 0 "$want" g "$dir_port" c
eq "... counted cached" "1" metric "$dir_port" 'kbs_kds_fetches_total{kind="vcek",result="cached"}'
stop_kbs "$dir_pid"
chmod -R u+w "$cd_dir"

# ---- forged CRLs from KDS, kds_cache_dir and certs import ---------------------------------------------

# From KDS: a genuine list revoking the ASK, valid 10 s, is fetched and stored; the broker
# restarts with it held, and at 80% of its validity the refresher gets a newer forged one.
$py "$here/kds_chip.py" crl "$tmp/ca" "$k/crl" 10 ask || exit 1
start fk "$tmp/fk" --config "$tmp/kbs.json" --trust-root "$tmp/ca/ark.pem"
setup "$tmp/fk" fk || exit 1
expect "a genuine CRL from KDS that revokes the ASK denies" 0 "refused 401 evidence crl" g "$fk_port" a
stop_kbs "$fk_pid"
sleep 1.1 # the forged list's thisUpdate is later: it would displace the genuine one
$py "$here/kds_chip.py" crl "$tmp/forge" "$k/crl" 86400 || exit 1
asked=$(count /vcek/v1/Milan/crl) # the fake KDS counts for every broker so far
start fk "$tmp/fk" --config "$tmp/kbs.json" --trust-root "$tmp/ca/ark.pem"
for i in $(seq 150); do
	[ "$(metric "$fk_port" "$bad_crl")" = 1 ] && break
	sleep 0.1
done
eq "the refresher fetched the forged CRL" "$((asked + 1))" count /vcek/v1/Milan/crl
eq "a forged CRL from KDS is counted bad_content" "1" metric "$fk_port" "$bad_crl"
logged "... and logged with crl_signature" "$tmp/fk.log" \
	'{"event":"kds_fetch","path":"/vcek/v1/Milan/crl","status":200,"error":"crl_signature"}'
expect "the genuine list stays held: the revoked ASK still denies" 0 "refused 401 evidence crl" g "$fk_port" a
eq "... as cert_revoked" "1" metric "$fk_port" "$revoked"
eq "... never as crl_signature" "" metric "$fk_port" "$badsig"
stop_kbs "$fk_pid"

# From kds_cache_dir and from certs import, on an offline broker.
$py "$here/kds_chip.py" crl "$tmp/ca" "$tmp/revoking.crl" 86400 ask || exit 1
sleep 1.1
$py "$here/kds_chip.py" crl "$tmp/forge" "$tmp/forged.crl" 86400 || exit 1
fz_dir=$tmp/forgeddir
mkdir -p "$fz_dir/vcek/$(hwid a)" "$fz_dir/vcek/v1/Milan"
cp "$k/$(hwid a).der" "$fz_dir/vcek/$(hwid a)/vcek.der"
cp "$k/cert_chain" "$fz_dir/vcek/v1/Milan/"
cp "$tmp/forged.crl" "$fz_dir/vcek/v1/Milan/crl"
config "$tmp/fz.json" kds_url='"http://127.0.0.1:9"' kds_fetch=false kds_cache_dir="\"$fz_dir\""
start fz "$tmp/fz" --config "$tmp/fz.json" --trust-root "$tmp/ca/ark.pem"
setup "$tmp/fz" fz || exit 1
fzadm() { "$admin" --url "http://127.0.0.1:$fz_admin" --token-file "$tmp/fz/admin.token" "$@"; }
dirlog='{"event":"kds_cache_dir","file":"vcek/v1/Milan/crl","error":"crl_signature"}'
logged "a forged CRL in kds_cache_dir is refused at start-up with crl_signature" "$tmp/fz.log" "$dirlog"
eq "... counted bad_content" "1" metric "$fz_port" "$bad_crl"
expect "it is not held: with no list, the guest is served" 0 "$want" g "$fz_port" a
mkdir -p "$tmp/imp3/vcek/v1/Milan"
cp "$tmp/revoking.crl" "$tmp/imp3/vcek/v1/Milan/crl"
fzadm certs import "$tmp/imp3" >"$tmp/imp.out" 2>/dev/null
eq "a genuine list older than the forged one imports (the forged was never held)" "imported vcek/v1/Milan/crl crl/vcek/Milan" cat "$tmp/imp.out"
expect "the genuine list denies the revoked ASK" 0 "refused 401 evidence crl" g "$fz_port" a
import_refused fz "a forged CRL" "$tmp/forged.crl" crl_signature 400
expect "the genuine list stays held after the forged import" 0 "refused 401 evidence crl" g "$fz_port" a
eq "... both denials cert_revoked" "2" metric "$fz_port" "$revoked"
eq "... none crl_signature" "" metric "$fz_port" "$badsig"
stop_kbs "$fz_pid"
start fz "$tmp/fz" --config "$tmp/fz.json" --trust-root "$tmp/ca/ark.pem"
expect "after a restart the store's genuine list is held, the directory's forged one refused" 0 "refused 401 evidence crl" g "$fz_port" a
logged "... and logged again" "$tmp/fz.log" "$dirlog"
eq "... the denial is cert_revoked" "1" metric "$fz_port" "$revoked"
# A list of another trusted ARK of the product (AMD's own Milan list, under the pinned
# ARK) never replaces the held one: one list is held per product and chain, and every
# chain of the product is checked against it.
amdcrl=$here/../vectors/snp/amd/crl_milan.der
import_refused fz "AMD's Milan list while the test ARK's is held" "$amdcrl" crl_other_ark 409
expect "the held list still decides: the revoked ASK is denied" 0 "refused 401 evidence crl" g "$fz_port" a
eq "... as cert_revoked" "2" metric "$fz_port" "$revoked"
stop_kbs "$fz_pid"

# Broker fs, once a first list was tried for again (crl_first, 30 s after the last try).
sleep_until $((fs_t0 + 32))
expect "past 30 s the forged list in the store is still not held: served" 0 "$want" g "$fs_port" a
logged "... and not read again: still logged once" "$tmp/fs.log" "$storedlog"
eq "... and not counted" "0" metric "$fs_port" "$bad_crl"
fsadm certs import "$tmp/imp3" >/dev/null 2>&1
eq "a genuine list then imports" "0" echo $?
expect "... is held: the revoked ASK is denied" 0 "refused 401 evidence crl" g "$fs_port" a
stop_kbs "$fs_pid"

# A configured CRL (crls) is checked at start-up like the lists taken in: one no
# trusted ARK of its product signed stops the broker.
config "$tmp/cfgcrl.json" kds_url='"http://127.0.0.1:9"' kds_fetch=false crls="[\"milan:vcek:$tmp/forged.crl\"]"
expect "a configured forged CRL: the broker does not start" 1 "" "$kbs" --data-dir "$tmp/cfgcrl" --config "$tmp/cfgcrl.json" --trust-root "$tmp/ca/ark.pem"
expect_err "... and says which list and why" "crl_signature"
config "$tmp/cfgcrl2.json" kds_url='"http://127.0.0.1:9"' kds_fetch=false crls="[\"genoa:vcek:$amdcrl\"]"
expect "AMD's Milan list configured for Genoa: the broker does not start" 1 "" "$kbs" --data-dir "$tmp/cfgcrl2" --config "$tmp/cfgcrl2.json"
expect_err "... crl_issuer" "crl_issuer"

# ---- configuration ---------------------------------------------------------------------------------

config "$tmp/badurl.json" kds_url='"ftp://kds"'
expect "kds_url must be http(s)" 2 "" "$kbs" --data-dir "$tmp/bad" --config "$tmp/badurl.json"
expect_err "... and the message says so" "kds_url: must start with https:// or http://"
config "$tmp/badto.json" kds_timeout=0
expect "kds_timeout has bounds" 2 "" "$kbs" --data-dir "$tmp/bad" --config "$tmp/badto.json"
expect_err "... named" "kds_timeout: must be an integer from 1 to 60"
config "$tmp/badfetch.json" kds_fetch='"no"'
expect "kds_fetch is a boolean" 2 "" "$kbs" --data-dir "$tmp/bad" --config "$tmp/badfetch.json"
expect_err "... named" "kds_fetch: must be true or false"

# Under -Db_sanitize every broker's log would hold the report (they all exited).
expect "no sanitizer report in any broker's log" 1 "" grep -l Sanitizer "$tmp"/*.log

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
