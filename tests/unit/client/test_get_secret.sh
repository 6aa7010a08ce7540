#!/bin/bash
# test_get_secret.sh CLIENT FAKE_BROKER: kbs-client get-secret end to end
# over libcurl against fake_broker (protocol v1 answers made with
# kbs_proto; no evidence check), asserting exit codes, the exact first
# line of each message, where secrets land and with which mode, and the
# refusal to write a secret to a terminal (under script(1), a real pty).
set -u
client=$1
fake=$2
# shellcheck source=shell_lib.sh
. "$(dirname "$0")/shell_lib.sh"
P="kbs-client get-secret"

start_fake() {
	stop_fake
	rm -f "$tmp/port"
	"$fake" --port-file "$tmp/port" --mode "$1" --key-out "$tmp/server.key" &
	fake_pid=$!
	for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.05; done
	url="http://127.0.0.1:$(cat "$tmp/port")"
	key=$(cat "$tmp/server.key")
}

stop_fake() {
	if [ -n "$fake_pid" ]; then
		kill "$fake_pid" 2>/dev/null
		wait "$fake_pid" 2>/dev/null
		fake_pid=
	fi
}

mode_of() { stat -c %a "$1"; }

# ---- Arguments: exact messages, nothing sent -------------------------------
U=http://127.0.0.1:1
expect "no url" 2 "$P: --url is required" "$client" get-secret
expect "no name" 2 "$P: --name is required" "$client" get-secret --url $U
expect "no out" 2 "$P: --out is required (a file, a directory, or - for standard output)" \
	"$client" get-secret --url $U --name a
expect "bad name" 2 "$P: --name: a name is 1 to 255 characters from A-Z a-z 0-9 . _ : / @ + -" \
	"$client" get-secret --url $U --name "disk key" --out -
expect "name twice" 2 "$P: --name given twice" \
	"$client" get-secret --url $U --name a --name a --out "$tmp"
for t in 0 3601 5s -1 ""; do
	expect "timeout '$t'" 2 "$P: --timeout needs whole seconds from 1 to 3600" \
		"$client" get-secret --url $U --name a --out - --timeout "$t"
done
for n in 11 x -1; do
	expect "retries '$n'" 2 "$P: --retries needs a number from 0 to 10" \
		"$client" get-secret --url $U --name a --out - --retries "$n"
done
expect "two names, a file" 2 "$P: several --name need --out DIR (an existing directory)" \
	"$client" get-secret --url $U --name a --name b --out "$tmp/file"
expect "two names, stdout" 2 "$P: several --name need --out DIR (an existing directory)" \
	"$client" get-secret --url $U --name a --name b --out -
expect "slash name in a dir" 2 "$P: secret name 'a/b' cannot be a file name in --out DIR" \
	"$client" get-secret --url $U --name a/b --out "$tmp"
expect "dot name in a dir" 2 "$P: secret name '..' cannot be a file name in --out DIR" \
	"$client" get-secret --url $U --name .. --out "$tmp"
expect "extra argument" 2 "$P: unexpected argument" \
	"$client" get-secret --url $U --name a --out - extra
expect "bad url" 2 "$P: --url: the broker URL is not http://, https:// or unix:PATH" \
	"$client" get-secret --url ftp://x --name a --out -
expect "missing key file" 2 "$P: --server-key: system call failed: No such file or directory" \
	"$client" get-secret --url $U --name a --out - --server-key "$tmp/nokey"
echo "not a key" >"$tmp/badkey"
expect "bad key file" 2 \
	"$P: --server-key: the broker identity key is not a 32-byte Ed25519 key (base64url, a JWK or a JWK set)" \
	"$client" get-secret --url $U --name a --out - --server-key "$tmp/badkey"

# ---- Attesters: every spec of attester.h opens through attester_open -------
expect "sim attester, no such chip" 4 "$P: --attester sim:/x: the attester could not produce a report" \
	"$client" get-secret --url $U --name a --out - --attester sim:/x
