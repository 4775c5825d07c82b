"""The national double-publicity (双公示) CSV layouts: their headers, and matching a header row.

Four layouts: 行政处罚 and 行政许可, each in the current layout (in use since about 2019) and the
earlier one still found in older exports. Columns are matched by header, never by position, after
normalising the header (NFKC, which folds full-width brackets and spaces into half-width ones, then
dropping all whitespace and a leading ``*`` that some templates use to mark required columns). A
header may also leave out its bracketed suffix (``罚款金额`` for ``罚款金额（万元）``), as long as
that stays unambiguous within the layout.

Each column has a short internal name; ``labels`` says which column a ``gateway.store.inputs`` field came
from, so rejections name the column as the standard spells it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from gateway.domain import Category
from gateway.importing.errors import MissingColumns, UnknownLayout


def normalize_header(raw: str) -> str:
    value = unicodedata.normalize("NFKC", raw).replace("\ufeff", "")
    return re.sub(r"\s+", "", value).lstrip("*")


@dataclass(frozen=True)
class Layout:
    id: str
    title: str
    category: Category
    earlier: bool
    columns: Mapping[str, str]
    required: frozenset[str]
    content: tuple[str, ...]
    """Columns whose text makes up the record's ``content``, labelled by header, in this order."""
    input_columns: Mapping[str, str] = field(default_factory=dict)
    """Which column each ``gateway.store.inputs`` field is read from."""

    def header(self, column: str) -> str:
        return self.columns[column]

    @property
    def labels(self) -> dict[str, str]:
        """Input field name → header, for naming fields in rejections."""
        return {name: self.columns[column] for name, column in self.input_columns.items()}

    def label(self, name: str) -> str:
        column = self.input_columns.get(name)
        return self.columns[column] if column is not None else name


# --- column tables, as the standard spells the headers ---------------------------------------------

_PARTY = {
    "party_name": "行政相对人名称",
    "party_kind": "行政相对人类别",
    "credit_code": "行政相对人代码_1（统一社会信用代码）",
    "rep_name": "法定代表人",
    "rep_id_type": "法定代表人证件类型",
    "rep_id": "法定代表人证件号码",
    "id_type": "证件类型",
    "id_number": "证件号码",
}
_EARLIER_PARTY = {
    "party_name": "行政相对人名称",
    "credit_code": "行政相对人代码_1（统一社会信用代码）",
    "id_number": "行政相对人代码_5（居民身份证号）",
    "rep_name": "法定代表人姓名",
}
_PARTY_INPUTS = {
    "name": "party_name",
    "creditCode": "credit_code",
    "idNumber": "id_number",
    "subject": "party_name",
    "subject.creditCode": "credit_code",
    "subject.idNumber": "id_number",
    "legalRepresentative.name": "rep_name",
    "legalRepresentative.idNumber": "rep_id",
}
_RECORD_INPUTS = {
    "documentNumber": "document",
    "authorityName": "authority",
    "authorityCode": "authority_code",
    "providerCode": "provider_code",
    "decisionDate": "decided",
    "legalBasis": "basis",
    "validUntil": "valid_until",
    "publicationUntil": "publication_until",
    "status": "state",
    "penaltyKinds": "kinds",
    "amount10kYuan": "fine",
}
# The earlier layouts name the authority but give no credit codes; both are resolved from the name.
_EARLIER_INPUTS = _PARTY_INPUTS | {
    "legalRepresentative.idNumber": "id_number",
    "authorityCode": "authority",
    "providerCode": "authority",
}


def _inputs(base: Mapping[str, str], columns: Mapping[str, str], content: str) -> dict[str, str]:
    merged = {**_RECORD_INPUTS, **base, "content": content}
    return {name: column for name, column in merged.items() if column in columns}


_PENALTY_COLUMNS = _PARTY | {
    "document": "行政处罚决定书文号",
    "violation_type": "违法行为类型",
    "facts": "违法事实",
    "basis": "处罚依据",
    "kinds": "处罚类别",
    "penalty": "处罚内容",
    "fine": "罚款金额（万元）",
    "confiscated": "没收违法所得、没收非法财物的金额（万元）",
    "licence": "暂扣或吊销证照名称及编号",
    "decided": "处罚决定日期",
    "valid_until": "处罚有效期",
    "publication_until": "公示截止期",
    "authority": "处罚机关",
    "authority_code": "处罚机关统一社会信用代码",
    "provider": "数据来源单位",
    "provider_code": "数据来源单位统一社会信用代码",
    "remarks": "备注",
}
PENALTY = Layout(
    id="penalty",
    title="行政处罚 (current layout)",
    category=Category.ADMINISTRATIVE_PENALTY,
    earlier=False,
    columns=_PENALTY_COLUMNS,
    required=frozenset(
        {"party_name", "party_kind", "credit_code", "id_number", "document", "facts", "kinds", "penalty"}
        | {"decided", "authority", "authority_code", "provider_code"}
    ),
    content=("violation_type", "facts", "penalty", "licence", "confiscated", "remarks"),
    input_columns=_inputs(_PARTY_INPUTS, _PENALTY_COLUMNS, "facts"),
)

