from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session

from gateway.domain import Category, ListKind, ListStatus, OrgForm, Procedure, RecordStatus, Severity
from gateway.keys.crypto import FieldCipher
from gateway.keys.keyring import Keyring, SecretBytes
from gateway.store import db
from gateway.store.bulk_insert import _DriverInsert
from gateway.store.inputs import (
    ListEntryInput,
    OrganizationInput,
    PersonInput,
    RecordInput,
    RecordKey,
    SubjectRef,
)
from gateway.store.models import (
    CreditRecord,
    CreditRecordVersion,
    ListEntry,
    ListEntryRecord,
    Organization,
    Person,
    RecordLink,
    Subject,
)
from gateway.store.record_hashing import content_hash as _content_hash
from gateway.store.writer import StoreWriter
from gateway.store.writer import WriteOutcome as Outcome
from gateway.workdays import WorkCalendar
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


def blacklisting(record: RecordKey) -> ListEntryInput:
    """The company on the serious-violation black list, justified by ``record``."""
    return ListEntryInput(
        subject=SubjectRef(credit_code=COMPANY.credit_code),
        kind=ListKind.BLACK,
        list_name="严重违法失信名单",
        authority_code=AUTHORITY,
        reason="严重违法",
        listed_on=date(2026, 2, 25),
        records=(record,),
    )


def test_subjects_records_and_lists_are_created_then_unchanged_on_rewrite(write, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    entry = blacklisting(penalty().key)
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
    assert write([shop])[0] == created.__class__(Outcome.UNCHANGED, created.id, subject_id=created.id)
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


def test_numbers_sharing_a_truncated_blind_index_stay_two_people(engine: Engine) -> None:
    # Under this index key the two numbers share their 32-bit blind index (found by search): a
    # lookup must decrypt every candidate rather than map each index value to one number.
    fixed = FieldCipher(
        Keyring(
            data_keys={1: SecretBytes(bytes(32))}, index_key=SecretBytes(bytes(range(32))), signing_keys={}
        )
    )
    first, second = "371702196503215939", "371702196703162237"
    assert fixed.blind_index("id_number", first) == fixed.blind_index("id_number", second)
    batch = [PersonInput(name="甲", id_number=first), PersonInput(name="乙", id_number=second)]

    def write(items):  # type: ignore[no-untyped-def]
        with Session(engine) as session, session.begin():
            return StoreWriter(session, fixed, calendar=WorkCalendar(), clock=lambda: NOW).write(items)

    created = write(batch)
    again = write(batch)
    assert [r.outcome for r in again] == [Outcome.UNCHANGED, Outcome.UNCHANGED]
    assert [r.id for r in again] == [r.id for r in created]
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Person)) == 2


def test_a_batch_is_one_insert_per_table_whatever_fields_are_missing(
    write, engine: Engine, cipher: FieldCipher
) -> None:  # type: ignore[no-untyped-def]
    people = [
        PersonInput(name="赵一", id_number=id_number(seq=1), phone="13800000001"),
        PersonInput(name="钱二", id_number=id_number(seq=3)),
        PersonInput(name="孙三", id_number=id_number(seq=5), health_status="高血压", religion="佛教"),
        PersonInput(name="李四", id_number=id_number(seq=7), address="山东省菏泽市牡丹区中华路1号"),
    ]
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    results = write(people)
    event.remove(engine, "before_cursor_execute", record)
    inserts = [s for s in statements if s.startswith("INSERT INTO persons")]
    assert len(inserts) == 1
    with Session(engine) as s:
        for person_input, result in zip(people, results, strict=True):
            row = s.get(Person, result.id)
            assert row is not None
            for field in ("name", "phone", "health_status", "religion", "address"):
                blob = getattr(row, f"{field}_enc")
                got = (
                    None
                    if blob is None
                    else cipher.decrypt(blob, table="persons", column=f"{field}_enc", row=result.id)
                )
                assert got == getattr(person_input, field)


def test_the_same_document_number_of_two_authorities_is_two_records(write) -> None:  # type: ignore[no-untyped-def]
    other = credit_code("113717020000009")
    second = replace(penalty("D1号"), authority_code=other, provider_code=other)
    first = write([COMPANY, penalty("D1号"), second])
    assert [r.outcome for r in first] == [Outcome.CREATED] * 3 and first[1].id != first[2].id
    again = write([penalty("D1号"), second])
    assert [(r.outcome, r.id) for r in again] == [
        (Outcome.UNCHANGED, first[1].id),
        (Outcome.UNCHANGED, first[2].id),
    ]


def test_list_entries_of_several_subjects_are_found_again_and_updated(write) -> None:  # type: ignore[no-untyped-def]
    shop = OrganizationInput(
        name="示例小店", credit_code=credit_code("923717020000003"), form=OrgForm.INDIVIDUAL_BUSINESS
    )

    def entry(subject: SubjectRef, status: ListStatus = ListStatus.LISTED) -> ListEntryInput:
        return ListEntryInput(
            subject=subject,
            kind=ListKind.RED,
            list_name="守信激励对象名单",
            authority_code=AUTHORITY,
            reason="表彰",
            listed_on=date(2025, 5, 6),
            status=status,
            exited_on=date(2026, 1, 5) if status is ListStatus.EXITED else None,
        )

    company, person = SubjectRef(credit_code=COMPANY.credit_code), SubjectRef(id_number=REP.id_number)
    created = write([REP, COMPANY, shop, entry(company), entry(person)])
    changed = write([entry(company), entry(person, ListStatus.EXITED)])
    assert [(r.outcome, r.id) for r in changed] == [
        (Outcome.UNCHANGED, created[3].id),
        (Outcome.UPDATED, created[4].id),
    ]


