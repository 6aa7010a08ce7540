#!/bin/bash
# test_disk_unlock.sh KBS KBS-CLIENT KBS-ADMIN: disk unlock at boot, end to
# end with the real broker and a simulated chip. The kbs clevis pin on its
# own (round trip, header, every refusal with its exact message), then
# through clevis luks on a LUKS2 image in a file (bind, pass, open
# --test-passphrase, a guest with another measurement refused), the direct
# path without clevis (kbs-direct-unlock into cryptsetup), and the dracut
# module (an initramfs built with it, listed). No device-mapper or loop
# device is used: cryptsetup and clevis luks work on the file itself, and
# opening is proven with --test-passphrase. A disk whose header names
# another broker and key (the host owns the disk) must not open, and the
# initramfs must not hand a failed boot to the console.
kbs=$1
client=$2
admin=$3
src=${KBS_SOURCE_ROOT:-$(dirname "$0")/../..}
pin_dir=$src/deploy/clevis
module_dir=$src/deploy/dracut/60clevis-pin-kbs

. "$(dirname "$0")/lib.sh"

for c in clevis jose cryptsetup dracut lsinitrd; do
	command -v "$c" >/dev/null || { echo "FAIL: $c not installed (deploy/setup.sh installs it)"; exit 1; }
done

# The pin and kbs-client as an installed system has them: on PATH.
mkdir -p "$tmp/bin"
cp "$pin_dir/clevis-encrypt-kbs" "$pin_dir/clevis-decrypt-kbs" "$pin_dir/clevis-kbs-common" "$tmp/bin/"
ln -s "$(realpath "$client")" "$tmp/bin/kbs-client"
ln -s "$(realpath "$module_dir/kbs-luks-check.sh")" "$tmp/bin/kbs-luks-check"
export PATH="$tmp/bin:$PATH"

# ---- the broker -------------------------------------------------------------

"$client" sim-init "$tmp/chip" --product milan >/dev/null || exit 1
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait "${pids[@]}" 2>/dev/null; rm -rf "$tmp"' EXIT
# start_broker DATA OUT LOG: a broker on loopback that trusts the simulated chip.
start_broker() {
	local i
	"$kbs" --data-dir "$1" --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 \
		--trust-root "$tmp/chip/ark.pem" >"$2" 2>"$3" &
	pids+=($!)
	for i in $(seq 100); do
		grep -q "listening admin" "$2" 2>/dev/null && break
		sleep 0.1
	done
	grep -q "listening admin" "$2" || { echo "FAIL: kbs did not start"; cat "$3"; exit 1; }
}
data=$tmp/data
out=$tmp/kbs.out
start_broker "$data" "$out" "$tmp/kbs.log"
port=$(awk '/listening public/ {print $NF}' "$out")
aport=$(awk '/listening admin/ {print $NF}' "$out")
key=$(awk '/identity key/ {print $NF}' "$out")
url=http://127.0.0.1:$port
adm() { "$admin" --url "http://127.0.0.1:$aport" --token-file "$data/admin.token" "$@"; }
# The image's copy of the broker key, where the pin and the direct path read it.
mkdir -p "$tmp/etc"
echo "$key" >"$tmp/etc/server.jwk"
export KBS_ETC=$tmp/etc

# The guest, and the same chip running another image.
cp -a "$tmp/chip" "$tmp/wrongimage"
sed -i 's/^measurement = .*/measurement = '"$(printf '11%.0s' $(seq 48))"'/' "$tmp/wrongimage/chip.conf"
measurement=$(awk '/^measurement =/ {print $3}' "$tmp/chip/chip.conf")
cat >"$tmp/fleet.json" <<JSON
{"kbs_policy": 1, "name": "fleet", "rules": {"product": ["milan"], "measurement": ["$measurement"]}}
JSON
head -c 32 /dev/urandom >"$tmp/kek"
head -c 16 /dev/urandom >"$tmp/kek16"
head -c 64 /dev/urandom >"$tmp/kek64"
printf 'vm-7-root-passphrase' >"$tmp/vmkey"
expect "policy put" 0 "" adm policy put "$tmp/fleet.json"
expect "secret put fleet/disk-kek" 0 "" adm secret put fleet/disk-kek --policy fleet --from-file "$tmp/kek"
expect "secret put fleet/kek16" 0 "" adm secret put fleet/kek16 --policy fleet --from-file "$tmp/kek16"
expect "secret put fleet/kek64" 0 "" adm secret put fleet/kek64 --policy fleet --from-file "$tmp/kek64"
expect "secret put vm/7/root" 0 "" adm secret put vm/7/root --policy fleet --from-file "$tmp/vmkey"

# cfg NAME [ATTESTER [EXTRA]]: a pin configuration.
cfg() {
	printf '{"url":"%s","name":"%s","server_key":"%s","attester":"sim:%s"%s}' \
		"$url" "$1" "$key" "${2:-$tmp/chip}" "${3:-}"
}
enc() { printf '%s' "$2" | clevis encrypt kbs "$1"; }

# ---- the pin on its own -------------------------------------------------------

printf 'the plaintext\n\001\377' >"$tmp/plain"
clevis encrypt kbs "$(cfg fleet/disk-kek)" <"$tmp/plain" >"$tmp/jwe" 2>"$tmp/err"
expect "encrypt: compact JWE, five parts" 0 "5" bash -c "tr -cd . <'$tmp/jwe' | wc -c | awk '{print \$1 + 1}'"
hdr=$(cut -d. -f1 "$tmp/jwe" | jose b64 dec -i-)
expect "header: alg dir" 0 "dir" jose fmt -j "$hdr" -g alg -u-
expect "header: enc A256GCM" 0 "A256GCM" jose fmt -j "$hdr" -g enc -u-
expect "header: clevis.pin kbs" 0 "kbs" jose fmt -j "$hdr" -g clevis -g pin -u-
expect "header: clevis.kbs.url" 0 "$url" jose fmt -j "$hdr" -g clevis -g kbs -g url -u-
expect "header: clevis.kbs.name" 0 "fleet/disk-kek" jose fmt -j "$hdr" -g clevis -g kbs -g name -u-
expect "header: clevis.kbs.server_key" 0 "$key" jose fmt -j "$hdr" -g clevis -g kbs -g server_key -u-
expect "header: no key material" 1 "" grep -q '"k"' <<<"$hdr"
expect "encrypted key part empty (dir)" 0 "" test -z "$(cut -d. -f2 "$tmp/jwe")"
expect "decrypt round trip" 0 "" cmp -s "$tmp/plain" <(clevis decrypt <"$tmp/jwe")
expect "empty plaintext round trip" 0 "0" bash -c "set -o pipefail; printf '' | clevis encrypt kbs '$(cfg fleet/disk-kek)' | clevis decrypt | wc -c"
expect "1 MiB binary round trip" 0 "" bash -c "head -c 1048576 /dev/urandom >'$tmp/big' && clevis encrypt kbs '$(cfg fleet/disk-kek)' <'$tmp/big' | clevis decrypt | cmp -s - '$tmp/big'"
expect "decrypt-kbs directly" 0 "" cmp -s "$tmp/plain" <(clevis-decrypt-kbs <"$tmp/jwe")
# The released KEK really is the key: jose opens the JWE with it.
kjwk=$(printf '{"kty":"oct","k":"%s"}' "$(jose b64 enc -I "$tmp/kek")")
expect "sealed with the broker's secret" 0 "" cmp -s "$tmp/plain" <(jose jwe dec -i "$tmp/jwe" -k- <<<"$kjwk")
expect "a list of URLs, the first unreachable" 0 "" cmp -s "$tmp/plain" <(clevis decrypt < <(
	clevis encrypt kbs '{"url":["http://127.0.0.1:1","'"$url"'"],"name":"fleet/disk-kek","server_key":"'"$key"'","attester":"sim:'"$tmp/chip"'"}' <"$tmp/plain"))
