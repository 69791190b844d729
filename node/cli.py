"""The ``settlefl`` command line.

Each sub-command is a thin shell over the protocol library: it parses arguments, calls one function,
prints the result for a person, and turns the library's exceptions into a one-line error and a non-zero
exit status.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from settlefl import __version__
from settlefl.circuits import build as builder
from settlefl.circuits.manifest import Manifest
from settlefl.circuits.ptau import DEVELOPMENT_WARNING, required_power
from settlefl.circuits.spec import Circuit
from settlefl.circuits.toolchain import CircuitsError
from settlefl.params import BuildParams

app = typer.Typer(
    name="settlefl",
    help="Trustless reward settlement for federated learning on EVM chains.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
console = Console()
err = Console(stderr=True)


def _version(value: bool) -> None:
    if value:
        console.print(f"settlefl {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log progress at INFO level.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )


@app.command()
def demo() -> None:
    """Run a complete demo settlement on a local chain that the command starts itself."""
    err.print(
        "[bold red]not built yet:[/] the demo needs the circuits, the contract and the FL node "
        "(issues 3, 4 and later). `make test` runs what exists."
    )
    raise typer.Exit(code=2)


@app.command()
def keygen(
    out: Annotated[Path, typer.Argument(help="Where to write the new key file (mode 0600).")],
) -> None:
    """Create an aggregator receipt-signing key (Baby Jubjub EdDSA) from the OS random source."""
    from settlefl.crypto import eddsa

    try:
        ax, ay = eddsa.generate_key_file(out)
    except (FileExistsError, OSError) as exc:
        err.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(code=1) from exc
    console.print(f"wrote {out}")
    console.print(f"public key: ({ax}, {ay})")
    console.print(f"pubHash (stored on chain): {eddsa.public_key_hash((ax, ay))}")


circuits_app = typer.Typer(
    help="Build, extend and verify the Groth16 setup of the circuits (DESIGN.md, \"Setup\").", no_args_is_help=True
)
app.add_typer(circuits_app, name="circuits")
DEFAULT_BUILDS = Path.home() / ".cache" / "settlefl" / "builds"


def _fail(exc: Exception) -> typer.Exit:
    """One clear error line and exit status 1; a failing tool's output tail follows, dimmed."""
    first, _, rest = str(exc).partition("\n")
    err.print(f"[bold red]error:[/] {first}", highlight=False, soft_wrap=True)
    if rest:
        err.print(rest, style="dim", highlight=False, markup=False, soft_wrap=True)
    return typer.Exit(code=1)


def _circuits_table(manifest: Manifest) -> Table:
    table = Table(title=f"build {manifest.build}")
    for column in ("circuit", "constraints", "wires", "public", "ptau", "contribs"):
        table.add_column(column, justify="left" if column == "circuit" else "right")
    for entry in manifest.circuits.values():
        table.add_row(
            f"{entry.template}({', '.join(map(str, entry.args))})", f"{entry.constraints:,}", f"{entry.wires:,}",
            str(len(entry.public_inputs)), f"2^{required_power(entry.constraints, len(entry.public_inputs))}",
            str(len(entry.contributions)),
        )
    return table


def _parse_only(only: str) -> list[Circuit]:
    names = [c.strip() for c in only.split(",") if c.strip()]
    unknown = [c for c in names if c not in {x.value for x in Circuit}]
    if unknown or not names:
        raise ValueError(f"--only {only!r}: choose among {', '.join(c.value for c in Circuit)}")
    return [Circuit(c) for c in names]


@circuits_app.command("build")
def circuits_build(
    participants: Annotated[int, typer.Option("--participants", "-n", help="N: state slots, a multiple of 16.")],
    batch: Annotated[int, typer.Option("--batch", "-b", help="B: slots per payout batch, a multiple of 16.")],
    row_bits: Annotated[int, typer.Option("--row-bits", help="K: a round adds below 2^K units per slot.")] = 32,
    max_joins: Annotated[int, typer.Option("--max-joins", help="J: at most J joins per round (<= 16).")] = 16,
    ptau: Annotated[
        Path | None,
        typer.Option(help="A prepared powers-of-tau file, e.g. a public ceremony's. Default: a development file."),
    ] = None,
    out: Annotated[Path, typer.Option(help="The build goes to OUT/<build name>/.")] = DEFAULT_BUILDS,
    beacon: Annotated[
        str | None, typer.Option(help="Hex of a public random value announced in advance (default: random).")
    ] = None,
    only: Annotated[
        str | None, typer.Option(help="Comma-separated circuits to build (opening,transition,receipt,payout).")
    ] = None,
    name: Annotated[str, typer.Option(help="Name recorded for this build's own phase-2 contribution.")] = (
        "settlefl build"
    ),
) -> None:
    """Compile the circuits for one parameter set and run a Groth16 setup with a contribution and a beacon."""
    try:
        params = BuildParams(participants, batch, row_bits, max_joins)
        selected = _parse_only(only) if only else None
        with console.status("starting") as status:

            def step(message: str) -> None:
                status.update(message)
                console.log(message)

            build_dir, manifest = builder.build(
                params, out, ptau, beacon=beacon, only=selected, contributor=name, on_step=step
            )
    except (CircuitsError, ValueError, OSError) as exc:
        raise _fail(exc) from exc
    console.print(_circuits_table(manifest))
    console.print(f"wrote {build_dir} (ptau: {manifest.ptau.origin}, power {manifest.ptau.power})")
    if manifest.development:
        power = max(required_power(e.constraints, len(e.public_inputs)) for e in manifest.circuits.values())
        err.print(f"[bold yellow]warning:[/] {DEVELOPMENT_WARNING.format(power=power)}", highlight=False)


