"""Reading the log for auditors, below the API: one filter definition for the API and the export,
keyset pages, counts, proofs around a retention checkpoint, and ``credit-gateway audit export``."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, insert, select

from gateway.audit import proofs, queries
from gateway.audit.events import RequestOutcome
from gateway.audit.export import CSV_COLUMNS
from gateway.audit.filters import EventFilter, SubjectMatch, decode_cursor, encode_cursor
from gateway.audit.merkle import Frontier, verify_consistency, verify_inclusion
from gateway.audit.models import AuditEvent, AuditEventKey, AuditPrune
from gateway.audit.pseudonyms import Pseudonyms
from gateway.errors import AuditProofUnavailable, InvalidInput
from gateway.keys.crypto import FieldCipher
from gateway.keys.keyring import Keyring
from tests.audit_review_helpers import CST_MORNING, append, event, minutes, person
from tests.cli import run_cli
from tests.helpers import id_number

MARKET = "11371700000001234X"


@pytest.fixture
def log(engine: Engine, keyring: Keyring) -> Engine:
    """40 events: two partners and the public, a third refused, persons named by some."""
    documents = []
    for n in range(40):
        caller, org = [("bank", "91370000999999100Q"), ("market", MARKET), ("anonymous", None)][n % 3]
        refused = n % 3 == 1
        documents.append(
            event(CST_MORNING + minutes(n), caller=caller, org=org, role="public" if org is None else "partner",
                  persons=[n % 5] if org else [], outcome=RequestOutcome.REFUSED if refused else RequestOutcome.ANSWERED,
                  errors=["PERSON_UNAVAILABLE"] if refused else [], root="person" if org else "organization",
                  operation_name=f"op{n % 2}")
        )  # fmt: skip
    for start in range(0, 40, 7):
        append(engine, keyring, documents[start : start + 7])
    return engine


def seqs(engine: Engine, f: EventFilter) -> list[int]:
    with engine.connect() as conn:
        return [e.seq for e in queries.stream(conn, f, chunk=3)]


def bodies(engine: Engine) -> list[dict[str, object]]:
    with engine.connect() as conn:
        return [e.document for e in queries.stream(conn, EventFilter())]


@pytest.mark.parametrize(
    ("f", "pred"),
    [
        (EventFilter(caller_id="bank"), lambda d: d["caller_id"] == "bank"),
        (EventFilter(organization=MARKET.lower()), lambda d: d["organization"] == MARKET),
        (EventFilter(role="PUBLIC"), lambda d: d["role"] == "public"),
        (EventFilter(outcome=RequestOutcome.REFUSED), lambda d: d["outcome"] == "REFUSED"),
        (EventFilter(operation="organization"), lambda d: d["root_fields"] == ["organization"]),
        (EventFilter(operation_name="op1"), lambda d: d["operation_name"] == "op1"),
        (EventFilter(error_code="PERSON_UNAVAILABLE"), lambda d: d["errors"] == ["PERSON_UNAVAILABLE"]),
        (EventFilter(subject=SubjectMatch(person(2), None)), lambda d: person(2) in d["pseudonyms"]),
        (EventFilter(start=CST_MORNING + minutes(10), end=CST_MORNING + minutes(20)),
         lambda d: 10 <= d["seq"] < 20),
        (EventFilter(caller_id="bank", outcome=RequestOutcome.ANSWERED, start=CST_MORNING + minutes(30)),
         lambda d: d["caller_id"] == "bank" and d["seq"] >= 30),
    ],
)  # fmt: skip
def test_each_filter_narrows_to_exactly_its_events(log: Engine, f: EventFilter, pred: object) -> None:
    expected = [d["seq"] for d in bodies(log) if pred(d)]  # type: ignore[operator]
    assert expected and seqs(log, f) == expected
    with log.connect() as conn:
        assert queries.count(conn, f) == len(expected)


def test_pages_walk_every_event_once_in_order(log: Engine) -> None:
    seen: list[int] = []
    after = None
    with log.connect() as conn:
        while True:
            page = queries.page(conn, EventFilter(), first=6, after=after)
            seen.extend(e.seq for e in page.events)
            if not page.has_next:
                break
            after = decode_cursor(encode_cursor(page.end))  # type: ignore[arg-type]
    assert seen == list(range(40))


@pytest.mark.parametrize("cursor", ["", "seq:1", "c2VxOjAx", "c2VxOi0x", "!!!", "\u00e9"])
def test_a_cursor_not_handed_out_is_invalid_input(cursor: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        decode_cursor(cursor)
    assert raised.value.field == "after"


def test_a_time_range_that_ends_before_it_starts_is_invalid_input() -> None:
    with pytest.raises(InvalidInput):
        EventFilter(start=CST_MORNING, end=CST_MORNING)
    naive = CST_MORNING.replace(tzinfo=None)  # taken as UTC, comparable with an aware bound
    with pytest.raises(InvalidInput):
        EventFilter(start=naive, end=CST_MORNING)
    assert EventFilter(start=naive).start == CST_MORNING


def test_stats_count_per_outcome_caller_and_organisation(log: Engine) -> None:
    with log.connect() as conn:
        stats = queries.stats(conn, EventFilter())
    assert (stats.events, stats.refusals, stats.persons) == (40, 13, 5)
    assert stats.outcomes == {"ANSWERED": 27, "REFUSED": 13}
    by_caller = {c.caller_id: (c.events, c.refusals, c.persons) for c in stats.callers}
    assert by_caller == {"bank": (14, 0, 5), "market": (13, 13, 5), "anonymous": (13, 0, 0)}
    by_org = {o.organization: (o.events, o.refusals, o.persons) for o in stats.organizations}
    assert by_org == {"91370000999999100Q": (14, 0, 5), MARKET: (13, 13, 5), None: (13, 0, 0)}
    with log.connect() as conn:
        window = queries.stats(conn, EventFilter(start=CST_MORNING, end=CST_MORNING + minutes(3)))
    assert (window.events, window.refusals, window.persons) == (3, 1, 2)


def test_stats_count_per_purpose_and_utc_hour_within_the_range(engine: Engine, keyring: Keyring) -> None:
    """Hours are UTC clock hours, grouped in the database: an event a microsecond before the hour is
    in the hour before, one on the hour in its own; PostgreSQL's session time zone changes nothing."""
    at = [
        (minutes(0), "FINANCIAL_SERVICE", RequestOutcome.ANSWERED),  # before the range
        (
            minutes(59) + timedelta(seconds=59, microseconds=999_999),
            "FINANCIAL_SERVICE",
            RequestOutcome.ANSWERED,
        ),
        (minutes(60), "FINANCIAL_SERVICE", RequestOutcome.REFUSED),
        (minutes(61), None, RequestOutcome.ANSWERED),
        (minutes(185), "ADMINISTRATIVE_LICENSING", RequestOutcome.REFUSED),
        (minutes(186), "FINANCIAL_SERVICE", RequestOutcome.ANSWERED),
        (timedelta(days=1), "ADMINISTRATIVE_LICENSING", RequestOutcome.ANSWERED),  # the range's end: out
    ]
    append(engine, keyring, [event(CST_MORNING + d, purpose=p, outcome=o) for d, p, o in at])
    window = EventFilter(start=CST_MORNING + minutes(59), end=CST_MORNING + timedelta(days=1))
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET TIME ZONE 'Asia/Shanghai'")
        stats = queries.stats(conn, window)
    assert [(p.purpose, p.events, p.refusals) for p in stats.purposes] == [
        ("FINANCIAL_SERVICE", 3, 1), ("ADMINISTRATIVE_LICENSING", 1, 1), (None, 1, 0),
    ]  # fmt: skip
    hour = CST_MORNING  # 02:00 UTC
    assert [(h.hour, h.events, h.refusals) for h in stats.hours] == [
        (hour, 1, 0), (hour + minutes(60), 2, 1), (hour + minutes(180), 2, 1),
    ]  # fmt: skip
    assert all(h.hour.tzinfo is UTC for h in stats.hours)
    assert sum(p.events for p in stats.purposes) == sum(h.events for h in stats.hours) == stats.events == 5


