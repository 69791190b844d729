"""Gas of SettleFL from real transactions on a local anvil, with real proofs: whole jobs and every function.

    .venv/bin/python bench/gas.py [--build DIR] [--big-build DIR] [--only jobs,functions] [--no-docs]
    .venv/bin/python bench/gas.py --docs-only      # rewrite docs/gas.md from the stored results

Starts anvil (hardfork prague, like the compiled code), deploys the builds' verifiers and SettleFL through
the project's chain client (``settlefl.chain``), and plays:

* **whole jobs** with the shape of the reference build's figures: Commit-and-Challenge and
  Commit-with-Proof, 10 participants and 10 rounds (the committed test build, B = 16), fresh payees
  (accounts that do not exist yet) and funded ones, with no challenge and with one answered challenge;
  and, with a B = 128 build (``--big-build``, default: the largest complete ``n*_b128_*`` build in
  ``$SETTLEFL_BUILDS``, default ``~/.cache/settlefl/builds``), 800 participants over 10 rounds, fresh and
  funded. Payees are random 20-byte addresses. A job's gas is the sum of ``gasUsed`` over its
  transactions, every one listed;
* **every function** once or more (``functions``), including the paths jobs do not take.

Every figure is a receipt's ``gasUsed`` (the 21,000 base and the calldata included). Results are merged
into ``bench/results/gas.json`` (rows this run did not measure are kept as they were) and
``docs/gas.md`` is rewritten from them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import random
import statistics
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from rich.console import Console
from rich.table import Table
from web3.types import TxReceipt

from settlefl.chain.client import Chain, Sender
from settlefl.chain.contract import JobConfig, JobTerms, SettleFL, Variant
from settlefl.chain.deploy import Bounds, Deployer, Deployment
from settlefl.chain.history import RoundLog
from settlefl.circuits.prover import JobContext, Prover
from settlefl.crypto import eddsa
from settlefl.devchain import Anvil
from settlefl.settings import settings
from settlefl.state import RewardState, RoundUpdate, job_domain, job_id, round_salt

#: The checkout this benchmark belongs to (it writes results and docs there).
REPO_ROOT = Path(__file__).resolve().parents[1]
RESULTS = REPO_ROOT / "bench" / "results" / "gas.json"
DOCS = REPO_ROOT / "docs" / "gas.md"
DEFAULT_BUILD = REPO_ROOT / "circuits" / "builds" / "n32_b16_k32_j4"
BUILDS_CACHE = settings().builds_dir

#: The reference build's figures (issue 7), measured side by side on anvil (800 rows: projected).
REFERENCE: dict[str, int] = {
    "commit": 63_301, "commitWithProof": 283_980, "createJob": 161_044,
    "cc-10x10-fresh": 1_626_022, "cc-10x10-funded": 1_376_034, "cp-10x10-fresh": 3_828_251,
    "cc-800x10-fresh": 62_700_000, "cc-800x10-funded": 42_700_000,
}
#: Issue 7's targets.
TARGETS: dict[str, int] = {
    "commit": 32_000, "commitWithProof": 250_000, "createJob": 330_000,
    "cc-10x10-fresh": 1_400_000, "cc-10x10-funded": 1_150_000, "cp-10x10-fresh": 3_450_000,
    "cc-800x10-fresh": 32_000_000, "cc-800x10-funded": 11_500_000,
}
#: SettleFL before contract v2 (bench/results/gas.json of that commit), for the "before" column.
BEFORE: dict[str, int] = {
    "commit": 52_229, "commitWithProof": 271_332, "createJob": 550_886,
    "cc-10x10-fresh": 1_956_621, "cc-10x10-funded": 1_706_609, "cp-10x10-fresh": 4_147_558,
    "cc-800x10-fresh": 33_488_089, "cc-800x10-funded": 13_488_065,
}

WINDOW = 120  # seconds: the bench deployment allows short windows
RESPONSE = 120
INACTIVITY = 600
UNIT_PRICE = 10**9
SIGNING_KEY = bytes.fromhex("7a" * 32)  # a bench-only receipt key
SECRET = 0xBE7C4
BOUNDS = Bounds(bond_bps=1000, challenger_bond=10**15, request_fee=10**14, challenge_window=60, response_window=60,
                inactivity_timeout=60, max_duration=365 * 86400)
# anvil's well-known development keys (mnemonic "test test ... junk"): bench-only accounts.
ANVIL_KEYS = [
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
    "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
]

log = logging.getLogger("bench.gas")


@dataclass
class Job:
    """One job as the bench plays it: its config, states, round log and every transaction's gas."""

    id: bytes
    nonce: int
    cfg: JobConfig
    prover: Prover
    ctx: JobContext
    states: list[RewardState]
    rounds: RoundLog
    transactions: list[dict[str, Any]] = field(default_factory=list)

    @property
    def tip(self) -> RewardState:
        return self.states[-1]

    def record(self, function: str, receipt: TxReceipt) -> int:
        gas = int(receipt["gasUsed"])
        self.transactions.append({"function": function, "gas": gas})
        return gas


