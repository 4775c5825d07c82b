"""``recordHistory``: a record's versions and who made each, for auditors (docs/audit.md, "A record's
history"). Its values are the store's own (credit codes of providers, operator names), never a
person's identity, and the versions' contents are not repeated: the changed fields are named, and
the content hash ties each version to the record as it was served."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from gateway.access.tokens import Role
from gateway.api.context import RequestContext
from gateway.api.roles import for_roles
from gateway.store.record_history import RecordVersionView, record_history


@strawberry.type(description="One version of a record: who made it, when, why, and what it changed.")
class RecordVersion:
    view: strawberry.Private[RecordVersionView]

    @strawberry.field
    def version(self) -> int:
        return self.view.version

    @strawberry.field(
        description=(
            "Who made it: a provider's credit code, operator:<name> for an import from the command "
            "line; null for versions made before this was kept."
        )
    )
    def made_by(self) -> str | None:
        return self.view.made_by

    @strawberry.field
    def made_at(self) -> datetime | None:
        return self.view.made_at

    @strawberry.field(description="Why it was made: received, resubmitted by provider, objection <id>: …")
    def reason(self) -> str:
        return self.view.reason

    @strawberry.field
    def status(self) -> str:
        return self.view.status

    @strawberry.field
    def content_hash(self) -> str:
        return self.view.content_hash

    @strawberry.field(description="Stored columns that differ from the version before.")
    def changed_fields(self) -> list[str]:
        return list(self.view.changed_fields)

    @strawberry.field
    def current(self) -> bool:
        return self.view.current


@strawberry.type
class RecordHistoryQuery:
    @strawberry.field(
        description="A record's versions, oldest first, and who made each (auditors); null for an unknown record.",
        extensions=for_roles(Role.AUDITOR),
    )
    def record_history(self, info: Info, record_id: strawberry.ID) -> list[RecordVersion] | None:
        ctx: RequestContext = info.context
        views = record_history(ctx.session, str(record_id))
        return None if views is None else [RecordVersion(view=v) for v in views]
