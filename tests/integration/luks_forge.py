#!/usr/bin/env python3
"""luks_forge.py IMAGE EDIT [ARG]: rewrites the LUKS2 JSON metadata of
IMAGE in place, both header copies with valid checksums, as a host that
owns the disk can. EDIT is one of:
  keyslot-cipher C   keyslot 0's area encryption becomes C
  segment-cipher C   data segment 0's encryption becomes C
  keyslot-key-size N keyslot 0's area key_size becomes N
  requirement R      config.requirements.mandatory becomes [R]
  segment-integrity I data segment 0 becomes aes-xts-random with integrity
                     I, as cryptsetup luksFormat --integrity I writes it
Only the metadata changes (the keyslot areas are left as they are): it is
what kbs-luks-check reads, and cryptsetup luksDump accepts the result."""
import hashlib
import json
import struct
import sys

BIN_HDR = 4096


def main():
    img, edit = sys.argv[1], sys.argv[2]
    arg = sys.argv[3] if len(sys.argv) > 3 else None
    with open(img, 'r+b') as f:
        first = f.read(BIN_HDR)
        hdr_size = struct.unpack('>Q', first[8:16])[0]
        f.seek(0)
        area = f.read(hdr_size)
        meta = json.loads(area[BIN_HDR:].rstrip(b'\0'))
        if edit == 'keyslot-cipher':
            meta['keyslots']['0']['area']['encryption'] = arg
        elif edit == 'segment-cipher':
            meta['segments']['0']['encryption'] = arg
        elif edit == 'keyslot-key-size':
            meta['keyslots']['0']['area']['key_size'] = int(arg)
        elif edit == 'segment-integrity':
            meta['segments']['0']['encryption'] = 'aes-xts-random'
            meta['segments']['0']['integrity'] = {
                'type': arg, 'journal_encryption': 'none',
                'journal_integrity': 'none'}
        elif edit == 'requirement':
            meta['config']['requirements'] = {'mandatory': [arg]}
        else:
            sys.exit('luks_forge.py: unknown edit ' + edit)
        seqid = struct.unpack('>Q', first[16:24])[0] + 1
        body = json.dumps(meta).encode()
        body += bytes(hdr_size - BIN_HDR - len(body))
        for offset, magic in ((0, b'LUKS\xba\xbe'), (hdr_size, b'SKUL\xba\xbe')):
            binhdr = bytearray(first)
            binhdr[0:6] = magic
            binhdr[16:24] = struct.pack('>Q', seqid)
            binhdr[0x100:0x108] = struct.pack('>Q', offset)
            binhdr[0x1c0:0x200] = bytes(64)
            binhdr[0x1c0:0x1e0] = hashlib.sha256(bytes(binhdr) + body).digest()
            f.seek(offset)
            f.write(bytes(binhdr) + body)


if __name__ == '__main__':
    main()