def test_the_content_hash_of_a_record_is_stable() -> None:
    # Stored hashes decide UNCHANGED versus UPDATED on every re-import: the canonical form (sorted
    # keys, enums by value, dates and amounts as text, JSON without ASCII escapes) must not drift.
    values = {
        "subject_id": "0" * 32,
        "category": Category.ADMINISTRATIVE_PENALTY,
        "document_number": "菏市监罚〔2025〕318号",
        "authority_code": "113717000000001X",
        "authority_name": "菏泽市市场监督管理局",
        "decision_date": date(2025, 1, 2),
        "content": '当事人"引号"\\反斜杠\n换行',
        "legal_basis": "《中华人民共和国食品安全法》第一百二十四条",
        "severity": Severity.GENERAL,
        "procedure": Procedure.GENERAL,
        "status": RecordStatus.ACTIVE,
        "kept": False,
        "penalty_kinds": "罚款",
        "amount_10k_yuan": Decimal("1.25"),
        "valid_until": None,
        "publication_until": date(2026, 1, 1),
        "provider_code": "113717000000001X",
    }
    assert _content_hash(values) == "4f88e89dab310be0a2e720357bcb50b90d44fdd4156f837bc4c1a37bf24bd167"


def test_resubmission_keeps_the_first_receipt_and_its_deadline_flag(
    engine: Engine, cipher: FieldCipher
) -> None:
    def write_at(when: datetime, items):  # type: ignore[no-untyped-def]
        with Session(engine) as session, session.begin():
            return StoreWriter(session, cipher, calendar=WorkCalendar.load(), clock=lambda: when).write(items)

    first = write_at(NOW, [COMPANY, penalty("D1号", content="罚款1万元")])
    later = NOW.replace(month=6)
    assert write_at(later, [penalty("D1号", content="罚款3万元")])[0].outcome is Outcome.UPDATED
    with Session(engine) as s:
        rec = s.get(CreditRecord, first[1].id)
        assert rec is not None and rec.received_within_deadline is True
        assert rec.received_at.replace(tzinfo=UTC) == NOW


def test_a_record_raised_to_serious_on_resubmission_reaches_the_legal_representative(
    write, engine: Engine
) -> None:  # type: ignore[no-untyped-def]
    first = write([REP, COMPANY, penalty("E1号", severity=Severity.GENERAL)])
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(RecordLink)) == 0
    write([penalty("E1号", severity=Severity.SERIOUS)])
    write([penalty("E1号", severity=Severity.SERIOUS, content="罚款并吊销许可证")])
    with Session(engine) as s:
        links = s.execute(select(RecordLink.record_id, RecordLink.subject_id)).all()
    assert links == [(first[2].id, first[0].id)]


def _table_rows(engine: Engine, cipher: FieldCipher) -> dict[str, list[tuple[Any, ...]]]:
    """Every row the writer can insert, read back through SQLAlchemy, ciphertexts decrypted (their
    nonces differ from one write to the next)."""
    tables: dict[str, list[tuple[Any, ...]]] = {}
    with Session(engine) as s:
        for model in (Subject, Person, Organization, CreditRecord, RecordLink, ListEntry, ListEntryRecord):
            table = model.__table__
            rows = []
            for row in s.execute(select(table)).mappings():
                values = dict(row)
                for column, blob in row.items():
                    if column.endswith("_enc") and blob is not None:
                        key = values.get("subject_id")
                        values[column] = cipher.decrypt(blob, table=table.name, column=column, row=key)
                rows.append(tuple(sorted(values.items())))
            tables[table.name] = sorted(rows, key=repr)
    return tables


def test_rows_handed_to_the_driver_read_back_as_sqlalchemys_own_inserts(
    engine: Engine, cipher: FieldCipher, tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite gets pre-converted tuples (``_DriverInsert``); every column type, None and enum must
    store exactly what SQLAlchemy's executemany stores."""
    if not database_url.startswith("sqlite"):
        pytest.skip("the driver path is SQLite's")
    shop = OrganizationInput(
        name="牡丹区张伟烧烤店", credit_code=credit_code("923717020000002"), form=OrgForm.INDIVIDUAL_BUSINESS
    )
    fined = replace(
        penalty("E1号"), amount_10k_yuan=Decimal("1.2345"), valid_until=date(2027, 2, 20), kept=None
    )
    entry = blacklisting(fined.key)
    batch = [
        REP,
        PersonInput(name="钱二", id_number=id_number(seq=3)),
        COMPANY,
        shop,
        fined,
        penalty("E2号"),
        entry,
    ]

    def write_into(target: Engine) -> None:
        ids = iter(f"{n:032x}" for n in range(1, 100))
        with Session(target) as session, session.begin():
            StoreWriter(
                session, cipher, calendar=WorkCalendar.load(), clock=lambda: NOW, id_factory=lambda: next(ids)
            ).write(batch)

    write_into(engine)
    url = f"sqlite:///{tmp_path / 'core.db'}"
    db.upgrade(url)
    core = db.make_engine(url)
    monkeypatch.setattr(_DriverInsert, "for_rows", classmethod(lambda *_args: None))
    try:
        write_into(core)
        assert _table_rows(engine, cipher) == _table_rows(core, cipher)
        with core.connect() as a, engine.connect() as b:
            for table in ("credit_records", "list_entries", "subjects"):
                raw = f"SELECT * FROM {table} ORDER BY 1"
                assert a.exec_driver_sql(raw).all() == b.exec_driver_sql(raw).all()
            blobs = (
                "SELECT subject_id, typeof(name_enc), typeof(phone_enc), id_number_bidx, phone_bidx, "
                "length(address_enc) FROM persons ORDER BY 1"
            )
            assert a.exec_driver_sql(blobs).all() == b.exec_driver_sql(blobs).all()
    finally:
        core.dispose()
