"""The HTML report read back with html.parser: every figure equals the JSON record, the
page is self-contained, tables are real tables, and non-STV records show their views."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from fractions import Fraction
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tallyroom.audit import sha256_file
from tallyroom.ballots.formats.blt import read_blt
from tallyroom.numbers import Rounding, parse_decimal, round_fraction
from tallyroom.record import CountRecord, Stage
from tallyroom.reports import render
from tallyroom.reports.json import to_dict
from tallyroom.rules import count

DATA = Path(__file__).parent / "data" / "scotland" / "ballots"


class Tables(HTMLParser):
    """Every <table>: its caption, and rows of (tag, attrs, text) cells."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[dict] = []
        self._cell: list | None = None
        self._in_caption = False
        self._skip = 0  # inside a status tag (<span class="tag">)
        self.scripts: list[dict[str, str | None]] = []
        self.links: list[str] = []
        self.figures = 0
        self.labelled_charts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table":
            self.tables.append({"caption": "", "rows": [], "class": a.get("class") or ""})
        elif tag == "caption":
            self._in_caption = True
        elif tag == "tr" and self.tables:
            self.tables[-1]["rows"].append([])
        elif tag in ("td", "th") and self.tables:
            self._cell = [tag, a, ""]
        elif tag == "span" and a.get("class") == "tag":
            self._skip += 1
        if tag == "script":
            self.scripts.append(a)
        for key in ("src", "href"):
            if a.get(key):
                self.links.append(a[key] or "")
        if tag == "figure":
            self.figures += 1
        if tag == "div" and "chart" in (a.get("class") or "").split():
            if a.get("role") == "img" and "aria-label" in a:
                self.labelled_charts += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "caption":
            self._in_caption = False
        elif tag in ("td", "th") and self._cell is not None:
            self.tables[-1]["rows"][-1].append(
                (self._cell[0], self._cell[1], self._cell[2].strip())
            )
            self._cell = None
        elif tag == "span" and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if self._in_caption and self.tables:
            self.tables[-1]["caption"] += data
        elif self._cell is not None and not self._skip:
            self._cell[2] += data


def parse(page: str) -> Tables:
    p = Tables()
    p.feed(page)
    return p


def stage_table(p: Tables) -> dict:
    return next(t for t in p.tables if "stages" in t["class"].split())


def check_table_against_json(record: CountRecord, page: str) -> int:
    """Every figure of the stage table equals the JSON record; returns how many were checked."""
    result = to_dict(record)
    exact = record.places is None
    table = stage_table(parse(page))
    assert table["caption"] == "Stage by stage"
    rows = table["rows"]
    stages = [s for s in result["stages"] if s["totals"]]
    # which stages have a transfer column: the second header row has a pair for each
    with_transfer = [s["transfers"] != s["totals"] and bool(s["transfers"]) for s in stages]
    body = [r for r in rows if r and r[0][0] == "th" and r[0][1].get("scope") == "row"]

    def num(v: str) -> Fraction:
        # an exact count's JSON holds exact values ("p/q" where not decimal); the page
        # shows them at 9 places, rounded half up
        f = Fraction(v)
        return round_fraction(f, 9, Rounding.HALF_UP) if exact else f

    def same(shown: str, expected: str | None) -> bool:
        if expected is None:
            return shown == ""
        if exact:  # the JSON's exact-count figures are at 9 places; the page may show fewer
            return parse_decimal(shown) == num(expected)
        return shown == expected

    checked = 0
    by_label = {r[0][2]: [c[2] for c in r[1:]] for r in body}
    for name in result["candidates"]:
        cells = iter(by_label[name])
        for s, t in zip(stages, with_transfer):
            if t:
                shown = next(cells)
                v = s["transfers"].get(name)
                if v is None or num(v) == 0:
                    assert shown == "", (s["number"], name, shown)
                else:
                    assert parse_decimal(shown) == num(v), (s["number"], name)
                    assert shown.lstrip("+") == v.lstrip("+") or exact
                checked += 1
            assert same(next(cells), s["totals"].get(name)), (s["number"], name)
            checked += 1
    # non-transferable, rounding loss, exhausted papers and the total row
    for label, key in (("Non-transferable", "exhausted"), ("Rounding loss", "loss")):
        cells = iter(by_label[label])
        prev = None
        for s, t in zip(stages, with_transfer):
            if t:
                shown = next(cells)
                if prev is not None:
                    change = num(s[key]) - prev
                    got = parse_decimal(shown) if shown else 0
                    # an exact count rounds the change itself, not the two totals
                    assert abs(got - change) <= (Fraction(1, 10**9) if exact else 0)
            assert same(next(cells), s[key])
            prev = num(s[key])
            checked += 1
    cells = iter(by_label["Exhausted papers"])
    for s, t in zip(stages, with_transfer):
        if t:
            assert next(cells) == ""
        assert parse_decimal(next(cells)) == num(s["exhausted_papers"])
    cells = iter(by_label["Total"])
    for t in with_transfer:
        if t:
            next(cells)
        assert parse_decimal(next(cells)) == num(result["valid"])
    if "Quota" in by_label:
        cells = iter(by_label["Quota"])
        for s, t in zip(stages, with_transfer):
            if t:
                next(cells)
            assert same(next(cells), s["quota"])
    return checked


