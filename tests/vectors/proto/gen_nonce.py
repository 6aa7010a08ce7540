#!/usr/bin/python3
"""Regenerate nonce.json: the stateless nonce of protocol v1 (docs/protocol.md,
"POST /v1/challenge"), one known-answer vector.

Written from docs/protocol.md alone with hashlib (SHA-256 and keyed
BLAKE2b-128), a second implementation next to kbs/nonce.c;
tests/unit/kbs/test_nonce.c checks the C code against the JSON and that
docs/protocol.md quotes the same nonce. Not run by the test suite: the JSON
is committed and changes only with the protocol. Inputs are fixed, made-up
bytes; no real key is involved.
"""
import hashlib
import json
import struct


def seq(start, n):
    return bytes((start + i) & 0xFF for i in range(n))


key = seq(0x20, 32)
replica_id = "kbs-0"
other_replica_id = "kbs-1"
issued = 1760000000
lifetime = 120
random = seq(0xE0, 8)


def tag(rid):
    return hashlib.sha256(b"kbs-replica-v1" + rid.encode()).digest()[:4]


head = struct.pack(">I", issued) + tag(replica_id) + random
mac_input = b"kbs-nonce-v1" + head
mac = hashlib.blake2b(mac_input, digest_size=16, key=key).digest()
nonce = head + mac
assert len(nonce) == 32

doc = {
    "comment": "protocol v1 nonce vector; see docs/protocol.md and gen_nonce.py",
    "key": key.hex(), "replica_id": replica_id, "replica_tag": tag(replica_id).hex(),
    "other_replica_id": other_replica_id, "other_replica_tag": tag(other_replica_id).hex(),
    "issued": issued, "lifetime": lifetime, "expires_at": issued + lifetime,
    "random": random.hex(), "mac_input": mac_input.hex(), "mac": mac.hex(),
    "nonce": nonce.hex(),
}
with open(__file__.rsplit("/", 1)[0] + "/nonce.json", "w") as f:
    json.dump(doc, f, indent=1)
    f.write("\n")
