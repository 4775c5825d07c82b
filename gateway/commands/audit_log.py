"""Change events of the command line (imports, key rotations) written to the audit log through the
same group committer as the requests' (``gateway.audit.committer``), so ``audit verify`` covers
them; a head is signed over the log once they are in, so they are under a signature at once."""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from gateway.audit.changes import Change, change_document, operator_facts
from gateway.audit.committer import GroupCommitter
from gateway.audit.heads import HeadSigner
from gateway.audit.store import AuditLog, HeadSchedule
from gateway.clock import utcnow
from gateway.keys.keyring import load_keyring
from gateway.settings import Settings
from gateway.store.db import make_engine

BATCH = 500  # events per append: an import changing many subjects writes one event per subject


def append_changes(config: Settings, changes: Iterable[Change]) -> int:
    """Append ``changes`` as one command run (one request id), the operating-system account as
    the actor; returns how many events were written. Raises AuditUnavailable when the log refuses."""
    keyring = load_keyring(config.keyring_path)
    audit = config.audit
    audit_log = AuditLog(
        HeadSigner(keyring),
        HeadSchedule(every_events=audit.head_every_events, every_seconds=audit.head_every_seconds),
        clock=utcnow,
    )
    engine = make_engine(config.database_url)
    committer = GroupCommitter(engine, audit_log)
    run, actor, now = f"cli-{secrets.token_hex(6)}", operator_facts(), utcnow()
    written = 0
    try:
        batch: list[dict[str, object]] = []
        for change in changes:
            batch.append(change_document(change, time=now, request_id=run, actor=actor))
            if len(batch) >= BATCH:
                written += len(committer.append(batch))
                batch = []
        if batch:
            written += len(committer.append(batch))
        committer.close()
        with engine.begin() as conn:
            audit_log.sign_head(conn)
    finally:
        committer.close()
        engine.dispose()
    return written
