"""Where SettleFL finds what lives outside its Python code: one settings object, read from the environment.

The library runs from a source checkout (``make demo``, ``make test``) and from an installed wheel. The
two differ only in where the npm tools and the circom sources are, so every such root comes from here
and nowhere else (no module walks up ``__file__`` to guess a repository root):

==========================  ======================================================================
variable                    default
==========================  ======================================================================
``SETTLEFL_NODE_MODULES``   the checkout's ``node_modules/`` when running from a source checkout,
                            else ``<cache>/node_modules`` (``npm install --prefix <cache> ...``).
                            The pinned npm tools: circom2, snarkjs, circomlib, anvil, forge, cast.
``SETTLEFL_CIRCUITS``       the checkout's ``circuits/``, else the copy shipped in the package
                            (``settlefl/circuits/sources/``). The circom sources builds compile.
``SETTLEFL_CACHE``          ``${XDG_CACHE_HOME:-~/.cache}/settlefl``: development ptau files
                            (``ptau/``), benchmark builds, the wheel test's downloads.
``SETTLEFL_BUILDS``         ``<cache>/builds``: where ``settlefl circuits build`` writes by default.
``SETTLEFL_CONTRACTS_OUT``  the checkout's ``contracts/out/`` (``forge build``), else
                            ``<cache>/contracts-out``: the compiled contracts whose ABIs the chain
                            client binds to.
``SETTLEFL_HOME``           ``${XDG_DATA_HOME:-~/.local/share}/settlefl``: what must survive (deployment
                            records per chain id in ``deployments/``, role state in ``state/``).
``SETTLEFL_SHARED_PTAU``    an optional local cache of prepared development ptau files named
                            ``pot<k>_final.ptau`` (the benchmark reads it). Default: the directory
                            ``../shared/ptau`` next to a source checkout, when it exists; unset
                            otherwise. Nothing requires it: without one, development ptau files are
                            made (slowly) and cached, or the user passes a public ceremony's file.
==========================  ======================================================================

Read the settings at the moment of use (:func:`settings`), not at import time, so that a test or a
long-running process sees a changed environment.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

#: The package directory; a source checkout has ``pyproject.toml`` and ``circuits/`` next to it.
_PACKAGE_DIR = Path(__file__).resolve().parent
#: Where a wheel carries the circom sources (setuptools ``package-dir`` maps ``circuits/`` there).
PACKAGED_CIRCUITS = _PACKAGE_DIR / "circuits" / "sources"

ENV_NODE_MODULES = "SETTLEFL_NODE_MODULES"
ENV_CIRCUITS = "SETTLEFL_CIRCUITS"
ENV_CACHE = "SETTLEFL_CACHE"
ENV_BUILDS = "SETTLEFL_BUILDS"
ENV_SHARED_PTAU = "SETTLEFL_SHARED_PTAU"
ENV_HOME = "SETTLEFL_HOME"
ENV_CONTRACTS_OUT = "SETTLEFL_CONTRACTS_OUT"


def source_checkout() -> Path | None:
    """The root of the source checkout this package runs from, or None for an installed package."""
    root = _PACKAGE_DIR.parent
    if (root / "pyproject.toml").is_file() and (root / "circuits").is_dir() and (root / "node").is_dir():
        return root
    return None


@dataclass(frozen=True)
class Settings:
    """Every root SettleFL reads from or writes to outside its own code."""

    #: The source checkout, when running from one (None for an installed wheel).
    source_root: Path | None
    #: The npm tools (circom2, snarkjs, circomlib, circom_runtime, @foundry-rs/*).
    node_modules: Path
    #: The circom sources that builds compile and verify against.
    circuits_dir: Path
    #: Caches that can be deleted at any time (they are remade, some slowly).
    cache_dir: Path
    #: The default output directory of ``settlefl circuits build``.
    builds_dir: Path
    #: An optional local cache of prepared development ptau files (``pot<k>_final.ptau``).
    shared_ptau_dir: Path | None
    #: What must survive: deployment records and role state (never deleted by SettleFL).
    data_dir: Path

    @property
    def deployments_dir(self) -> Path:
        """One deployment record per chain id (``<chain id>.json``), written by ``settlefl deploy``."""
        return self.data_dir / "deployments"

    @property
    def state_dir(self) -> Path:
        """The roles' SQLite stores (one per role and job)."""
        return self.data_dir / "state"

    #: Foundry's output (ABIs and bytecode of the contracts).
    contracts_out: Path

    @property
    def ptau_cache(self) -> Path:
        """Development ptau files made on this machine (minutes to hours each, so kept)."""
        return self.cache_dir / "ptau"

    def shared_ptau(self, power: int) -> Path | None:
        """The shared development file of ``power`` (``pot<power>_final.ptau``), if that cache has it."""
        if self.shared_ptau_dir is None:
            return None
        candidate = self.shared_ptau_dir / f"pot{power}_final.ptau"
        return candidate if candidate.is_file() else None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings for ``environ`` (default: this process's environment)."""
        env = os.environ if environ is None else environ
        root = source_checkout()

        def path(name: str) -> Path | None:
            value = env.get(name, "").strip()
            return Path(value).expanduser() if value else None

        xdg = env.get("XDG_CACHE_HOME", "").strip()
        xdg_data = env.get("XDG_DATA_HOME", "").strip()
        data = path(ENV_HOME) or (Path(xdg_data) if xdg_data else Path.home() / ".local" / "share") / "settlefl"
        cache = path(ENV_CACHE) or (Path(xdg) if xdg else Path.home() / ".cache") / "settlefl"
        default_node_modules = root / "node_modules" if root is not None else cache / "node_modules"
        default_circuits = root / "circuits" if root is not None else PACKAGED_CIRCUITS
        shared = path(ENV_SHARED_PTAU)
        if shared is None and root is not None and (root.parent / "shared" / "ptau").is_dir():
            shared = root.parent / "shared" / "ptau"
        return cls(
            source_root=root,
            node_modules=path(ENV_NODE_MODULES) or default_node_modules,
            circuits_dir=path(ENV_CIRCUITS) or default_circuits,
            cache_dir=cache,
            builds_dir=path(ENV_BUILDS) or cache / "builds",
            shared_ptau_dir=shared,
            contracts_out=path(ENV_CONTRACTS_OUT)
            or (root / "contracts" / "out" if root is not None else cache / "contracts-out"),
            data_dir=data,
        )


def settings() -> Settings:
    """The settings of this process, read from its environment now."""
    return Settings.from_env()
