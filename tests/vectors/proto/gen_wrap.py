#!/usr/bin/python3
"""Regenerate wrap.json: protocol v1 test vectors (docs/protocol.md).

Written from docs/protocol.md alone, with PyNaCl (Debian: python3-nacl), so
the vectors are an independent second implementation of the construction;
tests/unit/common/test_kbs_proto.c checks the C code against them. Not run
by the test suite: the JSON is committed and never changes unless the
protocol does. Inputs are fixed, made-up bytes; no real key is involved.
"""
import hashlib
import json
import struct

from nacl.bindings import (crypto_aead_xchacha20poly1305_ietf_encrypt,
                           crypto_scalarmult, crypto_scalarmult_base)
from nacl.signing import SigningKey


def seq(start, n):
    return bytes((start + i) & 0xFF for i in range(n))


guest_sk = seq(0x10, 32)
broker_eph_sk = seq(0x40, 32)
identity_seed = seq(0x70, 32)
nonce = seq(0xA0, 32)
request_id = "0123456789abcdef0123456789abcdef"
token = "eyJhbGciOiJFZERTQSJ9.e30.c2ln"  # any ASCII string: it is signed as bytes
secrets = [
    {"name": "disk-key", "value": seq(0xC0, 32), "aead_nonce": seq(0x01, 24),
     "policy_name": "prod-disk-unlock", "policy_version": 3,
     "policy_sha256": hashlib.sha256(b"policy one").digest()},
    {"name": "mpc/share-2", "value": b"a secret that is not a key\n", "aead_nonce": seq(0x31, 24),
     "policy_name": "mpc-party", "policy_version": 1,
     "policy_sha256": hashlib.sha256(b"policy two").digest()},
]

guest_pk = crypto_scalarmult_base(guest_sk)
broker_eph_pk = crypto_scalarmult_base(broker_eph_sk)
shared = crypto_scalarmult(broker_eph_sk, guest_pk)
assert shared == crypto_scalarmult(guest_sk, broker_eph_pk)
label = b"kbs-wrap-v1"
key = hashlib.blake2b(label + shared + broker_eph_pk + guest_pk, digest_size=32).digest()


def s16(b):
    return struct.pack(">H", len(b)) + b


out_secrets = []
msg = b"kbs-response-v1\x00" + nonce + guest_pk + broker_eph_pk + s16(request_id.encode())
msg += struct.pack(">I", len(secrets))
for s in secrets:
    name = s["name"].encode()
    ad = label + bytes([len(name)]) + name + nonce
    ct = crypto_aead_xchacha20poly1305_ietf_encrypt(s["value"], ad, s["aead_nonce"], key)
    msg += s16(name) + s16(s["policy_name"].encode()) + struct.pack(">I", s["policy_version"])
    msg += s["policy_sha256"] + s["aead_nonce"] + struct.pack(">I", len(ct)) + ct
    out_secrets.append({
        "name": s["name"], "value": s["value"].hex(), "aead_nonce": s["aead_nonce"].hex(),
        "policy_name": s["policy_name"], "policy_version": s["policy_version"],
        "policy_sha256": s["policy_sha256"].hex(), "ad": ad.hex(), "ciphertext": ct.hex()})
msg += s16(token.encode())

sk = SigningKey(identity_seed)
sig = sk.sign(msg).signature

doc = {
    "comment": "protocol v1 test vectors; see docs/protocol.md and gen_wrap.py",
    "guest_sk": guest_sk.hex(), "guest_pk": guest_pk.hex(),
    "broker_eph_sk": broker_eph_sk.hex(), "broker_eph_pk": broker_eph_pk.hex(),
    "identity_seed": identity_seed.hex(), "identity_pk": bytes(sk.verify_key).hex(),
    "nonce": nonce.hex(), "request_id": request_id, "token": token,
    "shared": shared.hex(), "key": key.hex(), "secrets": out_secrets,
    "signed_bytes": msg.hex(), "signature": sig.hex(),
}
with open(__file__.rsplit("/", 1)[0] + "/wrap.json", "w") as f:
    json.dump(doc, f, indent=1)
    f.write("\n")
