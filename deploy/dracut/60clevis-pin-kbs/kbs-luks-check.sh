#!/bin/sh -p
# kbs-luks-check DEVICE|HEADER-FILE: exit 0 when a LUKS2 header can only
# yield a volume key its keyslots really encrypt, 1 (with the reason on
# stderr) otherwise. kbs-luks-check --allowed CIPHER: exit 0 when CIPHER is
# on the list (kbs-root-check asks it about dm tables, so there is one list
# reader).
#
# Why: the host owns the disk, so it can write the whole header. LUKS2
# gives each keyslot its own cipher, and a keyslot whose area is
# "encrypted" with cipher_null holds the volume key in clear: any
# passphrase, the one the broker releases included, then opens a volume
# whose key, and so whose contents, the host chose. The data segment can
# be set to cipher_null in the same way. So every keyslot and the one data
# segment must use a cipher of $KBS_ETC/root-ciphers (default
# aes-xts-plain64 and its authenticated form, named as dm-crypt names them)
# with a key of 32 bytes or more, and no mandatory requirement (an
# unfinished reencryption) may be set. cryptsetup 2.6 itself refuses a
# cipher_null keyslot; this check does not depend on that. Run it on a
# header copy that cryptsetup then opens with --header, or the disk can
# answer the check and the open with different bytes.
#
# In the image (module-setup.sh installs this file with kbs_image=1) nothing
# comes from the environment, which systemd.setenv= can fill: PATH is fixed
# and the KBS_* test settings are dropped. The tests run the source copy.
# The -p of the first line keeps the shell (bash, in dracut's image) from
# taking SHELLOPTS, BASHOPTS, BASH_ENV or ENV from it before this runs.
kbs_image=0
if [ "$kbs_image" = 1 ]; then
	PATH=/usr/sbin:/usr/bin:/sbin:/bin
	export PATH
	unset KBS_ETC
fi
kbs_ciphers_file=${KBS_ETC:-/etc/kbs}/root-ciphers

fail() {
	echo "kbs-luks-check: $1: $2" >&2
	exit 1
}

# allowed CIPHER: status 0 when CIPHER, as dm-crypt names it, is a whole
# line of the list. Only the characters cipher names use are accepted, so a
# value with a newline or a space cannot match one line and mean another.
allowed() {
	local l
	[ -n "$1" ] && [ -z "$(printf '%s' "$1" | tr -d 'A-Za-z0-9:(),_-')" ] || return 1
	if [ -r "$kbs_ciphers_file" ]; then
		while IFS= read -r l || [ -n "$l" ]; do
			[ "$l" = "$1" ] && return 0
		done <"$kbs_ciphers_file"
		return 1
	fi
	case $1 in
	aes-xts-plain64 | 'capi:authenc(hmac(sha256),xts(aes))-random') return 0 ;;
	esac
	return 1
}

# dm_name SEGMENT-JSON: the segment's cipher as dm-crypt's table names it.
# With integrity, LUKS2 writes "aes-xts-random" and the integrity apart;
# dm-crypt names the pair capi:authenc(hmac(sha256),xts(aes))-random. An
# "aead" integrity gives capi:MODE(CIPHER)-IV, which may not be how
# cryptsetup names that mode; the default list has none, so it fails closed.
dm_name() {
	local enc integ cipher mode iv
	enc=$(printf '%s' "$1" | jose fmt -j- -g encryption -u- 2>/dev/null)
	integ=$(printf '%s' "$1" | jose fmt -j- -g integrity -g type -u- 2>/dev/null) || {
		echo "$enc"
		return
	}
	cipher=${enc%%-*}
	mode=${enc#*-}
	iv=${mode#*-}
	mode=${mode%%-*}
	if [ "$integ" = aead ]; then
		echo "capi:$mode($cipher)-$iv"
	else
		echo "capi:authenc($integ,$mode($cipher))-$iv"
	fi
}

# --allowed CIPHER: only the list lookup, for kbs-root-check's dm tables.
if [ $# -eq 2 ] && [ "$1" = --allowed ]; then
	allowed "$2"
	exit
fi
[ $# -eq 1 ] || {
	echo "usage: kbs-luks-check DEVICE|HEADER-FILE | --allowed CIPHER" >&2
	exit 2
}
dev=$1
meta=$(cryptsetup luksDump --dump-json-metadata -- "$dev" 2>/dev/null) || fail "$dev" "not a LUKS2 header"

# An unfinished reencryption (or any other mandatory requirement) changes
# how the segments are read.
if req=$(printf '%s' "$meta" | jose fmt -j- -g config -g requirements -g mandatory -A -o- 2>/dev/null) &&
	[ "$(printf '%s' "$req" | jose fmt -j- -Al -o-)" != 0 ]; then
	fail "$dev" "mandatory requirements $req are set"
fi

[ "$(printf '%s' "$meta" | jose fmt -j- -g segments -O -l -o-)" = 1 ] || fail "$dev" "not exactly one data segment"
seg=$(printf '%s' "$meta" | jose fmt -j- -g segments -g 0 -O -o- 2>/dev/null) || fail "$dev" "no data segment 0"
[ "$(printf '%s' "$seg" | jose fmt -j- -g type -u- 2>/dev/null)" = crypt ] || fail "$dev" "data segment 0 is not of type crypt"
c=$(dm_name "$seg")
allowed "$c" || fail "$dev" "data segment 0 uses cipher $c, which is not allowed"

n=0
slots=$(printf '%s' "$meta" | jose fmt -j- -g keyslots -O -f- 2>/dev/null) || fail "$dev" "no keyslots object"
while IFS= read -r line; do
	[ -n "$line" ] || continue
	id=${line%%=*}
	ks=${line#*=}
	n=$((n + 1))
	t=$(printf '%s' "$ks" | jose fmt -j- -g type -u- 2>/dev/null)
	[ "$t" = luks2 ] || fail "$dev" "keyslot $id is of type $t"
	c=$(printf '%s' "$ks" | jose fmt -j- -g area -g encryption -u- 2>/dev/null)
	allowed "$c" || fail "$dev" "keyslot $id uses cipher $c, which is not allowed"
	k=$(printf '%s' "$ks" | jose fmt -j- -g area -g key_size -I -o- 2>/dev/null)
	case $k in
	'' | *[!0-9]*) fail "$dev" "keyslot $id has no key size" ;;
	esac
	[ "$k" -ge 32 ] || fail "$dev" "keyslot $id has a $k-byte key"
done <<SLOTS
$slots
SLOTS
[ "$n" -ge 1 ] || fail "$dev" "no keyslots"
exit 0
