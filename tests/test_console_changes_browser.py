"""The auditor's console and the change events, in real headless Chromium against the real gateway:
the auditor filters changes apart from reads and sees exactly the change events (kind, actor, changed
subjects, detail), one kind of change alone, a record's versions with who made each, the
``LAWFUL_ACCESS`` flag labelled and drilled down to its lookups, and the export of change events
byte-identical with ``credit-gateway audit export --class/--change``. The CSP header is present, no
request leaves the gateway's origin, nothing is logged to the console, and every control is named."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gateway.access.tokens import AgencyKind, Role
from tests.audit_helpers import post
from tests.browser import DESKTOP, PHONE, assert_named, browser, screenshot
from tests.cli import run_cli
from tests.gateway_fixtures import BANK_CODE, COMPANY, MARKET, ZHANG
from tests.helpers import credit_code
from tests.test_console_browser import Console, auditor_headers, console, shown_seqs, wait_events

__all__ = ["browser", "console"]  # the fixtures
NEW = "菏市监罚〔2026〕9号"
COURT_CODE = credit_code("113717020000421")
ENFORCEMENT = {
    "law": "中华人民共和国民事诉讼法",
    "article": "第二百五十五条",
    "reference": "(2026)鲁1702执123号",
    "purpose": "ENFORCEMENT",
}
SUBMIT = """
mutation($records: [RecordSubmission!]!) { submitRecords(records: $records) { created updated } }"""
ORG = "query($code: String!) { organization(creditCode: $code) { records { id documentNumber } } }"
FILE = """
mutation($id: ID!) { fileObjection(input: {recordId: $id, reason: "金额有误", evidence: "缴款凭证"}) { id } }"""
LAWFUL = """
query($id: String!, $basis: LegalBasisInput) { person(idNumber: $id, legalBasis: $basis) { name } }"""
CHANGES = """query($filter: AuditEventFilter) {
  auditEvents(filter: $filter, first: 500) {
    nodes { seq eventClass change organization role changedSubjects changeDetail }
  }
}"""
ANOMALIES = "{ auditAnomalies { kind organization callerId seqs } }"


def submission(content: str) -> dict[str, Any]:
    return {
        "subjectCreditCode": COMPANY.credit_code, "category": "ADMINISTRATIVE_PENALTY", "documentNumber": NEW,
        "authorityCode": MARKET.credit_code, "decisionDate": "2026-03-05", "content": content,
        "severity": "GENERAL",
    }  # fmt: skip


def make_changes(c: Console) -> str:
    """A record submitted, then resubmitted changed (two versions), and an objection against it filed
    by a partner (as in tests/test_change_audit.py), among ordinary lookups; the new record's id."""
    c.traffic(bank=3, refused=2)
    market = c.env.headers(Role.PROVIDER, org_code=MARKET.credit_code)
    for content in ("未按规定公示年报", "未按规定公示年报，罚款2千元"):
        assert post(c.client, SUBMIT, {"records": [submission(content)]}, market).json()["data"]
    admin = c.env.headers(Role.ADMIN, subject="admin-1")
    records = post(c.client, ORG, {"code": COMPANY.credit_code}, admin).json()["data"]["organization"]
    record_id = next(r["id"] for r in records["records"] if r["documentNumber"] == NEW)
    partner = c.env.headers(Role.PARTNER, org_code=BANK_CODE, agency_kind=AgencyKind.FINANCE)
    assert post(c.client, FILE, {"id": record_id}, partner).json()["data"]["fileObjection"]
    return record_id


def api_changes(c: Console, flt: dict[str, Any]) -> list[dict[str, Any]]:
    return post(c.client, CHANGES, {"filter": flt}, auditor_headers(c.env)).json()["data"]["auditEvents"][
        "nodes"
    ]


def apply_filter(page: Any, event_class: str, change: str = "") -> None:
    page.select_option("#f-eventClass", event_class)
    page.select_option("#f-change", change)
    page.select_option("#f-size", "500")
    wait_events(page, "#filter-form button[type=submit]")


def test_the_auditor_filters_changes_apart_from_reads_and_sees_exactly_the_change_events(
    console: Console,
) -> None:
    make_changes(console)
    expected = api_changes(console, {"eventClass": "CHANGE"})
    assert [e["change"] for e in expected] == ["RECORDS_SUBMITTED", "RECORDS_SUBMITTED", "OBJECTION_FILED"]
    watched = console.open()
    page = watched.page

    apply_filter(page, "CHANGE")
    assert shown_seqs(page) == [e["seq"] for e in expected]
    rows = page.query_selector_all("#events-table tbody tr")
    for row, event in zip(rows, expected, strict=True):
        assert (row.get_attribute("data-class"), row.get_attribute("data-change")) == (
            "CHANGE",
            event["change"],
        )
        cells = [c.text_content() for c in row.query_selector_all("td")]
        assert cells[1] == {"RECORDS_SUBMITTED": "报送记录", "OBJECTION_FILED": "提出异议"}[event["change"]]
        assert row.query_selector("code.detail").text_content() == event["changeDetail"]
        changed = row.query_selector_all("td:nth-child(13) [aria-label]")  # shortened on screen, whole here
        assert (
            [c.get_attribute("aria-label") for c in changed]
            == event["changedSubjects"]
            == [console.env.ids["company"]]
        )
    # The actor: the provider that submitted, the partner that objected.
    assert [r.get_attribute("data-organization") for r in rows][:2] == [MARKET.credit_code] * 2
    detail = json.loads(rows[0].query_selector("code.detail").text_content())
    assert (detail["created"], detail["updated"]) == (1, 0)
    screenshot(page, "console-changes")

    apply_filter(page, "REQUEST")
    shown = shown_seqs(page)
    requests = [e["seq"] for e in console.api_events({"eventClass": "REQUEST"})]  # later reads too
    assert len(shown) > 5 and requests[: len(shown)] == shown
    classes = page.eval_on_selector_all("#events-table tbody tr", "rows => rows.map(r => r.dataset.class)")
    assert set(classes) == {"REQUEST"} and not set(shown_seqs(page)) & {e["seq"] for e in expected}

    apply_filter(page, "", "OBJECTION_FILED")
    assert shown_seqs(page) == [expected[2]["seq"]]

    page.click("#language")
    assert page.text_content("#events-table tbody tr td:nth-child(3)") == "objection filed"
    watched.assert_clean()


