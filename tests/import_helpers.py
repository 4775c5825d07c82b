"""Running imports in tests: real files, the real store writer, a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from gateway.importing.pipeline import import_file
from gateway.importing.report import ImportReport
from gateway.keys.crypto import FieldCipher
from gateway.workdays import WorkCalendar

DATA = Path(__file__).with_name("data")
# A Friday: 2026-02-26 is exactly 7 working days back (02-28 is a working Saturday), 02-25 is 8.
NOW = datetime(2026, 3, 6, 9, 0, tzinfo=UTC)


def run_import(engine: Engine, cipher: FieldCipher, path: Path, **options: Any) -> ImportReport:
    return import_file(
        path, engine=engine, cipher=cipher, calendar=WorkCalendar.load(), clock=lambda: NOW, **options
    )


def rejections(report: ImportReport) -> list[tuple[int, str | None, str]]:
    return [(r.line, r.field, r.reason) for r in report.sorted_rejections()]


def count(engine: Engine, model: type[Any]) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0
