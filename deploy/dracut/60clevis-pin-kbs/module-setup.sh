#!/bin/bash
# module-setup.sh for dracut: the kbs pin in the initramfs. Installs
# clevis-decrypt-kbs (for clevis's own unlockers), kbs-client, the broker's
# identity key and CA from $kbs_confdir, and asks for the network
# (rd.neednet=1). With $kbs_confdir/disk-unlock.conf it also installs the
# direct path without clevis: a hook that fetches a per-VM LUKS key and
# hands it to cryptsetup on a pipe.
#
# $kbs_confdir (default /etc/kbs) may be set in a dracut.conf.d file; its
# files land in /etc/kbs in the image whatever the source, because that is
# where the JWE's configuration and disk-unlock.conf name them.

kbs_confdir_default=/etc/kbs

# Not part of any image unless asked for (--add clevis-pin-kbs or
# add_dracutmodules+=" clevis-pin-kbs "): it needs the network at boot.
check() {
	require_binaries kbs-client clevis-decrypt-kbs jose cryptsetup || return 1
	return 255
}

# clevis when dracut has its module (the usual case: clevis's unlockers call
# the pin); the direct path needs only crypt and the network.
depends() {
	local deps="crypt network"
	if [ -d "$(dracut_module_path clevis)" ]; then
		deps="clevis $deps"
	fi
	echo "$deps"
	return 0
}

install() {
	local confdir="${kbs_confdir:-$kbs_confdir_default}" pin client f

	pin=$(find_binary clevis-decrypt-kbs) || {
		derror "clevis-pin-kbs: clevis-decrypt-kbs not found"
		return 1
	}
	client=$(find_binary kbs-client) || {
		derror "clevis-pin-kbs: kbs-client not found"
		return 1
	}
	# Always at /usr/bin in the image, wherever they were found: the pin
	# sources clevis-kbs-common from its own directory.
	inst_binary "$client" /usr/bin/kbs-client
	inst_script "$pin" /usr/bin/clevis-decrypt-kbs
	inst_simple "${pin%/*}/clevis-kbs-common" /usr/bin/clevis-kbs-common
	inst_multiple jose cryptsetup cat dirname grep mktemp rm sed tr

	if [ -f "$confdir/server.jwk" ]; then
		inst_simple "$confdir/server.jwk" /etc/kbs/server.jwk
	else
		dwarn "clevis-pin-kbs: no $confdir/server.jwk: bindings must carry the broker's key inline"
	fi
	if [ -f "$confdir/ca.pem" ]; then
		inst_simple "$confdir/ca.pem" /etc/kbs/ca.pem
	fi
	if [ -f "$confdir/disk-unlock.conf" ]; then
		inst_simple "$confdir/disk-unlock.conf" /etc/kbs/disk-unlock.conf
		inst_script "$moddir/kbs-direct-unlock.sh" /usr/bin/kbs-direct-unlock
		inst_hook initqueue/online 60 "$moddir/kbs-direct-unlock-hook.sh"
		dracut_need_initqueue
	fi

	# The broker is on the network: bring it up even when no other module
	# asks for it.
	mkdir -p "$initdir/etc/cmdline.d"
	echo "rd.neednet=1" >"$initdir/etc/cmdline.d/99clevis-pin-kbs.conf"
	for f in /etc/services /etc/nsswitch.conf; do
		[ -f "$f" ] && inst_simple "$f"
	done
	return 0
}
