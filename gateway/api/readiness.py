"""``/healthz`` (the process answers) and ``/readyz`` (it can serve: database reachable and at this
code's schema revision, the policy in force is the one on disk, the audit log writable).

A problem's reason goes to the log, not to the probe's caller. Warnings (``warnings``: code and
message) do not make the gateway unready: today, the holiday calendar ending within 90 days
(HOLIDAY_CALENDAR_ENDED, gateway/workdays.py).
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gateway.errors import HolidayCalendarEnded
from gateway.lifecycle.rules.periods import today_in_china
from gateway.store import db

if TYPE_CHECKING:
    from gateway.api.app import Gateway

log = logging.getLogger("gateway.api")

# Below this much free space on a SQLite store's filesystem the gateway is not ready. The log's
# probe cannot see a full disk there: its no-op commit rewrites a frame the write-ahead log already
# holds, while an append needs new pages. An append takes a few pages; this is hundreds of them.
MIN_FREE_BYTES = 1 << 20


def sqlite_disk_full(database_url: str) -> bool:
    """Whether a SQLite store's filesystem has less than MIN_FREE_BYTES free (never for PostgreSQL,
    whose server's disk is not ours to read: a commit it refuses is what the probe meets)."""
    path = db.sqlite_file(database_url)
    if path is None:
        return False
    name = str(path)
    folder = Path(name.removeprefix("file:")).parent  # a URI filename (``sqlite:///file:…?uri=true``)
    try:
        return shutil.disk_usage(folder).free < MIN_FREE_BYTES
    except OSError:
        return False  # a folder that cannot be read is the connection's problem, reported above


async def healthz(_request: Request) -> Response:
    return JSONResponse({"status": "alive"})


class Readiness:
    """Reads the gateway's engine and committer at each probe, as the endpoint does."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway

    async def readyz(self, _request: Request) -> Response:
        problems = await run_in_threadpool(self.problems)
        warnings = self.warnings()
        extra = {"warnings": warnings} if warnings else {}
        if problems:
            return JSONResponse({"status": "not ready", "problems": problems, **extra}, status_code=503)
        return JSONResponse({"status": "ready", **extra})

    def warnings(self) -> list[dict[str, str]]:
        services = self.gateway.services
        message = services.calendar.coverage_warning(today_in_china(services.clock()))
        return [{"code": HolidayCalendarEnded.code, "message": message}] if message else []

    def problems(self) -> list[str]:
        gateway = self.gateway
        problems: list[str] = []
        try:
            with gateway.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
                revision = db.current_revision(conn)
        except Exception:
            log.exception("database unreachable")
            problems.append("database unreachable")
        else:
            # Reachable is not usable: SQLite creates a missing file on connect, and a schema behind the
            # code fails every query.
            if revision is None:
                problems.append("database schema missing: run 'credit-gateway db upgrade'")
            elif revision != gateway.schema_revision:
                problems.append(
                    f"database schema at revision {revision}, this gateway needs {gateway.schema_revision}: "
                    "run 'credit-gateway db upgrade'"
                )
        database_usable = not problems
        if problems:
            gateway.dispose()  # the next probe, and the next request, connect afresh
        if gateway.services.policy.last_error is not None:
            problems.append("policy reload failed; serving the last valid policy")
        # While the database is usable the log is probed on every call, not only after a failed
        # append: a server that started on a read-only database, or whose disk filled since its last
        # answer, has not failed a write yet. (An unusable database is already the reason.)
        if (database_usable or not gateway.committer.healthy) and not gateway.committer.probe():
            problems.append("audit log cannot be written; requests are refused")
        elif sqlite_disk_full(gateway.settings.database_url):
            problems.append("disk full under the database; requests are refused")
        return problems
