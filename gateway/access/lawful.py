"""Lawful access: an agency reads a person without the person's consent, under a legal basis.

The seeds let the department that initiates a joint punishment hand serious dishonesty of individuals
to other departments (001 (十七)), and the credit-reporting rule's exceptions to written consent let
state organs read a person's credit information under the law. A lookup of that kind is allowed only

- to a partner agency whose kind ``policies/lawful-access.toml`` names (courts, public security, the
  credit office, discipline inspection: the operator's list),
- for a statutory purpose the file allows to that kind,
- with a **legal basis** of the right shape stated on the query (``LegalBasis``): the law, the article,
  and the case or document number the agency acts under.

It opens the consent scopes the file names, as a consent with them would, and nothing more. The basis
goes into the audit event (``key``), the auditor counts lookups per basis and agency, and the person
sees the lookup in "who looked at me", after the delay the file sets for the purpose (``notice_after``).

Pure: no database, no web framework. ``gateway.access.admission`` calls ``admit`` on the one path to a
person.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from gateway.access.tokens import Caller, Role
from gateway.domain import AgencyKind, ConsentScope, StatutoryPurpose
from gateway.errors import ConfigurationError, LegalBasisInvalid, PersonUnavailable
from gateway.lifecycle.rules.config import read_toml, whole, words

_E = TypeVar("_E", AgencyKind, StatutoryPurpose, ConsentScope)

LAWFUL_ACCESS_FILE = "lawful-access.toml"
PERSON_UNAVAILABLE_MESSAGE = "no person record is available for this identity number on this basis"

# The three parts joined by SEPARATOR are an audit key (at most 120 characters, ``events.MAX_KEY``).
MAX_LAW = 60
MAX_ARTICLE = 20
MAX_REFERENCE = 38
SEPARATOR = "|"
_NUMERAL = "[0-9〇零一二三四五六七八九十百千]+"
# 第二百五十五条, 第六条第一款, 第六条第一款第（三）项; or Article 255, Art. 6(1).
_ARTICLE = re.compile(
    rf"第{_NUMERAL}条(?:第{_NUMERAL}款)?(?:第[（(]?{_NUMERAL}[）)]?项)?"
    r"|(?:Article|Art\.) ?[0-9]{1,4}[a-z]?(?:\([0-9]{1,3}\))*"
)
# A case number (案号) or a document number (文号): a year in brackets and 号 at the end, e.g.
# (2026)鲁1702执123号, （2026）鲁17刑初45号, 菏公(刑)立字〔2026〕88号.
_REFERENCE = re.compile(r"[^\s|]{0,16}[（(〔\[][0-9]{4}[）)〕\]][^\s|]{1,24}号")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


@dataclass(frozen=True, slots=True)
class LegalBasis:
    """What the agency acts under: law and article, the case or document number, and the purpose."""

    law: str
    article: str
    reference: str
    purpose: StatutoryPurpose

    @classmethod
    def parse(cls, *, law: str, article: str, reference: str, purpose: StatutoryPurpose) -> LegalBasis:
        """The basis with its parts trimmed; LEGAL_BASIS_INVALID naming the part otherwise."""
        law = _text(law, "legalBasis.law", MAX_LAW)
        if len(law) < 2:
            raise LegalBasisInvalid(
                "legalBasis.law", "name the law or regulation, e.g. 中华人民共和国民事诉讼法"
            )
        article = _text(article, "legalBasis.article", MAX_ARTICLE)
        if not _ARTICLE.fullmatch(article):
            raise LegalBasisInvalid(
                "legalBasis.article", "name the article, e.g. 第二百五十五条 or Article 255"
            )
        reference = _text(reference, "legalBasis.reference", MAX_REFERENCE)
        if not _REFERENCE.fullmatch(reference):
            raise LegalBasisInvalid(
                "legalBasis.reference", "give the case or document number, e.g. (2026)鲁1702执123号"
            )
        return cls(law=law, article=article, reference=reference, purpose=purpose)

    @property
    def key(self) -> str:
        """The basis as the audit log indexes it: ``law|article|reference``."""
        return SEPARATOR.join((self.law, self.article, self.reference))


def split_key(key: str) -> tuple[str, str, str] | None:
    """``key``'s three parts, or None for text that is not a basis key."""
    parts = key.split(SEPARATOR)
    return (parts[0], parts[1], parts[2]) if len(parts) == 3 else None


