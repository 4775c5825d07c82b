"""The auditor's console in real headless Chromium against the real gateway under uvicorn: sign in
from a link, filter by one organisation and see exactly its events (as the API answers them), page
with the cursor, drill down from an anomaly flag, the head's signature and its consistency with the
head seen before verified in the browser, a tampered tree or head reported, and the export made in the
browser byte-identical with ``credit-gateway audit export``. No request leaves the gateway's origin,
the CSP header is present, and nothing is logged to the console."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from gateway.access.tokens import AgencyKind, Role
from gateway.api.app import create_app
from gateway.api.pages import CONTENT_SECURITY_POLICY
from gateway.audit.settings import AuditSettings
from tests.audit_helpers import PERSON_QUERY, connection, grant, partner, post
from tests.browser import DESKTOP, PHONE, Watched, assert_named, browser, open_disclosures, screenshot, watch
from tests.cli import run_cli
from tests.clock import Clock
from tests.gateway_fixtures import BANK_CODE, ZHANG, GatewayEnv, build_env
from tests.helpers import credit_code
from tests.server import running

__all__ = ["browser"]  # the module-scoped fixture
OTHER_CODE = credit_code("913700008888881")  # a partner without a consent: refused


def auditor_headers(env: GatewayEnv) -> dict[str, str]:
    return env.headers(Role.AUDITOR, subject="auditor-1")


EVENTS = """query($filter: AuditEventFilter, $after: String) {
  auditEvents(filter: $filter, first: 500, after: $after) { nodes { seq organization } pageInfo { endCursor hasNextPage } }
}"""


STATS = "{ auditStats { purposes { purpose events refusals } } }"


def chart_counts(label: str) -> list[tuple[int, int]]:
    """(events, refusals) of each bar, from a chart's text equivalent ("title: label n / m; …")."""
    return [(int(n), int(m)) for n, m in re.findall(r"(\d+) / (\d+)", label.split("：", 1)[1])]


