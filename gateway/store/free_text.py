"""Free text about natural persons at rest: its masked form in clear, the whole text encrypted.

Three stored texts may name a natural person or say where they live (000 双公示 二(四)1): a record's
``content``, a list entry's ``reason``, and an individual business's trade name
(``Organization.name``, often the owner's name: ``牡丹区李建中副食店``). Each is kept as two columns:

* ``<column>``: the masked form (``gateway.access.text_masking.mask_person_text``), which is what
  every caller but the person sees, what internal readers that need no names (checks, grades,
  quality measures) read, and what stays searchable in clear;
* ``<column>_enc``: the whole text, AES-256-GCM bound to (table, column, row, key version) like the
  identity fields, and re-encrypted by key rotation (its table has a ``key_version`` column).

A text is protected so when it concerns a natural person: its subject is a person or an individual
business, or masking the names and addresses of the subject's legal representative changes it (a
company's decision that names its legal representative). Any other text (most of what organisations
are recorded for) stays in clear alone, ``<column>_enc`` null.

The names and addresses to mask are the subject's own (a person), or those of the organisation's
legal representative (an individual business's owner): ``owners`` reads them, decrypted, for a batch
of subjects in one query per table.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.access.text_masking import ProtectedText, mask_person_text
from gateway.domain import OrgForm
from gateway.keys.crypto import FieldCipher
from gateway.store.models import Organization, Person
from gateway.store.write_outcomes import chunks

# table -> its free-text column about persons (the ``person_text`` rows of the field catalogue).
PROTECTED_COLUMNS: dict[str, str] = {
    "credit_records": "content",
    "list_entries": "reason",
    "organizations": "name",
}


@dataclass(frozen=True, slots=True)
class TextOwner:
    """Whom a subject's free text may name: ``names`` and ``addresses`` to mask wherever they occur,
    and whether the subject is a natural person (a person, or an individual business, which is its
    owner), whose texts are always protected and searched for any address-like span too."""

    names: tuple[str, ...] = ()
    addresses: tuple[str, ...] = ()
    personal: bool = False

    def __repr__(self) -> str:  # never print names into logs or tracebacks
        return f"TextOwner(personal={self.personal}, names={len(self.names)})"

    def mask(self, text: str) -> str:
        return mask_person_text(
            text, names=self.names, addresses=self.addresses, generic_addresses=self.personal
        )


NOBODY = TextOwner()


def sealed(
    cipher: FieldCipher,
    owner: TextOwner,
    text: str | None,
    *,
    table: str,
    column: str,
    row: str,
    version: int,
) -> dict[str, Any]:
    """The stored columns of one text, ``{column: …, column_enc: …}``: the masked form and the whole
    text encrypted when it concerns a natural person, else the text alone in clear."""
    if text is None:
        return {column: None, f"{column}_enc": None}
    masked = owner.mask(text)
    if not owner.personal and masked == text:
        return {column: text, f"{column}_enc": None}
    blob = cipher.encrypt(text, table=table, column=f"{column}_enc", row=row, version=version)
    return {column: masked, f"{column}_enc": blob}


def _row_key(row: Any) -> str:
    (key,) = row.__table__.primary_key.columns
    return str(getattr(row, key.key))


def whole(cipher: FieldCipher, row: Any, column: str) -> Any:
    """The whole text of ``row.<column>``: decrypted when it is protected, else as stored."""
    blob = getattr(row, f"{column}_enc")
    if blob is None:
        return getattr(row, column)
    return cipher.decrypt(blob, table=row.__table__.name, column=f"{column}_enc", row=_row_key(row))


def served(cipher: FieldCipher, row: Any, column: str) -> ProtectedText | str | None:
    """What a guarded field resolves to: the clear text, or a protected text whose whole form is
    decrypted only if the field guard lets the caller see it."""
    value = getattr(row, column)
    if getattr(row, f"{column}_enc") is None:
        return value
    return ProtectedText(masked=value, reveal=lambda: whole(cipher, row, column))


# Only the columns a text owner needs: no Person objects are built for a batch's subjects.
_PERSON_TEXT_COLUMNS = (Person.subject_id, Person.name_enc, Person.address_enc)


def _person_owners(
    session: Session, cipher: FieldCipher, subject_ids: Sequence[str], *, personal: bool
) -> dict[str, TextOwner]:
    found: dict[str, TextOwner] = {}
    for chunk in chunks(subject_ids):
        stmt = select(*_PERSON_TEXT_COLUMNS).where(Person.subject_id.in_(chunk))
        for sid, name_enc, address_enc in session.execute(stmt):
            name = cipher.decrypt(name_enc, table="persons", column="name_enc", row=sid)
            address = (
                None
                if address_enc is None
                else cipher.decrypt(address_enc, table="persons", column="address_enc", row=sid)
            )
            found[sid] = TextOwner(
                names=(name,) if name else (), addresses=(address,) if address else (), personal=personal
            )
    return found


def owners(session: Session, cipher: FieldCipher, subject_ids: Iterable[str]) -> dict[str, TextOwner]:
    """The ``TextOwner`` of each subject (``NOBODY`` for an unknown one or an organisation with no
    legal representative); read in the caller's transaction, so this batch's new subjects count."""
    ids = sorted(set(subject_ids))
    found = _person_owners(session, cipher, ids, personal=True)
    reps: dict[str, tuple[str, bool]] = {}  # organisation -> (its representative, individual business)
    for chunk in chunks([sid for sid in ids if sid not in found]):
        stmt = select(Organization.subject_id, Organization.form, Organization.legal_representative_id).where(
            Organization.subject_id.in_(chunk)
        )
        for sid, form, rep in session.execute(stmt):
            individual = form is OrgForm.INDIVIDUAL_BUSINESS
            found[sid] = TextOwner(personal=individual)
            if rep is not None:
                reps[sid] = (rep, individual)
    people = _person_owners(session, cipher, sorted({r for r, _ in reps.values()}), personal=False)
    for sid, (rep, individual) in reps.items():
        if rep in people:
            found[sid] = replace(people[rep], personal=individual)
    return {sid: found.get(sid, NOBODY) for sid in ids}


__all__ = ["NOBODY", "PROTECTED_COLUMNS", "TextOwner", "owners", "sealed", "served", "whole"]