@circuits_app.command("contribute")
def circuits_contribute(
    build_dir: Annotated[Path, typer.Argument(help="A build directory (holding manifest.json).")],
    name: Annotated[str, typer.Option(help="Your name or key, recorded with the contribution.")],
) -> None:
    """Add your own phase-2 contribution to every circuit of a build (fresh OS entropy)."""
    try:
        with console.status("starting") as status:
            manifest = builder.contribute(build_dir, name, on_step=status.update)
    except (CircuitsError, ValueError, OSError) as exc:
        raise _fail(exc) from exc
    console.print(_circuits_table(manifest))
    for circuit, entry in manifest.circuits.items():
        console.print(f"{circuit.value}: contribution hash {entry.contributions[-1].hash}")
    console.print("redeploy the verifiers (the verification keys changed) and publish the new manifest")


@circuits_app.command("verify")
def circuits_verify(
    build_dir: Annotated[Path, typer.Argument(help="A build directory (holding manifest.json).")],
    ptau: Annotated[Path, typer.Option(help="The powers-of-tau file of the ceremony the build claims.")],
    recompile: Annotated[
        bool, typer.Option(help="Recompile circuits/ and compare the r1cs and wasm (minutes for large N).")
    ] = True,
) -> None:
    """Check a build: hashes, sources, zkeys against r1cs and ptau, contributions, fresh exports, gamma != delta."""
    try:
        with console.status("starting") as status:
            manifest = builder.verify(build_dir, ptau, on_step=status.update, recompile=recompile)
    except (CircuitsError, ValueError, OSError) as exc:
        raise _fail(exc) from exc
    console.print(_circuits_table(manifest))
    console.print(f"[bold green]ok:[/] {build_dir} verifies against {ptau} ({manifest.ptau.origin} ptau)")
    if manifest.development:
        err.print("[bold yellow]warning:[/] a development setup: never use it for real money")


@circuits_app.command("materialize")
def circuits_materialize(
    build_dir: Annotated[Path, typer.Argument(help="A build directory (holding manifest.json).")],
) -> None:
    """Compile a committed build's r1cs and wasm from circuits/ and check them against its manifest."""
    try:
        with console.status("checking") as status:
            compiled = builder.materialize(build_dir, on_step=status.update)
    except (CircuitsError, ValueError, OSError) as exc:
        raise _fail(exc) from exc
    done = ", ".join(c.value for c in compiled) or "nothing (all present)"
    console.print(f"{build_dir}: compiled {done}; every r1cs and wasm matches the manifest")


def _local_builds() -> list[Path]:
    """The builds this installation has: the repository's committed ones and the local build cache."""
    from settlefl.circuits.spec import CIRCUITS_DIR

    roots = [CIRCUITS_DIR / "builds", DEFAULT_BUILDS]
    return sorted(p.parent for root in roots if root.is_dir() for p in root.glob("*/manifest.json"))


@app.command("audit")
def audit_command(
    rpc: Annotated[str, typer.Option("--rpc", help="JSON-RPC URL of the chain (an archive node, or anvil).")],
    contract: Annotated[str, typer.Option("--contract", help="The SettleFL contract's address.")],
    job: Annotated[str, typer.Option("--job", help="The job id (0x and 64 hex digits).")],
    build: Annotated[
        list[Path] | None,
        typer.Option("--build", help="A trusted circuit build directory (repeatable). Default: the repository's "
                                     "committed builds and ~/.cache/settlefl/builds."),
    ] = None,
    from_block: Annotated[
        int | None, typer.Option("--from-block", help="Read events from this block (default: the deployment's).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON (docs/audit.md).")] = False,
) -> None:
    """Audit a job from chain data alone: proofs re-verified independently, ledgers, payouts, deployment.

    Exit status 0: SOUND; 3: NOT SOUND (the reasons are printed); 1: the audit could not run.
    """
    import json

    from settlefl.audit.auditor import audit
    from settlefl.audit.render import render
    from settlefl.chain.client import Chain
    from settlefl.chain.errors import ChainError

    try:
        job_id = bytes.fromhex(job.removeprefix("0x"))
        if len(job_id) != 32:
            raise ValueError(f"--job {job!r} is not 32 bytes of hex")
        report = audit(Chain(rpc), contract, job_id, build if build else _local_builds(), from_block=from_block)
    except (ChainError, ValueError, OSError) as exc:
        raise _fail(exc) from exc
    if as_json:
        typer.echo(json.dumps(report.to_json(), indent=2))
    else:
        console.print(render(report))
    if report.reasons:
        raise typer.Exit(code=3)


def main() -> None:
    """Console-script entry point."""
    app()
