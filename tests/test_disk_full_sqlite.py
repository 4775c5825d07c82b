"""A full disk under a running gateway on SQLite, over real HTTP: every request fails closed with a
stable code and no data, /readyz says not ready, nothing already stored is lost or half-written, and
once space is freed the same process answers again; every answer that left has its audit event.

The disk is a real size-limited filesystem (tmpfs) mounted for the test, filled by a file until the
kernel answers ENOSPC: the write path meets the same error a full volume gives. Mounting needs root
(CI runs as root); elsewhere the test is skipped.
"""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select, text

from gateway.api.app import create_app
from gateway.audit.heads import audit_public_keys
from gateway.audit.models import AuditEvent
from gateway.audit.verify import verify_log
from tests.audit_helpers import connection
from tests.gateway_fixtures import COMPANY, build_env
from tests.server import running

ORG = "query($c: String!) { organization(creditCode: $c) { name records { documentNumber } } }"
REFUSED_CODES = {"AUDIT_UNAVAILABLE", "DATABASE_UNAVAILABLE"}


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip("mounting a size-limited filesystem needs root")
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)], capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(disk: Path) -> Path:
    """Write zeros until the filesystem refuses even one more block; the file that took the space."""
    filler = disk / "filler"
    descriptor = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        for size in (1 << 20, 1 << 16, 1 << 12, 1 << 9):
            while True:
                try:
                    os.write(descriptor, b"\0" * size)
                except OSError as exc:
                    assert exc.errno == errno.ENOSPC, exc
                    break
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    return filler


def _ask(http: httpx.Client) -> httpx.Response:
    return http.post("/graphql", json={"query": ORG, "variables": {"c": COMPANY.credit_code}})


def test_a_full_disk_fails_every_request_closed_and_the_gateway_recovers_when_space_returns(
    tmp_path: Path, small_disk: Path
) -> None:
    url = f"sqlite:///{small_disk / 'credit.db'}"
    env = build_env(tmp_path, url)
    answered: list[int] = []
    with running(create_app(env.settings)) as base, httpx.Client(base_url=base, timeout=30) as http:
        before = _ask(http)
        assert before.status_code == 200 and before.json()["data"]["organization"]["name"] == COMPANY.name
        answered.append(int(before.headers["X-Audit-Sequence"]))

        filler = _fill(small_disk)
        for _ in range(5):
            refused = _ask(http)
            assert refused.status_code == 503, refused.text
            body = refused.json()
            assert body.get("data") is None and COMPANY.name not in refused.text
            assert body["errors"][0]["extensions"]["code"] in REFUSED_CODES
            assert "X-Audit-Sequence" not in refused.headers
        assert http.get("/readyz").status_code == 503
        assert http.get("/healthz").status_code == 200  # alive, only not ready

        filler.unlink()  # the operator frees space; no restart
        assert http.get("/readyz").status_code == 200
        after = _ask(http)
        assert after.status_code == 200 and after.json()["data"] == before.json()["data"]
        answered.append(int(after.headers["X-Audit-Sequence"]))

    with connection(url) as conn:
        assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        stored = set(conn.execute(select(AuditEvent.seq)).scalars())
        assert set(answered) <= stored  # every answer that left has its event
        assert conn.execute(select(func.count()).select_from(AuditEvent)).scalar() == len(stored)
        report = verify_log(conn, audit_public_keys(env.keyring))
        assert report.ok, report.finding
