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
from fractions import Fraction
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
        # the page opens at the first stage ("Previous" is disabled); Tab from the stage
        # picker reaches the "Next stage" button, and Enter moves one stage on
        assert start == 0 and page.locator(".stage-explorer button.prev").is_disabled()
        select.focus()
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
        word = "Round" if name.startswith("minneapolis") else "Stage"  # IRV counts in rounds
        assert title.startswith(f"{word} {record.stages[-1].number}")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.locator(".stage-explorer").screenshot(path=str(ARTIFACTS / f"{name}-last.png"))
        assert problems == []
    finally:
        page.close()


# ------------------------------------------------------------------ sheets at 1400 and 390 px

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
LISTS = Path(__file__).parent / "data" / "list-pr"


def _sheet_pages(tmp_path: Path) -> dict[str, tuple[Path, list[dict[str, Any]]]]:
    """Each page of the issue's list, written to a file, with the JSON of its counts."""
    import glob
    import json
    import sys
    from dataclasses import replace

    from click.testing import CliRunner

    from tallyroom.cli import cli
    from tallyroom.reports.json import to_dict

    sys.path.insert(0, str(Path(__file__).parent))
    from test_constraints import _nec

    out: dict[str, tuple[Path, list[dict[str, Any]]]] = {}

    def write(name: str, records: list[CountRecord]) -> None:
        path = tmp_path / f"{name}.html"
        path.write_text(render(records, "html"), encoding="utf-8")
        out[name] = (path, [json.loads(json.dumps(to_dict(r))) for r in records])

    write("scottish-ward", [_ward()])
    mpls = replace(_minneapolis(), election_title="2013 Minneapolis Mayor", office="Mayor")
    write("minneapolis-2013-mayor", [mpls])
    p, _ = _nec()
    write("nec-2016-block-vote", [count(p, "block-vote", constraints=["gender=woman:min=5"])])
    wards = sorted(glob.glob(str(SCOT / "aberdeen_2017_ward*.blt")))
    write("council", [count(read_blt(w), "scottish-stv") for w in wards])
    for name, args in (
        ("compare", ["compare", str(SCOT / "aberdeen_2017_ward1.blt"), "-m",
                     "block-vote,ers97-stv,meek-stv,irv,scottish-stv,schulze,fptp,dhondt"]),
        ("party-list", ["count", str(LISTS / "cz_psp_2017.csv"), "-m", "dhondt", "--seats",
                        "200", "--option", "threshold=5%"]),
    ):  # fmt: skip
        path = tmp_path / f"{name}.html"
        r = CliRunner().invoke(cli, [*args, "--format", "html", "-o", str(path)])
        assert r.exit_code == 0, r.output
        j = CliRunner().invoke(cli, [*args, "--format", "json"])
        assert j.exit_code == 0, j.output
        data = json.loads(j.output)
        out[name] = (path, [] if name == "compare" else [data])
    return out


