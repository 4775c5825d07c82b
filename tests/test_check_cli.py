"""``credit-gateway check``: an office's CSV through a real gateway over HTTP, one result line per row,
and an interrupted run completed by running it again (rows already written are not sent again)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gateway.access.tokens import Role
from gateway.domain import AgencyKind
from tests.audit_helpers import events
from tests.cli import run_cli
from tests.clock import Clock
from tests.gateway_fixtures import BANK_CODE, COMPANY, LI, MARKET, ZHANG, build_env
from tests.gql import Served, serve

GRANT = """
mutation {
  grantConsent(input: {grantee: "%s", purpose: ADMINISTRATIVE_LICENSING, scopes: [RECORDS, LISTS], maxUses: 5}) {
    token
  }
}"""
UNKNOWN_CODE = BANK_CODE


@pytest.fixture
def served(tmp_path: Path, database_url: str) -> Iterator[Served]:
    env = build_env(tmp_path, database_url)
    with serve(env, Clock(datetime(2026, 3, 12, 2, 0, tzinfo=UTC))) as s:
        yield s


def _input(tmp_path: Path, consent: str) -> Path:
    path = tmp_path / "applicants.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["名称", "统一社会信用代码", "身份证号", "consent"])
        writer.writerow(["鑫源商贸", COMPANY.credit_code, "", ""])
        writer.writerow(["市场监管局", MARKET.credit_code, "", ""])
        writer.writerow(["未知", UNKNOWN_CODE, "", ""])
        writer.writerow(["张三丰", "", ZHANG.id_number, consent])
        writer.writerow(["李四", "", LI.id_number, ""])
    return path


def _check(served: Served, file: Path, out: Path) -> tuple[int, str]:
    token = served.env.token(Role.PARTNER, org_code=BANK_CODE, agency_kind=AgencyKind.FINANCE)
    done = run_cli(
        "check", str(file), "--matter", "administrative_licensing", "--purpose", "administrative_licensing",
        "--out", str(out), "--chunk", "2",
        keyring=served.env.settings.keyring_path, url=str(served.http.base_url), token=token,
    )  # fmt: skip
    return done.returncode, done.stdout + done.stderr


def _lines(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _checks_events(served: Served) -> list[dict[str, object]]:
    return [e for e in events(served.env.settings.database_url) if "creditChecks" in e["root_fields"]]


def test_a_spreadsheet_round_trips_one_result_per_row_and_resumes(served: Served, tmp_path: Path) -> None:
    consent = served.data(GRANT % BANK_CODE, {}, served.individual())["grantConsent"]["token"]
    file, out = _input(tmp_path, consent), tmp_path / "results.csv"
    code, output = _check(served, file, out)
    assert code == 1, output  # every row answered, some refused
    lines = _lines(out)
    assert [line["row"] for line in lines] == ["1", "2", "3", "4", "5"]
    company, market, unknown, zhang, li = lines
    assert (company["black_listed"], company["red_listed"], company["restrictions"]) == (
        "true",
        "false",
        "STRICT_REVIEW",
    )
    assert company["credit_code"] == COMPANY.credit_code and company["error_code"] == ""
    assert market["black_listed"] == "false" and market["error_code"] == ""
    assert unknown["error_code"] == "NOT_FOUND" and unknown["black_listed"] == ""
    assert zhang["black_listed"] == "true" and zhang["id_number"] == ZHANG.id_number
    assert li["error_code"] == "PERSON_UNAVAILABLE"
    assert consent not in out.read_text(encoding="utf-8")  # a consent token is never written out
    assert len(_checks_events(served)) == 3  # three chunks of at most two rows

    # Interrupted after the second chunk: the last row is missing. Running again sends only it.
    complete = out.read_text(encoding="utf-8")
    out.write_text("".join(complete.splitlines(keepends=True)[:5]), encoding="utf-8")
    code, output = _check(served, file, out)
    assert code == 1 and "1 rows checked (4 already in results.csv)" in output, output
    assert out.read_text(encoding="utf-8") == complete
    resumed = _checks_events(served)[-1]
    assert len(_checks_events(served)) == 4 and resumed["subjects"] == []  # Li's row alone, refused

    code, output = _check(served, file, out)  # nothing left: no request at all
    assert code == 0 and "0 rows checked (5 already" in output and len(_checks_events(served)) == 4


def test_a_refused_request_stops_the_run_with_exit_code_2(served: Served, tmp_path: Path) -> None:
    file, out = _input(tmp_path, "x"), tmp_path / "results.csv"
    token = served.env.token(Role.INDIVIDUAL, person_id=served.env.ids["zhang"])
    done = run_cli(
        "check", str(file), "--matter", "administrative_licensing", "--purpose", "administrative_licensing",
        "--out", str(out), keyring=served.env.settings.keyring_path, url=str(served.http.base_url), token=token,
    )  # fmt: skip
    assert done.returncode == 2 and "FORBIDDEN_OPERATION" in done.stderr, done.stderr
    assert _lines(out) == []  # the header only: nothing checked, so nothing to skip next time
