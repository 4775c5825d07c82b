"""``credit-gateway check FILE --matter … --url … --token …``: an office's spreadsheet of applicants or
bidders checked through a gateway's ``creditChecks`` (信用核查全覆盖), one result line per row.

The command is a client of the API, not of the database: the checks run under the caller's token,
with the same policy, consent rules and audit events as any partner's request. Rows go in chunks
that fit the gateway's body limit; each chunk's results are appended to ``--out`` before the next is
sent, so an interrupted run (a refused request, a dropped connection) is completed by running the
same command again: rows already in ``--out`` are skipped (``gateway.commands.check_files``).

Exit codes: 0 every row checked, 1 every row answered but some with an error code (NOT_FOUND,
PERSON_UNAVAILABLE, …), 2 the run stopped (unreadable file, a request refused); run again to resume.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from gateway.commands import check_files
from gateway.commands.common import console
from gateway.domain import CheckMatter, ConsentPurpose
from gateway.errors import GatewayError

QUERY = """
query BulkCreditCheck($subjects: [BulkCheckSubject!]!, $matter: CheckMatter!, $purpose: ConsentPurpose) {
  creditChecks(subjects: $subjects, matter: $matter, purpose: $purpose) {
    index errorCode
    check { blackListed redListed threeYearsClean restrictions { code } facilitation { code } }
  }
}"""
# Variables per request: under the gateway's default body limit (64 KiB) with the query beside them.
DEFAULT_REQUEST_BYTES = 56 * 1024
TIMEOUT_SECONDS = 120


class RequestFailed(Exception):
    """The gateway refused a chunk (``code`` is its error code) or could not be reached (no code)."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or "UNREACHABLE"


def post(url: str, token: str, variables: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``creditChecks`` rows of one request, or RequestFailed with the gateway's code."""
    body = json.dumps({"query": QUERY, "variables": variables}, ensure_ascii=False).encode()
    request = urllib.request.Request(  # noqa: S310 (the operator names the gateway's URL)
        url.rstrip("/") + "/graphql",
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Authorization": f"Bearer {token}",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            answer = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        answer = _json_or_none(exc.read())
        if answer is None:
            raise RequestFailed(f"HTTP {exc.code} from the gateway") from None
    except (urllib.error.URLError, OSError) as exc:
        raise RequestFailed(f"cannot reach the gateway: {exc}") from None
    rows = (answer.get("data") or {}).get("creditChecks")
    if rows is None:
        errors = answer.get("errors") or [{}]
        code = (errors[0].get("extensions") or {}).get("code")
        raise RequestFailed(str(errors[0].get("message", "no answer")), code)
    return list(rows)


def _json_or_none(raw: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def check(
    file: Annotated[
        Path, typer.Argument(help="CSV with credit_code and/or id_number columns (and consent).")
    ],
    matter: Annotated[CheckMatter, typer.Option(help="What the office decides.", case_sensitive=False)],
    url: Annotated[str, typer.Option(help="The gateway's base URL.", envvar="GATEWAY_URL")],
    token: Annotated[
        str, typer.Option(help="The partner's bearer token (better: GATEWAY_TOKEN).", envvar="GATEWAY_TOKEN")
    ],
    out: Annotated[
        Path | None,
        typer.Option(help="Result CSV; rows it already holds are skipped. Default: FILE.checked.csv"),
    ] = None,
    purpose: Annotated[
        ConsentPurpose | None,
        typer.Option(
            help="The purpose persons consented to (needed when the file names persons).",
            case_sensitive=False,
        ),
    ] = None,
    chunk: Annotated[int, typer.Option(min=1, max=10_000, help="Most rows per request.")] = 500,
    request_bytes: Annotated[
        int, typer.Option(min=1024, help="About how many bytes of subjects per request (the body limit).")
    ] = DEFAULT_REQUEST_BYTES,
) -> None:
    """Check every row of FILE for MATTER and write one result line per row to OUT."""
    target = out or file.with_name(file.stem + ".checked.csv")
    try:
        subjects = check_files.read_subjects(file)
        done = check_files.rows_done(target)
    except (OSError, UnicodeDecodeError, GatewayError) as exc:
        console.print(f"[red]error[/red]: {getattr(exc, 'message', exc)}", highlight=False)
        raise typer.Exit(2) from None
    todo = [s for s in subjects if s.row not in done]
    refused = 0
    handle, writer = check_files.open_output(target)
    try:
        with _progress() as progress:
            task = progress.add_task("checking", total=len(subjects), completed=len(subjects) - len(todo))
            for run in check_files.chunks(todo, max_rows=chunk, max_bytes=request_bytes):
                variables: dict[str, Any] = {"subjects": [s.variable() for s in run], "matter": matter.value}
                if purpose is not None:
                    variables["purpose"] = purpose.value
                answers = post(url, token, variables)
                for subject, answer in zip(run, answers, strict=True):
                    line = check_files.result_line(subject, answer)
                    refused += bool(line.get("error_code"))
                    writer.writerow(line)
                handle.flush()
                progress.advance(task, len(run))
    except RequestFailed as exc:
        console.print(f"[red]error[/red] [{exc.code}]: {exc.message}; run again to resume", highlight=False)
        raise typer.Exit(2) from None
    finally:
        handle.close()
    console.print(
        f"{len(todo)} rows checked ({len(done)} already in {target.name}), {refused} refused", highlight=False
    )
    raise typer.Exit(1 if refused else 0)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
