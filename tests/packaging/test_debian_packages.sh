#!/bin/bash
# test_debian_packages.sh SRC BUILD_ROOT: the Debian packages, end to end.
#
# 1. copies the source tree (the files git knows, committed or not) to a
#    scratch directory and runs `dpkg-buildpackage -b -uc -us` there, so
#    the checkout is never touched;
# 2. `lintian --fail-on error` on the result;
# 3. makes a fresh Debian 12 root (debootstrap --variant=minbase, cached as
#    a tarball: /var/cache/fresh-debian's if there is one, else under
#    BUILD_ROOT), installs kbs, kbs-client and kbs-policy into it with
#    apt (dependencies resolved from the Debian mirror);
# 4. checks what postinst made (user kbs, its 0700 data directory, a
#    root-only master key, the conffile) and starts the installed daemon in
#    the root as user kbs, with the installed configuration (admin API on
#    its unix socket) and the public listener on loopback, the master key
#    passed as the unit passes it (a credential), then asks /healthz and
#    kbs-admin, and stops it with SIGTERM.
# Needs root (chroot, debootstrap) and the mirror: SKIP (77) with the
# reason otherwise. Prints how long each step took.
set -u
src=$1
build_root=$2

skip() {
	echo "SKIP: $*"
	exit 77
}
[ "$(id -u)" = 0 ] || skip "needs root (debootstrap and chroot)"
for t in dpkg-buildpackage dh lintian debootstrap fakeroot; do
	command -v "$t" >/dev/null || skip "$t is not installed (deploy/setup.sh installs it)"
done

work=$(mktemp -d /tmp/kbs-deb.XXXXXX)
root=$work/root
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	for m in dev/pts dev proc sys; do umount -l "$root/$m" 2>/dev/null; done
	if grep -q " $work/" /proc/mounts; then
		echo "left $work mounted"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
pass=0
fail=0
ok() {
	pass=$((pass + 1))
}
bad() {
	fail=$((fail + 1))
	echo "FAIL $*"
}
check() { # check NAME CMD...: CMD must exit 0
	local name=$1
	shift
	if "$@" >"$work/check.out" 2>&1; then ok; else
		bad "$name"
		head -5 "$work/check.out"
	fi
}
t0=$(date +%s)
step() {
	local now
	now=$(date +%s)
	echo "== $1 ($((now - t0)) s so far)"
}

# ---- 1. build from a copy -----------------------------------------------------
step "copying the source tree"
mkdir "$work/src"
if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$src" && git ls-files -z -co --exclude-standard) |
		(cd "$src" && tar --null -T - -cf -) | tar -C "$work/src" -xf -
else
	tar -C "$src" --exclude='./build*' -cf - . | tar -C "$work/src" -xf -
fi
step "dpkg-buildpackage -b -uc -us"
if ! (cd "$work/src" && DEB_BUILD_OPTIONS=nocheck nice -n 10 dpkg-buildpackage -b -uc -us) \
	>"$work/build.log" 2>&1; then
	bad "dpkg-buildpackage"
	tail -30 "$work/build.log"
	exit 1
fi
ok
debs=()
for p in kbs kbs-client kbs-policy; do
	f=$(ls "$work"/${p}_*_*.deb 2>/dev/null | head -1)
	if [ -n "$f" ]; then ok; debs+=("$f"); else bad "no $p package"; fi
done
[ "${#debs[@]}" = 3 ] || exit 1
# What each package must carry.
have() { # have DEB PATH...
	local deb=$1 p
	shift
	for p in "$@"; do
		check "$(basename "$deb") has $p" grep -qx ".$p" <(dpkg-deb -c "$deb" | awk '{print $6}')
	done
}
have "${debs[0]}" /usr/bin/kbs /usr/bin/kbs-admin /usr/bin/kbs-store /etc/kbs/config.json \
	/lib/systemd/system/kbs.service /usr/share/kbs/policies/prod-disk-unlock.json \
	/usr/share/doc/kbs/operations.md
have "${debs[1]}" /usr/bin/kbs-client /usr/bin/clevis-encrypt-kbs /usr/bin/clevis-decrypt-kbs \
	/usr/bin/clevis-kbs-common /usr/lib/dracut/modules.d/60clevis-pin-kbs/module-setup.sh \
	/usr/lib/dracut/modules.d/60clevis-pin-kbs/kbs-root-check.sh /usr/lib/dracut/modules.d/60clevis-pin-kbs/kbs-luks-check.sh \
	/usr/lib/dracut/modules.d/60clevis-pin-kbs/kbs-root-check.service /usr/share/kbs/dracut/60clevis-pin-kbs.conf
have "${debs[2]}" /usr/bin/kbs-policy

# ---- 2. lintian ---------------------------------------------------------------
step "lintian --fail-on error"
if lintian --fail-on error "$work"/kbs_*.changes >"$work/lintian.log" 2>&1; then ok; else
	bad "lintian reports errors"
	grep "^E:" "$work/lintian.log" | head -20
