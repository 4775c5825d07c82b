"""JSON Lines import: every item type, exact rejections, idempotence, batching, database refusals."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from gateway.domain import Category, Severity
from gateway.importing.jsonl import read_jsonl
from gateway.importing.pipeline import DATABASE_REFUSED, import_file
from gateway.keys.crypto import FieldCipher
from gateway.store.models import CreditRecord, ListEntry, ListEntryRecord, Organization, Person, RecordLink
from gateway.workdays import WorkCalendar
from tests.import_helpers import DATA, NOW, count, rejections, run_import

ITEM_TYPES = "person, organization, agency, record, listEntry"


@pytest.mark.parametrize("batch_size", [1, 3, 1000])
def test_valid_file_is_stored_whatever_the_batch_size(
    engine: Engine, cipher: FieldCipher, batch_size: int
) -> None:
    report = run_import(engine, cipher, DATA / "valid.jsonl", batch_size=batch_size)
    assert report.summary() == {"created": 11, "updated": 0, "unchanged": 0, "rejected": 0}
    assert (report.format, report.encoding, report.layout, report.exit_code) == ("jsonl", "utf-8", None, 0)
    assert [count(engine, m) for m in (Person, Organization, CreditRecord, ListEntry, ListEntryRecord)] == [
        3,
        4,
        4,
        1,
        1,
    ]
    with Session(engine) as s:
        penalty = s.scalars(
            select(CreditRecord).where(CreditRecord.document_number == "菏市监罚〔2026〕31号")
        ).one()
        assert (penalty.severity, penalty.penalty_kinds, str(penalty.amount_10k_yuan)) == (
            Severity.SERIOUS,
            "责令关闭;罚款",
            "12.5000",
        )
        # Serious dishonesty of the company reaches its legal representative (001 (十)).
        assert s.scalars(select(RecordLink.record_id)).all() == [penalty.id]
        flagged = s.scalars(
            select(CreditRecord.document_number).where(CreditRecord.personal_traits_flagged)
        ).all()
        assert flagged == ["菏牡市监罚〔2026〕115号"]
        late = s.scalars(
            select(CreditRecord.document_number).where(~CreditRecord.received_within_deadline)
        ).all()
        assert late == []


def test_reimport_reports_every_line_unchanged_and_adds_nothing(engine: Engine, cipher: FieldCipher) -> None:
    run_import(engine, cipher, DATA / "valid.jsonl")
    again = run_import(engine, cipher, DATA / "valid.jsonl", batch_size=4)
    assert again.summary() == {"created": 0, "updated": 0, "unchanged": 11, "rejected": 0}
    assert [count(engine, m) for m in (Person, Organization, CreditRecord, ListEntry)] == [3, 4, 4, 1]


def test_changed_line_is_updated_and_the_rest_unchanged(
    engine: Engine, cipher: FieldCipher, tmp_path: Path
) -> None:
    run_import(engine, cipher, DATA / "valid.jsonl")
    lines = (DATA / "valid.jsonl").read_text(encoding="utf-8").splitlines()
    changed = json.loads(lines[10]) | {"amount10kYuan": "0.08"}
    lines[10] = json.dumps(changed, ensure_ascii=False)
    edited = tmp_path / "edited.jsonl"
    edited.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = run_import(engine, cipher, edited)
    assert report.summary() == {"created": 0, "updated": 1, "unchanged": 10, "rejected": 0}


def test_malformed_lines_get_exact_rejections_and_good_lines_are_stored(
    engine: Engine, cipher: FieldCipher
) -> None:
    report = run_import(engine, cipher, DATA / "invalid.jsonl")
    assert report.summary() == {"created": 2, "updated": 0, "unchanged": 0, "rejected": 12}
    assert report.exit_code == 1
    assert rejections(report) == [
        (2, "idNumber", "bad check character"),
        (3, None, "not valid JSON: Expecting value at column 1"),
        (4, "type", f"must be one of {ITEM_TYPES}"),
        (5, "decisionDate", "is not a calendar date"),
        (6, "severity", "must be one of MINOR, GENERAL, SERIOUS"),
        (8, "documentNumber", "duplicate of line 7"),
        (9, "subject", "unknown subject"),
        (10, "records[0]", "unknown record"),
        (11, "type", "each line must be a JSON object"),
        (13, "content", "must not contain NUL characters"),
        (14, "procedure", "applies to administrative penalties only"),
        (15, "decisionDate", "is in the future"),
    ]
    with Session(engine) as s:
        stored = s.scalars(select(CreditRecord)).one()
    # The first of the two lines with the same key is the one kept.
    assert (stored.document_number, stored.content) == ("泰山综执罚〔2026〕9号", "超限运输。")


def test_rejections_never_echo_the_rejected_values(engine: Engine, cipher: FieldCipher) -> None:
    report = run_import(engine, cipher, DATA / "invalid.jsonl")
    dumped = json.dumps(report.to_dict(), ensure_ascii=False)
    for secret in ("370902199507080554", "371721199001150170", "王五", "this is not json"):
        assert secret not in dumped


def test_records_may_name_subjects_stored_by_an_earlier_import(
    engine: Engine, cipher: FieldCipher, tmp_path: Path
) -> None:
    lines = (DATA / "valid.jsonl").read_text(encoding="utf-8").splitlines()
    subjects, records = tmp_path / "subjects.jsonl", tmp_path / "records.jsonl"
    subjects.write_text("\n".join(lines[:5] + lines[9:10]) + "\n", encoding="utf-8")
    records.write_text("\n".join(lines[5:9] + lines[10:]) + "\n", encoding="utf-8")
    assert run_import(engine, cipher, subjects).summary()["created"] == 6
    report = run_import(engine, cipher, records)
    assert report.summary() == {"created": 5, "updated": 0, "unchanged": 0, "rejected": 0}


def _refuse_document(engine: Engine, number: str) -> None:
    """A real database rule that refuses one record: stands for any constraint the database
    enforces beyond what the parsers check."""
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(
                text(
                    "CREATE TRIGGER refuse_document BEFORE INSERT ON credit_records "
                    f"WHEN NEW.document_number = '{number}' BEGIN SELECT RAISE(ABORT, 'refused'); END"
                )
            )
        else:
            conn.execute(
                text(
                    "CREATE FUNCTION refuse_document() RETURNS trigger AS $$ BEGIN "
                    f"IF NEW.document_number = '{number}' THEN RAISE EXCEPTION 'refused'; END IF; "
                    "RETURN NEW; END $$ LANGUAGE plpgsql"
                )
            )
            conn.execute(
                text(
                    "CREATE TRIGGER refuse_document BEFORE INSERT ON credit_records "
                    "FOR EACH ROW EXECUTE FUNCTION refuse_document()"
                )
            )


def test_a_row_the_database_refuses_is_rejected_alone_and_its_batch_is_retried(
    engine: Engine, cipher: FieldCipher
) -> None:
    _refuse_document(engine, "菏审批食许〔2026〕0102号")  # line 7 of valid.jsonl
    report = run_import(engine, cipher, DATA / "valid.jsonl", batch_size=1000)
    assert report.summary() == {"created": 10, "updated": 0, "unchanged": 0, "rejected": 1}
    assert rejections(report) == [(7, None, DATABASE_REFUSED)]
    with Session(engine) as s:
        categories = sorted(s.scalars(select(CreditRecord.category)).all())
    assert categories == [
        Category.ADMINISTRATIVE_PENALTY,
        Category.ADMINISTRATIVE_PENALTY,
        Category.CREDIT_COMMITMENT,
    ]
    assert count(engine, ListEntryRecord) == 1


def test_utf8_with_bom_is_read_and_other_encodings_are_refused(
    engine: Engine, cipher: FieldCipher, tmp_path: Path
) -> None:
    body = (DATA / "valid.jsonl").read_text(encoding="utf-8")
    with_bom = tmp_path / "bom.jsonl"
    with_bom.write_bytes(b"\xef\xbb\xbf" + body.encode("utf-8"))
    assert run_import(engine, cipher, with_bom).summary()["created"] == 11
    gb = tmp_path / "gb.jsonl"
    gb.write_bytes(body.encode("gb18030"))
    report = run_import(engine, cipher, gb)
    assert (report.error_code, report.exit_code, report.rows) == ("IMPORT_BAD_ENCODING", 2, 0)
    assert report.error_message == "JSON Lines files must be UTF-8; byte 28 is not valid UTF-8"


ODD_VALUES: list[object] = [
    None,
    0,
    -1,
    1.5,
    True,
    "",
    " ",
    "x" * 30_000,
    [],
    [1],
    {},
    {"a": 1},
    "\x00",
    "NaN",
]


def test_odd_values_in_any_field_are_rejected_under_that_field_never_raised() -> None:
    lines = (DATA / "valid.jsonl").read_text(encoding="utf-8").splitlines()
    for line in lines:
        obj = json.loads(line)
        for key in obj:
            for odd in ODD_VALUES:
                (row,) = read_jsonl([json.dumps(obj | {key: odd})], today=NOW.date())
                if row.rejection is not None:
                    field = row.rejection.field or ""
                    assert field == key or field.startswith((f"{key}.", f"{key}[")), (key, odd, row.rejection)


def test_a_decision_dated_today_in_beijing_is_not_in_the_future_while_utc_is_still_yesterday(
    engine: Engine, cipher: FieldCipher, tmp_path: Path
) -> None:
    lines = (DATA / "valid.jsonl").read_text(encoding="utf-8").splitlines()
    today_in_beijing = json.loads(lines[10]) | {"decisionDate": "2026-03-06"}
    path = tmp_path / "today.jsonl"
    path.write_text(
        "\n".join([lines[9], json.dumps(today_in_beijing, ensure_ascii=False)]) + "\n", encoding="utf-8"
    )
    early_morning = datetime(2026, 3, 5, 20, 0, tzinfo=UTC)  # 2026-03-06 04:00 in Beijing
    report = import_file(
        path, engine=engine, cipher=cipher, calendar=WorkCalendar.load(), clock=lambda: early_morning
    )
    assert report.summary() == {"created": 2, "updated": 0, "unchanged": 0, "rejected": 0}
