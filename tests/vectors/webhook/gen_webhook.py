#!/usr/bin/python3
"""Regenerate webhook.json: known answers for the webhook signature of
docs/webhooks.md,

    hex(HMAC-SHA256(key, str(timestamp) + "." + body))

computed with Python's hmac and hashlib, a second implementation next to
common/kbs_webhook_sig.c (tests/unit/common/test_kbs_webhook_sig.c checks
the C code against this file, and docs/webhooks.md quotes the first case).
Not run by the test suite: the JSON is committed. Keys are made-up bytes.
"""
import hashlib
import hmac
import json


def seq(start, n):
    return bytes((start + i) & 0xFF for i in range(n))


cases = [
    ("release event, 32-byte key", seq(0x00, 32), 1764547200,
     b'{"kind":"release","id":"00112233445566778899aabbccddeeff"}'),
    ("64-byte key, the largest", seq(0x80, 64), 1764547201,
     b'{"kind":"denial","failed_rules":["measurement"]}'),
    ("empty body, timestamp 0", seq(0x40, 32), 0, b""),
    ("body with a NUL and UTF-8", seq(0x11, 48), 18446744073709551615,
     "{\"name\":\"caf\u00e9\"}\x00tail".encode()),
]

doc = {"comment": "webhook signature vectors; see docs/webhooks.md and gen_webhook.py",
       "cases": []}
for name, key, ts, body in cases:
    sig = hmac.new(key, str(ts).encode() + b"." + body, hashlib.sha256).hexdigest()
    doc["cases"].append({"name": name, "key": key.hex(), "timestamp": str(ts),
                         "body": body.hex(), "signature": sig})
with open("webhook.json", "w") as f:
    json.dump(doc, f, indent=1)
    f.write("\n")
