"""``credit-gateway quality``: feed the data-quality measures from outside the API."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.commands.common import console, settings, user_errors
from gateway.errors import InvalidInput
from gateway.identifiers import normalize_credit_code
from gateway.lifecycle.quality import record_rejections
from gateway.store import db
from gateway.store.models import RejectedRow

app = typer.Typer(help="Data-quality measures of the double-publicity assessment.", no_args_is_help=True)


def _rejections(report: dict[str, Any]) -> list[tuple[int | None, str | None, str]]:
    rows = report.get("rejections")
    if not isinstance(rows, list):
        raise InvalidInput("report", "is not an import report (no 'rejections' list)")
    found: list[tuple[int | None, str | None, str]] = []
    for row in rows:
        if not isinstance(row, dict) or not isinstance(row.get("reason"), str):
            raise InvalidInput("report", "every rejection needs a reason")
        line, field = row.get("line"), row.get("field")
        found.append(
            (
                line if isinstance(line, int) else None,
                field if isinstance(field, str) else None,
                row["reason"],
            )
        )
    return found


@app.command("load-report")
def load_report(
    report: Annotated[
        Path, typer.Argument(help="A JSON report written by 'credit-gateway import --report'.")
    ],
    authority: Annotated[str, typer.Option(help="Credit code of the authority whose file was imported.")],
) -> None:
    """Record an import report's rejected rows against an authority, for its validation-pass rate.
    A report is loaded once: loading the same report again changes nothing."""
    cfg = settings()
    with user_errors():
        code = normalize_credit_code(authority, field="authority")
        try:
            text = report.read_text(encoding="utf-8")
            document = json.loads(text)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            raise InvalidInput("report", "cannot read it as JSON") from None
        if not isinstance(document, dict):
            raise InvalidInput("report", "is not an import report")
        rejections = _rejections(document)
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
        source = f"import:{Path(str(document.get('file', report.name))).name}:{digest}"
        db.upgrade(cfg.database_url)
        engine = db.make_engine(cfg.database_url)
        try:
            with Session(engine) as session, session.begin():
                if session.scalar(select(RejectedRow.id).where(RejectedRow.source == source).limit(1)):
                    console.print(f"{report.name}: already loaded, nothing changed")
                    return
                count = record_rejections(
                    session, authority_code=code, source=source, rejections=rejections, now=datetime.now(UTC)
                )
        finally:
            engine.dispose()
    console.print(f"{report.name}: {count} rejected row{'s' if count != 1 else ''} recorded for {code}")
