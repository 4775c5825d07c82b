"""Faults of PostgreSQL under a real ``credit-gateway serve``, each failing closed with a clear code and
recovering without a restart (docs/security.md, "Faults"):

- a connection terminated by ``pg_terminate_backend`` while its statement runs, with other requests
  in flight: that request gets ``DATABASE_UNAVAILABLE`` (503, no data), the others are unharmed, the
  next request on a fresh connection answers;
- a statement past ``statement_timeout`` (set for the gateway's connections in the URL's options):
  ``DATABASE_TIMEOUT`` (503, no data), and the same lookup answers once the statement is quick again;
- the database unreachable (a TCP proxy in front of it, stopped): ``/readyz`` 503, every request a 503
  with a code that names the cause, never data and never a 500; ready and answering once it is back.

The statement is held deterministically, not by timing: the test locks the table the lookup reads, so
the gateway's statement waits on the lock until the test terminates it or the timeout cancels it.
Every answered request's audit sequence is in the log afterwards, and ``audit verify`` passes.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url

from gateway.access.tokens import Role
from gateway.store import db
from tests.api_client import individual
from tests.audit_helpers import connection
from tests.cli import run_cli
from tests.gateway_fixtures import BANK_CODE, COMPANY, ZHANG, GatewayEnv, build_env
from tests.tcp_proxy import TcpProxy
from tests.workers import Served, gateway_env, serving

ORGANIZATION = "query($code: String!) { organization(creditCode: $code) { name } }"
ME = "{ me { name } }"  # reads persons, not the organizations table the tests lock
FAULT_CODES = {"DATABASE_UNAVAILABLE", "DATABASE_TIMEOUT", "AUDIT_UNAVAILABLE", "SHARED_STATE_UNAVAILABLE"}


def _with(url: str, *, application_name: str, options: str = "") -> str:
    """``url`` with the gateway's connections named (for pg_stat_activity) and extra server options."""
    parsed = make_url(db.normalize_url(url))
    query = dict(parsed.query)
    query["application_name"] = application_name
    if options:
        query["options"] = f"{query.get('options', '')} {options}".strip()
    return parsed.update_query_dict(query).render_as_string(hide_password=False)


def _ask(url: str, headers: dict[str, str]) -> httpx.Response:
    with httpx.Client(base_url=url, timeout=30) as client:  # a new connection: any worker
        return client.post(
            "/graphql",
            json={"query": ORGANIZATION, "variables": {"code": COMPANY.credit_code}},
            headers=headers,
        )


def _partner(env: GatewayEnv, n: int) -> dict[str, str]:
    return env.headers(Role.PARTNER, org_code=BANK_CODE, agency_kind="FINANCE", subject=f"bank-{n}")


def _person_load(served: Served, env: GatewayEnv) -> Callable[[], httpx.Response]:
    headers = individual(env)

    def ask() -> httpx.Response:
        with httpx.Client(base_url=served.url, timeout=30) as client:
            return client.post("/graphql", json={"query": ME}, headers=headers)

    return ask


def _answers(response: httpx.Response) -> bool:
    return response.status_code == 200 and response.json() == {
        "data": {"organization": {"name": COMPANY.name}}
    }


def _refused_with(response: httpx.Response, code: str) -> bool:
    body = response.json()
    return (
        response.status_code == 503
        and "data" not in body
        and [e["extensions"]["code"] for e in body["errors"]] == [code]
        and COMPANY.name not in response.text
        and response.headers.get("Retry-After") is not None
    )


@contextmanager
def _locked(admin_url: str) -> Iterator[Connection]:
    """The organizations table locked against reads, in a transaction of the test's own."""
    engine = db.make_engine(admin_url)
    try:
        with engine.connect() as conn, conn.begin():
            conn.execute(text("LOCK TABLE organizations IN ACCESS EXCLUSIVE MODE"))
            yield conn
    finally:
        engine.dispose()


