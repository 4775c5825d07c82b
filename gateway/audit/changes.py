"""Change events: what changed in the store, and who changed it, in the same log as the queries.

Every write the gateway makes for someone (an import, ``submitRecords``, an objection or repair and
its decision, a list entry and its exit, a key rotation, a policy reload) is one or more change
events beside the request events (002 二(七)1: no fabrication, tampering or unlawful deletion
unnoticed). A change event is an event document of the same version as a request's
(``gateway.audit.events.draft_document``: the same members, the actor in the caller's), with four
members more:

- ``class``: ``"change"`` (request events have no ``class``);
- ``change``: its kind (``ChangeKind``), indexed as a key of kind ``change``;
- ``changed``: the subject ids it changed, indexed as keys of kind ``changed`` (never ``subject``:
  "who looked at me" lists reads, and a change is not someone looking);
- ``detail``: what changed, in integers and strings (record and entry ids, counts, hashes, outcomes).

Pure: no database. The API notes changes on its request context (``gateway.api.auditing`` turns
them into documents); the command line builds them with ``operator_facts`` and appends them through
the same group committer (``gateway.commands.audit_log``).
"""

from __future__ import annotations

import getpass
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from gateway.audit.canonical import clean_text
from gateway.audit.events import CallerFacts, RequestOutcome, draft_document

CHANGE_CLASS = "change"
OPERATOR_ROLE = "operator"  # who runs the command line: the operating-system account
SYSTEM_ROLE = "system"  # the gateway itself, acting on a change it noticed (a policy file edited)


class EventClass(StrEnum):
    """The two kinds of event in the log: what callers asked and were answered, and what changed."""

    REQUEST = "REQUEST"
    CHANGE = "CHANGE"


class ChangeKind(StrEnum):
    """What a change event records; the value is the indexed key."""

    IMPORT_FILE = "import.file"
    IMPORT_SUBJECT = "import.subject"
    RECORDS_SUBMITTED = "records.submitted"
    OBJECTION_FILED = "objection.filed"
    OBJECTION_RESOLVED = "objection.resolved"
    REPAIR_APPLIED = "repair.applied"
    REPAIR_DECIDED = "repair.decided"
    LIST_LISTED = "list.listed"
    LIST_DELISTED = "list.delisted"
    LIST_OBJECTION_FILED = "list_objection.filed"
    LIST_OBJECTION_RESOLVED = "list_objection.resolved"
    KEYS_ROTATED = "keys.rotated"
    INDEX_KEY_ROTATED = "keys.index_rotated"
    POLICY_RELOADED = "policy.reloaded"
    DOCUMENT_ADDED = "document.added"
    DOCUMENT_REMOVED = "document.removed"


@dataclass(frozen=True, slots=True)
class Change:
    """One change, as the code that made it knows it."""

    kind: ChangeKind
    subjects: Iterable[str] = ()
    detail: Mapping[str, Any] = field(default_factory=dict)


def change_document(
    change: Change,
    *,
    time: datetime,
    request_id: str,
    actor: CallerFacts,
    client: str | None = None,
    http_status: int = 0,
) -> dict[str, Any]:
    """The event document of ``change`` (without its sequence number). ``request_id`` ties it to the
    request event that made it (or to the command run); ``http_status`` is 0 off HTTP."""
    document = draft_document(
        time=time,
        request_id=request_id,
        batch_index=0,
        batch_size=0,
        caller=actor,
        client=client,
        outcome=RequestOutcome.ANSWERED,
        http_status=http_status,
        duration_us=0,
    )
    document["class"] = CHANGE_CLASS
    document["change"] = change.kind.value
    document["changed"] = sorted(set(change.subjects))
    document["detail"] = {key: _plain(value) for key, value in sorted(change.detail.items())}
    return document


def is_change(document: Mapping[str, Any]) -> bool:
    return document.get("class") == CHANGE_CLASS


def operator_facts() -> CallerFacts:
    """The actor of a command-line change: the operating-system account that ran it."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a bare container)
        user = "unknown"
    return CallerFacts(id=f"operator:{user}", role=OPERATOR_ROLE)


def system_facts(what: str) -> CallerFacts:
    """The actor of a change the gateway made of itself on noticing ``what`` changed."""
    return CallerFacts(id=f"system:{what}", role=SYSTEM_ROLE)


def _plain(value: Any) -> Any:
    """A detail value in the canonical encoding's terms: strings, integers, booleans, null, lists
    and objects of them (an enum is its value; anything else its text)."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in sorted(value.items())}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_plain(v) for v in value]
        return sorted(items) if isinstance(value, set | frozenset) else items
    return clean_text(str(value))
