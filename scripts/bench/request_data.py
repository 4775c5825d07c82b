"""The request path's data: a seeded store per database and population, kept between runs.

``stores.seeded_store`` writes ``people`` people and a tenth as many organisations by the path of
``credit-gateway seed``; the request path then adds one company with exactly 50 published penalty
records (the ``organization`` lookup) and picks, at random, people to look up and organisations with
records for the public disclosure query. Seeding a million people takes minutes, so a finished store
is kept under the output directory's ``cache/`` (SQLite: the database file and its keyring;
PostgreSQL: a schema ``bench_<people>`` and the keyring), keyed by database and population, and
reused while its ``store.json`` is there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import stores
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from gateway.access import consent
from gateway.access.consent_tokens import ConsentTokens
from gateway.domain import (
    AgencyKind,
    Category,
    ConsentPurpose,
    ConsentScope,
    OrgForm,
    Procedure,
    Severity,
    SubjectKind,
)
from gateway.identifiers import credit_code_check_char, id_number_check_char
from gateway.keys.crypto import FieldCipher
from gateway.keys.keyring import load_keyring
from gateway.store import db, reads
from gateway.store.inputs import OrganizationInput, PersonInput, RecordInput, SubjectRef
from gateway.store.models import CreditRecord, Organization, Person

PICKS = 64  # people looked up, and organisations shown to the public, in rotation
ORG_RECORDS = 50
CONSENT_USES = 1_000  # gateway.access.consent.MAX_USES


def _credit_code(first17: str) -> str:
    return first17 + credit_code_check_char(first17)


MARKET = OrganizationInput(
    name="基准市市场监督管理局",
    credit_code=_credit_code("11371700999990001"),
    kind=SubjectKind.GOVERNMENT_AGENCY,
    form=OrgForm.AGENCY,
    agency_kind=AgencyKind.MARKET_REGULATION,
)
REPRESENTATIVE_ID = "37170219500101001"  # the first 17 characters; the check character is computed


@dataclass(frozen=True)
class Store:
    """A ready store: where it is, and what the benchmark looks up in it."""

    database: str  # "sqlite" or "postgresql"
    people: int
    url: str
    keyring_path: str
    org_code: str  # the company with ORG_RECORDS records
    public_codes: list[str]
    person_ids: list[str]
    seed_seconds: float  # how long seeding took when the store was built (0: not seeded by this code)

    def tokens(self) -> ConsentTokens:
        return ConsentTokens.from_keyring(load_keyring(Path(self.keyring_path)))


def prepare(
    database_url: str | None,
    people: int,
    cache: Path,
    *,
    log: stores.Log = print,
    pg_schema: str = "bench",
) -> Store:
    """The kept store for (database, people), built when missing."""
    home, kept = stores.seeded_store(
        cache,
        people,
        orgs=max(100, people // 10),
        database_url=None if database_url is None or database_url.startswith("sqlite") else database_url,
        pg_schema=pg_schema,
        finish=_finish,
        log=log,
    )
    return Store(
        home.database, people, home.url, str(home.keyring_path), kept["org_code"], kept["public_codes"],
        kept["person_ids"], kept["seed_seconds"],
    )  # fmt: skip


def _finish(home: stores.StoreHome) -> dict[str, Any]:
    """The company of the ``organization`` lookup, and the people and organisations picked."""
    engine = home.engine()
    try:
        org_code = _add_company(engine, home.cipher())
        with Session(engine) as session:
            person_ids = list(session.scalars(select(Person.subject_id).order_by(func.random()).limit(PICKS)))
            public_codes = list(
                session.scalars(
                    select(Organization.credit_code)
                    .join(CreditRecord, CreditRecord.subject_id == Organization.subject_id)
                    .where(Organization.credit_code.is_not(None), Organization.form == OrgForm.LEGAL_PERSON)
                    .group_by(Organization.credit_code)
                    .order_by(func.random())
                    .limit(PICKS)
                )
            )
    finally:
        engine.dispose()
    return {"org_code": org_code, "public_codes": public_codes, "person_ids": person_ids}


def _add_company(engine: Engine, cipher: FieldCipher) -> str:
    """A company with exactly ORG_RECORDS published penalty records and a legal representative."""
    representative = PersonInput(
        name="基准人",
        id_number=REPRESENTATIVE_ID + id_number_check_char(REPRESENTATIVE_ID),
        phone="13800000000",
    )
    company = OrganizationInput(
        name="基准市鑫源商贸有限公司",
        credit_code=_credit_code("91371702999990001"),
        registered_address="山东省菏泽市牡丹区人民路1号",
        legal_representative=representative,
    )
    ref = SubjectRef(credit_code=company.credit_code)
    records = [
        RecordInput(
            subject=ref,
            category=Category.ADMINISTRATIVE_PENALTY,
            document_number=f"基市监罚〔2026〕{n + 1}号",
            authority_code=MARKET.credit_code,
            authority_name=MARKET.name,
            decision_date=date(2026, 1, 5) + timedelta(days=6 * n),
            content=f"销售不合格食品，罚款{n + 1}万元",
            provider_code=MARKET.credit_code,
            severity=Severity.GENERAL,
            procedure=Procedure.GENERAL,
        )
        for n in range(ORG_RECORDS)
    ]
    stores.write(engine, cipher, [MARKET, company, *records], now=datetime(2026, 11, 20, tzinfo=UTC))
    return company.credit_code


def identity_numbers(store: Store) -> list[str]:
    """The identity numbers of the picked people (decrypted here; never written to the cache)."""
    cipher = FieldCipher(load_keyring(Path(store.keyring_path)))
    engine = db.make_engine(store.url)
    try:
        with Session(engine) as session:
            views = reads.persons_by_id(session, cipher, store.person_ids)
    finally:
        engine.dispose()
    return [views[pid].id_number for pid in store.person_ids]


def grant_consents(store: Store, grantee: str) -> list[str]:
    """A fresh consent token per picked person for ``grantee`` (identity, contact, records, lists),
    each good for CONSENT_USES lookups: one benchmark cell never runs out."""
    tokens = store.tokens()
    engine = db.make_engine(store.url)
    now = datetime.now(UTC)
    request = consent.ConsentGrant(
        grantee_code=grantee,
        purpose=ConsentPurpose.FINANCIAL_SERVICE,
        scopes=frozenset(ConsentScope),
        ttl=timedelta(days=1),
        max_uses=CONSENT_USES,
    )
    try:
        with Session(engine, expire_on_commit=False) as session, session.begin():
            rows = [
                consent.grant(session, person_id=pid, request=request, now=now) for pid in store.person_ids
            ]
    finally:
        engine.dispose()
    return [tokens.issue(row) for row in rows]