expect "-y accepted (clevis luks bind -y)" 0 "" bash -c "printf x | clevis-encrypt-kbs '$(cfg fleet/disk-kek)' -y >/dev/null"
expect "--summary" 0 "Encrypts using a key released by a kbs broker" clevis-encrypt-kbs --summary

# ---- refusals: exact messages ------------------------------------------------

p="clevis-decrypt-kbs: "
expect "wrong measurement cannot decrypt" 1 "" clevis-decrypt-kbs < <(
	jose fmt -j "$hdr" -g clevis -g kbs -q "sim:$tmp/wrongimage" -s attester -UUUo- | jose b64 enc -I- -o-
	printf '.'
	cut -d. -f2- "$tmp/jwe")
expect_err "wrong measurement: the step and the rule" "${p}attestation to the broker failed for \"fleet/disk-kek\" (kbs-client exit 1): kbs-client get-secret: denied by policy (request "
expect_err "wrong measurement: the failed rule" "fleet/disk-kek: policy fleet failed measurement"
cp "$tmp/err" "$tmp/err.denial"
expect "wrong measurement: one line" 0 "1" bash -c "wc -l <'$tmp/err.denial'"

e="clevis-encrypt-kbs: "
expect "KEK of 16 bytes refused" 1 "" enc "$(cfg fleet/kek16)" x
expect_err "16 bytes named" "${e}the secret \"fleet/kek16\" is not a 32-byte key-encryption key; refusing"
expect "KEK of 64 bytes refused" 1 "" enc "$(cfg fleet/kek64)" x
expect_err "64 bytes named" "${e}the secret \"fleet/kek64\" is not a 32-byte key-encryption key; refusing"
expect "no such secret" 1 "" enc "$(cfg fleet/nosuch)" x
expect_err "not_found" "${e}attestation to the broker failed for \"fleet/nosuch\" (kbs-client exit 6)"
expect "wrong measurement cannot encrypt" 1 "" enc "$(cfg fleet/disk-kek "$tmp/wrongimage")" x
expect_err "encrypt denial" "${e}attestation to the broker failed for \"fleet/disk-kek\" (kbs-client exit 1)"
other_key=$(openssl genpkey -algorithm ed25519 | openssl pkey -pubout -outform DER | tail -c 32 | jose b64 enc -I-)
expect "wrong server_key" 1 "" enc '{"url":"'"$url"'","name":"fleet/disk-kek","server_key":"'"$other_key"'","attester":"sim:'"$tmp/chip"'"}' x
expect_err "wrong server_key: exit 5" "${e}attestation to the broker failed for \"fleet/disk-kek\" (kbs-client exit 5)"
expect "broker unreachable" 1 "" enc '{"url":"http://127.0.0.1:1","name":"fleet/disk-kek","server_key":"'"$key"'","attester":"sim:'"$tmp/chip"'"}' x
expect_err "unreachable: exit 3" "${e}attestation to the broker failed for \"fleet/disk-kek\" (kbs-client exit 3)"
expect "config not JSON" 1 "" enc 'nope' x
expect_err "not JSON" "${e}configuration: not a JSON object"
expect "config without server_key" 1 "" enc '{"url":"'"$url"'","name":"fleet/disk-kek"}' x
expect_err "server_key required" "${e}configuration: \"server_key\" (a string) is required: without it the broker is not authenticated"
expect "config without url" 1 "" enc '{"name":"fleet/disk-kek","server_key":"'"$key"'"}' x
expect_err "url required" "${e}configuration: \"url\" (a string or a list of strings) is required"
expect "config without name" 1 "" enc '{"url":"'"$url"'","server_key":"'"$key"'"}' x
expect_err "name required" "${e}configuration: \"name\" (a string) is required"
expect "config with a misspelt member" 1 "" enc "$(cfg fleet/disk-kek "$tmp/chip" ',"server-key":"x"')" x
expect_err "unknown member" "${e}configuration: unknown member (allowed: url, name, server_key, attester, ca)"
expect "url list with a number" 1 "" enc '{"url":["'"$url"'",5],"name":"n","server_key":"'"$key"'"}' x
expect_err "url item" "${e}configuration: \"url\" item 1 is not a string"
expect "attester not a string" 1 "" enc "$(printf '{"url":"%s","name":"fleet/disk-kek","server_key":"%s","attester":7}' "$url" "$key")" x
expect_err "attester type" "${e}configuration: \"attester\" must be a string"
expect "usage without CONFIG" 2 "" clevis-encrypt-kbs </dev/null

