"""A verified report rendered as a PDF: Chinese text visible (poppler's pdftotext and pdftoppm), the
signed report attached unchanged and verifying again once extracted (pdfdetach), a report that does
not verify never rendered. Needs poppler-utils and a CJK font (Debian fonts-noto-cjk), which .ci/run
installs; elsewhere the test is skipped unless GATEWAY_TEST_REQUIRE_POPPLER is set."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from gateway.clock import utcnow
from gateway.domain import SubjectKind
from gateway.keys import jwks
from gateway.keys.keyring import Keyring, SigningPurpose
from gateway.reports.document import ReportSection, Requester, report_document
from gateway.reports.pdf import find_font
from gateway.reports.signing import ReportSigner
from tests.cli import run_cli

TOOLS = ("pdftoppm", "pdftotext", "pdfdetach")
if not all(shutil.which(t) for t in TOOLS) and not os.environ.get("GATEWAY_TEST_REQUIRE_POPPLER"):
    pytest.skip("poppler-utils is not installed", allow_module_level=True)

RECORD = {"documentNumber": "菏市监罚〔2026〕1号", "authorityName": "菏泽市市场监督管理局",
          "content": "销售不合格食品，罚款2万元", "category": "ADMINISTRATIVE_PENALTY", "version": 1}  # fmt: skip


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path, str]:
    keyring = Keyring.generate()
    signer = ReportSigner.from_keyring(keyring)
    document = report_document(
        serial="CR-20261207-0123456789ABCDEF0123", issued_at=utcnow(), valid_for=timedelta(days=90),
        purpose="PUBLIC_PROCUREMENT", requester=Requester("partner", organization="91370000999999100Q"),
        subject_kind=SubjectKind.ORGANIZATION, subject_id="a" * 32,
        contents={ReportSection.IDENTITY: {"name": "菏泽市鑫源商贸有限公司"}, ReportSection.RECORDS: [RECORD]},
        chosen=[ReportSection.IDENTITY, ReportSection.RECORDS], withheld=["LEGAL_REPRESENTATIVE.phone"],
    )  # fmt: skip
    token = signer.sign(document).jws
    report, keys = tmp_path / "report.jws", tmp_path / "reports.jwks"
    report.write_text(token, encoding="utf-8")
    keys.write_text(json.dumps(jwks.public_jwks(keyring, SigningPurpose.REPORT)), encoding="utf-8")
    return report, keys, token


def test_the_pdf_shows_the_report_in_chinese_and_carries_the_signed_report(
    files: tuple[Path, Path, str], tmp_path: Path
) -> None:
    report, keys, token = files
    find_font()  # a CJK font from the system's packages
    out = tmp_path / "report.pdf"
    done = run_cli(
        "report", "pdf", str(report), "--jwks", str(keys), "-o", str(out), keyring=tmp_path / "none"
    )
    assert done.returncode == 0, done.stderr
    text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True,
                          check=True).stdout  # fmt: skip
    for shown in ("信用报告", "菏泽市鑫源商贸有限公司", "菏市监罚〔2026〕1号", "CR-20261207-0123456789ABCDEF0123",
                  "未披露 not disclosed", "LEGAL_REPRESENTATIVE.phone"):  # fmt: skip
        assert shown in text, shown
    assert "无 none" not in text  # the left-out sections are not disclosed, not empty
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(out), str(tmp_path / "page")],
                   check=True)  # fmt: skip
    page = tmp_path / "page-1.png"
    assert page.stat().st_size > 10_000
    attached = tmp_path / "attached"
    attached.mkdir()
    subprocess.run(["pdfdetach", "-saveall", "-o", str(attached), str(out)], check=True)
    extracted = attached / "CR-20261207-0123456789ABCDEF0123.jws"
    assert extracted.read_text("ascii") == token  # the embedded document is the signed one, unchanged
    again = run_cli("report", "verify", str(extracted), "--jwks", str(keys), keyring=tmp_path / "none")
    assert again.returncode == 0, again.stderr


def test_a_report_that_does_not_verify_is_never_rendered(
    files: tuple[Path, Path, str], tmp_path: Path
) -> None:
    report, keys, token = files
    head, payload, signature = token.split(".")
    report.write_text(f"{head}.{payload[:-2]}AA.{signature}", encoding="utf-8")
    out = tmp_path / "forged.pdf"
    done = run_cli(
        "report", "pdf", str(report), "--jwks", str(keys), "-o", str(out), keyring=tmp_path / "none"
    )
    assert done.returncode == 1 and "[REPORT_SIGNATURE_INVALID]" in done.stderr
    assert not out.exists()
