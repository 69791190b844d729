"""The command line turns every bad input into one line that names the file and the fix, exits 1, and
never prints a traceback unless asked to (``--debug``)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from settlefl.circuits.ptau import make_development_ptau
from settlefl.circuits.toolchain import Toolchain
from settlefl.crypto import eddsa
from settlefl.errors import BadFile
from settlefl_node import cli
from settlefl_node.cli import app

COMMITTED_BUILD = Path("circuits") / "builds" / "n32_b16_k32_j4"


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(app, list(args), env=env)


def assert_one_error_line(result: Result, *fragments: str) -> None:
    """Exit status 1, and the whole output is one ``error:`` line holding every fragment."""
    assert result.exit_code == 1, result.output
    assert result.output.startswith("error: ") and result.output.count("\n") == 1, result.output
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.output, f"{fragment!r} is not in {result.output!r}"


def test_keygen_writes_a_key_file_that_pubkey_reads_back_with_the_same_public_key(tmp_path: Path) -> None:
    made = run("keygen", str(tmp_path / "k.json"))
    assert made.exit_code == 0, made.output
    shown = run("pubkey", str(tmp_path / "k.json"))
    assert shown.exit_code == 0, shown.output
    public_key = eddsa.public_key(eddsa.load_private_key(tmp_path / "k.json"))
    assert f"public key: ({public_key[0]}, {public_key[1]})" in made.output
    assert f"pubHash (stored on chain): {eddsa.public_key_hash(public_key)}" in shown.output


def test_keygen_into_a_directory_that_does_not_exist_fails_in_one_line_and_creates_nothing(tmp_path: Path) -> None:
    target = tmp_path / "nonexistent" / "dir" / "k.json"
    result = run("keygen", str(target))
    assert_one_error_line(result, str(target.parent), "does not exist", "create it first")
    assert list(tmp_path.iterdir()) == []


def test_keygen_refuses_to_overwrite_a_key_file(tmp_path: Path) -> None:
    target = tmp_path / "k.json"
    assert run("keygen", str(target)).exit_code == 0
    before = target.read_bytes()
    assert_one_error_line(run("keygen", str(target)), str(target), "never overwritten")
    assert target.read_bytes() == before


@pytest.mark.parametrize(
    ("damage", "fragment"),
    [
        (lambda good: [good], "holds a JSON list"),
        (lambda good: {**good, "public_key": None}, "'public_key' must be a list of two decimal coordinates"),
        (lambda good: {**good, "public_key": [good["public_key"][0], "0x12"]}, "'public_key' must be a list"),
        (lambda good: {**good, "private_key": 7}, "'private_key' must be 32 bytes of hex"),
    ],
    ids=["json-list", "null-public-key", "non-numeric-coordinate", "numeric-private-key"],
)
def test_pubkey_refuses_a_damaged_key_file_in_one_line(
    tmp_path: Path, damage: Callable[[dict[str, Any]], Any], fragment: str
) -> None:
    path = tmp_path / "k.json"
    eddsa.generate_key_file(path)
    path.write_text(json.dumps(damage(json.loads(path.read_text()))))
    assert_one_error_line(run("pubkey", str(path)), str(path), fragment, "settlefl keygen")


def test_pubkey_refuses_a_key_file_others_can_read_and_says_how_to_fix_it(tmp_path: Path) -> None:
    path = tmp_path / "k.json"
    eddsa.generate_key_file(path)
    path.chmod(0o644)
    assert_one_error_line(run("pubkey", str(path)), str(path), f"chmod 600 {path}")


@pytest.fixture()
def build_with_manifest(tmp_path: Path, repo_root: Path) -> Callable[[str], Path]:
    """A copy of the committed build's manifest directory whose manifest.json holds ``text``."""

    def make(text: str) -> Path:
        build = tmp_path / "build"
        build.mkdir(exist_ok=True)
        (build / "manifest.json").write_text(text)
        return build

    return make


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "the build manifest is empty"),
        ('{"format": "settlefl.build.v1", ', "the build manifest is not valid JSON (line 1"),
        ('{"build": 5}', "the build manifest is not valid: build: Input should be a valid string (and"),
        ("[]", "the build manifest is not valid"),
    ],
    ids=["empty", "truncated", "wrong-fields", "json-list"],
)
@pytest.mark.parametrize("command", ["materialize", "verify"])
def test_a_corrupt_or_empty_manifest_is_one_line_naming_the_file(
    build_with_manifest: Callable[[str], Path], tmp_path: Path, text: str, fragment: str, command: str
) -> None:
    build = build_with_manifest(text)
    extra = ["--ptau", str(tmp_path / "any.ptau")] if command == "verify" else []
    result = run("circuits", command, str(build), *extra)
    assert_one_error_line(result, f"{build / 'manifest.json'}: {fragment}", "settlefl circuits build")


