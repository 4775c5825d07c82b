"""``credit-gateway audit``: verify the log, sign and export tree heads, export events, prune.

Long runs (verify, export, prune) stream the log and show a progress bar on stderr; results go to
stdout or to the named file. Exit codes: 0 done, 1 a problem found or refused, 2 bad usage.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import Engine, select

from gateway import jwks
from gateway.audit import prune as pruning
from gateway.audit.heads import HeadSigner, TreeHead, audit_public_keys
from gateway.audit.models import STATE_ID, AuditHead, AuditState
from gateway.audit.store import AuditLog, HeadSchedule, head_of
from gateway.audit.verify import verify_log
from gateway.commands.common import console, settings, user_errors
from gateway.db import make_engine
from gateway.errors import GatewayError
from gateway.keyring import SigningPurpose, load_keyring
from gateway.settings import Settings

app = typer.Typer(help="The tamper-evident audit log (docs/audit.md).", no_args_is_help=True)

HEADS_FORMAT = "credit-gateway/audit-heads/1"


class AuditVerificationFailed(GatewayError):
    code = "AUDIT_VERIFICATION_FAILED"


@contextmanager
def _engine(cfg: Settings) -> Iterator[Engine]:
    engine = make_engine(cfg.database_url)
    try:
        yield engine
    finally:
        engine.dispose()


def progress_bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


def read_heads_file(path: Path) -> list[TreeHead]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        return [TreeHead.from_json(h) for h in doc["heads"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise GatewayError(f"{path} is not a heads file written by 'audit export-heads': {exc}") from None


@app.command("verify")
def verify(
    heads: Annotated[
        Path | None,
        typer.Option("--heads", help="Also check heads kept outside the gateway (an export-heads file)."),
    ] = None,
) -> None:
    """Recompute the tree from every event and check every signed head; name the first bad index."""
    cfg = settings()
    with user_errors(), _engine(cfg) as engine:
        keys = audit_public_keys(load_keyring(cfg.keyring_path))
        external = read_heads_file(heads) if heads is not None else []
        with engine.connect() as conn:
            total = conn.execute(select(AuditState.size).where(AuditState.id == STATE_ID)).scalar() or 0
            with progress_bar() as bar:
                task = bar.add_task("verifying events", total=int(total))
                report = verify_log(
                    conn, keys, external_heads=external, progress=lambda n: bar.update(task, completed=n)
                )
        if report.finding is not None:
            finding = report.finding
            where = f"first bad index {finding.index}" if finding.index is not None else "a signed head"
            typer.echo(f"FAILED {where} ({finding.problem}): {finding.message}")
            raise AuditVerificationFailed(f"{where}: {finding.problem}")
        typer.echo(
            f"OK {report.events} events verified (indexes {report.start} to {report.size - 1}), "
            f"{report.heads} signed heads checked"
        )


@app.command("sign-head")
def sign_head() -> None:
    """Sign a tree head over the log as it is now and print it (JSON)."""
    cfg = settings()
    with user_errors(), _engine(cfg) as engine:
        audit_log = AuditLog(HeadSigner(load_keyring(cfg.keyring_path)), HeadSchedule(), clock=_now)
        with engine.begin() as conn:
            head = audit_log.sign_head(conn)
    typer.echo(json.dumps(head.to_json(), indent=2))


@app.command("export-heads")
def export_heads(file: Annotated[Path, typer.Argument(help="Where to write the heads (JSON).")]) -> None:
    """Write every signed head and the audit public keys (JWKS) for a party outside the gateway."""
    cfg = settings()
    with user_errors(), _engine(cfg) as engine:
        keyring = load_keyring(cfg.keyring_path)
        count = 0
        with engine.connect() as conn, file.open("w", encoding="utf-8") as out:
            opening = {
                "format": HEADS_FORMAT,
                "log": cfg.issuer_id,
                "keys": jwks.public_jwks(keyring, SigningPurpose.AUDIT),
            }
            out.write(json.dumps(opening)[:-1] + ', "heads": [\n')
            for row in conn.execute(select(AuditHead).order_by(AuditHead.id)).yield_per(1_000):
                out.write((",\n" if count else "") + json.dumps(head_of(row).to_json()))
                count += 1
            out.write("\n]}\n")
    console.print(f"wrote {count} signed heads to {file}", highlight=False)


def _now() -> datetime:
    return datetime.now(UTC)


@app.command("prune")
def prune(
    before: Annotated[
        str, typer.Option("--before", help="Remove events before this day (YYYY-MM-DD, China Standard Time).")
    ],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Remove events older than the cutoff, only behind a signed head, keeping a checkpoint that
    verification and proofs start from (docs/audit.md, "Retention"). Resumes an interrupted prune."""
    try:
        cutoff = date.fromisoformat(before)
    except ValueError:
        raise typer.BadParameter(f"not a date YYYY-MM-DD: {before!r}", param_hint="--before") from None
    cfg = settings()
    with user_errors(), _engine(cfg) as engine:
        now = _now()
        with engine.connect() as conn:
            chosen = pruning.plan(conn, cutoff=cutoff, now=now, years=cfg.audit.retention_years)
        size = chosen.checkpoint
        if size <= chosen.previous and chosen.leftover == 0:
            pruning.delete_behind(engine, size)  # nodes a prune stopped before removing, if any
            typer.echo(f"OK nothing to prune: the log starts at index {chosen.previous}")
            return
        console.print(
            f"removing the events below index {size} (before {cutoff.isoformat()}, behind signed heads); "
            f"{chosen.leftover} are stored",
            highlight=False,
        )
        if not yes:
            typer.confirm("remove them for good?", abort=True, err=True)
        with engine.begin() as conn:
            pruning.write_checkpoint(conn, chosen, now=now)
        with progress_bar() as bar:
            task = bar.add_task("pruning events", total=chosen.leftover)
            removed = pruning.delete_behind(engine, size, progress=lambda n: bar.update(task, completed=n))
    typer.echo(f"OK {removed} events removed; the log now starts at index {size}")
