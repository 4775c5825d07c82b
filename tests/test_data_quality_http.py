"""Data quality through real HTTP, and import reports fed in by the command line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.domain import TEN_PUBLICITIES
from gateway.store import db
from gateway.store.models import RejectedRow
from tests.cli import run_cli
from tests.clock import Clock
from tests.gateway_fixtures import BANK_CODE, COMPANY, MARKET, build_env
from tests.gql import Served, codes, serve

QUALITY = """
query($authority: String, $from: Date, $to: Date) {
  dataQuality(authorityCode: $authority, from: $from, to: $to) {
    authorityCode from to records inScope published rejectedRows
    publicationRate withinDeadlineRate validationPassRate categoryCoverage coveredCategories missingCategories
  }
}"""
SUBMIT = """
mutation($records: [RecordSubmission!]!) { submitRecords(records: $records) { created rejected { index } } }"""
MARCH = {"from": "2026-03-01", "to": "2026-03-31"}


@pytest.fixture
def served(tmp_path: Path, database_url: str) -> Iterator[Served]:
    env = build_env(tmp_path, database_url)  # four records received 2026-03-12, decided 2026-03-02
    with serve(env, Clock(datetime(2026, 3, 12, 2, 0, tzinfo=UTC))) as s:
        good = {
            "subjectCreditCode": COMPANY.credit_code, "category": "ADMINISTRATIVE_PENALTY",
            "documentNumber": "菏市监罚〔2026〕9号", "authorityCode": MARKET.credit_code,
            "decisionDate": "2026-03-05", "content": "未按规定公示年报", "severity": "GENERAL",
        }  # fmt: skip
        records = [
            good,
            {**good, "authorityCode": BANK_CODE, "documentNumber": "X"},
            {**good, "decisionDate": "x"},
        ]
        body = s.data(SUBMIT, {"records": records}, s.provider(MARKET.credit_code))
        assert body["submitRecords"] == {"created": 1, "rejected": [{"index": 1}, {"index": 2}]}
        yield s


def quality(s: Served, headers: dict[str, str], **variables: Any) -> list[dict[str, Any]]:
    return s.data(QUALITY, variables, headers)["dataQuality"]


def test_a_provider_sees_its_own_measures(served: Served) -> None:
    (report,) = quality(served, served.provider(MARKET.credit_code), **MARCH)
    assert report["authorityCode"] == MARKET.credit_code
    # Five records: the company's serious and simple-procedure penalties and licence, Zhang's penalty,
    # and the one just submitted. In scope: the company's serious penalty, licence, and the new one.
    assert (report["records"], report["inScope"], report["published"], report["rejectedRows"]) == (5, 3, 3, 2)
    assert report["publicationRate"] == 0.6  # 3 / (3 + 2)
    assert report["withinDeadlineRate"] == 0.2  # only the new one came within 7 working days
    assert report["validationPassRate"] == 0.7143  # 5 / 7
    assert report["categoryCoverage"] == 0.2
    assert report["coveredCategories"] == ["ADMINISTRATIVE_LICENSING", "ADMINISTRATIVE_PENALTY"]
    assert len(report["missingCategories"]) == len(TEN_PUBLICITIES) - 2


def test_published_follows_the_clock(served: Served) -> None:
    served.clock.on(date(2027, 3, 5))  # the new general penalty's last day
    assert quality(served, served.admin(), authority=MARKET.credit_code, **MARCH)[0]["published"] == 3
    served.clock.on(date(2027, 3, 6))
    assert quality(served, served.admin(), authority=MARKET.credit_code, **MARCH)[0]["published"] == 2
    served.clock.on(date(2029, 3, 3))  # the serious penalty's three years are over too: the licence stays
    assert quality(served, served.admin(), authority=MARKET.credit_code, **MARCH)[0]["published"] == 1


def test_the_window_is_of_receipt_dates_in_china(served: Served) -> None:
    (empty,) = quality(
        served, served.provider(MARKET.credit_code), **{"from": "2026-03-01", "to": "2026-03-11"}
    )
    assert (empty["records"], empty["rejectedRows"], empty["publicationRate"], empty["validationPassRate"]) == (
        0, 0, None, None,
    )  # fmt: skip
    default = quality(served, served.provider(MARKET.credit_code))[0]  # this quarter to date
    assert (default["from"], default["to"], default["records"]) == ("2026-01-01", "2026-03-12", 5)


def test_who_sees_which_authority(served: Served) -> None:
    everyone = quality(served, served.admin(), **MARCH)
    assert [r["authorityCode"] for r in everyone] == [MARKET.credit_code]
    assert quality(served, served.auditor(), **MARCH) == everyone
    other = served.gql(QUALITY, {"authority": BANK_CODE, **MARCH}, served.provider(MARKET.credit_code))
    assert codes(other) == ["NOT_ENTITLED"]
    assert codes(served.gql(QUALITY, MARCH, served.partner())) == ["FORBIDDEN_OPERATION"]
    backwards = served.gql(QUALITY, {"from": "2026-03-31", "to": "2026-03-01"}, served.admin())
    assert codes(backwards) == ["INVALID_INPUT"]
    too_long = served.gql(QUALITY, {"from": "2025-01-01", "to": "2026-03-01"}, served.admin())
    assert codes(too_long) == ["INVALID_INPUT"]


def test_an_import_report_feeds_the_rejected_rows_once(served: Served, tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    report.write_text(
        json.dumps(
            {"file": "/exports/penalties-2026q1.csv", "rows": 3, "rejections": [
                {"line": 2, "field": "行政相对人代码_1(统一社会信用代码)", "reason": "is not a valid code"},
                {"line": 3, "field": None, "reason": "the database refused this row"},
            ]}, ensure_ascii=False,
        ),
        encoding="utf-8",
    )  # fmt: skip
    settings = served.env.settings
    url = {"database_url": settings.database_url}
    first = run_cli("quality", "load-report", str(report), "--authority", MARKET.credit_code,
                    keyring=settings.keyring_path, **url)  # fmt: skip
    assert first.returncode == 0, first.stderr
    assert "2 rejected rows recorded" in first.stderr
    again = run_cli("quality", "load-report", str(report), "--authority", MARKET.credit_code,
                    keyring=settings.keyring_path, **url)  # fmt: skip
    assert again.returncode == 0 and "already loaded" in again.stderr
    bad = run_cli(
        "quality", "load-report", str(report), "--authority", "123", keyring=settings.keyring_path, **url
    )
    assert bad.returncode == 1 and "INVALID_INPUT" in bad.stderr and "Traceback" not in bad.stderr
    engine = db.make_engine(settings.database_url)
    try:
        with Session(engine) as session:
            rows = session.scalars(select(RejectedRow).where(RejectedRow.source.like("import:%"))).all()
    finally:
        engine.dispose()
    assert sorted((r.authority_code, r.line, r.reason) for r in rows) == [
        (MARKET.credit_code, 2, "is not a valid code"),
        (MARKET.credit_code, 3, "the database refused this row"),
    ]
    assert all(r.source.startswith("import:penalties-2026q1.csv:") for r in rows)