def test_verify_with_a_ptau_that_does_not_exist_names_it_in_one_line(repo_root: Path) -> None:
    result = run("circuits", "verify", str(repo_root / COMMITTED_BUILD), "--ptau", "/nope")
    assert_one_error_line(result, "/nope: the powers-of-tau file does not exist", "--ptau")


def test_debug_shows_the_traceback_of_an_error(tmp_path: Path) -> None:
    (tmp_path / "k.json").write_text("[]")
    (tmp_path / "k.json").chmod(0o600)
    result = run("--debug", "pubkey", str(tmp_path / "k.json"))
    assert result.exit_code == 1
    assert isinstance(result.exception, BadFile)
    assert result.exc_info is not None and result.exc_info[2] is not None


def test_an_unexpected_exception_is_reported_in_one_line_as_a_bug(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(path: Path) -> bytes:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(eddsa, "load_private_key", broken)
    result = run("pubkey", str(tmp_path / "k.json"))
    assert_one_error_line(result, "unexpected ZeroDivisionError: division by zero", "--debug")
    assert cli._Options.debug is False


def test_the_settings_command_shows_the_roots_set_in_the_environment(tmp_path: Path) -> None:
    result = run("settings", env={"SETTLEFL_NODE_MODULES": str(tmp_path / "nm"), "SETTLEFL_CACHE": str(tmp_path)})
    assert result.exit_code == 0, result.output
    assert str(tmp_path / "nm") in result.output and str(tmp_path / "builds") in result.output


@pytest.mark.slow
def test_a_development_build_warns_exactly_once(tmp_path: Path, repo_root: Path) -> None:
    # The stand-in Receipt circuit (59 constraints) and a power-7 development ptau keep this to seconds.
    cache = tmp_path / "cache"
    make_development_ptau(7, cache / "ptau", Toolchain())
    sources = tmp_path / "sources"
    shutil.copytree(repo_root / "tests" / "circuits" / "fixtures" / "tiny", sources)
    env = {"SETTLEFL_CIRCUITS": str(sources), "SETTLEFL_CACHE": str(cache)}
    args = ["circuits", "build", "-n", "16", "-b", "16", "--max-joins", "1", "--only", "receipt"]
    result = run(*args, "--out", str(tmp_path / "builds"), env=env)
    assert result.exit_code == 0, result.output
    assert result.output.count("DEVELOPMENT powers of tau") == 1, result.output
    assert (tmp_path / "builds" / "n16_b16_k32_j1" / "manifest.json").is_file()


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--variant", "zk"], "choose cc or cp"),
        (["--variant", "cp", "--malicious"], "only Commit-and-Challenge"),
        (["--participants", "40"], "1..16 participants"),
        (["--malicious", "--rounds", "1"], "--rounds 2 or more"),
        (["--late-joiners", "2", "--participants", "2"], "late joiners"),
    ],
)
def test_the_demo_refuses_options_it_cannot_play_in_one_line_before_starting_anything(
        args: list[str], fragment: str, tmp_path: Path) -> None:
    result = run("demo", "--workdir", str(tmp_path / "demo"), *args)
    assert_one_error_line(result, fragment)
    assert not (tmp_path / "demo").exists()


def test_an_aggregator_given_a_deployment_record_that_does_not_exist_fails_in_one_line(tmp_path: Path) -> None:
    key = tmp_path / "key.json"
    assert run("keygen", "--ethereum", str(key)).exit_code == 0
    result = run("node", "aggregator", "--rpc", "http://127.0.0.1:9", "--key-file", str(key), "--receipt-key-file",
                 str(key), "--deployment", str(tmp_path / "missing.json"), "--build", str(COMMITTED_BUILD),
                 "--state", str(tmp_path / "state"))
    assert_one_error_line(result, "missing.json")


@pytest.mark.parametrize("command", ["audit", "watch"])
def test_a_job_id_that_is_not_32_bytes_of_hex_is_one_line_naming_the_option(command: str, tmp_path: Path) -> None:
    options = {"audit": ["--contract", "0x" + "00" * 20],
               "watch": ["--key-file", str(tmp_path / "k.json"), "--deployment", str(tmp_path / "d.json"),
                         "--receipts", str(tmp_path), "--build", str(COMMITTED_BUILD)]}[command]
    result = run(command, "--rpc", "http://127.0.0.1:9", "--job", "0x1234", *options)
    assert_one_error_line(result, "--job '0x1234' is not 32 bytes of hex")
