#!/bin/sh -p
# kbs-direct-unlock: the path without clevis, for a per-VM LUKS key held as
# the broker's secret itself. Reads /etc/kbs/disk-unlock.conf (KEY=VALUE
# lines, read as data, never sourced):
#   url=https://kbs.internal:8443   the broker (required)
#   name=vm/ID/root                 the secret: the LUKS passphrase (required)
#   device=/dev/vda2                the LUKS device, or UUID=... (required)
#   mapper=root                     the /dev/mapper name (required)
#   attester=auto                   as kbs-client --attester (default auto)
# The broker's key is /etc/kbs/server.jwk, its CA /etc/kbs/ca.pem if present.
# The key goes from kbs-client to cryptsetup on a pipe, never to a file.
# The host owns the disk and so its LUKS header: a copy of the header is
# checked (kbs-luks-check: no keyslot or segment that would hand out a
# volume key the host chose) and the volume is opened with that copy, so
# the disk cannot show the check one header and cryptsetup another.
# KBS_ETC (default /etc/kbs) moves all three, and KBS_RUN (default
# /run/kbs) the header copy, for tests.
# In the image (module-setup.sh installs this file with kbs_image=1) nothing
# comes from the environment, which systemd.setenv= can fill: PATH is fixed
# and the KBS_* test settings are dropped. The tests run the source copy.
# The -p of the first line keeps the shell (bash, in dracut's image) from
# taking SHELLOPTS, BASHOPTS, BASH_ENV or ENV from it before this runs.
kbs_image=0
if [ "$kbs_image" = 1 ]; then
	PATH=/usr/sbin:/usr/bin:/sbin:/bin
	export PATH
	unset KBS_ETC KBS_RUN KBS_TSM_ROOT KBS_SEV_GUEST_DEVICE OPENSSL_CONF OPENSSL_MODULES OPENSSL_ENGINES
fi
etc=${KBS_ETC:-/etc/kbs}
run=${KBS_RUN:-/run/kbs}
conf=$etc/disk-unlock.conf
url="" name="" device="" mapper="" attester=auto

die() {
	echo "kbs-direct-unlock: $*" >&2
	exit 1
}

[ -r "$conf" ] || die "cannot read $conf"
while IFS= read -r line || [ -n "$line" ]; do
	case $line in
	'' | '#'*) continue ;;
	url=*) url=${line#url=} ;;
	name=*) name=${line#name=} ;;
	device=*) device=${line#device=} ;;
	mapper=*) mapper=${line#mapper=} ;;
	attester=*) attester=${line#attester=} ;;
	*) die "$conf: unknown line: ${line%%=*}" ;;
	esac
done <"$conf"
for k in url name device mapper; do
	eval "v=\$$k"
	[ -n "$v" ] || die "$conf: \"$k\" is required"
done

# Already open (an earlier run of the initqueue): nothing to do.
[ -e "/dev/mapper/$mapper" ] && exit 0

case $device in
UUID=*) device=/dev/disk/by-uuid/${device#UUID=} ;;
esac
[ -e "$device" ] || die "$device not present (yet)"

set -- --url "$url" --name "$name" --attester "$attester" --out -
[ -f "$etc/server.jwk" ] || die "no $etc/server.jwk: refusing an unauthenticated broker"
set -- "$@" --server-key "$etc/server.jwk"
[ -f "$etc/ca.pem" ] && set -- "$@" --ca "$etc/ca.pem"

(umask 077 && mkdir -p "$run") || die "cannot create $run"
header=$run/header-$mapper
rm -f "$header"
cryptsetup luksHeaderBackup "$device" --header-backup-file "$header" >/dev/null 2>&1 ||
	die "$device has no LUKS header to read"
kbs-luks-check "$header" || die "the LUKS header of $device is refused; see above"

# A failed fetch leaves cryptsetup an empty key, which it refuses; the
# status of kbs-client is what gets reported.
status=$({
	{
		kbs-client get-secret "$@" 3>&-
		echo "kbs-client:$?" >&3
	} | cryptsetup open --header "$header" "$device" "$mapper" --key-file=- 3>&-
	echo "cryptsetup:$?" >&3
} 3>&1 >&2)
rm -f "$header"
case $status in
*kbs-client:0*cryptsetup:0* | *cryptsetup:0*kbs-client:0*) exit 0 ;;
esac
kc=${status#*kbs-client:}
kc=${kc%%[!0-9]*}
[ "$kc" = 0 ] || die "the broker did not release \"$name\" (kbs-client exit $kc); see its message above"
die "cryptsetup could not open $device with the released key"