class Bench:
    """Plays jobs on one deployment and records gas."""

    def __init__(self, anvil: Anvil, chain: Chain, provers: list[Prover], seed: int = 7) -> None:
        self.anvil = anvil
        self.chain = chain
        self.provers = provers
        self.rng = random.Random(seed)
        accounts: list[LocalAccount] = [Account.from_key(k) for k in ANVIL_KEYS]
        self.deployer, self.agg, self.challenger, self.submitter, self.requester = accounts
        self.functions: dict[str, list[int]] = {}
        self.key = eddsa.public_key(SIGNING_KEY)
        self.pub_hash = eddsa.public_key_hash(self.key)
        self.nonce = 0
        self.settle: SettleFL
        self.deployment: Deployment

    # ------------------------------------------------------------------------------- plumbing

    def deploy(self) -> None:
        deployer = Deployer(self.chain, Sender(self.chain, self.deployer))
        self.deployment = deployer.deploy([p.build_dir for p in self.provers], BOUNDS)
        for label, gas in deployer.gas_used.items():
            self.functions.setdefault(f"deploy {label}", []).append(gas)
        self.settle = SettleFL(self.chain, self.deployment.settlefl)
        self.senders = {a.address: self.settle.sender(a) for a in (self.agg, self.challenger, self.submitter,
                                                                    self.requester)}

    def sender(self, account: LocalAccount) -> Sender:
        return self.senders[account.address]

    def note(self, function: str, gas: int) -> None:
        self.functions.setdefault(function, []).append(gas)

    def addresses(self, count: int, funded: bool) -> list[int]:
        """Random 20-byte payee addresses; funded ones get an account (1 wei) first."""
        out = [int.from_bytes(self.rng.randbytes(20), "big") or 1 for _ in range(count)]
        if funded:
            for a in out:
                self.chain.rpc("anvil_setBalance", "0x" + f"{a:040x}", hex(1))
        return out

    def time(self) -> int:
        return self.chain.timestamp()

    # ---------------------------------------------------------------------------------- a job

    def create(self, build: int, variant: Variant, participants: list[int], max_units: int) -> Job:
        prover = self.provers[build]
        nonce, self.nonce = self.nonce, self.nonce + 1
        jid = job_id(self.agg.address, nonce)
        domain = job_domain(self.chain.chain_id, self.settle.address, jid)
        ctx = JobContext(self.chain.chain_id, self.settle.address, jid)
        genesis = RewardState.genesis(prover.params, domain, max_units, participants)
        opening = prover.prove_opening(genesis, ctx, self.agg.address)
        escrow = max_units * UNIT_PRICE
        terms = JobTerms(variant, build, "0x" + "00" * 20, UNIT_PRICE, max_units, escrow, escrow // 10, 10**15, 10**14,
                         WINDOW, RESPONSE, INACTIVITY, self.time() + 30 * 86400, self.pub_hash)
        receipt = self.settle.create_job(self.sender(self.agg), nonce, terms, genesis.commitment, opening.words,
                                         opening.proof)
        job = Job(jid, nonce, JobConfig(self.agg.address, terms), prover, ctx, [genesis], RoundLog())
        job.rounds.append(0, genesis.commitment, self.chain.timestamp(receipt["blockNumber"]))
        self.note(f"createJob ({variant.name.lower().replace('_', '-')}, n = {genesis.n}, N = "
                  f"{prover.params.participants})", job.record("createJob", receipt))
        return job

    def next_state(self, job: Job) -> RewardState:
        prev = job.tip
        r = prev.round + 1
        rows = [(i, 1000 + (i * 7 + r) % 997) for i in range(prev.n)]
        return prev.apply_round(RoundUpdate(rows=rows), round_salt(SECRET, prev.domain, r))

    def commit(self, job: Job, with_proof: bool = False) -> int:
        state = self.next_state(job)
        if with_proof:
            proved = job.prover.prove_transition(job.tip, state, self.agg.address)
            receipt = self.settle.commit_with_proof(self.sender(self.agg), job.nonce, job.rounds.tip_history(),
                                                    state.commitment, proved.proof)
            name = "commitWithProof"
        else:
            receipt = self.settle.commit(self.sender(self.agg), job.nonce, state.commitment)
            name = "commit"
        job.states.append(state)
        job.rounds.append(state.round, state.commitment, self.chain.timestamp(receipt["blockNumber"]))
        return job.record(name, receipt)

    def finalize(self, job: Job) -> int:
        """The aggregator finalizes after every window: payouts open in the same call."""
        self.chain.warp(WINDOW + 5)
        receipt = self.settle.finalize(self.sender(self.agg), job.id, job.cfg, job.rounds.tip_history())
        return job.record("finalize (opens payouts)", receipt)

    def pay_all(self, job: Job, submitter: LocalAccount | None = None) -> list[int]:
        state = job.tip
        gas = []
        for batch in range(-(-state.n // state.params.batch)):
            who = submitter or self.agg
            proved = job.prover.prove_payout(state, batch, job.ctx, who.address)
            receipt = self.settle.payout(self.sender(who), job.id, job.cfg, job.rounds.tip_history(), batch, state.n,
                                         state.total, proved.words, proved.proof)
            gas.append(job.record("payout", receipt))
        return gas

    def challenge_and_answer(self, job: Job, round_number: int) -> None:
        receipt = self.settle.challenge(self.sender(self.challenger), job.id, job.cfg, round_number,
                                        job.rounds.around(round_number))
        self.note("challenge", job.record("challenge", receipt))
        proved = job.prover.prove_transition(job.states[round_number - 1], job.states[round_number],
                                             self.agg.address)
        receipt = self.settle.respond(self.sender(self.agg), job.id, job.cfg, round_number,
                                      job.rounds.around(round_number), proved.proof)
        self.note("respond (Transition proof, bond to the responder)", job.record("respond", receipt))

    # -------------------------------------------------------------------------------- scenarios

    def whole_job(self, build: int, variant: Variant, participants: int, rounds: int, funded: bool,
                  challenges: int) -> dict[str, Any]:
        started = time.perf_counter()
        job = self.create(build, variant, self.addresses(participants, funded), max_units=10**11)
        for _ in range(rounds):
            gas = self.commit(job, with_proof=variant is Variant.COMMIT_PROOF)
            self.note("commitWithProof (CP)" if variant is Variant.COMMIT_PROOF else "commit (CC, optimistic)", gas)
        if challenges:
            self.challenge_and_answer(job, rounds // 2)
        self.note("finalize (aggregator, opens payouts)", self.finalize(job))
        for gas in self.pay_all(job):
            self.note(f"payout ({'funded' if funded else 'fresh'} payees, clean, ETH, B = {job.prover.params.batch})",
                      gas)
        kind = "cc" if variant is Variant.COMMIT_CHALLENGE else "cp"
        row = {
            "id": f"{kind}-{participants}x{rounds}-{'funded' if funded else 'fresh'}"
                  + (f"-{challenges}challenge" if challenges else ""),
            "variant": kind, "participants": participants, "rounds": rounds,
            "payees": "funded" if funded else "fresh", "challenges": challenges,
            "build": job.prover.params.name, "gas": sum(t["gas"] for t in job.transactions),
            "transactions": job.transactions, "seconds": round(time.perf_counter() - started, 1),
        }
        log.info("%s: %s gas in %d transactions", row["id"], f"{row['gas']:,}", len(job.transactions))
        return row

    def jobs(self) -> Iterator[dict[str, Any]]:
        for variant, funded, challenges in ((Variant.COMMIT_CHALLENGE, False, 0), (Variant.COMMIT_CHALLENGE, True, 0),
                                            (Variant.COMMIT_PROOF, False, 0), (Variant.COMMIT_PROOF, True, 0),
                                            (Variant.COMMIT_CHALLENGE, False, 1)):
            yield self.whole_job(0, variant, 10, 10, funded, challenges)
        if len(self.provers) > 1:
            for funded in (False, True):
                yield self.whole_job(1, Variant.COMMIT_CHALLENGE, 800, 10, funded, 0)

    def every_function(self) -> None:
        """The paths whole jobs do not take, each measured on its own job."""
        participants = self.addresses(18, funded=True)
        # 16 optimistic commits: the 16th writes a checkpoint.
        a = self.create(0, Variant.COMMIT_CHALLENGE, participants, 10**9)
        for _ in range(16):
            gas = self.commit(a)
        self.note("commit (CC, the 16th round: writes a checkpoint)", gas)
        self.note("commitWithProof (CC: proves the round)", self.commit(a, with_proof=True))
        # request and answer, finalize without opening, then open.
        r = a.tip.round
        receipt = self.settle.request_opening(self.sender(self.requester), a.id, a.cfg, r, a.rounds.around(r))
        self.note("requestOpening", int(receipt["gasUsed"]))
        opening = a.prover.prove_opening(a.tip, a.ctx, self.submitter.address)
        receipt = self.settle.answer_opening(self.sender(self.submitter), a.id, a.cfg, r, a.rounds.around(r),
                                             a.tip.salt, a.tip.total, opening.words, opening.proof)
        self.note(f"answerOpening (n = {a.tip.n})", int(receipt["gasUsed"]))
        receipt = self.settle.finalize(self.sender(self.agg), a.id, a.cfg, a.rounds.tip_history())
        self.note("finalize (aggregator, windows still open)", int(receipt["gasUsed"]))
        self.chain.warp(2 * WINDOW + 5)
        receipt = self.settle.open_payouts(self.sender(self.submitter), a.id, a.cfg, a.rounds.tip_history())
        self.note("openPayouts (clean)", int(receipt["gasUsed"]))

        # faults: two challenges, one resolved (rollback), one reclaimed; then equivocation is refused
        # (the job is faulted already) so it gets its own job.
        c = self.create(0, Variant.COMMIT_CHALLENGE, participants, 10**9)
        for _ in range(3):
            self.commit(c)
        for rnd in (2, 3):
            self.settle.challenge(self.sender(self.challenger), c.id, c.cfg, rnd, c.rounds.around(rnd))
        self.chain.warp(RESPONSE + 5)
        receipt = self.settle.resolve(self.sender(self.submitter), c.id, c.cfg, 2, c.rounds.around(2))
        self.note("resolve (fault: rollback, ends the job)", int(receipt["gasUsed"]))
        c.rounds.truncate(1)
        c.states = c.states[:2]
        receipt = self.settle.reclaim(self.sender(self.submitter), c.id, c.cfg, 3)
        self.note("reclaim (void challenge)", int(receipt["gasUsed"]))
        self.chain.warp(2 * WINDOW + 5)
        receipt = self.settle.open_payouts(self.sender(self.submitter), c.id, c.cfg, c.rounds.tip_history())
        self.note("openPayouts (fault: rho to the recipient)", int(receipt["gasUsed"]))
        for gas in self.pay_all(c, self.submitter):
            self.note("payout (fault, pro rata, ETH, B = 16)", gas)

        e = self.create(0, Variant.COMMIT_CHALLENGE, participants, 10**9)
        self.commit(e)
        other = e.states[0].apply_round(RoundUpdate(rows=[(0, 77)]), 12345)
        signature = eddsa.sign(SIGNING_KEY, other.commitment)
        proved = e.prover.prove_receipt(other, signature, self.key, self.requester.address)
        receipt = self.settle.prove_equivocation(self.sender(self.requester), e.id, e.cfg, 1, e.rounds.around(1),
                                                 other.commitment, proved.proof)
        self.note("proveEquivocation (before payouts: a fault)", int(receipt["gasUsed"]))

        f = self.create(0, Variant.COMMIT_CHALLENGE, participants, 10**9)
        self.commit(f)
        self.settle.request_opening(self.sender(self.requester), f.id, f.cfg, 1, f.rounds.around(1))
        self.chain.warp(RESPONSE + 5)
        receipt = self.settle.resolve_request(self.sender(self.submitter), f.id, f.cfg, 1, f.rounds.around(1))
        self.note("resolveRequest (fault at r - 1)", int(receipt["gasUsed"]))

        g = self.create(0, Variant.COMMIT_CHALLENGE, participants, 10**9)
        self.commit(g)
        self.chain.warp(INACTIVITY + 5)
        receipt = self.settle.finalize(self.sender(self.submitter), g.id, g.cfg, g.rounds.tip_history())
        self.note("finalize (anyone, after the inactivity timeout)", int(receipt["gasUsed"]))


# ---------------------------------------------------------------------------------------- output


def summarize(functions: dict[str, list[int]]) -> list[dict[str, Any]]:
    return [{"function": name, "gas": values, "median": int(statistics.median(values)), "min": min(values),
             "max": max(values)} for name, values in functions.items()]


def merge(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Keep every stored row this run did not measure (jobs by id, functions by name)."""
    out = {**old, **{k: v for k, v in new.items() if k not in ("jobs", "functions")}}
    for key, ident in (("jobs", "id"), ("functions", "function")):
        rows = {r[ident]: r for r in old.get(key, []) if ident in r}
        rows.update({r[ident]: r for r in new.get(key, [])})
        out[key] = list(rows.values())
    return out


def _fmt(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def markdown(result: dict[str, Any]) -> str:
    jobs = {r["id"]: r for r in result.get("jobs", [])}
    funcs = {r["function"]: r for r in result.get("functions", [])}

    def job_gas(ident: str) -> int | None:
        row = jobs.get(ident)
        return int(row["gas"]) if row else None

    def func_gas(name: str) -> int | None:
        row = funcs.get(name)
        return int(row["median"]) if row else None

    create10 = next((int(t["gas"]) for r in jobs.values() if r["participants"] == 10
                     for t in r["transactions"] if t["function"] == "createJob"), None)
    measured = {
        "commit": func_gas("commit (CC, optimistic)"), "commitWithProof": func_gas("commitWithProof (CP)"),
        "createJob": create10, **{k: job_gas(k) for k in TARGETS if "-" in k},
    }
    labels = {
        "commit": "optimistic commit", "commitWithProof": "proof-carrying commit",
        "createJob": "createJob, 10 participants",
        "cc-10x10-fresh": "job: CC, 10 participants, 10 rounds, fresh payees",
        "cc-10x10-funded": "job: CC, 10 participants, 10 rounds, funded payees",
        "cp-10x10-fresh": "job: CP, 10 participants, 10 rounds, fresh payees",
        "cc-800x10-fresh": "job: CC, 800 participants, 10 rounds, B = 128, fresh payees",
        "cc-800x10-funded": "job: CC, 800 participants, 10 rounds, B = 128, funded payees",
    }
    lines = [
        "# SettleFL gas",
        "",
        "Made by `.venv/bin/python bench/gas.py`: real transactions on anvil (hardfork prague) with real Groth16",
        "proofs from the Python provers; raw numbers in `bench/results/gas.json`. Every figure is a receipt's",
        "`gasUsed` (the 21,000 base and the calldata included); a job is the sum over its transactions. Payees",
        "are random 20-byte addresses: *fresh* ones do not exist before their payout (each ETH transfer pays",
        "25,000 for the new account), *funded* ones do. "
        f"Measured {result.get('date', '?')} with {', '.join(result.get('builds', []))}.",
        "",
        "## Targets, the reference build, and SettleFL before contract v2",
        "",
        "| measure | SettleFL v2 | target | reference | SettleFL v1 |",
        "|---|---:|---:|---:|---:|",
    ]
    for key, label in labels.items():
        ref = REFERENCE.get(key)
        ref_cell = (f"about {ref / 1e6:.1f}M (projected)" if key.startswith("cc-800") else _fmt(ref)) if ref else "-"
        if key == "createJob":
            ref_cell += " (proves nothing)"
        target = f"<= {TARGETS[key]:,}"
        lines.append(f"| {label} | {_fmt(measured.get(key))} | {target} | {ref_cell} | {_fmt(BEFORE[key])} |")
    lines += ["", "## Whole jobs", "",
              "| job | build | transactions | gas | per participant |", "|---|---|---:|---:|---:|"]
    for row in jobs.values():
        lines.append(f"| `{row['id']}` | {row['build']} | {len(row['transactions'])} | {row['gas']:,} | "
                     f"{row['gas'] // row['participants']:,} |")
    for row in jobs.values():
        counts: dict[str, list[int]] = {}
        for t in row["transactions"]:
            counts.setdefault(t["function"], []).append(int(t["gas"]))
        parts = ", ".join(f"{name} {len(g)} x {statistics.median(g):,.0f}" if len(g) > 1 else f"{name} {g[0]:,}"
                          for name, g in counts.items())
        lines.append(f"\n`{row['id']}`: {parts}.")
    lines += ["", "## Every function", "", "| function | gas (median, min-max) |", "|---|---:|"]
    for row in funcs.values():
        spread = f" ({row['min']:,}-{row['max']:,})" if row["min"] != row["max"] else ""
        cell = f"{row['median']:,}{spread}"
        lines.append(f"| {row['function']} | {cell} |")
    lines += ["", "## Why these figures", ""] + WHY
    snap = snapshot_rows()
    if snap:
        lines += ["", "## Foundry gas snapshot (`.gas-snapshot`)", "",
                  "Made by `forge snapshot --match-contract GasSnapshot` (contracts/test/GasSnapshot.t.sol): one "
                  "test per external state-changing function, each a single call with real proofs; the figure is "
                  "the call's execution plus the harness, without the 21k base or calldata. For regressions "
                  "(the test command fails on a change over 1%); the tables above are the real-transaction figures.",
                  "", "| test | gas |", "|---|---:|"]
        lines += [f"| {name} | {gas:,} |" for name, gas in snap]
    return "\n".join(lines) + "\n"


WHY = [
    "**Storage, not proofs, was the largest item** (598k of v1's 1.96M-gas job). v2 writes no slot per round:",
    "the head (one slot: the rolling hash of every round, the tip, the variant, the build and the commit",
    "deadline) is read and rewritten by each commit (5,000: 2,100 cold read + 2,900 rewrite), and every 16th",
    "round also stores a checkpoint (22,100). A job's fixed terms are one hash (passed back as calldata and",
    "checked); creation writes two fresh slots (head, config hash) instead of eleven. Commits are addressed",
    "by the aggregator's nonce (`jobId = keccak256(sender, nonce)`), so the caller is the aggregator by",
    "construction and needs no storage read. Disputes carry the rounds they touch as calldata (at most 17",
    "links, about 1 KB).",
    "",
    "**Public inputs** cost about 6.6k each per verification: Opening and Payout take `[C, x, y]` (their",
    "header fields travel inside the compressed vector, bound by `C`), Transition `[C_prev, C_new, rs]` and",
    "Receipt `[C, domain, pubHash, rs]` with `rs = sender + 2^160 r` (packing, not compression). The",
    "soundness argument is in docs/circuits.md.",
    "",
    "**Payouts** book a batch in one pre-pass and pay in one pass over calldata (unchecked counters, no",
    "repeated storage reads); finalize opens payouts in the same call when the windows have closed, and a",
    "clean job's escrow remainder and bond return in one transfer. At 800 participants most of the gas is",
    "the bare cost of sending ETH: 34,300 per fresh payee (9,000 value + 25,000 new account + 2,600 cold",
    "account - 2,300 unused stipend) and 9,300 per funded one.",
]


def snapshot_rows() -> list[tuple[str, int]]:
    path = REPO_ROOT / ".gas-snapshot"
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        if "(gas: " in line:
            name, gas = line.rsplit(" (gas: ", 1)
            out.append((name.strip(), int(gas.rstrip(")"))))
    return out


def print_table(result: dict[str, Any]) -> None:
    table = Table(title="SettleFL jobs (gas, real anvil transactions)")
    for column in ("job", "transactions", "gas", "target"):
        table.add_column(column, justify="left" if column == "job" else "right")
    for row in result.get("jobs", []):
        target = TARGETS.get(row["id"])
        table.add_row(row["id"], str(len(row["transactions"])), f"{row['gas']:,}", _fmt(target))
    Console().print(table)


def find_big_build(explicit: Path | None) -> Path | None:
    if explicit is not None:
        return explicit if (explicit / "manifest.json").exists() else None
    candidates = [p for p in BUILDS_CACHE.glob("n*_b128_*") if (p / "manifest.json").exists()]
    candidates.sort(key=lambda p: int(p.name.split("_")[0][1:]), reverse=True)
    return candidates[0] if candidates else None


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--build", type=Path, default=DEFAULT_BUILD)
    parser.add_argument("--big-build", type=Path, default=None)
    parser.add_argument("--only", default="jobs,functions", help="comma-separated: jobs, functions")
    parser.add_argument("--no-docs", action="store_true", help="write bench/results/gas.json only")
    parser.add_argument("--docs-only", action="store_true", help="rewrite docs/gas.md from the stored results")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    old = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    if args.docs_only:
        DOCS.write_text(markdown(old))
        print_table(old)
        return 0

    provers = [Prover(args.build)]
    big = find_big_build(args.big_build)
    if big is not None:
        provers.append(Prover(big))
    only = {part.strip() for part in args.only.split(",")}
    started = time.perf_counter()
    with Anvil("--hardfork", "prague", "--accounts", "5") as anvil:
        chain = Chain(anvil.url)
        bench = Bench(anvil, chain, provers)
        bench.deploy()
        jobs = list(bench.jobs()) if "jobs" in only else []
        if "functions" in only:
            bench.every_function()
    new = {
        "format": "settlefl.bench.gas.v2",
        "date": dt.date.today().isoformat(),
        "builds": [p.params.name for p in provers],
        "hardfork": "prague",
        "reference": REFERENCE,
        "targets": TARGETS,
        "jobs": jobs,
        "functions": summarize(bench.functions),
        "seconds": round(time.perf_counter() - started, 1),
    }
    if "functions" not in only:
        new.pop("functions")
    result = merge(old if old.get("format") == new["format"] else {}, new)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    if not args.no_docs:
        DOCS.write_text(markdown(result))
    print_table(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
