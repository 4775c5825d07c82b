"""A small, fully known credit store behind a real gateway, for API tests."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy.orm import Session

from gateway.access.tokens import Role, TokenIssuer
from gateway.domain import AgencyKind, Category, ListKind, OrgForm, Procedure, Severity, SubjectKind
from gateway.keys.crypto import FieldCipher
from gateway.keys.keyring import Keyring, create_keyring_file
from gateway.settings import Settings
from gateway.store import db
from gateway.store.inputs import ListEntryInput, OrganizationInput, PersonInput, RecordInput, SubjectRef
from gateway.store.writer import StoreWriter
from gateway.workdays import WorkCalendar
from tests.helpers import credit_code, id_number

REPO = Path(__file__).resolve().parent.parent

MARKET = OrganizationInput(
    name="菏泽市市场监督管理局",
    credit_code=credit_code("113717000000011"),
    kind=SubjectKind.GOVERNMENT_AGENCY,
    form=OrgForm.AGENCY,
    agency_kind=AgencyKind.MARKET_REGULATION,
)
BANK_CODE = credit_code("913700009999991")
ZHANG = PersonInput(
    name="张三丰",
    id_number=id_number(seq=31),
    phone="13812345678",
    address="山东省菏泽市牡丹区中华路88号3单元",
    health_status="良好",
    religion="无",
)
LI = PersonInput(name="李四", id_number=id_number(region="370102", seq=41), phone="13987654321")
COMPANY = OrganizationInput(
    name="菏泽市鑫源商贸有限公司",
    credit_code=credit_code("913717020000777"),
    registered_address="山东省菏泽市牡丹区人民路1号",
    legal_representative=ZHANG,
)


def _record(doc: str, subject: SubjectRef, **changes: object) -> RecordInput:
    base = RecordInput(
        subject=subject,
        category=Category.ADMINISTRATIVE_PENALTY,
        document_number=doc,
        authority_code=MARKET.credit_code,
        authority_name=MARKET.name,
        decision_date=date(2026, 3, 2),
        content="销售不合格食品，罚款2万元",
        provider_code=MARKET.credit_code,
        severity=Severity.SERIOUS,
        procedure=Procedure.GENERAL,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


COMPANY_REF = SubjectRef(credit_code=COMPANY.credit_code)
RECORDS = [
    _record("菏市监罚〔2026〕1号", COMPANY_REF),
    _record("菏市监罚〔2026〕2号", COMPANY_REF, procedure=Procedure.SIMPLE, severity=Severity.MINOR),
    _record("菏市监许〔2026〕3号", COMPANY_REF, category=Category.ADMINISTRATIVE_LICENSING, procedure=None,
            severity=Severity.GENERAL, content="食品经营许可"),
    _record("菏市监罚〔2026〕4号", SubjectRef(id_number=ZHANG.id_number), severity=Severity.GENERAL),
]  # fmt: skip
BLACKLIST = ListEntryInput(
    subject=COMPANY_REF,
    kind=ListKind.BLACK,
    list_name="严重违法失信名单",
    authority_code=MARKET.credit_code,
    reason="食品安全严重违法",
    listed_on=date(2026, 3, 10),
    records=(RECORDS[0].key,),
)


@dataclass(frozen=True)
class GatewayEnv:
    settings: Settings
    keyring: Keyring
    ids: dict[str, str]

    def token(self, role: Role, **claims: object) -> str:
        issuer = TokenIssuer(self.keyring, issuer=self.settings.issuer_id)
        return issuer.issue(role=role, **claims).value  # type: ignore[arg-type]

    def headers(self, role: Role, **claims: object) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(role, **claims)}"}


def build_env(tmp_path: Path, database_url: str, **overrides: object) -> GatewayEnv:
    keyring = Keyring.generate()
    keyring_path = tmp_path / "keyring.json"
    create_keyring_file(keyring_path, keyring)
    db.upgrade(database_url)
    engine = db.make_engine(database_url)
    now = datetime(2026, 3, 12, 9, 0, tzinfo=UTC)
    try:
        with Session(engine) as session, session.begin():
            writer = StoreWriter(
                session, FieldCipher(keyring), calendar=WorkCalendar.load(), clock=lambda: now
            )
            results = writer.write([MARKET, ZHANG, LI, COMPANY, *RECORDS, BLACKLIST])
    finally:
        engine.dispose()
    ids = {"market": results[0].id, "zhang": results[1].id, "li": results[2].id, "company": results[3].id}
    settings = Settings(
        database_url=database_url,
        keyring_path=keyring_path,
        policy_dir=REPO / "policies",
        **overrides,  # type: ignore[arg-type]
    )
    return GatewayEnv(settings=settings, keyring=keyring, ids={k: v for k, v in ids.items() if v})
