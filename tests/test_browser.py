"""The HTML report in a real browser: headless Chromium (Debian's), driven by Playwright.

Each report opens from a file with no network, draws its charts with no console error, and
its stage controls work from the keyboard.  Screenshots are saved under ``artifacts/``.

Skipped only where Chromium is not installed and ``CI`` is unset; under CI a missing
browser fails (``.ci/install-browser`` installs it).
"""

from __future__ import annotations

import functools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tallyroom.ballots.formats.blt import read_blt
from tallyroom.record import CountRecord
from tallyroom.reports import render
from tallyroom.rules import count

ROOT = Path(__file__).parent.parent
ARTIFACTS = ROOT / "artifacts" / "browser"
SCOT = Path(__file__).parent / "data" / "scotland" / "ballots"
MINNEAPOLIS = (
    Path(__file__).parent
    / "data"
    / "rctab"
    / "test_data"
    / "2013_minneapolis_mayor"
    / "2013_minneapolis_mayor_cvr.xlsx"
)
CHROMIUM = os.environ.get("TALLYROOM_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

if not (os.path.exists(CHROMIUM) or shutil.which("chromium")) and not os.environ.get("CI"):
    pytest.skip(
        f"Chromium is not installed at {CHROMIUM} (run .ci/install-browser)",
        allow_module_level=True,
    )


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    # under CI a missing browser or driver is an error, never a skip
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@functools.cache
def _minneapolis() -> CountRecord:
    from tallyroom.ballots.formats.ess import read_ess
    from tallyroom.ballots.model import BallotRules

    rules = BallotRules(overvote="exhaust", skipped_ranks=1, duplicates="skip")
    return count(read_ess(MINNEAPOLIS, rules, seats=1), "irv")


def _ward() -> CountRecord:
    return count(read_blt(SCOT / "renfrewshire_2017_ward3.blt"), "scottish-stv")


def _block() -> CountRecord:
    return count(read_blt(SCOT / "aberdeen_2017_ward1.blt"), "block-vote")


REPORTS = {"scottish-ward": _ward, "minneapolis-2013-mayor": _minneapolis, "block-vote": _block}


def _open(browser: Any, path: Path) -> tuple[Any, list[str], list[str]]:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    requests: list[str] = []
    page.on(
        "console",
        lambda m: (
            problems.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None
        ),
    )
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri())
    page.wait_for_function("document.documentElement.dataset.charts", timeout=60_000)
    return page, problems, requests


@pytest.mark.parametrize("name", list(REPORTS))
def test_report_opens_and_draws(browser: Any, tmp_path: Path, name: str) -> None:
    record = REPORTS[name]()
    path = tmp_path / f"{name}.html"
    path.write_text(render([record], "html"), encoding="utf-8")
    page, problems, requests = _open(browser, path)
    try:
        assert page.evaluate("document.documentElement.dataset.charts") == "drawn"
        assert problems == []
        assert [u for u in requests if not u.startswith("file:")] == []
        charts = page.locator(".chart")
        drawn = page.locator(".chart .main-svg")
        assert charts.count() >= 1 and drawn.count() >= charts.count()
        # every chart has something drawn in it: bars, flows, lines or cells
        marks = page.evaluate(
            """() => Array.from(document.querySelectorAll('.chart')).filter(
                 c => !c.closest('[hidden]')).map(c =>
                 c.querySelectorAll('.bars path, .sankey-link, .scatterlayer path.js-line,'
                   + ' .heatmaplayer image, .hm image').length)"""
        )
        assert marks and all(m > 0 for m in marks), marks
        for el in page.locator(".chart").all():
            if el.is_visible():
                assert el.get_attribute("role") == "img" and el.get_attribute("aria-label")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        explorer = page.locator(".stage-explorer")
        if explorer.count():
            explorer.screenshot(path=str(ARTIFACTS / f"{name}-stage.png"))
    finally:
        page.close()


@pytest.mark.parametrize("name", ["scottish-ward", "minneapolis-2013-mayor"])
def test_stage_charts_by_keyboard(browser: Any, tmp_path: Path, name: str) -> None:
    record = REPORTS[name]()
    path = tmp_path / f"{name}.html"
    path.write_text(render([record], "html"), encoding="utf-8")
    page, problems, _ = _open(browser, path)
    try:
        select = page.locator(".stage-explorer select")
        start = int(select.input_value())
        words = page.locator(".stage-explorer .words").inner_text()
        label = page.locator(".chart.bar").get_attribute("aria-label")
        # Tab reaches the "Next stage" button; Enter moves one stage on
        page.locator(".stage-explorer button.prev").focus()
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "next"
        page.keyboard.press("Enter")
        page.wait_for_function(
            f"document.querySelector('.stage-explorer select').value === '{start + 1}'"
        )
        assert page.locator(".stage-explorer .words").inner_text() != words
        assert page.locator(".chart.bar").get_attribute("aria-label") != label
        # the select itself: End jumps to the last stage
        select.focus()
        page.keyboard.press("End")
        last = len(record.stages) - 1
        page.wait_for_function(
            f"document.querySelector('.stage-explorer select').value === '{last}'"
        )
        assert page.locator(".stage-explorer button.next").is_disabled()
        title = page.evaluate("document.querySelector('.chart.bar .gtitle').textContent")
        assert title.startswith(f"Stage {record.stages[-1].number}")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.locator(".stage-explorer").screenshot(path=str(ARTIFACTS / f"{name}-last.png"))
        assert problems == []
    finally:
        page.close()
