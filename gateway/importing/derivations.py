"""Values the store needs that the double-publicity layouts do not carry, derived by pure rules.

Each rule reads only the row, so the same row always gives the same record (and a re-import is
idempotent). The rules are written up in ``docs/import-format.md``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import date
from enum import StrEnum

from gateway.domain import OrgForm, Procedure, RecordStatus, Severity
from gateway.errors import InvalidInput
from gateway.store.value_parsers import parse_date

# Administrative Penalty Law (2021), Art. 9, in the wording of the standard's 处罚类别 column.
PENALTY_KINDS: tuple[str, ...] = (
    "警告", "通报批评", "罚款", "没收违法所得", "没收非法财物", "暂扣许可证件", "降低资质等级",
    "吊销许可证件", "限制开展生产经营活动", "责令停产停业", "责令关闭", "限制从业", "行政拘留", "其他",
)  # fmt: skip
# Two kinds as the 1996 law (Art. 8) worded them, still found in older exports.
EARLIER_PENALTY_KINDS: tuple[str, ...] = (
    "没收违法所得、没收非法财物",
    "暂扣或者吊销许可证、暂扣或者吊销执照",
)
KNOWN_PENALTY_KINDS = frozenset(PENALTY_KINDS + EARLIER_PENALTY_KINDS)

# Revocation, closure, restriction of business or occupation, and detention: the kinds that take
# away a licence, a business or liberty (Art. 9 (三) 吊销, (四), (五)). The 1996 wording
# "暂扣或者吊销…" cannot tell suspension from revocation and counts as GENERAL.
SERIOUS_PENALTY_KINDS = frozenset(
    {"吊销许可证件", "限制开展生产经营活动", "责令停产停业", "责令关闭", "限制从业", "行政拘留"}
)
MINOR_PENALTY_KINDS = frozenset({"警告", "通报批评"})

SIMPLE_PROCEDURE_MARK = "简易程序"
LICENCE_KINDS: tuple[str, ...] = ("普通", "特许", "认可", "核准", "登记", "其他")
OPEN_END = date(2099, 12, 31)
"""Exporters write 2099/12/31 (or later) for "no end date"."""


class PartyKind(StrEnum):
    NATURAL_PERSON = "自然人"
    ORGANIZATION = "法人及非法人组织"
    INDIVIDUAL_BUSINESS = "个体工商户"


_PARTY_KINDS = {
    "自然人": PartyKind.NATURAL_PERSON,
    "法人及非法人组织": PartyKind.ORGANIZATION,
    "法人及其他组织": PartyKind.ORGANIZATION,
    "法人": PartyKind.ORGANIZATION,
    "非法人组织": PartyKind.ORGANIZATION,
    "个体工商户": PartyKind.INDIVIDUAL_BUSINESS,
}
# Document types that are a mainland resident identity card, the only identity the store can key
# a person by (GB 11643). Blank means the exporter left the default.
IDENTITY_CARD_TYPES = frozenset({"", "身份证", "居民身份证", "身份证号", "中华人民共和国居民身份证"})
# GB 32100: registration authority 9 (market regulation), kind 2 (individual business).
INDIVIDUAL_BUSINESS_CODE_PREFIX = "92"

# The earlier layouts' numeric codes: 0 正常, 1 撤销, 2 异议 (3 其他 needs a person to read 备注).
_STATUSES = {
    "": RecordStatus.ACTIVE,
    "0": RecordStatus.ACTIVE,
    "1": RecordStatus.REVOKED,
    "2": RecordStatus.UNDER_OBJECTION,
    "有效": RecordStatus.ACTIVE,
    "正常": RecordStatus.ACTIVE,
    "撤销": RecordStatus.REVOKED,
    "异议": RecordStatus.UNDER_OBJECTION,
}


def fold(value: str) -> str:
    """NFKC and trimmed: full-width digits, letters and punctuation become half-width."""
    return unicodedata.normalize("NFKC", value).strip()


def party_kind(raw: str, field: str) -> PartyKind:
    kind = _PARTY_KINDS.get(re.sub(r"\s+", "", fold(raw)))
    if kind is None:
        raise InvalidInput(field, f"must be one of {', '.join(PartyKind)}")
    return kind


def org_form(kind: PartyKind) -> OrgForm:
    # 法人及非法人组织 does not say which of the two; LEGAL_PERSON is the common case.
    return OrgForm.INDIVIDUAL_BUSINESS if kind is PartyKind.INDIVIDUAL_BUSINESS else OrgForm.LEGAL_PERSON


def earlier_party_kind(credit_code: str, id_number: str, field: str) -> PartyKind:
    """The earlier layouts have no party-kind column: a credit code means an organisation (an
    individual business when the code says so), an identity number alone a natural person."""
    code = fold(credit_code).upper()
    if code:
        if code.startswith(INDIVIDUAL_BUSINESS_CODE_PREFIX):
            return PartyKind.INDIVIDUAL_BUSINESS
        return PartyKind.ORGANIZATION
    if fold(id_number):
        return PartyKind.NATURAL_PERSON
    raise InvalidInput(field, "is required (or 居民身份证号 for a natural person)")


def is_identity_card(document_type: str) -> bool:
    return fold(document_type) in IDENTITY_CARD_TYPES


def penalty_kinds(values: Iterable[str], field: str) -> tuple[str, ...]:
    """The kinds named in one or more 处罚类别 cells, separated by ``;`` (or ``；`` ``,`` ``，``),
    de-duplicated in order."""
    kinds: dict[str, None] = {}
    for value in values:
        for part in re.split(r"[;,]", fold(value)):
            if part.strip():
                kinds[re.sub(r"\s+", "", part)] = None
    if not kinds:
        raise InvalidInput(field, "is required")
    if any(kind not in KNOWN_PENALTY_KINDS for kind in kinds):
        raise InvalidInput(field, f"must be one or more of {', '.join(PENALTY_KINDS)}, separated by ;")
    return tuple(kinds)


def penalty_severity(kinds: Iterable[str]) -> Severity:
    """SERIOUS when any kind revokes, closes, restricts or detains; MINOR when every kind is a
    warning or criticism; GENERAL otherwise (fines, confiscation, suspension, "other")."""
    kinds = set(kinds)
    if kinds & SERIOUS_PENALTY_KINDS:
        return Severity.SERIOUS
    if kinds and kinds <= MINOR_PENALTY_KINDS:
        return Severity.MINOR
    return Severity.GENERAL


def penalty_procedure(*texts: str) -> Procedure:
    """SIMPLE when the row says 简易程序 (in 处罚内容 or 备注); such penalties are collected but
    never published (000 双公示 二(三))."""
    return Procedure.SIMPLE if any(SIMPLE_PROCEDURE_MARK in t for t in texts) else Procedure.GENERAL


def licence_kind(raw: str, field: str) -> str:
    value = fold(raw)
    if value and value not in LICENCE_KINDS:
        raise InvalidInput(field, f"must be one of {', '.join(LICENCE_KINDS)}")
    return value


def open_end_date(raw: str, field: str) -> date | None:
    """A date, or None when blank or when it is the "no end" placeholder 2099/12/31 or later."""
    if not raw.strip():
        return None
    value = parse_date(fold(raw), field)
    return None if value >= OPEN_END else value


def record_status(raw: str, valid_until: date | None, today: date, field: str) -> RecordStatus:
    """当前状态: 有效/正常/0 (or blank) is ACTIVE, 撤销/1 REVOKED, 异议/2 UNDER_OBJECTION. 无效 is EXPIRED
    when the validity has run out and REVOKED otherwise (a licence withdrawn before its end)."""
    value = fold(raw)
    if value == "无效":
        return (
            RecordStatus.EXPIRED if valid_until is not None and valid_until < today else RecordStatus.REVOKED
        )
    status = _STATUSES.get(value)
    if status is None:
        raise InvalidInput(field, "must be one of 有效, 无效, 正常, 撤销, 异议, 0, 1, 2")
    return status


def compose_content(parts: Iterable[tuple[str, str]]) -> str:
    """The record's free text: one ``header：value`` line per non-empty column, in layout order, so
    the personal-trait scan sees 违法事实, 处罚内容 and 备注 alike."""
    return "\n".join(f"{label}：{value}" for label, value in parts if value)
