"""A bulk check of organisations costs the same number of SQL statements for 5 subjects as for 50
(within one chunk of ``gateway.lifecycle.bulk_checks``), whatever each holds: no statement per subject.

Counted on the gateway's engine (``before_cursor_execute``) while one ``creditChecks`` runs in process,
as tests/test_query_count.py counts a single lookup.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from gateway.access.tokens import Caller, Role
from gateway.api.app import Gateway
from gateway.domain import AgencyKind, Category, ListKind, Procedure, Severity
from gateway.keys.crypto import FieldCipher
from gateway.keys.keyring import Keyring, create_keyring_file
from gateway.settings import Settings
from gateway.store import db
from gateway.store.inputs import Item, ListEntryInput, OrganizationInput, RecordInput, SubjectRef
from gateway.store.writer import StoreWriter
from gateway.workdays import WorkCalendar
from tests.gateway_fixtures import BANK_CODE, MARKET, REPO
from tests.helpers import credit_code

PARTNER = Caller(id=BANK_CODE, role=Role.PARTNER, org_code=BANK_CODE, agency_kind=AgencyKind.FINANCE)
QUERY = """
query($subjects: [BulkCheckSubject!]!) {
  creditChecks(subjects: $subjects, matter: ADMINISTRATIVE_LICENSING) {
    index errorCode
    check { blackListed redListed dishonestyRecords { documentNumber } listEntries { listName }
            restrictions { code listEntries { listName } records { documentNumber } } facilitation { code } }
  }
}"""
COMPANIES = 50


def _company(n: int) -> list[Item]:
    """Company ``n`` with ``n % 4`` serious penalties and, when it has any, a black-list entry on them."""
    company = OrganizationInput(name=f"示例商贸有限公司{n}", credit_code=credit_code(f"91371702{n:07d}"))
    subject = SubjectRef(credit_code=company.credit_code)
    records = [
        RecordInput(
            subject=subject,
            category=Category.ADMINISTRATIVE_PENALTY,
            document_number=f"菏市监罚〔2026〕{n}-{i}号",
            authority_code=MARKET.credit_code,
            authority_name=MARKET.name,
            decision_date=date(2026, 3, 2) + timedelta(days=i),
            content="销售不合格食品，罚款2万元",
            provider_code=MARKET.credit_code,
            severity=Severity.SERIOUS,
            procedure=Procedure.GENERAL,
        )
        for i in range(n % 4)
    ]
    entries: list[Item] = []
    if records:
        entries.append(
            ListEntryInput(
                subject=subject,
                kind=ListKind.BLACK,
                list_name="严重违法失信名单",
                authority_code=MARKET.credit_code,
                reason="食品安全严重违法",
                listed_on=date(2026, 3, 10),
                records=tuple(r.key for r in records),
            )
        )
    return [company, *records, *entries]


@pytest.fixture
def gateway(tmp_path: Path, database_url: str) -> Iterator[Gateway]:
    keyring = Keyring.generate()
    create_keyring_file(tmp_path / "keyring.json", keyring)
    db.upgrade(database_url)
    items: list[Item] = [MARKET]
    for n in range(COMPANIES):
        items += _company(n)
    engine = db.make_engine(database_url)
    now = datetime(2026, 3, 12, 9, 0, tzinfo=UTC)
    try:
        with Session(engine) as session, session.begin():
            writer = StoreWriter(
                session, FieldCipher(keyring), calendar=WorkCalendar.load(), clock=lambda: now
            )
            results = writer.write(items)
        assert all(r.id for r in results)
    finally:
        engine.dispose()
    settings = Settings(
        database_url=database_url, keyring_path=tmp_path / "keyring.json", policy_dir=REPO / "policies"
    )
    gw = Gateway.from_settings(settings)
    try:
        yield gw
    finally:
        gw.dispose()


def _counted(gw: Gateway, companies: int) -> tuple[int, dict[str, Any]]:
    me = threading.get_ident()
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if threading.get_ident() == me:
            statements.append(statement)

    subjects = [{"creditCode": credit_code(f"91371702{n:07d}")} for n in range(companies)]
    event.listen(gw.engine, "before_cursor_execute", count)
    try:
        body = gw.execute({"query": QUERY, "variables": {"subjects": subjects}}, PARTNER)
    finally:
        event.remove(gw.engine, "before_cursor_execute", count)
    return len(statements), body


def test_a_bulk_check_costs_the_same_statements_for_5_and_50_organisations(gateway: Gateway) -> None:
    _counted(gateway, 5)  # warm: policy load, schema caches
    small, small_body = _counted(gateway, 5)
    large, large_body = _counted(gateway, COMPANIES)
    for size, body in ((5, small_body), (COMPANIES, large_body)):
        rows = body["data"]["creditChecks"]
        assert [r["errorCode"] for r in rows] == [None] * size
        assert [r["check"]["blackListed"] for r in rows] == [n % 4 > 0 for n in range(size)]
        assert [len(r["check"]["dishonestyRecords"]) for r in rows] == [n % 4 for n in range(size)]
    assert large == small, f"{small} statements for 5 organisations, {large} for {COMPANIES}"
