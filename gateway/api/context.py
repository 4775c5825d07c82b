"""What one request carries through resolvers: the caller, its unit of work, and the services."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from gateway.access.consent_tokens import ConsentTokens
from gateway.access.disclosure import DisclosureRules
from gateway.access.lawful import LawfulAccessRules
from gateway.access.own import own_subject_id
from gateway.access.policy import FieldPolicy
from gateway.access.revocations import SharedRevocationList
from gateway.access.tokens import Caller, Role
from gateway.api.loaders import Loaders
from gateway.audit.changes import Change
from gateway.audit.pseudonyms import Pseudonyms
from gateway.keys.crypto import FieldCipher
from gateway.lifecycle.rules.loading import LifecycleRules
from gateway.reports.rules import ReportRules
from gateway.reports.signing import ReportSigner
from gateway.settings import Settings
from gateway.workdays import WorkCalendar


@dataclass(frozen=True, slots=True)
class Services:
    """Long-lived collaborators shared by all requests of one worker."""

    settings: Settings
    cipher: FieldCipher
    policy: FieldPolicy
    consent_tokens: ConsentTokens
    calendar: WorkCalendar
    clock: Callable[[], datetime]
    lifecycle: LifecycleRules
    pseudonyms: Pseudonyms  # identity number -> the log's pseudonym (auditors' subject filter)
    audit_keys: Mapping[str, bytes]  # audit public keys by key id, to check signed heads
    lawful_access: LawfulAccessRules  # who may read a person without consent (policies/lawful-access.toml)
    disclosure: (
        DisclosureRules  # which individuals' list entries are public (policies/public-disclosure.toml)
    )
    revocations: SharedRevocationList | None = None  # the shared token revocation list (this copy)
    reports: ReportSigner | None = None  # signs credit reports with the keyring's report-<n> key
    report_rules: ReportRules | None = None  # validity periods (policies/reports.toml)


@dataclass(slots=True)
class RequestContext:
    caller: Caller
    session: Session
    services: Services
    now: datetime
    # Field outcomes of this request ("Person.phone" -> count per effect), for the audit event.
    field_outcomes: Counter[tuple[str, str]] = field(default_factory=Counter)
    # The policy rule that masked or denied each such field, so every refusal can be explained.
    field_rules: dict[str, str] = field(default_factory=dict)
    subjects_touched: set[str] = field(default_factory=set)
    consent_id: str | None = None
    # Consent uses this operation counted (``gateway.access.consent_uses``): each is paired with the
    # operation's audit event in the transaction that appends it.
    consent_uses: list[str] = field(default_factory=list)
    purpose: str | None = None
    # What the operation changed in the store, one change event each (gateway.audit.changes); noted
    # by the resolvers once a service has written, dropped when the unit of work rolls back.
    changes: list[Change] = field(default_factory=list)
    # Changes that are not the unit of work's (a policy reload): kept whatever the operation does.
    noticed: list[Change] = field(default_factory=list)
    # Legal bases stated for lookups without consent (``law|article|reference``), and the instant
    # from which the persons looked up may see the lookup (None: at once), for the audit event.
    legal_bases: set[str] = field(default_factory=set)
    notice_after: datetime | None = None
    # Credit reports this operation issued (serial, subject, sections), for its audit event.
    reports: list[dict[str, Any]] = field(default_factory=list)
    # Batched reads for nested fields, cached for this request only (never shared: see loaders).
    loaders: Loaders = field(init=False)
    # The subject id of the caller's own record (``own_subject_id``), looked up once per request.
    _own: tuple[str | None] | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.session)

    def own_subject_id(self) -> str | None:
        """The subject the caller is (an individual's person, an enterprise's organisation), or None:
        what decides whether a record it reads or files for is its own."""
        if self._own is None:
            self._own = (own_subject_id(self.session, self.services.cipher, self.caller),)
        return self._own[0]

    def own_organization_id(self) -> str | None:
        """The organisation an enterprise caller is (None for every other caller): whose records it
        may file objections and repair applications for."""
        return self.own_subject_id() if self.caller.role is Role.ENTERPRISE else None

    def is_own(self, subject_id: str) -> bool:
        """Whether ``subject_id`` is the caller's own record."""
        own = self.own_subject_id()
        return own is not None and own == subject_id

    def withhold_notice_until(self, moment: datetime) -> None:
        """Keep this request's event out of its subjects' "who looked at me" until ``moment`` (the
        latest of the lookups' delays: the event is one entry for all the subjects it names)."""
        self.notice_after = moment if self.notice_after is None else max(self.notice_after, moment)
