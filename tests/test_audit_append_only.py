"""Nothing in the GraphQL API updates or deletes audit events: the code that can (the append's state
update, the prune) is named here, and the API cannot even import the prune. The HTTP tests also watch
every statement an engine sends (tests/test_query_history.py, ``audit_statements``)."""

from __future__ import annotations

import re
import subprocess
import sys

from gateway.api.schema import build_schema
from tests.gateway_fixtures import REPO

# An UPDATE or DELETE of an audit table, as SQLAlchemy calls or raw SQL.
WRITES = re.compile(
    r"\b(update|delete)\(\s*(Audit(?:Event|EventKey|State|Node|Head|Prune))\b"
    r"|\b(UPDATE|DELETE\s+FROM)\s+(audit_\w+)",
)
ALLOWED = {
    ("gateway/audit/store.py", "update", "AuditState"),  # the append's lock and its new tree size
    ("gateway/audit/store.py", "update", "audit_state"),  # the same, as its docstring spells it
    ("gateway/audit/prune.py", "delete", "AuditEventKey"),
    ("gateway/audit/prune.py", "delete", "AuditEvent"),
    ("gateway/audit/prune.py", "delete", "AuditNode"),
}


def test_only_the_append_and_the_prune_change_audit_rows() -> None:
    found = set()
    for path in (REPO / "gateway").rglob("*.py"):
        for match in WRITES.finditer(path.read_text(encoding="utf-8")):
            verb = (match.group(1) or match.group(3)).split()[0].lower()
            found.add((path.relative_to(REPO).as_posix(), verb, match.group(2) or match.group(4)))
    assert found == ALLOWED


def test_the_api_cannot_reach_the_prune() -> None:
    code = "import sys, gateway.api.app; print('\\n'.join(sorted(sys.modules)))"
    modules = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded = set(modules.split())
    assert "gateway.api.app" in loaded
    assert not {"gateway.audit.prune", "gateway.commands.audit"} & loaded


def test_no_mutation_is_about_the_audit_log() -> None:
    schema = build_schema()._schema  # type: ignore[attr-defined]
    names = list(schema.mutation_type.fields)
    assert names and not [n for n in names if re.search(r"audit|event|prune|head", n, re.I)]
