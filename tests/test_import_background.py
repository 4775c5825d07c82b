"""Rows read in a child process give the same import as rows read in-process.

Small files are read in-process (``background.MIN_BYTES``); these tests lower the threshold so the
fixture files go through the child, and compare with the in-process import of the same file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gateway.importing import background
from gateway.importing.errors import MalformedCsv
from gateway.importing.rows import SourceRow
from gateway.importing.source import TextSource
from gateway.keys.crypto import FieldCipher
from gateway.store import db
from gateway.store.models import CreditRecord, Organization, Person, Subject
from tests.import_helpers import DATA, count, run_import

pytestmark = pytest.mark.skipif(not background.can_fork(), reason="needs fork")


def _stored(engine: Engine) -> dict[str, Any]:
    """What an import left, without the random parts (ids, nonces)."""
    with Session(engine) as session:
        records = sorted(
            (
                r.authority_code,
                r.document_number,
                r.category.value,
                r.status.value,
                r.received_within_deadline,
            )
            for r in session.scalars(select(CreditRecord))
        )
    return {
        "subjects": count(engine, Subject),
        "persons": count(engine, Person),
        "organizations": count(engine, Organization),
        "records": records,
    }


def _report(report: Any) -> dict[str, Any]:
    document = report.to_dict()
    del document["seconds"], document["rowsPerSecond"]
    document["in reported order"] = [r.to_dict() for r in report.rejections]
    return document


@pytest.fixture
def other_engine(tmp_path: Path, database_url: str) -> Iterator[Engine]:
    """A second store to import the same file into in-process (SQLite only: one schema per test on
    PostgreSQL)."""
    if not database_url.startswith("sqlite"):
        pytest.skip("compares two stores; SQLite only")
    url = f"sqlite:///{tmp_path / 'in-process.db'}"
    db.upgrade(url)
    engine = db.make_engine(url)
    yield engine
    engine.dispose()


@pytest.mark.parametrize(
    "name",
    [
        "penalty_current.csv",
        "licensing_current.csv",
        "penalty_earlier.csv",
        "licensing_earlier.csv",
        "penalty_invalid.csv",
        "valid.jsonl",
        "invalid.jsonl",
    ],
)
def test_reading_in_a_child_gives_the_same_report_and_rows(
    engine: Engine, other_engine: Engine, cipher: FieldCipher, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_import(other_engine, cipher, DATA / "agencies.jsonl")
    in_process = run_import(other_engine, cipher, DATA / name, batch_size=3)
    monkeypatch.setattr(background, "MIN_BYTES", 0)
    monkeypatch.setattr(background, "CHUNK_ROWS", 2)
    run_import(engine, cipher, DATA / "agencies.jsonl")
    in_child = run_import(engine, cipher, DATA / name, batch_size=3)
    assert _report(in_child) == _report(in_process)
    assert _stored(engine) == _stored(other_engine)
    again = run_import(engine, cipher, DATA / name, batch_size=3)
    assert again.summary()["created"] == 0


def test_progress_moves_forward_and_ends_at_the_file_size(
    engine: Engine, cipher: FieldCipher, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(background, "MIN_BYTES", 0)
    monkeypatch.setattr(background, "CHUNK_ROWS", 1)
    path = DATA / "penalty_current.csv"
    seen: list[tuple[int, int]] = []
    run_import(engine, cipher, DATA / "agencies.jsonl")
    run_import(engine, cipher, path, batch_size=1, on_progress=lambda done, total: seen.append((done, total)))
    size = path.stat().st_size
    assert len(seen) > 1
    assert all(total == size for _, total in seen)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    assert seen[-1] == (size, size)


def _failing(rows: int, error: BaseException) -> Iterator[SourceRow]:
    for line in range(1, rows + 1):
        yield SourceRow.rejected(line, None, "bad")
    raise error


@pytest.mark.parametrize(
    ("error", "expected"),
    [(MalformedCsv("line 3: field larger than field limit"), MalformedCsv), (ValueError("odd"), ValueError)],
)
def test_an_error_in_the_child_is_raised_in_the_parent_after_the_rows_before_it(
    error: BaseException, expected: type[BaseException]
) -> None:
    received: list[int] = []
    with (
        TextSource(DATA / "valid.jsonl", "utf-8") as source,
        background.background_rows(_failing(3, error), source) as rows,
    ):
        with pytest.raises(expected, match=str(error)):
            for row in rows:
                received.append(row.line)
    assert received == [1, 2, 3]
