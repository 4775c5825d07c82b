"""``credit-gateway report verify FILE [--jwks FILE]``: check a credit report offline; ``report pdf``
renders one that verifies (``gateway.reports.pdf``).

Needs no database and no network: the report file and a JWKS (``/keys/reports.jwks`` saved to a
file, or, without ``--jwks``, the report keys of this installation's keyring). Prints what the report
says, each section disclosed, not disclosed or withheld; a report that does not verify exits 1 with
``error [CODE]: message`` (REPORT_MALFORMED, REPORT_KEY_UNKNOWN, REPORT_SIGNATURE_INVALID,
REPORT_EXPIRED: docs/errors.md).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from joserfc.jwk import OKPKey

from gateway.clock import utcnow
from gateway.commands.common import settings, user_errors
from gateway.errors import ConfigurationError, ReportMalformed
from gateway.keys import jwks
from gateway.keys.keyring import SigningPurpose, load_keyring
from gateway.reports.verification import MAX_REPORT_BYTES, VerifiedReport, verify_report

app = typer.Typer(help="Credit reports: offline verification.", no_args_is_help=True)


def report_text(path: Path) -> str:
    """The compact JWS in ``path``: the file is the JWS itself, or a JSON object with a ``jws``."""
    try:
        raw = path.read_bytes()[: MAX_REPORT_BYTES + 1]
        text = raw.decode("utf-8").strip()
    except OSError as exc:
        raise ReportMalformed(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ReportMalformed(f"{path} is not UTF-8 text") from None
    if text.startswith("{"):
        try:
            holder = json.loads(text)
        except ValueError:
            raise ReportMalformed(f"{path} is neither a compact JWS nor JSON with a 'jws'") from None
        token = holder.get("jws") if isinstance(holder, dict) else None
        if not isinstance(token, str):
            raise ReportMalformed(f"{path} holds JSON without a 'jws' string")
        return token
    return text


def verification_keys(path: Path | None) -> dict[str, OKPKey]:
    if path is None:
        return jwks.public_keys(load_keyring(settings().keyring_path), SigningPurpose.REPORT)
    try:
        return jwks.parse_public_jwks(json.loads(path.read_text(encoding="utf-8")))
    except OSError as exc:
        raise ConfigurationError(f"cannot read the JWKS {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise ConfigurationError(f"{path} is not a usable JWKS: {exc}") from None


def _when(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat()


def _show(report: VerifiedReport) -> None:
    doc = report.document
    requester = doc["requester"]
    who = (
        "the subject itself"
        if requester.get("self")
        else f"{requester.get('role')} {requester.get('organization')}"
    )
    typer.echo(f"report {report.serial} verifies (key {report.kid})")
    typer.echo(f"issued {_when(doc['iat'])}, valid until {_when(doc['exp'])}")
    typer.echo(f"purpose {doc['purpose']}, requested by {who}")
    typer.echo(f"subject {doc['subject']['kind']} {doc['subject']['id']}")
    for section, state in report.section_states():
        typer.echo(f"  {section}: {state}")
    for name in doc["withheld"]:
        typer.echo(f"  withheld by policy: {name}")


def verify(
    file: Annotated[Path, typer.Argument(help="The report: its compact JWS, or JSON with a 'jws'.")],
    jwks_file: Annotated[
        Path | None,
        typer.Option("--jwks", help="JWKS to verify with (/keys/reports.jwks); default: the keyring's."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the verified document as JSON.")] = False,
) -> None:
    """Verify a credit report offline: signature, key, format and validity period."""
    with user_errors():
        report = verify_report(report_text(file), verification_keys(jwks_file), now=utcnow())
    if as_json:
        typer.echo(json.dumps(report.document, ensure_ascii=False, indent=2, sort_keys=True))
    else:
        _show(report)


def pdf(
    file: Annotated[Path, typer.Argument(help="The report: its compact JWS, or JSON with a 'jws'.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The PDF to write (not overwritten).")],
    jwks_file: Annotated[
        Path | None,
        typer.Option("--jwks", help="JWKS to verify with (/keys/reports.jwks); default: the keyring's."),
    ] = None,
) -> None:
    """Render a report as a PDF (Chinese text, the signed report attached, a QR code of serial and
    payload hash), after verifying it: a report that does not verify is never rendered."""
    from gateway.reports.pdf import render_pdf  # fpdf2 loads only for this command

    with user_errors():
        token = report_text(file)
        report = verify_report(token, verification_keys(jwks_file), now=utcnow())
        rendered = render_pdf(report, token=token)
        try:
            with output.open("xb") as fh:
                fh.write(rendered)
        except FileExistsError:
            raise ConfigurationError(f"{output} exists; refusing to overwrite it") from None
    typer.echo(f"wrote {output} (report {report.serial})")


app.command("verify")(verify)
app.command("pdf")(pdf)
