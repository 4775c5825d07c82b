"""Runs ``credit-gateway serve`` for real, in a child process (with ``--workers N`` worker processes
under uvicorn's supervisor), so that tests can load it over HTTP and kill one of its workers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from gateway.settings import Settings
from tests.server import free_port

SCRIPT = Path(sys.executable).with_name("credit-gateway")


def gateway_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment of a ``credit-gateway`` child process serving ``settings``' store."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    environ.update(
        {
            "GATEWAY_DATABASE_URL": settings.database_url,
            "GATEWAY_KEYRING": str(settings.keyring_path),
            "GATEWAY_POLICY_DIR": str(settings.policy_dir),
            "GATEWAY_RATE_PER_SECOND": str(settings.rate_per_second),
            "GATEWAY_RATE_BURST": str(settings.rate_burst),
            "NO_COLOR": "1",
        }
    )
    environ.update({f"GATEWAY_{name.upper()}": value for name, value in extra.items()})
    return environ


@dataclass
class Served:
    url: str
    process: subprocess.Popen[bytes]

    def workers(self) -> list[int]:
        """Process ids of the serving workers: the supervisor's children that are still alive."""
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                command = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2 :].split()
            # uvicorn's workers are spawned processes; multiprocessing's resource tracker is not one
            if int(fields[1]) == self.process.pid and fields[0] not in "ZX" and b"spawn_main" in command:
                found.append(int(entry.name))
        return sorted(found)


@contextmanager
def serving(environ: dict[str, str], *, workers: int = 1, log: Path | None = None) -> Iterator[Served]:
    """``credit-gateway serve --workers N`` on a free loopback port, ready when every worker is."""
    port = free_port()
    out = open(log, "wb") if log else subprocess.DEVNULL
    process = subprocess.Popen(
        [str(SCRIPT), "serve", "--port", str(port), "--workers", str(workers)],
        env=environ,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    served = Served(f"http://127.0.0.1:{port}", process)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"serve exited with {process.returncode}")
            try:
                if httpx.get(f"{served.url}/healthz", timeout=1).status_code == 200 and (
                    len(served.workers()) >= workers if workers > 1 else True
                ):
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("serve did not start")
            time.sleep(0.1)
        yield served
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if log:
            out.close()  # type: ignore[union-attr]