expect "default attester, none here" 4 \
	"$P: auto: no attester on this machine: neither configfs-tsm nor /dev/sev-guest is present" \
	env KBS_TSM_ROOT="$tmp/none" KBS_SEV_GUEST_DEVICE="$tmp/none" \
	"$client" get-secret --url $U --name a --out -
expect "default attester, exit line" 4 "$P: --attester auto: the attester could not produce a report" \
	env KBS_TSM_ROOT="$tmp/none" KBS_SEV_GUEST_DEVICE="$tmp/none" \
	"$client" get-secret --url $U --name a --out -
expect "tsm, no configfs" 4 \
	"$P: tsm: configfs-tsm: cannot create a report entry: No such file or directory" \
	env KBS_TSM_ROOT="$tmp/none" "$client" get-secret --url $U --name a --out - --attester tsm
expect "sev-guest, no device" 4 \
	"$P: sev-guest: sev-guest: cannot open the device: No such file or directory" \
	env KBS_SEV_GUEST_DEVICE="$tmp/none" \
	"$client" get-secret --url $U --name a --out - --attester sev-guest
expect "tsm takes no argument" 4 \
	"$P: tsm:x: attester is unknown or malformed (expected KIND:ARG, e.g. sim:DIR)" \
	"$client" get-secret --url $U --name a --out - --attester tsm:x

# ---- Unreachable ----------------------------------------------------------
expect "unreachable" 3 "" "$client" get-secret --url $U --name a --out "$tmp/u" \
	--attester test:unsigned --retries 1
check "unreachable says attempts" grep -q "(2 attempts)" "$tmp/err"
check "unreachable wrote nothing" test ! -e "$tmp/u"

# ---- A terminal is refused, before anything is sent ------------------------
if command -v script >/dev/null; then
	script -qec "$client get-secret --url $U --name a --out - --attester test:unsigned" \
		"$tmp/typescript" >"$tmp/tty" 2>&1
	rc=$?
	check "tty stdout rc" test "$rc" = 2
	check "tty stdout message" grep -qF \
		"$P: refusing to write a secret to a terminal: standard output is a terminal" "$tmp/tty"
	script -qec "$client get-secret --url $U --name a --out /dev/tty --attester test:unsigned" \
		"$tmp/typescript" >"$tmp/tty" 2>&1
	rc=$?
	check "tty file rc" test "$rc" = 2
	check "tty file message" grep -qF "$P: refusing to write a secret to a terminal: /dev/tty" "$tmp/tty"
else
	echo "SKIP: script(1) not installed, terminal refusal not tested"
fi

# ---- Released ---------------------------------------------------------------
start_fake release
expect "release, unauthenticated" 0 \
	"$P: WARNING: no --server-key: the broker is NOT authenticated; anyone between this guest and the broker can hand it secrets of their choosing" \
	"$client" get-secret --url "$url" --name disk-key --out "$tmp/k1" --attester test:unsigned
check "release content" test "$(cat "$tmp/k1")" = value-of-disk-key
check "release mode 0600" test "$(mode_of "$tmp/k1")" = 600
check "released line" grep -qxF "$P: released 1 secret (request 00112233445566778899aabbccddeeff)" "$tmp/err"

echo old >"$tmp/k2"
chmod 644 "$tmp/k2"
expect "release, pinned key" 0 "" "$client" get-secret --url "$url" --name disk-key \
	--out "$tmp/k2" --server-key "$key" --attester test:unsigned --token-out "$tmp/token"
check "pinned: no warning" bash -c "! grep -q WARNING '$tmp/err'"
check "replaced file content" test "$(cat "$tmp/k2")" = value-of-disk-key
check "replaced file is 0600" test "$(mode_of "$tmp/k2")" = 600
check "token written" test "$(cat "$tmp/token")" = eyJhbGciOiJFZERTQSJ9.e30.c2ln
check "token 0600" test "$(mode_of "$tmp/token")" = 600
check "no staging files left" bash -c "! ls '$tmp' | grep -q kbs-"

