"""The ``/graphql`` endpoint over HTTP: the checks a request passes before any operation runs, and
its audit events written before its response leaves.

The endpoint is ours rather than Strawberry's stock ASGI view so that every refusal of the request
as a whole (method, accepted media types, body type, size, JSON, token, rate, batch) is a
``RequestRefused`` of the error tree with its own code and HTTP status. The answer's media type is
negotiated from ``Accept`` (``gateway.api.media``, GraphQL over HTTP): ``application/json`` unless the
client asks for ``application/graphql-response+json``. Every request leaves exactly one audit event per operation (one for a
refusal) before its response does; when the events cannot be committed the response is
AUDIT_UNAVAILABLE (503) with no data, and ``/readyz`` says not ready until a write works again
(docs/audit.md, "Fail closed").
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from gateway import strict_json
from gateway.access.tokens import Caller, Role
from gateway.api.auditing import Trail
from gateway.api.errors import error_body
from gateway.api.media import MediaType, check_body_type, negotiate
from gateway.api.pages import graphiql_page
from gateway.audit.events import RequestOutcome
from gateway.errors import (
    AuditUnavailable,
    ClientDisconnected,
    DatabaseUnavailable,
    MalformedRequest,
    MethodNotAllowed,
    RequestRefused,
    RequestTooLarge,
    TooManyOperations,
    UnsupportedMediaType,
)

if TYPE_CHECKING:
    from gateway.api.app import Gateway

# Every method reaches the endpoint, so that even a refused one leaves its audit event.
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


class GraphQLEndpoint:
    """Reads the gateway's auditor and committer at each request (never keeps its own), so that
    whatever the gateway holds now is what records the request."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway

    async def handle(self, request: Request) -> Response:
        gateway = self.gateway
        trail = gateway.auditor.start(request.client.host if request.client else None)
        if not gateway.committer.healthy and not await run_in_threadpool(gateway.committer.probe):
            return refusal(AuditUnavailable())  # refused before running: nothing can be recorded now
        response = await self._respond(request, trail)
        response.headers["Vary"] = "Accept"  # the same request answers in the media type it accepts
        try:
            seqs = await asyncio.wait_for(
                asyncio.wrap_future(gateway.committer.submit(trail.documents, trail.consent_uses)),
                gateway.settings.audit.write_timeout_seconds,
            )
        except (AuditUnavailable, TimeoutError):
            gateway.committer.healthy = False
            return refusal(AuditUnavailable())
        response.headers["X-Audit-Sequence"] = ",".join(map(str, seqs))
        return response

    async def _respond(self, request: Request, trail: Trail) -> Response:
        """The response to a request; every way out notes its audit event(s) on ``trail``."""
        gateway = self.gateway
        if request.method == "GET" and gateway.settings.dev_mode:
            trail.documents.append(gateway.auditor.request_event(trail, None, 200, RequestOutcome.ANSWERED))
            return graphiql_page()  # packaged assets only: works offline (docs/portal.md)
        media = MediaType.JSON  # refusals of the method and of the Accept header answer in plain JSON
        try:
            if request.method != "POST":
                allow = "GET, POST" if gateway.settings.dev_mode else "POST"
                raise MethodNotAllowed("use POST with a JSON body", allow=allow)
            media = negotiate(", ".join(request.headers.getlist("accept")) or None)
            payload, caller = await self._admit(request, trail)
        except RequestRefused as refused:
            outcome = (
                RequestOutcome.ABANDONED
                if isinstance(refused, ClientDisconnected)
                else RequestOutcome.REFUSED
            )
            trail.documents.append(
                gateway.auditor.request_event(trail, refused.code, refused.http_status, outcome)
            )
            return refusal(refused, media)
        if isinstance(payload, list):  # a batch answers 200: each operation has its own errors
            answers = await run_in_threadpool(gateway.execute_all, payload, caller, trail, media)
            return JSONResponse(answers, media_type=media.content_type)
        status, body = await run_in_threadpool(gateway.respond, payload, caller, trail, media)
        headers = DatabaseUnavailable().headers() if status == DatabaseUnavailable.http_status else None
        return JSONResponse(body, status_code=status, media_type=media.content_type, headers=headers)

    async def _admit(self, request: Request, trail: Trail) -> tuple[dict[str, Any] | list[Any], Caller]:
        """The body and the caller of a POST whose answer's media type is known, once it passed
        every check, in this order: body type, size, JSON, token, rate, batch. The first that fails
        raises its ``RequestRefused``."""
        settings = self.gateway.settings
        content_types = request.headers.getlist("content-type")
        if len(content_types) > 1:
            raise UnsupportedMediaType("send one Content-Type header")
        check_body_type(content_types[0] if content_types else None)
        payload = parse_body(await read_limited(request, settings.max_request_bytes))
        authorization = request.headers.getlist("authorization")
        if len(authorization) > 1:
            # Proxies and frameworks disagree on which of two headers counts: refuse the ambiguity.
            raise MalformedRequest("send one Authorization header")
        caller = self.gateway.verifier.authenticate(authorization[0] if authorization else None)
        trail.caller = caller
        if self.gateway.rate.per_second > 0:  # a row every worker shares: its statement in the pool
            await run_in_threadpool(
                self.gateway.rate.take,
                caller.id if caller.role is not Role.PUBLIC else f"ip:{trail.client or 'unknown'}",
            )
        if isinstance(payload, list) and not 1 <= len(payload) <= settings.max_batch:
            raise TooManyOperations(f"a batch holds 1 to {settings.max_batch} operations")
        return payload, caller


def refusal(refused: RequestRefused, media: MediaType = MediaType.JSON) -> Response:
    """A refused request's response: the error alone (a GraphQL response with no ``data``), its
    status and headers."""
    return JSONResponse(
        error_body(refused.code, refused.message),
        status_code=refused.http_status,
        headers=refused.headers(),
        media_type=media.content_type,
    )


async def read_limited(request: Request, limit: int) -> bytes:
    """The body, refused as soon as it is known to exceed ``limit`` bytes: declared by
    ``Content-Length``, or streamed."""
    too_large = RequestTooLarge(f"the body exceeds {limit} bytes")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise too_large
            chunks.append(chunk)
    except ClientDisconnect:
        raise ClientDisconnected(f"the client went away after {size} bytes of the body") from None
    return b"".join(chunks)


def parse_body(body: bytes) -> dict[str, Any] | list[Any]:
    """The JSON body: an object, or a list (a batch); strictly JSON (``gateway.strict_json``): two
    ``"query"`` members, read differently by a proxy and by us, would smuggle a document past a check."""
    try:
        payload = strict_json.loads(body)
        # "\ud800" escapes decode to lone surrogates, which are not text: echoed in an error message
        # they would fail the response's UTF-8 encoding, and no database column can store them.
        json.dumps(payload, ensure_ascii=False).encode("utf-8")
    except (ValueError, RecursionError):  # also UnicodeError; RecursionError: nested past the parser's depth
        raise MalformedRequest("the body is not valid JSON") from None
    if not isinstance(payload, dict | list):
        raise MalformedRequest("the body is a JSON object, or a list of them for a batch")
    return payload