# JWEs the pin did not make, or made and then changed.
mkjwe() { jose fmt -j "$1" -o- | jose b64 enc -I- -o-; printf '.'; cut -d. -f2- "$tmp/jwe"; }
expect "header for another pin" 1 "" clevis-decrypt-kbs < <(mkjwe "$(jose fmt -j "$hdr" -g clevis -q tang -s pin -UUo-)")
expect_err "pin mismatch" "${p}the JWE is not for the kbs pin"
expect "alg other than dir" 1 "" clevis-decrypt-kbs < <(mkjwe "$(jose fmt -j "$hdr" -q A256KW -s alg -Uo-)")
expect_err "alg named" "${p}the JWE header's \"alg\" is not \"dir\""
expect "enc other than A256GCM" 1 "" clevis-decrypt-kbs < <(mkjwe "$(jose fmt -j "$hdr" -q A128GCM -s enc -Uo-)")
expect_err "enc named" "${p}the JWE header's \"enc\" is not \"A256GCM\""
expect "header without clevis.kbs" 1 "" clevis-decrypt-kbs < <(mkjwe "$(jose fmt -j "$hdr" -g clevis -d kbs -Uo-)")
expect_err "no config" "${p}the JWE header has no clevis.kbs configuration"
expect "header not base64" 1 "" clevis-decrypt-kbs <<<'!!!!.x.y.z.w'
expect_err "bad header" "${p}decoding the JWE protected header failed"
# A flipped ciphertext character fails the GCM tag.
tampered=$(awk -F. '{c=$4; f=substr(c,1,1); r=(f=="A")?"B":"A"; printf "%s.%s.%s.%s%s.%s", $1,$2,$3,r,substr(c,2),$5}' "$tmp/jwe")
expect "tampered ciphertext" 1 "" clevis-decrypt-kbs <<<"$tampered"
expect_err "tamper named" "${p}the JWE did not open with the released key-encryption key (another key, or a tampered JWE)"
# jose writes the plaintext before checking the tag; the pin must not.
expect "tampered: nothing on stdout" 0 "0" bash -c "clevis-decrypt-kbs 2>/dev/null <<<'$tampered' | wc -c"
# The broker's secret rotated: the old JWE no longer opens.
clevis encrypt kbs "$(cfg fleet/kek-rot)" <"$tmp/plain" >"$tmp/jwe-rot" 2>/dev/null # not there yet
expect "rot: no secret yet" 1 "" test -s "$tmp/jwe-rot"
head -c 32 /dev/urandom >"$tmp/kek-a"
head -c 32 /dev/urandom >"$tmp/kek-b"
expect "rot: secret put" 0 "" adm secret put fleet/kek-rot --policy fleet --from-file "$tmp/kek-a"
clevis encrypt kbs "$(cfg fleet/kek-rot)" <"$tmp/plain" >"$tmp/jwe-rot" 2>"$tmp/err"
expect "rot: secret replaced" 0 "" adm secret put fleet/kek-rot --policy fleet --from-file "$tmp/kek-b"
expect "a JWE under a replaced KEK" 1 "" clevis decrypt <"$tmp/jwe-rot"
expect_err "replaced KEK" "${p}the JWE did not open with the released key-encryption key"

# ---- a JWE the host wrote: its broker, its key, its KEK -----------------------

# The host owns the disk, so it can put a JWE of its own making in the LUKS
# header, made with jose alone. The pin attests only to a broker holding the
# image's key, so the host's broker cannot get its KEK accepted.
hdata=$tmp/hostdata
start_broker "$hdata" "$tmp/host.out" "$tmp/host.log"
hurl=http://127.0.0.1:$(awk '/listening public/ {print $NF}' "$tmp/host.out")
hkey=$(awk '/identity key/ {print $NF}' "$tmp/host.out")
hadm() { "$admin" --url "http://127.0.0.1:$(awk '/listening admin/ {print $NF}' "$tmp/host.out")" --token-file "$hdata/admin.token" "$@"; }
echo '{"kbs_policy": 1, "name": "any", "rules": {"product": ["milan"]}}' >"$tmp/any.json"
head -c 32 /dev/urandom >"$tmp/host-kek"
expect "host broker: policy put" 0 "" hadm policy put "$tmp/any.json"
expect "host broker: secret put" 0 "" hadm secret put k --policy any --from-file "$tmp/host-kek"
hhdr=$(printf '{"alg":"dir","enc":"A256GCM","clevis":{"pin":"kbs","kbs":{"url":"%s","name":"k","server_key":"%s","attester":"sim:%s"}}}' \
	"$hurl" "$hkey" "$tmp/chip")
printf '{"kty":"oct","k":"%s"}' "$(jose b64 enc -I "$tmp/host-kek")" >"$tmp/host-kek.jwk"
printf 'host passphrase' | jose jwe enc -i "{\"protected\":$hhdr}" -k "$tmp/host-kek.jwk" -I- -c >"$tmp/jwe-host"
expect "the host's JWE is well made (its KEK opens it)" 0 "host passphrase" jose jwe dec -i "$tmp/jwe-host" -k "$tmp/host-kek.jwk"
expect "a JWE naming another broker and key does not open" 1 "" clevis-decrypt-kbs <"$tmp/jwe-host"
expect_err "another broker: its answer is not signed by the image's key" "${p}attestation to the broker failed for \"k\" (kbs-client exit 5)"
expect "nor through clevis" 1 "" clevis decrypt <"$tmp/jwe-host"
mv "$tmp/etc/server.jwk" "$tmp/etc/server.jwk.off"
expect "no broker key in the image" 1 "" clevis-decrypt-kbs <"$tmp/jwe"
expect_err "no image key named" "${p}no $tmp/etc/server.jwk: the broker's key must come from the image, never from the disk; refusing"
mv "$tmp/etc/server.jwk.off" "$tmp/etc/server.jwk"
expect "the real binding still opens" 0 "" cmp -s "$tmp/plain" <(clevis-decrypt-kbs <"$tmp/jwe")

# ---- clevis luks on a LUKS2 image in a file ----------------------------------

img=$tmp/disk.img
truncate -s 32M "$img"
printf 'correct horse battery staple' >"$tmp/pass"
expect "luksFormat" 0 "" cryptsetup luksFormat -q --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 \
	--key-file "$tmp/pass" "$img"
# The guest's chip directory: the binding names it, as a real binding names "auto".
cp -a "$tmp/chip" "$tmp/guest"
expect "clevis luks bind" 0 "" clevis luks bind -y -d "$img" -k "$tmp/pass" kbs "$(cfg fleet/disk-kek "$tmp/guest")"
slot=$(cryptsetup luksDump "$img" | awk '/clevis/ {t=1} t && /Keyslot:/ {print $2; exit}')
expect "a clevis token names a slot" 0 "1" echo "$slot"
expect "clevis luks pass recovers it" 0 "" bash -c "clevis luks pass -d '$img' -s '$slot' >'$tmp/recovered'"
expect "the recovered passphrase is a new one" 1 "" cmp -s "$tmp/recovered" "$tmp/pass"
expect "it opens the volume" 0 "" cryptsetup open --test-passphrase --key-file "$tmp/recovered" "$img"
expect "the original passphrase still opens it" 0 "" cryptsetup open --test-passphrase --key-file "$tmp/pass" "$img"
printf 'wrong' >"$tmp/wrongpass"
expect "a wrong passphrase does not (the check means something)" 2 "" cryptsetup open --test-passphrase --key-file "$tmp/wrongpass" "$img"
# The same binding on a VM running another image.
rm -rf "$tmp/guest"
cp -a "$tmp/wrongimage" "$tmp/guest"
expect "wrong measurement: clevis luks pass fails" 1 "" clevis luks pass -d "$img" -s "$slot"
expect_err "wrong measurement: the pin's reason" "${p}attestation to the broker failed for \"fleet/disk-kek\" (kbs-client exit 1): kbs-client get-secret: denied by policy"
expect_err "wrong measurement: clevis's line" "It was not possible to decrypt the passphrase associated to slot $slot in $img!"
rm -rf "$tmp/guest"
cp -a "$tmp/chip" "$tmp/guest"
expect "the right guest again" 0 "" bash -c "clevis luks pass -d '$img' -s '$slot' | cryptsetup open --test-passphrase --key-file - '$img'"
expect "clevis luks unbind" 0 "" clevis luks unbind -f -d "$img" -s "$slot"
expect "unbound slot is gone" 1 "" clevis luks pass -d "$img" -s "$slot"

