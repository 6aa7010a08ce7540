#!/bin/sh
# setup.sh: install what is missing (Debian 12 packages), then configure and
# build kbs in ./build. Idempotent: a second run installs nothing and only
# rebuilds what changed. Run as root, or as a user with sudo.
set -eu
cd "$(dirname "$0")/.."

# curl drives the broker in the integration tests; python3-jwt checks its
# tokens with an independent JWT library; python3-nacl runs tests/integration/guest.py,
# a second implementation of the guest protocol. clevis, clevis-luks, jose,
# cryptsetup-bin and dracut (with clevis-dracut and dracut-network, whose
# modules the kbs pin's module builds on; dracut's network module needs
# dbus-daemon) run tests/integration/test_disk_unlock.sh.
PACKAGES="meson ninja-build pkg-config gcc libc6-dev python3 openssl
libssl-dev libsodium-dev libmicrohttpd-dev liblmdb-dev libcjson-dev
libcurl4-openssl-dev nettle-dev libgmp-dev curl python3-jwt python3-cryptography python3-nacl
clevis clevis-luks jose cryptsetup-bin dracut-core dracut-network clevis-dracut dbus-daemon"
# Scale-out (tests/integration/test_scaleout.sh): a 3-member etcd cluster
# (etcd-server, its v3 JSON gateway) and HAProxy in TCP mode in front of 3
# replicas; python3-yaml for the structural check of deploy/kubernetes/.
PACKAGES="$PACKAGES etcd-server haproxy python3-yaml"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
if [ -n "$missing" ]; then
	as_root=""
	if [ "$(id -u)" != 0 ]; then
		command -v sudo >/dev/null || { echo "setup.sh: need root or sudo to install:$missing" >&2; exit 1; }
		as_root="sudo"
	fi
	echo "setup.sh: installing$missing"
	$as_root apt-get update -qq
	# shellcheck disable=SC2086
	$as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

if [ ! -f build/build.ninja ]; then
	meson setup build
fi
ninja -C build
