#!/usr/bin/python3
"""Verify a kbs token with PyJWT, a JWT library that shares no code with kbs.

Usage: check_pyjwt.py TOKEN_EMIT. Runs the emitter (JWKS line, token line),
builds the key from the JWKS alone, and lets PyJWT check the header, the
EdDSA signature and exp/iat, then checks the EAR claims. Exits 77 (skipped
under meson) when PyJWT or its Ed25519 backend is missing.
"""
import base64
import json
import subprocess
import sys

try:
    import jwt
    from cryptography.hazmat.primitives.asymmetric import ed25519  # noqa: F401
except ImportError:
    print("PyJWT with cryptography is not installed: skipped")
    sys.exit(77)

out = subprocess.run([sys.argv[1]], check=True, capture_output=True, text=True).stdout
jwks_text, token = out.splitlines()
jwks = json.loads(jwks_text)
jwk = jwks["keys"][0]
assert jwk["kty"] == "OKP" and jwk["crv"] == "Ed25519" and jwk["alg"] == "EdDSA"

header = jwt.get_unverified_header(token)
assert header == {"alg": "EdDSA", "typ": "JWT", "kid": jwk["kid"]}, header
key = jwt.PyJWK(jwk).key
claims = jwt.decode(token, key=key, algorithms=["EdDSA"])
assert claims["eat_profile"] == "tag:github.com,2023:veraison/ear"
assert claims["submods"]["snp"]["ear.status"] == "affirming"
assert claims["exp"] - claims["iat"] == 300
cnf = claims["cnf"]["jwk"]
assert cnf["kty"] == "OKP" and cnf["crv"] == "X25519"
assert base64.urlsafe_b64decode(cnf["x"] + "=") == bytes(range(0xC0, 0xE0))
assert [s["name"] for s in claims["kbs.secrets"]] == ["disk-key", "mpc/share-2"]

# A changed payload must fail in PyJWT too.
h, p, s = token.split(".")
bad = ".".join([h, p[:5] + ("A" if p[5] != "A" else "B") + p[6:], s])
try:
    jwt.decode(bad, key=key, algorithms=["EdDSA"])
except jwt.InvalidSignatureError:
    pass
else:
    raise AssertionError("PyJWT accepted a changed payload")
print("PyJWT verified the token against the JWKS")
