#!/usr/bin/python3
"""kbs_review.py: the review's end-to-end checks against a running kbs.

    kbs_review.py CLIENT SIMDIR PUBLIC_PORT ADMIN_PORT ADMIN_TOKEN CASE...

test_kbs_review.sh starts the broker (with the simulated chip's ARK as a
--trust-root), stores the policies and secrets named below, and runs the
cases. Each case drives the real daemon over HTTP (the guest side written
here from docs/protocol.md with PyNaCl) and checks exact statuses and
error codes. Prints "ok CASE" or "FAIL CASE: why"; exits 1 if any failed,
77 (skipped) when PyNaCl is missing. Every loop is bounded in count and
time; everything listens and connects on 127.0.0.1 only.
"""
import base64
import hashlib
import http.client
import json
import os
import re
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback

try:
    from nacl.bindings import (crypto_aead_xchacha20poly1305_ietf_decrypt,
                               crypto_scalarmult, crypto_scalarmult_base)
    from nacl.signing import VerifyKey
except ImportError:
    print("PyNaCl is not installed: skipped")
    sys.exit(77)

CLIENT, SIM, PUB, ADM, TOKEN = (sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]),
                                sys.argv[5])
ADMIN = {"Authorization": "Bearer " + TOKEN}
SECRET = b"review-disk-key-value"  # the value of "disk-key" (policy "prod")


class Fail(Exception):
    pass


def want(cond, what):
    if not cond:
        raise Fail(what)


