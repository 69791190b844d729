#!/usr/bin/env python3
"""Write the published protocol test vectors, ``tests/vectors/protocol.json``.

    .venv/bin/python scripts/make_vectors.py [--check]

The vectors come from :func:`settlefl.testvectors.generate` (fixed inputs, so the file changes only
when the protocol does); Python, circom and Solidity tests all read this file. ``--check`` compares the
committed file with a fresh computation and writes nothing (exit status 1 when they differ).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from settlefl.testvectors import generate

OUT = Path(__file__).resolve().parent.parent / "tests" / "vectors" / "protocol.json"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT, help=f"where to write (default: {OUT})")
    parser.add_argument("--check", action="store_true", help="compare with the file instead of writing it")
    args = parser.parse_args()
    vectors = generate()
    if args.check:
        same = args.out.exists() and json.loads(args.out.read_text()) == vectors
        sys.stderr.write(f"{args.out} {'matches' if same else 'differs from'} the protocol library\n")
        return 0 if same else 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(vectors, indent=2) + "\n")
    sys.stderr.write(f"wrote {args.out}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
