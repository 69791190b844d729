"""Whole jobs with every party a separate process talking HTTP, on anvil (the demo's own machinery).

These are the slowest tests of the suite (about a minute each): each one is a real settlement, with the
processes a user runs, training a real model, and an independent audit at the end.
"""

from __future__ import annotations

import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from settlefl.audit.report import Verdict
from settlefl_node.demo import Demo, DemoOptions, DemoResult

pytestmark = pytest.mark.slow


def settled(result: DemoResult) -> None:
    """Every settled demo job: audited SOUND, completed, and the payouts add up to the escrow."""
    report = result.report
    assert report is not None
    assert report.verdict is Verdict.SOUND, report.reasons
    assert report.phase == "COMPLETED"
    assert sum(p["escrow"] for p in result.payouts) + result.refund == result.escrow
    assert all(ledger.balanced for ledger in report.ledgers)


def test_a_job_settles_with_participant_processes_and_the_free_rider_earns_nothing(tmp_path: Path) -> None:
    demo = Demo(DemoOptions(participants=3, rounds=2, free_riders=1, workdir=tmp_path))
    try:
        demo.prepare()
        demo.start()
        result = demo.finish()
        settled(result)
        free_rider = demo.addresses["participant-2"].lower()
        units = {p.address.lower(): p.units for p in result.report.payees}  # type: ignore[union-attr]
        assert units[free_rider] == 0
        assert all(units[demo.addresses[f"participant-{i}"].lower()] > 0 for i in (0, 1))
        assert free_rider not in {p["payee"].lower() for p in result.payouts}
        assert result.gas["commit"]["count"] == 2 and result.gas["createJob"]["count"] == 1
        status_page_matches_the_chain(demo, result, tmp_path)
    finally:
        demo.close()


def test_an_aggregator_and_a_participant_killed_mid_round_restart_and_a_late_joiner_is_paid_with_nothing_sent_twice(
        tmp_path: Path) -> None:
    demo = Demo(DemoOptions(participants=4, rounds=3, late_joiners=1, workdir=tmp_path))
    try:
        demo.prepare()
        demo.start()
        demo.wait(lambda job: job["round"] == 2 and job["round_status"] == "collecting")
        demo.kill("aggregator")
        demo.kill("participant-1")
        demo.restart("aggregator")
        demo.restart("participant-1")
        result = demo.finish()
        settled(result)
        assert result.gas["createJob"]["count"] == 1
        assert result.gas["commit"]["count"] == 3  # one commit per round: the restarted node re-sent nothing
        victim = demo.addresses["participant-1"].lower()
        paid = {p["payee"].lower(): p for p in result.payouts}
        assert paid[victim]["units"] > 0 and paid[victim]["status"] == "paid"
        joiner = demo.addresses["participant-3"].lower()
        assert paid[joiner]["units"] > 0 and paid[joiner]["status"] == "paid"  # joined the running job
    finally:
        demo.close()


def test_a_cutting_aggregator_is_challenged_faulted_and_everyone_is_paid_pro_rata_with_its_bond(
        tmp_path: Path) -> None:
    demo = Demo(DemoOptions(participants=2, rounds=2, malicious=True, workdir=tmp_path))
    try:
        demo.prepare()
        demo.start()
        result = demo.finish()
        settled(result)
        report = result.report
        assert report is not None and report.faulted
        assert [d.kind for d in report.disputes] == ["challenge"] and report.disputes[0].round == 2
        victim = (demo.result.victim or "").lower()
        paid = {p["payee"].lower(): p for p in result.payouts}
        assert paid[victim]["units"] > 0 and paid[victim]["bond"] > 0  # paid from round 1, plus its bond share
        assert "respond" not in result.gas  # the aggregator never answered
    finally:
        demo.close()


# --------------------------------------------------------------------------------- the status page


class _Table(HTMLParser):
    """The cells of the status page's participant rows, keyed by the row id."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, dict[str, str]] = {}
        self._row: str | None = None
        self._cell: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        row = found.get("id") or ""
        if tag == "tr" and row.startswith(("participant-", "round-")):
            self._row = row
            self.rows[row] = {}
        elif tag == "td" and self._row is not None:
            self._cell = (found.get("class") or "").split()[-1] if found.get("class") else None

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr":
            self._row = None
        if tag == "td":
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._row is not None and self._cell is not None:
            self.rows[self._row][self._cell] = self.rows[self._row].get(self._cell, "") + data.strip()


def status_page_matches_the_chain(demo: Demo, result: DemoResult, tmp_path: Path) -> None:
    """Load ``/`` in headless Chromium and check its figures against the audit of the chain."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("no chromium here (scripts/setup.sh installs Debian's chromium where it may use apt)")
    dom = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp_path}/c",
                          "--dump-dom", demo.url + "/"], capture_output=True, text=True, timeout=120, check=True).stdout
    page = _Table()
    page.feed(dom)
    assert 'id="audit" class="ok">SOUND' in dom
    report = result.report
    assert report is not None
    for payee in report.payees:
        row = page.rows[f"participant-{payee.address.lower()}"]
        assert int(row["units"]) == payee.units
        if payee.amount:
            assert int(row["payout"]) == payee.amount
    for record in report.rounds:
        assert f'<code>{hex(record.commitment)}</code>' in dom
