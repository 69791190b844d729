"""How long ``settlefl demo`` takes, phase by phase, and what it costs in gas: warm, and from a fresh clone.

Each scenario runs the real demo (its own anvil with one block a second, ``settlefl node aggregator`` and
N ``settlefl node participant`` processes over HTTP, real training, settlement, the independent audit)
through ``settlefl demo --json`` in a subprocess, exactly as a user would, and records its phases, gas per
operation, payouts and verdict.

* ``cc-4x3``: the issue's warm target, 4 participants, 3 rounds, Commit-and-Challenge (target: < 3 min).
* ``cp-4x3``: the same with Commit-with-Proof.
* ``malicious-4x3``: the aggregator cuts a participant in round 2; challenge, fault, pro-rata payout.
* ``--fresh-clone``: also ``git clone`` this checkout into a temporary directory and time ``make demo``
  there, setup included (target: < 10 min). pip's and npm's download caches are whatever this machine has.

    .venv/bin/python bench/demo.py [--scenarios cc-4x3,cp-4x3,malicious-4x3] [--fresh-clone]

Writes ``bench/results/demo.json`` and prints a table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "demo.json"
SCENARIOS: dict[str, list[str]] = {
    "cc-4x3": ["--variant", "cc", "--participants", "4", "--rounds", "3"],
    "cp-4x3": ["--variant", "cp", "--participants", "4", "--rounds", "3"],
    "malicious-4x3": ["--variant", "cc", "--participants", "4", "--rounds", "3", "--malicious"],
}
WARM_TARGET_S = 180
FRESH_TARGET_S = 600


def run_scenario(name: str) -> dict[str, Any]:
    began = time.monotonic()
    proc = subprocess.run([str(ROOT / ".venv" / "bin" / "settlefl"), "demo", "--json", *SCENARIOS[name]],
                          capture_output=True, text=True, timeout=1800, check=False)
    seconds = time.monotonic() - began
    if proc.returncode != 0:
        raise SystemExit(f"{name} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(proc.stdout)
    result["wall_seconds"] = round(seconds, 1)
    return result


def fresh_clone() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="settlefl-fresh-") as tmp:
        clone = Path(tmp) / "settlefl"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
        env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
        began = time.monotonic()
        proc = subprocess.run(["make", "demo"], cwd=clone, capture_output=True, text=True, timeout=3600, env=env,
                              check=False)
        seconds = time.monotonic() - began
        if proc.returncode != 0:
            raise SystemExit(f"make demo in a fresh clone failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
        return {"wall_seconds": round(seconds, 1), "target_seconds": FRESH_TARGET_S}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--fresh-clone", action="store_true")
    args = parser.parse_args()
    names = [n for n in args.scenarios.split(",") if n]
    unknown = set(names) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios {sorted(unknown)}: choose among {', '.join(SCENARIOS)}")
    results = {name: run_scenario(name) for name in names}
    record: dict[str, Any] = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "machine": platform.platform(),
        "cpus": os.cpu_count(), "load": os.getloadavg()[0], "scenarios": results,
        "warm_target_seconds": WARM_TARGET_S,
    }
    if args.fresh_clone:
        record["fresh_clone"] = fresh_clone()
    RESULTS.write_text(json.dumps(record, indent=2) + "\n")
    console = Console(width=150)
    phases = list(next(iter(results.values()))["phases"]) if results else []
    table = Table(title=f"settlefl demo, seconds per phase ({os.cpu_count()} CPUs, load {record['load']:.1f})")
    table.add_column("scenario")
    for phase in phases:
        table.add_column(phase, justify="right")
    table.add_column("wall", justify="right")
    table.add_column("gas", justify="right")
    table.add_column("verdict")
    for name, r in results.items():
        gas = sum(g["gas"] for g in r["gas"].values())
        table.add_row(name, *(f"{r['phases'].get(p, 0):.1f}" for p in phases), f"{r['wall_seconds']:.1f}",
                      f"{gas:,}", r["verdict"])
    console.print(table)
    if "fresh_clone" in record:
        console.print(f"fresh clone, `make demo` with setup: {record['fresh_clone']['wall_seconds']:.0f} s "
                      f"(target {FRESH_TARGET_S} s)")
    console.print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
