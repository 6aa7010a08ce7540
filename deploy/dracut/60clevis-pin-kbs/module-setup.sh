#!/bin/bash
# module-setup.sh for dracut: the kbs pin in the initramfs. Installs
# clevis-decrypt-kbs (for clevis's own unlockers), kbs-client, the broker's
# identity key and CA from $kbs_confdir, and asks for the network
# (rd.neednet=1). With $kbs_confdir/disk-unlock.conf it also installs the
# direct path without clevis: a hook that fetches a per-VM LUKS key and
# hands it to cryptsetup on a pipe.
#
# The host owns the disk and the console, so neither may open the way to a
# root file system: the image must carry the broker's key (the build fails
# without server.jwk; the pin never takes a key from the disk), and a failed
# unlock powers the VM off instead of giving the console a shell or a
# passphrase prompt (rd.shell=0, rd.emergency=poweroff, the console and
# plymouth password agents masked). A root file system the host wrote would
# otherwise run inside the attested VM and fetch the fleet's keys.
#
# Settings for a dracut.conf.d file:
#   kbs_confdir=DIR          where server.jwk, ca.pem and disk-unlock.conf
#                            are taken from (default /etc/kbs); they land in
#                            /etc/kbs in the image whatever DIR is, because
#                            that is where the pin and disk-unlock.conf name them
#   kbs_emergency=ACTION     poweroff (default) or reboot on a failed boot
#   kbs_debug_console=yes    keep dracut's emergency shell and the console
#                            passphrase prompt: for debugging images only
#                            (the console then opens the VM to its host)
#   kbs_root_ciphers="C..."  the dm-crypt ciphers the root may be read
#                            through (default aes-xts-plain64 and
#                            capi:authenc(hmac(sha256),xts(aes))-random)
#
# Two units stop the boot (kbs_emergency): kbs-credentials-check.service
# when systemd imported any credential (the host sets them), before any unit
# reads one, and kbs-root-check.service unless everything mounted from a
# disk under /sysroot is read through a LUKS2 mapping with such a cipher
# whose header (every keyslot too) passes kbs-luks-check: a plain file
# system, or a header with a segment or keyslot set to cipher_null, is the
# host's. The direct path checks a copy of the header and opens with it. Modules that
# open a disk without the broker (the other clevis pins, TPM2, FIDO2 and
# PKCS#11 tokens, keys in GPG or loop files) fail the build: with them a
# token the host wrote, such as a clevis "null" binding, would open its disk.

kbs_confdir_default=/etc/kbs
kbs_root_ciphers_default="aes-xts-plain64 capi:authenc(hmac(sha256),xts(aes))-random"
# Modules that unlock a disk by some means other than the broker.
# resume: a hibernation image on a disk would replace the initramfs's memory.
kbs_other_unlockers="clevis-pin-null clevis-pin-sss clevis-pin-tang clevis-pin-tpm2 tpm2-tss fido2 pkcs11 crypt-gpg crypt-loop resume"

# Not part of any image unless asked for (--add clevis-pin-kbs or
# add_dracutmodules+=" clevis-pin-kbs "): it needs the network at boot.
check() {
	require_binaries kbs-client clevis-decrypt-kbs jose cryptsetup || return 1
	return 255
}

# kbs_inst_fixed SRC DEST: installs a script of this module with kbs_image=1,
# so that in the image it takes nothing from its environment (PATH fixed,
# no KBS_* test settings), which systemd.setenv= could otherwise fill.
kbs_inst_fixed() {
	mkdir -p "$initdir${2%/*}"
	sed 's/^kbs_image=0$/kbs_image=1/' "$1" >"$initdir$2" || kbs_fatal "installing $2 failed"
	grep -qx 'kbs_image=1' "$initdir$2" || kbs_fatal "$1 has no kbs_image=0 line"
	chmod 0755 "$initdir$2"
}

# kbs_required_by UNIT TARGET...: each TARGET requires UNIT (a .requires link).
kbs_required_by() {
	local u=$1 t
	shift
	for t in "$@"; do
		mkdir -p "$initdir$systemdsystemunitdir/$t.requires"
		ln -sfn "../$u" "$initdir$systemdsystemunitdir/$t.requires/$u"
	done
}

# kbs_fatal MESSAGE: fails the whole build. dracut goes on when a module's
# install() returns non-zero, and an image without the pin or the key would
# boot to a passphrase prompt.
kbs_fatal() {
	dfatal "clevis-pin-kbs: $*"
	exit 1
}

# clevis when dracut has its module (the usual case: clevis's unlockers call
# the pin); the direct path needs only crypt and the network.
depends() {
	# systemd: the password agents are units there, which can be masked.
	local deps="crypt network systemd"
	if [ -d "$(dracut_module_path clevis)" ]; then
		deps="clevis $deps"
	fi
	echo "$deps"
	return 0
}

