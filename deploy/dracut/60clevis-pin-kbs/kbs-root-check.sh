#!/bin/sh -p
# kbs-root-check credentials|root: the initramfs's two gates, each run by
# its own unit whose failure powers the VM off (kbs-credentials-check.service,
# kbs-root-check.service; a killed check fails its unit too).
#
# Why: the host owns the disk and the firmware tables. It can pass systemd
# credentials through SMBIOS or fw_cfg, which the measurement does not
# cover (a tmpfiles.extra one would rewrite files of the initramfs, this
# check or the broker key included); and it can give the VM a plain file
# system where the root is expected, or a LUKS2 header of its making (a
# segment or a keyslot set to cipher_null) that opens to contents it wrote.
# Either way a root file system of the host's would run inside the attested
# VM and could fetch the fleet's keys.
#
# credentials: no systemd credential may have been imported
#   (/run/credentials/@system and @encrypted empty), the kernel command line
#   must turn their import off (systemd.import_credentials=no), and no
#   SystemdOptions EFI variable may exist. Runs before any unit that reads a
#   credential and before any unlocking.
# root: every disk mount under /sysroot is followed down its device-mapper
#   stack. A crypt target must be a LUKS2 mapping whose cipher is listed in
#   /etc/kbs/root-ciphers (one per line; default aes-xts-plain64 and its
#   authenticated form) with a key of at least 32 bytes, and whose header
#   passes kbs-luks-check (every keyslot too); linear and striped targets
#   are followed into the devices below them, each of which must pass in
#   turn. Anything else (a plain partition, another target, a file system on
#   no block device such as btrfs or overlay) fails, and /sysroot is
#   detached so nothing can switch to it. Runs once the root is mounted,
#   before dracut's pre-pivot hooks, and again after them.
# A disk can answer the header check and the open with different bytes, so
# for a volume the direct path did not open (clevis's) the header check is
# a second line, not a proof. The tests set KBS_SYS, KBS_MOUNTINFO,
# KBS_CREDENTIALS, KBS_CMDLINE, KBS_EFIVARS and KBS_RUN_SYSTEMD to made-up
# trees.

# In the image (module-setup.sh installs this file with kbs_image=1) nothing
# comes from the environment, which systemd.setenv= can fill: PATH is fixed
# and the KBS_* test settings are dropped. The tests run the source copy.
# The -p of the first line keeps the shell (bash, in dracut's image) from
# taking SHELLOPTS, BASHOPTS, BASH_ENV or ENV from it before this runs.
kbs_image=0
if [ "$kbs_image" = 1 ]; then
	PATH=/usr/sbin:/usr/bin:/sbin:/bin
	export PATH
	unset KBS_SYS KBS_CREDENTIALS KBS_CMDLINE KBS_EFIVARS KBS_MOUNTINFO KBS_ETC KBS_RUN_SYSTEMD
fi
kbs_sys=${KBS_SYS:-/sys}
kbs_credentials=${KBS_CREDENTIALS:-/run/credentials}
kbs_cmdline=${KBS_CMDLINE:-/proc/cmdline}
kbs_efivars=${KBS_EFIVARS:-/sys/firmware/efi/efivars}
kbs_run_systemd=${KBS_RUN_SYSTEMD:-/run/systemd}
kbs_mountinfo=${KBS_MOUNTINFO:-/proc/self/mountinfo}
kbs_root_reason=""

# kbs_refuse REASON: says why on the console and in the journal. The caller
# exits 1 right after it, so nothing can carry on past a refusal.
kbs_refuse() {
	echo "kbs-root-check: $1; refusing to boot" >&2
	[ -w /dev/kmsg ] && echo "<2>kbs-root-check: $1; refusing to boot" >/dev/kmsg
	return 0
}

# kbs_key_bytes KEY: the key's length in bytes, from a table's hex key
# (shown masked, same length) or a keyring reference ":SIZE:TYPE:DESC".
kbs_key_bytes() {
	case $1 in
	:*)
		set -- "${1#:}"
		echo "${1%%:*}"
		;;
	-) echo 0 ;;
	*) echo $((${#1} / 2)) ;;
	esac
}

# kbs_luks_check NAME: the crypt mapping NAME is LUKS2, and its header
# passes kbs-luks-check.
kbs_luks_check() {
	local status type device
	status=$(cryptsetup status -- "$1" 2>/dev/null) || {
		kbs_root_reason="cryptsetup status $1 failed"
		return 1
	}
	type=$(printf '%s\n' "$status" | sed -n 's/^ *type: *//p')
	device=$(printf '%s\n' "$status" | sed -n 's/^ *device: *//p')
	if [ "$type" != LUKS2 ]; then
		kbs_root_reason="mapping $1 is ${type:-of no type}, not LUKS2"
		return 1
	fi
	if ! kbs_root_reason=$(kbs-luks-check "$device" 2>&1); then
		kbs_root_reason=${kbs_root_reason#kbs-luks-check: }
		return 1
	fi
	return 0
}

# kbs_dev_check MAJ:MIN DEPTH: status 0 when every path below the device
# passes through an allowed crypt target; else kbs_root_reason says why.
kbs_dev_check() {
	local majmin="$1" depth="$2" d name table start len target cipher key rest bytes kinds="" s
	d=$kbs_sys/dev/block/$majmin
	if [ "$depth" -gt 8 ]; then
		kbs_root_reason="device $majmin: device-mapper stack deeper than 8"
		return 1
	fi
	if [ ! -r "$d/dm/name" ]; then
		kbs_root_reason="device $majmin ($(basename "$(readlink -f "$d")")) is not encrypted"
		return 1
	fi
	name=$(cat "$d/dm/name")
	table=$(dmsetup table -- "$name" 2>/dev/null) || {
		kbs_root_reason="dmsetup table $name failed"
		return 1
	}
	[ -n "$table" ] || {
		kbs_root_reason="mapping $name has no table"
		return 1
	}
	while read -r start len target cipher key rest; do
		case $target in
		crypt)
			if ! kbs-luks-check --allowed "$cipher"; then
				kbs_root_reason="mapping $name uses cipher $cipher, which is not allowed"
				return 1
			fi
			bytes=$(kbs_key_bytes "$key")
			case $bytes in
			'' | *[!0-9]*) bytes=0 ;;
			esac
			if [ "$bytes" -lt 32 ]; then
				kbs_root_reason="mapping $name has a $bytes-byte key"
				return 1
			fi
			kbs_luks_check "$name" || return 1
			kinds="$kinds crypt"
			;;
		linear | striped) kinds="$kinds pass" ;;
		*)
			kbs_root_reason="mapping $name has a $target target"
			return 1
			;;
		esac
	done <<TABLE
