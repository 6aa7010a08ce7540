#!/bin/bash
# test_kbs_reload.sh KBS: SIGHUP reload of the real daemon.
#
# A keep-alive connection and a request half sent before the reload both
# complete after it (on the old certificate); a new connection sees the new
# certificate; the admin unix socket keeps working; live settings change
# (rate limit, log level, threads); systemd hears RELOADING=1 then
# READY=1; at most 15 replaced listeners may be finishing (reload_busy). Every
# refused reload (bad JSON, a restart-only setting, unreadable or
# mismatched TLS files) logs its exact error and leaves the old
# configuration serving.
set -u
kbs=$1
. "$(dirname "$0")/lib.sh"

cert() { # cert NAME: a self-signed P-256 certificate for 127.0.0.1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-subj "/CN=$1" -addext "subjectAltName=IP:127.0.0.1" \
		-keyout "$tmp/$1.key" -out "$tmp/$1.pem" 2>/dev/null
	chmod 600 "$tmp/$1.key"
}
cert a
cert b

conf() { # conf CERT KEY [EXTRA JSON MEMBERS]
	printf '{"tls_cert": "%s", "tls_key": "%s", "connection_timeout": 30%s}\n' \
		"$1" "$2" "${3:+, $3}" >"$tmp/kbs.json"
}
conf "$tmp/a.pem" "$tmp/a.key"

# A systemd stand-in: records every notification datagram, one per line.
python3 - "$tmp/notify.sock" "$tmp/notify.txt" <<'EOF' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a") as f:
    while True:
        f.write(s.recv(4096).decode().replace("\n", " ") + "\n")
        f.flush()
EOF
notify_pid=$!
for i in $(seq 50); do [ -S "$tmp/notify.sock" ] && break; sleep 0.1; done

rm -f "$tmp/kbs.out"
NOTIFY_SOCKET=$tmp/notify.sock "$kbs" --data-dir "$tmp/data" --listen 127.0.0.1:0 \
	--admin-listen "unix:$tmp/admin.sock" --config "$tmp/kbs.json" \
	>"$tmp/kbs.out" 2>"$tmp/kbs.log" &
kbs_pid=$!
trap 'kill $kbs_pid $notify_pid 2>/dev/null; rm -rf "$tmp"' EXIT
if ! wait_listening "$tmp/kbs.out" $kbs_pid; then
	echo "FAIL: kbs did not start"
	cat "$tmp/kbs.log"
	exit 1
fi
port=$listen_port
token=$(cat "$tmp/data/admin.token")

# issuer PORT: the CN of the certificate a new connection is served.
issuer() {
	openssl s_client -connect "127.0.0.1:$1" </dev/null 2>/dev/null |
		openssl x509 -noout -subject 2>/dev/null | sed 's/.*CN *= *//'
}
# reloaded N: waits until the log holds N reload lines; prints the last.
reloaded() {
	local i
	for i in $(seq 100); do
		if [ "$(grep -c '"event":"reload"' "$tmp/kbs.log")" -ge "$1" ]; then
			grep '"event":"reload"' "$tmp/kbs.log" | tail -1
			return
		fi
		sleep 0.1
	done
	echo "timeout"
}
healthz() { # healthz CA: the status of a new HTTPS connection's /healthz (000: TLS failed)
	curl -s -o /dev/null -w '%{http_code}' --cacert "$1" "https://127.0.0.1:$port/healthz"
	true
}
admin_ok() {
	curl -s -o /dev/null -w '%{http_code}' --unix-socket "$tmp/admin.sock" \
		-H "Authorization: Bearer $token" http://kbs/v1/admin/secrets
}

threads() { ls /proc/$kbs_pid/task | wc -l; }
threads_before=$(threads)
expect "serves certificate a" 0 "a" issuer "$port"
expect "healthz with CA a" 0 "200" healthz "$tmp/a.pem"
expect "admin over the unix socket" 0 "200" admin_ok

# ---- held connections across a reload to certificate b --------------------
# A keep-alive connection (one request before, one after) and a request
# whose body is only half sent when the reload happens.
python3 - "$port" "$tmp/a.pem" "$tmp/held.go" "$tmp/held.out" <<'EOF' &
import http.client, os, socket, ssl, sys, time
port, ca, go, out = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
ctx = ssl.create_default_context(cafile=ca)
res = []
ka = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=20)
ka.request("GET", "/healthz")
r = ka.getresponse(); r.read(); res.append("keepalive-before %d" % r.status)
raw = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=20),
                      server_hostname="127.0.0.1")
