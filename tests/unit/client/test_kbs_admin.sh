#!/bin/bash
# test_kbs_admin.sh KBS_ADMIN FAKE_BROKER: kbs-admin against fake_broker's
# admin mode on a unix socket: the exact request each command sends
# (method, path, bearer token, body), exit codes, exact usage messages,
# secret values taken only from a file or a non-terminal stdin and never
# echoed, and token create --out writing the token 0600 and nowhere else.
set -u
admin=$1
fake=$2
# shellcheck source=shell_lib.sh
. "$(dirname "$0")/shell_lib.sh"

# last_request: the fake's log line for the most recent request.
last_request() { tail -n 1 "$tmp/log"; }

# sent NAME LINE: the last request was exactly LINE.
sent() {
	if [ "$(last_request)" = "$2" ]; then ok; else bad "$1: sent '$(last_request)', want '$2'"; fi
}

start_fake() {
	[ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null && wait "$fake_pid" 2>/dev/null
	rm -f "$tmp/kbs.sock"
	"$fake" --unix "$tmp/kbs.sock" --mode "$1" --log "$tmp/log" --expect-token "$TOKEN" &
	fake_pid=$!
	for _ in $(seq 100); do [ -S "$tmp/kbs.sock" ] && break; sleep 0.05; done
}

TOKEN=kbs_adm_0123456789abcdef
printf '%s\n' "$TOKEN" >"$tmp/token"
chmod 600 "$tmp/token"
A=("$admin" --url "unix:$tmp/kbs.sock" --token-file "$tmp/token")
AUTH="auth=Bearer $TOKEN"
start_fake admin

# ---- Usage ---------------------------------------------------------------
expect "no command" 2 "kbs-admin: missing command" "$admin"
expect "unknown command" 2 "kbs-admin: unknown command 'secret frob'" "${A[@]}" secret frob
expect "no token" 2 "kbs-admin: no token: give --token-file F or set KBS_ADMIN_TOKEN_FILE" \
	env -u KBS_ADMIN_TOKEN_FILE "$admin" --url "unix:$tmp/kbs.sock" secret list
expect "missing token file" 2 "kbs-admin: cannot read token file $tmp/none: No such file or directory" \
	"$admin" --url "unix:$tmp/kbs.sock" --token-file "$tmp/none" secret list
printf 'two words\n' >"$tmp/token2"
expect "two-word token" 2 "kbs-admin: token file $tmp/token2 does not hold one token" \
	"$admin" --url "unix:$tmp/kbs.sock" --token-file "$tmp/token2" secret list
: >"$tmp/token3"
expect "empty token" 2 "kbs-admin: token file $tmp/token3 does not hold one token" \
	"$admin" --url "unix:$tmp/kbs.sock" --token-file "$tmp/token3" secret list
expect "bad url" 2 "kbs-admin: --url: the broker URL is not http://, https:// or unix:PATH" \
	"$admin" --url "ftp://x" --token-file "$tmp/token" secret list
expect "bad timeout" 2 "kbs-admin: --timeout needs whole seconds from 1 to 3600" \
	"${A[@]}" --timeout 0 secret list
expect "put without policy" 2 "kbs-admin: secret put needs --policy P" \
	"${A[@]}" secret put disk-key --stdin
expect "put with both sources" 2 "kbs-admin: secret put needs exactly one of --from-file F and --stdin" \
	"${A[@]}" secret put disk-key --policy prod --stdin --from-file /dev/null
expect "put with no source" 2 "kbs-admin: secret put needs exactly one of --from-file F and --stdin" \
	"${A[@]}" secret put disk-key --policy prod
expect "bad secret name" 2 \
	"kbs-admin: 'disk key' is not a valid name (1 to 255 characters from A-Z a-z 0-9 . _ : / @ + -)" \
	"${A[@]}" secret show "disk key"
expect "bad policy name" 2 "kbs-admin: --policy: not a valid policy name" \
	"${A[@]}" secret put disk-key --policy "a b" --stdin
expect "option of another command" 2 "kbs-admin: option not accepted by this command" \
	"${A[@]}" secret list --role admin
expect "missing argument" 2 "kbs-admin: this command needs one argument" "${A[@]}" secret show
expect "extra argument" 2 "kbs-admin: unexpected argument" "${A[@]}" secret show a b
expect "bad version" 2 "kbs-admin: --version needs a number" \
	"${A[@]}" policy show prod --version x
expect "bad role" 2 "kbs-admin: token create needs --role admin or --role auditor" \
	"${A[@]}" token create --role root
expect "relative backup" 2 "kbs-admin: backup DEST must be an absolute path on the broker's host" \
	"${A[@]}" backup backups/x
expect "missing secret file" 2 "kbs-admin: cannot read secret file $tmp/nope: No such file or directory" \
	"${A[@]}" secret put disk-key --policy prod --from-file "$tmp/nope"
: >"$tmp/empty"
expect "empty secret" 2 "kbs-admin: the secret value is empty" \
	"${A[@]}" secret put disk-key --policy prod --from-file "$tmp/empty"
head -c 65537 /dev/zero >"$tmp/big"
expect "secret too large" 2 \
	"kbs-admin: secret file $tmp/big: input exceeds the size limit (at most 65536 bytes)" \
	"${A[@]}" secret put disk-key --policy prod --from-file "$tmp/big"
expect "stdin too large" 2 "kbs-admin: the secret on standard input exceeds 65536 bytes" \
	"${A[@]}" secret put disk-key --policy prod --stdin <"$tmp/big"
if command -v script >/dev/null; then
	script -qec "$admin --url unix:$tmp/kbs.sock --token-file $tmp/token secret put k --policy p --stdin" \
		"$tmp/typescript" >"$tmp/tty" 2>&1 </dev/null
	check "stdin terminal refused" grep -qF \
		"kbs-admin: refusing to read a secret from a terminal (it would echo); pipe it in or use --from-file" \
		"$tmp/tty"
fi
check "usage errors sent nothing" test ! -e "$tmp/log"

# ---- The requests --------------------------------------------------------
printf 's3cr3t-value\n' >"$tmp/value"
B64=$(base64 -w0 <"$tmp/value")
expect "secret put from file" 0 "" "${A[@]}" secret put disk-key --policy prod-disk --from-file "$tmp/value"
sent "secret put from file" "PUT /v1/admin/secrets/disk-key $AUTH body={\"policy\":\"prod-disk\",\"value\":\"$B64\"}"
check "answer printed" test "$(tr -d '\t\n ' <"$tmp/out")" = '{"ok":true}'
expect "secret put from stdin" 0 "" "${A[@]}" secret put disk-key --policy prod-disk --stdin <"$tmp/value"
sent "secret put from stdin" "PUT /v1/admin/secrets/disk-key $AUTH body={\"policy\":\"prod-disk\",\"value\":\"$B64\"}"
check "value never echoed" bash -c "! grep -q s3cr3t '$tmp/out' '$tmp/err'"
check "token never echoed" bash -c "! grep -q '$TOKEN' '$tmp/out' '$tmp/err'"
expect "secret list" 0 "" "${A[@]}" secret list
sent "secret list" "GET /v1/admin/secrets $AUTH body="
expect "secret show" 0 "" "${A[@]}" secret show tls/key@host
sent "secret show escapes the name" "GET /v1/admin/secrets/tls%2Fkey%40host $AUTH body="
expect "secret delete" 0 "" "${A[@]}" secret delete disk-key
sent "secret delete" "DELETE /v1/admin/secrets/disk-key $AUTH body="
printf '{\n  "kbs_policy": 1\n}\n' >"$tmp/policy.json"
expect "policy put" 0 "" "${A[@]}" policy put "$tmp/policy.json"
sent "policy put sends the exact bytes" "POST /v1/admin/policies $AUTH body={\\n  \"kbs_policy\": 1\\n}\\n"
expect "policy list" 0 "" "${A[@]}" policy list
sent "policy list" "GET /v1/admin/policies $AUTH body="
expect "policy show" 0 "" "${A[@]}" policy show prod-disk
sent "policy show" "GET /v1/admin/policies/prod-disk $AUTH body="
expect "policy show version" 0 "" "${A[@]}" policy show prod-disk --version 3
sent "policy show version" "GET /v1/admin/policies/prod-disk?version=3 $AUTH body="
expect "policy history" 0 "" "${A[@]}" policy history prod-disk
sent "policy history" "GET /v1/admin/policies/prod-disk?history=1 $AUTH body="
expect "token create" 0 "" "${A[@]}" token create --role auditor
sent "token create" "POST /v1/admin/tokens $AUTH body={\"role\":\"auditor\"}"
check "new token on stdout" grep -q kbs_tok_SECRET123 "$tmp/out"
expect "token create --out" 0 "" "${A[@]}" token create --role admin --out "$tmp/new.token"
check "new token in the file" test "$(cat "$tmp/new.token")" = kbs_tok_SECRET123
check "token file 0600" test "$(stat -c %a "$tmp/new.token")" = 600
check "token not on stdout" bash -c "! grep -q kbs_tok_SECRET123 '$tmp/out' '$tmp/err'"
check "id still printed" grep -q '"t-1"' "$tmp/out"
expect "token list" 0 "" "${A[@]}" token list
sent "token list" "GET /v1/admin/tokens $AUTH body="
expect "token revoke" 0 "" "${A[@]}" token revoke t-1
sent "token revoke" "DELETE /v1/admin/tokens/t-1 $AUTH body="
expect "audit export" 0 "" "${A[@]}" audit export --since 5
sent "audit export" "GET /v1/admin/audit?since=5 $AUTH body="
check "audit lines" test "$(wc -l <"$tmp/out")" = 3
check "audit line 1" test "$(head -n 1 "$tmp/out")" = '{"seq":1,"kind":"release"}'
expect "audit verify" 0 "" "${A[@]}" audit verify
sent "audit verify" "GET /v1/admin/audit/verify $AUTH body="
expect "backup" 0 "" "${A[@]}" backup /var/backups/kbs/2026-12-01
sent "backup" "POST /v1/admin/backup $AUTH body={\"dest\":\"/var/backups/kbs/2026-12-01\"}"

# ---- Refusals ------------------------------------------------------------
expect "not found" 1 "kbs-admin: refused: HTTP 404 not_found: not found (request feedfacefeedfacefeedfacefeedface)" \
	"${A[@]}" secret show missing
printf 'wrong-token\n' >"$tmp/wrong"
expect "wrong token" 1 \
	"kbs-admin: refused: HTTP 401 unauthorized: the admin token is unknown (request feedfacefeedfacefeedfacefeedface)" \
	"$admin" --url "unix:$tmp/kbs.sock" --token-file "$tmp/wrong" secret list
check "wrong token not echoed" bash -c "! grep -q wrong-token '$tmp/out' '$tmp/err'"
start_fake admin-broken-audit
expect "broken audit chain" 1 "kbs-admin: the audit chain is NOT intact" "${A[@]}" audit verify
check "broken chain printed" grep -q first_bad_seq "$tmp/out"
expect "unreachable" 3 "" "$admin" --url http://127.0.0.1:1 --token-file "$tmp/token" secret list
check "unreachable message" grep -q "^kbs-admin: the broker could not be reached: " "$tmp/err"

# ---- Environment defaults ------------------------------------------------
expect "env defaults" 0 "" env KBS_ADMIN_URL="unix:$tmp/kbs.sock" KBS_ADMIN_TOKEN_FILE="$tmp/token" \
	"$admin" secret list
sent "env defaults" "GET /v1/admin/secrets $AUTH body="

finish
