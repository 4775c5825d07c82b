"""List services: a provider lists and delists subjects of its own authority over the API. The rules
are in ``gateway.lifecycle.rules.lists`` (and what keeps an entry in force, in
``gateway.lifecycle.rules.checks``); this module loads rows, applies them and writes. It never
commits: the request's unit of work does.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gateway.access.tokens import Caller
from gateway.domain import ListKind, ListStatus
from gateway.errors import InvalidInput, InvalidState, NotEntitled, NotFound
from gateway.keys.crypto import FieldCipher
from gateway.lifecycle.rules.checks import Listing, basis_lapsed
from gateway.lifecycle.rules.lists import (
    MAX_CITED,
    MAX_LIST_NAME,
    MAX_REASON,
    check_basis,
    check_listed,
    planned_exit,
)
from gateway.lifecycle.rules.loading import LifecycleRules
from gateway.lifecycle.rules.periods import DisplayPeriods, today_in_china
from gateway.lifecycle.rules.standing import deciding_authority
from gateway.lifecycle.rules.texts import statement
from gateway.store import free_text, reads
from gateway.store.models import CreditRecord, ListEntry, ListEntryRecord


@dataclass(frozen=True, slots=True)
class ListRequest:
    """What a provider asks for when it lists a subject."""

    kind: ListKind
    list_name: str
    reason: str
    record_ids: Sequence[str]
    planned_exit: date | None = None


def list_subject(
    session: Session,
    cipher: FieldCipher,
    *,
    caller: Caller,
    request: ListRequest,
    rules: LifecycleRules,
    now: datetime,
) -> ListEntry:
    """A new entry of the caller's authority for the subject of the cited records, listed today. Its
    reason is stored as the writer stores free text: masked, and whole encrypted, when it concerns a
    natural person (``gateway.store.free_text``)."""
    authority = caller.org_code
    if authority is None:
        raise NotEntitled("only a provider of an authority lists subjects")
    today = today_in_china(now)
    ids = list(dict.fromkeys(request.record_ids))
    if len(ids) > MAX_CITED:
        raise InvalidInput("records", f"cite at most {MAX_CITED} records")
    found = {r.id: r for r in session.scalars(select(CreditRecord).where(CreditRecord.id.in_(ids)))}
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFound(f"no such record: {missing[0]}")
    records = [found[i] for i in ids]
    subject_id = check_basis(request.kind, records, today=today, periods=rules.periods)
    list_name = statement(request.list_name, "listName", max_len=MAX_LIST_NAME)
    reason = statement(request.reason, "reason", max_len=MAX_REASON)
    exit_day = planned_exit(request.kind, request.planned_exit, listed_on=today, rules=rules.lists)
    already = session.scalar(
        select(ListEntry.id).where(
            ListEntry.authority_code == authority,
            ListEntry.subject_id == subject_id,
            ListEntry.kind == request.kind,
            ListEntry.list_name == list_name,
            (ListEntry.status == ListStatus.LISTED) | (ListEntry.listed_on == today),
        )
    )
    if already is not None:
        raise InvalidState(
            f"the subject is already on this list, or was listed on it today (entry {already})"
        )
    entry_id = secrets.token_hex(16)
    version = cipher.current_version
    owner = free_text.owners(session, cipher, [subject_id])[subject_id]
    text = free_text.sealed(
        cipher, owner, reason, table="list_entries", column="reason", row=entry_id, version=version
    )
    entry = ListEntry(
        id=entry_id,
        subject_id=subject_id,
        kind=request.kind,
        list_name=list_name,
        authority_code=authority,
        reason=text["reason"],
        reason_enc=text["reason_enc"],
        key_version=None if text["reason_enc"] is None else version,
        listed_on=today,
        planned_exit=exit_day,
        status=ListStatus.LISTED,
    )
    session.add(entry)
    session.flush()
    session.add_all(ListEntryRecord(list_entry_id=entry.id, record_id=i) for i in ids)
    session.flush()
    return entry


def delist(
    session: Session, *, caller: Caller, entry_id: str, reason: str | None, now: datetime
) -> ListEntry:
    """The listing authority's provider takes its entry off the list today, with a reason."""
    entry = entry_or_404(session, entry_id)
    deciding_authority(caller, entry.authority_code)
    check_listed(entry.status, "delisted")
    why = statement(reason, "reason", max_len=MAX_REASON)
    end(session, entry, ListStatus.EXITED, reason=why, today=today_in_china(now))
    return entry


def end(session: Session, entry: ListEntry, status: ListStatus, *, reason: str, today: date) -> None:
    """Take ``entry`` off its list (one conditional UPDATE: of two exits at once, one wins)."""
    ended = session.execute(
        update(ListEntry)
        .where(ListEntry.id == entry.id, ListEntry.status == entry.status)
        .values(status=status, exited_on=today, exit_reason=reason[:MAX_REASON])
        .execution_options(synchronize_session=False)
    )
    if ended.rowcount != 1:  # type: ignore[attr-defined]
        raise InvalidState("the entry changed meanwhile; try again")
    session.flush()
    session.refresh(entry)


def entry_or_404(session: Session, entry_id: str) -> ListEntry:
    entry = session.get(ListEntry, entry_id)
    if entry is None:
        raise NotFound("no such list entry")
    return entry


def entry_lapsed(session: Session, entry: ListEntry, *, today: date, periods: DisplayPeriods) -> bool:
    """Whether the entry's cited records all stopped justifying it (``basis_lapsed``)."""
    cited = reads.records_justifying(session, [entry.id]).get(entry.id, [])
    return basis_lapsed(Listing(entry, tuple(cited)), today=today, periods=periods)
