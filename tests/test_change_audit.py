"""Every change audited: submissions, corrections, list changes, objection decisions, imports and key
rotations each write change events, with the actor, into the same log as the queries; ``audit verify``
covers them; the auditor filters them apart from reads; a record's history says who made each
version. Over real HTTP and through the installed command."""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from gateway.access.policy import RELOAD_CHECK_INTERVAL
from gateway.audit.heads import audit_public_keys
from gateway.audit.models import AuditHead
from gateway.audit.verify import verify_log
from gateway.keys.keyring import load_keyring
from gateway.store import db
from tests.audit_helpers import connection, events
from tests.cli import run_cli
from tests.clock import Clock
from tests.gateway_fixtures import COMPANY, MARKET, REPO, build_env
from tests.gql import Served, serve
from tests.import_helpers import DATA

SERIOUS = "菏市监罚〔2026〕1号"
NEW = "菏市监罚〔2026〕9号"
SUBMIT = """
mutation($records: [RecordSubmission!]!) { submitRecords(records: $records) { created updated } }"""
ORG = """
query($code: String!) {
  organization(creditCode: $code) { records { id documentNumber } listEntries { id listName } }
}"""
LIST = """
mutation($records: [ID!]!) {
  listSubject(input: {kind: BLACK, listName: "食品安全严重违法失信名单", reason: "严重违法",
                      records: $records}) { id }
}"""
DELIST = 'mutation($id: ID!) { delistSubject(input: {entryId: $id, reason: "移出"}) { status } }'
FILE = """
mutation($id: ID!) { fileObjection(input: {recordId: $id, reason: "金额有误", evidence: "缴款凭证"}) { id } }"""
CORRECT = """
mutation($id: ID!) {
  resolveObjection(input: {objectionId: $id, outcome: CORRECTED, reason: "更正金额",
                           correction: {content: "未按规定公示年报，罚款1千元"}}) { recordVersion }
}"""
FILE_LIST = """
mutation($id: ID!) { fileListObjection(input: {entryId: $id, reason: "错误", evidence: "材料"}) { id } }"""
RESOLVE_LIST = """
mutation($id: ID!) {
  resolveListObjection(input: {objectionId: $id, outcome: UPHELD, reason: "维持"}) { status }
}"""
EVENTS = """
query($filter: AuditEventFilter) {
  auditEvents(filter: $filter, first: 200) {
    nodes { eventClass change role organization callerId requestId changedSubjects changeDetail rootFields }
  }
}"""
HISTORY = """
query($id: ID!) {
  recordHistory(recordId: $id) { version madeBy reason status changedFields current }
}"""


@pytest.fixture
def served(tmp_path: Path, database_url: str) -> Iterator[Served]:
    env = build_env(tmp_path, database_url)
    with serve(env, Clock(datetime(2026, 3, 12, 2, 0, tzinfo=UTC))) as s:
        yield s


def submission(content: str) -> dict[str, Any]:
    return {
        "subjectCreditCode": COMPANY.credit_code, "category": "ADMINISTRATIVE_PENALTY", "documentNumber": NEW,
        "authorityCode": MARKET.credit_code, "decisionDate": "2026-03-05", "content": content,
        "severity": "GENERAL",
    }  # fmt: skip


def company(s: Served) -> dict[str, Any]:
    return s.data(ORG, {"code": COMPANY.credit_code}, s.admin())["organization"]


def record_id(s: Served, document: str) -> str:
    return next(r["id"] for r in company(s)["records"] if r["documentNumber"] == document)


def audit_events(s: Served, **criteria: Any) -> list[dict[str, Any]]:
    return s.data(EVENTS, {"filter": criteria or None}, s.auditor())["auditEvents"]["nodes"]


def make_every_api_change(s: Served) -> None:
    market = s.provider(MARKET.credit_code)
    s.data(SUBMIT, {"records": [submission("未按规定公示年报")]}, market)
    s.data(SUBMIT, {"records": [submission("未按规定公示年报，罚款2千元")]}, market)  # a second version
    objection = s.data(FILE, {"id": record_id(s, NEW)}, s.partner())["fileObjection"]
    s.data(CORRECT, {"id": objection["id"]}, market)
    entry = s.data(LIST, {"records": [record_id(s, SERIOUS)]}, market)["listSubject"]
    s.data(DELIST, {"id": entry["id"]}, market)
    blacklist = next(e for e in company(s)["listEntries"] if e["listName"] == "严重违法失信名单")
    list_objection = s.data(FILE_LIST, {"id": blacklist["id"]}, s.individual())["fileListObjection"]
    s.data(RESOLVE_LIST, {"id": list_objection["id"]}, market)


