"""Regenerates the Python stubs under hybridtools/ from protos/.

The proto folders mirror their packages, so protoc's output imports itself
(`from hybridtools.common.v1 import tools_pb2`) with no rewriting. The output
is committed; CI runs this and fails on any difference (`make check-protos`).
"""

from __future__ import annotations

import sys
from pathlib import Path

import grpc_tools
from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTO_ROOT = ROOT / "protos"
PACKAGE_ROOT = ROOT / "hybridtools"
GENERATED_SUFFIXES = ("_pb2.py", "_pb2.pyi", "_pb2_grpc.py")


def remove_stale_outputs() -> None:
    for path in PACKAGE_ROOT.rglob("*"):
        if path.name.endswith(GENERATED_SUFFIXES):
            path.unlink()


def main() -> int:
    proto_files = sorted(str(p.relative_to(PROTO_ROOT)) for p in PROTO_ROOT.rglob("*.proto"))
    remove_stale_outputs()
    well_known = Path(grpc_tools.__file__).parent / "_proto"
    args = [
        "grpc_tools.protoc",
        f"-I{PROTO_ROOT}",
        f"-I{well_known}",
        f"--python_out={ROOT}",
        f"--pyi_out={ROOT}",
        f"--grpc_python_out={ROOT}",
        *proto_files,
    ]
    code = protoc.main(args)
    if code != 0:
        print("protoc failed", file=sys.stderr)
        return code
    # Each generated folder is a regular package so that setuptools ships it.
    for proto in proto_files:
        package_dir = ROOT / Path(proto).parent
        for folder in [package_dir, *package_dir.parents]:
            if folder == ROOT:
                break
            init = folder / "__init__.py"
            if not init.exists():
                init.write_text("")
    print(f"generated stubs for {len(proto_files)} proto files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
