from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from gateway.crypto import FieldCipher
from gateway.domain import Category, ListKind, OrgForm, Procedure, RecordStatus, Severity
from gateway.inputs import (
    ListEntryInput,
    OrganizationInput,
    PersonInput,
    RecordInput,
    SubjectRef,
)
from gateway.models import (
    CreditRecord,
    CreditRecordVersion,
    ListEntryRecord,
    Organization,
    Person,
    RecordLink,
)
from gateway.workdays import WorkCalendar
from gateway.writer import Outcome, StoreWriter
from tests.helpers import credit_code, id_number

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
AUTHORITY = credit_code("113717000000001")
REP = PersonInput(
    name="张伟", id_number=id_number(seq=11), phone="13812345678", address="山东省菏泽市牡丹区中华路12号"
)
COMPANY = OrganizationInput(
    name="菏泽市牡丹区示例商贸有限公司",
    credit_code=credit_code("913717020000001"),
    registered_address="山东省菏泽市牡丹区人民路1号",
    legal_representative=REP,
)


def penalty(
    doc: str = "菏市监罚〔2026〕12号", severity: Severity = Severity.SERIOUS, content: str = "罚款"
) -> RecordInput:
    return RecordInput(
        subject=SubjectRef(credit_code=COMPANY.credit_code),
        category=Category.ADMINISTRATIVE_PENALTY,
        document_number=doc,
        authority_code=AUTHORITY,
        decision_date=date(2026, 2, 20),
        content=content,
        provider_code=AUTHORITY,
        severity=severity,
        procedure=Procedure.GENERAL,
    )


@pytest.fixture
def write(engine: Engine, cipher: FieldCipher):  # type: ignore[no-untyped-def]
    def run(items):  # type: ignore[no-untyped-def]
        with Session(engine) as session, session.begin():
            return StoreWriter(session, cipher, calendar=WorkCalendar.load(), clock=lambda: NOW).write(items)

    return run


def test_subjects_records_and_lists_are_created_then_unchanged_on_rewrite(write, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    entry = ListEntryInput(
        subject=SubjectRef(credit_code=COMPANY.credit_code),
        kind=ListKind.BLACK,
        list_name="严重违法失信名单",
        authority_code=AUTHORITY,
        reason="严重违法",
        listed_on=date(2026, 2, 25),
        records=(penalty().key,),
    )
    batch = [REP, COMPANY, penalty(), entry]
    first = write(batch)
    assert [r.outcome for r in first] == [Outcome.CREATED] * 4
    again = write(batch)
    assert [r.outcome for r in again] == [Outcome.UNCHANGED] * 4
    assert [r.id for r in again] == [r.id for r in first]
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Person)) == 1
        assert s.scalar(select(func.count()).select_from(ListEntryRecord)) == 1


def test_serious_dishonesty_of_an_organisation_reaches_its_legal_representative(
    write, engine: Engine
) -> None:  # type: ignore[no-untyped-def]
    results = write([COMPANY, penalty("A1号"), penalty("A2号", severity=Severity.GENERAL)])
    rep_id = write([REP])[0].id
    with Session(engine) as s:
        links = s.execute(select(RecordLink.record_id, RecordLink.subject_id)).all()
    assert links == [(results[1].id, rep_id)]


def test_changed_resubmission_keeps_the_old_version(write, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    first = write([COMPANY, penalty(content="罚款1万元")])
    second = write([penalty(content="罚款2万元")])
    assert second[0].outcome is Outcome.UPDATED and second[0].id == first[1].id
    with Session(engine) as s:
        rec = s.get(CreditRecord, first[1].id)
        assert rec is not None and rec.version == 2 and rec.content == "罚款2万元"
        assert rec.status is RecordStatus.ACTIVE
        old = s.scalars(select(CreditRecordVersion)).one()
    assert old.version == 1 and old.snapshot["content"] == "罚款1万元"


def test_duplicates_in_one_batch_and_unknown_subjects_are_rejected_alone(write) -> None:  # type: ignore[no-untyped-def]
    orphan = replace(penalty("B2号"), subject=SubjectRef(id_number=id_number(seq=99)))
    results = write([COMPANY, penalty("B1号"), penalty("B1号"), orphan])
    assert [r.outcome for r in results] == [
        Outcome.CREATED,
        Outcome.CREATED,
        Outcome.REJECTED,
        Outcome.REJECTED,
    ]
    assert results[2].reason == "duplicate of item 1"
    assert (results[3].field, results[3].reason) == ("subject", "unknown subject")


def test_person_update_replaces_given_fields_and_keeps_the_rest(
    write, engine: Engine, cipher: FieldCipher
) -> None:  # type: ignore[no-untyped-def]
    sid = write([REP])[0].id
    moved = PersonInput(name=REP.name, id_number=REP.id_number, address="山东省济南市历下区泉城路1号")
    assert write([moved])[0].outcome is Outcome.UPDATED
    with Session(engine) as s:
        person = s.get(Person, sid)
        assert person is not None
        read = lambda col, blob: cipher.decrypt(blob, table="persons", column=col, row=sid)  # noqa: E731
        assert read("address_enc", person.address_enc) == "山东省济南市历下区泉城路1号"
        assert read("phone_enc", person.phone_enc) == REP.phone


def test_individual_business_credit_code_is_encrypted_and_found_again(write, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    shop = OrganizationInput(
        name="牡丹区张伟烧烤店", credit_code=credit_code("923717020000002"), form=OrgForm.INDIVIDUAL_BUSINESS
    )
    created = write([shop])[0]
    assert write([shop])[0] == created.__class__(Outcome.UNCHANGED, created.id)
    with Session(engine) as s:
        org = s.get(Organization, created.id)
        assert org is not None and org.credit_code is None and org.credit_code_enc is not None


def test_late_records_are_flagged_against_the_working_day_deadline(write, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    # Decided Friday 2026-02-13; the Spring Festival holiday runs 02-15..02-23 and 02-14 is a workday.
    on_time = replace(penalty("C1号"), decision_date=date(2026, 2, 13))
    results = write([COMPANY, on_time])
    with Session(engine) as s:
        rec = s.get(CreditRecord, results[1].id)
        assert rec is not None
    # 02-14 (workday), 02-24, 02-25, 02-26, 02-27, 02-28 (workday), 03-02 = 7 working days by NOW.
    assert rec.received_within_deadline is True
    late = write([replace(penalty("C2号"), decision_date=date(2026, 2, 12))])
    with Session(engine) as s:
        rec = s.get(CreditRecord, late[0].id)
        assert rec is not None and rec.received_within_deadline is False
