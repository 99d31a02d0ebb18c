#!/usr/bin/env python3
"""Build the hostile corpus: wheels crafted to break readers, one per folder named after the
case, each `fxclean-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl` with one thing wrong.

usage: make.py   (run by testdata/build.sh, after the fixture wheels and libraries exist)

tests/hostile.rs runs every command over them and expects each to end with exit status 1 or 2
and one clear message, quickly, without writing anything.
"""

import pathlib
import struct
import sys
import zipfile
import zlib

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
from wasm_bytes import custom, leb, sections  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent
TESTDATA = HERE.parent
CLEAN = TESTDATA / "wheels" / "fxclean-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl"
NAME = "fxclean-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl"
EPOCH = (2020, 2, 2, 0, 0, 0)


def clean_members() -> dict:
    with zipfile.ZipFile(CLEAN) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def path(case: str) -> pathlib.Path:
    folder = HERE / case
    folder.mkdir(exist_ok=True)
    return folder / NAME


def wheel(case: str, members, links=(), patch=None) -> None:
    """Write `members` (dict or list of pairs; duplicates allowed) as the wheel of `case`;
    `patch` = (old, new) replaces bytes afterwards (zipfile cuts names at NUL)."""
    pairs = list(members.items()) if isinstance(members, dict) else list(members)
    with zipfile.ZipFile(path(case), "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in pairs:
            info = zipfile.ZipInfo(name, EPOCH)
            info.external_attr = (0o120777 if name in links else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    if patch:
        path(case).write_bytes(path(case).read_bytes().replace(*patch))


def with_so(so: bytes) -> dict:
    members = clean_members()
    members["fxclean/_clean.abi3.so"] = so
    return members


def zeros_member(name: str, size: int, declared: int) -> bytes:
    """A one-member zip whose member inflates to `size` zero bytes but whose headers declare
    `declared` bytes."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = bytes(1 << 20)
    body = b"".join(compressor.compress(chunk) for _ in range(size >> 20)) + compressor.flush()
    crc = 0
    for _ in range(size >> 20):
        crc = zlib.crc32(chunk, crc)
    raw = name.encode()
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(body), declared, len(raw), 0)
    central = struct.pack(
        "<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc, len(body), declared, len(raw), 0, 0, 0, 0, 0, 0
    )
    directory = central + raw
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(directory), len(local) + len(raw) + len(body), 0)
    return local + raw + body + directory + end


def main() -> None:
    for old in [*HERE.glob("*.whl"), *HERE.glob("*/*.whl")]:
        old.unlink()
    clean = CLEAN.read_bytes()
    members = clean_members()
    so = members["fxclean/_clean.abi3.so"]

    # Not wheels at all, or broken archives.
    path("not_a_zip").write_bytes(b"#!/bin/sh\necho this is not a zip archive\n")
    path("truncated_zip").write_bytes(clean[: len(clean) // 2])
    path("empty_file").write_bytes(b"")
    # Decompression bombs: a high ratio within the limits, headers that under-state the size,
    # headers past the limit, and a central directory that claims 60,000 entries it does not hold.
    wheel("bomb_ratio", {**members, "fxclean/zeros.bin": bytes(64 << 20)})
    path("bomb_lying_size").write_bytes(zeros_member("fxclean/zeros.bin", 256 << 20, 1000))
    path("bomb_declared_size").write_bytes(zeros_member("fxclean/zeros.bin", 1 << 20, 0xF0000000))
    many = bytearray(clean)
    end = many.rfind(struct.pack("<I", 0x06054B50))
    many[end + 8 : end + 12] = struct.pack("<HH", 60000, 60000)
    path("bomb_many_members").write_bytes(bytes(many))
    # Many members, each under the member limit, that expand past the archive's.
    wheel("bomb_total", {**members, **{f"fxclean/zeros{i}.bin": bytes(24 << 20) for i in range(12)}})
    # A 300 MiB member of zeros.
    wheel("bomb_300mib", {**members, "fxclean/zeros.bin": bytes(300 << 20)})

    # Member names that escape or confuse an installer.
    wheel("dotdot_member", {**members, "../../evil.py": b"print('escaped')\n"})
    wheel("absolute_member", {**members, "/etc/evil.py": b"print('escaped')\n"})
    wheel("backslash_member", {**members, "fxclean\\..\\..\\evil.py": b"print('escaped')\n"})
    wheel("nul_member", {**members, "fxclean/evil#.py": b"print('escaped')\n"}, patch=(b"evil#.py", b"evil\0.py"))
    wheel("duplicate_member", list(members.items()) + [("fxclean/__init__.py", b"import os\n")])
    wheel("symlink_member", {**members, "fxclean/link": b"/etc/passwd"}, links={"fxclean/link"})
    wheel("metadata_not_utf8", {**members, "fxclean-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: fx\xffclean\n"})

    # Wasm that breaks parsers.
    wheel("wasm_truncated_section", with_so(so[:-5]))
    huge = b"\0asm\x01\0\0\0" + b"\x02" + leb(6) + leb(0xFFFFFFFF) + b"\0"
    wheel("wasm_huge_count", with_so(huge))
    parts = sections(so)
    dylink = next(whole for sid, whole in parts if sid == 0 and b"dylink.0" in whole[:12])
    rest = [whole for _, whole in parts if whole is not dylink]
    late = b"\0asm\x01\0\0\0" + rest[0] + dylink + b"".join(rest[1:])
    wheel("dylink_not_first", with_so(late))
    names = leb(1_000_000) + b"\x07liba.so"
    needed = custom(b"dylink.0", b"\x01\x04\0\0\0\0" + b"\x02" + leb(len(names)) + names)
    wheel("needed_count_overflow", with_so(b"\0asm\x01\0\0\0" + needed + b"".join(rest)))
    escape = b"$ORIGIN/../../../../../../etc"
    paths = leb(1) + leb(len(escape)) + escape
    rpath = b"\x01\x04\0\0\0\0" + b"\x05" + leb(len(paths)) + paths
    wheel("runtime_path_escape", with_so(b"\0asm\x01\0\0\0" + custom(b"dylink.0", rpath) + b"".join(rest)))


if __name__ == "__main__":
    main()
