#!/bin/sh
# kbs-root-check.sh: a pre-pivot hook. Before the initramfs hands over, the
# root file system (and everything else mounted from a disk under /sysroot)
# must be read through dm-crypt with a real cipher.
#
# Why: the host owns the disk. It can give the VM a plain file system where
# the root is expected, or copy the real LUKS2 header (keyslot, digest and
# kbs token) and set its data segment's cipher to cipher_null: the genuine
# key then opens a volume whose contents the host wrote in clear. Either
# way a root file system of the host's would run inside the attested VM.
# Only the mappings that are active now say what the kernel really reads.
#
# No systemd credentials may have been imported: the host chooses them.
# Each disk mount under /sysroot is followed down its device-mapper stack:
# a crypt target must use a cipher of /etc/kbs/root-ciphers (one per line;
# default aes-xts-plain64 and its authenticated form) with a key of at
# least 32 bytes; linear and striped targets are followed into the devices
# below them, each of which must pass in turn; anything else (a plain
# partition, a cipher_null mapping, another target, a file system on no
# block device such as btrfs or overlay) stops the boot: /sysroot is
# detached and die() halts. dracut sources this file and offers die(); the
# tests set KBS_SYS, KBS_MOUNTINFO and KBS_ETC to a made-up tree.

kbs_sys=${KBS_SYS:-/sys}
kbs_credentials=${KBS_CREDENTIALS:-/run/credentials}
kbs_mountinfo=${KBS_MOUNTINFO:-/proc/self/mountinfo}
kbs_ciphers_file=${KBS_ETC:-/etc/kbs}/root-ciphers
kbs_root_reason=""

# kbs_cipher_allowed CIPHER: status 0 when CIPHER is a line of the list.
kbs_cipher_allowed() {
	if [ -r "$kbs_ciphers_file" ]; then
		grep -qxF -- "$1" "$kbs_ciphers_file"
		return
	fi
	case $1 in
	aes-xts-plain64 | 'capi:authenc(hmac(sha256),xts(aes))-random') return 0 ;;
	esac
	return 1
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
			if ! kbs_cipher_allowed "$cipher"; then
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

# kbs_root_check: no system credentials, and every mount at or under
# /sysroot that a disk backs passes.
kbs_root_check() {
	local id parent majmin root mnt rest fstype seen=0 c
	# systemd imports credentials from SMBIOS and fw_cfg, which the host
	# sets and the measurement does not cover; one for systemd-tmpfiles
	# could have rewritten /etc/kbs/server.jwk before the pin ran.
	for c in "$kbs_credentials"/@system/* "$kbs_credentials"/@system/.[!.]* \
		"$kbs_credentials"/@encrypted/* "$kbs_credentials"/@encrypted/.[!.]*; do
		if [ -e "$c" ] || [ -L "$c" ]; then
			kbs_root_reason="system credentials were passed in (${c##*/}); the host may have set them"
			return 1
		fi
	done
	while read -r id parent majmin root mnt rest; do
		case $mnt in
		/sysroot | /sysroot/*) ;;
		*) continue ;;
		esac
		fstype=${rest#* - }
		fstype=${fstype%% *}
		case $fstype in
		proc | sysfs | devtmpfs | devpts | tmpfs | ramfs | securityfs | cgroup | cgroup2 | efivarfs) continue ;;
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

# die() asks systemd to halt without waiting; the service that sources
# this hook ignores its status, so the switch to the root could otherwise
# still race the halt. Detached, /sysroot has nothing to switch to.
if ! kbs_root_check; then
	umount -l /sysroot 2>/dev/null
	die "kbs-root-check: $kbs_root_reason; refusing to boot it"
fi
