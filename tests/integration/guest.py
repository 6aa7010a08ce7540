#!/usr/bin/python3
"""guest.py: a second, independent guest for protocol v1, for the tests.

Written from docs/protocol.md with PyNaCl (Debian: python3-nacl) and the
standard library only, so the broker is checked against an implementation
that shares no code with it or with libkbsclient. It runs one exchange,
optionally breaking one thing on purpose, and prints one line:

    released NAME=VALUE_HEX ...      (signature, nonce and token checked)
    refused STATUS ERROR [CHECK]     (the broker's answer)
    undecryptable                    (released, but not to our key: --mode rd-key)

Modes: ok, replay (the same request twice; prints the second answer),
bad-mac (one MAC bit of the nonce flipped), rd-nonce (REPORT_DATA carries
another nonce), rd-key (REPORT_DATA carries a key we do not hold),
tamper-sig (one byte of the report signature flipped), other-replica
(the challenge comes from --challenge-url), expired (waits --wait seconds
between challenge and attest), save (writes the attest request to --save
for a replay after a restart), send (posts the request in --save).

usage: guest.py --url URL --client KBS_CLIENT --sim DIR --name N [--name N]
                [--mode M] [--server-key X] [--challenge-url URL] [--wait S]
                [--save FILE] [--fetch] [--no-certs] [--show-retry] [--slow-body S]

--slow-body S sends the attest request's head at once and its body over S
seconds (the last bytes one by one), as a slow client would: every expiry
is judged when the body is in, not when the head came;
--no-certs sends no certificates (the broker finds the VCEK: kbs/kds.h);
--show-retry appends "retry_after=N" (the Retry-After header) to a refusal.
"""
import argparse
import base64
import hashlib
import http.client
import json
import os
import re
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

from nacl.bindings import (crypto_aead_xchacha20poly1305_ietf_decrypt,
                           crypto_scalarmult, crypto_scalarmult_base)
from nacl.exceptions import CryptoError
from nacl.signing import VerifyKey

b64 = base64.b64encode
unb64 = base64.b64decode


last_retry_after = None


def request(url, path, body=None, headers=None):
    global last_retry_after
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url + path, data=data, headers=headers or {})
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        last_retry_after = e.headers.get("Retry-After")
        return e.code, json.load(e)


