#!/usr/bin/env python3
"""Build the `wasmwheel check` fixtures: one folder per rule, named by the rule id, holding a
wheel that breaks exactly that rule (and is otherwise the clean fxclean fixture).

usage: make.py   (run by testdata/build.sh, after the fixture wheels exist)

Each wheel is written with Python's zipfile, a fixed timestamp and sorted members, so the
same inputs give the same bytes.
"""

import base64
import hashlib
import pathlib
import shutil
import zipfile

HERE = pathlib.Path(__file__).resolve().parent
CLEAN = HERE.parent / "wheels" / "fxclean-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl"
EPOCH = (2020, 2, 2, 0, 0, 0)
TAGS = "cp312-abi3-pyemscripten_2024_0_wasm32"


def record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def clean_members() -> dict:
    with zipfile.ZipFile(CLEAN) as zf:
        return {n: zf.read(n) for n in zf.namelist() if not n.endswith("/RECORD")}


def write(rule: str, filename: str, members, record=None, dist_info=None, compress=None, links=()):
    """Write `members` (a dict, or a list of (name, data) pairs to allow duplicates) as
    testdata/check/<rule>/<filename>, with a correct RECORD unless `record` is given."""
    pairs = list(members.items()) if isinstance(members, dict) else list(members)
    dist_info = dist_info or next(n.split("/")[0] for n, _ in pairs if ".dist-info/" in n)
    if record is None:
        rows = [f"{n},{record_hash(d)},{len(d)}" for n, d in pairs]
        record = "\n".join(rows + [f"{dist_info}/RECORD,,"]) + "\n"
    pairs.append((f"{dist_info}/RECORD", record.encode()))
    folder = HERE / rule
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(folder / filename, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in pairs:
            info = zipfile.ZipInfo(name, EPOCH)
            info.external_attr = (0o120777 if name in links else 0o644) << 16
            info.compress_type = (compress or {}).get(name, zipfile.ZIP_DEFLATED)
            zf.writestr(info, data)


def renamed(members: dict, old: str, new: str) -> dict:
    return {n.replace(old, new, 1): d for n, d in members.items()}


def with_metadata(members: dict, text: str) -> dict:
    out = dict(members)
    out["fxclean-1.0.dist-info/METADATA"] = text.encode() if isinstance(text, str) else text
    return out


def main() -> None:
    for old in HERE.iterdir():
        if old.is_dir():
            shutil.rmtree(old)
    base = clean_members()
    name = f"fxclean-1.0-{TAGS}.whl"
    meta = base["fxclean-1.0.dist-info/METADATA"].decode()

    # RECORD
    tampered = dict(base)
    tampered["fxclean/__init__.py"] = b"from ._clean import value  # edited after RECORD\n"
    rows = [f"{n},{record_hash(base.get(n, d))},{len(base.get(n, d))}" for n, d in tampered.items()]
    write("record-hash-mismatch", name, tampered, "\n".join(rows + ["fxclean-1.0.dist-info/RECORD,,"]) + "\n")
    extra = dict(base)
    extra["fxclean/extra.py"] = b"EXTRA = 1\n"
    rows = [f"{n},{record_hash(d)},{len(d)}" for n, d in base.items()]
    write("record-entry-missing", name, extra, "\n".join(rows + ["fxclean-1.0.dist-info/RECORD,,"]) + "\n")
    stale = rows + [f"fxclean/gone.py,{record_hash(b'x')},1", "fxclean-1.0.dist-info/RECORD,,"]
    write("record-entry-stale", name, base, "\n".join(stale) + "\n")
    weak = [f"{n},md5={base64.urlsafe_b64encode(hashlib.md5(d).digest()).rstrip(b'=').decode()},{len(d)}" for n, d in base.items()]
    write("record-weak-hash", name, base, "\n".join(weak + ["fxclean-1.0.dist-info/RECORD,,"]) + "\n")
    write("record-invalid", name, base, "not,a,record,row\n")

    # Filename against METADATA
    other = renamed(base, "fxclean-1.0.dist-info", "fxother-1.0.dist-info")
    write("filename-name-mismatch", f"fxother-1.0-{TAGS}.whl", other)
    v2 = renamed(base, "fxclean-1.0.dist-info", "fxclean-2.0.dist-info")
    write("filename-version-mismatch", f"fxclean-2.0-{TAGS}.whl", v2)
    write("dist-info-missing", name, renamed(base, "fxclean-1.0.dist-info", "fxclean_extra-1.0.dist-info"))

    # Platform tags
    legacy = dict(base)
    legacy["fxclean-1.0.dist-info/WHEEL"] = base["fxclean-1.0.dist-info/WHEEL"].replace(b"pyemscripten_", b"pyodide_")
    write("platform-tag-rejected", "fxclean-1.0-cp312-abi3-pyodide_2024_0_wasm32.whl", legacy)

    # Archive
    write("archive-unsafe-path", name, {**base, "../evil.py": b"print('escaped')\n"})
    write("archive-duplicate-member", name, list(base.items()) + [("fxclean/__init__.py", b"VALUE = 2\n")])
    write("archive-compression-bomb", name, {**base, "fxclean/zeros.bin": bytes(48 << 20)})
    write(
        "archive-unsupported-compression",
        name,
        {**base, "fxclean/data.txt": b"compressed with bzip2\n" * 40},
        compress={"fxclean/data.txt": zipfile.ZIP_BZIP2},
    )

    write("archive-symlink", name, {**base, "fxclean/link": b"../../../etc/passwd"}, links={"fxclean/link"})

    # WHEEL
    bad_tags = dict(base)
    bad_tags["fxclean-1.0.dist-info/WHEEL"] = base["fxclean-1.0.dist-info/WHEEL"].replace(b"cp312-abi3", b"cp313-abi3")
    write("wheel-tags-mismatch", name, bad_tags)
    no_version = dict(base)
    no_version["fxclean-1.0.dist-info/WHEEL"] = b"Root-Is-Purelib: false\nTag: " + TAGS.encode() + b"\n"
    write("wheel-file-invalid", name, no_version)
    purelib = dict(base)
    purelib["fxclean-1.0.dist-info/WHEEL"] = base["fxclean-1.0.dist-info/WHEEL"].replace(b"Purelib: false", b"Purelib: true")
    write("purelib-with-binaries", name, purelib)
    write("platform-tag-without-binaries", name, {n: d for n, d in base.items() if not n.endswith(".so")})

    # METADATA
    write("metadata-invalid", name, with_metadata(base, meta.encode() + b"Summary: caf\xe9\n"))
    write("metadata-missing-field", name, with_metadata(base, meta.replace("Version: 1.0\n", "")))
    write("metadata-invalid-name", name, with_metadata(base, meta.replace("Name: fxclean", "Name: fx clean!")))
    write("metadata-invalid-version", name, with_metadata(base, meta.replace("Version: 1.0", "Version: 1.0+local")))
    write("metadata-invalid-requires-dist", name, with_metadata(base, meta + "Requires-Dist: numpy >=\n"))
    write("metadata-invalid-requires-python", name, with_metadata(base, meta + "Requires-Python: >=3.x\n"))
    licensed = meta.replace("Metadata-Version: 2.1", "Metadata-Version: 2.4") + "License-File: LICENSE\n"
    write("metadata-license-file-missing", name, with_metadata(base, licensed))

    # The clean wheel, with a license where Metadata-Version 2.4 wants it: passes.
    write("clean", name, {**with_metadata(base, licensed), "fxclean-1.0.dist-info/licenses/LICENSE": b"MIT\n"})


if __name__ == "__main__":
    main()
