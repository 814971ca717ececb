"""HTML reports of ``compare``, ``simulate`` and ``demo nec2016``.

Each page is parsed with :mod:`html.parser`: its tables hold the same numbers as the JSON
output of the same command (at the places shown), it is self-contained (a Content
Security Policy, no external ``src`` or ``href``), and every chart has a text alternative.
One case opens the pages in headless Chromium, when it is installed (or under CI).
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tallyroom.cli import cli

ROOT = Path(__file__).parent.parent
SCOTLAND = Path(__file__).parent / "data" / "scotland" / "ballots"
WARD1 = SCOTLAND / "aberdeen_2017_ward1.blt"
ARTIFACTS = ROOT / "artifacts" / "browser"
CHROMIUM = os.environ.get("TALLYROOM_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
ARGS += ["--disable-background-networking", "--disable-component-update", "--disable-sync"]


class Page(HTMLParser):
    """Tables (caption, class, header row, body rows), links, scripts and charts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[dict[str, Any]] = []
        self._cell: list[Any] | None = None
        self._caption = False
        self.links: list[str] = []
        self.scripts: list[dict[str, str | None]] = []
        self.charts: list[dict[str, str | None]] = []
        self.figures = 0
        self.figcaptions = 0
        self.meta: list[dict[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table":
            self.tables.append({"caption": "", "class": a.get("class") or "", "rows": []})
        elif tag == "caption":
            self._caption = True
        elif tag == "tr" and self.tables:
            self.tables[-1]["rows"].append([])
        elif tag in ("td", "th") and self.tables:
            self._cell = [tag, a, ""]
        elif tag == "script":
            self.scripts.append(a)
        elif tag == "meta":
            self.meta.append(a)
        elif tag == "figure":
            self.figures += 1
        elif tag == "figcaption":
            self.figcaptions += 1
        elif tag == "div" and "chart" in (a.get("class") or "").split():
            self.charts.append(a)
        for key in ("src", "href"):
            if a.get(key):
                self.links.append(a[key] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "caption":
            self._caption = False
        elif tag in ("td", "th") and self._cell is not None:
            self.tables[-1]["rows"][-1].append((self._cell[0], self._cell[1], self._cell[2]))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._caption and self.tables:
            self.tables[-1]["caption"] += data
        elif self._cell is not None:
            self._cell[2] += data
        self.text.append(data)

    def table(self, cls: str, nth: int = 0) -> dict[str, list[str] | dict[str, list[str]]]:
        """The nth table of class ``cls``: {"head": header texts, "rows": {row head: cells}}."""
        t = [x for x in self.tables if cls in x["class"].split()][nth]
        head = [c[2] for c in t["rows"][0]]
        rows = {}
        for r in t["rows"][1:]:
            assert r[0][0] == "th" and r[0][1].get("scope") == "row"
            rows[r[0][2]] = [c[2] for c in r[1:]]
        return {"head": head, "rows": rows}


def parse(text: str) -> Page:
    p = Page()
    p.feed(text)
    return p


def run(tmp_path: Path, name: str, *args: str) -> tuple[Page, str, dict[str, Any]]:
    """The command's HTML page (parsed and raw) and its JSON output."""
    out = tmp_path / f"{name}.html"
    r = CliRunner().invoke(cli, [*args, "--format", "html", "-o", str(out)])
    assert r.exit_code == 0, r.output
    j = CliRunner().invoke(cli, [*args, "--format", "json"])
    assert j.exit_code == 0, j.output
    text = out.read_text("utf-8")
    return parse(text), text, json.loads(j.output)


def pct(x: float) -> str:
    return f"{x:.1f}"


def two(x: float) -> str:
    return "∞" if math.isinf(x) else f"{x:.2f}"


def whole(x: float) -> str:
    return f"{int(x):,}" if float(x).is_integer() else f"{x:,.2f}"


def check_self_contained(p: Page, text: str) -> None:
    csp = [m for m in p.meta if m.get("http-equiv") == "Content-Security-Policy"]
    assert len(csp) == 1
    policy = csp[0]["content"] or ""
    assert "default-src 'none'" in policy and "connect-src 'none'" in policy
    assert all(not s.get("src") for s in p.scripts), "no external script"
    assert all(link.startswith("#") for link in p.links), p.links
    assert re.search(r"<link[^>]+stylesheet", text) is None
    assert text.count("Plotly") >= 1 and text.count("<script>") == 2  # plotly.js, once


def check_charts(p: Page, at_least: int) -> None:
    assert len(p.charts) >= at_least
    for c in p.charts:
        assert c.get("role") == "img" and (c.get("aria-label") or "").strip(), c
    assert p.figures == len(p.charts) == p.figcaptions


def check_no_float_shown(text: str) -> None:
    """Figures in the page and the chart labels are at fixed places (1 or 2), never a
    float's repr."""
    from tallyroom import __version__

    body = text[text.index("</style>") : text.index("<script>")]
    data = [json.loads(m) for m in re.findall(r'tallyroom-data">(.*?)</script>', body, re.S)]
    assert data
    for d in data:
        for c in d["charts"]:
            for t in c["figure"]["data"]:
                for label in [*t.get("text", []), *t.get("customdata", [])]:
                    for m in re.findall(r"\d+\.\d+", str(label)):
                        assert len(m.split(".")[1]) in (1, 2), label
    shown = re.sub(r'tallyroom-data">.*?</script>', "", body, flags=re.S)
    shown = shown.replace(__version__, "")
    for m in re.findall(r"\d+\.\d+", shown):
        assert len(m.split(".")[1]) in (1, 2), m


# --------------------------------------------------------------------------- compare


METHODS = "scottish-stv,block-vote,meek-stv,fptp,irv"


def test_compare_tables_equal_json(tmp_path: Path) -> None:
    p, text, data = run(tmp_path, "compare", "compare", str(WARD1), "-m", METHODS)
    (c,) = data["elections"]
    ok = [o for o in c["outcomes"] if not o["error"]]
    # winners side by side: a column per rule, in election order
    w = p.table("winners")
    assert w["head"][1:] == [
        o["method"] + (" (single member)" if o["single_member"] else "") for o in ok
    ]
    for i, o in enumerate(ok):
        column = [cells[i] for cells in w["rows"].values()]
        assert [x for x in column if x] == o["elected"]
    # seats by group against first preferences
    # a column per group, a row per rule: "seats (share%)"
    g = p.table("groups")
    assert g["head"][0] == "Rule" and set(g["head"][1:]) == set(c["first_preferences"])
    assert list(g["rows"]) == ["First preferences"] + [f"{o['method']} seats" for o in ok]
    for j, group in enumerate(g["head"][1:]):
        assert g["rows"]["First preferences"][j] == (
            f"{whole(c['first_preferences'][group])} ({pct(c['first_preference_share'][group])}%)"
        )
        for o in ok:
            seats = o["seats_by_group"].get(group, 0)
            share = pct(100 * seats / sum(o["seats_by_group"].values()))
            assert g["rows"][f"{o['method']} seats"][j] == f"{seats} ({share}%)"
    # the indices
    ix = p.table("indices")
    assert list(ix["rows"]) == [o["method"] for o in ok]
    for o in ok:
        i, r = o["indices"], o["represented"]
        assert ix["rows"][o["method"]] == [
            two(i["gallagher"]),
            two(i["loosemore_hanby"]),
            two(i["sainte_lague"]),
            two(i["enp_votes"]),
            two(i["enp_seats"]),
            pct(100 * r["first_choice_share"]),
            pct(100 * r["ranked_a_winner_share"]),
        ]
    check_self_contained(p, text)
    check_charts(p, 1)
    check_no_float_shown(text)
    for t in p.tables:
        assert t["caption"].strip()


def test_compare_many_files_total_equals_json(tmp_path: Path) -> None:
    files = sorted(str(f) for f in SCOTLAND.glob("aberdeen_2017_ward*.blt"))[:4]
    args = ["compare", *files, "-m", "scottish-stv,block-vote,fptp", "--alias", "C=Con"]
    p, text, data = run(tmp_path, "total", *args)
    assert "elections" not in data and not p.table("groups")["rows"] == {}
    total = data["total"]
    g = p.table("groups")  # only the total: --each is off with many files
    assert len([t for t in p.tables if "groups" in t["class"].split()]) == 1
    for j, group in enumerate(g["head"][1:]):
        fp = g["rows"]["First preferences"][j]
        assert fp.endswith(f"({pct(total['first_preference_share'][group])}%)")
        for m, d in total["methods"].items():
            seats, share = d["seats_by_group"].get(group, 0), d["seat_share"].get(group, 0.0)
            assert g["rows"][f"{m} seats"][j] == f"{seats} ({pct(share)}%)"
    ix = p.table("indices")
    for m, d in total["methods"].items():
        assert ix["rows"][m][0] == two(d["indices"]["gallagher"])
        assert ix["rows"][m][5] == pct(100 * d["represented"]["first_choice_share"])
    assert "fptp: one member per election (4 seats)." in "".join(p.text)
    check_self_contained(p, text)
    check_charts(p, 1)


# --------------------------------------------------------------------------- simulate


def test_simulate_tables_equal_json(tmp_path: Path) -> None:
    args = ["simulate", "-n", "12", "--voters", "300", "-m", "block-vote,meek-stv"]
    p, text, data = run(tmp_path, "simulate", *args)
    groups = p.table("groups")["head"][1:]  # a column per group, in the report's order
    splits = p.table("splits")
    assert splits["head"] == ["Seats by group", "block-vote", "meek-stv"]
    for k, m in enumerate(["block-vote", "meek-stv"]):
        expected = {
            " – ".join(f"{g} {s['seats'].get(g, 0)}" for g in groups): s["elections"]
            for s in data["seat_splits"][m]
        }
        shown = {lab: int(cells[k]) for lab, cells in splits["rows"].items() if cells[k] != "0"}
        assert shown == expected
        assert sum(shown.values()) == 12
    means = p.table("means")
    for m, cells in means["rows"].items():
        seats = data["total"]["methods"][m]["seats_by_group"]
        assert cells == [two(seats.get(g, 0) / 12) for g in means["head"][1:]]
    g = p.table("groups")
    for j, group in enumerate(g["head"][1:]):
        share = data["total"]["first_preference_share"][group]
        assert g["rows"]["First preferences"][j].endswith(f"({pct(share)}%)")
        seats = data["total"]["methods"]["block-vote"]["seats_by_group"].get(group, 0)
        assert g["rows"]["block-vote seats"][j].startswith(f"{seats} (")
    ix = p.table("indices")
    for m, d in data["total"]["methods"].items():
        assert ix["rows"][m][:2] == [
            two(d["indices"]["gallagher"]),
            two(d["indices"]["loosemore_hanby"]),
        ]
    check_self_contained(p, text)
    check_charts(p, 2)  # the splits, and seat share against vote share
    check_no_float_shown(text)
    scatter = [c for c in p.charts if "Scatter plot of seat share" in (c["aria-label"] or "")]
    assert scatter


# --------------------------------------------------------------------------- demo


def test_demo_tables_equal_json_and_say_synthetic(tmp_path: Path) -> None:
    p, text, data = run(tmp_path, "nec", "demo", "nec2016", "-n", "12")
    words = " ".join("".join(p.text).split())
    assert "The ballots in this report are synthetic." in words
    assert text.index('class="synthetic"') < text.index("<main")  # said before anything else
    pub = p.table("published")
    assert {k: int(v[1].replace(",", "")) for k, v in pub["rows"].items()} == data["published"]
    d = p.table("distribution")
    methods = list(data["methods"])
    for k, m in enumerate(methods):
        shown = {lab: int(c[2 * k]) for lab, c in d["rows"].items() if c[2 * k] != "0"}
        assert shown == data["methods"][m]["distribution"]
        for c in d["rows"].values():
            assert c[2 * k + 1] == pct(100 * int(c[2 * k]) / 12)
    assert d["rows"]["6-0-0"][:2] == ["12", "100.0"]
    means = p.table("means")
    for m in methods:
        assert means["rows"][m] == [two(v) for v in data["methods"][m]["mean_seats"].values()]
    assert "assumptions that drive the STV outcome" in words and "crossover" in words
    check_self_contained(p, text)
    check_charts(p, 1)
    check_no_float_shown(text)


# --------------------------------------------------------------------------- in a browser


def _browser_available() -> bool:
    return bool(os.path.exists(CHROMIUM) or shutil.which("chromium"))


@pytest.mark.skipif(
    not _browser_available() and not os.environ.get("CI"),
    reason=f"Chromium is not installed at {CHROMIUM} (run .ci/install-browser)",
)
def test_reports_draw_in_a_browser(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    pages = {
        "analysis-compare": ["compare", str(WARD1), "-m", METHODS],
        "analysis-simulate": ["simulate", "-n", "10", "--voters", "300"],
        "analysis-nec2016": ["demo", "nec2016", "-n", "10"],
    }
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            for name, args in pages.items():
                path = tmp_path / f"{name}.html"
                r = CliRunner().invoke(cli, [*args, "--format", "html", "-o", str(path)])
                assert r.exit_code == 0, r.output
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                problems: list[str] = []
                requests: list[str] = []
                page.on(
                    "console",
                    lambda m, pr=problems: (
                        pr.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None
                    ),
                )
                page.on("pageerror", lambda e, pr=problems: pr.append(f"page error: {e}"))
                page.on("request", lambda q, rq=requests: rq.append(q.url))
                page.goto(path.as_uri())
                page.wait_for_function("document.documentElement.dataset.charts", timeout=60_000)
                assert page.evaluate("document.documentElement.dataset.charts") == "drawn"
                assert problems == [], (name, problems)
                assert [u for u in requests if not u.startswith("file:")] == []
                marks = page.evaluate(
                    """() => Array.from(document.querySelectorAll('.chart')).map(c =>
                         c.querySelectorAll('.bars path, .scatterlayer .points path').length)"""
                )
                assert marks and all(m > 0 for m in marks), (name, marks)
                ARTIFACTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
                page.close()
        finally:
            browser.close()
