"""The ``settlefl`` command line.

Each sub-command is a thin shell over the protocol library: it parses arguments, calls one function and
prints the result for a person. Errors follow one rule (:func:`_reported`): a :class:`SettleFLError`
(and an ``OSError`` the library did not wrap) becomes one ``error:`` line and exit status 1; anything
else is a bug and says so in one line. ``settlefl --debug`` re-raises instead, with the traceback.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from typer.exceptions import TyperException

from settlefl import __version__
from settlefl.circuits import build as builder
from settlefl.circuits.manifest import Manifest
from settlefl.circuits.ptau import DEVELOPMENT_WARNING, required_power
from settlefl.circuits.spec import Circuit
from settlefl.errors import InputError, SettleFLError, describe_os_error
from settlefl.params import BuildParams
from settlefl.settings import ENV_BUILDS, settings

app = typer.Typer(
    name="settlefl",
    help="Trustless reward settlement for federated learning on EVM chains (the protocol: docs/protocol.md).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
console = Console(soft_wrap=True)  # long field elements stay on one line, copyable
err = Console(stderr=True, soft_wrap=True)

P = ParamSpec("P")
R = TypeVar("R")


class _Options:
    """Options of the root command that every sub-command's error handling reads."""

    debug = False


def _version(value: bool) -> None:
    if value:
        console.print(f"settlefl {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log progress at INFO level.")] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Log at DEBUG level and show the traceback of any error.")
    ] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    _Options.debug = debug
    level = logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", force=True)
    for chatty in ("httpx", "httpcore", "uvicorn.access"):  # one line per HTTP request drowns the protocol's
        logging.getLogger(chatty).setLevel(logging.WARNING)


def _fail(message: str) -> typer.Exit:
    """One clear error line and exit status 1; a failing tool's output tail follows, dimmed."""
    first, _, rest = message.partition("\n")
    err.print(f"[bold red]error:[/] {escape(first)}", highlight=False)
    if rest:
        err.print(rest, style="dim", highlight=False, markup=False)
    return typer.Exit(code=1)


