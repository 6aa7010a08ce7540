#!/bin/bash
# tests/sanitize/valgrind.sh: the broker under valgrind memcheck
# (--leak-check=full, definite leaks are errors, --error-exitcode=99)
# through one full flow: policy and secret put, a guest's challenge,
# attest and release, a fetch by its token, a denied and a malformed
# request, the admin reads (lists, shows, token create and revoke, audit
# export and verify, backup), /metrics; then SIGTERM. Fails when the
# broker's exit status is not 0 (valgrind's 99 for any invalid read or
# write, use of uninitialised memory or definite leak), or a step fails.
#
# The build is the plain one (KBS_VALGRIND_BUILD, default build): the
# sanitizers and valgrind do not mix.
build=${KBS_VALGRIND_BUILD:-build}
setup_args=""
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

command -v valgrind >/dev/null || die "valgrind is missing (deploy/setup.sh installs it)"
san_build
san_chip
START_WAIT=1200 STOP_WAIT=300 san_start valgrind --quiet --leak-check=full \
	--errors-for-leak-kinds=definite --show-leak-kinds=definite --error-exitcode=99 \
	--track-fds=no --log-file="$tmp/valgrind.log"
case $(readlink "/proc/$kbs_pid/exe") in
*memcheck*) ;;
*) die "the broker is not running under valgrind memcheck" ;;
esac
san_provision

step() {
	local name=$1
	shift
	"$@" >"$tmp/step.out" 2>"$tmp/step.err" || {
		cat "$tmp/step.err"
		die "$name"
	}
}

step "release" timeout 300 "$client" get-secret --url "$P" --server-key "$key" --name disk-key \
	--out "$tmp/got.key" --attester "sim:$tmp/chip"
cmp -s "$tmp/got.key" "$tmp/disk.key" || die "the released value differs"
# A denied request: a secret nobody stored (the client exits 6, not_found).
"$client" get-secret --url "$P" --server-key "$key" --name nosuch --out "$tmp/x" \
	--attester "sim:$tmp/chip" >/dev/null 2>&1
[ $? = 6 ] || die "a missing secret was not refused with not_found"
st=$(curl -s -o /dev/null -w '%{http_code}' "$P/v1/attest" -d '{"nonce":"AAAA')
[ "$st" = 400 ] || die "truncated JSON answered $st"
step "secret list" adm secret list
step "secret show" adm secret show disk-key
step "policy list" adm policy list
step "policy show" adm policy show prod
step "token create" adm token create --role auditor --out "$tmp/aud.token"
id=$(adm token list | /usr/bin/python3 -c 'import json,sys
print([t["id"] for t in json.load(sys.stdin)["tokens"] if t["role"] == "auditor"][0])')
step "token revoke" adm token revoke "$id"
step "audit export" adm audit export
step "audit verify" adm audit verify
step "backup" adm backup "$tmp/backup.mdb"
step "metrics" curl -sf "$P/metrics"
step "secret delete" adm secret delete disk-key

san_stop
if [ "$stopped" != 0 ]; then
	cat "$tmp/valgrind.log"
	die "the broker exited with $stopped under valgrind (99: memcheck found errors)"
fi
if [ -s "$tmp/valgrind.log" ]; then
	cat "$tmp/valgrind.log"
	die "valgrind reported something"
fi
say "ok: a full flow under valgrind memcheck, no errors, no definite leaks, clean exit"