install() {
	local confdir="${kbs_confdir:-$kbs_confdir_default}" pin client f u m c
	local emergency="${kbs_emergency:-poweroff}"

	for m in $kbs_other_unlockers; do
		dracut_module_included "$m" &&
			kbs_fatal "module $m is in the image: it opens disks without the broker, so a token the host wrote would open a disk of its making; add omit_dracutmodules+=\" $m \" (deploy/dracut/60clevis-pin-kbs.conf omits them all)"
	done

	case $emergency in
	poweroff | reboot) ;;
	*) kbs_fatal "kbs_emergency=$emergency: poweroff or reboot" ;;
	esac
	case ${kbs_debug_console:-no} in
	yes | no) ;;
	*) kbs_fatal "kbs_debug_console=$kbs_debug_console: yes or no" ;;
	esac
	pin=$(find_binary clevis-decrypt-kbs) || kbs_fatal "clevis-decrypt-kbs not found"
	client=$(find_binary kbs-client) || kbs_fatal "kbs-client not found"
	[ -f "$confdir/server.jwk" ] ||
		kbs_fatal "no $confdir/server.jwk: the image must carry the broker's identity key (the pin never trusts a key named on the disk)"
	# Always at /usr/bin in the image, wherever they were found: the pin
	# sources clevis-kbs-common from its own directory.
	inst_binary "$client" /usr/bin/kbs-client
	kbs_inst_fixed "$pin" /usr/bin/clevis-decrypt-kbs
	inst_simple "${pin%/*}/clevis-kbs-common" /usr/bin/clevis-kbs-common
	inst_multiple jose cryptsetup cat dirname grep mktemp rm sed tr dmsetup readlink basename umount

	# Without efivarfs systemd cannot read the SystemdOptions EFI variable
	# (60clevis-pin-kbs.conf omits the driver); 00systemd installs it first.
	if [ -n "$(find "$initdir/lib/modules" "$initdir/usr/lib/modules" -name 'efivarfs.ko*' 2>/dev/null)" ]; then
		kbs_fatal "efivarfs is in the image: add omit_drivers+=\" efivarfs \" (deploy/dracut/60clevis-pin-kbs.conf does)"
	fi

	# The root must be read through dm-crypt with one of these ciphers.
	mkdir -p "$initdir/etc/kbs"
	: >"$initdir/etc/kbs/root-ciphers"
	for c in ${kbs_root_ciphers:-$kbs_root_ciphers_default}; do
		case $c in
		*cipher_null* | *ecb*) kbs_fatal "kbs_root_ciphers: $c is not a cipher to read a root through" ;;
		esac
		echo "$c" >>"$initdir/etc/kbs/root-ciphers"
	done
	kbs_inst_fixed "$moddir/kbs-root-check.sh" /usr/bin/kbs-root-check
	kbs_inst_fixed "$moddir/kbs-luks-check.sh" /usr/bin/kbs-luks-check
	# The gates, each required by what must not run without it; a failed
	# or killed check is the unit's failure, which ends the boot.
	for u in kbs-credentials-check kbs-root-check kbs-root-check-late; do
		sed "s/@ACTION@/$emergency/" "$moddir/$u.service" >"$initdir$systemdsystemunitdir/$u.service"
	done
	kbs_required_by kbs-credentials-check.service systemd-tmpfiles-setup-dev.service \
		systemd-tmpfiles-setup.service systemd-sysctl.service systemd-sysusers.service sysinit.target \
		cryptsetup-pre.target
	kbs_required_by kbs-root-check.service initrd.target initrd-cleanup.service initrd-switch-root.service
	kbs_required_by kbs-root-check-late.service initrd-cleanup.service initrd-switch-root.service
	# Every service of the image: no variable that makes a shell or a library
	# run or load something else (clevis's bash scripts read BASH_ENV; OpenSSL
	# in jose, cryptsetup and kbs-client reads OPENSSL_CONF), and none of the
	# test settings. A second line behind the firmware requirement
	# (docs/disk-unlock.md): only a SystemdOptions variable could set them.
	mkdir -p "$initdir/etc/systemd/system/service.d"
	cat >"$initdir/etc/systemd/system/service.d/50-kbs-environment.conf" <<-'EOF'
		[Service]
		UnsetEnvironment=BASH_ENV ENV SHELLOPTS BASHOPTS LD_PRELOAD LD_LIBRARY_PATH LD_AUDIT
		UnsetEnvironment=OPENSSL_CONF OPENSSL_MODULES OPENSSL_ENGINES
		UnsetEnvironment=KBS_ETC KBS_RUN KBS_TSM_ROOT KBS_SEV_GUEST_DEVICE
	EOF

	inst_simple "$confdir/server.jwk" /etc/kbs/server.jwk
	if [ -f "$confdir/ca.pem" ]; then
		inst_simple "$confdir/ca.pem" /etc/kbs/ca.pem
	fi
	if [ -f "$confdir/disk-unlock.conf" ]; then
		inst_simple "$confdir/disk-unlock.conf" /etc/kbs/disk-unlock.conf
		kbs_inst_fixed "$moddir/kbs-direct-unlock.sh" /usr/bin/kbs-direct-unlock
		inst_hook initqueue/online 60 "$moddir/kbs-direct-unlock-hook.sh"
		dracut_need_initqueue
	fi

	# The broker is on the network: bring it up even when no other module
	# asks for it. A failed boot ends in $emergency, not in a shell.
	mkdir -p "$initdir/etc/cmdline.d"
	if [ "${kbs_debug_console:-no}" = yes ]; then
		dwarn "clevis-pin-kbs: kbs_debug_console=yes: the console gets a shell and a passphrase prompt; never ship this image"
		echo "rd.neednet=1" >"$initdir/etc/cmdline.d/99clevis-pin-kbs.conf"
	else
		echo "rd.neednet=1 rd.shell=0 rd.emergency=$emergency" >"$initdir/etc/cmdline.d/99clevis-pin-kbs.conf"
		# No agent answers a passphrase request from the console or plymouth:
		# only the pin (clevis's agent) and the direct path unlock.
		mkdir -p "$initdir/etc/systemd/system"
		for u in systemd-ask-password-console.path systemd-ask-password-console.service \
			systemd-ask-password-plymouth.path systemd-ask-password-plymouth.service \
			systemd-ask-password-wall.path systemd-ask-password-wall.service debug-shell.service; do
			ln -sfn /dev/null "$initdir/etc/systemd/system/$u"
		done
	fi
	for f in /etc/services /etc/nsswitch.conf; do
		[ -f "$f" ] && inst_simple "$f"
	done
	return 0
}
