"""A local development chain: a real anvil process on a free port of 127.0.0.1.

Used by the demo and by the tests. anvil comes from the pinned npm package ``@foundry-rs/anvil``, whose
``node_modules/.bin/anvil`` is a Node launcher that spawns the real binary as a child; stopping the
launcher would leave the chain running, so this module starts the platform binary directly. The same
goes for ``forge`` and ``cast``, whose npm launchers also exit 0 when the tool fails: everything that
must see a Foundry tool's exit status runs :func:`foundry_binary` (or ``scripts/foundry``).
"""

from __future__ import annotations

import json
import logging
import platform
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any

from settlefl.errors import ChainError, ToolError
from settlefl.settings import ENV_NODE_MODULES, settings

log = logging.getLogger(__name__)

_ARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


def foundry_binary(tool: str, node_modules: Path | None = None) -> Path:
    """Path of the real ``anvil``/``forge``/``cast`` binary shipped by the pinned npm packages.

    ``node_modules`` defaults to the settings' (``SETTLEFL_NODE_MODULES``). The npm packages put the
    binary under ``@foundry-rs/<tool>-<os>-<arch>/bin/``; ``scripts/foundry`` computes the same path.
    """
    modules = node_modules or settings().node_modules
    system = platform.system().lower()
    arch = _ARCH.get(platform.machine().lower(), platform.machine().lower())
    binary = modules / "@foundry-rs" / f"{tool}-{system}-{arch}" / "bin" / tool
    if not binary.exists():
        raise ToolError(
            f"{tool} is not installed ({binary} is missing): run scripts/setup.sh in a source checkout, or "
            f"point {ENV_NODE_MODULES} at a node_modules holding the pinned npm tools"
        )
    return binary


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Anvil:
    """A running anvil. Use as a context manager, or call :meth:`stop`."""

    def __init__(self, *extra_args: str, port: int | None = None, startup_timeout: float = 30.0) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [str(foundry_binary("anvil")), "--host", "127.0.0.1", "--port", str(self.port), *extra_args]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + startup_timeout
        while True:
            if self.process.poll() is not None:
                stderr = self.process.stderr.read().decode() if self.process.stderr else ""
                raise ToolError(f"anvil exited with status {self.process.returncode}: {stderr.strip()}")
            try:
                self.rpc("eth_chainId")
                break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline:
                    self.stop()
                    raise ToolError(f"anvil did not answer on {self.url} within {startup_timeout} s") from None
                time.sleep(0.05)
        log.info("anvil is up on %s (pid %d)", self.url, self.process.pid)

    def rpc(self, method: str, *params: Any) -> Any:
        """One JSON-RPC call; raises :class:`ChainError` with the node's message on an RPC error."""
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}).encode()
        request = urllib.request.Request(self.url, body, {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as reply:
            answer = json.loads(reply.read())
        if "error" in answer:
            raise ChainError(f"{method}: {answer['error']}")
        return answer["result"]

    def stop(self) -> None:
        """Terminate the chain and wait for it to exit."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stderr:
            self.process.stderr.close()

    def __enter__(self) -> Anvil:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
