#!/bin/sh
# run_golden.sh: runs the real kbs-policy binary and compares its output
# (stdout, then stderr, then the exit status) byte for byte with the
# golden files in this folder.
#
#   run_golden.sh KBS_POLICY SOURCE_ROOT
#
# After an intended change of output, regenerate the files with
#   KBS_UPDATE_GOLDEN=1 meson test -C build policy_golden
# and review the diff before committing it.
set -u
bin=$1
root=$2
gdir=$root/tests/golden/policy
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
fail=0

# check NAME ARGS...: run kbs-policy ARGS from the source root, compare with NAME.out
check() {
	name=$1
	shift
	(cd "$root" && "$bin" "$@" >"$tmp/out" 2>"$tmp/err"; echo "exit: $?" >"$tmp/rc")
	{
		cat "$tmp/out"
		if [ -s "$tmp/err" ]; then
			echo "--- stderr"
			cat "$tmp/err"
		fi
		cat "$tmp/rc"
	} >"$tmp/all"
	if [ "${KBS_UPDATE_GOLDEN:-0}" = 1 ]; then
		cp "$tmp/all" "$gdir/$name.out"
		return
	fi
	if ! cmp -s "$tmp/all" "$gdir/$name.out"; then
		echo "golden mismatch: $name (kbs-policy $*)"
		diff -u "$gdir/$name.out" "$tmp/all"
		fail=1
	fi
}

P=deploy/policies
G=tests/golden/policy
V=tests/vectors/snp

check explain_prod "explain" $P/prod-disk-unlock.json
check explain_mpc "explain" $P/mpc-party.json
check explain_dev "explain" $P/permissive-dev.json
check explain_all_rules "explain" $G/all-rules.json
check lint_examples "lint" $P/prod-disk-unlock.json $P/mpc-party.json $P/permissive-dev.json
check lint_strict "lint" --strict $P/permissive-dev.json
check lint_bad "lint" $G/bad-typo.json
check diff_prod "diff" $P/prod-disk-unlock.json $G/prod-disk-unlock-v2.json
check diff_dev "diff" $P/prod-disk-unlock.json $P/permissive-dev.json
check hash_prod "hash" $P/prod-disk-unlock.json
check test_prod_allow "test" $P/prod-disk-unlock.json --report $V/atakit-gcp/milan_report.bin \
	--vcek $V/atakit-gcp/milan_vcek.der --chain $V/amd/cert_chain_milan.pem \
	--crl $V/amd/crl_milan.der --at 2026-06-30T00:00:00Z --json
# The same evidence without a CRL: the policy requires revocation to have been checked.
check test_prod_no_crl "test" $P/prod-disk-unlock.json --report $V/atakit-gcp/milan_report.bin \
	--vcek $V/atakit-gcp/milan_vcek.der --chain $V/amd/cert_chain_milan.pem \
	--at 2026-06-30T00:00:00Z
check test_prod_deny "test" $P/prod-disk-unlock.json --report $V/go-sev-guest/milan_report.bin \
	--vcek $V/go-sev-guest/milan_vcek.der --chain $V/amd/cert_chain_milan.pem \
	--at 2022-10-24T00:00:00Z --json
check test_prod_deny_text "test" $P/prod-disk-unlock.json --report $V/go-sev-guest/milan_report.bin \
	--vcek $V/go-sev-guest/milan_vcek.der --chain $V/amd/cert_chain_milan.pem \
	--at 2022-10-24T00:00:00Z
check test_mpc_turin "test" $P/mpc-party.json --report $V/oak/turin_oc_report.bin \
	--vcek $V/oak/turin_oc_vcek.der --chain $V/amd/cert_chain_turin.pem \
	--at 2025-08-16T00:00:00Z --json
check test_mpc_tampered "test" $P/mpc-party.json --report $V/tampered/turin_reported_tcb_bitflip.bin \
	--vcek $V/oak/turin_oc_vcek.der --chain $V/amd/cert_chain_turin.pem \
	--at 2025-08-16T00:00:00Z --json
check test_dev_vlek "test" $P/permissive-dev.json --report $V/trustee/milan_vlek_report.bin \
	--vcek $V/trustee/milan_vlek.der --chain $V/amd/vlek_cert_chain_milan.pem \
	--at 2025-01-09T00:00:00Z --json
check test_all_rules "test" $G/all-rules.json --report $V/trustee/milan_vcek_report.bin \
	--vcek $V/trustee/milan_vcek.der --chain $V/amd/cert_chain_milan.pem \
	--at 2023-02-23T00:00:00Z --json
check test_crl_stale "test" $P/prod-disk-unlock.json --report $V/atakit-gcp/milan_report.bin \
	--vcek $V/atakit-gcp/milan_vcek.der --chain $V/amd/cert_chain_milan.pem \
	--crl $V/amd/crl_milan.der --at 2026-09-01T00:00:00Z
check test_not_a_report "test" $P/prod-disk-unlock.json --report $P/prod-disk-unlock.json \
	--vcek $V/atakit-gcp/milan_vcek.der --chain $V/amd/cert_chain_milan.pem --json
check test_vlek_csp "test" $G/vlek-aws.json --report $V/constellation/aws_milan_vlek_report.bin \
	--vcek $V/constellation/aws_milan_vlek.pem --chain $V/amd/vlek_cert_chain_milan.pem \
	--at 2025-01-09T00:00:00Z
check lint_mixed "lint" $P/mpc-party.json $G/bad-typo.json $P/permissive-dev.json
check usage_missing_report "test" $P/prod-disk-unlock.json --vcek x
check io_missing_file "explain" $G/does-not-exist.json

exit $fail
