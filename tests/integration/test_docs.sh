#!/bin/bash
# test_docs.sh ROOT: docs/openapi.yaml and docs/operations.md against the
# code (check_docs.py), then the checker itself against copies of the tree
# with one thing broken each: every mutant must fail with its own message,
# so a check that stops seeing its table fails here rather than passing.
set -u
root=$1
here=$(dirname "$0")
# shellcheck source=lib.sh
. "$here/lib.sh"
check="/usr/bin/python3 $here/check_docs.py"

expect "the documents match the code" 0 "check_docs: 0 problem(s)" $check "$root"
expect "usage" 2 "" $check
expect_err "usage message" "usage: check_docs.py ROOT"

# mutant NAME FILE SED_SCRIPT WANT: FILE (relative to the tree) edited with
# sed must make the checker exit 1 and print the line WANT.
mutant() {
	local name=$1 file=$2 script=$3 want=$4 m=$tmp/m out rc
	rm -rf "$m"
	mkdir -p "$m/kbs" "$m/common" "$m/docs"
	cp "$root"/kbs/*.c "$m/kbs/"
	cp "$root/common/kbs_err_list.h" "$m/common/"
	cp "$root/docs/openapi.yaml" "$root/docs/operations.md" "$m/docs/"
	sed -e "$script" "$root/$file" >"$m/$file"
	if cmp -s "$root/$file" "$m/$file"; then
		fail=$((fail + 1))
		echo "FAIL $name: the edit no longer applies to $file"
		return
	fi
	out=$($check "$m" 2>&1)
	rc=$?
	if [ "$rc" = 1 ] && printf '%s\n' "$out" | grep -qxF -- "$want"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL $name: rc=$rc (want 1), want the line: $want"
		printf '%s\n' "$out" | head -5 | sed 's/^/  /'
	fi
}

# Routes: both directions, listeners, roles, bearer schemes.
mutant "a route missing from openapi.yaml" docs/openapi.yaml \
	'/^  \/v1\/admin\/backup:$/,/^components:$/{/^components:$/!d}' \
	"route POST /v1/admin/backup (admin) is missing from docs/openapi.yaml"
mutant "a new route in routes.c" kbs/routes.c \
	'/"\/v1\/keys"/a { PUB, KBS_GET, "/v1/extra", KBS_METRICS_ROUTE_KEYS, kbs_h_keys, OPEN },' \
	"route GET /v1/extra (public) is missing from docs/openapi.yaml"
mutant "a route gone from routes.c" kbs/routes.c \
	'/"\/v1\/admin\/backup"/d' \
	"docs/openapi.yaml has POST /v1/admin/backup, which kbs/routes.c does not route"
mutant "a route moved off the admin listener" kbs/routes.c \
	's/PUB | ADM, KBS_GET, "\/v1\/keys"/PUB, KBS_GET, "\/v1\/keys"/' \
	"route GET /v1/keys (public): docs/openapi.yaml says x-kbs-listeners ['admin', 'public']"
mutant "an admin route read without its token checked first" kbs/routes.c \
	'/kbs_h_admin_cert_put,/{n;s/TOKEN/OPEN/}' \
	"route PUT /v1/admin/certs/* (admin): handler kbs_h_admin_cert_put asks for role admin, the table marks it OPEN"
mutant "a public route gated on an admin token" kbs/routes.c \
	'/kbs_h_attest, OPEN/s/OPEN/TOKEN/' \
	"route POST /v1/attest (public): handler kbs_h_attest asks for no token, the table marks it TOKEN"
mutant "a wrong role" docs/openapi.yaml \
	'/operationId: adminBackup/,/x-kbs-role/s/x-kbs-role: admin/x-kbs-role: auditor/' \
	"route POST /v1/admin/backup (admin): handler kbs_h_admin_backup asks for role admin, docs/openapi.yaml says auditor"
mutant "a handler asking for another role" kbs/admin_secrets.c \
	'/^kbs_h_admin_secret_list/,/^}/s/KEYSTORE_ROLE_AUDITOR/KEYSTORE_ROLE_ADMIN/' \
	"route GET /v1/admin/secrets (admin): handler kbs_h_admin_secret_list asks for role admin, docs/openapi.yaml says auditor"
mutant "the token scheme dropped" docs/openapi.yaml \
	'/operationId: getSecret/,/responses:/{/security:/d;/- attestationToken/d}' \
	"route GET /v1/secrets/* (public): security should be ['attestationToken'], is []"

# Error codes: every code of kbs/status.c under its own status.
mutant "an error code missing from openapi.yaml" docs/openapi.yaml \
	'/^        - nonce_other_replica$/d' \
	"error code nonce_other_replica (status 401 in kbs/status.c) is missing from ErrorCode401 in docs/openapi.yaml"
mutant "a code given another status" kbs/status.c \
	's/{ KBS_ERR_EXISTS, 409 }/{ KBS_ERR_EXISTS, 400 }/' \
	"docs/openapi.yaml ErrorCode409 lists exists, which kbs/status.c does not give status 409"
mutant "a new code in status.c" kbs/status.c \
	'/{ KBS_ERR_BAD_REQUEST, 400 }/a { KBS_ERR_CONFIG, 400 },' \
	"error code config (status 400 in kbs/status.c) is missing from ErrorCode400 in docs/openapi.yaml"

# Request bodies: kbs_field tables against the strict request schemas.
mutant "a new request member" kbs/attest.c \
	's/\[F_SECRETS\] = { "secrets", KBS_FIELD_STRING_ARRAY, 1, KBS_ATTEST_MAX_SECRETS },/&\n\t{ "extra", KBS_FIELD_STRING, 0, 0 },/' \
	"kbs/attest.c:attest_fields (cert_table, certs, extra, nonce, report, secrets) has no request schema with additionalProperties: false and exactly these members in docs/openapi.yaml"
mutant "a member made optional" kbs/admin_tokens.c \
	's/{ "role", KBS_FIELD_STRING, 1, 0 }/{ "role", KBS_FIELD_STRING, 0, 0 }/' \
	"kbs/admin_tokens.c:create_fields: member role is not required, schema TokenCreateRequest says otherwise"
mutant "a request schema no longer strict" docs/openapi.yaml \
	'/^    BackupRequest:$/,/^    BackupResponse:$/{/additionalProperties: false/d}' \
	"kbs/admin_audit.c:backup_fields (dest) has no request schema with additionalProperties: false and exactly these members in docs/openapi.yaml"

# Settings: every row of kbs/config.c's table, with its default and bounds.
mutant "a setting missing from operations.md" docs/operations.md \
	'/^| `token_lifetime` |/d' \
	"setting token_lifetime of kbs/config.c is missing from docs/operations.md"
mutant "a new setting in config.c" kbs/config.c \
	's/S_UINT("threads", threads, 0, 256),/&\n\tS_UINT("grace", threads, 0, 9),/' \
	"setting grace of kbs/config.c is missing from docs/operations.md"
mutant "a setting gone from config.c" kbs/config.c \
	'/S_UINT("rate_burst"/d' \
	"docs/operations.md documents setting rate_burst, which kbs/config.c lacks"
mutant "other bounds" kbs/config.c \
	's/S_UINT("nonce_lifetime", nonce_lifetime, 5, 3600)/S_UINT("nonce_lifetime", nonce_lifetime, 5, 7200)/' \
	"setting nonce_lifetime: docs/operations.md gives bounds '5 .. 3600', kbs/config.c 5 .. 7200"
mutant "another default" kbs/config.c \
	's/cfg->token_lifetime = 300;/cfg->token_lifetime = 600;/' \
	"setting token_lifetime: docs/operations.md gives default '300', kbs/config.c '600'"
mutant "another string default" kbs/config.c \
	's/"kbs-0"/"kbs-a"/' \
	"setting replica_id: docs/operations.md gives default '\`kbs-0\`', kbs/config.c 'kbs-a'"

# Metrics: every series, both directions.
mutant "a series missing from operations.md" docs/operations.md \
	'/^| `kbs_verifications_total` |/d' \
	"metrics series kbs_verifications_total is missing from docs/operations.md"
mutant "a series renamed" kbs/metrics.c \
	's/"kbs_audit_records_total"/"kbs_audit_appended_total"/' \
	"docs/operations.md documents series kbs_audit_records_total, which kbs/ does not export"
mutant "a gauge renamed" kbs/broker.c \
	's/"kbs_store_map_size_bytes"/"kbs_store_map_bytes"/' \
	"metrics series kbs_store_map_bytes is missing from docs/operations.md"
# Alerts name only exported series (histogram _bucket/_sum/_count included).
mutant "an alert on a series that does not exist" docs/operations.md \
	's/`kbs_store_map_size_bytes > 8e9`/`kbs_store_size_bytes > 8e9`/' \
	"docs/operations.md: alert 'store growing' uses series kbs_store_size_bytes, which kbs/ does not export"
mutant "a histogram renamed under an alert" kbs/metrics.c \
	's/"kbs_http_request_duration_seconds"/"kbs_http_duration_seconds"/' \
	"docs/operations.md: alert 'slow attestations' uses series kbs_http_request_duration_seconds_bucket, which kbs/ does not export"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
