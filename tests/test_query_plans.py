"""The hot lookups search the big tables through an index, never by scanning them.

Every statement the real code sends during the lookups (GraphQL operations run in process, a writer
batch, an audit append and verification) is explained with the database's own planner, with the
same parameters: SQLite's ``EXPLAIN QUERY PLAN`` must not ``SCAN`` a big table, and PostgreSQL's
``EXPLAIN`` must not show a ``Seq Scan`` on one. PostgreSQL prefers a sequential scan of a tiny table
to any index, so the plans are taken with ``enable_seqscan = off``: a sequential scan that remains
then means that no index can serve the statement. A scan of a big table is what makes a lookup grow
with the data (docs/performance-bulk.md, "Indexes").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session

from gateway.access.tokens import PUBLIC_CALLER, Caller, Role
from gateway.api.app import Gateway
from gateway.audit.events import CallerFacts, RequestOutcome, draft_document
from gateway.audit.heads import HeadSigner, audit_public_keys
from gateway.audit.models import AuditEvent, AuditEventKey
from gateway.audit.store import AuditLog, HeadSchedule
from gateway.audit.verify import verify_log
from gateway.domain import AgencyKind, OrgForm
from gateway.store.inputs import OrganizationInput
from gateway.store.writer import StoreWriter
from gateway.workdays import WorkCalendar
from tests.gateway_fixtures import BANK_CODE, COMPANY, MARKET, RECORDS, ZHANG, build_env
from tests.helpers import credit_code

BIG_TABLES = (
    "subjects persons organizations credit_records credit_record_versions record_links list_entries "
    "list_entry_records consents audit_events audit_event_keys audit_nodes"
).split()
SHOP = OrganizationInput(
    name="牡丹区个体经营部", credit_code=credit_code("923717020000888"), form=OrgForm.INDIVIDUAL_BUSINESS
)
PORTAL = """
query($code: String!) {
  organization(creditCode: $code) {
    name creditCode
    legalRepresentative { name }
    records { documentNumber displayUntil }
    listEntries { reason records { documentNumber } }
  }
}"""
GRANT = """
mutation($grantee: String!) {
  grantConsent(input: {grantee: $grantee, purpose: FINANCIAL_SERVICE, scopes: [IDENTITY, RECORDS]}) { token }
}"""
PERSON = """
query($id: String!, $consent: String) {
  person(idNumber: $id, consent: $consent, purpose: FINANCIAL_SERVICE) { name records { id } }
}"""
ME = "{ me { name records { id } linkedRecords { id } listEntries { records { id } } } consents { id } }"
QUALITY = "{ dataQuality { authorityCode publicationRate } }"


@dataclass
class Plan:
    statement: str
    lines: list[str]


class Planner:
    """Explains every statement sent on ``engine`` while it listens, on the same connection."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.plans: list[Plan] = []

    def __call__(self, conn: Any, _cursor: Any, statement: str, params: Any, _ctx: Any, many: bool) -> None:
        verb = statement.lstrip().split(None, 1)[0].upper()
        if many or verb not in {"SELECT", "UPDATE", "DELETE"}:
            return
        cursor = conn.connection.dbapi_connection.cursor()
        try:
            if conn.dialect.name == "sqlite":
                cursor.execute(f"EXPLAIN QUERY PLAN {statement}", params)
                lines = [str(row[-1]) for row in cursor.fetchall()]
            else:
                cursor.execute("SET enable_seqscan = off")
                cursor.execute(f"EXPLAIN {statement}", params)
                lines = [str(row[0]) for row in cursor.fetchall()]
                cursor.execute("RESET enable_seqscan")
        finally:
            cursor.close()
        self.plans.append(Plan(" ".join(statement.split()), lines))

    def __enter__(self) -> Planner:
        event.listen(self.engine, "before_cursor_execute", self)
        return self

    def __exit__(self, *_exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self)


def full_scans(plan: Plan) -> list[str]:
    """The big tables the plan reads whole (a table scan, or a scan of a whole index)."""
    pattern = re.compile(r"^\s*(?:->\s*)?(?:SCAN (\w+)|Seq Scan on (\w+))")
    found = [m.group(1) or m.group(2) for line in plan.lines if (m := pattern.match(line))]
    return [table for table in found if table in BIG_TABLES]


def searched(plan: Plan) -> set[str]:
    """The big tables the plan reaches through an index."""
    pattern = re.compile(
        r"(?:SEARCH (\w+)|Index (?:Only )?Scan(?: Backward)? using \w+ on (\w+)|Bitmap Heap Scan on (\w+))"
    )
    return {t for line in plan.lines for m in pattern.finditer(line) for t in m.groups() if t in BIG_TABLES}