body = b'{"nonce": "not base64"}'
raw.sendall(b"POST /v1/attest HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body) + body[:5])
with open(go, "w") as f:
    f.write("ready\n")
for _ in range(200):  # the test sends SIGHUP and removes the file once it is applied
    if not os.path.exists(go):
        break
    time.sleep(0.05)
# Idle past several of the broker's 200 ms looks at replaced listeners:
# they must wait for these connections, not stop at once.
time.sleep(1.5)
raw.sendall(body[5:])
data = b""
while b"\r\n\r\n" not in data:
    chunk = raw.recv(4096)
    if not chunk:
        break
    data += chunk
res.append("inflight-after %s" % data.split(b"\r\n")[0].decode(errors="replace"))
ka.request("GET", "/healthz")
r = ka.getresponse(); r.read(); res.append("keepalive-after %d" % r.status)
res.append("keepalive-cert %s" % ka.sock.getpeercert()["subject"][0][0][1])
with open(out, "w") as f:
    f.write("\n".join(res) + "\n")
EOF
held_pid=$!
for i in $(seq 100); do [ -f "$tmp/held.go" ] && break; sleep 0.1; done
conf "$tmp/b.pem" "$tmp/b.key"
kill -HUP $kbs_pid
expect "reload applied" 0 '<6>{"event":"reload","result":"applied"}' reloaded 1
# While the held connections are open the old listeners still run beside the new ones.
expect "the old listeners run while connections are held" 0 "" test "$(threads)" -gt "$threads_before"
rm -f "$tmp/held.go"
wait $held_pid
expect "keep-alive request before" 0 "" grep -qx "keepalive-before 200" "$tmp/held.out"
expect "half-sent request completes after the reload" 0 "" \
	grep -qx "inflight-after HTTP/1.1 400 Bad Request" "$tmp/held.out"
expect "keep-alive request after the reload" 0 "" grep -qx "keepalive-after 200" "$tmp/held.out"
expect "the held connection kept certificate a" 0 "" grep -qx "keepalive-cert a" "$tmp/held.out"
expect "a new connection sees certificate b" 0 "b" issuer "$port"
expect "healthz with CA b" 0 "200" healthz "$tmp/b.pem"
expect "CA a no longer verifies" 0 "000" healthz "$tmp/a.pem"
expect "admin unix socket after the reload" 0 "200" admin_ok
# Both connections are closed now: the replaced listeners stop (their
# threads end), so a reload leaves as many threads as it found.
for i in $(seq 50); do [ "$(threads)" = "$threads_before" ] && break; sleep 0.1; done
expect "the replaced listeners are stopped" 0 "$threads_before" threads
expect "systemd heard RELOADING=1 then READY=1" 0 "" \
	grep -qE "^RELOADING=1 MONOTONIC_USEC=[0-9]+$" "$tmp/notify.txt"
expect "READY=1 twice (start, reload)" 0 "2" grep -cx "READY=1" "$tmp/notify.txt"

# ---- refused reloads: exact errors, the old configuration goes on ----------
n=1
refused() { # refused NAME ERROR MESSAGE_PART: after a SIGHUP
	n=$((n + 1))
	kill -HUP $kbs_pid
	local line
	line=$(reloaded $n)
	[ -n "${VERBOSE:-}" ] && echo "$line"
	case $line in
	*'"result":"refused","error":"'"$2"'"'*"$3"*'"note":"the running configuration is unchanged"'*)
		pass=$((pass + 1)) ;;
	*)
		fail=$((fail + 1))
		echo "FAIL $1: $line"
		;;
	esac
	expect "$1: still certificate b" 0 "b" issuer "$port"
	expect "$1: still serving" 0 "200" healthz "$tmp/b.pem"
}
printf '{"tls_cert": "%s",' "$tmp/a.pem" >"$tmp/kbs.json"
refused "bad JSON" config "$tmp/kbs.json:"
conf "$tmp/a.pem" "$tmp/a.key" '"lisen": "127.0.0.1:1"'
refused "unknown key" config 'lisen: unknown setting (did you mean \"listen\"?)'
conf "$tmp/a.pem" "$tmp/a.key" '"nonce_lifetime": 60'
refused "nonce_lifetime needs a restart" reload_restart \
	"nonce_lifetime: changed; it takes effect only on a restart"
