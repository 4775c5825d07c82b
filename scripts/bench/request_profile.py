"""Where the full path's time goes: cProfile of in-process consented person lookups, in every thread.

The gateway runs a request in three threads — the event loop (body, token, response), a worker of the
thread pool (limits, GraphQL execution, the unit of work, the audit document) and the audit writer
(the group commit) — so one profiler is started in each thread (``threading.setprofile`` starts it in
threads created afterwards, armed when the timed part starts) and their statistics are merged. Reported per request: the inclusive
time of the path's landmarks (each includes what it calls, so they overlap) and the functions with
the most time of their own. cProfile slows many small calls more than a few long ones: read the
shares, not the absolute microseconds.
"""

from __future__ import annotations

import asyncio
import cProfile
import io
import pstats
import sys
import threading
from pathlib import Path
from typing import Any

import request_apps
import request_data
import request_load

from gateway.settings import Settings

LANDMARKS = (
    ("request handler, event loop part (Gateway.graphql)", "gateway/api/app.py", "graphql"),
    ("token verification (cached)", "gateway/access/authentication.py", "authenticate"),
    ("operation in the thread pool (Gateway.execute)", "gateway/api/app.py", "execute"),
    ("document limits", "gateway/api/limits.py", "check"),
    ("GraphQL execution (Schema.execute_sync)", "strawberry/schema/schema.py", "execute_sync"),
    ("GraphQL validation (cache miss only)", "graphql/validation/validate.py", "validate"),
    ("consent token signature (Ed25519)", "gateway/access/consent_tokens.py", "verify"),
    ("consent use (conditional UPDATE)", "gateway/access/consent.py", "use"),
    ("blind-index lookup of the person", "gateway/store/reads.py", "find_person_id"),
    ("person row read and decrypted", "gateway/store/reads.py", "persons_by_id"),
    ("AES-GCM decryption (all calls)", "gateway/keys/crypto.py", "decrypt"),
    ("records read", "gateway/store/reads.py", "records_of"),
    ("list entries read", "gateway/store/reads.py", "list_entries_of"),
    ("field guard (policy, masking, field resolver)", "gateway/api/guard.py", "resolve"),
    ("policy decisions (memoised)", "gateway/access/policy.py", "decide"),
    ("masking", "gateway/access/masking.py", "mask"),
    ("unit-of-work commit", "sqlalchemy/orm/session.py", "commit"),
    ("audit event document (redaction, pseudonyms)", "gateway/api/auditing.py", "operation"),
    ("audit event canonical check (submit)", "gateway/audit/committer.py", "submit"),
    ("audit append, writer thread (per request)", "gateway/audit/committer.py", "_commit"),
    ("response JSON (JSONResponse.render)", "starlette/responses.py", "render"),
)


def profile(
    store: request_data.Store, settings: Settings, cells: Any, requests: int, path: Path
) -> dict[str, Any]:
    profiles: list[cProfile.Profile] = []
    lock = threading.Lock()
    armed = threading.Event()  # set when the timed part starts: warm-up requests are not profiled

    def start_in_thread(*_: Any) -> None:
        if not armed.is_set():
            return
        sys.setprofile(None)
        mine = cProfile.Profile()
        with lock:
            profiles.append(mine)
        mine.enable()

    def arm() -> None:
        armed.set()
        main.enable()

    app = request_apps.variant_app("full", settings)
    bodies = cells.requests("person", "full")
    main = cProfile.Profile()
    profiles.append(main)
    threading.setprofile(start_in_thread)
    try:
        measured = asyncio.run(
            request_load.measure(
                request_load.asgi_sender(app),
                bodies,
                concurrency=1,
                max_requests=requests,
                seconds=300,
                warmup=50,
                on_timed=arm,
            )
        )
    finally:
        main.disable()
        threading.setprofile(None)
        request_apps.close_app(app)
    stats = pstats.Stats(main)
    for other in profiles[1:]:
        other.disable()
        stats.add(other)
    n = measured.requests
    landmarks = []
    for label, suffix, name in LANDMARKS:
        # The outermost of same-named functions (Session.commit calls SessionTransaction.commit):
        # adding them up would count the inner one twice.
        total = max(
            (
                ct
                for (file, _line, func), (_cc, _nc, _tt, ct, _callers) in stats.stats.items()  # type: ignore[attr-defined]
                if func == name and file.replace("\\", "/").endswith(suffix)
            ),
            default=0.0,
        )
        landmarks.append({"landmark": label, "us_per_request": round(total / n * 1e6, 1)})
    text = io.StringIO()
    stats.stream = text  # type: ignore[attr-defined]
    stats.sort_stats("tottime").print_stats(40)
    own = sorted(
        ((tt, file, func) for (file, _l, func), (_cc, _nc, tt, _ct, _c) in stats.stats.items()),  # type: ignore[attr-defined]
        reverse=True,
    )[:25]
    path.write_text(_strip_prefixes(text.getvalue()))
    return {
        "requests": n,
        "errors": measured.errors,
        "lookups_per_s_under_profiler": round(n / measured.seconds, 1),
        "threads_profiled": len(profiles),
        "landmarks": landmarks,
        "own_time": [
            {"function": f"{_short(file)}:{func}", "us_per_request": round(tt / n * 1e6, 1)}
            for tt, file, func in own
        ],
    }


def _short(file: str) -> str:
    """A file name from the package on (``gateway/…``, ``strawberry/…``): no machine paths."""
    file = file.replace("\\", "/")
    for package in ("gateway/", "strawberry/", "graphql/", "sqlalchemy/", "starlette/", "anyio/", "casbin/"):
        at = file.find(package)
        if at >= 0:
            return file[at:]
    return file.rsplit("/", 1)[-1]


def _strip_prefixes(report: str) -> str:
    lines = []
    for line in report.splitlines():
        head, sep, tail = line.rpartition(" ")
        lines.append(
            f"{head}{sep}{_short(tail.split('(')[0]) + ('(' + tail.split('(', 1)[1] if '(' in tail else '')}"
            if "/" in tail
            else line
        )
    return "\n".join(lines) + "\n"