def _reported(command: Callable[P, R]) -> Callable[P, R]:
    """Turn the errors of a command into one line and exit status 1 (tracebacks only with ``--debug``)."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except (typer.Exit, typer.Abort, TyperException):  # the command's own exits and usage errors
            raise
        except SettleFLError as exc:
            if _Options.debug:
                raise
            raise _fail(str(exc)) from None
        except OSError as exc:  # a file problem the library did not wrap: still one line with the path
            if _Options.debug:
                raise
            where = exc.filename if exc.filename is not None else "a file"
            raise _fail(f"{where}: {describe_os_error(exc)}") from None
        except Exception as exc:
            if _Options.debug:
                raise
            raise _fail(
                f"unexpected {type(exc).__name__}: {exc} (a bug in settlefl: rerun with --debug and report the "
                "traceback)"
            ) from None

    return run


@app.command()
@_reported
def demo(
    variant: Annotated[str, typer.Option(help="cc (commit-and-challenge) or cp (commit-with-proof).")] = "cc",
    participants: Annotated[int, typer.Option("--participants", "-n", help="Participant processes (1..16).")] = 4,
    rounds: Annotated[int, typer.Option("--rounds", "-r", help="FL rounds.")] = 3,
    malicious: Annotated[
        bool, typer.Option(help="The aggregator cuts one participant's units in round 2 (cc only).")
    ] = False,
    free_riders: Annotated[int, typer.Option(help="How many participants return the global model unchanged.")] = 0,
    late_joiners: Annotated[
        int, typer.Option(help="How many participants start only in round 2 and join the running job.")
    ] = 0,
    rpc: Annotated[
        str | None, typer.Option(help="Use this anvil instead of starting one (it must accept anvil_setBalance).")
    ] = None,
    workdir: Annotated[Path | None, typer.Option(help="Keys, logs and state go here (default: a temp dir).")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the data split, the model and training.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON only.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="Plain log lines instead of the live progress.")] = False,
) -> None:
    """A complete settlement on a local chain: anvil, deployment, an aggregator service and N participant
    processes over HTTP, real training, settlement, an independent audit, and the figures."""
    import json

    from settlefl_node.demo import Demo, DemoOptions
    from settlefl_node.demo_report import render

    options = DemoOptions(
        variant=variant,
        participants=participants,
        rounds=rounds,
        malicious=malicious,
        free_riders=free_riders,
        late_joiners=late_joiners,
        rpc=rpc,
        workdir=workdir,
        seed=seed,
    )
    if as_json or quiet:

        def note(event: str, data: object) -> None:
            if event == "job" and isinstance(data, dict):
                logging.getLogger("settlefl.demo").info(
                    "job %s round %s %s", data["phase"], data["round"], data.get("round_status") or ""
                )
            else:
                logging.getLogger("settlefl.demo").info("%s: %s", event, data)

        if quiet and not as_json:
            logging.getLogger().setLevel(logging.INFO)
        result = Demo(options, note).run()
    else:
        with console.status("starting") as status:

            def show(event: str, data: object) -> None:
                if event == "phase":
                    status.update(f"{data}")
                    console.log(f"[bold]{data}[/]")
                elif event == "job" and isinstance(data, dict):
                    where = f"round {data['round']} of {data['rounds']} {data.get('round_status') or ''}"
                    text = f"job {data['phase']}, {where}"
                    status.update(text)
                    console.log(text)
                else:
                    console.log(f"{event}: {data}")

            result = Demo(options, show).run()
    if as_json:
        typer.echo(json.dumps(result.to_json(), indent=2))
    else:
        render(result, console)
    if result.report is None or result.report.reasons:
        raise typer.Exit(code=3)


@app.command()
@_reported
def keygen(
    out: Annotated[Path, typer.Argument(help="Where to write the new key file (mode 0600); the directory must exist.")],
    ethereum: Annotated[
        bool, typer.Option("--ethereum", help="Make an Ethereum account key (for --key-file) instead of a receipt key.")
    ] = False,
) -> None:
    """Create a key from the OS random source: the aggregator's receipt-signing key (Baby Jubjub EdDSA), or
    with --ethereum an Ethereum account key for sending transactions."""
    if ethereum:
        from settlefl.chain.keys import new_account_file

        account = new_account_file(out)
        console.print(f"wrote {out}")
        console.print(f"address: {account.address} (fund it before sending transactions)")
        return
    from settlefl.crypto import eddsa

    ax, ay = eddsa.generate_key_file(out)
    console.print(f"wrote {out}")
    console.print(f"public key: ({ax}, {ay})")
    console.print(f"pubHash (stored on chain): {eddsa.public_key_hash((ax, ay))}")


@app.command()
@_reported
def pubkey(
    key_file: Annotated[Path, typer.Argument(help="A key file made by `settlefl keygen`.")],
) -> None:
    """Check a key file and print its public key and the pubHash a job stores on chain."""
    from settlefl.crypto import eddsa

    ax, ay = eddsa.public_key(eddsa.load_private_key(key_file))
    console.print(f"public key: ({ax}, {ay})")
    console.print(f"pubHash (stored on chain): {eddsa.public_key_hash((ax, ay))}")


@app.command("settings")
@_reported
def show_settings() -> None:
    """Show where SettleFL looks for the npm tools, the circuit sources and its caches (and whether they exist)."""
    current = settings()
    rows = {
        "source checkout": current.source_root,
        "node_modules (SETTLEFL_NODE_MODULES)": current.node_modules,
        "circuit sources (SETTLEFL_CIRCUITS)": current.circuits_dir,
        "cache (SETTLEFL_CACHE)": current.cache_dir,
        "builds (SETTLEFL_BUILDS)": current.builds_dir,
        "shared development ptau (SETTLEFL_SHARED_PTAU)": current.shared_ptau_dir,
        "data: deployments and role state (SETTLEFL_HOME)": current.data_dir,
    }
    for name, path in rows.items():
        state = "not set" if path is None else "exists" if path.exists() else "missing"
        console.print(f"{name}: {path or '-'} ({state})", highlight=False, markup=False)


circuits_app = typer.Typer(
    help='Build, extend and verify the Groth16 setup of the circuits (docs/protocol.md, "Setup").',
    no_args_is_help=True,
)
app.add_typer(circuits_app, name="circuits")


def _circuits_table(manifest: Manifest) -> Table:
    table = Table(title=f"build {manifest.build}")
    for column in ("circuit", "constraints", "wires", "public", "ptau", "contribs"):
        table.add_column(column, justify="left" if column == "circuit" else "right")
    for entry in manifest.circuits.values():
        table.add_row(
            f"{entry.template}({', '.join(map(str, entry.args))})",
            f"{entry.constraints:,}",
            f"{entry.wires:,}",
            str(len(entry.public_inputs)),
            f"2^{required_power(entry.constraints, len(entry.public_inputs))}",
            str(len(entry.contributions)),
        )
    return table


def _parse_only(only: str) -> list[Circuit]:
    names = [c.strip() for c in only.split(",") if c.strip()]
    unknown = [c for c in names if c not in {x.value for x in Circuit}]
    if unknown or not names:
        raise InputError(f"--only {only!r}: choose among {', '.join(c.value for c in Circuit)}")
    return [Circuit(c) for c in names]


@circuits_app.command("build")
@_reported
def circuits_build(
    participants: Annotated[int, typer.Option("--participants", "-n", help="N: state slots, a multiple of 16.")],
    batch: Annotated[int, typer.Option("--batch", "-b", help="B: slots per payout batch, a multiple of 16.")],
    row_bits: Annotated[int, typer.Option("--row-bits", help="K: a round adds below 2^K units per slot.")] = 32,
    max_joins: Annotated[int, typer.Option("--max-joins", help="J: at most J joins per round (<= 16).")] = 16,
    ptau: Annotated[
        Path | None,
        typer.Option(help="A prepared powers-of-tau file, e.g. a public ceremony's. Default: a development file."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(help=f"The build goes to OUT/<build name>/. Default: ${ENV_BUILDS} or ~/.cache/settlefl/builds."),
    ] = None,
    beacon: Annotated[
        str | None, typer.Option(help="Hex of a public random value announced in advance (default: random).")
    ] = None,
    only: Annotated[
        str | None, typer.Option(help="Comma-separated circuits to build (opening,transition,receipt,payout).")
    ] = None,
    name: Annotated[
        str, typer.Option(help="Name recorded for this build's own phase-2 contribution.")
    ] = builder.DEFAULT_CONTRIBUTOR,
) -> None:
    """Compile the circuits for one parameter set and run a Groth16 setup with a contribution and a beacon."""
    params = BuildParams(participants, batch, row_bits, max_joins)
    selected = _parse_only(only) if only else None
    with console.status("starting") as status:

        def step(message: str) -> None:
            status.update(message)
            console.log(message)

        build_dir, manifest = builder.build(
            params, out or settings().builds_dir, ptau, beacon=beacon, only=selected, contributor=name, on_step=step
        )
    console.print(_circuits_table(manifest))
    console.print(f"wrote {build_dir} (ptau: {manifest.ptau.origin}, power {manifest.ptau.power})")
    if manifest.development:
        power = max(required_power(e.constraints, len(e.public_inputs)) for e in manifest.circuits.values())
        err.print(f"[bold yellow]warning:[/] {escape(DEVELOPMENT_WARNING.format(power=power))}", highlight=False)


@circuits_app.command("contribute")
@_reported
def circuits_contribute(
    build_dir: Annotated[Path, typer.Argument(help="A build directory (holding manifest.json).")],
    name: Annotated[str, typer.Option(help="Your name or key, recorded with the contribution.")],
) -> None:
    """Add your own phase-2 contribution to every circuit of a build (fresh OS entropy)."""
    with console.status("starting") as status:
        manifest = builder.contribute(build_dir, name, on_step=status.update)
    console.print(_circuits_table(manifest))
    for circuit, entry in manifest.circuits.items():
        console.print(f"{circuit.value}: contribution hash {entry.contributions[-1].hash}")
    console.print("redeploy the verifiers (the verification keys changed) and publish the new manifest")


@circuits_app.command("verify")
@_reported
def circuits_verify(
    build_dir: Annotated[Path, typer.Argument(help="A build directory (holding manifest.json).")],
    ptau: Annotated[Path, typer.Option(help="The powers-of-tau file of the ceremony the build claims.")],
    recompile: Annotated[
        bool, typer.Option(help="Recompile the circuit sources and compare the r1cs and wasm (minutes for large N).")
    ] = True,
) -> None:
    """Check a build: hashes, sources, zkeys against r1cs and ptau, contributions, fresh exports, gamma != delta."""
    with console.status("starting") as status:
        manifest = builder.verify(build_dir, ptau, on_step=status.update, recompile=recompile)
    console.print(_circuits_table(manifest))
    console.print(f"[bold green]ok:[/] {build_dir} verifies against {ptau} ({manifest.ptau.origin} ptau)")
    if manifest.development:
        err.print("[bold yellow]warning:[/] a development setup: never use it for real money")


@circuits_app.command("materialize")
@_reported
def circuits_materialize(
    build_dir: Annotated[Path, typer.Argument(help="A build directory (holding manifest.json).")],
) -> None:
    """Compile a committed build's r1cs and wasm from the circuit sources and check them against its manifest."""
    with console.status("checking") as status:
        compiled = builder.materialize(build_dir, on_step=status.update)
    done = ", ".join(c.value for c in compiled) or "nothing (all present)"
    console.print(f"{build_dir}: compiled {done}; every r1cs and wasm matches the manifest")