fi
grep -c "^W:" "$work/lintian.log" | sed 's/^/lintian warnings: /'

# ---- 3. a fresh root with the packages ----------------------------------------
step "fresh Debian 12 root"
cache=/var/cache/fresh-debian/bookworm-minbase.tar
[ -f "$cache" ] || cache=$build_root/debootstrap/bookworm-minbase.tar
mkdir -p "$root"
if [ -f "$cache" ]; then
	tar -C "$root" -xf "$cache" || skip "cannot unpack $cache"
else
	mkdir -p "$(dirname "$cache")"
	debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian \
		>"$work/debootstrap.log" 2>&1 ||
		skip "debootstrap failed (is deb.debian.org reachable?): $(tail -1 "$work/debootstrap.log")"
	tar -C "$root" -cf "$cache.partial" . && mv "$cache.partial" "$cache"
fi
cp /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc" && mount -t sysfs sys "$root/sys" &&
	mount --bind /dev "$root/dev" && mount --bind /dev/pts "$root/dev/pts" ||
	skip "cannot mount /proc, /sys, /dev in the root"
in_root() {
	chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
		DEBIAN_FRONTEND=noninteractive "$@"
}
mkdir "$root/tmp/debs"
cp "${debs[@]}" "$root/tmp/debs/"
step "apt-get install the three packages"
in_root apt-get update -qq >"$work/apt.log" 2>&1 ||
	skip "apt-get update failed in the root (is the mirror reachable?): $(tail -1 "$work/apt.log")"
in_debs=()
for f in "${debs[@]}"; do in_debs+=("/tmp/debs/$(basename "$f")"); done
if in_root apt-get install -y -qq --no-install-recommends "${in_debs[@]}" \
	>>"$work/apt.log" 2>&1; then ok; else
	bad "apt-get install"
	tail -20 "$work/apt.log"
	exit 1
fi

# ---- 4. what postinst made, and the installed daemon ---------------------------
step "postinst's work"
check "user kbs is a system user" in_root sh -c 'uid=$(id -u kbs) && [ "$uid" -lt 1000 ]'
check "/var/lib/kbs: kbs, 0700" in_root sh -c '[ "$(stat -c %U:%a /var/lib/kbs)" = kbs:700 ]'
check "/var/lib/kbs-backup: kbs, 0700" \
	in_root sh -c '[ "$(stat -c %U:%a /var/lib/kbs-backup)" = kbs:700 ]'
check "/etc/kbs/master.key: root, 0600, 64 hex digits" in_root sh -c \
	'[ "$(stat -c %U:%a /etc/kbs/master.key)" = root:600 ] && grep -qxE "[0-9a-f]{64}" /etc/kbs/master.key'
check "config.json is a conffile" in_root sh -c \
	"dpkg-query -W -f='\${Conffiles}' kbs | grep -q /etc/kbs/config.json"
check "kbs-client runs" in_root kbs-client --help
check "kbs-policy lints the packaged example policies" in_root sh -c \
	'kbs-policy lint /usr/share/kbs/policies/*.json'
check "the packaged unit names the installed paths" grep -q \
	"^ExecStart=/usr/bin/kbs --data-dir /var/lib/kbs/ --config /etc/kbs/config.json" \
	"$root/lib/systemd/system/kbs.service"

step "starting the installed kbs as user kbs"
# As the unit does: /run/kbs (RuntimeDirectory=) and the master key as a
# credential the service user can read.
in_root install -d -o kbs -g kbs -m 0700 /run/kbs /run/kbs-creds
in_root install -o kbs -g kbs -m 0400 /etc/kbs/master.key /run/kbs-creds/master.key
chroot --userspec=kbs:kbs "$root" /usr/bin/env -i PATH=/usr/bin:/bin \
	CREDENTIALS_DIRECTORY=/run/kbs-creds /usr/bin/kbs --data-dir /var/lib/kbs/ \
	--config /etc/kbs/config.json --master-key-credential master.key --listen 127.0.0.1:0 \
	>"$work/kbs.out" 2>"$work/kbs.log" &
pid=$!
for i in $(seq 100); do
	grep -q "listening admin" "$work/kbs.out" 2>/dev/null && break
	sleep 0.1
done
port=$(awk '/listening public/ {print $NF}' "$work/kbs.out")
if [ -z "$port" ]; then
	bad "the installed kbs did not start"
	cat "$work/kbs.out" "$work/kbs.log"
	exit 1
fi
ok
check "/healthz" sh -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$port/healthz)\" = 200 ]"
check "kbs-admin over the packaged unix socket" in_root kbs-admin --url unix:/run/kbs/admin.sock \
	--token-file /var/lib/kbs/admin.token secret list
check "the store is the kbs user's" in_root sh -c '[ "$(stat -c %U /var/lib/kbs/store/data.mdb)" = kbs ]'
check "no master.key in the data directory" in_root sh -c '[ ! -e /var/lib/kbs/master.key ]'
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=""
check "SIGTERM: exit 0" test "$rc" = 0

step "done"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
