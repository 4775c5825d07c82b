"""Free text about a natural person over real HTTP (000 双公示 二(四)1): the person's name and home
address inside a decision's content, a list entry's reason and an individual business's trade name
are masked for the public and for partners, and whole for the person (and whoever the policy shows
the person's name and address whole); the stored clear columns hold only the masked form."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.access.tokens import Role
from gateway.domain import AgencyKind, Category, ListKind, OrgForm, Procedure, Severity
from gateway.keys.crypto import FieldCipher
from gateway.keys.keyring import Keyring, create_keyring_file
from gateway.settings import Settings
from gateway.store import db, free_text
from gateway.store.inputs import ListEntryInput, OrganizationInput, PersonInput, RecordInput, SubjectRef
from gateway.store.models import CreditRecord, ListEntry, Organization
from gateway.store.writer import StoreWriter
from gateway.workdays import WorkCalendar
from tests.api_client import grant
from tests.clock import Clock
from tests.gateway_fixtures import BANK_CODE, MARKET, REPO, GatewayEnv
from tests.gql import Served, serve
from tests.helpers import credit_code, id_number

HOME = "山东省菏泽市牡丹区中华路88号3单元"
LI = PersonInput(
    name="李建中", id_number=id_number(region="371702", seq=77), phone="13811112222", address=HOME
)
SHOP = OrganizationInput(
    name="牡丹区李建中副食店",
    credit_code=credit_code("923717020000881"),
    form=OrgForm.INDIVIDUAL_BUSINESS,
    registered_address="山东省菏泽市牡丹区中华路90号",
    legal_representative=LI,
)
COMPANY = OrganizationInput(
    name="菏泽市鑫源商贸有限公司",
    credit_code=credit_code("913717020000777"),
    registered_address="山东省菏泽市牡丹区人民路1号",
)
LI_REF, SHOP_REF = SubjectRef(id_number=LI.id_number), SubjectRef(credit_code=SHOP.credit_code)
PERSON_TEXT = f"当事人李建中（住址：{HOME}）在集贸市场销售过期食品"
SHOP_TEXT = "当事人牡丹区李建中副食店销售过期食品，经营者李建中，家住牡丹区皇镇乡王庄村3组"
COMPANY_TEXT = "当事人菏泽市鑫源商贸有限公司销售不合格食品，罚款2万元"


def _record(doc: str, subject: SubjectRef, content: str) -> RecordInput:
    return RecordInput(
        subject=subject,
        category=Category.ADMINISTRATIVE_PENALTY,
        document_number=doc,
        authority_code=MARKET.credit_code,
        authority_name=MARKET.name,
        decision_date=date(2026, 3, 2),
        content=content,
        provider_code=MARKET.credit_code,
        severity=Severity.SERIOUS,
        procedure=Procedure.GENERAL,
    )


RECORDS = [
    _record("菏市监罚〔2026〕71号", LI_REF, PERSON_TEXT),
    _record("菏市监罚〔2026〕72号", SHOP_REF, SHOP_TEXT),  # serious: reaches 李建中 as legal representative
    _record("菏市监罚〔2026〕73号", SubjectRef(credit_code=COMPANY.credit_code), COMPANY_TEXT),
]
ENTRY = ListEntryInput(
    subject=SHOP_REF,
    kind=ListKind.BLACK,
    list_name="严重违法失信名单",
    authority_code=MARKET.credit_code,
    reason="依据菏市监罚〔2026〕72号：经营者李建中销售过期食品",
    listed_on=date(2026, 3, 10),
    records=(RECORDS[1].key,),
)

ORGANIZATION = """
query($code: String!) {
  organization(creditCode: $code) {
    name
    records { documentNumber content }
    listEntries { reason }
  }
}"""
PERSON = """
query($id: String!, $consent: String, $purpose: ConsentPurpose!) {
  person(idNumber: $id, consent: $consent, purpose: $purpose) { records { content } }
}"""
ME = "{ me { records { content } linkedRecords { content } listEntries { reason } } }"


@pytest.fixture
def served(tmp_path: Path, database_url: str) -> Iterator[Served]:
    keyring = Keyring.generate()
    create_keyring_file(tmp_path / "keyring.json", keyring)
    db.upgrade(database_url)
    engine = db.make_engine(database_url)
    now = datetime(2026, 3, 12, 9, 0, tzinfo=UTC)
    try:
        with Session(engine) as session, session.begin():
            writer = StoreWriter(
                session, FieldCipher(keyring), calendar=WorkCalendar.load(), clock=lambda: now
            )
            results = writer.write([MARKET, LI, SHOP, COMPANY, *RECORDS, ENTRY])
    finally:
        engine.dispose()
    settings = Settings(
        database_url=database_url, keyring_path=tmp_path / "keyring.json", policy_dir=REPO / "policies"
    )
    env = GatewayEnv(settings=settings, keyring=keyring, ids={"li": results[1].id or ""})
    with serve(env, Clock(datetime(2026, 3, 12, 10, 0, tzinfo=UTC))) as s:
        yield s


def _texts(answer: dict[str, Any]) -> dict[str, str]:
    org = answer["organization"]
    texts = {"name": org["name"], **{r["documentNumber"]: r["content"] for r in org["records"]}}
    texts.update({f"entry{i}": e["reason"] for i, e in enumerate(org["listEntries"])})
    return texts


def _assert_masked(text: str) -> None:
    assert "李建中" not in text and "中华路88号" not in text and "王庄村" not in text, text


def test_the_public_sees_the_trade_name_and_free_text_of_an_individual_business_masked(
    served: Served,
) -> None:
    texts = _texts(served.data(ORGANIZATION, {"code": SHOP.credit_code}))
    assert texts["name"] == "牡丹区李*中副食店"
    assert (
        texts["菏市监罚〔2026〕72号"]
        == "当事人牡丹区李*中副食店销售过期食品，经营者李*中，家住牡丹区皇镇乡***"
    )
    assert texts["entry0"] == "依据菏市监罚〔2026〕72号：经营者李*中销售过期食品"
    for text in texts.values():
        _assert_masked(text)


@pytest.mark.parametrize("kind", [AgencyKind.FINANCE, AgencyKind.MARKET_REGULATION, AgencyKind.COURT])
def test_partners_see_the_persons_name_and_address_masked_in_an_individual_business(
    served: Served, kind: AgencyKind
) -> None:
    texts = _texts(served.data(ORGANIZATION, {"code": SHOP.credit_code}, served.partner(kind=kind)))
    assert texts["name"] == "牡丹区李*中副食店"
    for text in texts.values():
        _assert_masked(text)


def test_a_partner_reading_a_persons_records_with_consent_sees_name_and_address_masked(
    served: Served,
) -> None:
    _, token = grant(served.http, served.env, ["RECORDS"], who="li")
    variables = {"id": LI.id_number, "consent": token, "purpose": "FINANCIAL_SERVICE"}
    (record,) = served.data(PERSON, variables, served.partner())["person"]["records"]
    assert record["content"] == "当事人李*中（住址：山东省菏泽市牡丹区***）在集贸市场销售过期食品"


def test_a_partner_the_person_showed_name_and_address_sees_the_text_whole(served: Served) -> None:
    _, token = grant(served.http, served.env, ["IDENTITY", "CONTACT", "RECORDS"], who="li")
    variables = {"id": LI.id_number, "consent": token, "purpose": "FINANCIAL_SERVICE"}
    (record,) = served.data(PERSON, variables, served.partner())["person"]["records"]
    assert record["content"] == PERSON_TEXT


def test_the_person_sees_their_own_texts_whole(served: Served) -> None:
    me = served.data(ME, headers=served.env.headers(Role.INDIVIDUAL, person_id=served.env.ids["li"]))["me"]
    assert [r["content"] for r in me["records"]] == [PERSON_TEXT]
    assert [r["content"] for r in me["linkedRecords"]] == [SHOP_TEXT]


def test_an_administrator_sees_the_texts_whole(served: Served) -> None:
    texts = _texts(served.data(ORGANIZATION, {"code": SHOP.credit_code}, served.admin()))
    assert texts["name"] == SHOP.name and texts["菏市监罚〔2026〕72号"] == SHOP_TEXT
    assert texts["entry0"] == ENTRY.reason


def test_a_companys_text_naming_no_person_stays_whole_for_partners_and_in_clear(served: Served) -> None:
    texts = _texts(served.data(ORGANIZATION, {"code": COMPANY.credit_code}, served.partner(BANK_CODE)))
    assert texts == {"name": COMPANY.name, "菏市监罚〔2026〕73号": COMPANY_TEXT}
    engine = db.make_engine(served.env.settings.database_url)
    try:
        with Session(engine) as session:
            rows = {r.document_number: r for r in session.scalars(select(CreditRecord))}
            assert rows["菏市监罚〔2026〕73号"].content_enc is None
            assert rows["菏市监罚〔2026〕73号"].key_version is None
    finally:
        engine.dispose()


def test_stored_clear_columns_hold_the_masked_form_and_the_whole_text_decrypts(served: Served) -> None:
    cipher = FieldCipher(served.env.keyring)
    engine = db.make_engine(served.env.settings.database_url)
    try:
        with Session(engine) as session:
            records = {r.document_number: r for r in session.scalars(select(CreditRecord))}
            shop = session.scalars(select(Organization).where(Organization.name.like("牡丹区%副食店"))).one()
            (entry,) = session.scalars(select(ListEntry))
            stored = [records[r.document_number] for r in RECORDS[:2]] + [shop, entry]
            clear = [records[r.document_number].content for r in RECORDS[:2]] + [shop.name, entry.reason]
            whole = [
                free_text.whole(cipher, r, c)
                for r, c in zip(stored, ("content", "content", "name", "reason"), strict=True)
            ]
    finally:
        engine.dispose()
    assert whole == [PERSON_TEXT, SHOP_TEXT, SHOP.name, ENTRY.reason]
    for text in clear:
        _assert_masked(text)
    assert all(r.key_version == 1 for r in (*stored[:2], stored[3]))
