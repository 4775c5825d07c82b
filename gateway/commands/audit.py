"""``credit-gateway audit``: verify the log, sign and export tree heads, export events, prune.

Long runs (verify, export, prune) stream the log and show a progress bar on stderr; results go to
stdout or to the named file. Exit codes: 0 done, 1 a problem found or refused, 2 bad usage.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import IO, Annotated, TypeVar

import typer
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gateway.access import consent_uses
from gateway.audit import prune as pruning
from gateway.audit import queries
from gateway.audit.changes import ChangeKind, EventClass
from gateway.audit.events import RequestOutcome
from gateway.audit.export import ExportFormat, write_events
from gateway.audit.filters import EventFilter, resolve_subject, utc
from gateway.audit.heads import HeadSigner, TreeHead, audit_public_keys
from gateway.audit.models import STATE_ID, AuditHead, AuditState
from gateway.audit.pseudonyms import Pseudonyms
from gateway.audit.store import AuditLog, HeadSchedule, head_of
from gateway.audit.verify import default_workers, verify_log
from gateway.clock import utcnow
from gateway.commands.common import console, progress_bar, settings, user_errors
from gateway.errors import GatewayError, InvalidInput
from gateway.keys import jwks
from gateway.keys.crypto import FieldCipher
from gateway.keys.keyring import SigningPurpose, load_keyring
from gateway.settings import Settings
from gateway.store.db import make_engine

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
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=1,
            help="Worker processes checking events (default: one per CPU, at most 8; 1: none).",
        ),
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
                    conn,
                    keys,
                    external_heads=external,
                    progress=lambda n: bar.update(task, completed=n),
                    workers=workers or default_workers(),
                )
            uses = consent_uses.check(
                conn,
                now=utcnow(),
                grace=timedelta(seconds=cfg.consent_use_grace_seconds),
                first_seq=report.start,
            )
        if report.finding is not None:
            finding = report.finding
            where = f"first bad index {finding.index}" if finding.index is not None else "a signed head"
            typer.echo(f"FAILED {where} ({finding.problem}): {finding.message}")
            raise AuditVerificationFailed(f"{where}: {finding.problem}")
        if not uses.ok:
            typer.echo(f"FAILED consent uses: {uses.problem()}")
            raise AuditVerificationFailed(f"consent uses: {uses.problem()}")
        typer.echo(
            f"OK {report.events} events verified (indexes {report.start} to {report.size - 1}), "
            f"{report.heads} signed heads checked, {uses.paired} consent uses paired with their events"
            f" ({uses.waiting} waiting for theirs)"
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


def _instant(name: str, raw: str | None) -> datetime | None:
    """An ISO 8601 date or date and time; without an offset it is UTC."""
    if raw is None:
        return None
    try:
        return utc(datetime.fromisoformat(raw.strip()))
    except ValueError:
        console.print(
            f"[red]error:[/red] {name} must be an ISO 8601 date or time, e.g. 2026-03-12T08:00+08:00"
        )
        raise typer.Exit(2) from None


def _outcome(raw: str | None) -> RequestOutcome | None:
    if raw is None:
        return None
    try:
        return RequestOutcome(raw.strip().upper())
    except ValueError:
        console.print(f"[red]error:[/red] --outcome is one of {', '.join(o.value for o in RequestOutcome)}")
        raise typer.Exit(2) from None


_Choice = TypeVar("_Choice", EventClass, ChangeKind)


def _choice(option: str, raw: str | None, kind: type[_Choice]) -> _Choice | None:
    """An enumerated option by its value or name, case-insensitively; anything else exits 2."""
    if raw is None:
        return None
    wanted = raw.strip()
    for member in kind:
        if wanted.lower() in (member.value.lower(), member.name.lower()):
            return member
    console.print(f"[red]error:[/red] {option} is one of {', '.join(m.value for m in kind)}")
    raise typer.Exit(2)


@app.command("export")
def export(
    fmt: Annotated[ExportFormat, typer.Option("--format", help="jsonl: the canonical event bytes, one per line; csv: the columns.")] = ExportFormat.JSONL,
    caller: Annotated[str | None, typer.Option("--caller", help="Caller id.")] = None,
    organization: Annotated[str | None, typer.Option("--organization", help="The caller's organisation (credit code).")] = None,
    role: Annotated[str | None, typer.Option("--role", help="The caller's role.")] = None,
    subject_id_number: Annotated[str | None, typer.Option("--subject-id-number", help="Events about this person (matched by pseudonym).")] = None,
    outcome: Annotated[str | None, typer.Option("--outcome", help="ANSWERED, PARTIAL, REFUSED or FAILED.")] = None,
    operation: Annotated[str | None, typer.Option("--operation", help="A root field: person, organization, ...")] = None,
    operation_name: Annotated[str | None, typer.Option("--operation-name", help="The client's operation name.")] = None,
    error_code: Annotated[str | None, typer.Option("--error-code", help="An error code the event carries.")] = None,
    event_class: Annotated[str | None, typer.Option("--class", help="REQUEST (queries, mutations and refusals as asked) or CHANGE (what changed in the store, and who changed it).")] = None,
    change: Annotated[str | None, typer.Option("--change", help="One kind of change event: records.submitted, list.listed, import.file, ...")] = None,
    start: Annotated[str | None, typer.Option("--from", help="From this time (inclusive), ISO 8601; UTC without an offset.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Before this time (exclusive), ISO 8601.")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here (replaced whole, only when done); default stdout.")] = None,
) -> None:  # fmt: skip
    """Export the events a filter selects, oldest first, as JSON Lines or CSV (docs/audit.md)."""
    cfg = settings()
    begin, finish, wanted = _instant("--from", start), _instant("--to", end), _outcome(outcome)
    wanted_class = _choice("--class", event_class, EventClass)
    wanted_change = _choice("--change", change, ChangeKind)
    with user_errors(), _engine(cfg) as engine:
        subject = None
        try:
            if subject_id_number is not None:
                keyring = load_keyring(cfg.keyring_path)
                cipher = FieldCipher(keyring)
                with Session(engine) as session:
                    subject = resolve_subject(
                        session,
                        cipher,
                        Pseudonyms(cipher, keyring.pseudonym_key),
                        subject_id_number,
                        field="--subject-id-number",
                    )
            chosen = EventFilter(
                caller_id=caller,
                organization=organization,
                role=role,
                outcome=wanted,
                operation=operation,
                operation_name=operation_name,
                error_code=error_code,
                subject=subject,
                start=begin,
                end=finish,
                event_class=wanted_class,
                change=wanted_change,
            )
        except InvalidInput as exc:
            console.print(f"[red]error:[/red] {exc.message}", highlight=False)
            raise typer.Exit(2) from None
        with engine.connect() as conn, _sink(output) as out, progress_bar() as bar:
            task = bar.add_task("exporting events", total=queries.count(conn, chosen))
            written = write_events(queries.stream(conn, chosen), out, fmt, lambda: bar.advance(task))
    console.print(f"exported {written} events" + (f" to {output}" if output else ""), highlight=False)


@contextmanager
def _sink(output: Path | None) -> Iterator[IO[bytes]]:
    """stdout, or a temporary file beside ``output`` renamed over it once complete: an interrupted
    export never leaves a half-written file under the name asked for."""
    if output is None:
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    try:
        handle = tempfile.NamedTemporaryFile(
            dir=output.parent, prefix=f".{output.name}.", suffix=".partial", delete=False
        )
    except OSError as exc:
        raise GatewayError(f"cannot write beside {output}: {exc.strerror}") from None
    try:
        with handle:
            yield handle
        os.replace(handle.name, output)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


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
