"""The npm-shipped circuit tools (circom2, snarkjs), run as subprocesses.

circom2 is circom compiled to WASI: its launcher turns every non-option argument into a path relative
to the working directory, and circom then fails to resolve includes through a path that starts with
``..`` (a main file or ``-l`` directory outside the working directory is "not found"). So circom2 runs
from the filesystem root with absolute paths, where no relative path needs ``..``.

snarkjs keeps whole zkeys in memory; large circuits need a bigger Node heap than the default, hence
``--max-old-space-size``. Everything a user can act on surfaces as a :class:`CircuitsError` subclass: a
missing tool says how to install it, a failing command carries the tail of what it printed. The tools
are found under the ``node_modules`` of :mod:`settlefl.settings` (``SETTLEFL_NODE_MODULES``).
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import subprocess
import time
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path

from settlefl.errors import SettleFLError, ToolError
from settlefl.settings import ENV_NODE_MODULES, settings

log = logging.getLogger(__name__)

#: Node heap for snarkjs, in MiB: a 2^17-constraint zkey does not fit the default heap.
DEFAULT_NODE_HEAP_MB = 8192
#: How much of a failing command's output an error message carries.
TAIL_LINES = 20

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class CircuitsError(SettleFLError):
    """Base of every error of the circuit build that a user can act on (the CLI prints its message)."""


class ToolMissing(CircuitsError, ToolError):
    """node, circom2 or snarkjs is not installed."""


class CommandFailed(CircuitsError, ToolError):
    """A tool exited with a non-zero status; the message ends with the tail of its output."""

    def __init__(self, what: str, returncode: int, output: str) -> None:
        self.returncode = returncode
        self.output = output
        tail = "\n".join(output.strip().splitlines()[-TAIL_LINES:])
        super().__init__(f"{what} failed (exit status {returncode}):\n{tail}" if tail else f"{what} failed")


def strip_ansi(text: str) -> str:
    """snarkjs colours its log lines even into a pipe; parsers and error messages want plain text."""
    return _ANSI.sub("", text)


class Toolchain:
    """Locates node, circom2 and snarkjs under one ``node_modules`` (default: the settings') and runs them."""

    def __init__(self, node_modules: Path | None = None, node_heap_mb: int = DEFAULT_NODE_HEAP_MB) -> None:
        self.node_modules = Path(node_modules or settings().node_modules).resolve()
        self.node_heap_mb = node_heap_mb
        node = shutil.which("node")
        if node is None:
            raise ToolMissing("node is not installed: install Node.js 20 or newer, then run scripts/setup.sh")
        self.node = node
        self.circom_cli = self.node_modules / "circom2" / "cli.js"
        self.snarkjs_cli = self.node_modules / "snarkjs" / "build" / "cli.cjs"
        for tool, path in (("circom2", self.circom_cli), ("snarkjs", self.snarkjs_cli)):
            if not path.exists():
                raise ToolMissing(
                    f"{tool} is not installed ({path} is missing): run scripts/setup.sh in a source checkout, "
                    f"or point {ENV_NODE_MODULES} at a node_modules holding the pinned npm tools"
                )

    def circom(self, args: Sequence[str | Path], *, timeout: float | None = None) -> str:
        """Run circom2 from the filesystem root (Path arguments made absolute); returns its output."""
        argv = [str(a.resolve()) if isinstance(a, Path) else a for a in args]
        command = [self.node, str(self.circom_cli), *argv]
        return self._run("circom2", command, timeout=timeout, cwd=Path(self.node_modules.anchor))

    def snarkjs(
        self, args: Sequence[str | Path], *, stdin: str | None = None, timeout: float | None = None
    ) -> str:
        """Run snarkjs with a large heap; ``stdin`` answers its prompts (snarkjs asks for entropy there).

        snarkjs logs to stdout, including its errors, so the returned text is stdout and stderr together.
        Some of its commands log an error and still exit 0 (``groth16 setup`` with a too-small ptau
        writes a broken zkey), so an ``[ERROR]`` line counts as a failure too.
        """
        what = f"snarkjs {' '.join(map(str, args[:2]))}"
        argv = [self.node, f"--max-old-space-size={self.node_heap_mb}", str(self.snarkjs_cli), *map(str, args)]
        output = self._run(what, argv, stdin=stdin, timeout=timeout)
        if "[ERROR]" in output:
            raise CommandFailed(what, 0, output)
        return output

    def _run(
        self, what: str, argv: list[str], *, stdin: str | None = None, timeout: float | None = None,
        cwd: Path | None = None,
    ) -> str:
        log.info("running %s", " ".join(argv[1:]))
        started = time.monotonic()
        try:
            proc = subprocess.run(
                argv, cwd=cwd, input=stdin if stdin is not None else "", capture_output=True,
                text=True, timeout=timeout, check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise CommandFailed(what, -1, f"timed out after {timeout} s") from exc
        output = strip_ansi(proc.stdout + proc.stderr)
        log.debug("%s took %.1f s", what, time.monotonic() - started)
        if proc.returncode:
            raise CommandFailed(what, proc.returncode, output)
        return output

    def _package_version(self, package: str) -> str:
        meta = json.loads((self.node_modules / package / "package.json").read_text())
        return str(meta["version"])

    @cached_property
    def circom_version(self) -> str:
        """The circom compiler inside circom2 (circom2's own version is the npm wrapper's)."""
        found = re.search(r"circom compiler (\S+)", self.circom(["--version"]))
        if found is None:
            raise CircuitsError("cannot read the circom compiler version from `circom2 --version`")
        return found.group(1)

    def versions(self) -> dict[str, str]:
        """The toolchain a build records in its manifest: a verifier rebuilds with the same versions."""
        node_version = subprocess.run([self.node, "--version"], capture_output=True, text=True, check=True)
        return {
            "circom": self.circom_version,
            "circom2": self._package_version("circom2"),
            "snarkjs": self._package_version("snarkjs"),
            "circomlib": self._package_version("circomlib"),
            "node": node_version.stdout.strip().lstrip("v"),
        }