def test_a_record_history_shows_its_versions_with_who_made_each(console: Console) -> None:
    record_id = make_changes(console)
    watched = console.open(viewport=PHONE)
    page = watched.page
    page.fill("#h-recordId", record_id)
    page.click("#history-form button[type=submit]")
    page.wait_for_selector("#history-table")
    versions = page.eval_on_selector_all(
        "#history-table tbody tr",
        "rows => rows.map(r => [+r.dataset.version, r.dataset.madeBy, r.dataset.current])",
    )
    assert versions == [[1, MARKET.credit_code, "false"], [2, MARKET.credit_code, "true"]]
    reasons = page.eval_on_selector_all(
        "#history-table tbody tr td:nth-child(4)", "cells => cells.map(c => c.textContent)"
    )
    assert reasons == ["received", "resubmitted by provider"]
    assert "content" in page.text_content('#history-table tr[data-version="2"]')  # the field it changed
    screenshot(page, "console-history")

    page.fill("#h-recordId", "0" * 32)
    page.click("#history-form button[type=submit]")
    page.wait_for_selector("#history-none")
    assert "0" * 32 in page.text_content("#history-none")
    watched.assert_clean()


def test_a_lawful_access_flag_is_labelled_and_drills_down_to_its_lookups(console: Console) -> None:
    court = console.env.headers(
        Role.PARTNER, org_code=COURT_CODE, agency_kind=AgencyKind.COURT, subject="court-1"
    )
    for _ in range(2):
        answer = post(console.client, LAWFUL, {"id": ZHANG.id_number, "basis": ENFORCEMENT}, court).json()
        assert answer["data"]["person"]["name"] == ZHANG.name
    console.traffic(bank=2, refused=0)  # other callers' lookups in the same minutes
    flags = post(console.client, ANOMALIES, {}, auditor_headers(console.env)).json()["data"]["auditAnomalies"]
    [flag] = [f for f in flags if f["kind"] == "LAWFUL_ACCESS"]
    assert flag["organization"] == COURT_CODE and len(flag["seqs"]) == 2

    watched = console.open()
    page = watched.page
    item = '#anomaly-list [data-kind="LAWFUL_ACCESS"]'
    assert page.text_content(f"{item} h3") == "依法免授权查询（按法律依据）"
    assert "中华人民共和国民事诉讼法 第二百五十五条 (2026)鲁1702执123号" in page.text_content(item)
    wait_events(page, f"{item} [data-drill]")
    assert page.input_value("#f-callerId") == flag["callerId"]
    assert shown_seqs(page) == flag["seqs"]  # the court's lookups in the window, and nothing else
    flagged = page.eval_on_selector_all("#events-table tr.flagged", "rows => rows.map(r => +r.dataset.seq)")
    assert flagged == flag["seqs"]
    assert set(
        page.eval_on_selector_all("#events-table tbody tr", "rows => rows.map(r => r.dataset.organization)")
    ) == {COURT_CODE}
    watched.assert_clean()


def test_the_export_of_change_events_is_the_clis_byte_for_byte(console: Console, tmp_path: Path) -> None:
    make_changes(console)
    watched = console.open()
    page = watched.page
    settings = console.env.settings
    for event_class, change, count in (("CHANGE", "", 3), ("", "RECORDS_SUBMITTED", 2)):
        apply_filter(page, event_class, change)
        options = ["--class", event_class] if event_class else ["--change", "records.submitted"]
        for fmt in ("jsonl", "csv"):
            page.check(f'#export-form input[value="{fmt}"]')
            page.click("#export-build")
            link = page.wait_for_selector("#export-download")
            assert link.get_attribute("data-count") == str(count)
            with page.expect_download() as info:
                link.click()
            made = Path(info.value.path()).read_bytes()
            out = tmp_path / f"cli-{count}.{fmt}"
            done = run_cli(
                "audit", "export", "--format", fmt, *options, "--output", str(out),
                keyring=settings.keyring_path, database_url=settings.database_url,
            )  # fmt: skip
            assert done.returncode == 0, done.stderr
            assert made == out.read_bytes(), (options, fmt)
    watched.assert_clean()


def test_the_change_filter_and_the_record_history_are_named_for_assistive_technology(
    console: Console,
) -> None:
    record_id = make_changes(console)
    watched = console.open(viewport=DESKTOP)
    page = watched.page
    apply_filter(page, "CHANGE")
    page.fill("#h-recordId", record_id)
    page.click("#history-form button[type=submit]")
    page.wait_for_selector("#history-table")
    tree = assert_named(page, roles={"combobox", "textbox", "button", "columnheader", "rowheader"})
    assert 'combobox "事件类别"' in tree and 'combobox "变更类型"' in tree and 'textbox "记录编号"' in tree
    watched.assert_clean()