def prune_below(engine: Engine, size: int) -> None:
    """What a retention run leaves: the frontier at ``size`` as checkpoint, the events below gone."""
    with engine.begin() as conn:
        leaves = [bytes(h) for h in conn.execute(
            select(AuditEvent.leaf_hash).where(AuditEvent.seq < size).order_by(AuditEvent.seq)).scalars()]  # fmt: skip
        frontier = Frontier()
        for leaf in leaves:
            frontier.append(leaf)
        conn.execute(insert(AuditPrune).values(tree_size=size, frontier=frontier.to_bytes(), cutoff=CST_MORNING,
                                               pruned_at=datetime.now(UTC)))  # fmt: skip
        conn.execute(delete(AuditEventKey).where(AuditEventKey.seq < size))
        conn.execute(delete(AuditEvent).where(AuditEvent.seq < size))


def test_proofs_verify_and_pruned_events_have_none(log: Engine) -> None:
    with log.begin() as conn:
        whole = proofs.consistency(conn, 16, 40)
        before = proofs.inclusion(conn, 3, 40)
    prune_below(log, 16)
    with log.begin() as conn:
        for seq in (16, 17, 39):
            proof = proofs.inclusion(conn, seq, 40)
            assert verify_inclusion(seq, 40, proof.leaf_hash, proof.path, proof.root_hash)
            assert proof.root_hash == whole.second_root
        after = proofs.consistency(conn, 16, 40)
        assert after == whole
        assert verify_consistency(16, 40, after.first_root, after.second_root, after.path)
        for ask in (lambda: proofs.inclusion(conn, 3, 40), lambda: proofs.consistency(conn, 8, 40)):
            with pytest.raises(AuditProofUnavailable):
                ask()
        status = proofs.status(conn, {})
    assert before.root_hash == whole.second_root
    assert status.tree_size == 40 and status.head_signature_valid is False  # no keys given: not verified


