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

from settlefl import __version__

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


def main() -> None:
    """Console-script entry point."""
    app()
