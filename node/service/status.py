"""The status page at ``/``: plain server-rendered HTML, every figure read from the chain or the node.

Rounds come from the contract's events (commitment, block time, transaction, dispute state); units are the
aggregator's opening of the chain's tip (its commitment is checked against the chain before it is shown);
payouts, once payouts opened, come from the auditor (:mod:`settlefl.audit`), which re-derives them from
events and calldata and re-verifies every proof -- the page shows the audit verdict next to them. The audit
is cached per chain block, so reloading the page costs nothing while nothing happens.

Every transaction links to ``/tx/<hash>``, a page rendered from the chain's own receipt (a local chain has
no block explorer).
"""

from __future__ import annotations

import html
import logging
import threading
from typing import TYPE_CHECKING, Any

from settlefl.audit.auditor import audit
from settlefl.audit.report import AuditReport
from settlefl.chain.contract import Phase
from settlefl.chain.watcher import ChainEvent, EventStore
from settlefl.state.words import int_to_address

if TYPE_CHECKING:
    from ..coordinator import AggregatorNode

log = logging.getLogger(__name__)

_STYLE = """body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}td.num{text-align:right;font-variant-numeric:tabular-nums}
code{font-size:.9em}.ok{color:#060}.bad{color:#a00}"""

DISPUTE_EVENTS = {
    "Challenged": "challenged",
    "ChallengeAnswered": "answered",
    "ChallengeResolved": "fault (unanswered)",
    "ChallengeReclaimed": "reclaimed",
    "OpeningRequested": "opening requested",
    "OpeningAnswered": "opening answered",
    "RequestResolved": "fault (opening withheld)",
}

_audit_lock = threading.Lock()
_audit_cache: dict[tuple[str, int], AuditReport] = {}


def _e(value: object) -> str:
    return html.escape(str(value))


def _tx(tx_hash: str | None) -> str:
    if not tx_hash:
        return ""
    return f'<a href="/tx/{_e(tx_hash)}"><code>{_e(tx_hash[:10])}…</code></a>'


def _events(node: AggregatorNode) -> list[ChainEvent]:
    if node.aggregator is None:
        return []
    store = EventStore(node.ctx.store.path)  # its own connection: the node's loop uses the role's
    try:
        return store.events(node.job_id)
    finally:
        store.close()


def job_audit(node: AggregatorNode, block: int) -> AuditReport:
    """The audit of the node's job as of ``block`` (cached: one audit per block the page is asked at)."""
    key = (node.job_id.hex(), block)
    with _audit_lock:
        if key not in _audit_cache:
            _audit_cache.clear()
            _audit_cache[key] = audit(
                node.ctx.chain,
                node.ctx.settle.address,
                node.job_id,
                [node.ctx.prover.build_dir],
                from_block=node.ctx.deployment.deploy_block,
            )
        return _audit_cache[key]


def status_data(node: AggregatorNode) -> dict[str, Any]:
    """Everything the page shows, as data (the page and its test read the same figures)."""
    info = node.info()
    events = _events(node)
    rounds: dict[int, dict[str, Any]] = {}
    for event in events:
        if event.name == "JobCreated":
            rounds[0] = {"round": 0, "commitment": hex(int(event.args["genesisCommitment"])), "time": event.block_time,
                         "tx": event.tx_hash, "dispute": ""}
        if event.name in ("RoundCommitted", "RoundCommittedWithProof"):
            rounds[int(event.args["round"])] = {
                "round": int(event.args["round"]),
                "commitment": hex(int(event.args["commitment"])),
                "time": event.block_time,
                "tx": event.tx_hash,
                "dispute": "",
            }
    for event in events:
        if event.name in DISPUTE_EVENTS and int(event.args["round"]) in rounds:
            rounds[int(event.args["round"])]["dispute"] = DISPUTE_EVENTS[event.name]
    units: dict[str, int] = {}
    chain_phase = None
    if node.aggregator is not None:
        job = node.aggregator.refresh()
        chain_phase = job.phase.name
        state = node.aggregator.held(job, job.tip)
        if state is not None:
            units = {int_to_address(a): u for a, u in state.participants()}
    receipts = {p: len(node.receipts(p)) for p in info["participants"]}
    payouts: dict[str, dict[str, Any]] = {}
    verdict = None
    if chain_phase in (Phase.PAYOUTS_OPEN.name, Phase.COMPLETED.name):
        report = job_audit(node, node.ctx.chain.block_number())
        verdict = report.verdict.value
        for payee in report.payees:
            payouts[payee.address.lower()] = {"amount": payee.amount, "status": payee.status, "tx": payee.tx}
    participants = []
    for address in sorted(set(info["participants"]) | set(units), key=str.lower):
        payout = payouts.get(address.lower(), {})
        participants.append(
            {
                "address": address,
                "units": units.get(address, 0),
                "receipts": receipts.get(address, 0),
                "payout": payout.get("amount"),
                "payout_status": payout.get("status"),
                "payout_tx": payout.get("tx"),
            }
        )
    return {
        "job": info,
        "chain_phase": chain_phase,
        "rounds": [rounds[r] for r in sorted(rounds)],
        "participants": participants,
        "audit": verdict,
    }