expect "release, key file" 0 "" "$client" get-secret --url "$url" --name disk-key \
	--out - --server-key "$tmp/server.key" --attester test:unsigned
check "stdout content" test "$(cat "$tmp/out")" = value-of-disk-key

mkdir "$tmp/dir"
expect "release, directory" 0 "$P: released 2 secrets (request 00112233445566778899aabbccddeeff)" \
	"$client" get-secret --url "$url" --name disk-key --name root@host:1 --out "$tmp/dir" \
	--server-key "$key" --attester test:unsigned
check "dir secret 1" test "$(cat "$tmp/dir/disk-key")" = value-of-disk-key
check "dir secret 2" test "$(cat "$tmp/dir/root@host:1")" = value-of-root@host:1
check "dir modes" test "$(mode_of "$tmp/dir/disk-key")$(mode_of "$tmp/dir/root@host:1")" = 600600

mkfifo "$tmp/fifo"
cat "$tmp/fifo" >"$tmp/fifo.out" &
reader=$!
expect "release, fifo" 0 "" "$client" get-secret --url "$url" --name tls/key --out "$tmp/fifo" \
	--server-key "$key" --attester test:unsigned
wait $reader
check "fifo content" test "$(cat "$tmp/fifo.out")" = value-of-tls/key

# Descriptors the caller passed: written to the descriptor itself (the /proc
# links they are would fail O_NOFOLLOW); a closed or read-only one is refused
# before anything is sent.
expect "release, /dev/fd/3 pipe" 0 "" bash -o pipefail -c '"$@" 3>&1 >&2 | cat' _ \
	"$client" get-secret --url "$url" --name disk-key --out /dev/fd/3 --server-key "$key" \
	--attester test:unsigned
check "/dev/fd/3 pipe content" test "$(cat "$tmp/out")" = value-of-disk-key
expect "release, /dev/stdout pipe" 0 "" bash -o pipefail -c '"$@" | cat' _ \
	"$client" get-secret --url "$url" --name disk-key --out /dev/stdout --server-key "$key" \
	--attester test:unsigned
check "/dev/stdout pipe content" test "$(cat "$tmp/out")" = value-of-disk-key
expect "release, /proc/self/fd/4 file" 0 "" bash -c '"$@" 4>"$0"' "$tmp/fd4" \
	"$client" get-secret --url "$url" --name disk-key --out /proc/self/fd/4 --server-key "$key" \
	--attester test:unsigned
check "/proc/self/fd/4 content" test "$(cat "$tmp/fd4")" = value-of-disk-key
expect "closed descriptor" 2 "$P: cannot write secret to /dev/fd/9: Bad file descriptor" \
	"$client" get-secret --url $U --name a --out /dev/fd/9 --attester test:unsigned
expect "read-only descriptor" 2 "$P: cannot write secret to /dev/fd/5: Bad file descriptor" \
	bash -c '"$@" 5<"$0"' "$tmp/fd4" \
	"$client" get-secret --url $U --name a --out /dev/fd/5 --attester test:unsigned

# A symbolic link to a regular file is replaced, its target untouched.
echo target >"$tmp/target"
ln -s "$tmp/target" "$tmp/filelink"
expect "release, link to a file" 0 "" "$client" get-secret --url "$url" --name disk-key \
	--out "$tmp/filelink" --server-key "$key" --attester test:unsigned
check "link replaced by the file" test ! -L "$tmp/filelink" -a "$(cat "$tmp/filelink")" = value-of-disk-key
check "link target untouched" test "$(cat "$tmp/target")" = target

# A symbolic link to a FIFO (even our own) is not followed: refused, nothing read.
UNSAFE="refusing to write a secret in place to a symbolic link or to a file this user does not own"
mkfifo "$tmp/fifo2"
ln -s "$tmp/fifo2" "$tmp/fifolink"
cat "$tmp/fifo2" >"$tmp/fifo2.out" &
reader=$!
expect "link to a fifo" 2 "$P: $UNSAFE: $tmp/fifolink: a symbolic link to a file that is not a regular file" \
	"$client" get-secret --url "$url" --name disk-key --out "$tmp/fifolink" --server-key "$key" \
	--attester test:unsigned