conf "$tmp/a.pem" "$tmp/a.key" '"replica_id": "kbs-9"'
refused "replica_id needs a restart" reload_restart "replica_id: changed"
conf "$tmp/a.pem" "$tmp/missing.key"
refused "unreadable TLS key" tls \
	"public listener: tls_cert \\\"$tmp/a.pem\\\", tls_key \\\"$tmp/missing.key\\\": the TLS certificate or key cannot be loaded"
conf "$tmp/a.pem" "$tmp/b.key"
refused "certificate and key do not match" tls "the TLS certificate or key cannot be loaded"
echo garbage >"$tmp/bad.pem"
conf "$tmp/bad.pem" "$tmp/a.key"
refused "certificate not PEM" tls "bad.pem"

# ---- live settings ---------------------------------------------------------
# rate_per_ip 1, burst 2: the third quick request is refused (429); and
# log_level warning: no more request lines.
conf "$tmp/a.pem" "$tmp/a.key" '"rate_per_ip": 1, "rate_burst": 2, "log_level": "warning"'
n=$((n + 1))
kill -HUP $kbs_pid
expect "live settings applied" 0 '<6>{"event":"reload","result":"applied"}' reloaded $n
expect "back to certificate a" 0 "a" issuer "$port"
lines=$(grep -c '"event":"request"' "$tmp/kbs.log")
codes=""
for i in 1 2 3 4; do codes="$codes $(healthz "$tmp/a.pem")"; done
case $codes in
*429*) pass=$((pass + 1)) ;;
*) fail=$((fail + 1)); echo "FAIL rate limit after reload: $codes" ;;
esac
expect "log_level warning: no request lines" 0 "$lines" grep -c '"event":"request"' "$tmp/kbs.log"

# ---- the bound on replaced listeners -----------------------------------------
# Each reload below leaves the public listener it replaced pinned by one
# open keep-alive connection; with 15 such the next reload is refused
# (reload_busy) and the old configuration stays; once they close, reloads
# go through again.
conf "$tmp/a.pem" "$tmp/a.key" '"rate_per_ip": 0, "threads": 2'
n=$((n + 1))
kill -HUP $kbs_pid
expect "no rate limit, 2 threads" 0 '<6>{"event":"reload","result":"applied"}' reloaded $n
python3 - "$port" "$tmp/a.pem" $kbs_pid "$tmp/kbs.log" "$tmp/busy.out" <<'EOF'
import http.client, os, signal, ssl, sys, time
port, ca, pid, log, out = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
ctx = ssl.create_default_context(cafile=ca)
def reloads():
    with open(log) as f:
        return [l for l in f if '"event":"reload"' in l]
def hup():
    before = len(reloads())
    os.kill(pid, signal.SIGHUP)
    for _ in range(100):
        r = reloads()
        if len(r) > before:
            return r[-1].strip()
        time.sleep(0.05)
    return "timeout"
held, res = [], []
for i in range(15):
    c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=20)
    c.request("GET", "/healthz"); r = c.getresponse(); r.read()
    held.append(c)
    res.append(hup())
res.append("last: " + hup())
for c in held:
    c.request("GET", "/healthz"); r = c.getresponse(); r.read()
    res.append("held %d" % r.status)
    c.close()
time.sleep(0.5)
res.append("after: " + hup())
with open(out, "w") as f:
    f.write("\n".join(res) + "\n")
EOF
expect "15 reloads with pinned listeners applied" 0 "15" \
	grep -c '^<6>{"event":"reload","result":"applied"}$' "$tmp/busy.out"
expect "the 16th is refused: reload_busy" 0 "" grep -qF \
	'last: <3>{"event":"reload","result":"refused","error":"reload_busy","message":"listeners replaced by earlier reloads are still finishing their connections","note":"the running configuration is unchanged"}' \
	"$tmp/busy.out"
expect "every held connection still answers" 0 "15" grep -c "^held 200$" "$tmp/busy.out"
expect "once they closed, a reload applies" 0 "" \
	grep -qx 'after: <6>{"event":"reload","result":"applied"}' "$tmp/busy.out"

# Replaced listeners finish and are stopped; SIGTERM still exits 0.
kill -TERM $kbs_pid
wait $kbs_pid
expect "exit 0 after reloads" 0 "" test $? = 0
expect "no leftover admin socket" 1 "" test -e "$tmp/admin.sock"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
