#!/usr/bin/env python3
"""Rewrite a side module's `dylink.0` section as the pre-2021 flat `dylink` section.

usage: legacy_dylink.py IN.so OUT.so

Emscripten before 2.0.17 wrote `dylink`: memsize, memalign, tablesize, tablealign, then the
needed libraries, all as LEB128 / length-prefixed strings. Debian's emscripten 3.1.6 no longer
writes it, so the fixture that carries one is made from a real module by this conversion.
"""

import sys

from wasm_bytes import leb, read_leb, sections, string


def main() -> None:
    data = open(sys.argv[1], "rb").read()
    assert data[:8] == b"\0asm\x01\0\0\0"
    out = bytearray(data[:8])
    for section_id, whole in sections(data):
        size, body = read_leb(whole, 1)
        name_len, name_at = read_leb(whole, body)
        if section_id == 0 and whole[name_at : name_at + name_len] == b"dylink.0":
            sub, end, mem, needed = name_at + name_len, body + size, [0, 0, 0, 0], []
            while sub < end:
                kind = whole[sub]
                length, payload = read_leb(whole, sub + 1)
                sub = payload + length
                if kind == 1:
                    for i in range(4):
                        mem[i], payload = read_leb(whole, payload)
                elif kind == 2:
                    count, payload = read_leb(whole, payload)
                    for _ in range(count):
                        n, payload = read_leb(whole, payload)
                        needed.append(whole[payload : payload + n])
                        payload += n
            legacy = b"".join(leb(v) for v in mem) + leb(len(needed)) + b"".join(string(n) for n in needed)
            content = string(b"dylink") + legacy
            out += b"\0" + leb(len(content)) + content
        else:
            out += whole
    open(sys.argv[2], "wb").write(out)


if __name__ == "__main__":
    main()