@pytest.fixture(scope="module")
def sheet_pages(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return _sheet_pages(tmp_path_factory.mktemp("sheets"))


SHEETS = [
    "scottish-ward",
    "minneapolis-2013-mayor",
    "nec-2016-block-vote",
    "compare",
    "council",
    "party-list",
]


@pytest.mark.parametrize("width", [1400, 390])
@pytest.mark.parametrize("name", SHEETS)
def test_sheet_at_width(browser: Any, sheet_pages: dict, name: str, width: int) -> None:
    path, results = sheet_pages[name]
    page = browser.new_page(viewport={"width": width, "height": 900})
    problems: list[str] = []
    page.on(
        "console",
        lambda m: (
            problems.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None
        ),
    )
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    try:
        page.goto(path.as_uri())
        page.wait_for_function("document.documentElement.dataset.charts", timeout=60_000)
        assert page.evaluate("document.documentElement.dataset.charts") == "drawn"
        # no sideways scroll: wide tables scroll inside their own regions
        scroll, client = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert scroll <= client, (name, width, scroll, client)
        # no chart wider than the page
        wide = page.evaluate(
            """() => Array.from(document.querySelectorAll('.chart .main-svg')).filter(
                 s => s.getBoundingClientRect().right > document.documentElement.clientWidth + 1
               ).length"""
        )
        assert wide == 0
        # each declaration fits the page: its region never scrolls sideways (a phone shows
        # each name on a line, the figures below it); its caption is not the heading again
        declarations = page.evaluate(
            """() => Array.from(document.querySelectorAll('table.declaration')).map(t => [
                 t.closest('.scroll').scrollWidth, t.closest('.scroll').clientWidth,
                 t.caption.innerText, t.closest('section').querySelector('h3').innerText])"""
        )
        for region, room, caption, heading in declarations:
            assert region <= room, (name, width, caption, region, room)
            assert heading == "Declaration of result" and caption.startswith("Each ")
        page.add_script_tag(path=str(AXE))
        violations = page.evaluate(
            """async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a',
                 'wcag21aa']})).violations.map(v => v.id + ': ' + v.nodes[0].html.slice(0, 200))"""
        )
        assert violations == [], violations
        # every figure of each declaration, as the browser shows it, equals the JSON
        shown = page.evaluate(
            """() => Array.from(document.querySelectorAll('article.count')).map(a => {
                 const t = a.querySelector('table.declaration');
                 return t ? Array.from(t.querySelectorAll('tbody tr')).map(
                   r => Array.from(r.children).map(c => c.innerText.trim())) : [];
               })"""
        )
        for rows, result in zip(shown, results):
            stage = next((s for s in result["stages"] if s["totals"]), None)
            votes = stage["totals"] if stage else {}
            if not votes and "scores" in result["stages"][0].get("extra", {}):
                votes = result["stages"][0]["extra"]["scores"]
            if not votes:  # a party list by constituency: each party's votes in all of them
                summed: dict[str, Fraction] = {}
                for st in result["stages"]:
                    for party, v in st.get("extra", {}).get("votes", {}).items():
                        summed[party] = summed.get(party, Fraction(0)) + Fraction(v)
                votes = {k: str(v) for k, v in summed.items()}
            assert [r[0] for r in rows] == result["candidates"]
            for r in rows:
                if votes:
                    # exact counts: the JSON at 9 places, the page at the figures' own
                    assert Fraction(r[1]) == Fraction(votes[r[0]]), (name, r)
                    if result["places"] is not None:
                        assert r[1] == votes[r[0]]
                elected = r[0] in result["elected"]
                assert (r[3 if votes else 1] == "Elected") == elected, (name, r)
        # the bar chart of the chosen stage labels each bar with the JSON's figure
        labels = page.evaluate(
            """() => Array.from(document.querySelectorAll('.chart.bar')).map(c =>
                 Array.from(c.querySelectorAll('.bars .textpoint text, .bartext')).map(
                   t => t.textContent))"""
        )
        for texts, result in zip(labels, results):
            if not texts:
                continue
            first = {Fraction(v) for v in result["stages"][0]["totals"].values()}
            assert {Fraction(t.split(" ")[0]) for t in texts} <= first, (name, texts)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"sheet-{name}-{width}.png"), full_page=True)
        assert problems == [], problems
    finally:
        page.close()


def test_printed_ward_has_every_stage_and_its_charts(browser: Any, tmp_path: Path) -> None:
    """Printed from the browser (A4): the declaration on page 1, every stage in the text,
    the charts drawn on paper."""
    from pypdf import PdfReader

    record = count(read_blt(SCOT / "glasgow_2017_ward1.blt"), "scottish-stv")
    path = tmp_path / "ward.html"
    path.write_text(render([record], "html"), encoding="utf-8")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(path.as_uri())
        page.wait_for_function("document.documentElement.dataset.charts", timeout=60_000)
        page.emulate_media(media="print")
        page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
        drawn = page.evaluate(
            """() => Array.from(document.querySelectorAll('.chart')).filter(c =>
                 c.offsetParent !== null).map(c => c.querySelector('.main-svg') ?
                 c.querySelector('.main-svg').getBoundingClientRect().width : 0)"""
        )
        assert drawn and all(0 < w <= 700 for w in drawn), drawn  # at the A4 text width
        pdf = tmp_path / "ward.pdf"
        page.pdf(path=str(pdf), format="A4")
    finally:
        page.close()
    pages = [" ".join(p.extract_text().split()) for p in PdfReader(pdf).pages]
    assert "Declaration of result" in pages[0] and "Ward 1 Linn" in pages[0]
    text = " ".join(pages)
    for s in record.stages:
        assert f"Stage {s.number}" in text
    assert sum(1 for p in pages if "Stage by stage:" in p) >= 2  # blocks of stages