$table
TABLE
	case $kinds in
	*crypt*pass* | *pass*crypt*)
		kbs_root_reason="mapping $name mixes crypt and other targets"
		return 1
		;;
	*pass*)
		for s in "$d"/slaves/*; do
			[ -r "$s/dev" ] || {
				kbs_root_reason="mapping $name has no device below it"
				return 1
			}
			kbs_dev_check "$(cat "$s/dev")" $((depth + 1)) || return 1
		done
		;;
	esac
	return 0
}

# kbs_credentials_check: no systemd credential was imported, and none will
# be after the switch: the initramfs imports none when dracut left out the
# firmware drivers, and the real root would then import them afresh, so
# the measured command line must say systemd.import_credentials=no. systemd
# unquotes words and treats - and _ in a key alike: a line with quotes or a
# carriage return is refused, and every word whose key reads as
# systemd.import_credentials must say exactly =no. systemd also takes
# options from the SystemdOptions EFI variable, which unmeasured firmware
# storage would let the host set: it must not exist.
kbs_credentials_check() {
	local c w key seen=0 cmd
	cmd=$(cat "$kbs_cmdline" 2>/dev/null) || {
		kbs_root_reason="cannot read the kernel command line"
		return 1
	}
	case $cmd in
	*\"* | *\'* | *"$(printf '\r')"*)
		kbs_root_reason="the kernel command line has quotes or a carriage return, which systemd reads otherwise"
		return 1
		;;
	esac
	set -f
	for w in $cmd; do
		key=$(printf '%s' "${w%%=*}" | tr - _)
		[ "$key" = systemd.import_credentials ] || continue
		if [ "$w" != systemd.import_credentials=no ]; then
			seen=2
			break
		fi
		seen=1
	done
	set +f
	if [ "$seen" != 1 ]; then
		kbs_root_reason="the kernel command line lacks systemd.import_credentials=no (or has another value for it), so credentials the host sets would reach the system"
		return 1
	fi
	if [ -e "$kbs_efivars/SystemdOptions-8cf2644b-4b0b-428f-9387-6d876050dc67" ] ||
		[ -e "$kbs_run_systemd/efivars/SystemdOptions-8cf2644b-4b0b-428f-9387-6d876050dc67" ]; then
		kbs_root_reason="the SystemdOptions EFI variable is set; the host may have set it"
		return 1
	fi
	for c in "$kbs_credentials"/@system/* "$kbs_credentials"/@system/.[!.]* \
		"$kbs_credentials"/@encrypted/* "$kbs_credentials"/@encrypted/.[!.]*; do
		if [ -e "$c" ] || [ -L "$c" ]; then
			kbs_root_reason="system credentials were passed in (${c##*/}); the host may have set them"
			return 1
		fi
	done
	return 0
}

# kbs_root_check: every mount at or under /sysroot that a disk backs passes.
kbs_root_check() {
	local id parent majmin root mnt rest fstype seen=0
	while read -r id parent majmin root mnt rest; do
		case $mnt in
		/sysroot | /sysroot/*) ;;
		*) continue ;;
		esac
		fstype=${rest#* - }
		fstype=${fstype%% *}
		case $fstype in
		proc | sysfs | devtmpfs | devpts | tmpfs | ramfs | securityfs | cgroup | cgroup2 | efivarfs)
			if [ "$mnt" = /sysroot ]; then
				kbs_root_reason="/sysroot is a $fstype"
				return 1
			fi
			continue
			;;
		esac
		[ "$mnt" = /sysroot ] && seen=1
		case $majmin in
		0:*)
			kbs_root_reason="$mnt is $fstype on no block device"
			return 1
			;;
		esac
		kbs_dev_check "$majmin" 0 || {
			kbs_root_reason="$mnt: $kbs_root_reason"
			return 1
		}
	done <"$kbs_mountinfo"
	if [ "$seen" = 0 ]; then
		kbs_root_reason="nothing is mounted at /sysroot"
		return 1
	fi
	return 0
}

case ${1:-} in
credentials)
	if ! kbs_credentials_check; then
		kbs_refuse "$kbs_root_reason"
		exit 1
	fi
	;;
root)
	if ! kbs_credentials_check || ! kbs_root_check; then
		umount -l /sysroot 2>/dev/null
		kbs_refuse "$kbs_root_reason"
		exit 1
	fi
	;;
*)
	echo "usage: kbs-root-check credentials|root" >&2
	exit 2
	;;
esac
exit 0