def req1(port, method, path, body=None, headers=None, timeout=20):
    """One HTTP request: (status, JSON body or raw bytes)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    h = {"Content-Type": "application/json"}
    h.update(headers or {})
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    data = r.read()
    c.close()
    try:
        return r.status, json.loads(data)
    except ValueError:
        return r.status, data


def req(port, method, path, body=None, headers=None):
    """req1, waiting out a 429 (a broker run with a request rate): at most 5 s."""
    got = req1(port, method, path, body, headers)
    for _ in range(20):
        if got[0] != 429:
            break
        time.sleep(0.25)
        got = req1(port, method, path, body, headers)
    return got


def want_error(got, status, error, what):
    st, body = got
    want(st == status and isinstance(body, dict) and body.get("error") == error,
         "%s: want %d %s, got %d %s" % (what, status, error, st, str(body)[:300]))
    return body


def b64(b):
    return base64.b64encode(b).decode()


def challenge():
    st, ch = req(PUB, "POST", "/v1/challenge", {})
    want(st == 200, "challenge: %d" % st)
    return base64.b64decode(ch["nonce"])


def sim_report(report_data):
    d = tempfile.mkdtemp()
    try:
        subprocess.run([CLIENT, "sim-report", "--attester", "sim:" + SIM, "--report-data",
                        report_data.hex(), "--out", d + "/r.bin", "--certs-out", d + "/c.pem"],
                       check=True, capture_output=True, timeout=60)
        rep = open(d + "/r.bin", "rb").read()
        pem = open(d + "/c.pem").read()
    finally:
        subprocess.run(["rm", "-rf", d], check=False)
    ders = [base64.b64decode("".join(b.split())) for b in
            re.findall(r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", pem, re.S)]
    return rep, ders


def keypair():
    g = os.urandom(32)
    return g, crypto_scalarmult_base(g)


def attest_body(nonce, rep, ders, names):
    return {"nonce": b64(nonce), "report": b64(rep), "certs": [b64(d) for d in ders],
            "secrets": names}


def fresh(names, key=None):
    """A challenge and a report binding key (a fresh one by default): (body, g, G, nonce)."""
    nonce = challenge()
    g, G = keypair() if key is None else (None, key)
    rep, ders = sim_report(G + nonce)
    return attest_body(nonce, rep, ders, names), g, G, nonce


def s16(b):
    return struct.pack(">H", len(b)) + b


def check_signature(resp, binding, G):
    st, jwks = req(PUB, "GET", "/v1/keys")
    pk = base64.urlsafe_b64decode(jwks["keys"][0]["x"] + "=")
    E = base64.b64decode(resp["wrap_key"])
    msg = (b"kbs-response-v1\0" + binding + G + E + s16(resp["request_id"].encode()) +
           struct.pack(">I", len(resp["secrets"])))
    for s in resp["secrets"]:
        ct = base64.b64decode(s["ciphertext"])
        msg += (s16(s["name"].encode()) + s16(s["policy"]["name"].encode()) +
                struct.pack(">I", s["policy"]["version"]) + bytes.fromhex(s["policy"]["sha256"]) +
                base64.b64decode(s["aead_nonce"]) + struct.pack(">I", len(ct)) + ct)
    msg += s16((resp.get("token") or "").encode())
    VerifyKey(pk).verify(msg, base64.b64decode(resp["signature"]))


def open_secrets(resp, g, G, binding):
    E = base64.b64decode(resp["wrap_key"])
    key = hashlib.blake2b(b"kbs-wrap-v1" + crypto_scalarmult(g, E) + E + G, digest_size=32).digest()
    out = {}
    for s in resp["secrets"]:
        n = s["name"].encode()
        out[s["name"]] = crypto_aead_xchacha20poly1305_ietf_decrypt(
            base64.b64decode(s["ciphertext"]), b"kbs-wrap-v1" + bytes([len(n)]) + n + binding,
            base64.b64decode(s["aead_nonce"]), key)
    return out


def release(names):
    """A whole good exchange: the 200 answer and the opened values."""
    body, g, G, nonce = fresh(names)
    st, resp = req(PUB, "POST", "/v1/attest", body)
    want(st == 200, "attest: %d %s" % (st, str(resp)[:300]))
    check_signature(resp, nonce, G)
    return resp, open_secrets(resp, g, G, nonce)


def raw(data, timeout=5):
    """Sends data on a fresh connection; returns everything read until close or timeout."""
    s = socket.create_connection(("127.0.0.1", PUB), timeout=timeout)
    out = b""
    try:
        s.sendall(data)
        while True:
            d = s.recv(65536)
            if not d:
                break
            out += d
    except socket.timeout:
        out += b"<timeout>"
    finally:
        s.close()
    return out


def healthy():
    want(req(PUB, "GET", "/healthz")[0] == 200, "the daemon stopped answering")


# ---- cases -------------------------------------------------------------

def case_body_declared_too_large():
    """A Content-Length over the cap is answered 413 at once, without its body."""
    t0 = time.time()
    out = raw(b"POST /v1/attest HTTP/1.1\r\nHost: k\r\nContent-Length: 100000000000\r\n\r\n")
    want(out.startswith(b"HTTP/1.1 413 "), "no 413 before the body: %r" % out[:80])
    want(b'"error":"too_large"' in out and b"<timeout>" not in out,
         "413 body or close missing: %r" % out[-120:])
    want(time.time() - t0 < 8, "the answer waited for the body")  # the old code: 10 s, the timeout
    healthy()


def case_body_just_too_large():
    """A body somewhat over the cap, sent whole before reading (as Python does): a clean 413."""
    for n in (256 * 1024 + 1, 500 * 1024):
        want_error(req1(PUB, "POST", "/v1/attest", b"a" * n), 413, "too_large", "%d bytes" % n)
    healthy()


def case_body_chunked_too_large():
    """A chunked body just over the cap still gets its 413."""
    chunk = b"10000\r\n" + b"a" * 65536 + b"\r\n"
    out = raw(b"POST /v1/attest HTTP/1.1\r\nHost: k\r\nTransfer-Encoding: chunked\r\n"
              b"Connection: close\r\n\r\n" + chunk * 5 + b"0\r\n\r\n")
    want(out.startswith(b"HTTP/1.1 413 ") and b'"error":"too_large"' in out,
         "chunked 320 KiB: %r" % out[:80])
    healthy()


def case_body_chunked_endless():
    """A chunked body streamed without end has its connection closed by the broker."""
    s = socket.create_connection(("127.0.0.1", PUB), timeout=5)
    s.sendall(b"POST /v1/attest HTTP/1.1\r\nHost: k\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b"10000\r\n" + b"a" * 65536 + b"\r\n"
    sent, closed, t0 = 0, False, time.time()
    try:
        while sent < (64 << 20) and time.time() - t0 < 10:
            s.sendall(chunk)
            sent += len(chunk)
    except OSError:
        closed = True
    s.close()
    want(closed, "the broker read %d bytes of an endless body without closing" % sent)
    healthy()


def fetch(token, name):
    return req(PUB, "GET", "/v1/secrets/" + name, None,
               None if token is None else {"Authorization": "Bearer " + token})


def b64url(b):
    return base64.urlsafe_b64encode(b).decode().rstrip("=")


def case_token_refusals():
    """Every bad bearer token is 401 token_invalid, whatever step refused it."""
    resp, vals = release(["disk-key"])
    want(vals == {"disk-key": SECRET}, "released values: %r" % vals)
    tok = resp["token"]
    head, payload, sig = tok.split(".")
    forged_sig = bytearray(base64.urlsafe_b64decode(sig + "=="))
    forged_sig[0] ^= 1
    none_head = b64url(b'{"alg":"none","typ":"JWT"}')
    bad = {
        "missing": None,
        "empty": "",
        "not a JWT": "a.b.c",
        "alg none": none_head + "." + payload + ".",
        "alg none, signature kept": none_head + "." + payload + "." + sig,
        "forged signature": head + "." + payload + "." + b64url(bytes(forged_sig)),
        "payload swapped": head + "." + b64url(b'{"exp":9999999999}') + "." + sig,
        "padded": tok + "=",
    }
    for what, t in bad.items():
        want_error(fetch(t, "disk-key"), 401, "token_invalid", "token " + what)
    # A good token for disk-key does not open another secret.
    want_error(fetch(tok, "other"), 401, "token_invalid", "token for another secret")
    want_error(fetch(tok, "no-such-secret"), 401, "token_invalid", "token for an unknown secret")
    # And it does fetch its own: wrapped to the token's cnf key, bound to the token.
    st, got = fetch(tok, "disk-key")
    want(st == 200, "good token: %d %s" % (st, str(got)[:200]))


def case_token_fetch_opens():
    """GET /v1/secrets answers as docs/protocol.md says: binding, signature, value."""
    body, g, G, nonce = fresh(["disk-key"])
    st, resp = req(PUB, "POST", "/v1/attest", body)
    want(st == 200, "attest: %d" % st)
    tok = resp["token"]
    st, got = fetch(tok, "disk-key")
    want(st == 200, "fetch: %d %s" % (st, str(got)[:200]))
    binding = hashlib.sha256(tok.encode()).digest()
    want(base64.b64decode(got["binding"]) == binding, "binding is not SHA-256 of the token")
    check_signature(got, binding, G)
    want(open_secrets(got, g, G, binding) == {"disk-key": SECRET}, "fetched value")


def case_token_expired():
    """A token is refused (token_invalid) from the second now >= exp."""
    resp, _ = release(["disk-key"])
    tok = resp["token"]
    claims = json.loads(base64.urlsafe_b64decode(tok.split(".")[1] + "=="))
    wait = claims["exp"] - time.time() + 1.2
    want(0 < wait < 15, "the test runs with token_lifetime 10, exp is %r" % claims["exp"])
    time.sleep(wait)
    want_error(fetch(tok, "disk-key"), 401, "token_invalid", "expired token")


def case_token_policy_changed():
    """A policy changed since the token ends its reach: 403 policy_denied."""
    resp, _ = release(["disk-key"])
    tok = resp["token"]
    st, cur = req(ADM, "GET", "/v1/admin/policies/prod", None, ADMIN)
    want(st == 200, "policy show: %d" % st)
    st, put = req(ADM, "POST", "/v1/admin/policies", cur["policy"].encode() + b"\n", ADMIN)
    want(st == 201 and put["version"] == cur["version"] + 1, "policy put: %d %s" % (st, put))
    want_error(fetch(tok, "disk-key"), 403, "policy_denied", "token after a policy change")


def audit_text():
    st, text = req(ADM, "GET", "/v1/admin/audit", None, ADMIN)
    want(st == 200 and isinstance(text, bytes), "audit export: %d" % st)
    return text.decode()


def case_weak_guest_key():
    """A small-order REPORT_DATA key is refused before the commit: nothing audited as released."""
    # 0 and 1 are points of small order on Curve25519 (orders 4 and 1 after clamping: all-zero result)
    for key in (bytes(32), (1).to_bytes(32, "little")):
        body, _, _, nonce = fresh(["disk-key"], key=key)
        err = want_error(req(PUB, "POST", "/v1/attest", body), 400, "wrap_weak_key",
                         "small-order key %s" % key.hex()[:4])
        want(err["request_id"] not in audit_text(), "a refused weak key was audited")
    # The nonce was not consumed by the refusal: a good key in a new report still works with it.
    g, G = keypair()
    rep, ders = sim_report(G + nonce)
    st, resp = req(PUB, "POST", "/v1/attest", attest_body(nonce, rep, ders, ["disk-key"]))
    want(st == 200, "the nonce after a refused weak key: %d %s" % (st, str(resp)[:200]))
    want(open_secrets(resp, g, G, nonce) == {"disk-key": SECRET}, "value after a weak key")


def metrics():
    st, text = req(PUB, "GET", "/metrics")
    want(st == 200, "metrics: %d" % st)
    out = {}
    for line in text.decode().splitlines():
        if line and not line.startswith("#"):
            k, v = line.rsplit(" ", 1)
            out[k] = float(v)
    return out


def delta(before, after, key):
    return after.get(key, 0) - before.get(key, 0)


def case_metrics_replay_once():
    """A replayed nonce is counted once in the decision and refusal metrics."""
    body, _, _, _ = fresh(["disk-key"])
    want(req(PUB, "POST", "/v1/attest", body)[0] == 200, "first use")
    m0 = metrics()
    want_error(req(PUB, "POST", "/v1/attest", body), 401, "nonce_replayed", "replay")
    m1 = metrics()
    for key in ('kbs_attest_decisions_total{result="refused_evidence"}',
                'kbs_attest_refused_evidence_total{reason="nonce_replayed"}'):
        want(delta(m0, m1, key) == 1, "%s went up by %g" % (key, delta(m0, m1, key)))
    want(delta(m0, m1, 'kbs_attest_decisions_total{result="released"}') == 0, "released moved")


def case_unknown_names():
    """A name no secret can have is an unknown secret (404), all or none, like a missing one."""
    for bad in ("no such", "a\u00e9", "..", "x" * 255, "q\"uote"):
        body, _, _, _ = fresh(["disk-key", bad])
        err = want_error(req(PUB, "POST", "/v1/attest", body), 404, "not_found", "name %r" % bad[:8])
        want(err.get("denied") == [{"secret": bad, "policy": "", "rules": ["not_found"]}],
             "denied for %r: %r" % (bad[:8], err.get("denied")))
        want("secrets" not in err and "token" not in err, "something released with a bad name")
    # One denied by its policy, one fine: 403 and nothing released.
    body, _, _, _ = fresh(["disk-key", "other"])
    err = want_error(req(PUB, "POST", "/v1/attest", body), 403, "policy_denied", "one of two denied")
    want(err.get("denied") == [{"secret": "other", "policy": "deny", "rules": ["measurement"]}],
         "denied: %r" % err.get("denied"))


def audit_record(request_id):
    for line in audit_text().splitlines():
        rec = json.loads(line)
        if rec.get("request_id") == request_id:
            return rec
    raise Fail("no audit record for " + request_id)


def case_many_secrets():
    """32 secrets with long names under rich policies are released and audited, never 503."""
    long = "x" * 242
    names = ["long-%02d-%s" % (i, long) for i in range(1, 33)]
    resp, vals = release(names)
    want(vals == {n: n[:7].encode() for n in names}, "32 values under one policy")
    rec = audit_record(resp["request_id"])
    rules = json.loads(rec["rules"])
    want(rec["decision"] == "release" and "detail" not in rules, "record: %s" % rec["decision"])
    first, rest = rules["secrets"][0], rules["secrets"][1:]
    want(len(first["rules"]) > 10 and all("expected" in r for r in first["rules"]),
         "the first secret keeps every row with its values")
    want(all(s.get("rules_as") == names[0] and "rules" not in s for s in rest),
         "the other 31 point at the first one's rows")
    # 32 distinct policies: the rows are kept, the values of passing rows dropped.
    names = ["dist-%02d-%s" % (i, long) for i in range(1, 33)]
    resp, vals = release(names)
    want(vals == {n: n[:7].encode() for n in names}, "32 values under 32 policies")
    rules = json.loads(audit_record(resp["request_id"])["rules"])
    want(rules.get("detail") == "failed_values", "detail: %r" % rules.get("detail"))
    want(all(len(s["rules"]) > 10 and all("expected" not in r for r in s["rules"])
             for s in rules["secrets"]), "every policy's rows, without the values of passes")


def refused_requests(n):
    """n requests whose report signature is broken: 401 evidence; their request ids."""
    body, _, _, _ = fresh(["disk-key"])
    rep = bytearray(base64.b64decode(body["report"]))
    rep[0x2a0] ^= 1  # inside the signature
    body["report"] = b64(bytes(rep))
    ids = []
    for _ in range(n):
        err = want_error(req(PUB, "POST", "/v1/attest", body), 401, "evidence", "broken signature")
        want(err.get("check") == "report_signature", "check: %r" % err.get("check"))
        ids.append(err["request_id"])
    return ids


def case_refused_audit_budget():
    """Refused evidence is audited only within the budget: 6 a minute per address by default."""
    t0 = time.time()
    ids = refused_requests(10)
    text = audit_text()
    audited = [i for i in ids if i in text]
    # 6 at once, and one more for every 10 s the loop took.
    want(6 <= len(audited) <= 6 + int((time.time() - t0) / 10),
         "%d of 10 refusals audited" % len(audited))
    want(audited == ids[:len(audited)], "the first ones are the audited ones")


def case_refused_audit_off():
    """refused_audit_per_minute 0 audits no refused evidence at all (it was unlimited)."""
    ids = refused_requests(10)
    text = audit_text()
    want(not any(i in text for i in ids), "refused evidence audited with a budget of 0")


def case_rate_admin_apart():
    """Guests that use up an address's public budget do not lock the admin API out."""
    codes = [req1(PUB, "GET", "/healthz")[0] for _ in range(12)]
    want(codes.count(429) >= 6, "public 429s: %r" % codes)
    st, body = req(ADM, "GET", "/v1/admin/secrets", None, ADMIN)
    want(st == 200, "admin after the public budget is spent: %d %s" % (st, str(body)[:100]))


