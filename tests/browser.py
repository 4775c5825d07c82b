"""Real headless Chromium for the page tests: Debian's system browser driven by Playwright.

Never ``playwright install`` (it downloads a browser build; machines here may have no internet): the
tests use the ``chromium`` package at ``GATEWAY_TEST_CHROMIUM`` (default /usr/bin/chromium) and skip
when it, or Playwright, is absent."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

CHROMIUM = os.environ.get("GATEWAY_TEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
# Set to a folder (docs/screenshots) to save the pages' screenshots at phone and desktop width.
SCREENSHOTS = os.environ.get("GATEWAY_SCREENSHOTS")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    required = os.environ.get("GATEWAY_TEST_REQUIRE_CHROMIUM") == "1"  # set by .ci/run
    if not Path(CHROMIUM).exists():
        if required:
            pytest.fail(f"no Chromium at {CHROMIUM}")
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright import sync_api
    except ImportError:
        if required:
            raise
        pytest.skip("playwright is not installed (pip install -e '.[test]')")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield launched
        finally:
            launched.close()


@dataclass
class Watched:
    """A page, and what it did: every request's URL, console errors and uncaught exceptions."""

    page: Any
    origin: str
    requests: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        foreign = [u for u in self.requests if _origin(u) != self.origin]
        assert not foreign, f"requests left the gateway's origin: {foreign}"
        assert not self.problems, self.problems


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def watch(context: Any, base_url: str) -> Watched:
    page = context.new_page()
    watched = Watched(page, _origin(base_url))
    page.on("request", lambda request: watched.requests.append(request.url))
    page.on(
        "console",
        lambda msg: watched.problems.append(f"console: {msg.text}") if msg.type == "error" else None,
    )
    page.on("pageerror", lambda error: watched.problems.append(f"pageerror: {error}"))
    return watched


def screenshot(page: Any, name: str) -> None:
    """Save ``name``-phone.png and ``name``-desktop.png when GATEWAY_SCREENSHOTS names a folder."""
    if not SCREENSHOTS:
        return
    folder = Path(SCREENSHOTS)
    folder.mkdir(parents=True, exist_ok=True)
    for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(size)
        page.screenshot(path=str(folder / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size(DESKTOP)


# Roles that must carry an accessible name: the form controls, links, and images (charts, QR codes).
NAMED_ROLES = frozenset(
    {"button", "checkbox", "combobox", "img", "link", "listbox", "radio", "searchbox", "slider", "spinbutton",
     "switch", "textbox"}
)  # fmt: skip
# Roles a reader announces by their text: one with neither name nor text is read out as nothing.
TEXT_ROLES = frozenset({"columnheader", "heading", "rowheader", "term"})
_SNAPSHOT_LINE = re.compile(r'^\s*- (?P<role>[a-z]+)(?P<name> "(?:[^"\\]|\\.)*"| /(?:[^/\\]|\\.)*/)?')


def unnamed(snapshot: str) -> list[str]:
    """The lines of an ARIA snapshot (``locator.aria_snapshot()``: what the browser's accessibility
    tree gives assistive technology) whose control, link or image has no accessible name, or whose
    heading, term or table header has neither name nor text."""
    found = []
    for line in snapshot.splitlines():
        match = _SNAPSHOT_LINE.match(line)
        if not match:
            continue
        role, bare = match["role"], line.strip() in (f"- {match['role']}", f'- {match["role"]} ""')
        if (role in NAMED_ROLES and match["name"] in (None, ' ""')) or (role in TEXT_ROLES and bare):
            found.append(line.strip())
    return found


def open_disclosures(page: Any) -> None:
    """Click every collapsed disclosure button (``aria-expanded="false"``), so that the forms it
    shows are in the accessibility tree too."""
    for button in page.query_selector_all('button[aria-expanded="false"]'):
        if button.is_visible():
            button.click()


def assert_named(page: Any, *, roles: set[str]) -> str:
    """Every control, link and image now shown has an accessible name (a label, ``aria-label``, its
    text, or an image's alternative text), and every heading, term and table header a text, read
    from the accessibility tree; ``roles`` must be among
    what is shown, so that the check is not vacuous. The snapshot, for further assertions."""
    snapshot = str(page.locator("body").aria_snapshot())
    shown = {m["role"] for m in map(_SNAPSHOT_LINE.match, snapshot.splitlines()) if m}
    assert roles <= shown, f"expected {sorted(roles - shown)} in the accessibility tree:\n{snapshot}"
    assert not unnamed(snapshot), f"without an accessible name: {unnamed(snapshot)}\n{snapshot}"
    return snapshot
