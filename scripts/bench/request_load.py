"""The benchmark's load generator: concurrent clients, bounded in requests and in time, on loopback only.

Two ways to send a request: straight into an ASGI app in this process (a minimal ASGI call, no
network and no HTTP client, so the time measured is the app's), or over HTTP to a uvicorn started
on 127.0.0.1 (httpx, one keep-alive connection per client). Each client sends its next request as
soon as the previous one is answered; every response must be 200 with no GraphQL ``errors``.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

Send = Callable[[bytes, list[tuple[bytes, bytes]]], Awaitable[tuple[int, bytes]]]
LOOPBACK = "127.0.0.1"
HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Request:
    body: bytes
    headers: list[tuple[bytes, bytes]]


@dataclass(frozen=True)
class Measured:
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]
    first_error: str | None

    def summary(self) -> dict[str, Any]:
        ordered = sorted(self.latencies_ms)
        return {
            "requests": self.requests,
            "errors": self.errors,
            "seconds": round(self.seconds, 3),
            "lookups_per_s": round(self.requests / self.seconds, 1) if self.seconds else 0.0,
            "p50_ms": round(percentile(ordered, 50), 3),
            "p95_ms": round(percentile(ordered, 95), 3),
            "p99_ms": round(percentile(ordered, 99), 3),
            "first_error": self.first_error,
        }


def percentile(ordered: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile of sorted values (0 for none)."""
    if not ordered:
        return 0.0
    rank = max(1, -(-len(ordered) * pct // 100))
    return ordered[int(rank) - 1]


def asgi_sender(app: Any) -> Send:
    """Sends a POST /graphql straight into ``app``: the ASGI messages and nothing else."""

    async def send(body: bytes, headers: list[tuple[bytes, bytes]]) -> tuple[int, bytes]:
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
            "scheme": "http", "path": "/graphql", "raw_path": b"/graphql", "query_string": b"",
            "root_path": "", "client": (LOOPBACK, 40000), "server": (LOOPBACK, 80),
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                        *headers],
        }  # fmt: skip
        done = asyncio.Event()
        sent = False
        status = 0
        chunks: list[bytes] = []

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await done.wait()
            return {"type": "http.disconnect"}

        async def reply(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body"):
                    done.set()

        await app(scope, receive, reply)
        return status, b"".join(chunks)

    return send


async def measure(
    send: Send,
    requests: Sequence[Request],
    *,
    concurrency: int,
    max_requests: int,
    seconds: float,
    warmup: int,
    on_timed: Callable[[], None] | None = None,
) -> Measured:
    """``concurrency`` clients share at most ``max_requests`` requests and ``seconds`` of time, after
    ``warmup`` untimed requests (parser, validation and token caches, connections); ``on_timed`` is
    called when the timed part starts."""
    count = 0
    errors = 0
    first_error: str | None = None
    latencies: list[float] = []

    async def client(limit: int, deadline: float, timed: bool) -> None:
        # A closed-loop client issues its next request the moment the previous answer arrives, so its
        # latency runs from then: in process, the time until the event loop gets to the request is the
        # server's queueing, not the client's (a handler that never yields would otherwise hide it).
        nonlocal count, errors, first_error
        issued = time.perf_counter()
        while count < limit and issued < deadline:
            request = requests[count % len(requests)]
            count += 1
            await asyncio.sleep(0)  # let the other clients issue theirs, as a network round trip would
            status, payload = await send(request.body, request.headers)
            answered = time.perf_counter()
            elapsed = (answered - issued) * 1000
            issued = answered
            if status != 200 or b'"errors"' in payload:
                errors += 1
                first_error = first_error or f"{status} {payload[:300].decode(errors='replace')}"
            elif timed:
                latencies.append(elapsed)

    await asyncio.gather(*(client(warmup, time.perf_counter() + 30, False) for _ in range(concurrency)))
    count = 0
    if on_timed is not None:
        on_timed()
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(*(client(max_requests, deadline, True) for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    return Measured(count, errors, elapsed, latencies, first_error)


def http_sender(client: httpx.AsyncClient) -> Send:
    async def send(body: bytes, headers: list[tuple[bytes, bytes]]) -> tuple[int, bytes]:
        response = await client.post(
            "/graphql", content=body, headers=[(b"content-type", b"application/json"), *headers]
        )
        return response.status_code, response.content

    return send


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


@contextmanager
def uvicorn_server(variant: str, workers: int, env: dict[str, str]) -> Iterator[str]:
    """A uvicorn running ``request_apps:app_from_env`` for ``variant`` on a free loopback port."""
    port = free_port()
    command = [
        sys.executable, "-m", "uvicorn", "--factory", "request_apps:app_from_env", "--app-dir", str(HERE),
        "--host", LOOPBACK, "--port", str(port), "--workers", str(workers), "--log-level", "warning",
        "--no-access-log", "--no-server-header",
    ]  # fmt: skip
    process = subprocess.Popen(command, env={**os.environ, **env, "BENCH_VARIANT": variant})
    base = f"http://{LOOPBACK}:{port}"
    try:
        _wait_ready(base, process, workers)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_ready(base: str, process: subprocess.Popen[bytes], workers: int) -> None:
    """Until /healthz answers; with several workers, a little longer so that each has started."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"uvicorn exited with {process.returncode}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                time.sleep(1.0 * (workers - 1))
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError("uvicorn did not start within 60 s")


def graphql_body(query: str, variables: dict[str, Any]) -> bytes:
    return json.dumps({"query": query, "variables": variables}, separators=(",", ":")).encode()