def case_metrics_audit_records():
    """kbs_audit_records_total counts every record: fetches and admin changes too."""
    key = "kbs_audit_records_total"
    resp, _ = release(["disk-key"])
    steps = [
        ("a token fetch", 1, lambda: fetch(resp["token"], "disk-key")),
        ("a secret put", 1, lambda: req(ADM, "PUT", "/v1/admin/secrets/metric-probe",
                                        {"policy": "prod", "value": b64(b"probe")}, ADMIN)),
        ("a secret delete", 1, lambda: req(ADM, "DELETE", "/v1/admin/secrets/metric-probe",
                                           None, ADMIN)),
    ]
    st, cur = req(ADM, "GET", "/v1/admin/policies/deny", None, ADMIN)
    want(st == 200, "policy show")
    text = cur["policy"].encode()
    steps += [
        ("the same policy bytes again", 0, lambda: req(ADM, "POST", "/v1/admin/policies", text, ADMIN)),
        ("a new policy version", 1,
         lambda: req(ADM, "POST", "/v1/admin/policies", text + b" ", ADMIN)),
    ]
    for what, n, step in steps:
        m0 = metrics()
        st, body = step()
        want(st in (200, 201), "%s: %d %s" % (what, st, str(body)[:100]))
        m1 = metrics()
        want(delta(m0, m1, key) == n, "%s: %s went up by %g, not %d" % (what, key, delta(m0, m1, key), n))


