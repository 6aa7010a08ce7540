#!/usr/bin/python3
"""leak_scan.py: looks for known secret bytes in files (test_secret_leak.sh).

    leak_scan.py NEEDLES FILE...

NEEDLES holds one "NAME HEX" line per secret (its raw bytes in hex). Each
file is searched for every needle as raw bytes, lower and upper hex,
standard base64 and base64url (at each of the three alignments a value can
have inside a longer base64 text, padding dropped, line breaks ignored), whole
and in part: a form of 32 characters or more is also searched as its aligned
16-character pieces, so any 31 consecutive characters of it are found (a value
whose start was overwritten in freed memory, say). Prints "leak NAME FORM FILE"
for each whole hit, "leak NAME FORM-part FILE" for a piece only, or "clean N
files"; exits 1 on any hit.
"""
import base64
import sys


def forms(raw):
    out = {"raw": raw, "hex": raw.hex().encode(), "HEX": raw.hex().upper().encode()}
    for shift in range(3):
        for name, enc in (("base64", base64.b64encode), ("base64url", base64.urlsafe_b64encode)):
            text = enc(bytes(shift) + raw)
            if shift:  # the first group mixes in the bytes before the value
                text = text[4:]
            if (shift + len(raw)) % 3:  # so does the last one with what follows
                text = text[:-4]
            out["%s@%d" % (name, shift)] = text.rstrip(b"=")
    return {k: v for k, v in out.items() if len(v) >= 12}


PIECE = 16


def pieces(text):
    """The aligned PIECE-character pieces of text: one lies inside any 2 * PIECE - 1 of it."""
    if len(text) < 2 * PIECE:
        return []
    return [text[i:i + PIECE] for i in range(0, len(text) - PIECE + 1, PIECE)]


def found(text, data, lines, form):
    return text in data or form.startswith("base64") and text in lines


def main():
    needles = []
    for line in open(sys.argv[1]):
        if line.strip():
            name, hexval = line.split()
            needles.append((name, forms(bytes.fromhex(hexval))))
    hits = 0
    for path in sys.argv[2:]:
        data = open(path, "rb").read()
        lines = data.replace(b"\r", b"").replace(b"\n", b"")  # PEM and MIME break base64
        for name, fs in needles:
            for form, text in fs.items():
                if found(text, data, lines, form):
                    hits += 1
                    print("leak %s %s %s" % (name, form, path))
                elif any(found(p, data, lines, form) for p in pieces(text)):
                    hits += 1
                    print("leak %s %s-part %s" % (name, form, path))
    if not hits:
        print("clean %d files" % (len(sys.argv) - 2))
    sys.exit(1 if hits else 0)


if __name__ == "__main__":
    main()