# The reader may not have opened the FIFO yet (a busy machine): stop it
# rather than wait for an EOF that would need it to be there already.
kill "$reader" 2>/dev/null
wait "$reader" 2>/dev/null
check "link to a fifo: nothing read" test ! -s "$tmp/fifo2.out"
check "link to a fifo: nothing sent" bash -c "! grep -q released '$tmp/err'"

# Another user's FIFO in a sticky shared directory (review finding F1): that
# user made it and reads it, so it is refused before the exchange. Needs
# root, to play the other user.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
	nobody=$(id -u nobody)
	as_nobody() { setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups "$@"; }
	chmod 755 "$tmp"
	mkdir -m 1777 "$tmp/shared"
	as_nobody mkfifo -m 0622 "$tmp/shared/key"
	# Not through as_nobody: a function in the background is a subshell, and
	# killing it would leave the reader behind holding the test's output.
	setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups cat "$tmp/shared/key" >"$tmp/stolen" 2>/dev/null &
	reader=$!
	expect "foreign fifo" 2 "$P: $UNSAFE: $tmp/shared/key: owned by uid $nobody, not by this user (uid 0)" \
		"$client" get-secret --url "$url" --name disk-key --out "$tmp/shared/key" \
		--server-key "$key" --attester test:unsigned
	kill "$reader" 2>/dev/null
	wait "$reader" 2>/dev/null
	check "foreign fifo: nothing read" test ! -s "$tmp/stolen"
	check "foreign fifo: nothing sent" bash -c "! grep -q released '$tmp/err'"
	# A device another user owns (here /dev/null's numbers) likewise.
	mknod "$tmp/shared/dev" c 1 3 && chown nobody "$tmp/shared/dev"
	expect "foreign device" 2 "$P: $UNSAFE: $tmp/shared/dev: owned by uid $nobody, not by this user (uid 0)" \
		"$client" get-secret --url "$url" --name disk-key --out "$tmp/shared/dev" \
		--server-key "$key" --attester test:unsigned
	# The same FIFO made by root itself is written as before.
	mkfifo -m 0600 "$tmp/shared/own"
	cat "$tmp/shared/own" >"$tmp/own.out" &
	reader=$!
	expect "own fifo in the shared directory" 0 "" "$client" get-secret --url "$url" \
		--name disk-key --out "$tmp/shared/own" --server-key "$key" --attester test:unsigned
	wait $reader
	check "own fifo content" test "$(cat "$tmp/own.out")" = value-of-disk-key
else
	echo "SKIP: not root (or no setpriv): another user's FIFO not tested"
fi

# ---- Refusals -------------------------------------------------------------
start_fake badsig
expect "impostor, pinned" 5 \
	"$P: broker not authenticated or protocol violation: the broker response signature is invalid (response_signature)" \
	"$client" get-secret --url "$url" --name disk-key --out "$tmp/bs" --server-key "$key" \
	--attester test:unsigned --retries 3
check "impostor: nothing written" test ! -e "$tmp/bs"
check "impostor: not retried" bash -c "! grep -q attempts '$tmp/err'"
# Without --server-key the impostor wins: this is what the warning is about.
expect "impostor, unpinned" 0 "" "$client" get-secret --url "$url" --name disk-key \
	--out "$tmp/bs" --attester test:unsigned

start_fake deny
expect "denied" 1 "$P: denied by policy (request feedfacefeedfacefeedfacefeedface)" \
	"$client" get-secret --url "$url" --name disk-key --out "$tmp/d" --server-key "$key" \
	--attester test:unsigned
check "denied rules" grep -qxF "  disk-key: policy prod-disk-unlock failed measurement, min_tcb.milan" "$tmp/err"
check "denied: nothing written" test ! -e "$tmp/d"