def _text(value: str, field: str, limit: int) -> str:
    text = value.strip()
    if not text:
        raise LegalBasisInvalid(field, "must not be empty")
    if len(text) > limit:
        raise LegalBasisInvalid(field, f"at most {limit} characters")
    if SEPARATOR in text or _CONTROL.search(text):
        raise LegalBasisInvalid(field, f"no control characters and no {SEPARATOR!r}")
    return text


@dataclass(frozen=True, slots=True)
class LawfulLookup:
    """A lookup admitted under a basis: the scopes it opens, and from when the person sees it."""

    basis: LegalBasis
    scopes: frozenset[ConsentScope]
    notice_after: datetime | None  # None: shown at once


@dataclass(frozen=True, slots=True)
class LawfulAccessRules:
    """``policies/lawful-access.toml``, validated."""

    agencies: Mapping[AgencyKind, frozenset[StatutoryPurpose]]
    scopes: frozenset[ConsentScope]
    notice_delays: Mapping[StatutoryPurpose, timedelta]
    source: str

    @classmethod
    def load(cls, policy_dir: Path) -> LawfulAccessRules:
        path = Path(policy_dir) / LAWFUL_ACCESS_FILE
        document = read_toml(path)
        unknown = sorted(set(document) - {"source", "scopes", "agencies", "notice_delay_days"})
        if unknown:
            raise ConfigurationError(f"{path}: unknown key {unknown[0]!r}")
        agencies_table = _table(document, "agencies", path)
        agencies = {
            _member(AgencyKind, kind, f"{path}: agencies"): frozenset(
                _member(StatutoryPurpose, p, f"{path}: agencies.{kind}")
                for p in _names(purposes, f"{path}: agencies.{kind}")
            )
            for kind, purposes in agencies_table.items()
        }
        delays = {
            _member(StatutoryPurpose, purpose, f"{path}: notice_delay_days"): timedelta(
                days=whole(days, f"{path}: notice_delay_days.{purpose}", low=1, high=3 * 366)
            )
            for purpose, days in _table(document, "notice_delay_days", path).items()
        }
        scopes = frozenset(
            _member(ConsentScope, s, f"{path}: scopes")
            for s in _names(document.get("scopes"), f"{path}: scopes")
        )
        return cls(
            agencies=agencies,
            scopes=scopes,
            notice_delays=delays,
            source=words(document.get("source"), f"{path}: source"),
        )

    def admit(self, caller: Caller, basis: LegalBasis, *, now: datetime) -> LawfulLookup:
        """The lookup, when the caller's agency kind may state this purpose; PERSON_UNAVAILABLE, the
        answer for an unknown person, otherwise (a bank with a basis learns nothing either)."""
        kind = caller.agency_kind if caller.role is Role.PARTNER else None
        if kind is None or basis.purpose not in self.agencies.get(kind, frozenset()):
            raise PersonUnavailable(PERSON_UNAVAILABLE_MESSAGE)
        delay = self.notice_delays.get(basis.purpose)
        return LawfulLookup(basis=basis, scopes=self.scopes, notice_after=now + delay if delay else None)


def _table(document: dict[str, Any], key: str, path: Path) -> dict[str, Any]:
    value = document.get(key, {})
    if not isinstance(value, dict):
        raise ConfigurationError(f"{path}: expected a [{key}] table")
    return value


def _names(value: object, where: str) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ConfigurationError(f"{where} must be a non-empty list of names")
    return value


def _member(enum: type[_E], name: str, where: str) -> _E:
    try:
        return enum(name)
    except ValueError:
        raise ConfigurationError(f"{where}: {name!r} is not one of {', '.join(enum)}") from None
