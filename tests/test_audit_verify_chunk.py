"""The page-at-once fast path of ``audit verify`` (``check_chunk``) passes a page only when every
per-event check would: each way an event can be refused makes it answer None, so the per-event
checks run and name the index."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from gateway.audit.canonical import canonical_bytes
from gateway.audit.events import CallerFacts, RequestOutcome, draft_document, project
from gateway.audit.merkle import leaf_hash
from gateway.audit.verify_chunk import EVENT_COLUMNS, check_chunk

START = datetime(2026, 3, 12, 1, 0, tzinfo=UTC)
Row = dict[str, Any]


def event(n: int, **changes: Any) -> dict[str, Any]:
    document = draft_document(
        time=START + timedelta(minutes=n, microseconds=n),
        request_id=f"{n:016x}",
        batch_index=0,
        batch_size=1,
        caller=CallerFacts(id=f"caller-{n}", role="partner", organization="91370000999999100Q"),
        client="10.0.0.1",
        operation_name="Lookup",
        operation_type="query",
        root_fields=["organization", "person"],
        pseudonyms=[f"{n:064x}"],
        subjects=[f"{n:032x}"],
        outcome=RequestOutcome.REFUSED,
        errors=["FORBIDDEN_OPERATION"],
        http_status=200,
        duration_us=1_000 + n,
    )
    return {**document, "seq": n, **changes}


def stored(document: dict[str, Any]) -> tuple[Row, list[tuple[Any, ...]]]:
    """The row and key rows the writer stores for ``document``."""
    body = canonical_bytes(document)
    projection = project(document)
    row = {"seq": document["seq"], **projection.columns(), "body": body, "leaf_hash": leaf_hash(body)}
    return row, [(document["seq"], kind, value) for kind, value in sorted(projection.keys)]


def page(rows: list[Row], keys: list[tuple[Any, ...]], start: int = 5) -> bytes | None:
    return check_chunk(start, [tuple(r[c] for c in EVENT_COLUMNS) for r in rows], keys)


def a_page() -> tuple[list[Row], list[tuple[Any, ...]]]:
    rows, keys = [], []
    for n in range(5, 9):
        row, row_keys = stored(event(n))
        rows.append(row)
        keys.extend(row_keys)
    return rows, keys


def test_an_untouched_page_gives_its_leaf_hashes() -> None:
    rows, keys = a_page()
    assert page(rows, keys) == b"".join(r["leaf_hash"] for r in rows)
    naive = [{**r, "time": r["time"].replace(tzinfo=None)} for r in rows]  # SQLite gives naive UTC
    assert page(naive, keys) == b"".join(r["leaf_hash"] for r in rows)


BODIES: dict[str, Callable[[bytes], bytes]] = {
    "trailing space": lambda b: b + b" ",
    "leading space": lambda b: b" " + b,
    "byte order mark": lambda b: b"\xef\xbb\xbf" + b,
    "space after a colon": lambda b: b.replace(b'"v":1', b'"v": 1'),
    "keys out of order": lambda b: b.replace(b'{"agency_kind":null,', b"{").replace(b'"v":1', b'"v":1,"agency_kind":null'),
    "duplicate key": lambda b: b.replace(b'"v":1', b'"v":1,"v":1'),
    "float": lambda b: b.replace(b'"v":1', b'"v":1.0'),
    "exponent": lambda b: b.replace(b'"v":1', b'"v":1e0'),
    "NaN": lambda b: b.replace(b'"variables":null', b'"variables":NaN'),
    "minus zero": lambda b: b.replace(b'"batch_index":0', b'"batch_index":-0'),
    "escaped letter": lambda b: b.replace(b'"client":"10', b'"client":"\\u0031\\u0030'),
    "escaped solidus": lambda b: b.replace(b'"variables":null', b'"variables":"\\/"'),
    "lone surrogate": lambda b: b.replace(b'"variables":null', b'"variables":"\\ud800"'),
    "escaped pair": lambda b: b.replace(b'"variables":null', b'"variables":"\\ud83d\\ude00"'),
    "raw control character": lambda b: b.replace(b'"variables":null', b'"variables":"\x01"'),
    "invalid UTF-8": lambda b: b.replace(b'"variables":null', b'"variables":"\xff"'),
    "two documents": lambda b: b + b,
    "an array": lambda b: b"[" + b + b"]",
    "text": lambda b: b"not json",
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(BODIES))
def test_bytes_that_are_not_canonical_fail_the_page(name: str) -> None:
    rows, keys = a_page()
    body = BODIES[name](rows[2]["body"])
    assert body != rows[2]["body"]
    rows[2] = {**rows[2], "body": body, "leaf_hash": leaf_hash(body)}  # a forger who fixes the hash too
    assert page(rows, keys) is None


def _with(rows: list[Row], index: int, **changes: Any) -> list[Row]:
    return [*rows[:index], {**rows[index], **changes}, *rows[index + 1 :]]


def _document(rows: list[Row], index: int, **changes: Any) -> list[Row]:
    """Event ``index`` rewritten (canonically, with its leaf hash), its row and keys left."""
    body = canonical_bytes({**event(rows[index]["seq"]), **changes})
    return _with(rows, index, body=body, leaf_hash=leaf_hash(body))


ROWS: dict[str, Callable[[list[Row]], list[Row]]] = {
    "missing event": lambda rows: [*rows[:1], *rows[2:]],
    "stored seq": lambda rows: _with(rows, 1, seq=99),
    "seq in the event": lambda rows: _document(rows, 1, seq=7),
    "seq as text": lambda rows: _document(rows, 1, seq="6"),
    "leaf hash": lambda rows: _with(rows, 3, leaf_hash=bytes(32)),
    "leaf hash as text": lambda rows: _with(rows, 3, leaf_hash=rows[3]["leaf_hash"].hex()),
    "body as text": lambda rows: _with(rows, 3, body=rows[3]["body"].decode()),
    "time column": lambda rows: _with(rows, 0, time=rows[0]["time"] + timedelta(microseconds=1)),
    "time column in another zone": lambda rows: _with(rows, 0, time=rows[0]["time"].astimezone(UTC).replace(tzinfo=None) + timedelta(hours=1)),
    "time column as text": lambda rows: _with(rows, 0, time=str(rows[0]["time"])),
    "event time without Z": lambda rows: _document(rows, 0, time="2026-03-12T01:05:00.000005"),
    "event time out of range": lambda rows: _document(rows, 0, time="2026-13-12T01:05:00.000005Z"),
    "event time as a number": lambda rows: _document(rows, 0, time=5),
    "no event time": lambda rows: _with(rows, 0, body=(b := canonical_bytes({k: v for k, v in event(5).items() if k != "time"})), leaf_hash=leaf_hash(b)),
    "caller column": lambda rows: _with(rows, 2, caller_id="someone-else"),
    "caller column null": lambda rows: _with(rows, 2, caller_id=None),
    "caller in the event": lambda rows: _document(rows, 2, caller_id="someone-else"),
    "role as a number in both": lambda rows: _with(_document(rows, 2, role=5), 2, role=5),
    "outcome column": lambda rows: _with(rows, 2, outcome="ANSWERED"),
    "outcome null in both": lambda rows: _with(_document(rows, 2, outcome=None), 2, outcome=None),
    "operation name longer than its column in both": lambda rows: _with(_document(rows, 2, operation_name="x" * 201), 2, operation_name="x" * 201),
    "organization longer than its column in both": lambda rows: _with(_document(rows, 2, organization="9" * 19), 2, organization="9" * 19),
    "purpose column": lambda rows: _with(rows, 3, purpose="marketing"),
    "subjects not a list": lambda rows: _document(rows, 3, subjects=5),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(ROWS))
def test_rows_the_event_by_event_checks_refuse_fail_the_page(name: str) -> None:
    rows, keys = a_page()
    assert page(ROWS[name](rows), keys) is None


KEYS: dict[str, Callable[[list[tuple[Any, ...]]], list[tuple[Any, ...]]]] = {
    "a key removed": lambda keys: keys[1:],
    "a key added": lambda keys: [*keys, (6, "code", "INTERNAL_ERROR")],
    "a key moved to another event": lambda keys: [(7, *keys[0][1:]), *keys[1:]],
    "a key's value": lambda keys: [(*keys[0][:2], "x"), *keys[1:]],
    "a key's kind": lambda keys: [(keys[0][0], "nonsense", keys[0][2]), *keys[1:]],
    "a key's value as bytes": lambda keys: [(*keys[0][:2], keys[0][2].encode()), *keys[1:]],
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(KEYS))
def test_keys_the_event_by_event_checks_refuse_fail_the_page(name: str) -> None:
    rows, keys = a_page()
    assert page(rows, KEYS[name](keys)) is None


def test_a_key_longer_than_its_column_fails_the_page_even_when_stored_whole() -> None:
    rows, keys = a_page()
    long = "s" * 121
    rows = _document(rows, 0, subjects=[long])
    keys = [k for k in keys if not (k[0] == 5 and k[1] == "subject")] + [(5, "subject", long)]
    assert page(rows, keys) is None


def test_time_read_as_text_passes_only_in_the_form_sqlalchemy_writes_on_sqlite() -> None:
    rows, keys = a_page()
    as_text = [{**r, "time": r["time"].strftime("%Y-%m-%d %H:%M:%S.%f")} for r in rows]
    assert page(as_text, keys) == b"".join(r["leaf_hash"] for r in rows)
    written = as_text[1]["time"]
    for other in (
        written.replace(" ", "T"),
        written + "+00:00",
        written[:19],
        written[:-1] + "7",
        written + " ",
    ):
        assert page(_with(as_text, 1, time=other), keys) is None