def _local_builds() -> list[Path]:
    """The builds this installation has: the repository's committed ones and the local build cache."""
    current = settings()
    roots = [current.circuits_dir / "builds", current.builds_dir]
    return sorted(p.parent for root in roots if root.is_dir() for p in root.glob("*/manifest.json"))


@app.command("audit")
@_reported
def audit_command(
    rpc: Annotated[str, typer.Option("--rpc", help="JSON-RPC URL of the chain (an archive node, or anvil).")],
    contract: Annotated[str, typer.Option("--contract", help="The SettleFL contract's address.")],
    job: Annotated[str, typer.Option("--job", help="The job id (0x and 64 hex digits).")],
    build: Annotated[
        list[Path] | None,
        typer.Option(
            "--build",
            help="A trusted circuit build directory (repeatable). Default: the repository's "
            "committed builds and ~/.cache/settlefl/builds.",
        ),
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
    from settlefl_node.onchain import parse_job_id

    report = audit(Chain(rpc), contract, parse_job_id(job), build if build else _local_builds(), from_block=from_block)
    if as_json:
        typer.echo(json.dumps(report.to_json(), indent=2))
    else:
        console.print(render(report))
    if report.reasons:
        raise typer.Exit(code=3)


@app.command("deploy")
@_reported
def deploy_command(
    rpc: Annotated[str, typer.Option("--rpc", help="JSON-RPC URL of the chain.")],
    key_file: Annotated[Path, typer.Option("--key-file", help="The deploying account's key file (mode 0600).")],
    build: Annotated[list[Path], typer.Option("--build", help="A circuit build directory (repeatable, at most 4).")],
    challenge_window: Annotated[int, typer.Option(help="Minimum challenge window, seconds.")] = 3600,
    response_window: Annotated[int, typer.Option(help="Minimum response window, seconds.")] = 3600,
    inactivity_timeout: Annotated[int, typer.Option(help="Minimum inactivity timeout, seconds.")] = 3600,
    max_duration: Annotated[int, typer.Option(help="Longest job and window, seconds.")] = 365 * 86400,
    bond_bps: Annotated[int, typer.Option(help="Minimum aggregator bond, basis points of the escrow.")] = 1000,
    challenger_bond: Annotated[int, typer.Option(help="Minimum challenger bond, wei.")] = 10**15,
    request_fee: Annotated[int, typer.Option(help="Minimum opening-request fee, wei.")] = 10**14,
    out: Annotated[Path | None, typer.Option(help="Directory for the deployment record (default: settings).")] = None,
) -> None:
    """Deploy a build's verifiers and SettleFL, check them against the manifests, save the deployment record."""
    from settlefl.chain.deploy import Bounds
    from settlefl_node.onchain import deploy

    deploy(
        rpc,
        key_file,
        build,
        Bounds(
            bond_bps, challenger_bond, request_fee, challenge_window, response_window, inactivity_timeout, max_duration
        ),
        out,
    )


@app.command("watch")
@_reported
def watch_command(
    rpc: Annotated[str, typer.Option("--rpc", help="JSON-RPC URL of the chain.")],
    key_file: Annotated[Path, typer.Option("--key-file", help="The watchtower's account key file (mode 0600).")],
    deployment: Annotated[Path, typer.Option("--deployment", help="The deployment record (settlefl deploy).")],
    job: Annotated[str, typer.Option("--job", help="The job id (0x and 64 hex digits).")],
    receipts: Annotated[Path, typer.Option("--receipts", help="A directory of receipts <payee>-r<round>.json.")],
    build: Annotated[Path, typer.Option("--build", help="The job's circuit build directory (trusted).")],
    state: Annotated[Path | None, typer.Option(help="The watchtower's SQLite store (default: settings).")] = None,
    interval: Annotated[float, typer.Option(help="Seconds between passes.")] = 5.0,
    once: Annotated[bool, typer.Option("--once", help="One pass, then exit.")] = False,
) -> None:
    """Run the watchtower: defend participants from their receipts until the job completes."""
    from settlefl_node.onchain import watch

    watch(rpc, key_file, deployment, job, receipts, build, state, interval, once)


node_app = typer.Typer(help="Run an FL node: the aggregator service or a participant.", no_args_is_help=True)
app.add_typer(node_app, name="node")


@node_app.command("aggregator")
@_reported
def node_aggregator(
    rpc: Annotated[str, typer.Option("--rpc", help="JSON-RPC URL of the chain.")],
    key_file: Annotated[Path, typer.Option("--key-file", help="The aggregator's Ethereum key file (mode 0600).")],
    receipt_key_file: Annotated[
        Path, typer.Option("--receipt-key-file", help="The receipt-signing key (settlefl keygen).")
    ],
    deployment: Annotated[Path, typer.Option("--deployment", help="The deployment record (settlefl deploy).")],
    build: Annotated[Path, typer.Option("--build", help="The circuit build directory the job uses.")],
    state: Annotated[Path, typer.Option("--state", help="Directory for all of the node's state (resumable).")],
    host: Annotated[str, typer.Option(help="Address the service listens on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port the service listens on.")] = 8700,
    variant: Annotated[str, typer.Option(help="cc or cp.")] = "cc",
    rounds: Annotated[int, typer.Option(help="FL rounds.")] = 3,
    min_participants: Annotated[int, typer.Option(help="Create the job once this many registered.")] = 2,
    round_timeout: Annotated[float, typer.Option(help="Seconds a round collects updates at most.")] = 120.0,
    unit_price: Annotated[int, typer.Option(help="Wei per unit.")] = 10**12,
    max_units: Annotated[int, typer.Option(help="Units in the escrow (escrow = max units x unit price).")] = 10**6,
    challenge_window: Annotated[int | None, typer.Option(help="Seconds (default: the deployment's minimum).")] = None,
    response_window: Annotated[int | None, typer.Option(help="Seconds (default: the deployment's minimum).")] = None,
    inactivity_timeout: Annotated[int | None, typer.Option(help="Seconds (default: the deployment's minimum).")] = None,
    dataset: Annotated[
        str, typer.Option(help="digits, mnist or cifar10 (the validation set is split off it).")
    ] = "digits",
    data_dir: Annotated[Path | None, typer.Option(help="Directory of the MNIST or CIFAR-10 files.")] = None,
    arch: Annotated[str, typer.Option(help="mlp or cnn.")] = "mlp",
    scorer: Annotated[str, typer.Option(help="marginal-loss, leave-one-out or shapley.")] = "marginal-loss",
    seed: Annotated[int, typer.Option(help="Seed of the model and the validation split.")] = 0,
    margin: Annotated[int, typer.Option(help="Act this many seconds before a deadline.")] = 30,
    exit_when_completed: Annotated[bool, typer.Option(help="Stop serving once the job completed.")] = False,
    cut: Annotated[
        str | None, typer.Option(hidden=True, help="ADDRESS:ROUND: cut that payee (the demo's cheat).")
    ] = None,
) -> None:
    """Serve an FL job over HTTP (status page at /, API docs at /docs) and run it as its aggregator."""
    from settlefl_node.runner import AggregatorOptions, run_aggregator

    run_aggregator(
        AggregatorOptions(
            rpc=rpc,
            key_file=key_file,
            receipt_key_file=receipt_key_file,
            deployment=deployment,
            build=build,
            state=state,
            host=host,
            port=port,
            variant=variant,
            rounds=rounds,
            min_participants=min_participants,
            round_timeout=round_timeout,
            unit_price=unit_price,
            max_units=max_units,
            challenge_window=challenge_window,
            response_window=response_window,
            inactivity_timeout=inactivity_timeout,
            dataset=dataset,
            data_dir=data_dir,
            arch=arch,
            scorer=scorer,
            seed=seed,
            margin=margin,
            exit_when_completed=exit_when_completed,
            cut=cut,
        )
    )


@node_app.command("participant")
@_reported
def node_participant(
    aggregator: Annotated[str, typer.Option("--aggregator", help="The aggregator service's URL.")],
    rpc: Annotated[str, typer.Option("--rpc", help="JSON-RPC URL of the job's chain (your own endpoint).")],
    key_file: Annotated[Path, typer.Option("--key-file", help="Your Ethereum key file (your payee address).")],
    build: Annotated[Path, typer.Option("--build", help="The job's circuit build directory (trusted, yours).")],
    state: Annotated[Path, typer.Option("--state", help="Directory for your state (resumable).")],
    dataset: Annotated[str, typer.Option(help="digits, mnist or cifar10.")] = "digits",
    data_dir: Annotated[Path | None, typer.Option("--data", help="Directory of your MNIST or CIFAR-10 files.")] = None,
    shard: Annotated[int | None, typer.Option(help="Train on shard i of --shards (demos and tests).")] = None,
    shards: Annotated[int | None, typer.Option(help="Split the data set into this many shards.")] = None,
    split: Annotated[str, typer.Option(help="iid or dirichlet (with --shards).")] = "iid",
    alpha: Annotated[float, typer.Option(help="Dirichlet concentration (with --split dirichlet).")] = 0.5,
    behaviour: Annotated[
        str, typer.Option(help="honest, or free-rider, sign-flip, noise (to test scoring).")
    ] = "honest",
    seed: Annotated[int, typer.Option(help="Seed of local training.")] = 0,
    margin: Annotated[int, typer.Option(help="Act this many seconds before a deadline.")] = 30,
    respond_delay: Annotated[int, typer.Option(help="Seconds to leave the aggregator before answering for it.")] = 60,
) -> None:
    """Join a job, train every round, check every receipt against the chain, defend, get paid, then exit."""
    from settlefl_node.runner import ParticipantOptions, run_participant

    outcome = run_participant(
        ParticipantOptions(
            aggregator=aggregator,
            rpc=rpc,
            key_file=key_file,
            build=build,
            state=state,
            dataset=dataset,
            data_dir=data_dir,
            shard=shard,
            shards=shards,
            split=split,
            alpha=alpha,
            behaviour=behaviour,
            seed=seed,
            margin=margin,
            respond_delay=respond_delay,
        )
    )
    console.print(
        f"{outcome.address}: {outcome.units:,} units, rounds uploaded {outcome.rounds_uploaded}, "
        f"balance change {outcome.balance_change:,} wei (net of gas), job {outcome.phase}"
    )


def main() -> None:
    """Console-script entry point."""
    app()
