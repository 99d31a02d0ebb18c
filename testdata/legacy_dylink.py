#!/usr/bin/env python3
"""Rewrite a side module's `dylink.0` section as the pre-2021 flat `dylink` section.

usage: legacy_dylink.py IN.so OUT.so

Emscripten before 2.0.17 wrote `dylink`: memsize, memalign, tablesize, tablealign, then the
needed libraries, all as LEB128 / length-prefixed strings. Debian's emscripten 3.1.6 no longer
writes it, so the fixture that carries one is made from a real module by this conversion.
"""

import sys


def leb(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return result, pos


def enc(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def string(s: bytes) -> bytes:
    return enc(len(s)) + s


def main() -> None:
    data = open(sys.argv[1], "rb").read()
    assert data[:8] == b"\0asm\x01\0\0\0"
    pos, out = 8, bytearray(data[:8])
    while pos < len(data):
        start = pos
        section_id = data[pos]
        size, body = leb(data, pos + 1)
        pos = body + size
        name_len, name_at = leb(data, body)
        if section_id == 0 and data[name_at : name_at + name_len] == b"dylink.0":
            sub, mem, needed = name_at + name_len, [0, 0, 0, 0], []
            while sub < pos:
                kind = data[sub]
                length, payload = leb(data, sub + 1)
                sub = payload + length
                if kind == 1:
                    for i in range(4):
                        mem[i], payload = leb(data, payload)
                elif kind == 2:
                    count, payload = leb(data, payload)
                    for _ in range(count):
                        n, payload = leb(data, payload)
                        needed.append(data[payload : payload + n])
                        payload += n
            legacy = b"".join(enc(v) for v in mem) + enc(len(needed)) + b"".join(string(n) for n in needed)
            content = string(b"dylink") + legacy
            out += b"\0" + enc(len(content)) + content
        else:
            out += data[start:pos]
    open(sys.argv[2], "wb").write(out)


if __name__ == "__main__":
    main()