def test_each_change_over_the_api_is_an_event_with_its_actor_and_the_log_verifies(served: Served) -> None:
    make_every_api_change(served)
    changes = audit_events(served, eventClass="CHANGE")
    assert [e["change"] for e in changes] == [
        "RECORDS_SUBMITTED", "RECORDS_SUBMITTED", "OBJECTION_FILED", "OBJECTION_RESOLVED", "LIST_LISTED",
        "LIST_DELISTED", "LIST_OBJECTION_FILED", "LIST_OBJECTION_RESOLVED",
    ]  # fmt: skip
    company_id = served.env.ids["company"]
    assert all(e["eventClass"] == "CHANGE" and e["changedSubjects"] == [company_id] for e in changes)
    by_provider = [e for e in changes if e["role"] == "provider"]
    assert len(by_provider) == 6 and {e["organization"] for e in by_provider} == {MARKET.credit_code}
    assert [e["role"] for e in changes if e["change"].endswith("_FILED")] == ["partner", "individual"]
    submitted = json.loads(changes[0]["changeDetail"])
    assert (submitted["created"], submitted["updated"]) == (1, 0)
    assert submitted["records"] == {company_id: [record_id(served, NEW)]}
    resolved = json.loads(changes[3]["changeDetail"])
    assert (resolved["outcome"], resolved["record_version"]) == ("CORRECTED", 3)

    # Each change shares its request id with the request event of the mutation that made it.
    requests = audit_events(served, eventClass="REQUEST")
    assert all(e["eventClass"] == "REQUEST" and e["change"] is None for e in requests)
    mutation_requests = {e["requestId"] for e in requests if e["rootFields"] and e["rootFields"][0] in {
        "submitRecords", "fileObjection", "resolveObjection", "listSubject", "delistSubject",
        "fileListObjection", "resolveListObjection",
    }}  # fmt: skip
    assert {e["requestId"] for e in changes} == mutation_requests
    assert [e["change"] for e in audit_events(served, change="LIST_LISTED")] == ["LIST_LISTED"]

    url = served.env.settings.database_url
    with connection(url) as conn:
        report = verify_log(conn, audit_public_keys(served.env.keyring))
    assert report.ok and report.events == len(events(url))


def test_a_record_history_shows_who_made_each_version(served: Served) -> None:
    make_every_api_change(served)
    history = served.data(HISTORY, {"id": record_id(served, NEW)}, served.auditor())["recordHistory"]
    assert [(v["version"], v["madeBy"], v["status"], v["current"]) for v in history] == [
        (1, MARKET.credit_code, "ACTIVE", False),
        (2, MARKET.credit_code, "UNDER_OBJECTION", False),
        (3, MARKET.credit_code, "CORRECTED", True),
    ]
    assert [v["reason"] for v in history][:2] == ["received", "resubmitted by provider"]
    assert history[2]["reason"].startswith("objection ") and history[2]["reason"].endswith("更正金额")
    # A procedure's status (UNDER_OBJECTION) changes the version in force in place; the correction
    # made the next version.
    assert history[1]["changedFields"] == ["content", "status"]
    assert history[2]["changedFields"] == ["content", "status"]
    seeded = served.data(HISTORY, {"id": record_id(served, SERIOUS)}, served.auditor())["recordHistory"]
    assert seeded == [
        {
            "version": 1,
            "madeBy": None,
            "reason": "received",
            "status": "ACTIVE",
            "changedFields": [],
            "current": True,
        }
    ]
    refused = served.gql(HISTORY, {"id": record_id(served, NEW)}, served.provider(MARKET.credit_code))
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN_OPERATION"
    assert served.data(HISTORY, {"id": "0" * 32}, served.auditor())["recordHistory"] is None


