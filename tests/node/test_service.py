"""The aggregator service over HTTP (FastAPI's test client, so every request goes through the real app,
validation and error handling), on a real anvil with a real job created from signed registrations.

Every refused upload must answer a 4xx that says why and leave no trace: no row, no file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient

from settlefl.chain.client import Chain
from settlefl.chain.deploy import Deployment
from settlefl.circuits.prover import Prover
from settlefl.roles.aggregator import JobPlan
from settlefl_node.coordinator import AggregatorNode, FLJob
from settlefl_node.fl.models import build_model
from settlefl_node.fl.weights import encode, hash_bytes, state_of
from settlefl_node.service import auth
from settlefl_node.service.app import create_app
from tests.roles.conftest import SIGNING_KEY, TIMING, World, new_account

pytestmark = pytest.mark.slow


@pytest.fixture
def node(chain: Chain, deployment: Deployment, prover: Prover, tmp_path: Path) -> Iterator[AggregatorNode]:
    world = World(chain, deployment, prover, tmp_path)
    account = new_account(chain)
    ctx = world.context(account, "aggregator")
    assert ctx.timing == TIMING
    job = FLJob(rounds=2, min_participants=2, round_timeout=3600, plan=JobPlan(max_units=1000))
    node = AggregatorNode(ctx, SIGNING_KEY, job, tmp_path / "fl")
    yield node
    node.store.close()


@pytest.fixture
def http(node: AggregatorNode) -> TestClient:
    return TestClient(create_app(node))


def register(http: TestClient, node: AggregatorNode, account: LocalAccount) -> None:
    message = auth.register_message(node.ctx.chain.chain_id, node.ctx.settle.address, node.job_id, account.address)
    answer = http.post("/api/register", json={"participant": account.address, "signature": auth.sign(account, message)})
    assert answer.status_code == 200, answer.text


def signed_upload(node: AggregatorNode, account: LocalAccount, round_number: int, data: bytes, samples: int = 100,
                  signer: LocalAccount | None = None) -> dict[str, str]:
    message = auth.update_message(node.ctx.chain.chain_id, node.ctx.settle.address, node.job_id, round_number,
                                  bytes.fromhex(hash_bytes(data)[2:]), samples)
    return {"X-SettleFL-Participant": account.address, "X-SettleFL-Samples": str(samples),
            "X-SettleFL-Signature": auth.sign(signer or account, message)}


@pytest.fixture
def started(http: TestClient, node: AggregatorNode, chain: Chain) -> tuple[LocalAccount, LocalAccount]:
    """Two registered participants and the job created on chain with them (round 1 collecting)."""
    a, b = new_account(chain), new_account(chain)
    register(http, node, a)
    register(http, node, b)
    node.step()
    assert node.phase == "training" and node.current_round == 1
    return a, b


def model_update(node: AggregatorNode) -> bytes:
    return encode(state_of(build_model(node.model_spec, seed=7)))


def nothing_stored(node: AggregatorNode, account: LocalAccount, round_number: int = 1) -> bool:
    return node.store.upload(round_number, account.address) is None and not node.store.update_path(
        round_number, account.address).exists()


def test_the_job_info_names_the_chain_contract_job_variant_round_and_fl_settings(
        http: TestClient, node: AggregatorNode, started: tuple[LocalAccount, LocalAccount]) -> None:
    job = http.get("/api/job").json()
    assert job["chain_id"] == node.ctx.chain.chain_id
    assert job["contract"] == node.ctx.settle.address
    assert job["job_id"] == "0x" + node.job_id.hex()
    assert (job["variant"], job["phase"], job["round"], job["round_status"]) == ("cc", "training", 1, "collecting")
    assert job["fl"]["scorer"]["name"] == "marginal-loss"
    assert set(job["participants"]) == {a.address for a in started}
    assert node.ctx.settle.get_job(node.job_id).phase.name == "ACTIVE"


def test_the_model_download_matches_its_stated_hash(http: TestClient, started: object) -> None:
    answer = http.get("/api/model", params={"round": 1})
    assert answer.status_code == 200
    assert hash_bytes(answer.content) == answer.headers["X-SettleFL-Model-Hash"] == http.get("/api/job").json()[
        "model_hash"]


def test_a_signed_upload_is_stored_once_and_a_second_one_for_the_round_is_refused(
        http: TestClient, node: AggregatorNode, started: tuple[LocalAccount, LocalAccount]) -> None:
    a, _ = started
    data = model_update(node)
    first = http.post("/api/update/1", content=data, headers=signed_upload(node, a, 1, data))
    assert first.status_code == 200, first.text
    assert node.store.upload(1, a.address) is not None
    again = http.post("/api/update/1", content=data, headers=signed_upload(node, a, 1, data))
    assert again.status_code == 409 and "already uploaded" in again.json()["error"]


def test_a_forged_upload_signed_by_another_key_is_refused_and_leaves_no_trace(
        http: TestClient, node: AggregatorNode, started: tuple[LocalAccount, LocalAccount]) -> None:
    a, _ = started
    data = model_update(node)
    forger: LocalAccount = Account.create()
    answer = http.post("/api/update/1", content=data, headers=signed_upload(node, a, 1, data, signer=forger))
    assert answer.status_code == 401 and forger.address in answer.json()["error"]
    assert nothing_stored(node, a)


def test_an_upload_whose_bytes_differ_from_the_signed_hash_is_refused(
        http: TestClient, node: AggregatorNode, started: tuple[LocalAccount, LocalAccount]) -> None:
    a, _ = started
    data = model_update(node)
    headers = signed_upload(node, a, 1, data)
    tampered = bytearray(data)
    tampered[-1] ^= 1
    answer = http.post("/api/update/1", content=bytes(tampered), headers=headers)
    assert answer.status_code == 401
    assert nothing_stored(node, a)


def test_a_signed_sample_count_cannot_be_inflated_in_transit(
        http: TestClient, node: AggregatorNode, started: tuple[LocalAccount, LocalAccount]) -> None:
    a, _ = started
    data = model_update(node)
    headers = {**signed_upload(node, a, 1, data, samples=100), "X-SettleFL-Samples": "100000"}
    assert http.post("/api/update/1", content=data, headers=headers).status_code == 401
    assert nothing_stored(node, a)


def test_an_upload_replayed_into_another_round_is_refused(
        http: TestClient, node: AggregatorNode, started: tuple[LocalAccount, LocalAccount]) -> None:
    a, _ = started
    data = model_update(node)
    headers = signed_upload(node, a, 1, data)
    assert http.post("/api/update/1", content=data, headers=headers).status_code == 200
    replay = http.post("/api/update/2", content=data, headers=headers)  # round 2 is not open, and not signed
    assert replay.status_code in (401, 409)
    assert nothing_stored(node, a, 2)


def test_a_late_upload_for_a_closed_round_is_refused(
        http: TestClient, node: AggregatorNode, started: tuple[LocalAccount, LocalAccount]) -> None:
    a, _ = started
    node.store.extend(1, 0.0)  # round 1's deadline has passed
    data = model_update(node)
    answer = http.post("/api/update/1", content=data, headers=signed_upload(node, a, 1, data))
    assert answer.status_code == 409 and "closed" in answer.json()["error"]
    assert nothing_stored(node, a)


def test_an_oversized_upload_is_refused_before_it_is_read_whole(
        http: TestClient, node: AggregatorNode, started: tuple[LocalAccount, LocalAccount]) -> None:
    a, _ = started
    data = model_update(node) + b"\0" * 4096
    answer = http.post("/api/update/1", content=data, headers=signed_upload(node, a, 1, data))
    assert answer.status_code == 413 and str(node.max_upload) in answer.json()["error"]
    assert nothing_stored(node, a)


def test_a_malformed_upload_that_is_not_the_jobs_model_is_refused(
        http: TestClient, node: AggregatorNode, started: tuple[LocalAccount, LocalAccount]) -> None:
    a, _ = started
    data = b"not a model at all"
    answer = http.post("/api/update/1", content=data, headers=signed_upload(node, a, 1, data))
    assert answer.status_code == 422 and "not this job's model" in answer.json()["error"]
    assert nothing_stored(node, a)


def test_missing_or_malformed_headers_get_a_422_naming_the_field(
        http: TestClient, node: AggregatorNode, started: tuple[LocalAccount, LocalAccount]) -> None:
    a, _ = started
    data = model_update(node)
    headers = signed_upload(node, a, 1, data)
    del headers["X-SettleFL-Signature"]
    answer = http.post("/api/update/1", content=data, headers=headers)
    assert answer.status_code == 422 and "X-SettleFL-Signature" in answer.text
    bad = {**signed_upload(node, a, 1, data), "X-SettleFL-Samples": "many"}
    assert http.post("/api/update/1", content=data, headers=bad).status_code == 422
    assert nothing_stored(node, a)


def test_an_upload_from_an_unregistered_address_is_refused(
        http: TestClient, node: AggregatorNode, started: object, chain: Chain) -> None:
    stranger = new_account(chain)
    data = model_update(node)
    answer = http.post("/api/update/1", content=data, headers=signed_upload(node, stranger, 1, data))
    assert answer.status_code == 403
    assert nothing_stored(node, stranger)


def test_a_registration_with_a_wrong_signature_is_refused(http: TestClient, node: AggregatorNode) -> None:
    account, other = Account.create(), Account.create()
    message = auth.register_message(node.ctx.chain.chain_id, node.ctx.settle.address, node.job_id, account.address)
    answer = http.post("/api/register", json={"participant": account.address, "signature": auth.sign(other, message)})
    assert answer.status_code == 401
    assert node.store.participants() == []
    malformed = http.post("/api/register", json={"participant": "0x1234", "signature": "0x00"})
    assert malformed.status_code == 422


def test_a_round_closes_when_everyone_uploaded_and_pays_the_learner_but_not_the_free_rider(
        http: TestClient, node: AggregatorNode, started: tuple[LocalAccount, LocalAccount]) -> None:
    """Round 1 end to end in one process: real local training for ``a``, the global model back from ``b``."""
    from settlefl_node.fl.data import load_dataset, validation_split
    from settlefl_node.fl.train import TrainConfig, train_local
    from settlefl_node.fl.weights import decode

    a, b = started
    training, _ = validation_split(load_dataset("digits"), 0.2, 0)
    global_state = decode(http.get("/api/model").content, expected=node.layout)
    trained = train_local(node.model, global_state, training, TrainConfig(), seed=1)
    learned = encode(trained.state)
    unchanged = encode(global_state)
    assert http.post("/api/update/1", content=learned, headers=signed_upload(node, a, 1, learned)).status_code == 200
    assert http.post("/api/update/1", content=unchanged,
                     headers=signed_upload(node, b, 1, unchanged)).status_code == 200
    node.step()
    rounds = http.get("/api/rounds").json()
    assert rounds[0]["status"] == "committed" and rounds[0]["commitment"].startswith("0x")
    assert rounds[0]["units"][a.address] > 0 and rounds[0]["units"][b.address] == 0
    receipts = http.get(f"/api/receipts/{a.address}").json()
    assert [r["opening"]["round"] for r in receipts] == [1]
    assert http.get("/api/job").json()["round"] == 2
