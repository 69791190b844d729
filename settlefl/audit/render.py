"""An audit report for a person: the verdict and its reasons first, then rounds, disputes, payees and
ledgers as rich tables (the JSON form is :meth:`~settlefl.audit.report.AuditReport.to_json`)."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from settlefl.audit.report import AuditReport, Verdict

ETHER = 10**18


def _wei(amount: int) -> str:
    """Amounts in wei with an ETH hint when large (the table stays exact)."""
    return f"{amount:,}" if amount < 10**15 else f"{amount:,} ({amount / ETHER:.6g} ETH)"


def _short(value: str | None, keep: int = 10) -> str:
    if not value:
        return "-"
    return value if len(value) <= 2 * keep else f"{value[:keep]}..{value[-4:]}"


def render(report: AuditReport) -> RenderableType:
    """The report as rich renderables, verdict first."""
    parts: list[RenderableType] = []
    sound = report.verdict is Verdict.SOUND
    headline = Text(f"{report.verdict.value}", style="bold green" if sound else "bold red")
    headline.append(f"  job 0x{report.job_id.hex()} on {report.contract} (chain {report.chain_id}), "
                    f"{report.variant or '?'} job, phase {report.phase or '?'}, audited in {report.seconds:.1f} s",
                    style="default")
    parts.append(headline)
    for reason in report.reasons:
        parts.append(Text(f"  - {reason}", style="red"))
    for note in report.notes:
        parts.append(Text(f"  note: {note}", style="yellow"))

    checks = Table(title="checks")
    for column in ("check", "ok", "finding"):
        checks.add_column(column)
    for check in report.checks:
        checks.add_row(check.name, "yes" if check.ok else "[red]NO[/]", check.detail)
    parts.append(checks)

    rounds = Table(title="rounds")
    for column in ("round", "commitment", "time", "proven", "challenge", "request", "opened", "outcome"):
        rounds.add_column(column, justify="right" if column in ("round", "time") else "left")
    for r in report.rounds:
        rounds.add_row(str(r.round), _short(f"0x{r.commitment:064x}"), str(r.time), "yes" if r.proven else "-",
                       r.challenge or "-", r.request or "-", "yes" if r.opened else "-", r.outcome)
    parts.append(rounds)

    if report.disputes:
        disputes = Table(title="disputes")
        for column in ("kind", "round", "by", "time", "status", "settled by", "bond / fee flow"):
            disputes.add_column(column)
        for d in report.disputes:
            flow = "; ".join(f"{_wei(f.amount)} {'refunded' if f.refund else f.how} to {_short(f.to)}"
                             for f in d.flows) or "-"
            disputes.add_row(d.kind, str(d.round), _short(d.by), str(d.time), d.status, _short(d.settled_by), flow)
        parts.append(disputes)

    if report.payees:
        paid = len(report.batches)
        payees = Table(title=f"payees (settled round {report.tip}, {paid} {'batch' if paid == 1 else 'batches'} "
                             "paid)")
        for column in ("slot", "address", "units", "amount (wei)", "status", "payout tx"):
            payees.add_column(column, justify="right" if column in ("slot", "units", "amount (wei)") else "left")
        for p in report.payees:
            payees.add_row(str(p.slot), p.address, f"{p.units:,}", _wei(p.amount), p.status, _short(p.tx))
        parts.append(payees)

    ledgers = Table(title="ledgers (wei)")
    for column in ("ledger", "in", "paid", "credited", "refunded", "held", "balanced"):
        ledgers.add_column(column, justify="left" if column == "ledger" else "right")
    for ledger in report.ledgers:
        ledgers.add_row(ledger.ledger, f"{ledger.inflow:,}", f"{ledger.paid:,}", f"{ledger.credited:,}",
                        f"{ledger.refunded:,}", f"{ledger.held:,}", "yes" if ledger.balanced else "[red]NO[/]")
    parts.append(ledgers)

    if report.proofs:
        proofs = Table(title="proofs re-verified (independent verifier)")
        for column in ("circuit", "call", "round", "batch", "sender", "ok", "seconds"):
            proofs.add_column(column)
        for proof in report.proofs:
            proofs.add_row(proof.circuit, proof.function, "-" if proof.round is None else str(proof.round),
                           "-" if proof.batch is None else str(proof.batch), _short(proof.sender),
                           "yes" if proof.ok else f"[red]NO[/] ({proof.reason})", f"{proof.seconds:.2f}")
        parts.append(proofs)
    return Group(*parts)
