"""Circuit sizes and prove times across build sizes, with both prover backends.

For N in 16, 64, 256, 800 (B = min(128, N), K = 32, J = 16): the constraint count of each circuit, the
ptau power it needs, the build time (compile, setup with a contribution and a beacon), and the time to
prove one honest statement with snarkjs (``groth16 fullprove``: witness and proof) and with groth16py
(``import_zkey`` once, then ``prove_wtns`` from a witness), plus whether ``ProvingKey.save``/``load``
beats a fresh import. Every proof is verified. N must be a multiple of 16 (docs/protocol.md, "Reward
state and commitment"), so the smallest size here is 16.

    .venv/bin/python bench/circuits.py [--sizes 16,64,256,800] [--ptau FILE] [--builds DIR] [--no-prove]

The default ``--ptau`` is ``pot17_final.ptau`` from the optional shared development cache
(``SETTLEFL_SHARED_PTAU``, see :mod:`settlefl.settings`), when it has one; a power-17 file covers every
size here. Builds are kept in ``--builds`` (default ``<SETTLEFL_CACHE>/bench-builds``) and reused on
later runs, so a slow size can run alone (``--sizes 800``); results for other sizes already in
``bench/results/circuits.json`` are kept. Prints a table at the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import groth16py  # noqa: E402

from settlefl.circuits.build import build  # noqa: E402
from settlefl.circuits.manifest import Manifest  # noqa: E402
from settlefl.circuits.ptau import describe_supplied, required_power  # noqa: E402
from settlefl.circuits.spec import SPECS, Circuit  # noqa: E402
from settlefl.circuits.toolchain import Toolchain  # noqa: E402
from settlefl.circuits.witness import (  # noqa: E402
    WitnessCalculator,
    WitnessJob,
    opening_inputs,
    payout_inputs,
    payout_words,
    public_inputs,
    receipt_inputs,
    transition_inputs,
)
from settlefl.compression import opening_challenge, payout_challenge  # noqa: E402
from settlefl.crypto import eddsa  # noqa: E402
from settlefl.params import BuildParams  # noqa: E402
from settlefl.settings import settings  # noqa: E402
from settlefl.state import Join, RewardState, RoundUpdate, job_domain, job_id, round_salt  # noqa: E402

log = logging.getLogger("bench.circuits")
RESULTS = ROOT / "bench" / "results" / "circuits.json"
#: The power of the ptau that covers every size here (Transition at N = 800 needs 2^17).
PTAU_POWER = 17
TIMINGS = "bench-build-seconds.json"  # next to each cached build, outside the build directory

CHAIN_ID = 31337
CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
AGGREGATOR = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
SENDER = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
JOB = job_id(AGGREGATOR, 0)
DOMAIN = job_domain(CHAIN_ID, CONTRACT, JOB)

#: The reference build (SettleFL paper artifacts) at 10 participants x 10 rounds, non-linear constraints.
REFERENCE = {"Counter (~ Transition)": 25_277, "Challenge": 12_840}


def params_for(n: int) -> BuildParams:
    return BuildParams(n, min(128, n), 32, 16)


def machine() -> dict[str, Any]:
    """What ran the benchmark: timings mean little without it."""
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")), platform.processor() or "unknown",
    )
    mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal"))
    return {
        "platform": platform.platform(), "cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(mem_kb / 2**20, 1),
        "python": platform.python_version(), "groth16py": getattr(groth16py, "__version__", "0.2.0"),
    }


def ensure_build(params: BuildParams, builds: Path, ptau: Path, tc: Toolchain) -> tuple[Path, dict[str, float]]:
    """The cached build for ``params`` (made now if missing), with its per-step build seconds."""
    build_dir, timings_file = builds / params.name, builds / f"{params.name}.{TIMINGS}"
    if (build_dir / "manifest.json").exists():
        timings = json.loads(timings_file.read_text()) if timings_file.exists() else {}
        return build_dir, timings
    steps: list[tuple[str, float]] = []
    started = time.perf_counter()

    def step(message: str) -> None:
        steps.append((message, time.perf_counter()))
        log.info("%s: %s", params.name, message)

    build(params, builds, ptau, toolchain=tc, on_step=step)
    ends = [t for _, t in steps[1:]] + [time.perf_counter()]
    timings = {m.split(" (")[0].replace(" ", "_"): round(end - t, 1) for (m, t), end in zip(steps, ends, strict=True)}
    timings["total"] = round(time.perf_counter() - started, 1)
    timings_file.write_text(json.dumps(timings, indent=2))
    return build_dir, timings


def honest_inputs(params: BuildParams) -> dict[Circuit, dict[str, Any]]:
    """One honest statement per circuit: a genesis, one round with J joins, its receipt and batch 0."""
    n0 = max(1, params.participants - params.max_joins)
    genesis = RewardState.genesis(params, DOMAIN, 10**15, [0x1000 + i for i in range(n0)])
    joins = [Join(0xA0000 + j, j + 1) for j in range(min(params.max_joins, params.participants - n0))]
    update = RoundUpdate(rows=[(i, (i * 7919) % (1 << params.row_bits)) for i in range(n0)], joins=joins)
    state = genesis.apply_round(update, round_salt(0xC0FFEE, DOMAIN, 1))
    opening = opening_challenge(
        chain_id=CHAIN_ID, contract=CONTRACT, job_id=JOB, sender=SENDER, commitment=state.commitment,
        domain=state.domain, round_number=state.round, n=state.n, total=state.total, max_units=state.max_units,
        salt=state.salt, words=list(state.words[: state.n]),
    )
    payout = payout_challenge(
        chain_id=CHAIN_ID, contract=CONTRACT, job_id=JOB, sender=SENDER, commitment=state.commitment,
        domain=state.domain, round_number=state.round, n=state.n, total=state.total, batch=0,
        words=payout_words(state, 0),
    )
    key = eddsa.generate_private_key()
    public_key = eddsa.public_key(key)
    return {
        Circuit.OPENING: opening_inputs(state, opening),
        Circuit.TRANSITION: transition_inputs(genesis, state, SENDER),
        Circuit.RECEIPT: receipt_inputs(state, eddsa.sign(key, state.commitment), public_key, SENDER),
        Circuit.PAYOUT: payout_inputs(state, 0, payout),
    }


def timed(fn: Any, *args: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    result = fn(*args)
    return result, round(time.perf_counter() - started, 3)


def prove_circuit(
    circuit: Circuit, inputs: dict[str, Any], manifest: Manifest, build_dir: Path, tc: Toolchain, tmp: Path
) -> dict[str, Any]:
    """Witness, snarkjs fullprove, groth16py import/prove/save/load; every proof verified."""
    wasm, zkey, vkey = (manifest.path(build_dir, circuit, k) for k in ("wasm", "zkey", "vkey"))
    signals = public_inputs(inputs, SPECS[circuit].public_inputs)
    wtns, input_json = tmp / f"{circuit.value}.wtns", tmp / f"{circuit.value}.input.json"
    input_json.write_text(json.dumps({k: [str(x) for x in v] if isinstance(v, list) else str(v)
                                      for k, v in inputs.items()}))
    _, witness_s = timed(WitnessCalculator().calculate, WitnessJob(circuit.value, wasm, inputs, wtns))

    proof, public = tmp / f"{circuit.value}.proof.json", tmp / f"{circuit.value}.public.json"
    _, fullprove_s = timed(tc.snarkjs, ["groth16", "fullprove", input_json, wasm, zkey, proof, public])
    snarkjs_ok = "OK" in tc.snarkjs(["groth16", "verify", vkey, public, proof])
    snarkjs_ok &= [int(s) for s in json.loads(public.read_text())] == signals

    verifier = groth16py.Verifier(groth16py.VerifyingKey.from_snarkjs_file(str(vkey)))
    (key, _), import_s = timed(groth16py.import_zkey, str(zkey))
    blob, prove_s = timed(groth16py.prove_wtns, key, str(wtns))
    blob2, prove2_s = timed(groth16py.prove_wtns, key, str(wtns))
    saved = tmp / f"{circuit.value}.pk"
    _, save_s = timed(key.save, str(saved))
    loaded, load_s = timed(groth16py.ProvingKey.load, str(saved))
    blob3, prove_loaded_s = timed(groth16py.prove_wtns, loaded, str(wtns))
    groth16py_ok = all(verifier.verify(b, signals) for b in (blob, blob2, blob3))
    if not (snarkjs_ok and groth16py_ok):
        raise SystemExit(f"{circuit.value}: a proof did not verify (snarkjs {snarkjs_ok}, groth16py {groth16py_ok})")
    return {
        "witness_s": witness_s, "snarkjs_fullprove_s": fullprove_s, "groth16py_import_zkey_s": import_s,
        "groth16py_prove_s": prove_s, "groth16py_prove_again_s": prove2_s, "groth16py_save_s": save_s,
        "groth16py_load_s": load_s, "groth16py_prove_after_load_s": prove_loaded_s,
        "zkey_bytes": zkey.stat().st_size, "saved_key_bytes": saved.stat().st_size, "verified": True,
    }


def run_size(n: int, builds: Path, ptau: Path, prove: bool, tc: Toolchain) -> dict[str, Any]:
    params = params_for(n)
    log.info("N = %d: build %s", n, params.name)
    build_dir, build_seconds = ensure_build(params, builds, ptau, tc)
    manifest = Manifest.load(build_dir)
    inputs = honest_inputs(params) if prove else {}
    circuits: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="settlefl-bench-") as tmp:
        for circuit, entry in manifest.circuits.items():
            row: dict[str, Any] = {
                "template": f"{entry.template}({', '.join(map(str, entry.args))})",
                "constraints": entry.constraints, "wires": entry.wires, "public_inputs": len(entry.public_inputs),
                "ptau_power": required_power(entry.constraints, len(entry.public_inputs)),
            }
            if prove:
                log.info("N = %d: proving %s", n, circuit.value)
                row |= prove_circuit(circuit, inputs[circuit], manifest, build_dir, tc, Path(tmp))
            circuits[circuit.value] = row
    return {"build": params.name, "participants": n, "batch": params.batch, "row_bits": params.row_bits,
            "max_joins": params.max_joins, "build_seconds": build_seconds, "circuits": circuits,
            "load_average_after": os.getloadavg()}  # other work on the machine skews the timings


def table(results: dict[str, Any]) -> Table:
    out = Table(title="SettleFL circuits (K = 32, J = 16, B = min(128, N))")
    for col in ("N", "circuit", "constraints", "ptau", "snarkjs fullprove s", "groth16py import s",
                "groth16py prove s", "load saved key s"):
        out.add_column(col, justify="left" if col == "circuit" else "right")
    for size in results["sizes"]:
        for name, row in size["circuits"].items():
            seconds = [f"{row[k]:.2f}" if k in row else "-" for k in
                       ("snarkjs_fullprove_s", "groth16py_import_zkey_s", "groth16py_prove_s", "groth16py_load_s")]
            out.add_row(str(size["participants"]), name, f"{row['constraints']:,}", f"2^{row['ptau_power']}",
                        *seconds)
    return out


def markdown(results: dict[str, Any]) -> str:
    """The table of docs/circuits.md, regenerated from the results file (``--markdown``)."""
    lines = [
        "| N | B | circuit | constraints | ptau | witness s | snarkjs fullprove s | groth16py prove s |",
        "|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    for size in results["sizes"]:
        for row in size["circuits"].values():
            cells = [f"{row[k]:.2f}" if k in row else "-" for k in
                     ("witness_s", "snarkjs_fullprove_s", "groth16py_prove_s")]
            lines.append(f"| {size['participants']} | {size['batch']} | {row['template']} | {row['constraints']:,} | "
                         f"2^{row['ptau_power']} | {' | '.join(cells)} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="16,64,256,800", help="comma-separated N values (multiples of 16)")
    parser.add_argument("--ptau", type=Path, default=settings().shared_ptau(PTAU_POWER),
                        help=f"a prepared ptau of power {PTAU_POWER} or more (default: the shared development cache's)")
    parser.add_argument("--builds", type=Path, default=settings().cache_dir / "bench-builds")
    parser.add_argument("--no-prove", action="store_true", help="sizes and build times only")
    parser.add_argument("--markdown", action="store_true", help="print the stored results as Markdown and exit")
    args = parser.parse_args()
    if args.markdown:
        print(markdown(json.loads(RESULTS.read_text())))  # noqa: T201 - the output is the point
        return
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    if args.ptau is None:
        raise SystemExit(
            f"pass --ptau FILE (a prepared ptau of power {PTAU_POWER} covers every size here), or set "
            f"SETTLEFL_SHARED_PTAU to a directory holding pot{PTAU_POWER}_final.ptau"
        )
    tc = Toolchain()
    results: dict[str, Any] = json.loads(RESULTS.read_text()) if RESULTS.exists() else {"sizes": []}
    ptau = describe_supplied(args.ptau, 1)
    for n in (int(s) for s in args.sizes.split(",")):
        entry = run_size(n, args.builds, args.ptau, not args.no_prove, tc)
        results["sizes"] = sorted([s for s in results["sizes"] if s["participants"] != n] + [entry],
                                  key=lambda s: s["participants"])
        results |= {
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "machine": machine(),
            "toolchain": tc.versions(), "ptau": {"file": args.ptau.name, "power": ptau.power, "origin": ptau.origin},
            "reference_build": {"participants": 10, "rounds": 10, "non_linear_constraints": REFERENCE},
        }
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(results, indent=2) + "\n")
        log.info("N = %d done; wrote %s", n, RESULTS)
    Console().print(table(results))


if __name__ == "__main__":
    main()