def render_status(node: AggregatorNode) -> str:
    data = status_data(node)
    job = data["job"]
    head = (
        f"<h1>SettleFL job <code>{_e(job['job_id'])}</code></h1>"
        f"<p>Contract <code>{_e(job['contract'])}</code> on chain {_e(job['chain_id'])}, variant "
        f'<b>{_e(job["variant"])}</b>, node phase <b id="phase">{_e(job["phase"])}</b>, chain phase '
        f'<b id="chain-phase">{_e(data["chain_phase"] or "not created")}</b>, round {_e(job["round"])} of '
        f"{_e(job['rounds'])}."
    )
    if data["audit"]:
        css = "ok" if data["audit"] == "SOUND" else "bad"
        head += f' Audit: <b id="audit" class="{css}">{_e(data["audit"])}</b>.'
    head += "</p>"
    rows = "".join(
        f'<tr id="round-{r["round"]}"><td class="num">{r["round"]}</td><td><code>{_e(r["commitment"])}</code></td>'
        f'<td class="num">{r["time"]}</td><td>{_e(r["dispute"] or "none")}</td><td>{_tx(r["tx"])}</td></tr>'
        for r in data["rounds"]
    )
    rounds = (
        '<h2>Rounds</h2><table id="rounds"><tr><th>round</th><th>commitment</th><th>block time</th>'
        f"<th>dispute</th><th>transaction</th></tr>{rows}</table>"
    )
    prows = "".join(
        f'<tr id="participant-{_e(p["address"].lower())}"><td><code>{_e(p["address"])}</code></td>'
        f'<td class="num units">{p["units"]}</td><td class="num receipts">{p["receipts"]}</td>'
        f'<td class="num payout">{"" if p["payout"] is None else p["payout"]}</td>'
        f"<td>{_e(p['payout_status'] or 'pending')}</td><td>{_tx(p['payout_tx'])}</td></tr>"
        for p in data["participants"]
    )
    participants = (
        '<h2>Participants</h2><table id="participants"><tr><th>participant</th><th>units</th>'
        "<th>receipts</th><th>payout (wei)</th><th>payout status</th><th>transaction</th></tr>"
        f"{prows}</table>"
    )
    events = "".join(f"<li>{_e(e)}</li>" for e in reversed(node.events[-20:]))
    return (
        f'<!doctype html><html><head><meta charset="utf-8"><title>SettleFL job</title>'
        f'<meta http-equiv="refresh" content="5"><style>{_STYLE}</style></head><body>{head}{rounds}'
        f"{participants}<h2>Recent</h2><ul>{events}</ul></body></html>"
    )


def render_tx(node: AggregatorNode, tx_hash: str) -> str:
    """One transaction as the chain reports it: sender, function, gas, status, block, events."""
    from ..coordinator import Refused

    try:
        tx = node.ctx.chain.w3.eth.get_transaction(tx_hash)  # type: ignore[arg-type]
        receipt = node.ctx.chain.w3.eth.get_transaction_receipt(tx_hash)  # type: ignore[arg-type]
    except Exception:  # noqa: BLE001 - any lookup failure is "not on this chain"
        raise Refused(404, f"transaction {tx_hash} is not on this chain") from None
    try:
        function = node.ctx.settle.interface.decode_function_input(tx["input"])[0].fn_name
    except Exception:  # noqa: BLE001 - not a SettleFL call
        function = "(not a SettleFL call)"
    rows = [
        ("hash", tx_hash),
        ("from", tx["from"]),
        ("to", tx.get("to")),
        ("function", function),
        ("block", receipt["blockNumber"]),
        ("gas used", receipt["gasUsed"]),
        ("status", "success" if receipt["status"] == 1 else "reverted"),
        ("value (wei)", tx["value"]),
    ]
    body = "".join(f"<tr><th>{_e(k)}</th><td><code>{_e(v)}</code></td></tr>" for k, v in rows)
    return (
        f'<!doctype html><html><head><meta charset="utf-8"><title>Transaction</title><style>{_STYLE}</style>'
        f'</head><body><h1>Transaction</h1><table>{body}</table><p><a href="/">back</a></p></body></html>'
    )
