"""``auditStats`` per purpose and per UTC hour over real HTTP: the counts are those of every event the
same time range selects, read back page by page through ``auditEvents``, not those of one page."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.access.tokens import Role
from gateway.api.app import create_app
from gateway.domain import AgencyKind
from tests.audit_helpers import PERSON_QUERY, grant, partner, post
from tests.clock import Clock
from tests.gateway_fixtures import LI, MARKET, ZHANG, GatewayEnv, build_env
from tests.server import running

START = datetime(2026, 3, 11, 22, 40, tzinfo=UTC)  # 06:40 in China; the traffic crosses UTC midnight
PAGE = 4  # auditEvents' page size here: the range holds several pages
EVENTS = """query($filter: AuditEventFilter, $first: Int!, $after: String) {
  auditEvents(filter: $filter, first: $first, after: $after) {
    nodes { seq time purpose outcome } pageInfo { endCursor hasNextPage } } }"""
STATS = """query($from: DateTime, $to: DateTime) {
  auditStats(from: $from, to: $to) {
    events refusals purposes { purpose events refusals } hours { hour events refusals } } }"""


@dataclass
class Served:
    env: GatewayEnv
    client: httpx.Client
    clock: Clock  # the time the audit events are stamped with

    def ask(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        body = post(self.client, query, variables, self.env.headers(Role.AUDITOR, subject="auditor-1")).json()
        assert "errors" not in body, body["errors"]
        return body["data"]

    def events(self, flt: dict[str, Any] | None) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        after = None
        while True:
            page = self.ask(EVENTS, {"filter": flt, "first": PAGE, "after": after})["auditEvents"]
            found += page["nodes"]
            if not page["pageInfo"]["hasNextPage"]:
                return found
            after = page["pageInfo"]["endCursor"]


@pytest.fixture
def served(tmp_path: Path, database_url: str) -> Iterator[Served]:
    env = build_env(tmp_path, database_url)
    clock = Clock(START)
    app = create_app(env.settings)
    app.state.gateway.auditor.clock = clock  # events stamped at chosen times, hours apart
    with running(app) as base, httpx.Client(base_url=base, timeout=10) as client:
        yield Served(env, client, clock)


def traffic(served: Served) -> None:
    """Lookups in four UTC hours, two days: consented (FINANCIAL_SERVICE), refused for want of a
    consent (ADMINISTRATIVE_LICENSING), by the wrong grantee, and public reads with no purpose."""
    env, client = served.env, served.client
    token, _ = grant(client, env, ["IDENTITY"], uses=50)
    market = partner(env, org=MARKET.credit_code, kind=AgencyKind.MARKET_REGULATION)
    for minutes, consented, refused, public in ((0, 2, 1, 1), (15, 3, 0, 0), (70, 1, 2, 2), (200, 4, 1, 1)):
        served.clock.now = START + timedelta(minutes=minutes)
        for _ in range(consented):
            variables = {"id": ZHANG.id_number, "consent": token, "purpose": "FINANCIAL_SERVICE"}
            assert post(client, PERSON_QUERY, variables, partner(env)).json()["data"]["person"]
        for _ in range(refused):
            variables = {"id": LI.id_number, "purpose": "ADMINISTRATIVE_LICENSING"}
            assert post(client, PERSON_QUERY, variables, market).json()["errors"]
        for _ in range(public):
            post(client, "{ __typename }")
    served.clock.now = START + timedelta(days=1)  # the auditor's own requests: after every range asked


def hour_of(iso: str) -> str:
    moment = datetime.fromisoformat(iso).astimezone(UTC)
    return moment.replace(minute=0, second=0, microsecond=0).isoformat()


def counted(events: list[dict[str, Any]], key: str) -> dict[Any, tuple[int, int]]:
    """(events, refusals) per value of ``key`` ("purpose", or "hour" of the event's time)."""
    values = [hour_of(e["time"]) if key == "hour" else e[key] for e in events]
    total = Counter(values)
    refused = Counter(v for v, e in zip(values, events, strict=True) if e["outcome"] == "REFUSED")
    return {v: (n, refused[v]) for v, n in total.items()}


def test_counts_per_purpose_and_hour_are_those_of_every_event_in_the_range(served: Served) -> None:
    traffic(served)
    window = {
        "from": (START + timedelta(minutes=10)).isoformat(),
        "to": (START + timedelta(hours=5)).isoformat(),
    }
    stats = served.ask(STATS, window)["auditStats"]
    in_range = served.events(window)
    assert len(in_range) > 3 * PAGE  # read back over several pages, as a console page would not show
    assert stats["events"] == len(in_range) == sum(p["events"] for p in stats["purposes"])

    # The same events found by reading the whole log and keeping those of the range by their time.
    everything = served.events(None)
    start, end = (datetime.fromisoformat(window[k]) for k in ("from", "to"))
    assert [e["seq"] for e in everything if start <= datetime.fromisoformat(e["time"]) < end] == [
        e["seq"] for e in in_range
    ]
    by_purpose = {p["purpose"]: (p["events"], p["refusals"]) for p in stats["purposes"]}
    assert by_purpose == counted(in_range, "purpose")
    assert by_purpose["ADMINISTRATIVE_LICENSING"] == (3, 3) and by_purpose[None][1] == 0
    by_hour = {hour_of(h["hour"]): (h["events"], h["refusals"]) for h in stats["hours"]}
    assert by_hour == counted(in_range, "hour")
    assert (
        list(by_hour)
        == sorted(by_hour)
        == [
            "2026-03-11T22:00:00+00:00",
            "2026-03-11T23:00:00+00:00",
            "2026-03-12T02:00:00+00:00",
        ]
    )  # fmt: skip (those at 22:40 are before the range; no event at 00:00 or 01:00)
    assert [datetime.fromisoformat(h["hour"]).utcoffset() for h in stats["hours"]] == [timedelta(0)] * 3