# ---- the direct path: kbs-direct-unlock into cryptsetup -----------------------

# The per-VM key is the LUKS passphrase itself.
expect "add the per-VM key" 0 "" cryptsetup luksAddKey -q --pbkdf pbkdf2 --pbkdf-force-iterations 1000 \
	--key-file "$tmp/pass" "$img" "$tmp/vmkey"
mkdir -p "$tmp/stub"
cat >"$tmp/etc/disk-unlock.conf" <<CONF
# the root volume
url=$url
name=vm/7/root
device=$img
mapper=kbs-test-root-$$
attester=sim:$tmp/chip
CONF
# No device mapper here: a cryptsetup that checks the key on its standard
# input with --test-passphrase instead of activating (with the header copy
# it was given); anything else goes to the real one.
cat >"$tmp/stub/cryptsetup" <<'STUB'
#!/bin/sh
[ "$1" = open ] || exec /usr/sbin/cryptsetup "$@"
[ "$2" = --header ] && [ "$6" = --key-file=- ] || exit 99
exec /usr/sbin/cryptsetup open --test-passphrase --header "$3" "$4" --key-file=-
STUB
chmod +x "$tmp/stub/cryptsetup"
direct=$src/deploy/dracut/60clevis-pin-kbs/kbs-direct-unlock.sh
du() { PATH="$tmp/stub:$PATH" KBS_ETC="$tmp/etc" KBS_RUN="$tmp/run" sh "$direct"; }
expect "direct: the released key opens the volume" 0 "" du
expect "direct: the header copy is removed" 1 "" test -e "$tmp/run/header-kbs-test-root-$$"
# The host rewrites the header: keyslot 0 "encrypted" with cipher_null
# would hand out a volume key of its choosing to any passphrase.
cp "$img" "$tmp/forged.img"
expect "forge: keyslot 0 cipher_null" 0 "" python3 "$src/tests/integration/luks_forge.py" "$tmp/forged.img" keyslot-cipher cipher_null-ecb
sed -i "s|^device=.*|device=$tmp/forged.img|" "$tmp/etc/disk-unlock.conf"
expect "direct: a forged header is refused" 1 "" du
expect_err "direct: the keyslot named" "kbs-luks-check: $tmp/run/header-kbs-test-root-$$: keyslot 0 uses cipher cipher_null-ecb, which is not allowed"
expect_err "direct: the refusal" "kbs-direct-unlock: the LUKS header of $tmp/forged.img is refused; see above"
printf 'not a luks volume' >"$tmp/plain.img"
sed -i "s|^device=.*|device=$tmp/plain.img|" "$tmp/etc/disk-unlock.conf"
expect "direct: no LUKS header" 1 "" du
expect_err "direct: no header named" "kbs-direct-unlock: $tmp/plain.img has no LUKS header to read"
sed -i "s|^device=.*|device=$img|" "$tmp/etc/disk-unlock.conf"
sed -i "s|^attester=.*|attester=sim:$tmp/wrongimage|" "$tmp/etc/disk-unlock.conf"
expect "direct: wrong measurement" 1 "" du
expect_err "direct: denial named" "kbs-direct-unlock: the broker did not release \"vm/7/root\" (kbs-client exit 1); see its message above"
sed -i "s|^attester=.*|attester=sim:$tmp/chip|; s|^name=.*|name=fleet/disk-kek|" "$tmp/etc/disk-unlock.conf"
expect "direct: a key that is not this volume's" 1 "" du
expect_err "direct: cryptsetup named" "kbs-direct-unlock: cryptsetup could not open $img with the released key"
mv "$tmp/etc/server.jwk" "$tmp/etc/server.jwk.off"
expect "direct: no broker key" 1 "" du
expect_err "direct: unauthenticated refused" "kbs-direct-unlock: no $tmp/etc/server.jwk: refusing an unauthenticated broker"
mv "$tmp/etc/server.jwk.off" "$tmp/etc/server.jwk"
echo "colour=blue" >>"$tmp/etc/disk-unlock.conf"
expect "direct: unknown line" 1 "" du
expect_err "direct: unknown line named" "kbs-direct-unlock: $tmp/etc/disk-unlock.conf: unknown line: colour"

# ---- kbs-luks-check: a LUKS2 header the host may have written -----------------

lc() { expect "luks check: $1" "$2" "" kbs-luks-check "$3"; }
lc "the bound volume" 0 "$img"
cp "$img" "$tmp/forged.img"
python3 "$src/tests/integration/luks_forge.py" "$tmp/forged.img" segment-integrity 'hmac(sha256)'
lc "authenticated (--integrity hmac(sha256)), named as dm-crypt names it" 0 "$tmp/forged.img"
echo 'aes-xts-plain64' >"$tmp/only-xts"
expect "luks check: integrity off the image's list" 1 "" env KBS_ETC="$tmp/only-xts.d" sh -c 'mkdir -p "$KBS_ETC" && cp "$1" "$KBS_ETC/root-ciphers" && kbs-luks-check "$2"' sh "$tmp/only-xts" "$tmp/forged.img"
expect_err "luks check: integrity named" "kbs-luks-check: $tmp/forged.img: data segment 0 uses cipher capi:authenc(hmac(sha256),xts(aes))-random, which is not allowed"
expect "luks check: --allowed on the list" 0 "" kbs-luks-check --allowed aes-xts-plain64
expect "luks check: --allowed, a newline cannot match one line and mean another" 1 "" kbs-luks-check --allowed "$(printf 'cipher_null-ecb\naes-xts-plain64')"
expect "luks check: --allowed, a space" 1 "" kbs-luks-check --allowed "cipher_null-ecb aes-xts-plain64"
for e in "keyslot-cipher cipher_null-ecb" "keyslot-cipher aes-ecb" "keyslot-key-size 16" \
	"segment-cipher cipher_null-ecb" "requirement kbs-unknown"; do
	cp "$img" "$tmp/forged.img"
	python3 "$src/tests/integration/luks_forge.py" "$tmp/forged.img" $e
	lc "${e% *} ${e#* }" 1 "$tmp/forged.img"
	case $e in
	"keyslot-cipher aes-ecb") expect_err "luks check: aes-ecb named" "kbs-luks-check: $tmp/forged.img: keyslot 0 uses cipher aes-ecb, which is not allowed" ;;
	"keyslot-key-size 16") expect_err "luks check: key size named" "kbs-luks-check: $tmp/forged.img: keyslot 0 has a 16-byte key" ;;
	"segment-cipher cipher_null-ecb") expect_err "luks check: segment named" "kbs-luks-check: $tmp/forged.img: data segment 0 uses cipher cipher_null-ecb, which is not allowed" ;;
	"requirement kbs-unknown") expect_err "luks check: requirement named" "kbs-luks-check: $tmp/forged.img: mandatory requirements [\"kbs-unknown\"] are set" ;;
	esac
