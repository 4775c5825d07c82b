"""Masked forms of personal data: what a caller sees of a field the policy decides MASKED.

Personal traits that identify or locate a person (home address, contact details) are shown only
"technically shielded or blurred" (技术屏蔽或模糊处理, 000 双公示 二(四)1). Each masker keeps just
enough to tell two values apart in context and no more. Maskers never raise and never return their
input on odd values (None, a non-string, a string of the wrong shape): they return ``FULLY_MASKED``.

``MASKERS`` is keyed by schema field ("Type.field"), built from the field catalogue's ``masker`` column
(``gateway.store.fields``) and ``MASKER_KINDS``; the field policy refuses to load a rule that can
mask a field without an entry here, so a masked decision always has a masker behind it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from types import MappingProxyType

from gateway.errors import InvalidInput
from gateway.identifiers import normalize_credit_code
from gateway.personal_traits import PATTERNS
from gateway.regions import COUNTIES
from gateway.store.fields import masked

FULLY_MASKED = "***"

Masker = Callable[[object], str]

_ID_NUMBER = re.compile(r"[0-9]{17}[0-9X]")
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_LANDLINE = re.compile(r"(0[0-9]{2,3})-?([0-9]{7,8})")
_PHONE_NOISE = re.compile(r"[\s()（）]")
_COUNTRY_CODE = re.compile(r"^(?:\+86|0086)-?")

# Compound surnames (复姓): the surname is kept whole, as the name is masked after it.
_COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 令狐 夏侯 轩辕 端木 独孤 南宫 "
    "西门 百里 呼延 东郭 万俟 闻人 澹台 公冶 太史 申屠 钟离 司空 赫连 濮阳 淳于 仲孙 拓跋".split()
)

# Address prefixes of the named counties, longest first so that "…市市中区" wins over "…市".
# Both the full form (province, city, district) and the form without the province are accepted.
_COUNTY_PREFIXES: tuple[str, ...] = tuple(
    sorted(
        {c.prefix for c in COUNTIES} | {c.prefix.removeprefix(c.province) for c in COUNTIES},
        key=len,
        reverse=True,
    )
)

# Generic cut: an optional province (or municipality) and an optional prefecture, at least one of the
# two, then the first county-level unit (区, 县, 旗, or a county-level 市).
_PROVINCE = r"(?:北京市|天津市|上海市|重庆市|[^省市区县旗]{2,7}?(?:省|自治区|特别行政区))"
_PREFECTURE = r"(?:[^省市区县旗]{1,9}?(?:自治州|地区|盟|州|市))"
_COUNTY = r"(?:[^省区县旗]{1,9}?(?:区|县|旗|市))"
_DISTRICT = re.compile(rf"(?:{_PROVINCE}{_PREFECTURE}?|{_PREFECTURE}){_COUNTY}")

# Inside a street address found in free text, what precedes the last locality unit is kept.
_LOCALITY_HEAD = re.compile(r".*[区县旗市镇乡]")


def mask_id_number(value: object) -> str:
    """``370103********123X``: region code and the last 4 (sequence and check) kept, the birth date
    hidden (GB 11643 layout: 6 region, 8 birth date, 3 sequence, 1 check)."""
    if not isinstance(value, str):
        return FULLY_MASKED
    number = value.strip().upper()
    if not _ID_NUMBER.fullmatch(number):
        return FULLY_MASKED
    return f"{number[:6]}{'*' * 8}{number[-4:]}"


def mask_name(value: object) -> str:
    """``张*`` (2 characters), ``张*明`` (3), and for longer names the surname (a compound surname
    whole), two stars and the last character: ``欧阳**锋``. Two fixed stars hide the length of long
    names, which would otherwise narrow them down."""
    if not isinstance(value, str):
        return FULLY_MASKED
    name = value.strip()
    if len(name) < 2:
        return FULLY_MASKED
    if len(name) == 2:
        return f"{name[0]}*"
    if len(name) == 3:
        return f"{name[0]}*{name[2]}"
    surname = name[:2] if name[:2] in _COMPOUND_SURNAMES else name[:1]
    return f"{surname}**{name[-1]}"


def mask_phone(value: object) -> str:
    """Mobile ``138****5678`` (first 3 and last 4 kept); landline ``0531-****9999`` (area code and
    last 4 kept). A landline written without a hyphen has a 3-digit area code after 01/02 (Beijing,
    the big cities), else 4."""
    if not isinstance(value, str):
        return FULLY_MASKED
    phone = _COUNTRY_CODE.sub("", _PHONE_NOISE.sub("", value))
    if _MOBILE.fullmatch(phone):
        return f"{phone[:3]}****{phone[-4:]}"
    landline = _LANDLINE.fullmatch(phone)
    if landline is None:
        return FULLY_MASKED
    area, local = landline.groups()
    if "-" not in phone:
        digits = area + local
        cut = 3 if digits[:2] in ("01", "02") else 4
        area, local = digits[:cut], digits[cut:]
        if not 7 <= len(local) <= 8:
            return FULLY_MASKED
    return f"{area}-{'*' * (len(local) - 4)}{local[-4:]}"


def mask_address(value: object) -> str:
    """The address cut after its district or county (``山东省菏泽市定陶区***``): the named counties of
    ``gateway.regions`` first, else the first county-level unit after a province or city. An address
    that does not start with a province or city is fully masked."""
    if not isinstance(value, str):
        return FULLY_MASKED
    address = re.sub(r"\s+", "", value)
    for prefix in _COUNTY_PREFIXES:
        if address.startswith(prefix):
            return prefix + FULLY_MASKED
    match = _DISTRICT.match(address)
    return match.group() + FULLY_MASKED if match else FULLY_MASKED


def mask_credit_code(value: object) -> str:
    """An individual business's code (GB 32100: registration department 9, category 2, so ``92…``)
    identifies the person who runs it: its first 8 characters (kind and region) and last 2 are kept,
    ``92371702********7X``. Any other valid code is an organisation's public identifier
    (000 双公示 二(四)2) and is returned whole; an invalid one is fully masked."""
    if not isinstance(value, str):
        return FULLY_MASKED
    try:
        code = normalize_credit_code(value)
    except InvalidInput:
        return FULLY_MASKED
    if code.startswith("92"):
        return f"{code[:8]}{'*' * 8}{code[-2:]}"
    return code


def _mask_street(match: re.Match[str]) -> str:
    head = _LOCALITY_HEAD.match(match.group())
    return (head.group() if head else "") + FULLY_MASKED


def mask_free_text(value: object) -> str:
    """Free text with the identity numbers, phone numbers and street addresses found by
    ``gateway.personal_traits`` replaced by their masked forms; a street address keeps only the text
    up to its last district, county, town or township (``家住定陶区青年路12号`` -> ``家住定陶区***``);
    with no such unit the whole match goes, even if it swallows a few words before the street."""
    if not isinstance(value, str) or not value.strip():
        return FULLY_MASKED
    text = PATTERNS["id_number"].sub(lambda m: mask_id_number(m.group()), value)
    text = PATTERNS["phone"].sub(lambda m: mask_phone(m.group()), text)
    return PATTERNS["address"].sub(_mask_street, text)


# The maskers by kind; which field is masked by which kind is the field catalogue's (``masker``).
MASKER_KINDS: Mapping[str, Masker] = MappingProxyType(
    {
        "name": mask_name,
        "id_number": mask_id_number,
        "phone": mask_phone,
        "address": mask_address,
        "credit_code": mask_credit_code,
        "free_text": mask_free_text,
    }
)

MASKERS: Mapping[str, Masker] = MappingProxyType(
    {field: MASKER_KINDS[kind] for field, kind in masked().items()}
)


def mask(field: str, value: object) -> str:
    """The masked form of ``value`` for ``field``; fully masked when the field has no masker or the
    masker fails, so a masking bug can never leak the value."""
    masker = MASKERS.get(field)
    if masker is None:
        return FULLY_MASKED
    try:
        return masker(value)
    except Exception:
        return FULLY_MASKED