def _waiting_pid(admin_url: str, application_name: str) -> int:
    """The gateway backend waiting on the test's lock on organizations (not one of the load's, which
    may wait on a row another request holds); a bounded wait for it to get there."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with connection(admin_url) as conn:
            pid = conn.execute(
                text(
                    "SELECT pid FROM pg_stat_activity WHERE application_name = :name"
                    " AND wait_event_type = 'Lock' AND wait_event = 'relation'"
                    " AND query ILIKE '%organizations%' LIMIT 1"
                ),
                {"name": application_name},
            ).scalar()
        if pid is not None:
            return int(pid)
        time.sleep(0.05)
    raise AssertionError("the lookup never waited on the lock")


class Load:
    """Clients calling ``ask`` in a loop (each call a new connection), every answer kept, until stopped."""

    def __init__(self, ask: Callable[[], httpx.Response], clients: int) -> None:
        self.stop = threading.Event()
        self.responses: list[httpx.Response] = []
        self._ask = ask
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(clients)]

    def _run(self) -> None:
        while not self.stop.is_set():
            self.responses.append(self._ask())

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        for thread in self._threads:
            thread.join(60)


def _check_log(admin_url: str, env: GatewayEnv, responses: list[httpx.Response]) -> None:
    """Every request that was answered (refusals included) has its event, and the log verifies."""
    answered = {int(s) for r in responses if "X-Audit-Sequence" in r.headers
                for s in r.headers["X-Audit-Sequence"].split(",")}  # fmt: skip
    with connection(admin_url) as conn:
        logged = set(conn.execute(text("SELECT seq FROM audit_events")).scalars())
    assert answered <= logged
    verified = run_cli("audit", "verify", keyring=env.settings.keyring_path, database_url=admin_url)
    assert verified.returncode == 0, verified.stdout + verified.stderr


def _keep(into: list[httpx.Response], url: str, headers: dict[str, str]) -> None:
    into.append(_ask(url, headers))


def test_a_connection_terminated_mid_statement_fails_that_request_closed_and_the_next_answers(
    tmp_path: Path, postgres_url: str
) -> None:
    name = f"gw_{uuid.uuid4().hex[:10]}"
    env = build_env(tmp_path, postgres_url, rate_per_second=0.0)
    environ = gateway_env(env.settings, database_url=_with(postgres_url, application_name=name))
    headers = _partner(env, 99)
    with serving(environ, workers=2, log=tmp_path / "serve.log") as served:
        with Load(_person_load(served, env), clients=4) as load:
            assert _answers(_ask(served.url, headers))
            for _ in range(3):  # three terminations in the middle of the load
                held: list[httpx.Response] = []
                with _locked(postgres_url) as conn:
                    asking = threading.Thread(target=_keep, args=(held, served.url, headers))
                    asking.start()
                    pid = _waiting_pid(postgres_url, name)
                    conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
                    asking.join(60)
                assert _refused_with(held[0], "DATABASE_UNAVAILABLE"), held[0].text
                assert _answers(_ask(served.url, headers))  # a fresh connection, no restart
        statuses = {r.status_code for r in load.responses}
    assert load.responses and statuses <= {200, 503}
    for response in load.responses:  # the load's own requests: answered, or refused with a clear code
        answered = response.status_code == 200 and response.json() == {"data": {"me": {"name": ZHANG.name}}}
        assert answered or {e["extensions"]["code"] for e in response.json()["errors"]} <= FAULT_CODES
    _check_log(postgres_url, env, [*load.responses, held[0]])


def test_a_statement_past_the_statement_timeout_is_refused_and_the_next_answers(
    tmp_path: Path, postgres_url: str
) -> None:
    name = f"gw_{uuid.uuid4().hex[:10]}"
    env = build_env(tmp_path, postgres_url, rate_per_second=0.0)
    url = _with(postgres_url, application_name=name, options="-cstatement_timeout=500")
    headers = _partner(env, 0)
    with serving(gateway_env(env.settings, database_url=url), log=tmp_path / "serve.log") as served:
        assert _answers(_ask(served.url, headers))
        with _locked(postgres_url):
            timed_out = _ask(served.url, headers)  # waits on the lock until the server cancels it
        assert _refused_with(timed_out, "DATABASE_TIMEOUT"), timed_out.text
        assert _answers(_ask(served.url, headers))
        assert httpx.get(f"{served.url}/readyz", timeout=10).status_code == 200
    with connection(postgres_url) as conn:
        outcome = conn.execute(
            text("SELECT outcome FROM audit_events WHERE seq = :seq"),
            {"seq": int(timed_out.headers["X-Audit-Sequence"])},
        ).scalar_one()
    assert outcome == "FAILED"
    _check_log(postgres_url, env, [timed_out])


def test_the_database_unreachable_mid_load_refuses_with_a_clear_code_and_recovers(
    tmp_path: Path, postgres_url: str
) -> None:
    env = build_env(tmp_path, postgres_url, rate_per_second=0.0)
    url = make_url(postgres_url)
    proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
    proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    headers = _partner(env, 99)
    proxy.start()
    try:
        environ = gateway_env(env.settings, database_url=proxied, audit_write_timeout="2")
        with serving(environ, log=tmp_path / "serve.log") as served:
            with Load(lambda: _ask(served.url, _partner(env, 1)), clients=3) as load:
                assert _answers(_ask(served.url, headers))
                proxy.stop()
                during = [_ask(served.url, headers) for _ in range(6)]
                ready = [httpx.get(f"{served.url}/readyz", timeout=30) for _ in range(4)]
                proxy.start()
                deadline = time.monotonic() + 30  # bounded: until it reconnected
                while not all(_answers(_ask(served.url, headers)) for _ in range(4)):
                    assert time.monotonic() < deadline, "the gateway did not recover"
                    time.sleep(0.2)
                assert httpx.get(f"{served.url}/readyz", timeout=10).status_code == 200
    finally:
        proxy.stop()
    assert all(r.status_code == 503 for r in ready)
    for response in during + load.responses:
        assert response.status_code in {200, 503}, response.text
        if response.status_code == 503:
            assert "data" not in response.json() and COMPANY.name not in response.text
            assert {e["extensions"]["code"] for e in response.json()["errors"]} <= FAULT_CODES
    assert all(r.status_code == 503 for r in during)
    _check_log(postgres_url, env, during + load.responses)
