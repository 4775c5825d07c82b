"""``credit-gateway import`` run as a real subprocess against a real database and keyring."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.import_helpers import DATA

CLI = Path(sys.executable).with_name("credit-gateway")


@pytest.fixture
def cli(database_url: str, keyring_path: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Runs the installed command with the test's database (not yet migrated) and keyring."""

    def run(*args: str, keyring: Path = keyring_path) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
        env |= {"GATEWAY_DATABASE_URL": database_url, "GATEWAY_KEYRING": str(keyring), "COLUMNS": "200"}
        return subprocess.run(
            [str(CLI), "import", *args], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
        )

    return run


def _report(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def test_import_stores_a_file_and_a_second_run_changes_nothing(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    report_path = tmp_path / "report.json"
    first = cli(str(DATA / "penalty_current.csv"), "--report", str(report_path))
    assert first.returncode == 0, first.stderr
    assert "Traceback" not in first.stderr
    assert "5 rows (csv, utf-8, layout penalty) in" in first.stdout and "rows/s" in first.stdout
    report = _report(report_path)
    assert {k: report[k] for k in ("rows", "created", "updated", "unchanged", "rejected", "rejections")} == {
        "rows": 5,
        "created": 5,
        "updated": 0,
        "unchanged": 0,
        "rejected": 0,
        "rejections": [],
    }
    assert report["rowsPerSecond"] > 0
    second = cli(str(DATA / "penalty_current.csv"), "--report", str(report_path))
    assert second.returncode == 0, second.stderr
    assert (_report(report_path)["created"], _report(report_path)["unchanged"]) == (0, 5)


def test_rejected_rows_exit_1_with_the_report_and_the_good_rows_stored(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    report_path = tmp_path / "report.json"
    result = cli(str(DATA / "invalid.jsonl"), "--report", str(report_path), "--batch-size", "2")
    assert result.returncode == 1, result.stderr
    report = _report(report_path)
    assert (report["created"], report["rejected"], report["format"]) == (2, 12, "jsonl")
    assert report["rejections"][:3] == [
        {"line": 2, "field": "idNumber", "reason": "bad check character"},
        {"line": 3, "field": None, "reason": "not valid JSON: Expecting value at column 1"},
        {
            "line": 4,
            "field": "type",
            "reason": "must be one of person, organization, agency, record, listEntry",
        },
    ]
    assert "duplicate of line 7" in result.stdout and "unknown subject" in result.stdout
    for value in ("370902199507080554", "王五"):
        assert value not in result.stdout + result.stderr + report_path.read_text(encoding="utf-8")
    rerun = cli(str(DATA / "invalid.jsonl"), "--report", str(report_path))
    assert rerun.returncode == 1
    assert (_report(report_path)["unchanged"], _report(report_path)["created"]) == (2, 0)


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda d: d / "absent.csv", "IMPORT_FILE_UNREADABLE"),
        (
            lambda d: _write(d / "latin1.csv", "Name,Ort\nJosé,Café\n".encode("latin-1")),
            "IMPORT_BAD_ENCODING",
        ),
        (lambda d: _write(d / "other.csv", "姓名,金额\n张三,1\n".encode()), "IMPORT_UNKNOWN_LAYOUT"),
        (
            lambda d: _write(d / "cut.csv", "行政处罚决定书文号,行政相对人名称\n".encode()),
            "IMPORT_MISSING_COLUMNS",
        ),
    ],
    ids=["absent", "latin-1", "unknown-layout", "missing-columns"],
)
def test_file_level_errors_exit_2_with_one_line_and_no_traceback(
    cli, tmp_path: Path, make, code: str
) -> None:  # type: ignore[no-untyped-def]
    path = make(tmp_path)
    report_path = tmp_path / "report.json"
    result = cli(str(path), "--report", str(report_path))
    assert result.returncode == 2
    assert f"[{code}]" in result.stderr and "Traceback" not in result.stderr
    assert _report(report_path)["error"]["code"] == code


def _write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


def test_missing_keyring_exits_2_before_touching_the_file(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli(str(DATA / "valid.jsonl"), keyring=tmp_path / "no-keyring.json")
    assert result.returncode == 2
    assert "[KEYRING_ERROR]" in result.stderr and "credit-gateway keys init" in result.stderr


def test_format_option_overrides_the_extension(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    export = tmp_path / "agencies.txt"
    export.write_bytes((DATA / "agencies.jsonl").read_bytes())
    assert cli(str(export), "--format", "jsonl").returncode == 0
    as_csv = cli(str(export), "--format", "csv")
    assert as_csv.returncode == 2 and "[IMPORT_UNKNOWN_LAYOUT]" in as_csv.stderr
    sniffed = cli(str(export))  # no known extension: a line starting with { is JSON Lines
    assert sniffed.returncode == 0 and "3 rows (jsonl, utf-8)" in sniffed.stdout


def test_earlier_layout_after_registering_its_agencies(cli) -> None:  # type: ignore[no-untyped-def]
    unknown = cli(str(DATA / "licensing_earlier.csv"))
    assert unknown.returncode == 1 and "names no registered agency" in unknown.stdout
    assert cli(str(DATA / "agencies.jsonl")).returncode == 0
    known = cli(str(DATA / "licensing_earlier.csv"))
    assert known.returncode == 0 and "2 rows (csv, utf-8, layout licensing-earlier)" in known.stdout