def test_export_jsonl_lines_hash_to_the_stored_leaves(log: Engine, keyring_path: Path, migrated_url: str,
                                                      tmp_path: Path) -> None:  # fmt: skip
    out = tmp_path / "events.jsonl"
    done = run_cli("audit", "export", "--format", "jsonl", "--caller", "bank", "--output", str(out),
                   keyring=keyring_path, database_url=migrated_url)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "exported 14 events" in done.stderr
    with log.connect() as conn:
        stored = {
            int(r.seq): bytes(r.leaf_hash) for r in conn.execute(select(AuditEvent.seq, AuditEvent.leaf_hash))
        }
    lines = out.read_bytes().splitlines()
    assert len(lines) == 14
    for line in lines:
        assert hashlib.sha256(b"\x00" + line).digest() == stored[json.loads(line)["seq"]]
    assert not list(tmp_path.glob(".events.jsonl.*"))  # the temporary file was renamed
    again = run_cli("audit", "export", "--caller", "bank", "--output", str(out), keyring=keyring_path,
                    database_url=migrated_url)  # fmt: skip
    assert again.returncode == 0 and out.read_bytes().splitlines() == lines


def test_export_csv_has_the_header_and_a_row_per_event(
    log: Engine, keyring_path: Path, migrated_url: str
) -> None:
    done = run_cli("audit", "export", "--format", "csv", "--outcome", "refused", "--from", "2026-03-11T10:00+08:00",
                   "--to", "2026-03-11T02:10:00", keyring=keyring_path, database_url=migrated_url)  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = list(csv.reader(io.StringIO(done.stdout)))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [int(r[0]) for r in rows[1:]] == [1, 4, 7]
    assert {r[CSV_COLUMNS.index("outcome")] for r in rows[1:]} == {"REFUSED"}


def test_export_by_subject_identity_number_finds_the_pseudonym(
    engine: Engine, keyring: Keyring, keyring_path: Path, migrated_url: str
) -> None:
    number = id_number(seq=77)
    pseudonym = Pseudonyms(FieldCipher(keyring), keyring.pseudonym_key).id_number(number)
    documents = [event(CST_MORNING), event(CST_MORNING + minutes(1)), event(CST_MORNING + minutes(2))]
    documents[1]["pseudonyms"] = [pseudonym]
    append(engine, keyring, documents)
    done = run_cli(
        "audit", "export", "--subject-id-number", number, keyring=keyring_path, database_url=migrated_url
    )
    assert done.returncode == 0, done.stderr
    assert [json.loads(line)["seq"] for line in done.stdout.splitlines()] == [1]
    assert number not in done.stdout


def test_export_to_a_missing_directory_fails_with_a_message(
    engine: Engine, keyring_path: Path, migrated_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "missing" / "events.jsonl"
    done = run_cli("audit", "export", "--output", str(out), keyring=keyring_path, database_url=migrated_url)
    assert done.returncode == 1 and "cannot write beside" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["--subject-id-number", "110101199001011234"],
        ["--format", "xml"],
        ["--outcome", "MAYBE"],
        ["--from", "yesterday"],
        ["--from", "2026-03-12", "--to", "2026-03-11"],
    ],
)
def test_export_refuses_bad_arguments_with_usage_status(
    engine: Engine, keyring_path: Path, migrated_url: str, args: list[str]
) -> None:
    done = run_cli("audit", "export", *args, keyring=keyring_path, database_url=migrated_url)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
