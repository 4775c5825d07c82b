"""The README's first command: ``credit-gateway serve --demo`` answers the curl it prints."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from tests.server import free_port


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
        public, consented, lifecycle, audit, reached, minor = re.findall(r"-d '(\{.*\})'$", out, flags=re.M)
        partner = tokens["partner (market regulation)"]

        answer = httpx.post(
            f"{url}/graphql", content=public, headers={"Content-Type": "application/json"}
        ).json()
        organization = answer["data"]["organization"]
        assert organization["records"] and organization["legalRepresentative"]["name"].count("*") >= 1

        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {partner}"}
        person = httpx.post(f"{url}/graphql", content=consented, headers=headers).json()["data"]["person"]
        assert re.fullmatch(r"\d{17}[\dX]", person["idNumber"])  # whole, under the consent's identity scope
        assert person["phone"] is None  # contact is outside the consent's scopes

        admin = {"Content-Type": "application/json", "Authorization": f"Bearer {tokens['admin']}"}
        states = httpx.post(f"{url}/graphql", content=lifecycle, headers=admin).json()["data"]
        assert {o["status"] for o in states["objections"]} == {"OPEN", "CORRECTED", "REVOKED", "UPHELD"}
        assert {a["status"] for a in states["repairApplications"]} == {"PENDING", "APPROVED", "REFUSED"}
        assert states["overdueObjections"]

        auditor = {"Content-Type": "application/json", "Authorization": f"Bearer {tokens['auditor']}"}
        log = httpx.post(f"{url}/graphql", content=audit, headers=auditor).json()["data"]
        page = log["auditEvents"]
        assert [n["seq"] for n in page["nodes"]] == [0, 1, 2]  # the three requests above
        assert page["nodes"][1]["rootFields"] == ["person"] and page["nodes"][1]["subjects"]
        verification = log["auditVerification"]
        assert verification["headSignatureValid"] and verification["headMatchesTree"]
        assert verification["treeSize"] == 3 and verification["latestHead"]["treeSize"] >= 1

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

        # The portal link signs the demo individual in; its token rides in the fragment, never sent.
        link = re.search(
            r"^  individual \(a legal representative\): (http://\S+/portal/)#token=(\S+)$", out, re.M
        )
        assert link is not None and link.group(2) == tokens["individual (a legal representative)"]
        portal = httpx.get(link.group(1))
        assert portal.status_code == 200 and "default-src 'self'" in portal.headers["content-security-policy"]
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
