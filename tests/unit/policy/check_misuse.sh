#!/bin/sh
# check_misuse.sh SNIPPET CC...: compiles SNIPPET (tests/unit/policy/misuse_eval.c)
# once per MISUSE value. MISUSE=0, the one way to evaluate, must compile;
# 1 (the issue 7 reproduction: policy_eval on a caller-owned report),
# 2 (a made-up struct policy_verified) and 3 (writing through the const
# accessor) must each fail, with a diagnostic that names the misuse.
# Include paths come from KBS_SOURCE_ROOT.
set -u
snippet=$1
shift
root=${KBS_SOURCE_ROOT:?run through meson test}
inc="-I$root/policy -I$root/snp -I$root/common"
fail=0
out=$(mktemp) || exit 2
trap 'rm -f "$out"' EXIT

# build N: compile with MISUSE=N; exit status of the compiler, output in $out
build() {
	"$@" -std=gnu11 -Werror -fsyntax-only $inc -DMISUSE="$n" "$snippet" >"$out" 2>&1
}

n=0
if ! build "$@"; then
	echo "FAIL: the correct use does not compile:"
	cat "$out"
	exit 1
fi
for want in "1:policy_eval" "2:incomplete type\|storage size" "3:read-only"; do
	n=${want%%:*}
	pattern=${want#*:}
	if build "$@"; then
		echo "FAIL: MISUSE=$n compiles"
		fail=1
	elif ! grep -q "$pattern" "$out"; then
		echo "FAIL: MISUSE=$n fails for another reason:"
		cat "$out"
		fail=1
	else
		echo "ok: MISUSE=$n does not compile ($(grep -m1 "error" "$out" | sed 's/.*error: //'))"
	fi
done
exit $fail
