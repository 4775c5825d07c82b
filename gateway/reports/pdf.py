"""A verified credit report as a PDF page set, for people: the same document, the JWS embedded.

Rendered offline from a report that has already verified (``verification.verify_report``), never
from the database, so the PDF can show nothing the signed document does not hold. It carries:

- the report's members and each section of the subject's kind: disclosed (its fields, a record per
  block), **not disclosed**, or **withheld by policy**; never "none" for a section left out;
- the signed report itself, embedded unchanged as the file ``<serial>.jws`` (uncompressed, so the
  bytes are in the PDF as issued), which ``report verify`` checks like any other report file;
- a QR code of ``<serial> <SHA-256 of the payload, hex>`` to look the report up (``reportStatus``).

Chinese text needs a CJK font from the system's packages (Debian ``fonts-noto-cjk``), never fetched at
run time: ``GATEWAY_REPORT_FONT`` names one, else the usual Debian paths are tried; none found is a
``CONFIGURATION_ERROR`` naming the package.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import segno
from fpdf import FPDF

from gateway.errors import ConfigurationError
from gateway.reports.verification import VerifiedReport

# (path, index in a font collection: Noto CJK's collections hold JP, KR, SC, TC, HK in this order)
FONT_CANDIDATES: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
)
TITLES = {
    "IDENTITY": "身份信息 Identity",
    "RECORDS": "信用记录 Records",
    "LINKED_RECORDS": "关联记录 Linked records",
    "LIST_ENTRIES": "名单 List entries",
    "LEGAL_REPRESENTATIVE": "法定代表人 Legal representative",
}
HEADER_WIDTH = 140  # mm: the header's lines stay left of the QR code (x 160 to 198, y 10 to 48)
QR_BOTTOM = 48
STATES = {"not disclosed": "未披露 not disclosed", "withheld": "依规不予显示 withheld by policy"}


def find_font() -> tuple[Path, int]:
    named = os.environ.get("GATEWAY_REPORT_FONT")
    candidates = [(named, 0)] if named else list(FONT_CANDIDATES)
    for path, index in candidates:
        if path and Path(path).is_file():
            return Path(path), index
    raise ConfigurationError(
        "no CJK font for report PDFs: install Debian's fonts-noto-cjk, or set GATEWAY_REPORT_FONT to a "
        "TrueType/OpenType font that covers Chinese"
    )


def qr_text(report: VerifiedReport, payload: bytes) -> str:
    return f"{report.serial} {hashlib.sha256(payload).hexdigest()}"


def _when(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _lines(value: Any) -> Iterable[str]:
    """One ``field: value`` line per member of a section's object, nested objects indented."""
    for key, item in value.items():
        if isinstance(item, dict):
            yield f"{key}:"
            yield from (f"    {line}" for line in _lines(item))
        elif isinstance(item, list):
            yield f"{key}: {len(item)}"
            for entry in item:
                yield from (f"    {line}" for line in _lines(entry) if isinstance(entry, dict))
        else:
            yield f"{key}: {'—' if item is None else item}"


class _Page(FPDF):
    def __init__(self, font: tuple[Path, int]) -> None:
        super().__init__(format="A4")
        path, index = font
        self.add_font("cjk", fname=str(path), collection_font_number=index)
        self.set_auto_page_break(auto=True, margin=15)

    def write_line(self, text: str, size: float = 9, gap: float = 5, width: float = 0) -> None:
        self.set_font("cjk", size=size)
        self.multi_cell(width, gap, text, align="L", new_x="LMARGIN", new_y="NEXT")


def render_pdf(report: VerifiedReport, *, token: str) -> bytes:
    """The PDF of a verified report; ``token`` is its compact JWS, embedded as issued."""
    doc = report.document
    payload_part = token.strip().split(".")[1]
    payload = base64.urlsafe_b64decode(payload_part + "=" * (-len(payload_part) % 4))
    pdf = _Page(find_font())
    pdf.set_title(f"Credit report {report.serial}")
    pdf.add_page()
    qr = segno.make(qr_text(report, payload), error="m")
    image = io.BytesIO()
    qr.save(image, kind="png", scale=4, border=2)
    image.seek(0)
    pdf.image(image, x=160, y=10, w=38)
    pdf.write_line("信用报告 Credit report", size=18, gap=10, width=HEADER_WIDTH)
    requester = doc["requester"]
    who = (
        "本人 the subject itself"
        if requester.get("self")
        else f"{requester['role']} {requester['organization']}"
    )
    for line in (
        f"编号 Serial: {report.serial}",
        f"出具时间 Issued: {_when(doc['iat'])}    有效期至 Valid until: {_when(doc['exp'])}",
        f"用途 Purpose: {doc['purpose']}",
        f"查询方 Requester: {who}",
        f"主体 Subject: {doc['subject']['kind']} {doc['subject']['id']}",
        f"签名 Signed with Ed25519 key {report.kid}; the signed report is attached as {report.serial}.jws",
    ):
        pdf.write_line(line, width=HEADER_WIDTH)
    pdf.set_y(max(pdf.get_y(), QR_BOTTOM) + 4)
    for section, state in report.section_states():
        pdf.write_line(TITLES.get(section, section), size=12, gap=7)
        if state != "disclosed":
            pdf.write_line(STATES[state])
            continue
        content = doc["sections"][section]
        items = content if isinstance(content, list) else [content]
        if not items or items == [None]:
            pdf.write_line("无 none")
        for item in items:
            for line in _lines(item or {}):
                pdf.write_line(line, size=8, gap=4)
            pdf.ln(1)
    if doc["withheld"]:
        pdf.write_line("依规不予显示 Withheld by policy: " + ", ".join(doc["withheld"]), size=8, gap=4)
    pdf.embed_file(
        basename=f"{report.serial}.jws", bytes=token.strip().encode("ascii"),
        desc="The signed credit report (compact JWS): verify with credit-gateway report verify",
        compress=False,
    )  # fmt: skip
    return bytes(pdf.output())
