"""Names and addresses of natural persons inside free text, and who sees them whole.

Free text (a decision's content, a list entry's reason, an individual business's trade name) can
name the person it concerns and where they live: ``当事人李建中（住址：山东省菏泽市牡丹区中华路88号3单元）``
or ``牡丹区李建中副食店``. These must be shown "technically shielded or blurred" to everyone but the
person (000 双公示 二(四)1), and must not sit in clear in the database.

The store keeps such a text twice (``gateway.store.free_text``): its masked form in clear, computed
here when the text is written, and the whole text encrypted. ``mask_person_text`` computes the masked
form: the same input always gives the same output, so stored and served forms agree and a re-run of
the migration changes nothing. It masks, in this order:

1. the person's known addresses (their ``Person.address``), cut after the district as
   ``mask_address`` cuts them;
2. the person's known names (the subject's name, an organisation's legal representative's): each
   occurrence becomes ``mask_name`` of it (``李建中`` -> ``李*中``);
3. for texts about a natural person only (``generic_addresses``), any address-like span found by
   ``ADDRESS_SPAN``: a run of up to 12 Chinese characters ending in a street with its house number
   (路/街/巷/道/弄/胡同 + ``12号``), a village (…村, 组), or a building part (号楼/栋/幢/单元/室),
   followed by more such parts; of the text before the first such part the span keeps what runs
   up to its last province, city, district, county, town or township unit (省/市/区/县/旗/镇/乡),
   and the rest becomes ``***`` (a few words before an address without such a unit go with it);
4. identity numbers, and for texts about a natural person phone numbers, as ``mask_free_text`` does.

Who sees the whole text (``reveals_person_text``): whoever the field policy shows both the person's
name and their address whole (``Person.name`` and ``Person.address`` allowed): the person
(``self``), the platform's administrators, and a partner the person consented to show both. Everyone
else, whatever else they may see of the record, gets the masked form. Pure: no database, no keys.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from gateway.access.masking import FULLY_MASKED, mask_address, mask_id_number, mask_name, mask_phone
from gateway.access.policy import Effect, FieldPolicy
from gateway.personal_traits import PATTERNS

_CJK = "\u4e00-\u9fff"
_NUMBER = r"[0-9０-９一二三四五六七八九十]{1,5}"
# What pins an address down to a house or a small community.
_STREET = rf"(?:大道|大街|路|街|巷|道|弄|胡同){_NUMBER}号(?:之{_NUMBER})?"
_VILLAGE = rf"(?<![农乡山渔])村(?![民委])(?:{_NUMBER}组)?|[{_CJK}]组(?={_NUMBER}号)"
_BUILDING = rf"{_NUMBER}(?:号楼|栋|幢|单元|层|室|户)"
_ANCHOR = rf"(?:{_STREET}|{_VILLAGE}|{_BUILDING})"
ADDRESS_SPAN = re.compile(rf"(?P<head>[{_CJK}]{{0,12}}){_ANCHOR}(?:[{_CJK}A-Za-z0-9]{{0,10}}?{_ANCHOR})*")

# Where an anchor may start: searched first, as it is cheaper than the span's backtracking head, and
# most texts have none.
_ANCHOR_HINT = re.compile(rf"(?:{_STREET}|村|组|{_BUILDING})")

# The part of a span's head (what precedes its first anchor) that is kept: up to its last
# administrative unit down to a town or township.
_KEPT_HEAD = re.compile(r".*[省市区县旗镇乡]")

# Names shorter than this are not searched for: one character would mask half a text.
MIN_NAME_LENGTH = 2


def _mask_span(match: re.Match[str]) -> str:
    head = _KEPT_HEAD.match(match.group("head"))
    return (head.group() if head else "") + FULLY_MASKED


def mask_person_text(
    text: str,
    *,
    names: Iterable[str] = (),
    addresses: Iterable[str] = (),
    generic_addresses: bool = True,
) -> str:
    """``text`` with the given persons' names and addresses masked, and (``generic_addresses``)
    every address-like span and phone number too; identity numbers always. Deterministic."""
    for address in sorted({a.strip() for a in addresses if a and a.strip()}, key=len, reverse=True):
        text = text.replace(address, mask_address(address))
    for name in sorted(
        {n.strip() for n in names if n and len(n.strip()) >= MIN_NAME_LENGTH}, key=len, reverse=True
    ):
        text = text.replace(name, mask_name(name))
    text = PATTERNS["id_number"].sub(lambda m: mask_id_number(m.group()), text)
    if generic_addresses:
        if _ANCHOR_HINT.search(text):
            text = ADDRESS_SPAN.sub(_mask_span, text)
        text = PATTERNS["phone"].sub(lambda m: mask_phone(m.group()), text)
    return text


@dataclass(frozen=True, slots=True)
class ProtectedText:
    """A stored free text about a person as a guarded field resolves it: its masked form, and how to
    read the whole text (decrypting it) for a caller ``reveals_person_text`` lets see it. The field
    guard (``gateway.api.guard``) turns it into one of the two; it never reaches the client."""

    masked: str
    reveal: Callable[[], str]

    def __repr__(self) -> str:  # the masked form only, even in a traceback
        return f"ProtectedText(masked={self.masked!r})"


def reveals_person_text(policy: FieldPolicy, subjects: frozenset[str]) -> bool:
    """Whether callers with ``subjects`` see names and addresses inside free text whole: exactly when
    the policy shows them a person's name and address whole (``Person.name``, ``Person.address``)."""
    return all(policy.decide(subjects, field).effect is Effect.WHOLE for field in _PERSON_FIELDS)


_PERSON_FIELDS = ("Person.name", "Person.address")

__all__ = ["ADDRESS_SPAN", "MIN_NAME_LENGTH", "ProtectedText", "mask_person_text", "reveals_person_text"]