def test_a_policy_reload_is_a_change_event_of_the_gateway(tmp_path: Path, database_url: str) -> None:
    policies = tmp_path / "policies"
    shutil.copytree(REPO / "policies", policies)
    env = build_env(tmp_path, database_url)
    query = f'{{ organization(creditCode: "{COMPANY.credit_code}") {{ name }} }}'
    settings = replace(env.settings, policy_dir=policies)
    with serve(env, Clock(datetime(2026, 3, 12, 2, 0, tzinfo=UTC)), settings) as s:
        s.data(query)
        edited = (policies / "fields.csv").read_text(encoding="utf-8") + "# reviewed\n"
        (policies / "fields.csv").write_text(edited, encoding="utf-8")
        time.sleep(RELOAD_CHECK_INTERVAL + 0.2)  # the files are looked at once a second
        s.data(query)
        reloads = audit_events(s, change="POLICY_RELOADED")
    assert len(reloads) == 1 and (reloads[0]["role"], reloads[0]["callerId"]) == (
        "system",
        "system:policy-files",
    )
    digest = hashlib.sha256(edited.encode("utf-8")).hexdigest()
    assert json.loads(reloads[0]["changeDetail"])["files"]["fields.csv"] == digest


def test_an_import_and_a_key_rotation_write_change_events_that_audit_verify_covers(
    tmp_path: Path, database_url: str
) -> None:
    env = build_env(tmp_path, database_url)
    keyring, url = env.settings.keyring_path, database_url
    source = DATA / "valid.jsonl"
    imported = run_cli("import", str(source), keyring=keyring, database_url=url)
    assert imported.returncode == 0, imported.stderr
    rotated = run_cli("keys", "rotate", keyring=keyring, database_url=url)
    assert rotated.returncode == 0, rotated.stderr
    reindexed = run_cli("keys", "rotate-index", keyring=keyring, database_url=url)
    assert reindexed.returncode == 0, reindexed.stderr

    logged = events(url)
    kinds = [e.get("change") for e in logged]
    file_event = logged[kinds.index("import.file")]
    detail = file_event["detail"]
    assert (
        detail["file"] == "valid.jsonl"
        and detail["file_sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
    )
    assert (
        detail["rows"] == detail["created"] + detail["updated"] + detail["unchanged"] + detail["rejected"] > 0
    )
    per_subject = [e for e in logged if e.get("change") == "import.subject"]
    assert len(per_subject) == detail["subjects"] > 0
    assert all(
        len(e["changed"]) == 1 and e["detail"]["file_sha256"] == detail["file_sha256"] for e in per_subject
    )
    assert len({e["changed"][0] for e in per_subject}) == len(per_subject)
    (rotation,) = [e for e in logged if e.get("change") == "keys.rotated"]
    assert rotation["detail"]["data_key_version"] == 2 and rotation["detail"]["rotated"] > 0
    (reindex,) = [e for e in logged if e.get("change") == "keys.index_rotated"]
    assert reindex["detail"]["index_key_version"] == 2 and reindex["detail"]["recomputed"] > 0
    assert reindex["detail"]["retired"] == 1 and reindex["detail"]["remaining"] == 0
    assert {e["role"] for e in logged} == {"operator"} and file_event["caller_id"].startswith("operator:")

    verified = run_cli("audit", "verify", "--workers", "1", keyring=keyring, database_url=url)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert f"OK {len(logged)} events verified" in verified.stdout
    with connection(url) as conn:
        assert conn.execute(select(AuditHead.tree_size).order_by(AuditHead.id.desc())).scalar() == len(logged)
        assert verify_log(conn, audit_public_keys(load_keyring(keyring))).ok

    exported = run_cli("audit", "export", "--class", "CHANGE", "--change", "import.subject", keyring=keyring,
                       database_url=url)  # fmt: skip
    assert exported.returncode == 0, exported.stderr
    lines = [json.loads(line) for line in exported.stdout.splitlines() if line]
    assert [e["seq"] for e in lines] == [e["seq"] for e in per_subject]
    reads = run_cli("audit", "export", "--class", "REQUEST", keyring=keyring, database_url=url)
    assert reads.returncode == 0 and reads.stdout == ""
    db.upgrade(url)  # still at head: the commands migrated it themselves