@dataclass
class Console:
    env: GatewayEnv
    url: str
    client: httpx.Client
    browser: Any
    app: Any  # the gateway's Starlette app

    def open(self, viewport: dict[str, int] = DESKTOP) -> Watched:
        context = self.browser.new_context(viewport=viewport, locale="zh-CN", accept_downloads=True)
        watched = watch(context, self.url)
        token = self.env.token(Role.AUDITOR, subject="auditor-1")
        response = watched.page.goto(f"{self.url}/console/#token={token}")
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        watched.page.wait_for_selector('#console[data-ready="true"]')
        return watched

    def traffic(self, bank: int, refused: int) -> None:
        """``bank`` consented lookups by the bank, ``refused`` lookups by a partner without consent."""
        consent, _ = grant(self.client, self.env, ["IDENTITY", "RECORDS"], uses=bank or 1)
        variables = {"id": ZHANG.id_number, "consent": consent, "purpose": "FINANCIAL_SERVICE"}
        for _ in range(bank):
            assert post(self.client, PERSON_QUERY, variables, partner(self.env)).json()["data"]["person"]
        other = partner(self.env, OTHER_CODE, AgencyKind.FINANCE)
        for _ in range(refused):
            assert post(self.client, PERSON_QUERY, variables, other).json()["errors"]

    def api_events(self, flt: dict[str, Any]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        after = None
        while True:
            body = post(
                self.client, EVENTS, {"filter": flt, "after": after}, auditor_headers(self.env)
            ).json()
            page = body["data"]["auditEvents"]
            found += page["nodes"]
            if not page["pageInfo"]["hasNextPage"]:
                return found
            after = page["pageInfo"]["endCursor"]

    def settle(self) -> int:
        """Wait until the writer signed a head for every event; the tree's size."""
        deadline = time.monotonic() + 10
        while True:
            with connection(self.env.settings.database_url) as conn:
                size = conn.execute(text("SELECT size FROM audit_state")).scalar_one()
                head = conn.execute(text("SELECT max(tree_size) FROM audit_heads")).scalar_one()
            if head == size or time.monotonic() > deadline:
                return int(size)
            time.sleep(0.05)


@pytest.fixture
def console(tmp_path: Path, database_url: str, browser: Any) -> Iterator[Console]:
    env = build_env(tmp_path, database_url, audit=AuditSettings(head_every_events=1))
    app = create_app(env.settings)
    with running(app) as url, httpx.Client(base_url=url) as client:
        yield Console(env, url, client, browser, app)


def shown_seqs(page: Any) -> list[int]:
    return [
        int(s)
        for s in page.eval_on_selector_all("#events-table tbody tr", "rows => rows.map(r => r.dataset.seq)")
    ]


def wait_events(page: Any, click: str) -> None:
    page.click(click)
    page.wait_for_selector('#events[data-ready="true"]')


def test_filtering_by_one_organisation_shows_exactly_its_events_page_by_page(console: Console) -> None:
    console.traffic(bank=25, refused=10)
    watched = console.open()
    page = watched.page
    assert "token" not in page.url
    assert page.get_attribute("#head-status", "data-head") == "valid"

    expected = [e["seq"] for e in console.api_events({"organization": BANK_CODE})]
    assert len(expected) == 25
    page.fill("#f-organization", BANK_CODE)
    page.select_option("#f-size", "20")
    wait_events(page, "#filter-form button[type=submit]")
    assert shown_seqs(page) == expected[:20]
    orgs = page.eval_on_selector_all(
        "#events-table tbody tr", "rows => rows.map(r => r.dataset.organization)"
    )
    assert set(orgs) == {BANK_CODE}
    assert page.is_disabled("#page-previous") and not page.is_disabled("#page-next")
    wait_events(page, "#page-next")
    assert shown_seqs(page) == expected[20:]
    assert page.is_disabled("#page-next")
    wait_events(page, "#page-previous")
    assert shown_seqs(page) == expected[:20]

    # Counts: the organisation chart names both partners; the text equivalent carries the numbers.
    chart = page.get_attribute("#chart-organizations svg", "aria-label")
    assert BANK_CODE in chart and OTHER_CODE in chart
    # Per purpose and per hour: the whole range's counts from auditStats, not the 20 events shown.
    stats = post(console.client, STATS, {}, auditor_headers(console.env)).json()["data"]["auditStats"]
    lookups = next(p for p in stats["purposes"] if p["purpose"] == "FINANCIAL_SERVICE")
    assert (lookups["events"], lookups["refusals"]) == (35, 10)
    assert "FINANCIAL_SERVICE 35 / 10" in page.get_attribute("#chart-purposes svg", "aria-label")
    shown_total = int(page.get_attribute("#totals", "data-events"))
    hours = chart_counts(page.get_attribute("#chart-hours svg", "aria-label"))
    assert sum(events for events, _ in hours) == shown_total > 35  # every event of the range, in its hour
    assert sum(refused for _, refused in hours) == 10
    screenshot(page, "console")

    page.click("#language")
    assert page.text_content("#events-title") == "Audit events"
    page.click("#sign-out")
    assert page.evaluate("sessionStorage.length") == 0
    assert page.is_visible("#sign-in") and not page.is_visible("#console")
    watched.assert_clean()


def test_an_anomaly_flag_drills_down_to_its_callers_events(console: Console) -> None:
    console.traffic(bank=2, refused=10)  # ten refusals within minutes: a REFUSAL_BURST
    watched = console.open(viewport=PHONE)
    page = watched.page
    flag = page.wait_for_selector('#anomaly-list [data-kind="REFUSAL_BURST"]')
    caller = flag.get_attribute("data-caller")
    wait_events(page, '#anomaly-list [data-kind="REFUSAL_BURST"] [data-drill]')
    assert page.input_value("#f-callerId") == caller
    refused = [e["seq"] for e in console.api_events({"callerId": caller, "outcome": "REFUSED"})]
    assert len(refused) == 10
    assert shown_seqs(page) == refused  # the caller's events in the window: the refusals
    flagged = page.eval_on_selector_all("#events-table tr.flagged", "rows => rows.map(r => +r.dataset.seq)")
    assert flagged == refused
    screenshot(page, "console-anomaly")
    watched.assert_clean()


def test_the_head_and_its_consistency_are_verified_and_a_rewritten_log_is_reported(console: Console) -> None:
    console.traffic(bank=3, refused=0)
    console.settle()
    watched = console.open()
    page = watched.page
    assert page.get_attribute("#head-status", "data-head") == "valid"
    assert page.get_attribute("#consistency-status", "data-consistency") == "first"
    first = int(page.evaluate("JSON.parse(localStorage.getItem('credit-gateway.console.head')).treeSize"))

    console.traffic(bank=20, refused=2)  # more traffic: a new head, past a stored node of 16 leaves
    console.settle()
    page.click("#tree-refresh")
    page.wait_for_selector('#tree[data-ready="true"]')
    assert page.get_attribute("#head-status", "data-head") == "valid"
    assert page.get_attribute("#consistency-status", "data-consistency") == "verified"
    seen = int(page.evaluate("JSON.parse(localStorage.getItem('credit-gateway.console.head')).treeSize"))
    assert seen > first
    screenshot(page, "console-tree")

    # The stored tree after the head seen is rewritten (its node rows and leaf hashes): the new head is
    # genuine (signed from the writer's frontier), but no consistency proof joins it to the old one.
    console.traffic(bank=1, refused=1)
    console.settle()
    with connection(console.env.settings.database_url) as conn:
        conn.execute(text("UPDATE audit_nodes SET hash = :h"), {"h": bytes(32)})
        changed = conn.execute(
            text("UPDATE audit_events SET leaf_hash = :h WHERE seq >= :s"), {"h": bytes(32), "s": seen}
        )
        assert changed.rowcount >= 1
    page.click("#tree-refresh")
    page.wait_for_selector('#tree[data-ready="true"]')
    assert page.get_attribute("#head-status", "data-head") == "valid"
    assert page.get_attribute("#consistency-status", "data-consistency") == "failed"
    assert "PROOF_MISMATCH" in page.text_content("#consistency-status")
    # The failure is kept: the head seen before stays the one to check against.
    assert (
        int(page.evaluate("JSON.parse(localStorage.getItem('credit-gateway.console.head')).treeSize")) == seen
    )

    # A stored head whose root was changed no longer verifies with the audit key.
    console.settle()
    with connection(console.env.settings.database_url) as conn:
        conn.execute(
            text("UPDATE audit_heads SET root_hash = :h WHERE id = (SELECT max(id) FROM audit_heads)"),
            {"h": bytes(32)},
        )
    page.click("#tree-refresh")
    page.wait_for_selector('#tree[data-ready="true"]')
    assert page.get_attribute("#head-status", "data-head") == "invalid"
    assert "BAD_SIGNATURE" in page.text_content("#head-status")
    assert page.get_attribute("#consistency-status", "data-consistency") == "unchecked"
    watched.assert_clean()


def test_the_export_made_in_the_browser_is_the_clis_export_byte_for_byte(
    console: Console, tmp_path: Path
) -> None:
    console.traffic(bank=4, refused=3)
    watched = console.open()
    page = watched.page
    page.fill("#f-organization", BANK_CODE)
    wait_events(page, "#filter-form button[type=submit]")
    settings = console.env.settings
    for fmt in ("jsonl", "csv"):
        page.check(f'#export-form input[value="{fmt}"]')
        page.click("#export-build")
        link = page.wait_for_selector("#export-download")
        assert link.get_attribute("data-count") == "4"
        with page.expect_download() as info:
            link.click()
        made = Path(info.value.path()).read_bytes()
        out = tmp_path / f"cli.{fmt}"
        done = run_cli(
            "audit", "export", "--format", fmt, "--organization", BANK_CODE, "--output", str(out),
            keyring=settings.keyring_path, database_url=settings.database_url,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert made == out.read_bytes(), fmt
        assert info.value.suggested_filename == f"audit-events.{fmt}"
    watched.assert_clean()


def test_every_control_has_an_accessible_name_and_every_chart_a_text_alternative(console: Console) -> None:
    """Read from the browser's accessibility tree, signed out and signed in with every part drawn."""
    context = console.browser.new_context(viewport=DESKTOP, locale="zh-CN")
    watched = watch(context, console.url)
    watched.page.goto(f"{console.url}/console/")
    watched.page.wait_for_selector("#sign-in:not([hidden])")
    assert_named(watched.page, roles={"textbox", "button"})
    watched.assert_clean()

    console.traffic(bank=2, refused=10)  # a flag, with its drill-down button
    watched = console.open()
    page = watched.page
    page.wait_for_selector('#anomaly-list [data-kind="REFUSAL_BURST"]')
    page.click("#export-build")
    page.wait_for_selector("#export-download")
    open_disclosures(page)
    tree = assert_named(page, roles={"textbox", "combobox", "button", "radio", "img", "link"})
    charts = page.eval_on_selector_all(
        ".chart svg", "charts => charts.map(c => c.getAttribute('aria-label'))"
    )
    assert len(charts) == 4 and all(f'img "{label}"' in tree for label in charts)
    watched.assert_clean()


def test_past_three_days_of_hours_the_time_chart_counts_per_china_day(console: Console) -> None:
    """80 hours with events: the chart shows China days, whose counts add up to the total."""
    start = datetime(2026, 3, 9, 16, 0, tzinfo=UTC)  # midnight in China
    clock = Clock(start)
    console.app.state.gateway.auditor.clock = clock  # events stamped an hour apart
    for hour in range(80):
        clock.now = start + timedelta(hours=hour)
        post(console.client, "{ __typename }")
    watched = console.open()  # its own requests: at the last hour
    page = watched.page
    label = page.get_attribute("#chart-hours svg", "aria-label")
    assert label.startswith("按日")
    days = re.findall(r"(2026-03-\d\d) (\d+) / 0", label)
    assert [day for day, _ in days] == ["2026-03-10", "2026-03-11", "2026-03-12", "2026-03-13"]
    assert [int(n) for _, n in days][:3] == [24, 24, 24]
    assert sum(int(n) for _, n in days) == int(page.get_attribute("#totals", "data-events"))
    watched.assert_clean()
