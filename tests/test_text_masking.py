"""Names and addresses of natural persons inside free text: what is masked, what is left, that the same
text always masks the same way, and who the policy lets see the whole text."""

from __future__ import annotations

import pytest

from gateway.access.policy import FieldPolicy
from gateway.access.text_masking import mask_person_text, reveals_person_text
from gateway.api.app import known_fields
from tests.gateway_fixtures import REPO

HOME = "山东省菏泽市牡丹区中华路88号3单元"


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        # The person's known address: cut after the district, as Person.address is masked.
        (
            f"当事人李建中（住址：{HOME}）销售过期食品",
            "当事人李*中（住址：山东省菏泽市牡丹区***）销售过期食品",
        ),
        # A trade name holding the owner's name.
        ("牡丹区李建中副食店", "牡丹区李*中副食店"),
        # Another street address, with estate, building, unit and room: kept up to the district.
        (
            "家住山东省菏泽市定陶区兴华路19号阳光小区3号楼2单元1203室，违法经营",
            "家住山东省菏泽市定陶区***，违法经营",
        ),
        # A village: kept up to the township.
        ("经营者家住牡丹区皇镇乡王庄村3组", "经营者家住牡丹区皇镇乡***"),
        # Without an administrative unit in front the words before the street go with it.
        ("家住青年路12号", "***"),
        # Phone and identity numbers, as the public's free-text masker shows them.
        ("电话13812345678，身份证号370102199001011234", "电话138****5678，身份证号370102********1234"),
    ],
)
def test_names_and_addresses_of_the_person_are_masked(text: str, masked: str) -> None:
    assert mask_person_text(text, names=["李建中"], addresses=[HOME]) == masked


@pytest.mark.parametrize(
    "text",
    [
        "依据菏牡市监罚〔2026〕115号：销售不合格食品，罚款2万元",
        "违反《中华人民共和国道路运输条例》第三十五条",
        "菏泽农村商业银行股份有限公司；村民委员会",
        "当事人未按承诺履行，经核查属实",
    ],
)
def test_text_without_a_name_or_an_address_is_left_as_it_is(text: str) -> None:
    assert mask_person_text(text, names=["李建中"], addresses=[HOME]) == text


def test_masking_is_stable_and_masking_again_changes_nothing() -> None:
    text = f"当事人欧阳翠花（住址：{HOME}，电话13812345678）与李建中合伙经营"
    names = ["欧阳翠花", "李建中"]
    first = mask_person_text(text, names=names, addresses=[HOME])
    assert first == mask_person_text(text, names=list(reversed(names)), addresses=[HOME])
    assert first == "当事人欧阳**花（住址：山东省菏泽市牡丹区***，电话138****5678）与李*中合伙经营"
    assert mask_person_text(first, names=names, addresses=[HOME]) == first


def test_an_organisations_text_is_searched_for_its_representatives_name_only() -> None:
    text = "当事人菏泽市鑫源商贸有限公司（住所：菏泽市牡丹区人民路1号），法定代表人张三丰"
    masked = mask_person_text(text, names=["张三丰"], generic_addresses=False)
    assert masked == "当事人菏泽市鑫源商贸有限公司（住所：菏泽市牡丹区人民路1号），法定代表人张*丰"


def test_a_one_character_name_is_not_searched_for() -> None:
    assert mask_person_text("王某销售过期食品", names=["王"], generic_addresses=False) == "王某销售过期食品"


@pytest.mark.parametrize(
    ("subjects", "whole"),
    [
        ({"self"}, True),
        ({"admin"}, True),
        ({"partner", "consent:identity", "consent:contact", "consent:records"}, True),
        ({"public"}, False),
        ({"partner", "partner:FINANCE"}, False),
        ({"partner", "partner:COURT"}, False),  # the name whole, but not the address
        ({"partner", "consent:identity", "consent:records"}, False),
        ({"provider"}, False),
        ({"auditor"}, False),
    ],
)
def test_the_whole_text_is_for_who_sees_the_persons_name_and_address_whole(
    subjects: set[str], whole: bool
) -> None:
    policy = FieldPolicy.load(REPO / "policies", known_fields=known_fields())
    assert reveals_person_text(policy, frozenset(subjects)) is whole
