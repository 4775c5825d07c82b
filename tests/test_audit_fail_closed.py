"""Fail closed: when the database refuses the audit write (a real fault, not a mock), a request gets
AUDIT_UNAVAILABLE and no data, /readyz says not ready, and both recover once writes work again."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from gateway.api.app import create_app
from gateway.audit.heads import audit_public_keys
from gateway.audit.verify import verify_log
from gateway.store import db
from tests.audit_helpers import PERSON_QUERY, connection, event_count, grant, partner, post
from tests.gateway_fixtures import ZHANG, GatewayEnv, build_env
from tests.server import running


def _uses(url: str, consent_id: str) -> int:
    with connection(url) as conn:
        return int(
            conn.execute(text("SELECT uses FROM consents WHERE id = :id"), {"id": consent_id}).scalar_one()
        )


def _outage_and_recovery(
    env: GatewayEnv, admin_url: str, break_it: Callable[[], None], fix_it: Callable[[], None]
) -> None:
    lookup = {"id": ZHANG.id_number, "purpose": "FINANCIAL_SERVICE"}
    with running(create_app(env.settings)) as base, httpx.Client(base_url=base, timeout=30) as client:
        token, consent_id = grant(client, env, ["IDENTITY"], uses=10)
        lookup["consent"] = token
        assert post(client, PERSON_QUERY, lookup, partner(env)).json()["data"]["person"]["name"] == ZHANG.name
        before = event_count(admin_url)

        break_it()
        refused = post(client, PERSON_QUERY, lookup, partner(env))
        assert refused.status_code == 503
        assert refused.json() == {
            "errors": [{"message": "the audit log cannot be written; no data is released",
                        "extensions": {"code": "AUDIT_UNAVAILABLE"}}]
        }  # fmt: skip
        assert ZHANG.name not in refused.text and "X-Audit-Sequence" not in refused.headers
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert "audit log cannot be written; requests are refused" in ready.json()["problems"]
        uses = _uses(admin_url, consent_id)
        again = post(client, PERSON_QUERY, lookup, partner(env))
        assert again.status_code == 503
        assert _uses(admin_url, consent_id) == uses  # refused before it ran: the consent was not spent

        fix_it()
        assert ready_body(client) == {"status": "ready"}
        answered = post(client, PERSON_QUERY, lookup, partner(env))
        assert answered.status_code == 200 and answered.json()["data"]["person"]["name"] == ZHANG.name
    assert event_count(admin_url) == before + 1  # nothing was written during the outage, then one event
    engine = db.make_engine(admin_url)
    try:
        with engine.connect() as conn:
            assert verify_log(conn, audit_public_keys(env.keyring)).ok
    finally:
        engine.dispose()


def test_a_sqlite_log_whose_table_is_gone_fails_closed_and_recovers(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'credit.db'}"
    env = build_env(tmp_path, url)

    def rename(old: str, new: str) -> Callable[[], None]:
        def run() -> None:
            with connection(url) as conn:
                conn.exec_driver_sql(f"ALTER TABLE {old} RENAME TO {new}")

        return run

    _outage_and_recovery(
        env, url, rename("audit_events", "audit_events_away"), rename("audit_events_away", "audit_events")
    )


def test_a_postgres_role_without_insert_on_the_log_fails_closed_and_recovers(
    tmp_path: Path, postgres_url: str
) -> None:
    role = f"gw_{uuid.uuid4().hex[:12]}"
    admin = create_engine(db.normalize_url(postgres_url), isolation_level="AUTOCOMMIT")
    schema = make_url(postgres_url).query["options"].split("=", 1)[1]  # type: ignore[union-attr]
    env = build_env(tmp_path, postgres_url)

    def sql(statement: str) -> Callable[[], None]:
        def run() -> None:
            with admin.connect() as conn:
                conn.execute(text(statement))

        return run

    try:
        sql(f'CREATE ROLE "{role}" LOGIN')()
        sql(f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"')()
        sql(f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "{schema}" TO "{role}"')()
        sql(f'GRANT USAGE ON ALL SEQUENCES IN SCHEMA "{schema}" TO "{role}"')()
        as_role = (
            make_url(db.normalize_url(postgres_url)).set(username=role).render_as_string(hide_password=False)
        )
        gateway_env = GatewayEnv(
            settings=env.settings.with_overrides(database_url=as_role), keyring=env.keyring, ids=env.ids
        )
        _outage_and_recovery(
            gateway_env,
            postgres_url,
            sql(f'REVOKE INSERT ON audit_events FROM "{role}"'),
            sql(f'GRANT INSERT ON audit_events TO "{role}"'),
        )
    finally:
        sql(f'DROP OWNED BY "{role}"')()
        sql(f'DROP ROLE IF EXISTS "{role}"')()
        admin.dispose()


def ready_body(client: httpx.Client) -> dict[str, object]:
    """/readyz's answer less its warnings (the holiday calendar's, by today's date: test_workdays.py)."""
    body = client.get("/readyz").json()
    body.pop("warnings", None)
    return body