done
lc "not LUKS" 1 "$tmp/plain.img"
expect_err "luks check: not LUKS named" "kbs-luks-check: $tmp/plain.img: not a LUKS2 header"

# ---- the root check: the root must be read through dm-crypt -----------------

# kbs-root-check.sh on made-up trees: a sysfs with device-mapper names and
# slaves, a mountinfo, a dmsetup that prints the tables given, a cryptsetup
# whose status says LUKS2 on the mapping's device, and a kbs-luks-check that
# refuses the devices listed in bad-headers.
rc_hook=$module_dir/kbs-root-check.sh
rck=$tmp/rootcheck
mkdir -p "$rck/stub" "$rck/tables"
cat >"$rck/stub/dmsetup" <<'STUB'
#!/bin/sh
[ "$1" = table ] && [ "$2" = -- ] && [ -f "$KBS_TABLES/$3" ] && exec cat "$KBS_TABLES/$3"
exit 1
STUB
chmod +x "$rck/stub/dmsetup"
cat >"$rck/stub/cryptsetup" <<'STUB'
#!/bin/sh
[ "$1" = status ] && [ "$2" = -- ] || exit 99
[ -f "$KBS_TABLES/$3.type" ] && t=$(cat "$KBS_TABLES/$3.type") || t=LUKS2
printf '/dev/mapper/%s is active.\n  type:    %s\n  cipher:  x\n  device:  /dev/disk-of-%s\n' "$3" "$t" "$3"
STUB
cat >"$rck/stub/kbs-luks-check" <<'STUB'
#!/bin/sh
[ "$1" = --allowed ] && exec sh "$KBS_LUKS_CHECK" "$@"
if grep -qxF -- "$1" "$KBS_TABLES/bad-headers" 2>/dev/null; then
	echo "kbs-luks-check: $1: keyslot 0 uses cipher cipher_null-ecb, which is not allowed" >&2
	exit 1
