#!/bin/sh
# verify-bundled.sh: the main job until the broker lands: verify every
# genuine AMD-signed report bundled in tests/vectors/snp with kbs-client,
# each at the time its EXPECTED.tsv row names (VLEKs expire after a year),
# and show that the tampered copies are rejected. Exit 0 only if every
# genuine report verifies and every tampered one is refused.
set -u
cd "$(dirname "$0")/.."
client=build/client/kbs-client
vectors=tests/vectors/snp
bad=0
genuine=0
refused=0

# Columns: 1 report, 2 signer, 3 chain, 5 expect_valid, 8 verify_at.
while IFS="$(printf '\t')" read -r report signer chain _product expect _nb _na at _rest; do
	case "$expect" in
	yes)
		if out=$($client verify --report "$vectors/$report" --vcek "$vectors/$signer" \
		    --chain "$vectors/$chain" --at "$at"); then
			genuine=$((genuine + 1))
			echo "$report: $out"
		else
			bad=1
			echo "$report: UNEXPECTED: $out"
		fi
		;;
	no*)
		if out=$($client verify --report "$vectors/$report" --vcek "$vectors/$signer" \
		    --chain "$vectors/$chain" --at "$at"); then
			bad=1
			echo "$report: UNEXPECTED ACCEPT: $out"
		else
			refused=$((refused + 1))
			echo "$report (tampered): $out"
		fi
		;;
	esac
done <<EOT
$(tail -n +2 "$vectors/EXPECTED.tsv")
EOT
echo "verified $genuine genuine reports, refused $refused tampered ones"
exit $bad
