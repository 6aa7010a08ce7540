#!/usr/bin/python3
"""webhook_receiver.py: a webhook receiver on 127.0.0.1 for the tests, written
from docs/webhooks.md alone (Python's hmac, not the broker's C code).

Every POST is checked: the three KBS-Webhook-* headers, the signature
v1=hex(HMAC-SHA256(key, timestamp + "." + body)) compared with
hmac.compare_digest, a body that is one JSON object whose "id" is the
header's. Each request is appended to --out as one JSON line:
{"id", "timestamp", "valid", "status", "body"} (body parsed, or null), so
the test sees every attempt, retries and refusals included. Answers: 401
for a bad signature, 400 for a malformed request, 503 for the first
--fail-first valid ones, else 204; --delay S sleeps before answering.

Usage: webhook_receiver.py --key-file F --out F (--port N | --port-file F)
       [--fail-first N] [--delay S]
"""
import argparse
import hashlib
import hmac
import http.server
import json
import os
import re
import sys
import threading
import time

HEX_KEY = re.compile(rb"(?:[0-9a-fA-F]{2}){32,64}")


def load_key(path):
    """The key file rule of docs/webhooks.md: 64..128 hex digits (one optional
    trailing newline), else 32..64 raw bytes."""
    with open(path, "rb") as f:
        data = f.read()
    text = data[:-1] if data.endswith(b"\n") else data
    if HEX_KEY.fullmatch(text):
        return bytes.fromhex(text.decode())
    if 32 <= len(data) <= 64:
        return data
    raise SystemExit("webhook_receiver: bad key file %s" % path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--key-file", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--fail-first", type=int, default=0)
    ap.add_argument("--delay", type=float, default=0.0)
    args = ap.parse_args()
    key = load_key(args.key_file)
    lock = threading.Lock()
    state = {"failed": 0}

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, fmt, *a):
            pass

        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(n) if 0 <= n <= 1 << 20 else b""
            wid = self.headers.get("KBS-Webhook-Id", "")
            ts = self.headers.get("KBS-Webhook-Timestamp", "")
            sig = self.headers.get("KBS-Webhook-Signature", "")
            ctype = self.headers.get("Content-Type", "")
            valid = False
            if re.fullmatch(r"[0-9]+", ts) and sig.startswith("v1="):
                want = hmac.new(key, ts.encode() + b"." + body, hashlib.sha256).hexdigest()
                valid = hmac.compare_digest(want, sig[3:])
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = None
            if not valid:
                status = 401
            elif (not re.fullmatch(r"[0-9a-f]{32}", wid) or ctype != "application/json"
                  or not isinstance(parsed, dict) or parsed.get("id") != wid):
                status = 400
            else:
                with lock:
                    if state["failed"] < args.fail_first:
                        state["failed"] += 1
                        status = 503
                    else:
                        status = 204
            if args.delay > 0:
                time.sleep(args.delay)
            with lock, open(args.out, "a") as f:
                f.write(json.dumps({"id": wid, "timestamp": ts, "valid": valid,
                                    "status": status, "body": parsed}) + "\n")
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    srv.daemon_threads = True
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write("%d\n" % srv.server_address[1])
        os.rename(args.port_file + ".tmp", args.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