def parallel(fn, args):
    """Runs fn(*a) for every a in args, each in its own thread; the results in order."""
    out = [None] * len(args)

    def run(i):
        try:
            out[i] = fn(*args[i])
        except Exception as e:  # a failure of that call, reported by the caller
            out[i] = e
    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(args))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return out


def case_replay_race():
    """32 copies of one attestation sent at once: exactly one is released."""
    body, g, G, nonce = fresh(["disk-key"])
    got = parallel(lambda: req(PUB, "POST", "/v1/attest", body), [()] * 32)
    ok = [r for r in got if isinstance(r, tuple) and r[0] == 200]
    replayed = [r for r in got if isinstance(r, tuple) and r[0] == 401 and
                r[1].get("error") == "nonce_replayed"]
    want(len(ok) == 1 and len(replayed) == 31, "released %d, replayed %d of 32: %r" %
         (len(ok), len(replayed), [r if not isinstance(r, tuple) else r[0] for r in got][:5]))
    want(open_secrets(ok[0][1], g, G, nonce) == {"disk-key": SECRET}, "the one released value")


def case_parallel_guests():
    """40 guests at once, each with its own nonce and key: all released, all audited."""
    prepared = [fresh(["disk-key"]) for _ in range(40)]
    got = parallel(lambda b: req(PUB, "POST", "/v1/attest", b), [(p[0],) for p in prepared])
    for (body, g, G, nonce), r in zip(prepared, got):
        want(isinstance(r, tuple) and r[0] == 200, "a parallel guest: %r" % (r,))
        check_signature(r[1], nonce, G)
        want(open_secrets(r[1], g, G, nonce) == {"disk-key": SECRET}, "a parallel guest's value")
    text = audit_text()
    want(all(r[1]["request_id"] in text for r in got), "a parallel release is not audited")
    st, v = req(ADM, "GET", "/v1/admin/audit/verify", None, ADMIN)
    want(st == 200 and v.get("intact") is True, "audit chain after parallel guests: %r" % v)


