"""What ``settlefl demo`` prints: the settlement, gas per operation, time per phase and the audit verdict."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from .demo import DemoResult


def _eth(wei: int) -> str:
    return f"{wei / 10**18:.6f}"


def render(result: DemoResult, console: Console) -> None:
    report = result.report
    assert report is not None
    title = f"Settlement of job {result.job_id[:18]}… ({result.options.variant}, {report.phase}"
    title += ", faulted)" if report.faulted else ")"
    table = Table(title=title)
    table.add_column("payee", no_wrap=True, min_width=42)
    for column in ("units", "escrow share (ETH)", "bond share (ETH)", "paid (ETH)"):
        table.add_column(column, justify="right")
    table.add_column("status")
    table.add_column("payout tx", no_wrap=True)
    for p in result.payouts:
        victim = " (cut)" if result.options.malicious and p["payee"].lower() == (result.victim or "").lower() else ""
        table.add_row(
            p["payee"] + victim,
            f"{p['units']:,}",
            _eth(p["escrow"]),
            _eth(p["bond"]),
            _eth(p["amount"]),
            p["status"],
            p["tx"][:10] + "…",
        )
    console.print(table)
    paid = sum(p["escrow"] for p in result.payouts)
    adds_up = paid + result.refund == result.escrow
    console.print(
        f"escrow {_eth(result.escrow)} ETH = paid {_eth(paid)} + refunded to the aggregator "
        f"{_eth(result.refund)}: {'adds up' if adds_up else 'DOES NOT ADD UP'}"
    )
    if report.disputes:
        disputes = Table(title="Disputes")
        for column in ("kind", "round", "by", "status", "settled by"):
            disputes.add_column(column)
        for d in report.disputes:
            disputes.add_row(d.kind, str(d.round), d.by, d.status, d.settled_by or "")
        console.print(disputes)
        if report.faulted:
            console.print("the aggregator did not answer: the job was faulted, payouts are pro rata from the last "
                          "valid round and the aggregator's bond is split among the payees")
    gas = Table(title="Gas per operation (receipts of the job's transactions)")
    for column in ("operation", "transactions", "gas each (mean)", "gas total"):
        gas.add_column(column, justify="left" if column == "operation" else "right")
    for name, row in result.gas.items():
        gas.add_row(name, str(row["count"]), f"{row['mean']:,}", f"{row['gas']:,}")
    gas.add_row(
        "all", str(sum(r["count"] for r in result.gas.values())), "", f"{sum(r['gas'] for r in result.gas.values()):,}"
    )
    console.print(gas)
    phases = Table(title="Time per phase")
    phases.add_column("phase")
    phases.add_column("seconds", justify="right")
    for name, seconds in result.phases.items():
        phases.add_row(name, f"{seconds:.1f}")
    phases.add_row("total", f"{sum(result.phases.values()):.1f}")
    console.print(phases)
    if result.accuracy:
        console.print("validation accuracy by round: " + ", ".join(f"{a:.3f}" for a in result.accuracy))
    verdict = report.verdict.value
    style = "green" if not report.reasons else "red"
    console.print(f"audit verdict: [bold {style}]{verdict}[/] ({len(report.proofs)} proofs re-verified)")
    for reason in report.reasons:
        console.print(f"  - {reason}")
    console.print(f"logs and state: {result.workdir}")