fi
exit 0
STUB
chmod +x "$rck/stub/cryptsetup" "$rck/stub/kbs-luks-check"
# umount records what it was asked to detach (never the test machine's).
printf '#!/bin/sh\necho "$*" >>"$KBS_UMOUNTS"\n' >"$rck/stub/umount"
chmod +x "$rck/stub/umount"
# dev MAJ:MIN [DM-NAME [SLAVE-MAJ:MIN...]]: a block device in the fake sysfs.
dev() {
	local d=$rck/sys/dev/block/$1 name=${2:-} s
	mkdir -p "$d"
	[ -n "$name" ] || return 0
	mkdir -p "$d/dm"
	echo "$name" >"$d/dm/name"
	shift 2
	for s in "$@"; do
		mkdir -p "$d/slaves/$s"
		echo "$s" >"$d/slaves/$s/dev"
	done
}
table() { printf '%s\n' "$2" >"$rck/tables/$1"; }
# mounts LINE...: mountinfo lines "MAJ:MIN MOUNTPOINT FSTYPE".
mounts() {
	local l
	: >"$rck/mountinfo"
	for l in "$@"; do
		set -- $l
		echo "30 1 $1 / $2 rw,relatime shared:1 - $3 /dev/x rw" >>"$rck/mountinfo"
	done
}
rootcheck() {
	KBS_SYS=$rck/sys KBS_MOUNTINFO=$rck/mountinfo KBS_ETC=$rck/etc KBS_TABLES=$rck/tables \
		KBS_UMOUNTS=$rck/umounts KBS_CREDENTIALS=$rck/credentials KBS_CMDLINE=$rck/cmdline KBS_EFIVARS=$rck/efivars \
		KBS_RUN_SYSTEMD=$rck/run-systemd \
		KBS_LUKS_CHECK="$module_dir/kbs-luks-check.sh" PATH="$rck/stub:$PATH" \
		sh -c 'sh "$1" root && echo booted' sh "$rc_hook"
}
xts=":64:logon:cryptsetup:0d5c-d0 0 8:2 32768"
echo "root=/dev/mapper/root ro systemd.import_credentials=no quiet" >"$rck/cmdline"
dev 8:2
dev 8:3
dev 253:0 luks-root 8:2
dev 253:1 luks-null 8:3
dev 253:2 vg-root 253:0
dev 253:3 vg-plain 8:3
dev 253:4 luks-short 8:2
dev 253:5 luks-mixed 8:2
dev 253:6 luks-integrity 8:2
table luks-root "0 2097152 crypt aes-xts-plain64 $xts"
table luks-null "0 2097152 crypt cipher_null-ecb - 0 8:3 32768"
table vg-root "0 1048576 linear 253:0 2048"
table vg-plain "0 1048576 linear 8:3 2048"
table luks-short "0 2097152 crypt aes-xts-plain64 :16:logon:cryptsetup:x 0 8:2 32768"
table luks-mixed "$(printf '0 1024 crypt aes-xts-plain64 %s\n1024 1024 linear 8:3 0' "$xts")"
table luks-integrity "0 2097152 crypt capi:authenc(hmac(sha256),xts(aes))-random $(printf '%0128d' 0) 0 253:9 0 1 integrity:32:aead"
R="kbs-root-check: "
mounts "253:0 /sysroot ext4" "0:22 /sysroot/run tmpfs" "0:5 /proc proc"
expect "root check: root on aes-xts-plain64" 0 "booted" rootcheck
expect "root check: a good root is not detached" 1 "" test -e "$rck/umounts"
mounts "253:2 /sysroot xfs"
expect "root check: LVM on LUKS" 0 "booted" rootcheck
mounts "253:6 /sysroot ext4"
expect "root check: LUKS2 with integrity (masked hex key)" 0 "booted" rootcheck
mounts "8:3 /sysroot ext4"
expect "root check: a plain file system" 1 "" rootcheck
expect_err "root check: plain named" "${R}/sysroot: device 8:3 (8:3) is not encrypted; refusing to boot"
expect "root check: a refused root is detached before the halt" 0 "-l /sysroot" cat "$rck/umounts"
mounts "253:1 /sysroot ext4"
expect "root check: a header edited to cipher_null" 1 "" rootcheck
expect_err "root check: cipher_null named" "${R}/sysroot: mapping luks-null uses cipher cipher_null-ecb, which is not allowed; refusing to boot"
mounts "253:3 /sysroot ext4"
expect "root check: LVM on a plain partition" 1 "" rootcheck
expect_err "root check: LVM on plain named" "${R}/sysroot: device 8:3 (8:3) is not encrypted"
mounts "253:4 /sysroot ext4"
expect "root check: a 16-byte key" 1 "" rootcheck
expect_err "root check: short key named" "${R}/sysroot: mapping luks-short has a 16-byte key"
mounts "253:5 /sysroot ext4"
expect "root check: crypt and linear in one table" 1 "" rootcheck
expect_err "root check: mixed named" "${R}/sysroot: mapping luks-mixed mixes crypt and other targets"
mounts "253:0 /sysroot ext4" "8:3 /sysroot/usr ext4"
expect "root check: /usr from a plain partition" 1 "" rootcheck
expect_err "root check: /usr named" "${R}/sysroot/usr: device 8:3 (8:3) is not encrypted"
mounts "0:31 /sysroot btrfs"
expect "root check: a file system on no block device" 1 "" rootcheck
expect_err "root check: btrfs named" "${R}/sysroot is btrfs on no block device"
mounts "253:0 /sysroot ext4"
mkdir -p "$rck/credentials/@system" "$rck/credentials/@encrypted"
expect "root check: empty credentials directories" 0 "booted" rootcheck
echo 'f+ /etc/kbs/server.jwk 0644 - - - hostkey' >"$rck/credentials/@system/tmpfiles.extra"
expect "root check: a credential passed in" 1 "" rootcheck
expect_err "root check: credential named" "${R}system credentials were passed in (tmpfiles.extra); the host may have set them"
rm "$rck/credentials/@system/tmpfiles.extra"
echo x >"$rck/credentials/@encrypted/.hidden"
expect "root check: an encrypted credential, a dot file" 1 "" rootcheck
expect_err "root check: encrypted named" "${R}system credentials were passed in (.hidden)"
rm -r "$rck/credentials"
mounts "0:5 /proc proc"
mounts "253:0 /sysroot ext4"
echo /dev/disk-of-luks-root >"$rck/tables/bad-headers"
expect "root check: a header with a cipher_null keyslot" 1 "" rootcheck
expect_err "root check: the header named" "${R}/sysroot: /dev/disk-of-luks-root: keyslot 0 uses cipher cipher_null-ecb, which is not allowed; refusing to boot"
rm "$rck/tables/bad-headers"
echo PLAIN >"$rck/tables/luks-root.type"
expect "root check: a plain dm-crypt mapping" 1 "" rootcheck
expect_err "root check: plain mapping named" "${R}/sysroot: mapping luks-root is PLAIN, not LUKS2"
rm "$rck/tables/luks-root.type"
expect "root check: credentials mode on a clean tree" 0 "" env KBS_CREDENTIALS="$rck/credentials" KBS_CMDLINE="$rck/cmdline" sh "$rc_hook" credentials
echo "root=/dev/mapper/root ro quiet" >"$rck/cmdline"
expect "root check: a command line without systemd.import_credentials=no" 1 "" rootcheck
expect_err "root check: import_credentials named" "${R}the kernel command line lacks systemd.import_credentials=no (or has another value for it), so credentials the host sets would reach the system; refusing to boot"
echo "systemd.import_credentials=no systemd.import_credentials=yes" >"$rck/cmdline"
expect "root check: a later systemd.import_credentials=yes wins" 1 "" rootcheck
echo "systemd.import_credentials=no systemd.import-credentials=yes" >"$rck/cmdline"
expect "root check: - and _ are one to systemd" 1 "" rootcheck
echo 'systemd.import_credentials=no "systemd.import_credentials=yes"' >"$rck/cmdline"
expect "root check: quotes on the command line" 1 "" rootcheck
expect_err "root check: quotes named" "${R}the kernel command line has quotes or a carriage return, which systemd reads otherwise"
printf 'systemd.import_credentials=no x\rsystemd.import_credentials=yes\n' >"$rck/cmdline"
expect "root check: a carriage return on the command line" 1 "" rootcheck
echo "systemd.import_credentials=no" >"$rck/cmdline"
mkdir -p "$rck/efivars" "$rck/run-systemd/efivars"
touch "$rck/efivars/SystemdOptions-8cf2644b-4b0b-428f-9387-6d876050dc67"
expect "root check: the SystemdOptions EFI variable" 1 "" rootcheck
expect_err "root check: SystemdOptions named" "${R}the SystemdOptions EFI variable is set; the host may have set it"
rm -r "$rck/efivars"
touch "$rck/run-systemd/efivars/SystemdOptions-8cf2644b-4b0b-428f-9387-6d876050dc67"
expect "root check: systemd's cached copy of SystemdOptions" 1 "" rootcheck
rm -r "$rck/run-systemd"
mounts "253:0 /sysroot ext4" "0:40 /sysroot tmpfs"
expect "root check: a tmpfs over /sysroot" 1 "" rootcheck
expect_err "root check: tmpfs named" "${R}/sysroot is a tmpfs"
mounts "253:0 /sysroot ext4" "0:41 /sysroot proc"
expect "root check: a proc over /sysroot" 1 "" rootcheck
expect "root check: an unknown mode" 2 "" sh "$rc_hook" other
mounts "0:5 /proc proc"
expect "root check: nothing at /sysroot" 1 "" rootcheck
expect_err "root check: nothing named" "${R}nothing is mounted at /sysroot"
mkdir -p "$rck/etc"
echo "serpent-xts-plain64" >"$rck/etc/root-ciphers"
mounts "253:0 /sysroot ext4"
expect "root check: a cipher the image's list lacks" 1 "" rootcheck
expect_err "root check: list named" "${R}/sysroot: mapping luks-root uses cipher aes-xts-plain64, which is not allowed"
rm "$rck/etc/root-ciphers"

# ---- the dracut module -------------------------------------------------------

# fixed FILE: the source with kbs_image=1, as the module installs its scripts
# (taking nothing from the environment).
fixed() { sed 's/^kbs_image=0$/kbs_image=1/' "$1"; }

# dracut reads its modules from $dracutbasedir/modules.d: a copy of the
# system's (links) plus this one, so nothing outside $tmp is touched.
base=$tmp/dracut
mkdir -p "$base/modules.d" "$tmp/dracut.conf.d"
for f in /usr/lib/dracut/*; do
	[ "${f##*/}" = modules.d ] || ln -s "$f" "$base/"
