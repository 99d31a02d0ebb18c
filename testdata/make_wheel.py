#!/usr/bin/env python3
"""Assemble a deterministic wheel from files, for the fixtures (see build.sh).

usage: make_wheel.py OUT_DIR NAME VERSION TAGS [options] MEMBER...

MEMBER is `path/in/wheel=FILE` (copied from FILE) or `path/in/wheel:=TEXT` (inline text).
TAGS is the compressed `python-abi-platform` part of the filename, e.g. `cp312-abi3-pyemscripten_2024_0_wasm32`.
Members are written sorted, the dist-info files last, with a fixed timestamp, so the same
inputs give the same bytes. The wheel itself does not depend on wasmwheel.
"""

import argparse
import base64
import hashlib
import itertools
import pathlib
import zipfile

EPOCH = (2020, 2, 2, 0, 0, 0)


def record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return "sha256=" + digest.decode()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out_dir", type=pathlib.Path)
    parser.add_argument("name")
    parser.add_argument("version")
    parser.add_argument("tags")
    parser.add_argument("members", nargs="*")
    parser.add_argument("--purelib", action="store_true", help="Root-Is-Purelib: true")
    parser.add_argument("--metadata", action="append", default=[], help="extra METADATA line")
    args = parser.parse_intermixed_args()

    files = {}
    for member in args.members:
        if ":=" in member:
            dest, text = member.split(":=", 1)
            files[dest] = text.encode()
        else:
            dest, src = member.split("=", 1)
            files[dest] = pathlib.Path(src).read_bytes()

    dist_info = f"{args.name}-{args.version}.dist-info"
    metadata = [f"Metadata-Version: 2.1", f"Name: {args.name}", f"Version: {args.version}", *args.metadata]
    python, abi, platform = args.tags.split("-")
    tag_lines = [
        f"Tag: {p}-{a}-{t}"
        for p, a, t in itertools.product(python.split("."), abi.split("."), platform.split("."))
    ]
    purelib = "true" if args.purelib else "false"
    wheel = ["Wheel-Version: 1.0", "Generator: wasmwheel-testdata", f"Root-Is-Purelib: {purelib}", *tag_lines]
    files[f"{dist_info}/METADATA"] = ("\n".join(metadata) + "\n").encode()
    files[f"{dist_info}/WHEEL"] = ("\n".join(wheel) + "\n").encode()

    order = sorted(files, key=lambda p: (p.startswith(dist_info + "/"), p))
    record = [f"{p},{record_hash(files[p])},{len(files[p])}" for p in order]
    record.append(f"{dist_info}/RECORD,,")
    files[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()
    order.append(f"{dist_info}/RECORD")

    args.out_dir.mkdir(parents=True, exist_ok=True)
    out = args.out_dir / f"{args.name}-{args.version}-{args.tags}.whl"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in order:
            info = zipfile.ZipInfo(path, EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, files[path])
    print(out)


if __name__ == "__main__":
    main()
