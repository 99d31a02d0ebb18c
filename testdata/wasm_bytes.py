"""LEB128 and section walking for the fixture scripts that craft wasm (legacy_dylink.py,
hostile/make.py)."""


def leb(value: int) -> bytes:
    """The unsigned LEB128 encoding of `value`."""
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def read_leb(data: bytes, pos: int) -> tuple:
    """The unsigned LEB128 number at `pos`, and the position after it."""
    result = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return result, pos


def string(s: bytes) -> bytes:
    """A length-prefixed string."""
    return leb(len(s)) + s


def sections(module: bytes) -> list:
    """The sections of a module as (id, whole bytes), in order."""
    out, pos = [], 8
    while pos < len(module):
        size, body = read_leb(module, pos + 1)
        out.append((module[pos], module[pos : body + size]))
        pos = body + size
    return out


def custom(name: bytes, body: bytes) -> bytes:
    """A custom section."""
    content = string(name) + body
    return b"\0" + leb(len(content)) + content
