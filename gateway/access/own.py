"""Which subject of the store a caller is, so that its own record is read as its own.

An individual token names its person by subject id; an enterprise token names its organisation by
credit code (``org``), which is looked up here through the store's read service (by equality, or by
blind index for an individual business, whose code is stored encrypted). The answer decides the
``self``/``self:organization`` subject and the row level (``gateway.access.subjects.reading``), the
standing to file objections and repair applications for the organisation
(``gateway.lifecycle.rules.standing``), and which filings the organisation lists.

Fails closed: a code that names no organisation in the store, or a government agency, is no own
record, and the caller reads everything as its role alone lets it.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from gateway.access.tokens import Caller, Role
from gateway.domain import SubjectKind
from gateway.keys.crypto import FieldCipher
from gateway.store import reads
from gateway.store.reads import OrganizationView


def own_organization(session: Session, cipher: FieldCipher, caller: Caller) -> OrganizationView | None:
    """The organisation an enterprise caller acts for, or None (another role, an unknown code, or a
    government agency: agencies sign in as partners or providers, never for a record of their own)."""
    if caller.role is not Role.ENTERPRISE or caller.org_code is None:
        return None
    view = reads.find_organization(session, cipher, caller.org_code)
    if view is None or view.kind is SubjectKind.GOVERNMENT_AGENCY:
        return None
    return view


def own_subject_id(session: Session, cipher: FieldCipher, caller: Caller) -> str | None:
    """The subject id of the caller's own record: an individual's person, an enterprise's
    organisation; None for every other caller."""
    if caller.role is Role.INDIVIDUAL:
        return caller.person_id
    view = own_organization(session, cipher, caller)
    return None if view is None else view.subject_id
