"""/readyz over real HTTP: not ready (503) while the database cannot be used, ready again once it can,
without restarting the gateway; /healthz stays alive throughout."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url

from gateway.api.app import create_app
from gateway.settings import Settings
from gateway.store import db
from tests.audit_helpers import connection
from tests.gateway_fixtures import COMPANY, build_env
from tests.server import free_port, running
from tests.tcp_proxy import TcpProxy

ORG = "query($c: String!) { organization(creditCode: $c) { name } }"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'credit.db'}"


def serving(settings: Settings) -> Iterator[httpx.Client]:
    with running(create_app(settings)) as base, httpx.Client(base_url=base, timeout=30) as http:
        yield http


def probe(client: httpx.Client) -> tuple[int, dict[str, object]]:
    assert client.get("/healthz").json() == {"status": "alive"}
    response = client.get("/readyz")
    body = response.json()
    # Warnings do not decide readiness; the holiday calendar's are tested in test_workdays.py.
    body.pop("warnings", None)
    return response.status_code, body


def answers(client: httpx.Client) -> bool:
    body = client.post("/graphql", json={"query": ORG, "variables": {"c": COMPANY.credit_code}}).json()
    return body == {"data": {"organization": {"name": COMPANY.name}}}


def test_not_ready_while_postgresql_is_on_a_closed_port(tmp_path: Path, sqlite_url: str) -> None:
    env = build_env(tmp_path, sqlite_url)  # keyring and policies; the database is the closed port
    closed = f"postgresql://postgres@127.0.0.1:{free_port()}/credit"
    for client in serving(env.settings.with_overrides(database_url=closed)):
        assert probe(client) == (503, {"status": "not ready", "problems": ["database unreachable"]})
        response = client.post("/graphql", json={"query": ORG, "variables": {"c": COMPANY.credit_code}})
        # No audit event can be written, so no data leaves: 503 AUDIT_UNAVAILABLE, never a 500.
        assert response.status_code == 503
        assert response.json()["errors"][0]["extensions"]["code"] == "AUDIT_UNAVAILABLE"
        assert response.json().get("data") is None


def test_postgresql_cut_off_and_back_makes_the_gateway_unready_then_ready(
    tmp_path: Path, postgres_url: str
) -> None:
    env = build_env(tmp_path, postgres_url)
    url = make_url(postgres_url)
    proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
    proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    proxy.start()
    try:
        for client in serving(env.settings.with_overrides(database_url=proxied)):
            assert probe(client) == (200, {"status": "ready"}) and answers(client)
            proxy.stop()
            assert probe(client) == (503, {"status": "not ready", "problems": ["database unreachable"]})
            proxy.start()
            assert probe(client) == (200, {"status": "ready"}) and answers(client)
    finally:
        proxy.stop()


def test_a_sqlite_path_that_cannot_be_opened_is_not_ready_until_the_file_is_back(
    tmp_path: Path, sqlite_url: str
) -> None:
    env = build_env(tmp_path, sqlite_url)
    path = tmp_path / "credit.db"
    aside = tmp_path / "aside.db"
    os.replace(path, aside)
    path.mkdir()  # the path exists but is no database file
    for client in serving(env.settings):
        assert probe(client) == (503, {"status": "not ready", "problems": ["database unreachable"]})
        path.rmdir()
        os.replace(aside, path)
        assert probe(client) == (200, {"status": "ready"}) and answers(client)


def test_a_missing_sqlite_file_is_not_ready_and_ready_once_it_is_restored(
    tmp_path: Path, sqlite_url: str
) -> None:
    """SQLite creates a missing file on connect: an empty database, without the schema, is not ready."""
    env = build_env(tmp_path, sqlite_url)
    path = tmp_path / "credit.db"
    aside = tmp_path / "aside.db"
    os.replace(path, aside)
    for client in serving(env.settings):
        status, body = probe(client)
        assert status == 503 and body["problems"] == [
            "database schema missing: run 'credit-gateway db upgrade'"
        ]
        os.replace(aside, path)  # over the empty file the probe's connection created
        assert probe(client) == (200, {"status": "ready"}) and answers(client)


def test_a_database_behind_the_gateways_schema_is_not_ready(tmp_path: Path, database_url: str) -> None:
    env = build_env(tmp_path, database_url)
    command.downgrade(db.alembic_config(database_url), "-1")  # one step: 0009 refuses to drop protected text
    behind = ScriptDirectory.from_config(db.alembic_config(database_url)).get_revision(db.head_revision())
    assert behind is not None and isinstance(behind.down_revision, str)
    for client in serving(env.settings):
        status, body = probe(client)
        assert status == 503 and body["problems"] == [
            f"database schema at revision {behind.down_revision}, this gateway needs {db.head_revision()}: "
            "run 'credit-gateway db upgrade'"
        ]
        db.upgrade(database_url)
        assert probe(client) == (200, {"status": "ready"})


def test_a_server_started_on_a_read_only_sqlite_file_is_not_ready(tmp_path: Path, sqlite_url: str) -> None:
    env = build_env(tmp_path, sqlite_url)
    read_only = f"sqlite:///file:{tmp_path / 'credit.db'}?mode=ro&uri=true"
    for client in serving(env.settings.with_overrides(database_url=read_only)):
        status, body = probe(client)
        assert (status, body["problems"]) == (503, ["audit log cannot be written; requests are refused"])
        response = client.post("/graphql", json={"query": ORG, "variables": {"c": COMPANY.credit_code}})
        assert response.status_code == 503
        assert response.json()["errors"][0]["extensions"]["code"] == "AUDIT_UNAVAILABLE"


@pytest.mark.postgres
def test_commits_refused_by_postgresql_make_the_gateway_unready_then_ready(
    tmp_path: Path, postgres_url: str
) -> None:
    """A deferred constraint trigger fails every commit that touched the audit state, as a full disk
    fails commits: the statements succeed, the commit does not. A rolled-back probe would pass."""
    env = build_env(tmp_path, postgres_url)
    refuse = (
        "CREATE FUNCTION refuse_commit() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'disk full'; END $$",
        "CREATE CONSTRAINT TRIGGER refuse_commit AFTER UPDATE ON audit_state "
        "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_commit()",
    )
    for client in serving(env.settings):
        assert probe(client) == (200, {"status": "ready"}) and answers(client)
        with connection(postgres_url) as conn:
            for statement in refuse:
                conn.exec_driver_sql(statement)
        status, body = probe(client)
        assert (status, body["problems"]) == (503, ["audit log cannot be written; requests are refused"])
        with connection(postgres_url) as conn:
            conn.exec_driver_sql("DROP TRIGGER refuse_commit ON audit_state")
        assert probe(client) == (200, {"status": "ready"}) and answers(client)
