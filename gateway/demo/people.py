"""The demo people who sign in to the portal: a short list, one person per story the portal tells.

Of the demo's two thousand people, ``serve --demo`` prints a sign-in link for these only: the legal
representative (own records, a linked record of the company, an objection, the consent the printed
partner uses), then the first person (by subject id) with each state of a repair application and of
an objection that the person filed, and the first person on each list. Read from the store, so a
second run of the demo prints the same people; a story the data lacks is left out.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.domain import FilerKind, ListKind, ListStatus, SubjectKind
from gateway.store.models import ListEntry, Objection, RepairApplication, Subject

FIRST = "a legal representative"  # the one the README says to try first


@dataclass(frozen=True, slots=True)
class DemoPerson:
    story: str  # what the portal shows for this person, e.g. "repair application pending"
    person_id: str


def portal_people(session: Session, legal_representative: str) -> list[DemoPerson]:
    """The people to print a portal link for, the legal representative first; each person once."""
    people = [DemoPerson(FIRST, legal_representative)]
    for table, noun in ((RepairApplication, "repair application"), (Objection, "objection")):
        stmt = (
            select(table.status, func.min(table.subject_id))
            .where(table.filer_kind == FilerKind.SUBJECT)
            .group_by(table.status)
        )
        found = sorted(session.execute(stmt), key=lambda row: list(type(row[0])).index(row[0]))
        people += [DemoPerson(f"{noun} {status.value.lower()}", str(pid)) for status, pid in found]
    listed = (
        select(ListEntry.kind, func.min(ListEntry.subject_id))
        .join(Subject, Subject.id == ListEntry.subject_id)
        .where(Subject.kind == SubjectKind.PERSON, ListEntry.status == ListStatus.LISTED)
        .group_by(ListEntry.kind)
    )
    names = {ListKind.BLACK: "on a blacklist", ListKind.RED: "on a redlist"}
    people += [DemoPerson(names[kind], str(pid)) for kind, pid in sorted(session.execute(listed))]
    once: dict[str, DemoPerson] = {}
    for person in people:
        once.setdefault(person.person_id, person)
    return list(once.values())