@pytest.fixture(scope="module")
def ward() -> CountRecord:
    return count(read_blt(DATA / "aberdeen_2017_ward1.blt"), "scottish-stv")


@pytest.fixture(scope="module")
def tied_ward() -> CountRecord:
    return count(read_blt(DATA / "renfrewshire_2017_ward3.blt"), "scottish-stv")


@pytest.fixture(scope="module")
def ward_page(ward: CountRecord) -> str:
    return render([ward], "html")


def test_stage_table_equals_json(ward: CountRecord, ward_page: str) -> None:
    # 7 candidates: 6 totals + 5 transfers each
    assert check_table_against_json(ward, ward_page) == 7 * 11 + 2 * 6


def test_stage_table_equals_json_in_a_count_with_ties(tied_ward: CountRecord) -> None:
    assert check_table_against_json(tied_ward, render([tied_ward], "html")) > 100


def test_exact_count_table_equals_json() -> None:
    record = count(read_blt(DATA / "aberdeen_2017_ward1.blt"), "wigm-stv")
    assert record.places is None
    check_table_against_json(record, render([record], "html"))


def test_tables_are_real_tables(ward_page: str) -> None:
    p = parse(ward_page)
    assert len(p.tables) >= 4
    for t in p.tables:
        assert t["caption"].strip(), "every table has a caption"
        for row in t["rows"]:
            for tag, attrs, _ in row:
                if tag == "th":
                    assert attrs.get("scope") in ("row", "col", "colgroup")
    table = stage_table(p)
    heads = [c for r in table["rows"] for c in r if c[1].get("scope") == "colgroup"]
    assert [c[2].split()[1] for c in heads] == ["1", "2", "3", "4", "5", "6"]


def test_page_is_self_contained(ward_page: str) -> None:
    p = parse(ward_page)
    assert all(not s.get("src") for s in p.scripts), "no external script"
    assert all(link.startswith("#") for link in p.links), p.links
    assert 'http-equiv="Content-Security-Policy"' in ward_page
    assert "default-src 'none'" in ward_page and "connect-src 'none'" in ward_page
    assert "Plotly" in ward_page  # plotly.js is embedded whole
    assert re.search(r"<link[^>]+stylesheet", ward_page) is None


def test_page_states_rule_options_version_and_hash(ward: CountRecord, ward_page: str) -> None:
    from tallyroom import __version__

    p = parse(ward_page)
    kv = {
        t["caption"]: {r[0][2]: r[1][2] for r in t["rows"] if len(r) == 2}
        for t in p.tables
        if "kv" in t["class"].split()
    }
    assert kv["The count"]["Rule"] == "Scottish STV (scottish-stv)"
    assert kv["The count"]["tallyroom version"] == __version__
    assert kv["The count"]["Ballot file SHA-256"] == sha256_file(DATA / "aberdeen_2017_ward1.blt")
    assert kv["The poll"] == {
        "Valid poll": "6608",
        "Rejected papers": "0",
        "Ballot papers read": "6608",
        "Quota": "1322.00000",
    }
    # the options in words, each with its name in tallyroom beside it
    options = {
        r[2][2]: r[1][2]
        for t in p.tables
        if t["caption"] == "Options of the rule"
        for r in t["rows"]
        if r[0][0] == "th" and r[0][1].get("scope") == "row"
    }
    assert set(options) == set(ward.options)
    assert options["places"] == "5" and options["seed"] == "1"
    ballot = next(t for t in p.tables if t["caption"] == "How ballot papers were read")
    assert ["A preference shared by several candidates", "exhaust", "overvote"] in [
        [c[2] for c in r] for r in ballot["rows"]
    ]
    # and all of it below the declaration, in a collapsed block
    assert ward_page.index("Declaration of result") < ward_page.index('<details class="how"')
    assert ward_page.index('<details class="how"') < ward_page.index("quota_form")