_LICENSING_COLUMNS = _PARTY | {
    "document_name": "行政许可决定文书名称",
    "document": "行政许可决定文书号",
    "licence_kind": "许可类别",
    "certificate": "许可证书名称",
    "licence_number": "许可编号",
    "content": "许可内容",
    "decided": "许可决定日期",
    "valid_from": "有效期自",
    "valid_until": "有效期至",
    "authority": "许可机关",
    "authority_code": "许可机关统一社会信用代码",
    "state": "当前状态",
    "provider": "数据来源单位",
    "provider_code": "数据来源单位统一社会信用代码",
    "remarks": "备注",
}
LICENSING = Layout(
    id="licensing",
    title="行政许可 (current layout)",
    category=Category.ADMINISTRATIVE_LICENSING,
    earlier=False,
    columns=_LICENSING_COLUMNS,
    required=frozenset(
        {"party_name", "party_kind", "credit_code", "id_number", "document", "content", "decided"}
        | {"authority", "authority_code", "provider_code"}
    ),
    content=(
        "document_name",
        "licence_kind",
        "certificate",
        "licence_number",
        "content",
        "valid_from",
        "remarks",
    ),
    input_columns=_inputs(_PARTY_INPUTS, _LICENSING_COLUMNS, "content"),
)

_EARLIER_PENALTY_COLUMNS = _EARLIER_PARTY | {
    "document": "行政处罚决定书文号",
    "penalty_name": "处罚名称",
    "kinds": "处罚类别1",
    "kinds2": "处罚类别2",
    "facts": "处罚事由",
    "basis": "处罚依据",
    "penalty": "处罚结果",
    "decided": "处罚决定日期",
    "authority": "处罚机关",
    "state": "当前状态",
    "remarks": "备注",
}
EARLIER_PENALTY = Layout(
    id="penalty-earlier",
    title="行政处罚 (earlier layout)",
    category=Category.ADMINISTRATIVE_PENALTY,
    earlier=True,
    columns=_EARLIER_PENALTY_COLUMNS,
    required=frozenset(
        {"party_name", "credit_code", "id_number", "document", "kinds", "facts", "penalty", "decided"}
        | {"authority"}
    ),
    content=("penalty_name", "facts", "penalty", "remarks"),
    input_columns=_inputs(_EARLIER_INPUTS, _EARLIER_PENALTY_COLUMNS, "facts"),
)

_EARLIER_LICENSING_COLUMNS = _EARLIER_PARTY | {
    "document": "行政许可决定书文号",
    "project": "项目名称",
    "approval_kind": "审批类别",
    "content": "许可内容",
    "decided": "许可决定日期",
    "valid_until": "许可截止期",
    "authority": "许可机关",
    "state": "当前状态",
    "remarks": "备注",
}
EARLIER_LICENSING = Layout(
    id="licensing-earlier",
    title="行政许可 (earlier layout)",
    category=Category.ADMINISTRATIVE_LICENSING,
    earlier=True,
    columns=_EARLIER_LICENSING_COLUMNS,
    required=frozenset(
        {"party_name", "credit_code", "id_number", "document", "content", "decided", "authority"}
    ),
    content=("project", "approval_kind", "content", "remarks"),
    input_columns=_inputs(_EARLIER_INPUTS, _EARLIER_LICENSING_COLUMNS, "content"),
)

LAYOUTS = (PENALTY, LICENSING, EARLIER_PENALTY, EARLIER_LICENSING)
_EARLIER_PENALTY_MARKS = {"处罚类别1", "处罚事由", "处罚结果", "处罚名称"}


def detect_layout(header: Sequence[str]) -> Layout:
    """Tell the layout from the document-number header, and current from earlier penalties by the
    columns only one of them has."""
    keys = {normalize_header(h) for h in header}
    if "行政处罚决定书文号" in keys:
        earlier = bool(keys & _EARLIER_PENALTY_MARKS) and "行政相对人类别" not in keys
        return EARLIER_PENALTY if earlier else PENALTY
    if "行政许可决定文书号" in keys:
        return LICENSING
    if "行政许可决定书文号" in keys:
        return EARLIER_LICENSING
    raise UnknownLayout(
        "the header row matches no double-publicity layout: it has none of 行政处罚决定书文号 "
        "(行政处罚), 行政许可决定文书号 or 行政许可决定书文号 (行政许可)"
    )


def match_columns(layout: Layout, header: Sequence[str]) -> dict[str, int]:
    """Position of each of the layout's columns present in ``header``; raises when required ones
    are missing or a column the layout reads appears twice. Unknown columns are ignored."""
    positions: dict[str, list[int]] = {}
    for i, raw in enumerate(header):
        key = normalize_header(raw)
        if key:
            positions.setdefault(key, []).append(i)
            short = key.split("(", 1)[0]
            if short != key:
                positions.setdefault(short, []).append(i)
    found: dict[str, int] = {}
    for column, title in layout.columns.items():
        key = normalize_header(title)
        hits = positions.get(key) or positions.get(key.split("(", 1)[0]) or []
        if len(set(hits)) > 1:
            raise UnknownLayout(f"the column {title} appears more than once in the header row")
        if hits:
            found[column] = hits[0]
    missing = [layout.columns[c] for c in layout.columns if c in layout.required and c not in found]
    if missing:
        raise MissingColumns(layout.title, missing)
    return found
