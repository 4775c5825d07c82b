"""Public disclosure of seriously dishonest individuals: which black-list entries of natural persons
the public list shows, and in what form.

The seeds ask that serious dishonesty of individuals be disclosed to the public (000 个人 五(一)
"对于严重失信各类自然人的处罚信息及时归集并公示", 000 个人 六(三), 001 (十八) "依法向社会公开披露
……个人严重失信信息", 004 个人 六(三)), while nothing else about individuals is published (000 双公示
二(三)). The categories that make a person's entry public are the operator's list in
``policies/public-disclosure.toml`` (local default: the dishonest judgment debtor list, public by
law). Such an entry is shown with the person's name and the identity number masked as courts publish
them (``masking.mask_id_number``); its reason and its records are not.

Pure: no database. ``gateway.store.public_lists`` applies it when it reads the list.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from gateway.access.masking import mask_credit_code, mask_free_text, mask_id_number
from gateway.access.visibility import in_force
from gateway.domain import Category, ListKind, SubjectKind
from gateway.errors import ConfigurationError
from gateway.lifecycle.rules.config import read_toml, words
from gateway.lifecycle.rules.periods import DisplayPeriods
from gateway.store.models import CreditRecord, ListEntry

PUBLIC_DISCLOSURE_FILE = "public-disclosure.toml"


@dataclass(frozen=True, slots=True)
class DisclosureRules:
    """``policies/public-disclosure.toml``, validated."""

    person_categories: frozenset[Category]
    source: str

    @classmethod
    def load(cls, policy_dir: Path) -> DisclosureRules:
        path = Path(policy_dir) / PUBLIC_DISCLOSURE_FILE
        document = read_toml(path)
        unknown = sorted(set(document) - {"source", "person_categories"})
        if unknown:
            raise ConfigurationError(f"{path}: unknown key {unknown[0]!r}")
        names = document.get("person_categories")
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise ConfigurationError(f"{path}: person_categories must be a list of category names")
        try:
            categories = frozenset(Category(n) for n in names)
        except ValueError:
            raise ConfigurationError(
                f"{path}: person_categories names a category that does not exist"
            ) from None
        return cls(person_categories=categories, source=words(document.get("source"), f"{path}: source"))

    def publishes_person_entry(
        self, entry: ListEntry, records: Iterable[CreditRecord], *, today: date, periods: DisplayPeriods
    ) -> bool:
        """A person's entry is public when it is a black-list entry justified by at least one record
        in force of a named category that is not of a minor's act (those are never published: 001
        (十三), 004 个人 四(三)); anything less keeps it unpublished (fail closed)."""
        return entry.kind is ListKind.BLACK and any(
            self.publishes_record(r) and in_force(r, today=today, periods=periods) for r in records
        )

    def publishes_record(self, record: CreditRecord) -> bool:
        """Whether a record may justify publishing a person's entry and be named with it."""
        return record.category in self.person_categories and not record.committed_as_minor


def public_identifier(kind: SubjectKind, identifier: str) -> str:
    """The identifier as the public list shows it: a person's identity number masked as courts
    publish it (``370103********123X``); an individual business's credit code masked, another
    organisation's whole."""
    return mask_id_number(identifier) if kind is SubjectKind.PERSON else mask_credit_code(identifier)


def public_reason(kind: SubjectKind, reason: str) -> str | None:
    """An organisation's listing reason, masked as ``ListEntry.reason`` is for the public; a
    person's reason is not published (it is free text about the person)."""
    return None if kind is SubjectKind.PERSON else mask_free_text(reason)
