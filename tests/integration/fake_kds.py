#!/usr/bin/python3
"""fake_kds.py ROOT PORTFILE: a stand-in for AMD KDS on 127.0.0.1 (port 0).

Serves the files under ROOT by the KDS URL scheme:
    /vcek/v1/{Product}/cert_chain      ROOT/vcek/v1/{Product}/cert_chain
    /vcek/v1/{Product}/crl             ROOT/vcek/v1/{Product}/crl
    /vlek/v1/...                       likewise
    /vcek/v1/{Product}/{hwid}?QUERY    ROOT/vcek/v1/{Product}/{hwid}.der, only
                                       when QUERY equals ROOT/.../{hwid}.query
and counts every request by path (GET /_counts, JSON). Behaviour is
switched per kind (vcek, chain, crl) by POST /_mode with a JSON object:
    {"vcek": "ok" | "429" | "503" | "slow" | "html" | "junk" | "500",
     "retry_after": seconds, "slow": seconds}
"429"/"503" answer with Retry-After, "slow" sleeps before answering,
"html" serves the file as text/html, "junk" serves bytes that are no
certificate with the right content type. Writes its port to PORTFILE.
"""
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

ROOT = sys.argv[1]
lock = threading.Lock()
counts = {}
mode = {"vcek": "ok", "chain": "ok", "crl": "ok", "retry_after": 3, "slow": 4}
TYPES = {"vcek": "application/x-x509-ca-cert", "chain": "application/x-pem-file",
         "crl": "application/pkix-crl"}


class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def answer(self, status, body=b"", ctype="text/plain", headers=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path == "/_mode":
            with lock:
                mode.update(json.loads(body))
            return self.answer(200, b"ok")
        self.answer(404)

    def do_GET(self):
        u = urlsplit(self.path)
        if u.path == "/_counts":
            with lock:
                return self.answer(200, json.dumps(counts).encode(), "application/json")
        with lock:
            counts[u.path] = counts.get(u.path, 0) + 1
            m = dict(mode)
        parts = u.path.strip("/").split("/")
        if len(parts) != 4 or parts[0] not in ("vcek", "vlek") or parts[1] != "v1" or \
                ".." in parts:
            return self.answer(404)
        kind = parts[3] if parts[3] in ("cert_chain", "crl") else "vcek"
        kind = "chain" if kind == "cert_chain" else kind
        f = os.path.join(ROOT, *parts)
        if kind == "vcek":
            q = f + ".query"
            f += ".der"
            if not os.path.exists(q) or open(q).read().strip() != u.query:
                return self.answer(404, b"no such VCEK")
        what = m.get(kind, "ok")
        if what in ("429", "503"):
            return self.answer(int(what), b"slow down", headers=[("Retry-After",
                                                                  str(m["retry_after"]))])
        if what == "500":
            return self.answer(500, b"broken")
        if what == "slow":
            time.sleep(float(m["slow"]))
        if not os.path.exists(f):
            return self.answer(404, b"not found")
        data = open(f, "rb").read()
        if what == "junk":
            data = b"\x30\x82" + bytes(range(256)) * 4
        self.answer(200, data, "text/html" if what == "html" else TYPES[kind])


srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
srv.daemon_threads = True
with open(sys.argv[2] + ".tmp", "w") as pf:
    pf.write(str(srv.server_address[1]))
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
srv.serve_forever()
