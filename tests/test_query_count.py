"""An organisation lookup costs the same number of SQL statements whatever the organisation holds.

The statements are counted on the gateway's engine (``before_cursor_execute``) while one operation
runs in process, for an organisation with 5 records and one with 50, each with list entries (and the
records that justify them) and a legal representative with records, linked records and list entries
of their own. A resolver that queried once per record or per list entry (N+1) would make the count
grow with the data; batching keeps it constant.
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

from gateway.access.tokens import PUBLIC_CALLER, Caller, Role
from gateway.api.app import Gateway
from gateway.domain import Category, ListKind, Procedure, Severity
from gateway.keys.crypto import FieldCipher
from gateway.keys.keyring import Keyring, create_keyring_file
from gateway.settings import Settings
from gateway.store import db
from gateway.store.inputs import Item, ListEntryInput, OrganizationInput, PersonInput, RecordInput, SubjectRef
from gateway.store.writer import StoreWriter
from gateway.workdays import WorkCalendar
from tests.gateway_fixtures import MARKET, REPO
from tests.helpers import credit_code, id_number

QUERY = """
query($code: String!) {
  organization(creditCode: $code) {
    id name creditCode registeredAddress
    records { id documentNumber status displayUntil repairableFrom }
    listEntries { id reason records { id documentNumber } }
    legalRepresentative {
      id name idNumber
      records { id documentNumber }
      linkedRecords { id documentNumber }
      listEntries { id records { id } }
    }
  }
}
"""
ADMIN = Caller(id="admin-1", role=Role.ADMIN)
SMALL, LARGE = 5, 50
RECORDS_PER_ENTRY = 5


def _holding(n: int, records: int) -> tuple[OrganizationInput, list[Item]]:
    """Company ``n`` with ``records`` records (serious ones reach its representative), one black-list
    entry per five of them, and a representative with as many records and entries of their own."""
    rep = PersonInput(name=f"代表人{n}", id_number=id_number(seq=100 + n), phone=f"1380000{n:04d}")
    company = OrganizationInput(
        name=f"示例商贸有限公司{n}",
        credit_code=credit_code(f"91371702{n:07d}"),
        registered_address="山东省菏泽市牡丹区人民路1号",
        legal_representative=rep,
    )
    items: list[Item] = [rep, company]
    for subject, prefix in (
        (SubjectRef(credit_code=company.credit_code), "企"),
        (SubjectRef(id_number=rep.id_number), "人"),
    ):
        rows = [
            RecordInput(
                subject=subject,
                category=Category.ADMINISTRATIVE_PENALTY,
                document_number=f"菏市监罚〔2026〕{prefix}{n}-{i}号",
                authority_code=MARKET.credit_code,
                authority_name=MARKET.name,
                decision_date=date(2026, 3, 2) + timedelta(days=i % 60),
                content="销售不合格食品，罚款2万元",
                provider_code=MARKET.credit_code,
                severity=Severity.SERIOUS if i % 2 == 0 else Severity.GENERAL,
                procedure=Procedure.GENERAL,
            )
            for i in range(records)
        ]
        items += rows
        items += [
            ListEntryInput(
                subject=subject,
                kind=ListKind.BLACK,
                list_name="严重违法失信名单",
                authority_code=MARKET.credit_code,
                reason="食品安全严重违法",
                listed_on=date(2026, 3, 10) + timedelta(days=e),
                records=tuple(r.key for r in rows[e * RECORDS_PER_ENTRY : (e + 1) * RECORDS_PER_ENTRY]),
            )
            for e in range(records // RECORDS_PER_ENTRY)
        ]
    return company, items


@pytest.fixture
def gateway(tmp_path: Path, database_url: str) -> Iterator[tuple[Gateway, dict[int, str]]]:
    keyring = Keyring.generate()
    create_keyring_file(tmp_path / "keyring.json", keyring)
    db.upgrade(database_url)
    codes: dict[int, str] = {}
    items: list[Item] = [MARKET]
    for size in (SMALL, LARGE):
        company, holding = _holding(size, size)
        codes[size] = company.credit_code
        items += holding
    engine = db.make_engine(database_url)
    now = datetime(2026, 3, 12, 9, 0, tzinfo=UTC)
    try:
        with Session(engine) as session, session.begin():
            writer = StoreWriter(
                session, FieldCipher(keyring), calendar=WorkCalendar.load(), clock=lambda: now
            )
            results = writer.write(items)
        assert all(r.id for r in results), [r for r in results if not r.id]
    finally:
        engine.dispose()
    settings = Settings(
        database_url=database_url, keyring_path=tmp_path / "keyring.json", policy_dir=REPO / "policies"
    )
    gw = Gateway.from_settings(settings)
    try:
        yield gw, codes
    finally:
        gw.dispose()


def _counted(gw: Gateway, caller: Caller, code: str) -> tuple[int, dict[str, Any]]:
    """Statements this thread sent while the lookup ran (the audit writer's thread is not counted)."""
    me = threading.get_ident()
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if threading.get_ident() == me:
            statements.append(statement)

    event.listen(gw.engine, "before_cursor_execute", count)
    try:
        body = gw.execute({"query": QUERY, "variables": {"code": code}}, caller)
    finally:
        event.remove(gw.engine, "before_cursor_execute", count)
    return len(statements), body


@pytest.mark.parametrize("caller", [ADMIN, PUBLIC_CALLER], ids=["archive", "public"])
def test_an_organisation_lookup_costs_the_same_statements_for_5_and_50_records(
    gateway: tuple[Gateway, dict[int, str]], caller: Caller
) -> None:
    gw, codes = gateway
    _counted(gw, caller, codes[SMALL])  # warm: policy load, schema caches
    small, small_body = _counted(gw, caller, codes[SMALL])
    large, large_body = _counted(gw, caller, codes[LARGE])
    for size, body in ((SMALL, small_body), (LARGE, large_body)):
        org = body["data"]["organization"]
        assert len(org["records"]) == size if caller is ADMIN else 0 < len(org["records"]) <= size
        assert len(org["listEntries"]) == size // RECORDS_PER_ENTRY
        assert all(len(e["records"]) == RECORDS_PER_ENTRY for e in org["listEntries"])
    if caller is ADMIN:
        rep = large_body["data"]["organization"]["legalRepresentative"]
        assert len(rep["records"]) == LARGE
        assert len(rep["linkedRecords"]) == LARGE // 2
        assert len(rep["listEntries"]) == LARGE // RECORDS_PER_ENTRY
    assert large == small, f"{small} statements for {SMALL} records, {large} for {LARGE}"
