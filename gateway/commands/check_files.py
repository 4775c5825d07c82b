"""The spreadsheets of ``credit-gateway check``: an office's list of subjects in, one result per row out.

In: a CSV with a header row naming ``credit_code`` and ``id_number`` (``creditCode``/``idNumber`` and
the Chinese headers 统一社会信用代码/身份证号 too), one of them filled per row, and optionally ``consent``
(the token a person gave the office). UTF-8 (with or without BOM) or GB18030, as spreadsheets save it.

Out: one line per input row, keyed by ``row`` (the data row's number, from 1): the subject as given
(never the consent token), the check's ``black_listed``, ``red_listed``, ``three_years_clean``,
``restrictions`` and ``facilitation`` (measure codes joined by ``;``), or the row's ``error_code``.
A run appends to an existing output and skips the rows it already holds, so an interrupted run is
completed by running it again.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from gateway.errors import InvalidInput

OUT_COLUMNS = (
    "row",
    "credit_code",
    "id_number",
    "black_listed",
    "red_listed",
    "three_years_clean",
    "restrictions",
    "facilitation",
    "error_code",
)
_ALIASES = {
    "credit_code": ("credit_code", "creditcode", "统一社会信用代码"),
    "id_number": ("id_number", "idnumber", "身份证号", "身份证号码"),
    "consent": ("consent", "consent_token", "授权"),
}


@dataclass(frozen=True, slots=True)
class SubjectRow:
    """One data row of the input: its number (from 1) and what names the subject."""

    row: int
    credit_code: str | None
    id_number: str | None
    consent: str | None

    def variable(self) -> dict[str, str]:
        """The row as a ``BulkCheckSubject``: only what it gives (an empty row is refused per row)."""
        named = {"creditCode": self.credit_code, "idNumber": self.id_number, "consent": self.consent}
        return {k: v for k, v in named.items() if v}


def _text(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("gb18030")


def read_subjects(path: Path) -> list[SubjectRow]:
    """Every data row of the input; INVALID_INPUT when no header names a subject column."""
    reader = csv.reader(_text(path).splitlines())
    header = next(reader, None)
    if header is None:
        raise InvalidInput("FILE", "the file is empty")
    places = {h.strip().lower(): i for i, h in enumerate(header)}
    column = {
        name: next((places[a] for a in aliases if a in places), None) for name, aliases in _ALIASES.items()
    }
    if column["credit_code"] is None and column["id_number"] is None:
        raise InvalidInput("FILE", "the header names neither a credit_code nor an id_number column")

    def cell(values: list[str], name: str) -> str | None:
        place = column[name]
        value = values[place].strip() if place is not None and place < len(values) else ""
        return value or None

    return [
        SubjectRow(number, cell(values, "credit_code"), cell(values, "id_number"), cell(values, "consent"))
        for number, values in enumerate(reader, start=1)
        if any(v.strip() for v in values)
    ]


def rows_done(path: Path) -> set[int]:
    """The row numbers an earlier run already wrote to ``path`` (none when it does not exist)."""
    if not path.exists():
        return set()
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return {int(r["row"]) for r in csv.DictReader(handle) if (r.get("row") or "").isdigit()}


def open_output(path: Path) -> tuple[TextIO, csv.DictWriter[str]]:
    """``path`` opened for appending, with the header written if the file is new or empty."""
    fresh = not path.exists() or path.stat().st_size == 0
    handle = path.open("a", encoding="utf-8", newline="")
    writer = csv.DictWriter(handle, fieldnames=OUT_COLUMNS)
    if fresh:
        writer.writeheader()
    return handle, writer


def result_line(subject: SubjectRow, answer: Mapping[str, Any]) -> dict[str, str]:
    """The output line of one row from its ``BulkCheckRow`` answer."""
    line = {
        "row": str(subject.row),
        "credit_code": subject.credit_code or "",
        "id_number": subject.id_number or "",
    }
    check = answer.get("check")
    if check is None:
        return line | {"error_code": str(answer.get("errorCode") or "")}
    return line | {
        "black_listed": _flag(check["blackListed"]),
        "red_listed": _flag(check["redListed"]),
        "three_years_clean": _flag(check["threeYearsClean"]),
        "restrictions": ";".join(m["code"] for m in check["restrictions"]),
        "facilitation": ";".join(m["code"] for m in check["facilitation"]),
        "error_code": "",
    }


def _flag(value: object) -> str:
    return "true" if value else "false"


def chunks(rows: list[SubjectRow], *, max_rows: int, max_bytes: int) -> Iterator[list[SubjectRow]]:
    """Runs of rows, each at most ``max_rows`` long and about ``max_bytes`` as variables, so that every
    request stays inside the gateway's body limit (``GATEWAY_MAX_REQUEST_BYTES``)."""
    run: list[SubjectRow] = []
    size = 0
    for row in rows:
        cost = 40 + sum(len(v) for v in row.variable().values())
        if run and (len(run) >= max_rows or size + cost > max_bytes):
            yield run
            run, size = [], 0
        run.append(row)
        size += cost
    if run:
        yield run
