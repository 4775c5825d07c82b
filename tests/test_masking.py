"""Masked forms, field by field, including the odd inputs that must come out fully masked."""

from __future__ import annotations

from datetime import date

import pytest

from gateway.access.masking import (
    FULLY_MASKED,
    MASKERS,
    mask,
    mask_address,
    mask_credit_code,
    mask_free_text,
    mask_id_number,
    mask_name,
    mask_phone,
)
from tests.helpers import credit_code, id_number

ODD_INPUTS = [None, "", "   ", 0, 12.5, b"13800138000", ["13800138000"], object()]

INDIVIDUAL_BUSINESS = credit_code(
    "923717001234567"
)  # GB 32100: 9 = market regulation, 2 = individual business
COMPANY = credit_code("913717001234567")


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("37010319850314123X", "370103********123X"),
        ("37010319850314123x", "370103********123X"),
        (" 371702198503141237 ", "371702********1237"),
        (
            id_number(born=date(2001, 1, 2), seq=7),
            "371702********" + id_number(born=date(2001, 1, 2), seq=7)[-4:],
        ),
        ("3701031985031412", FULLY_MASKED),  # too short
        ("3701031985031412345", FULLY_MASKED),  # too long
        ("37010319850314123Y", FULLY_MASKED),
        (
            "３７０１０３１９８５０３１４１２３Ｘ",
            FULLY_MASKED,
        ),  # full-width digits are not an identity number
    ],
)
def test_identity_number_keeps_region_and_last_four(raw: str, masked: str) -> None:
    assert mask_id_number(raw) == masked


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("张明", "张*"),
        ("张三明", "张*明"),
        (" 李四 ", "李*"),
        ("欧阳晓锋", "欧阳**锋"),  # compound surname kept whole
        ("欧阳锋", "欧*锋"),  # three characters: one star, whatever the surname
        ("司马相如", "司马**如"),
        ("王小二明", "王**明"),
        ("阿卜杜拉·买买提", "阿**提"),  # long names: two stars hide the length
        ("张", FULLY_MASKED),
        ("", FULLY_MASKED),
    ],
)
def test_name_keeps_surname_and_last_character(raw: str, masked: str) -> None:
    assert mask_name(raw) == masked


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("13800138000", "138****8000"),
        ("138 0013 8000", "138****8000"),
        ("+86 138 0013 8000", "138****8000"),
        ("008613800138000", "138****8000"),
        ("0531-88889999", "0531-****9999"),
        ("0530-1234567", "0530-***4567"),
        ("010-88889999", "010-****9999"),
        ("053188889999", "0531-****9999"),  # no hyphen: 4-digit area code outside 01x/02x
        ("01088889999", "010-****9999"),  # no hyphen: 3-digit area code for 010
        ("(0531)88889999", "0531-****9999"),
        ("12800138000", FULLY_MASKED),  # no mobile prefix starts with 12
        ("1380013800", FULLY_MASKED),  # 10 digits
        ("138001380001", FULLY_MASKED),  # 12 digits
        ("0531-123", FULLY_MASKED),
        ("0531-88889999-8001", FULLY_MASKED),  # extensions are not guessed at
        ("call me", FULLY_MASKED),
    ],
)
def test_phone_keeps_prefix_or_area_code_and_last_four(raw: str, masked: str) -> None:
    assert mask_phone(raw) == masked


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        # named counties of gateway.regions, with or without the province
        ("山东省菏泽市定陶区青年路12号301室", "山东省菏泽市定陶区***"),
        ("菏泽市定陶区青年路12号", "菏泽市定陶区***"),
        ("山东省济南市市中区经四路1号", "山东省济南市市中区***"),
        ("山东省 菏泽市 曹县 青年路1号", "山东省菏泽市曹县***"),
        ("北京市海淀区中关村大街1号", "北京市海淀区***"),
        ("河南省商丘市永城市东方大道8号", "河南省商丘市永城市***"),
        # elsewhere: cut after the first county-level unit that follows a province or city
        ("河南省开封市龙亭区中山路5号", "河南省开封市龙亭区***"),
        ("广西壮族自治区南宁市青秀区民族大道1号", "广西壮族自治区南宁市青秀区***"),
        ("吉林省延边朝鲜族自治州延吉市光明街2号", "吉林省延边朝鲜族自治州延吉市***"),
        ("内蒙古自治区呼和浩特市土默特左旗察素齐镇", "内蒙古自治区呼和浩特市土默特左旗***"),
        ("重庆市渝中区解放碑1号", "重庆市渝中区***"),
        ("广东省东莞市南城街道鸿福路1号", "广东省东莞市***"),  # no county level: cut at the city
        ("山东省菏泽市定陶区", "山东省菏泽市定陶区***"),  # nothing after the district: still marked cut
        # no province or city to anchor the cut
        ("定陶区青年路12号", FULLY_MASKED),
        ("青年路12号", FULLY_MASKED),
        ("山东省", FULLY_MASKED),
    ],
)
def test_address_is_cut_to_the_district(raw: str, masked: str) -> None:
    assert mask_address(raw) == masked


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        (INDIVIDUAL_BUSINESS, INDIVIDUAL_BUSINESS[:8] + "********" + INDIVIDUAL_BUSINESS[-2:]),
        (INDIVIDUAL_BUSINESS.lower(), INDIVIDUAL_BUSINESS[:8] + "********" + INDIVIDUAL_BUSINESS[-2:]),
        (COMPANY, COMPANY),  # an organisation's code is its public identifier
        (COMPANY[:17] + ("0" if COMPANY[17] != "0" else "1"), FULLY_MASKED),  # bad check character
        (INDIVIDUAL_BUSINESS[:17], FULLY_MASKED),
        ("92371700123456700I", FULLY_MASKED),  # I is not in the GB 32100 alphabet
    ],
)
def test_credit_code_masks_individual_businesses_only(raw: str, masked: str) -> None:
    assert mask_credit_code(raw) == masked


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("经营无证食品", "经营无证食品"),
        ("当事人身份证号370103198503141234，", "当事人身份证号370103********1234，"),
        ("联系电话13800138000。", "联系电话138****8000。"),
        ("固话0531-88889999", "固话0531-****9999"),
        ("家住定陶区青年路12号301室，", "家住定陶区***，"),
        ("，位于人民路5号。", "，***。"),  # no locality before the street: the whole match goes
        (
            "张某（370103198503141234，13800138000）在菏泽市定陶区青年路12号无证经营",
            "张某（370103********1234，138****8000）在菏泽市定陶区***无证经营",
        ),
    ],
)
def test_free_text_masks_identity_numbers_phones_and_street_addresses(raw: str, masked: str) -> None:
    assert mask_free_text(raw) == masked


