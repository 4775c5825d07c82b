"""``credit-gateway serve``: run the gateway under uvicorn."""

from __future__ import annotations

import os

import typer
import uvicorn

from gateway.clock import utcnow
from gateway.commands.common import console, new_sqlite_file, settings, user_errors
from gateway.errors import HolidayCalendarEnded
from gateway.lifecycle.rules.periods import today_in_china


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="TCP port."),
    workers: int = typer.Option(1, min=1, max=64, help="Worker processes (stateless; share the database)."),
    demo: bool = typer.Option(
        False, "--demo", help="Create keyring, SQLite demo data and tokens if absent; dev mode with GraphiQL."
    ),
) -> None:
    """Serve GraphQL at /graphql, with /healthz and /readyz for orchestrators."""
    if demo:
        from gateway.demo.bootstrap import prepare_demo

        os.environ["GATEWAY_DEV_MODE"] = "1"
        with user_errors():
            prepare_demo(settings(), host=host, port=port)
    current = settings()
    with user_errors():
        # Fail before forking workers when the keyring, policy or database is unusable.
        from gateway.api.app import Gateway
        from gateway.store import db

        new = new_sqlite_file(current, create=False)  # --demo made its store above, on purpose
        db.upgrade(current.database_url)
        gateway = Gateway.from_settings(current)
    calendar_warning = gateway.services.calendar.coverage_warning(today_in_china(utcnow()))
    if calendar_warning is not None:
        console.print(f"[yellow]warning[/yellow] [{HolidayCalendarEnded.code}]: {calendar_warning}")
    if new is not None:
        console.print(f"created a new SQLite database at {new.resolve()}")
    console.print(f"serving on http://{host}:{port}/graphql ({workers} worker{'s' if workers > 1 else ''})")
    uvicorn.run(
        "gateway.api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        access_log=False,
        server_header=False,
        # A worker starting on a busy machine (imports, schema, policy) can take longer than uvicorn's
        # 5 s default to answer its supervisor, which then kills and restarts it, in a loop.
        timeout_worker_healthcheck=30,
    )