start_fake evidence
expect "evidence" 4 \
	"$P: the broker rejected the attestation evidence: evidence at report_signature: vcek (request 00112233445566778899aabbccddeeff)" \
	"$client" get-secret --url "$url" --name disk-key --out "$tmp/e" --server-key "$key" \
	--attester test:unsigned

start_fake other-replica-once
expect "other replica, once" 0 "" "$client" get-secret --url "$url" --name disk-key \
	--out "$tmp/o" --server-key "$key" --attester test:unsigned --retries 0

start_fake unavailable-once
expect "503 then release" 0 "" "$client" get-secret --url "$url" --name disk-key \
	--out "$tmp/r" --server-key "$key" --attester test:unsigned --retries 2
start_fake unavailable
expect "503 always" 3 \
	"$P: the broker could not be reached (connection, timeout or server error, after retries): HTTP 503 unavailable (2 attempts)" \
	"$client" get-secret --url "$url" --name disk-key --out "$tmp/r2" --server-key "$key" \
	--attester test:unsigned --retries 1

start_fake big
expect "oversized answer" 5 \
	"$P: broker not authenticated or protocol violation: input exceeds the size limit (too_large): Maximum file size exceeded" \
	"$client" get-secret --url "$url" --name disk-key --out "$tmp/b" --server-key "$key" \
	--attester test:unsigned
start_fake redirect
expect "redirect not followed" 5 \
	"$P: broker not authenticated or protocol violation: the broker answered with an unexpected HTTP status (client_http_status)" \
	"$client" get-secret --url "$url" --name disk-key --out "$tmp/b" --server-key "$key" \
	--attester test:unsigned

# ---- HTTPS: verification always on; --ca pins the CA ----------------------
if command -v openssl >/dev/null; then
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$tmp/tls.key" \
		-out "$tmp/tls.crt" -days 2 -subj /CN=localhost \
		-addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1
	openssl s_server -accept 127.0.0.1:0 -cert "$tmp/tls.crt" -key "$tmp/tls.key" -www \
		>"$tmp/tls.log" 2>&1 &
	tls_pid=$!
	for _ in $(seq 100); do grep -q ACCEPT "$tmp/tls.log" && break; sleep 0.05; done
	tls_port=$(sed -n 's/^ACCEPT 127.0.0.1:\([0-9]*\)$/\1/p' "$tmp/tls.log")
	expect "https, unknown CA" 5 "" "$client" get-secret --url "https://127.0.0.1:$tls_port" \
		--name a --out "$tmp/t" --attester test:unsigned --retries 3
	check "https, unknown CA: client_tls, not retried" grep -q "(client_tls): SSL certificate problem" "$tmp/err"
	# With the CA pinned the handshake passes; s_server -www never answers a POST, so the
	# request times out (exit 3) instead of failing verification (exit 5).
	expect "https, pinned CA" 3 "" "$client" get-secret --url "https://127.0.0.1:$tls_port" \
		--name a --out "$tmp/t" --attester test:unsigned --retries 0 --timeout 1 \
		--ca "$tmp/tls.crt"
	check "https, pinned CA: timed out after the handshake" grep -q "timed out.*(1 attempt)$" "$tmp/err"
	kill $tls_pid 2>/dev/null
	wait $tls_pid 2>/dev/null
else
	echo "SKIP: openssl not installed, HTTPS not tested"
fi

# ---- A unix socket ---------------------------------------------------------
stop_fake
"$fake" --unix "$tmp/kbs.sock" --mode release &
fake_pid=$!
for _ in $(seq 100); do [ -S "$tmp/kbs.sock" ] && break; sleep 0.05; done
expect "unix socket" 0 "" "$client" get-secret --url "unix:$tmp/kbs.sock" --name disk-key \
	--out "$tmp/us" --server-key "$key" --attester test:unsigned
check "unix socket content" test "$(cat "$tmp/us")" = value-of-disk-key
stop_fake

finish