@pytest.mark.parametrize("masker", sorted(set(MASKERS.values()), key=lambda m: m.__name__))
@pytest.mark.parametrize(
    "raw", ODD_INPUTS, ids=lambda v: type(v).__name__ + (repr(v) if type(v) is not object else "")
)
def test_odd_inputs_come_out_fully_masked(masker: object, raw: object) -> None:
    assert masker(raw) == FULLY_MASKED  # type: ignore[operator]


@pytest.mark.parametrize(
    ("field", "raw", "masked"),
    [
        ("Person.name", "张三明", "张*明"),
        ("Person.idNumber", "37010319850314123X", "370103********123X"),
        ("Person.phone", "13800138000", "138****8000"),
        ("Person.address", "山东省菏泽市定陶区青年路12号", "山东省菏泽市定陶区***"),
        ("Organization.registeredAddress", "山东省菏泽市定陶区青年路12号", "山东省菏泽市定陶区***"),
        ("Organization.creditCode", COMPANY, COMPANY),
        ("CreditRecord.content", "电话13800138000", "电话138****8000"),
        ("ListEntry.reason", "电话13800138000", "电话138****8000"),
        ("Person.healthStatus", "良好", FULLY_MASKED),  # no masker: fully masked, never the value
        ("Nope.nothing", "anything", FULLY_MASKED),
    ],
)
def test_mask_dispatches_by_field(field: str, raw: str, masked: str) -> None:
    assert mask(field, raw) == masked


def test_mask_never_lets_a_failing_masker_through(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(value: object) -> str:
        raise RuntimeError(str(value))

    monkeypatch.setattr("gateway.access.masking.MASKERS", {"Person.name": broken})
    assert mask("Person.name", "张三明") == FULLY_MASKED