def case_certificate_inputs():
    """Certificates that do not parse are 400 with their code; too many are 400 bad_request."""
    body, _, _, _ = fresh(["disk-key"])
    pem = b"".join(open(SIM + "/" + f, "rb").read() for f in ("vcek.pem", "ask.pem", "ark.pem"))
    cases = [
        ([b64(pem)] * 8, 400, "bad_request"),  # 24 certificates
        ([b64(b"not a certificate")], 400, "cert_parse"),
        ([b64(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")], 400, "cert_parse"),
    ]
    for certs, status, error in cases:
        want_error(req(PUB, "POST", "/v1/attest", dict(body, certs=certs)), status, error,
                   "certs %r" % certs[0][:12])
    st, resp = req(PUB, "POST", "/v1/attest", dict(body, certs=[b64(pem)]))
    want(st == 200, "one PEM bundle with the chain: %d %s" % (st, str(resp)[:200]))


CASES = {k[5:]: v for k, v in globals().items() if k.startswith("case_")}


def exited(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"  # a zombie until its parent waits
    except FileNotFoundError:
        return True


def shutdown_probe(pid):
    """SIGTERM with an idle keep-alive connection and a request in flight (its body half
    sent): the request is answered, then the broker exits at once, not after the idle
    connection's timeout."""
    idle = socket.create_connection(("127.0.0.1", PUB), timeout=5)
    idle.sendall(b"GET /healthz HTTP/1.1\r\nHost: k\r\n\r\n")
    want(idle.recv(4096).startswith(b"HTTP/1.1 200 "), "keep-alive request")
    busy = socket.create_connection(("127.0.0.1", PUB), timeout=5)
    busy.sendall(b"POST /v1/challenge HTTP/1.1\r\nHost: k\r\nContent-Length: 2\r\n\r\n{")
    time.sleep(0.3)
    t0 = time.time()
    os.kill(pid, 15)
    time.sleep(1)
    want(not exited(pid), "the broker left before its request in flight was answered")
    busy.sendall(b"}")
    out = busy.recv(4096)
    want(out.startswith(b"HTTP/1.1 200 ") and b'"nonce"' in out, "in flight: %r" % out[:60])
    while not exited(pid) and time.time() - t0 < 15:
        time.sleep(0.05)
    took = time.time() - t0
    want(took < 8, "exit took %.1f s with an idle keep-alive connection open" % took)  # old: the 10 s grace
    idle.close()
    busy.close()


def main():
    if sys.argv[6] == "shutdown_probe":
        try:
            shutdown_probe(int(sys.argv[7]))
            print("ok shutdown_probe")
        except Fail as e:
            print("FAIL shutdown_probe: %s" % e)
        return
    if sys.argv[6] == "save_token":  # a fresh token for disk-key, printed
        print(release(["disk-key"])[0]["token"])
        return
    if sys.argv[6] == "fetch_saved":  # GET disk-key with the token given: "STATUS ERROR"
        st, body = fetch(sys.argv[7], "disk-key")
        print(st, body.get("error") if isinstance(body, dict) else "")
        return
    sys.exit(run_cases(CASES, sys.argv[6:]))


def run_cases(cases, names):
    """Runs each named case: "ok NAME" or "FAIL NAME: why"; 1 if any failed, else 0."""
    failed = 0
    for name in names:
        try:
            cases[name]()
            print("ok " + name)
        except Fail as e:
            failed += 1
            print("FAIL %s: %s" % (name, e))
        except Exception as e:  # an exception is a failure of the case, not of the run
            failed += 1
            line = traceback.extract_tb(e.__traceback__)[-1].lineno
            print("FAIL %s: %r (line %d)" % (name, e, line))
        sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":  # attack.py imports the helpers
    main()
