"""A request's unit of work is made durable by its audit event's commit, not by its own fsync.

The gateway's requests commit on an engine whose commits are flushed later (SQLite
``synchronous=NORMAL`` in WAL mode, PostgreSQL ``synchronous_commit=off``); the audit writer commits
durably, and its flush covers every change committed before it. That is safe only while the unit of
work commits before the event that releases its answer: these tests pin both halves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, event, text

from gateway.api.app import Gateway, create_app
from tests.audit_helpers import PERSON_QUERY, grant, partner, post
from tests.gateway_fixtures import ZHANG, build_env
from tests.server import running


def _commit_setting(engine: Engine) -> str:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            return {0: "off", 1: "normal", 2: "full", 3: "extra"}[
                conn.execute(text("PRAGMA synchronous")).scalar_one()
            ]
        return str(conn.execute(text("SHOW synchronous_commit")).scalar_one())


def test_requests_commit_without_their_own_flush_and_the_audit_writer_with_it(
    tmp_path: Path, database_url: str
) -> None:
    gw = Gateway.from_settings(build_env(tmp_path, database_url).settings)
    try:
        relaxed, durable = _commit_setting(gw.engine), _commit_setting(gw.audit_engine)
        assert gw.committer.engine is gw.audit_engine
    finally:
        gw.committer.close()
        gw.dispose()
    if gw.engine.dialect.name == "sqlite":
        assert (relaxed, durable) == ("normal", "full")
    else:
        assert (relaxed, durable) == ("off", "on")


def test_a_consent_use_is_committed_before_the_audit_event_that_releases_the_answer(
    tmp_path: Path, database_url: str
) -> None:
    env = build_env(tmp_path, database_url)
    app = create_app(env.settings)
    gw: Gateway = app.state.gateway
    commits: list[str] = []

    def on(label: str) -> Any:
        return lambda _conn: commits.append(label)

    with running(app) as base, httpx.Client(base_url=base, timeout=30) as client:
        token, consent_id = grant(client, env, ["IDENTITY"], uses=2)
        event.listen(gw.engine, "commit", request_commit := on("unit of work"))
        event.listen(gw.audit_engine, "commit", audit_commit := on("audit event"))
        try:
            answer = post(
                client,
                PERSON_QUERY,
                {"id": ZHANG.id_number, "purpose": "FINANCIAL_SERVICE", "consent": token},
                partner(env),
            )
        finally:
            event.remove(gw.engine, "commit", request_commit)
            event.remove(gw.audit_engine, "commit", audit_commit)
    assert answer.status_code == 200 and answer.json()["data"]["person"]["name"] == ZHANG.name
    # The caller's rate bucket commits first on the same engine; then the unit of work, then the event.
    assert commits[-2:] == ["unit of work", "audit event"], commits
    try:  # the use is there for a durable reader, counted once and paired with the answer's event
        with gw.audit_engine.connect() as conn:
            uses = conn.execute(
                text("SELECT uses FROM consents WHERE id = :id"), {"id": consent_id}
            ).scalar_one()
            paired = (
                conn.execute(
                    text("SELECT event_seq FROM consent_uses WHERE consent_id = :id"), {"id": consent_id}
                )
                .scalars()
                .all()
            )
    finally:
        gw.dispose()  # the server's shutdown disposed the engines before this read opened a connection
    assert uses == 1
    assert paired == [int(answer.headers["X-Audit-Sequence"])]
