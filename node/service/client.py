"""The participant's side of the HTTP service: typed calls, signed requests, clear errors.

A refused request raises :class:`ServiceRefused` with the server's status and reason; an unreachable
service raises :class:`ServiceUnavailable` after retrying for ``max_wait`` seconds (an aggregator restart
is a short outage, not a failure).
"""

from __future__ import annotations

import logging
import time
from typing import Any

import httpx
from eth_account.signers.local import LocalAccount

from settlefl.errors import SettleFLError

from ..fl.weights import hash_bytes
from . import auth

log = logging.getLogger(__name__)


class ServiceRefused(SettleFLError):
    """The aggregator answered a request with a 4xx: ``status`` and its reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"the aggregator refused the request ({status}): {reason}")
        self.status = status
        self.reason = reason


class ServiceUnavailable(SettleFLError):
    """The aggregator could not be reached for ``max_wait`` seconds."""


class AggregatorClient:
    """Calls one aggregator service as one participant (its Ethereum account signs every write)."""

    def __init__(self, url: str, account: LocalAccount, *, max_wait: float = 120.0, timeout: float = 60.0) -> None:
        self.url = url.rstrip("/")
        self.account = account
        self.max_wait = max_wait
        self._http = httpx.Client(base_url=self.url, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        deadline = time.monotonic() + self.max_wait
        said = False
        while True:
            try:
                response = self._http.request(method, path, **kwargs)
            except httpx.TransportError as exc:
                if time.monotonic() > deadline:
                    raise ServiceUnavailable(
                        f"the aggregator at {self.url} is unreachable for {self.max_wait:.0f} s "
                        f"({exc}); check the URL and that its service runs"
                    ) from None
                if not said:
                    log.warning("aggregator at %s unreachable (%s); retrying", self.url, exc)
                    said = True
                time.sleep(1.0)
                continue
            if response.status_code >= 500 and time.monotonic() < deadline:
                time.sleep(1.0)
                continue
            if response.status_code >= 400:
                try:
                    reason = str(response.json().get("error") or response.json().get("detail"))
                except ValueError:
                    reason = response.text[:200]
                raise ServiceRefused(response.status_code, reason)
            if said:
                log.info("aggregator at %s reachable again", self.url)
            return response

    def job(self) -> dict[str, Any]:
        data: dict[str, Any] = self._request("GET", "/api/job").json()
        return data

    def deployment(self) -> dict[str, Any]:
        data: dict[str, Any] = self._request("GET", "/api/deployment").json()
        return data

    def register(self, job: dict[str, Any]) -> dict[str, Any]:
        message = auth.register_message(
            int(job["chain_id"]), job["contract"], bytes.fromhex(job["job_id"][2:]), self.account.address
        )
        body = {"participant": self.account.address, "signature": auth.sign(self.account, message)}
        data: dict[str, Any] = self._request("POST", "/api/register", json=body).json()
        return data

    def model(self, round_number: int) -> bytes:
        """The global model of ``round_number``; refused unless its bytes match the hash the server states."""
        response = self._request("GET", "/api/model", params={"round": round_number})
        data = response.content
        stated = response.headers.get("X-SettleFL-Model-Hash", "")
        if hash_bytes(data) != stated:
            raise ServiceRefused(200, f"the model of round {round_number} does not match its stated hash")
        return data

    def upload(self, job: dict[str, Any], round_number: int, data: bytes, samples: int) -> dict[str, Any]:
        message = auth.update_message(
            int(job["chain_id"]),
            job["contract"],
            bytes.fromhex(job["job_id"][2:]),
            round_number,
            bytes.fromhex(hash_bytes(data)[2:]),
            samples,
        )
        headers = {
            "X-SettleFL-Participant": self.account.address,
            "X-SettleFL-Samples": str(samples),
            "X-SettleFL-Signature": auth.sign(self.account, message),
            "Content-Type": "application/octet-stream",
        }
        result: dict[str, Any] = self._request(
            "POST", f"/api/update/{round_number}", content=data, headers=headers
        ).json()
        return result

    def receipts(self) -> list[dict[str, Any]]:
        data: list[dict[str, Any]] = self._request("GET", f"/api/receipts/{self.account.address}").json()
        return data