done
ln -s /usr/lib/dracut/modules.d/* "$base/modules.d/"
ln -s "$(realpath "$module_dir")" "$base/modules.d/60clevis-pin-kbs"
echo "kbs_confdir=$tmp/etc" >"$tmp/dracut.conf.d/kbs.conf"
mkinitrd() {
	dracutbasedir=$base DRACUT_PATH="/usr/sbin /usr/bin /sbin /bin $tmp/bin" \
		dracut --no-kernel --force --no-compress --no-hostonly --conf /dev/null \
		--confdir "$tmp/dracut.conf.d" --modules "bash clevis-pin-kbs" "$@" >"$tmp/dracut.log" 2>&1
}
expect "dracut builds an initramfs with the module" 0 "" mkinitrd "$tmp/initrd.img"
[ -s "$tmp/initrd.img" ] || tail -20 "$tmp/dracut.log"
lsinitrd "$tmp/initrd.img" >"$tmp/initrd.list" 2>/dev/null
has() { expect "initramfs has $1" 0 "" grep -qE " $1( |\$)" "$tmp/initrd.list"; }
has usr/bin/clevis-decrypt-kbs
has usr/bin/clevis-kbs-common
has usr/bin/kbs-client
has usr/bin/jose
has usr/bin/clevis-decrypt
has usr/bin/kbs-direct-unlock
has etc/kbs/server.jwk
has etc/kbs/disk-unlock.conf
has etc/cmdline.d/99clevis-pin-kbs.conf
has etc/kbs/root-ciphers
expect "the root check inside is this one, fixed" 0 "" cmp -s <(fixed "$module_dir/kbs-root-check.sh") <(lsinitrd -f usr/bin/kbs-root-check "$tmp/initrd.img")
expect "the header check inside is this one, fixed" 0 "" cmp -s <(fixed "$module_dir/kbs-luks-check.sh") <(lsinitrd -f usr/bin/kbs-luks-check "$tmp/initrd.img")
expect "the direct path inside is this one, fixed" 0 "" cmp -s <(fixed "$module_dir/kbs-direct-unlock.sh") <(lsinitrd -f usr/bin/kbs-direct-unlock "$tmp/initrd.img")
# The image's copy ignores KBS_* settings: pointed at a made-up tree that
# passes, it still reads the real command line, which lacks the word.
lsinitrd -f usr/bin/kbs-root-check "$tmp/initrd.img" >"$tmp/image-root-check"
echo "systemd.import_credentials=no" >"$tmp/good-cmdline"
expect "the image's root check ignores KBS_CMDLINE" 1 "" env KBS_CMDLINE="$tmp/good-cmdline" KBS_CREDENTIALS="$tmp/none" KBS_EFIVARS="$tmp/none" sh "$tmp/image-root-check" credentials
expect_err "the image's root check read /proc/cmdline" "kbs-root-check: the kernel command line lacks systemd.import_credentials=no"
# dracut's /bin/sh is bash: the shebang's -p keeps SHELLOPTS=noexec (which
# systemd.setenv= could set) from turning every command off.
expect "the image's root check starts its shell with -p" 0 "#!/bin/sh -p" head -1 "$tmp/image-root-check"
expect "with SHELLOPTS=noexec the image's root check, run as the kernel would, still refuses" 1 "" \
	env SHELLOPTS=noexec KBS_CMDLINE="$tmp/good-cmdline" bash -p "$tmp/image-root-check" credentials
expect "without -p it would pass (the control)" 0 "" env SHELLOPTS=noexec bash "$tmp/image-root-check" credentials
for f in usr/bin/kbs-luks-check usr/bin/kbs-direct-unlock; do
	expect "$f starts its shell with -p" 0 "#!/bin/sh -p" bash -c "lsinitrd -f '$f' '$tmp/initrd.img' | head -1"
done
expect "the pin starts bash with -p" 0 "#!/bin/bash -p" bash -c "lsinitrd -f usr/bin/clevis-decrypt-kbs '$tmp/initrd.img' | head -1"
expect "the source's root check takes it (the control)" 0 "" env KBS_CMDLINE="$tmp/good-cmdline" KBS_CREDENTIALS="$tmp/none" KBS_EFIVARS="$tmp/none" KBS_RUN_SYSTEMD="$tmp/none" sh "$module_dir/kbs-root-check.sh" credentials
expect "every service drops the variables that load or run something else" 0 "UnsetEnvironment=BASH_ENV ENV SHELLOPTS BASHOPTS LD_PRELOAD LD_LIBRARY_PATH LD_AUDIT" \
	bash -c "lsinitrd -f etc/systemd/system/service.d/50-kbs-environment.conf '$tmp/initrd.img' | grep -m1 '^UnsetEnvironment='"
expect "debug-shell.service masked" 0 "" grep -qE " etc/systemd/system/debug-shell.service -> /dev/null\$" "$tmp/initrd.list"
unitdir=$(grep -oE " (usr/)?lib/systemd/system/kbs-root-check.service$" "$tmp/initrd.list" | sed 's|^ ||; s|/kbs-root-check.service$||')
expect "the gates' units are in" 0 "" test -n "$unitdir"
for u in kbs-credentials-check kbs-root-check; do
	expect "$u: a failure powers off" 0 "FailureAction=poweroff-force" bash -c "lsinitrd -f '$unitdir/$u.service' '$tmp/initrd.img' | grep '^FailureAction='"
done
# The order, not just the requirement: a Requires= without it runs alongside.
expect "the credentials check comes before what reads credentials, and before unlocking" 0 "Before=systemd-tmpfiles-setup-dev.service systemd-tmpfiles-setup.service
Before=systemd-sysctl.service systemd-sysusers.service sysinit.target
Before=cryptsetup-pre.target clevis-luks-askpass.path clevis-luks-askpass.service" bash -c "lsinitrd -f '$unitdir/kbs-credentials-check.service' '$tmp/initrd.img' | grep '^Before='"
expect "the root check comes after the mounts and before anything reads the root" 0 "After=sysroot.mount initrd-root-fs.target initrd-fs.target dracut-mount.service
Before=initrd.target dracut-pre-pivot.service initrd-cleanup.service initrd-switch-root.service" bash -c "lsinitrd -f '$unitdir/kbs-root-check.service' '$tmp/initrd.img' | grep -E '^(After|Before)='"
expect "the late root check comes after the pre-pivot hooks, before the switch" 0 "After=kbs-root-check.service dracut-pre-pivot.service
Before=initrd-cleanup.service initrd-switch-root.service" bash -c "lsinitrd -f '$unitdir/kbs-root-check-late.service' '$tmp/initrd.img' | grep -E '^(After|Before)='"
expect "kbs-root-check-late: a failure powers off" 0 "FailureAction=poweroff-force" bash -c "lsinitrd -f '$unitdir/kbs-root-check-late.service' '$tmp/initrd.img' | grep '^FailureAction='"
for t in initrd-cleanup.service initrd-switch-root.service; do
	expect "$t requires the late root check" 0 "" grep -q " $unitdir/$t.requires/kbs-root-check-late.service -> ../kbs-root-check-late.service$" "$tmp/initrd.list"
done
for t in systemd-tmpfiles-setup.service systemd-tmpfiles-setup-dev.service systemd-sysctl.service systemd-sysusers.service sysinit.target cryptsetup-pre.target; do
	expect "$t requires the credentials check" 0 "" grep -q " $unitdir/$t.requires/kbs-credentials-check.service -> ../kbs-credentials-check.service$" "$tmp/initrd.list"
done
for t in initrd.target initrd-cleanup.service initrd-switch-root.service; do
	expect "$t requires the root check" 0 "" grep -q " $unitdir/$t.requires/kbs-root-check.service -> ../kbs-root-check.service$" "$tmp/initrd.list"
done
expect "the ciphers the root may use" 0 "$(printf 'aes-xts-plain64\ncapi:authenc(hmac(sha256),xts(aes))-random')" lsinitrd -f etc/kbs/root-ciphers "$tmp/initrd.img"
expect "dmsetup for the root check" 0 "" grep -qE " (usr/)?s?bin/dmsetup\$" "$tmp/initrd.list"
for u in systemd-ask-password-console.path systemd-ask-password-plymouth.path systemd-ask-password-wall.path \
	systemd-ask-password-console.service systemd-ask-password-plymouth.service systemd-ask-password-wall.service; do
	expect "no console agent: $u masked" 0 "" grep -qE " etc/systemd/system/$u -> /dev/null\$" "$tmp/initrd.list"
done
expect "the direct hook is in the initqueue" 0 "" grep -q "hooks/initqueue/online/60-kbs-direct-unlock-hook.sh" "$tmp/initrd.list"
expect "modules: clevis-pin-kbs, clevis, network, crypt" 0 "" bash -c "grep -qx clevis-pin-kbs '$tmp/initrd.list' && grep -qx clevis '$tmp/initrd.list' && grep -qx network '$tmp/initrd.list' && grep -qx crypt '$tmp/initrd.list'"
expect "the broker key inside is ours" 0 "$key" lsinitrd -f etc/kbs/server.jwk "$tmp/initrd.img"
expect "the network, no shell, poweroff on failure" 0 "rd.neednet=1 rd.shell=0 rd.emergency=poweroff" \
	lsinitrd -f etc/cmdline.d/99clevis-pin-kbs.conf "$tmp/initrd.img"
expect "the pin inside is this one, fixed" 0 "" cmp -s <(fixed "$pin_dir/clevis-decrypt-kbs") <(lsinitrd -f usr/bin/clevis-decrypt-kbs "$tmp/initrd.img")
# Without disk-unlock.conf the direct path stays out; a debugging image
# (kbs_debug_console=yes) keeps dracut's shell and the console agents.
mv "$tmp/etc/disk-unlock.conf" "$tmp/disk-unlock.conf.off"
echo "kbs_debug_console=yes" >"$tmp/dracut.conf.d/kbs-debug.conf"
expect "dracut without disk-unlock.conf, debug console" 0 "" mkinitrd "$tmp/initrd2.img"
expect "debug console: said loudly" 0 "" grep -q "kbs_debug_console=yes: the console gets a shell and a passphrase prompt; never ship this image" "$tmp/dracut.log"
lsinitrd "$tmp/initrd2.img" >"$tmp/initrd2.list" 2>/dev/null
expect "no direct hook then" 1 "" grep -q "kbs-direct-unlock" "$tmp/initrd2.list"
expect "the pin still is" 0 "" grep -q " usr/bin/clevis-decrypt-kbs$" "$tmp/initrd2.list"
expect "debug console: no agent masked" 1 "" grep -q "systemd-ask-password-console.path -> /dev/null" "$tmp/initrd2.list"
expect "debug console: the shell is not turned off" 0 "rd.neednet=1" lsinitrd -f etc/cmdline.d/99clevis-pin-kbs.conf "$tmp/initrd2.img"
rm "$tmp/dracut.conf.d/kbs-debug.conf"
# Builds that must fail, not yield an image that boots to a prompt.
echo "kbs_emergency=shell" >"$tmp/dracut.conf.d/kbs-bad.conf"
expect "kbs_emergency other than poweroff or reboot" 1 "" mkinitrd "$tmp/initrd3.img"
expect "kbs_emergency named" 0 "" grep -q "clevis-pin-kbs: kbs_emergency=shell: poweroff or reboot" "$tmp/dracut.log"
rm "$tmp/dracut.conf.d/kbs-bad.conf"
echo 'kbs_root_ciphers="aes-xts-plain64 cipher_null-ecb"' >"$tmp/dracut.conf.d/kbs-bad.conf"
expect "kbs_root_ciphers with cipher_null" 1 "" mkinitrd "$tmp/initrd3.img"
expect "cipher_null named" 0 "" grep -q "clevis-pin-kbs: kbs_root_ciphers: cipher_null-ecb is not a cipher to read a root through" "$tmp/dracut.log"
rm "$tmp/dracut.conf.d/kbs-bad.conf"
# Another way to open a disk in the same image: a clevis "null" binding the
# host wrote would open a disk of its making.
expect "another unlocker in the image: the build fails" 1 "" mkinitrd --add clevis-pin-null "$tmp/initrd3.img"
expect "another unlocker named" 0 "" grep -q "clevis-pin-kbs: module clevis-pin-null is in the image: it opens disks without the broker" "$tmp/dracut.log"
# The documented way: the shipped dracut.conf.d file, no module list.
cp "$src/deploy/dracut/60clevis-pin-kbs.conf" "$tmp/dracut.conf.d/"
expect "dracut the documented way (the shipped conf)" 0 "" \
	env dracutbasedir="$base" DRACUT_PATH="/usr/sbin /usr/bin /sbin /bin $tmp/bin" \
	dracut --no-kernel --force --no-compress --no-hostonly --conf /dev/null --confdir "$tmp/dracut.conf.d" \
	"$tmp/initrd4.img"
lsinitrd "$tmp/initrd4.img" >"$tmp/initrd4.list" 2>/dev/null
expect "documented way: the pin is in" 0 "" grep -q " usr/bin/clevis-decrypt-kbs$" "$tmp/initrd4.list"
expect "documented way: no other clevis pin" 1 "" grep -E " usr/bin/clevis-decrypt-(null|tang|sss|tpm2)$" "$tmp/initrd4.list"
rm "$tmp/dracut.conf.d/60clevis-pin-kbs.conf"
mv "$tmp/etc/server.jwk" "$tmp/etc/server.jwk.off"
expect "no server.jwk: the build fails" 1 "" mkinitrd "$tmp/initrd3.img"
expect "no server.jwk named" 0 "" grep -q "clevis-pin-kbs: no $tmp/etc/server.jwk: the image must carry the broker's identity key" "$tmp/dracut.log"
mv "$tmp/etc/server.jwk.off" "$tmp/etc/server.jwk"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
