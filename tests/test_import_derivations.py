"""The pure rules that derive what the double-publicity layouts leave implicit."""

from __future__ import annotations

from datetime import date

import pytest

from gateway.domain import OrgForm, Procedure, RecordStatus, Severity
from gateway.errors import InvalidInput
from gateway.importing import derivations as d

TODAY = date(2026, 3, 6)


@pytest.mark.parametrize(
    ("kinds", "severity"),
    [
        (("警告",), Severity.MINOR),
        (("通报批评",), Severity.MINOR),
        (("警告", "通报批评"), Severity.MINOR),
        (("罚款",), Severity.GENERAL),
        (("警告", "罚款"), Severity.GENERAL),
        (("没收违法所得", "没收非法财物"), Severity.GENERAL),
        (("暂扣许可证件",), Severity.GENERAL),
        (("降低资质等级",), Severity.GENERAL),
        (("暂扣或者吊销许可证、暂扣或者吊销执照",), Severity.GENERAL),
        (("其他",), Severity.GENERAL),
        (("吊销许可证件",), Severity.SERIOUS),
        (("限制开展生产经营活动",), Severity.SERIOUS),
        (("责令停产停业", "罚款"), Severity.SERIOUS),
        (("责令关闭",), Severity.SERIOUS),
        (("限制从业",), Severity.SERIOUS),
        (("警告", "行政拘留"), Severity.SERIOUS),
    ],
)
def test_penalty_severity_follows_the_heaviest_kind(kinds: tuple[str, ...], severity: Severity) -> None:
    assert d.penalty_severity(kinds) is severity


@pytest.mark.parametrize(
    ("cells", "kinds"),
    [
        (("罚款;没收违法所得",), ("罚款", "没收违法所得")),
        (("罚款； 没收违法所得 ；",), ("罚款", "没收违法所得")),
        (("警告，罚款",), ("警告", "罚款")),
        (("罚款", "没收违法所得、没收非法财物"), ("罚款", "没收违法所得、没收非法财物")),
        (("罚款;罚款", "罚款"), ("罚款",)),
    ],
)
def test_penalty_kinds_are_split_trimmed_and_deduplicated(
    cells: tuple[str, ...], kinds: tuple[str, ...]
) -> None:
    assert d.penalty_kinds(cells, "处罚类别") == kinds


@pytest.mark.parametrize(
    ("cells", "reason"), [(("",), "is required"), (("罚款;罚金",), "must be one or more")]
)
def test_unknown_or_missing_penalty_kinds_are_refused(cells: tuple[str, ...], reason: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        d.penalty_kinds(cells, "处罚类别")
    assert caught.value.field == "处罚类别" and caught.value.reason.startswith(reason)


@pytest.mark.parametrize(
    ("texts", "procedure"),
    [
        (("依据简易程序当场给予警告。", ""), Procedure.SIMPLE),
        (("警告", "简易程序"), Procedure.SIMPLE),
        (("罚款人民币500元。", "已缴纳"), Procedure.GENERAL),
    ],
)
def test_procedure_is_simple_when_the_row_says_so(texts: tuple[str, str], procedure: Procedure) -> None:
    assert d.penalty_procedure(*texts) is procedure


@pytest.mark.parametrize(
    ("raw", "valid_until", "status"),
    [
        ("", None, RecordStatus.ACTIVE),
        ("有效", None, RecordStatus.ACTIVE),
        ("正常", None, RecordStatus.ACTIVE),
        ("0", None, RecordStatus.ACTIVE),
        ("撤销", None, RecordStatus.REVOKED),
        ("1", None, RecordStatus.REVOKED),
        ("异议", None, RecordStatus.UNDER_OBJECTION),
        ("2", None, RecordStatus.UNDER_OBJECTION),
        ("无效", date(2025, 12, 31), RecordStatus.EXPIRED),
        ("无效", date(2030, 1, 1), RecordStatus.REVOKED),
        ("无效", None, RecordStatus.REVOKED),
    ],
)
def test_current_state_maps_to_a_record_status(
    raw: str, valid_until: date | None, status: RecordStatus
) -> None:
    assert d.record_status(raw, valid_until, TODAY, "当前状态") is status


def test_unknown_current_state_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        d.record_status("3", None, TODAY, "当前状态")
    assert caught.value.reason == "must be one of 有效, 无效, 正常, 撤销, 异议, 0, 1, 2"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", None),
        ("2027/02/25", date(2027, 2, 25)),
        ("２０２７－０２－２５", date(2027, 2, 25)),
        ("2099/12/31", None),
        ("2099-12-31 00:00:00", None),
        ("9999/12/31", None),
        ("2099/12/30", date(2099, 12, 30)),
    ],
)
def test_open_end_placeholder_means_no_end(raw: str, expected: date | None) -> None:
    assert d.open_end_date(raw, "有效期至") == expected


@pytest.mark.parametrize(
    ("raw", "kind", "form"),
    [
        ("自然人", d.PartyKind.NATURAL_PERSON, OrgForm.LEGAL_PERSON),
        ("法人及非法人组织", d.PartyKind.ORGANIZATION, OrgForm.LEGAL_PERSON),
        (" 法人 ", d.PartyKind.ORGANIZATION, OrgForm.LEGAL_PERSON),
        ("个体工商户", d.PartyKind.INDIVIDUAL_BUSINESS, OrgForm.INDIVIDUAL_BUSINESS),
    ],
)
def test_party_kind_and_organisation_form(raw: str, kind: d.PartyKind, form: OrgForm) -> None:
    assert d.party_kind(raw, "行政相对人类别") is kind
    assert d.org_form(kind) is form


@pytest.mark.parametrize(
    ("code", "id_number", "kind"),
    [
        ("91371702000010100F", "", d.PartyKind.ORGANIZATION),
        ("92371702000010300P", "37170319821123042X", d.PartyKind.INDIVIDUAL_BUSINESS),
        ("", "371721199001150170", d.PartyKind.NATURAL_PERSON),
    ],
)
def test_earlier_layouts_tell_the_party_kind_from_its_identifiers(
    code: str, id_number: str, kind: d.PartyKind
) -> None:
    assert d.earlier_party_kind(code, id_number, "行政相对人代码_1") is kind


def test_content_joins_labelled_non_empty_columns_in_order() -> None:
    parts = [("违法事实", "销售不合格产品。"), ("处罚内容", ""), ("备注", "联系电话13905301234")]
    assert d.compose_content(parts) == "违法事实：销售不合格产品。\n备注：联系电话13905301234"
