"""The README's first command: ``credit-gateway serve --demo`` answers the curls it prints, prints no
identity number (the consented lookup's body is in an owner-only file), and its portal links sign in one
demo person each, the one each is printed for."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from gateway.identifiers import may_be_id_number
from tests.server import free_port

STORY_QUERY = """{ me { idNumber linkedRecords { documentNumber } listEntries { kind status } }
  objections { status } repairApplications { status } }"""
Shown = dict[str, Any]
# The portal links serve --demo prints, in order, and what the person's own view shows for each.
STORIES: dict[str, Callable[[Shown], bool]] = {
    "a legal representative": lambda d: bool(d["me"]["linkedRecords"]),
    **{
        f"repair application {s.lower()}": lambda d, s=s: s in {a["status"] for a in d["repairApplications"]}
        for s in ("PENDING", "APPROVED", "REFUSED")
    },
    **{
        f"objection {s.lower()}": lambda d, s=s: s in {o["status"] for o in d["objections"]}
        for s in ("CORRECTED", "UPHELD")
    },
    **{
        f"on a {k.lower()}list": lambda d, k=k: {"kind": k, "status": "LISTED"} in d["me"]["listEntries"]
        for k in ("BLACK", "RED")
    },
}


def test_serve_demo_answers_the_sample_queries_it_prints(tmp_path: Path, database_url: str) -> None:
    port = free_port()
    env = {
        **os.environ,
        "GATEWAY_DATABASE_URL": database_url,
        "GATEWAY_KEYRING": str(tmp_path / "keyring.json"),
        "PYTHONUNBUFFERED": "1",
    }
    cli = Path(sys.executable).with_name("credit-gateway")
    proc = subprocess.Popen(
        [str(cli), "serve", "--demo", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout or []), daemon=True)
    reader.start()
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, "the demo gateway exited"
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the demo gateway did not become ready"
            time.sleep(0.3)
        out = "".join(lines)
        tokens = dict(re.findall(r"^  (\w[^:\n]*):\n    (\S+)$", out, flags=re.M))
        assert {"auditor", "admin", "partner (market regulation)"} <= set(tokens)
        public, lifecycle, audit, minor, published = re.findall(r"-d '(\{.*\})'$", out, flags=re.M)
        # The bodies that name a person by identity number are in owner-only files, not on stdout.
        files = [Path(p) for p in re.findall(r"-d @(\S+)$", out, flags=re.M)]
        names = ["demo-person-lookup.json", "demo-responsible-check.json", "demo-court-lookup.json"]
        assert files == [tmp_path / n for n in names]
        assert {f.stat().st_mode & 0o777 for f in files} == {0o600}
        consented, reached, court_lookup = (f.read_text(encoding="utf-8") for f in files)
        id_number = json.loads(consented)["variables"]["id"]
        assert re.fullmatch(r"\d{17}[\dX]", id_number) and id_number not in out
        assert json.loads(reached)["variables"]["id"] not in out
        assert not [
            n for n in re.findall(r"(?<![0-9A-Za-z])\d{17}[\dX](?![0-9A-Za-z])", out) if may_be_id_number(n)
        ]
        partner = tokens["partner (market regulation)"]

        answer = httpx.post(
            f"{url}/graphql", content=public, headers={"Content-Type": "application/json"}
        ).json()
        organization = answer["data"]["organization"]
        assert organization["records"] and organization["legalRepresentative"]["name"].count("*") >= 1

        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {partner}"}
        person = httpx.post(f"{url}/graphql", content=consented, headers=headers).json()["data"]["person"]
        assert person["idNumber"] == id_number  # whole, under the consent's identity scope
        assert person["phone"] is None  # contact is outside the consent's scopes

        admin = {"Content-Type": "application/json", "Authorization": f"Bearer {tokens['admin']}"}
        states = httpx.post(f"{url}/graphql", content=lifecycle, headers=admin).json()["data"]
        assert {o["status"] for o in states["objections"]} == {"OPEN", "CORRECTED", "REVOKED", "UPHELD"}
        assert {a["status"] for a in states["repairApplications"]} == {"PENDING", "APPROVED", "REFUSED"}
        assert states["overdueObjections"]

        auditor = {"Content-Type": "application/json", "Authorization": f"Bearer {tokens['auditor']}"}
        log = httpx.post(f"{url}/graphql", content=audit, headers=auditor).json()["data"]
        page = log["auditEvents"]
        # The demo court's lookup under a legal basis (0), then the three requests above.
        assert [n["seq"] for n in page["nodes"]] == [0, 1, 2, 3]
        assert page["nodes"][0]["rootFields"] == ["person"] and page["nodes"][0]["role"] == "partner"
        assert page["nodes"][2]["rootFields"] == ["person"] and page["nodes"][2]["subjects"]
        verification = log["auditVerification"]
        assert verification["headSignatureValid"] and verification["headMatchesTree"]

        # The court reads the person without consent; the person sees the demo court's lookup.
        court = {"Content-Type": "application/json", "Authorization": f"Bearer {tokens['partner (court)']}"}
        read = httpx.post(f"{url}/graphql", content=court_lookup.encode(), headers=court).json()["data"][
            "person"
        ]
        assert re.fullmatch(r"\d{17}[\dX]", read["idNumber"])
        me = {"Content-Type": "application/json",
              "Authorization": f"Bearer {tokens['individual (a legal representative)']}"}  # fmt: skip
        history = httpx.post(f"{url}/graphql", headers=me, json={
            "query": "{ me { queryHistory(first: 50) { entries { agencyKind purpose legalBases { reference } } } } }"
        }).json()["data"]["me"]["queryHistory"]["entries"]  # fmt: skip
        lawful = [e for e in history if e["legalBases"]]
        assert lawful and all(e["agencyKind"] == "COURT" and e["purpose"] == "ENFORCEMENT" for e in lawful)

        # A published dishonest judgment debtor, for anyone: the name, the identity number masked.
        listed = httpx.post(f"{url}/graphql", content=published.encode(),
                            headers={"Content-Type": "application/json"}).json()["data"]  # fmt: skip
        people = [n for n in listed["publishedListEntries"]["nodes"] if n["subjectKind"] == "PERSON"]
        assert people and all(re.fullmatch(r"\d{6}\*{8}\d{3}[\dX]", n["identifier"]) for n in people)

        # The README's enterprise sample: the demo company, signed in for itself, reads its own record.
        own = readme_enterprise_sample(cli, env, tmp_path, url)
        assert own["myOrganization"]["creditCode"] == "91371702MA3DEM081Q"
        assert {e["status"] for e in own["myOrganization"]["listEntries"]} >= {"LISTED"}
        rep = own["myOrganization"]["legalRepresentative"]
        assert "*" in rep["name"] and "*" in rep["idNumber"]
        assert verification["treeSize"] == 4 and verification["latestHead"]["treeSize"] >= 1

        # The black-listed company's legal representative, checked with their consent: restricted, with
        # the reason; the minor's record shows to the minor and stays out of the grade.
        check = httpx.post(f"{url}/graphql", content=reached, headers=headers).json()["data"]["creditCheck"]
        assert check["blackListed"] and check["restrictions"][0]["reasons"][0].startswith(
            "legal representative (法定代表人) of 91371702MA3DEM081"
        )
        minor_token = tokens["individual (a minor's record)"]
        minor_headers = {"Content-Type": "application/json", "Authorization": f"Bearer {minor_token}"}
        mine = httpx.post(f"{url}/graphql", content=minor, headers=minor_headers).json()["data"]
        assert [r["documentNumber"] for r in mine["me"]["records"]] == ["菏牡市监罚〔未〕1号"]
        assert mine["myCreditEvaluation"]["contributions"] == []

        # The printed credit report: issued to the partner, then verified offline with the saved JWKS.
        report_body = re.search(r"-d '(\{.*\})' \| python3 -c .* > report\.jws$", out, re.M)
        assert (
            report_body is not None and "credit-gateway report verify report.jws --jwks reports.jwks" in out
        )
        issued = httpx.post(f"{url}/graphql", content=report_body.group(1), headers=headers).json()
        (tmp_path / "report.jws").write_text(issued["data"]["report"]["jws"], encoding="utf-8")
        (tmp_path / "reports.jwks").write_text(httpx.get(f"{url}/keys/reports.jwks").text, encoding="utf-8")
        verified = subprocess.run(
            [str(cli), "report", "verify", "report.jws", "--jwks", "reports.jwks"],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert verified.returncode == 0 and " verifies (key report-1)" in verified.stdout, verified.stderr

        # The portal link signs the demo individual in; its token rides in the fragment, never sent.
        link = re.search(
            r"^  individual \(a legal representative\): (http://\S+/portal/)#token=(\S+)$", out, re.M
        )
        assert link is not None and link.group(2) == tokens["individual (a legal representative)"]
        portal = httpx.get(link.group(1))
        assert portal.status_code == 200 and "default-src 'self'" in portal.headers["content-security-policy"]
        # One link per demo person meant to sign in, each showing the story it is printed for.
        links = re.findall(r"^  individual \(([^)]+)\): http://\S+/portal/#token=(\S+)$", out, re.M)
        assert [story for story, _ in links] == list(STORIES)
        ids = set()
        for story, token in links:
            shown = httpx.post(
                f"{url}/graphql", json={"query": STORY_QUERY}, headers={"Authorization": f"Bearer {token}"}
            ).json()["data"]
            assert STORIES[story](shown), story
            ids.add(shown["me"]["idNumber"])
        assert len(ids) == len(links)  # each a different person
        console = re.search(r"^  auditor: (http://\S+/console/)#token=(\S+)$", out, re.M)
        assert console is not None and console.group(2) == tokens["auditor"]
        page = httpx.get(console.group(1))
        assert page.status_code == 200 and "default-src 'self'" in page.headers["content-security-policy"]
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        reader.join(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
    assert (tmp_path / "keyring.json").stat().st_mode & 0o777 == 0o600


def readme_enterprise_sample(cli: Path, env: dict[str, str], cwd: Path, url: str) -> dict[str, Any]:
    """The README's enterprise sample as printed there: the token command, then the query's body."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    command = re.search(r"ENTERPRISE=\$\((credit-gateway token issue [^)]+)\)", readme)
    body = re.search(r'-H "Authorization: Bearer \$ENTERPRISE" \\\n\s+-d \'(\{.*\})\'$', readme, flags=re.M)
    assert command is not None and body is not None
    issued = subprocess.run(
        [str(cli), *command.group(1).split()[1:]],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {issued.stdout.strip()}"}
    answer = httpx.post(f"{url}/graphql", content=body.group(1).encode(), headers=headers).json()
    assert "errors" not in answer, answer
    return answer["data"]
