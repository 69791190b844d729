"""``settlefl node aggregator`` and ``settlefl node participant``: build the parts from options and run them.

Both check the deployment against the circuit build they were given before anything else (a deployment
whose verifiers are not the build's is refused with the circuit named), keep every piece of state under
``--state`` and pick up where they stopped when restarted with the same directory.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from settlefl.chain.client import Chain
from settlefl.chain.contract import Variant
from settlefl.chain.keys import load_account
from settlefl.crypto import eddsa
from settlefl.errors import InputError
from settlefl.roles.aggregator import Aggregator, JobPlan
from settlefl.roles.follower import Timing
from settlefl.roles.store import RoleStore

from .adversary import cutting
from .coordinator import AggregatorNode, FLJob
from .fl.data import Dataset, SplitSpec, federate, load_dataset
from .fl.simulate import BEHAVIOURS, Behaviour
from .onchain import load_deployment, role_context
from .participant import Outcome, ParticipantNode
from .service.client import AggregatorClient

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AggregatorOptions:
    rpc: str
    key_file: Path
    receipt_key_file: Path
    deployment: Path
    build: Path
    state: Path
    host: str = "127.0.0.1"
    port: int = 8700
    variant: str = "cc"
    rounds: int = 3
    min_participants: int = 2
    round_timeout: float = 120.0
    unit_price: int = 10**12
    max_units: int = 10**6
    challenge_window: int | None = None
    response_window: int | None = None
    inactivity_timeout: int | None = None
    duration: int = 30 * 86400
    dataset: str = "digits"
    data_dir: Path | None = None
    arch: str = "mlp"
    scorer: str = "marginal-loss"
    seed: int = 0
    margin: int = 30
    exit_when_completed: bool = False
    cut: str | None = None  # "ADDRESS:ROUND": the demo's dishonest aggregator


def _variant(name: str) -> Variant:
    variants = {"cc": Variant.COMMIT_CHALLENGE, "cp": Variant.COMMIT_PROOF}
    if name not in variants:
        raise InputError(f"--variant {name!r}: choose cc (commit-and-challenge) or cp (commit-with-proof)")
    return variants[name]


def aggregator_node(o: AggregatorOptions) -> AggregatorNode:
    o.state.mkdir(parents=True, exist_ok=True)
    timing = Timing(margin=o.margin, respond_delay=0, receipt_grace=o.margin, payout_grace=0)
    ctx = role_context(Chain(o.rpc), load_deployment(o.deployment), load_account(o.key_file), o.build,
                       RoleStore(o.state / "aggregator.sqlite"), timing)
    plan = JobPlan(
        variant=_variant(o.variant),
        unit_price=o.unit_price,
        max_units=o.max_units,
        challenge_window=o.challenge_window,
        response_window=o.response_window,
        inactivity_timeout=o.inactivity_timeout,
        duration=o.duration,
    )
    job = FLJob(
        rounds=o.rounds,
        min_participants=o.min_participants,
        round_timeout=o.round_timeout,
        dataset=o.dataset,
        data_dir=o.data_dir,
        arch=o.arch,
        scorer=o.scorer,
        seed=o.seed,
        plan=plan,
    )
    role: type[Aggregator] = Aggregator
    if o.cut:
        victim, _, cut_round = o.cut.partition(":")
        role = cutting(victim, int(cut_round or 2))
    return AggregatorNode(ctx, eddsa.load_private_key(o.receipt_key_file), job, o.state / "fl", role)


def run_aggregator(o: AggregatorOptions) -> None:
    """Serve the job over HTTP and run its rounds until stopped (or until completed, if asked)."""
    import uvicorn

    from .service.app import create_app

    node = aggregator_node(o)
    node.start()
    config = uvicorn.Config(create_app(node), host=o.host, port=o.port, log_level="warning")
    server = uvicorn.Server(config)
    if o.exit_when_completed:

        def watch() -> None:
            while not server.should_exit:
                if node.phase == "completed":
                    log.info("job completed: stopping the service")
                    server.should_exit = True
                threading.Event().wait(1.0)

        threading.Thread(target=watch, daemon=True).start()
    log.info("aggregator of job 0x%s serving on http://%s:%d", node.job_id.hex(), o.host, o.port)
    try:
        server.run()
    finally:
        node.stop()


@dataclass(frozen=True)
class ParticipantOptions:
    aggregator: str
    rpc: str
    key_file: Path
    build: Path
    state: Path
    dataset: str = "digits"
    data_dir: Path | None = None
    shard: int | None = None
    shards: int | None = None
    split: str = "iid"
    alpha: float = 0.5
    behaviour: str = "honest"
    seed: int = 0
    margin: int = 30
    respond_delay: int = 60
    interval: float = 1.0


def participant_data(o: ParticipantOptions, validation_fraction: float, split_seed: int) -> Dataset:
    data = load_dataset(o.dataset, o.data_dir)
    if o.shards is None:
        return data
    if o.shard is None or not 0 <= o.shard < o.shards:
        raise InputError(f"--shard must be in 0..{o.shards - 1} with --shards {o.shards}")
    spec = SplitSpec(o.shards, o.split, o.alpha, validation_fraction, split_seed)  # type: ignore[arg-type]
    return federate(data, spec).shards[o.shard]


def participant_node(o: ParticipantOptions) -> ParticipantNode:
    if o.behaviour not in BEHAVIOURS:
        raise InputError(f"--behaviour {o.behaviour!r}: choose among {', '.join(BEHAVIOURS)}")
    account = load_account(o.key_file)
    client = AggregatorClient(o.aggregator, account)
    job = client.job()
    fl = job["fl"]
    data = participant_data(o, float(fl["validation_fraction"]), int(fl["seed"]))
    timing = Timing(margin=o.margin, respond_delay=o.respond_delay, receipt_grace=o.margin, payout_grace=0)
    behaviour: Behaviour = o.behaviour
    node = ParticipantNode(
        client,
        Chain(o.rpc),
        account,
        o.build,
        o.state,
        data,
        behaviour,
        o.seed,
        timing,
    )
    node.join()
    return node


def run_participant(o: ParticipantOptions) -> Outcome:
    return participant_node(o).run(o.interval)

