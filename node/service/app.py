"""The aggregator's HTTP service (FastAPI): a thin transport over :class:`~settlefl_node.coordinator.AggregatorNode`.

Every route turns a request into one node call and the node's :class:`~settlefl_node.coordinator.Refused`
into a 4xx answer ``{"error": "..."}``; nothing here decides anything about the job. The OpenAPI
description is served at ``/docs`` and ``/openapi.json``.

Uploads are raw model bytes (``application/octet-stream``; the encoding of :mod:`settlefl_node.fl.weights`)
with three headers: ``X-SettleFL-Participant``, ``X-SettleFL-Samples`` and ``X-SettleFL-Signature`` (the
participant's EIP-712 signature over job, round, the bytes' sha256 and the sample count). The body is read
up to the job's model size and refused beyond it, before anything is decoded or stored.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import FastAPI, Header, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from settlefl import __version__

from ..coordinator import AggregatorNode, Refused
from .status import render_status, render_tx

ADDRESS = r"^0x[0-9a-fA-F]{40}$"
SIGNATURE = r"^0x[0-9a-fA-F]{130}$"


class RegisterRequest(BaseModel):
    """A participant's registration: its address and its EIP-712 ``Register`` signature for this job."""

    model_config = ConfigDict(extra="forbid")
    participant: str = Field(pattern=ADDRESS)
    signature: str = Field(pattern=SIGNATURE)


class RegisterResponse(BaseModel):
    participant: str
    new: bool
    phase: str
    round: int


class UploadResponse(BaseModel):
    round: int
    participant: str
    update_hash: str
    stored: bool


class ErrorResponse(BaseModel):
    error: str


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse} for code in (400, 401, 403, 404, 409, 413, 422)
}


def create_app(node: AggregatorNode) -> FastAPI:
    """The service for ``node`` (the caller runs it with uvicorn and starts the node's loop)."""
    app = FastAPI(
        title="SettleFL aggregator",
        version=__version__,
        description="Registration, model download, signed update upload and receipts of one FL job "
        'settled by SettleFL. Errors are `{"error": "..."}` with a 4xx status.',
    )

    @app.exception_handler(Refused)
    async def refused(_request: Request, exc: Refused) -> JSONResponse:
        return JSONResponse(status_code=exc.status, content={"error": exc.message})

    @app.get("/api/job", summary="The job: chain, contract, id, variant, round, deadlines and FL settings")
    def job() -> dict[str, Any]:
        return node.info()

    @app.get("/api/deployment", summary="The deployment record (check it against your own build)")
    def deployment() -> dict[str, Any]:
        return node.ctx.deployment.model_dump(mode="json")

    @app.post(
        "/api/register",
        response_model=RegisterResponse,
        responses=ERRORS,
        summary="Register a participant (also mid-job: it joins in the round it first earns units in)",
    )
    def register(request: RegisterRequest) -> dict[str, Any]:
        return node.register(request.participant, request.signature)

    @app.get(
        "/api/model",
        responses=ERRORS,
        response_class=Response,
        summary="The global model a round trains from (raw bytes; its sha256 in X-SettleFL-Model-Hash)",
    )
    def model(round: Annotated[int | None, Query(ge=1)] = None) -> Response:
        data, digest = node.model_bytes(round)
        return Response(data, media_type="application/octet-stream", headers={"X-SettleFL-Model-Hash": digest})

    @app.post(
        "/api/update/{round_number}",
        response_model=UploadResponse,
        responses=ERRORS,
        summary="Upload one signed update for a round (raw model bytes)",
    )
    async def upload(
        request: Request,
        round_number: Annotated[int, Path(ge=1)],
        participant: Annotated[str, Header(alias="X-SettleFL-Participant", pattern=ADDRESS)],
        samples: Annotated[int, Header(alias="X-SettleFL-Samples", ge=1, le=2**53)],
        signature: Annotated[str, Header(alias="X-SettleFL-Signature", pattern=SIGNATURE)],
    ) -> dict[str, Any]:
        limit = node.max_upload
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise Refused(413, f"the update is {declared} bytes; this job's model encodes to {limit}")
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit:
                raise Refused(413, f"the update is over {limit} bytes, this job's model size")
        return node.accept_update(round_number, participant, samples, bytes(body), signature)

    @app.get("/api/receipts/{address}", responses=ERRORS, summary="Every receipt signed for a participant so far")
    def receipts(address: Annotated[str, Path(pattern=ADDRESS)]) -> list[dict[str, Any]]:
        return node.receipts(address)

    @app.get("/api/rounds", summary="Every round: status, uploads, units, commitment and dispute state")
    def rounds() -> list[dict[str, Any]]:
        return node.round_table()

    @app.get("/", response_class=HTMLResponse, summary="The status page")
    def status() -> str:
        return render_status(node)

    @app.get("/tx/{tx_hash}", response_class=HTMLResponse, responses=ERRORS, summary="One transaction, from the chain")
    def tx(tx_hash: Annotated[str, Path(pattern=r"^0x[0-9a-fA-F]{64}$")]) -> str:
        return render_tx(node, tx_hash)

    return app