def test_no_float_is_shown(ward_page: str, tied_ward: CountRecord) -> None:
    from tallyroom import __version__

    # figures in text and in chart labels are decimal strings at the count's places
    for page in (ward_page, render([tied_ward], "html")):
        body = page[page.index("</style>") : page.index("<script>")]  # CSS and plotly.js aside
        data = [json.loads(m) for m in re.findall(r'tallyroom-data">(.*?)</script>', body, re.S)]
        assert data
        for d in data:
            for st in d["stages"]:
                for t in st["bar"]["data"]:
                    for label in t["text"]:
                        assert re.fullmatch(r"\d+\.\d{5}( \w+)?", label), label
                assert re.search(r"\d\.\d{6,}", st["bar_label"] + st["words"]) is None
        text = re.sub(r'tallyroom-data">.*?</script>', "", body, flags=re.S)
        text = text.replace(f"tallyroom {__version__}", "").replace(f">{__version__}<", "")
        text = re.sub(r"\d+\.\d%", "", text)  # shares are percentages to one decimal
        for m in re.findall(r"\d+\.\d+", text):
            assert len(m.split(".")[1]) == 5, m


def test_ties_in_plain_words_on_the_page(tied_ward: CountRecord) -> None:
    page = render([tied_ward], "html")
    assert "were tied with equal votes, so the order of their election had to be decided" in (
        page.replace("\n", " ")
    )
    assert "No tie had to be broken." not in page


def test_charts_have_text_alternatives(ward_page: str) -> None:
    p = parse(ward_page)
    assert p.labelled_charts >= 3  # the stage bar chart, the flow diagram, the journeys
    assert p.figures >= 3
    assert '<select id="c1-pick"' in ward_page and 'aria-live="polite"' in ward_page
    assert '<label for="c1-pick">' in ward_page


def test_several_counts_make_one_page(ward: CountRecord, tied_ward: CountRecord) -> None:
    page = render([ward, tied_ward], "html")
    assert page.count("<article") == 2 and page.count("<script>") == 2
    assert page.count('class="tallyroom-data"') == 2


# ------------------------------------------------------------------ other rules' records


def _record(**kw) -> CountRecord:  # type: ignore[no-untyped-def]
    base = dict(
        method="test",
        title="Test rule",
        rule_text="a test",
        candidates=("Ann", "Bob", "Cy"),
        seats=1,
        elected=("Ann",),
        stages=(),
        places=None,
        valid=Fraction(10),
        ballots_read=Fraction(11),
        invalid={"blank": Fraction(1)},
    )
    base.update(kw)
    return CountRecord(**base)  # type: ignore[arg-type]


def test_condorcet_matrix_is_a_table_and_a_heat_map() -> None:
    matrix = {
        "Ann": {"Ann": 0, "Bob": Fraction(6), "Cy": Fraction(7)},
        "Bob": {"Ann": Fraction(4), "Bob": 0, "Cy": Fraction(5)},
        "Cy": {"Ann": Fraction(3), "Bob": Fraction(5), "Cy": 0},
    }
    page = render([_record(method="schulze", extra={"pairwise": matrix})], "html")
    p = parse(page)
    t = next(t for t in p.tables if t["caption"] == "Pairwise")
    assert [c[2] for c in t["rows"][1]] == ["Ann", "0", "6", "7"]
    assert '"type":"heatmap"' in page
    assert "Rejected: blank" in page


def test_list_seats_and_single_poll_scores() -> None:
    stage = Stage(
        number=1,
        action="poll",
        extra={"scores": {"Ann": Fraction(9), "Bob": Fraction(2), "Cy": Fraction(4)}},
    )
    rec = _record(
        method="dhondt",
        stages=(stage,),
        extra={"seats": {"Red": 3, "Blue": 2}, "steps": [{"step": 1, "party": "Red"}]},
    )
    page = render([rec], "html")
    p = parse(page)
    captions = [t["caption"] for t in p.tables]
    assert "Seats" in captions and "Scores" in captions and "Steps" in captions
    scores = next(t for t in p.tables if t["caption"] == "Scores")
    assert [r[1][2] for r in scores["rows"][1:]] == ["9", "2", "4"]
    assert page.count('"type":"bar"') >= 2


def test_block_vote_report() -> None:
    record = count(read_blt(DATA / "aberdeen_2017_ward1.blt"), "block-vote")
    page = render([record], "html")
    p = parse(page)
    assert p.labelled_charts >= 1
    scores = next(t for t in p.tables if t["caption"] == "Scores")
    shown = {r[0][2]: r[1][2] for r in scores["rows"][1:]}
    assert shown == {k: str(v) for k, v in record.stages[0].extra["scores"].items()}


def test_plotly_is_imported_only_for_html() -> None:
    code = (
        "import sys\n"
        "from tallyroom.ballots.formats.blt import read_blt\n"
        "from tallyroom.rules import count\n"
        "from tallyroom.reports import render\n"
        f"r = count(read_blt({str(DATA / 'aberdeen_2017_ward1.blt')!r}), 'scottish-stv')\n"
        "for f in ('text', 'json', 'csv'): render([r], f)\n"
        "assert 'plotly' not in sys.modules, 'plotly imported'\n"
        "render([r], 'html')\n"
        "assert 'plotly' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