@pytest.fixture
def planned(tmp_path: Path, database_url: str) -> Iterator[list[Plan]]:
    env = build_env(tmp_path, database_url)
    gw = Gateway.from_settings(env.settings)
    cipher = gw.services.cipher
    try:
        with Session(gw.engine) as session, session.begin():
            StoreWriter(session, cipher, calendar=WorkCalendar.load()).write([SHOP])
        individual = Caller(id="zhang", role=Role.INDIVIDUAL, person_id=env.ids["zhang"])
        partner = Caller(id="bank", role=Role.PARTNER, org_code=BANK_CODE, agency_kind=AgencyKind.FINANCE)
        provider = Caller(id="market", role=Role.PROVIDER, org_code=MARKET.credit_code)
        with Planner(gw.engine) as planner:
            answers = [
                gw.execute({"query": PORTAL, "variables": {"code": COMPANY.credit_code}}, PUBLIC_CALLER),
                gw.execute({"query": PORTAL, "variables": {"code": SHOP.credit_code}}, PUBLIC_CALLER),
                grant := gw.execute({"query": GRANT, "variables": {"grantee": BANK_CODE}}, individual),
                gw.execute({"query": ME}, individual),
                gw.execute({"query": QUALITY}, provider),
            ]
            token = grant["data"]["grantConsent"]["token"]
            answers.append(
                gw.execute({"query": PERSON, "variables": {"id": ZHANG.id_number, "consent": token}}, partner)
            )
            with Session(gw.engine) as session, session.begin():  # a re-import of known rows
                StoreWriter(session, cipher, calendar=WorkCalendar.load()).write([ZHANG, COMPANY, *RECORDS])
            _audit(gw.engine, env.keyring)
        assert all("errors" not in a for a in answers), [a.get("errors") for a in answers]
        yield planner.plans
    finally:
        gw.dispose()


def _audit(engine: Engine, keyring: Any) -> None:
    """Append events, verify the log (small chunks, so that the chunk queries repeat), and look up
    the events that touched one subject: what an auditor asks of the keys table."""
    start = datetime(2026, 3, 12, 1, 0, tzinfo=UTC)
    log = AuditLog(HeadSigner(keyring), HeadSchedule(every_events=10), lambda: start)
    documents = [
        draft_document(
            time=start + timedelta(minutes=n),
            request_id=f"{n:016x}",
            batch_index=0,
            batch_size=1,
            caller=CallerFacts(id="caller", role="partner", organization=BANK_CODE),
            client="10.0.0.1",
            operation_type="query",
            root_fields=["organization"],
            subjects=[f"{n % 5:032x}"],
            outcome=RequestOutcome.ANSWERED,
            errors=[],
            http_status=200,
            duration_us=1_000,
        )
        for n in range(40)
    ]
    with engine.begin() as conn:
        log.append(conn, documents)
    with engine.connect() as conn:
        assert verify_log(conn, audit_public_keys(keyring), chunk=16).ok
        conn.execute(
            select(AuditEvent.seq, AuditEvent.time)
            .join(AuditEventKey, AuditEventKey.seq == AuditEvent.seq)
            .where(AuditEventKey.kind == "subject", AuditEventKey.value == f"{3:032x}")
            .order_by(AuditEvent.seq)
        ).all()


def test_no_hot_lookup_scans_a_big_table(planned: list[Plan]) -> None:
    scans = [(p.statement[:160], full_scans(p), p.lines) for p in planned if full_scans(p)]
    assert not scans, scans


def test_every_big_table_is_reached_through_an_index(planned: list[Plan]) -> None:
    """The lookups above did reach each big table (so the first test checked something)."""
    reached = set().union(*(searched(p) for p in planned))
    assert reached >= set(BIG_TABLES) - {"credit_record_versions"}, set(BIG_TABLES) - reached


@pytest.mark.parametrize(
    ("needle", "index"),
    [
        ("persons.id_number_bidx =", "ix_persons_id_number_bidx"),
        ("organizations.credit_code =", "organizations"),
        ("organizations.credit_code_bidx =", "ix_organizations_credit_code_bidx"),
        ("credit_records.subject_id IN", "ix_credit_records_subject_id"),
        ("credit_records.received_at >=", "ix_credit_records_authority_code_received_at"),
        ("consents.person_id =", "ix_consents_person_id"),
        ("audit_event_keys.kind =", "ix_audit_event_keys_kind_value"),
    ],
)
def test_a_lookup_uses_its_index(planned: list[Plan], needle: str, index: str) -> None:
    plans = [p for p in planned if needle in p.statement]
    assert plans, f"no statement with {needle!r} was sent"
    for plan in plans:
        assert any(index in line for line in plan.lines), (plan.statement[:200], plan.lines)