def b64url(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def s16(b):
    return struct.pack(">H", len(b)) + b


def transcript(binding, guest_key, resp, token):
    msg = b"kbs-response-v1\0" + binding + guest_key + unb64(resp["wrap_key"])
    msg += s16(resp["request_id"].encode()) + struct.pack(">I", len(resp["secrets"]))
    for s in resp["secrets"]:
        ct = unb64(s["ciphertext"])
        msg += s16(s["name"].encode()) + s16(s["policy"]["name"].encode())
        msg += struct.pack(">I", s["policy"]["version"]) + bytes.fromhex(s["policy"]["sha256"])
        msg += unb64(s["aead_nonce"]) + struct.pack(">I", len(ct)) + ct
    return msg + s16(token.encode())


def unwrap(g, guest_key, binding, resp):
    e = unb64(resp["wrap_key"])
    key = hashlib.blake2b(b"kbs-wrap-v1" + crypto_scalarmult(g, e) + e + guest_key,
                          digest_size=32).digest()
    out = {}
    for s in resp["secrets"]:
        n = s["name"].encode()
        ad = b"kbs-wrap-v1" + bytes([len(n)]) + n + binding
        out[s["name"]] = crypto_aead_xchacha20poly1305_ietf_decrypt(
            unb64(s["ciphertext"]), ad, unb64(s["aead_nonce"]), key)
    return out


def check_token(token, pk, guest_key, names):
    """The EAR token, checked with libsodium on the JWKS key alone."""
    h, p, sig = token.split(".")
    VerifyKey(pk).verify((h + "." + p).encode(), b64url(sig))
    header, claims = json.loads(b64url(h)), json.loads(b64url(p))
    assert header == {"alg": "EdDSA", "typ": "JWT", "kid": header["kid"]}, header
    assert claims["eat_profile"] == "tag:github.com,2023:veraison/ear"
    assert claims["submods"]["snp"]["ear.status"] == "affirming"
    assert b64url(claims["cnf"]["jwk"]["x"]) == guest_key
    assert sorted(s["name"] for s in claims["kbs.secrets"]) == sorted(names)
    assert claims["exp"] > claims["iat"]


def request_slowly(url, path, body, secs):
    """POSTs body with its head sent at once and its last 4 bytes over secs seconds."""
    u = urllib.parse.urlsplit(url)
    data = json.dumps(body).encode()
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    c.putrequest("POST", path)
    c.putheader("Content-Type", "application/json")
    c.putheader("Content-Length", str(len(data)))
    c.endheaders()
    c.send(data[:-4])
    for i in range(4):
        time.sleep(secs / 4)
        c.send(data[len(data) - 4 + i:len(data) - 3 + i])
    r = c.getresponse()
    out = r.status, json.load(r)
    c.close()
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--client", required=True)
    ap.add_argument("--sim", required=True)
    ap.add_argument("--name", action="append", required=True)
    ap.add_argument("--mode", default="ok")
    ap.add_argument("--challenge-url")
    ap.add_argument("--wait", type=float, default=0)
    ap.add_argument("--save")
    ap.add_argument("--fetch", action="store_true")
    ap.add_argument("--no-certs", action="store_true")
    ap.add_argument("--show-retry", action="store_true")
    ap.add_argument("--slow-body", type=float, default=0)
    a = ap.parse_args()

    keys = request(a.url, "/v1/keys")[1]["keys"]
    pk = b64url(keys[0]["x"])
    if a.mode == "send":
        saved = json.load(open(a.save))
        st, resp = request(a.url, "/v1/attest", saved)
        print("refused", st, resp.get("error")) if st != 200 else print("released (replayed!)")
        return
    st, ch = request(a.challenge_url or a.url, "/v1/challenge", {})
    nonce = unb64(ch["nonce"])
    sent_nonce = bytearray(nonce)
    if a.mode == "bad-mac":
        sent_nonce[31] ^= 1
    g = os.urandom(32)
    guest_key = crypto_scalarmult_base(g)
    rd_key = crypto_scalarmult_base(os.urandom(32)) if a.mode == "rd-key" else guest_key
    rd_nonce = os.urandom(32) if a.mode == "rd-nonce" else bytes(sent_nonce)
    tmp = os.environ.get("TMPDIR", "/tmp")
    rep = os.path.join(tmp, "guest-%d.bin" % os.getpid())
    certs = os.path.join(tmp, "guest-%d.pem" % os.getpid())
    subprocess.run([a.client, "sim-report", "--attester", "sim:" + a.sim, "--report-data",
                    (rd_key + rd_nonce).hex(), "--out", rep, "--certs-out", certs],
                   check=True, capture_output=True)
    report = bytearray(open(rep, "rb").read())
    pem = open(certs).read()
    os.unlink(rep)
    os.unlink(certs)
    if a.mode == "tamper-sig":
        report[0x2A0 + 5] ^= 1
    ders = [unb64("".join(b.split())) for b in
            re.findall(r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", pem, re.S)]
    body = {"nonce": b64(bytes(sent_nonce)).decode(), "report": b64(bytes(report)).decode(),
            "certs": [] if a.no_certs else [b64(d).decode() for d in ders], "secrets": a.name}
    if a.no_certs:
        del body["certs"]
    if a.wait:
        time.sleep(a.wait)
    if a.mode == "save":
        json.dump(body, open(a.save, "w"))
    if a.slow_body:
        st, resp = request_slowly(a.url, "/v1/attest", body, a.slow_body)
    else:
        st, resp = request(a.url, "/v1/attest", body)
    if a.mode == "replay" and st == 200:
        st, resp = request(a.url, "/v1/attest", body)
    if st != 200:
        check = resp.get("check", "")
        if a.show_retry:
            # The header and the body's member say the same.
            assert resp.get("retry_after") is None or str(resp["retry_after"]) == last_retry_after
            check = ("%s retry_after=%s" % (check, last_retry_after)).strip()
        print("refused", st, resp.get("error"), check)
        return
    # Everything below fails loudly (an exception) when the broker is wrong.
    VerifyKey(pk).verify(transcript(nonce, rd_key, resp, resp["token"]), unb64(resp["signature"]))
    assert unb64(resp["nonce"]) == nonce
    assert sorted(s["name"] for s in resp["secrets"]) == sorted(a.name)
    check_token(resp["token"], pk, rd_key, a.name)
    try:
        values = unwrap(g, guest_key, nonce, resp)
    except CryptoError:
        print("undecryptable")
        return
    if a.fetch:  # GET /v1/secrets/NAME with the token: wrapped to the cnf key, binding = SHA-256(token)
        tok = resp["token"]
        st, f = request(a.url, "/v1/secrets/" + a.name[0], headers={"Authorization": "Bearer " + tok})
        assert st == 200, (st, f)
        binding = hashlib.sha256(tok.encode()).digest()
        assert unb64(f["binding"]) == binding
        VerifyKey(pk).verify(transcript(binding, guest_key, f, ""), unb64(f["signature"]))
        assert unwrap(g, guest_key, binding, f) == {a.name[0]: values[a.name[0]]}
    print("released", " ".join("%s=%s" % (k, v.hex()) for k, v in sorted(values.items())))


if __name__ == "__main__":
    sys.exit(main())
