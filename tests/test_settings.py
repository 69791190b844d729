"""Every root outside the code comes from one settings object: environment variables override the
documented defaults, and a source checkout finds its own node_modules and circuits."""

from __future__ import annotations

from pathlib import Path

from settlefl.settings import Settings, source_checkout


def test_a_source_checkout_uses_its_own_node_modules_circuits_and_the_user_cache(repo_root: Path) -> None:
    found = Settings.from_env({})
    assert source_checkout() == found.source_root == repo_root
    assert found.node_modules == repo_root / "node_modules"
    assert found.circuits_dir == repo_root / "circuits"
    assert found.cache_dir == Path.home() / ".cache" / "settlefl"
    assert found.builds_dir == found.cache_dir / "builds" and found.ptau_cache == found.cache_dir / "ptau"


def test_environment_variables_override_every_default(tmp_path: Path) -> None:
    env = {
        "SETTLEFL_NODE_MODULES": str(tmp_path / "nm"), "SETTLEFL_CIRCUITS": str(tmp_path / "src"),
        "SETTLEFL_CACHE": str(tmp_path / "cache"), "SETTLEFL_BUILDS": str(tmp_path / "builds"),
        "SETTLEFL_SHARED_PTAU": str(tmp_path / "shared"),
    }
    found = Settings.from_env(env)
    assert (found.node_modules, found.circuits_dir, found.cache_dir, found.builds_dir, found.shared_ptau_dir) == (
        tmp_path / "nm", tmp_path / "src", tmp_path / "cache", tmp_path / "builds", tmp_path / "shared"
    )


def test_the_cache_follows_xdg_cache_home_unless_settlefl_cache_is_set(tmp_path: Path) -> None:
    assert Settings.from_env({"XDG_CACHE_HOME": str(tmp_path)}).cache_dir == tmp_path / "settlefl"
    both = {"XDG_CACHE_HOME": str(tmp_path), "SETTLEFL_CACHE": str(tmp_path / "mine")}
    assert Settings.from_env(both).cache_dir == tmp_path / "mine"


def test_a_shared_development_ptau_is_found_only_where_the_cache_has_that_power(tmp_path: Path) -> None:
    (tmp_path / "pot13_final.ptau").write_bytes(b"ptau")
    found = Settings.from_env({"SETTLEFL_SHARED_PTAU": str(tmp_path)})
    assert found.shared_ptau(13) == tmp_path / "pot13_final.ptau"
    assert found.shared_ptau(14) is None

