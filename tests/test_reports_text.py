"""The text result sheet: its figures against the official 2017 Scottish result sheets,
read back from the printed sheet itself; 80 columns; ties in plain words."""

from __future__ import annotations

import json
import re
from fractions import Fraction
from pathlib import Path

import pytest

from tallyroom.ballots.formats.blt import read_blt
from tallyroom.numbers import Rounding, format_decimal
from tallyroom.record import CountRecord, Stage, TieBreak
from tallyroom.reports.text import WIDTH, sheet, tie_in_words
from tallyroom.rules import count

DATA = Path(__file__).parent / "data" / "scotland"

# a short count, a long one (split into several blocks), one whose sheet shortens figures
# to 2 decimals, one with long names and ties
WARDS = [
    "aberdeen_2017_ward1",
    "aberdeen_2017_ward12",
    "angus_2017_ward1",
    "renfrewshire_2017_ward3",
]

NUMBER = re.compile(r"[+-]?\d+\.\d+\*?")


def read_sheet(text: str, names: list[str]) -> dict[int, dict[str, dict[str, str]]]:
    """Parse the stage blocks of a printed sheet: {stage: {name: {"total", "transfer"}}}.

    A candidate's figures are one line (totals) or two (transfers above totals); a name too
    long for the label column stands on a line of its own above them.  Each figure ends in
    the column where its stage's heading ends.
    """
    lines = text.splitlines()
    out: dict[int, dict[str, dict[str, str]]] = {}
    i = 0
    while i < len(lines):
        head = lines[i]
        if not re.match(r"^\s+Stage \d+", head):
            i += 1
            continue
        ends = {m.end(): int(m.group(1)) for m in re.finditer(r"Stage (\d+)", head)}
        i += 2  # the heading and its rule
        groups: list[tuple[str, list[str]]] = []
        while not lines[i].startswith("---"):
            row = lines[i]
            if not NUMBER.search(row):  # a long name, on a line of its own
                groups.append((row.strip(), []))
            elif not row[:1].isspace():
                label = NUMBER.split(row)[0].strip()
                groups.append((label, [row]))
            else:
                groups[-1][1].append(row)
            i += 1
        for label, rows in groups:
            assert label in names, label
            kinds = ["total"] if len(rows) == 1 else ["transfer", "total"]
            for kind, row in zip(kinds, rows):
                for m in NUMBER.finditer(row):
                    end = m.end() - (1 if m.group().endswith("*") else 0)
                    assert end in ends, (row, end, ends)
                    cell = out.setdefault(ends[end], {}).setdefault(label, {})
                    cell[kind] = m.group().rstrip("*")
        i += 1
    return out


def _at(figure: str, value: Fraction) -> set[str]:
    places = len(figure.split(".")[1]) if "." in figure else 0
    if places in (0, 5):
        return {format_decimal(value, places, Rounding.DOWN)}
    return {
        format_decimal(value, places, Rounding.DOWN),
        format_decimal(value, places, Rounding.HALF_UP),
    }


@pytest.mark.parametrize("ward", WARDS)
def test_sheet_matches_official_figures(ward: str) -> None:
    official = json.loads((DATA / "official-2017" / f"{ward}.expected.json").read_text())
    record = count(read_blt(DATA / "ballots" / f"{ward}.blt"), "scottish-stv")
    text = sheet(record)
    printed = read_sheet(text, list(record.candidates))
    assert sorted(printed) == [s["count"] for s in official["stages"]]
    for st in official["stages"]:
        shown = printed[st["count"]]
        for name, figure in st["totals"].items():
            assert figure in _at(figure, Fraction(shown[name]["total"])), (
                st["count"],
                name,
                figure,
                shown[name],
            )
        if st["count"] == 1:
            continue
        for name, figure in st["transfers"].items():
            value = Fraction(shown[name]["transfer"]) if "transfer" in shown[name] else 0
            if isinstance(figure, str):
                assert figure.lstrip("+") in _at(figure, value) | {
                    f.lstrip("+") for f in _at(figure, value)
                }
            else:
                assert value == figure
    # the quota and valid poll are printed as the sheet has them
    assert f"Valid poll:   {official['valid_poll']}" in text
    assert f"Quota:        {official['quota']}.00000" in text
    for e in official["elected_in_order"]:
        assert f"{e['name']} (stage {e['count']})" in text


@pytest.mark.parametrize("ward", WARDS)
def test_sheet_reads_at_80_columns(ward: str) -> None:
    record = count(read_blt(DATA / "ballots" / f"{ward}.blt"), "scottish-stv")
    for line in sheet(record).splitlines():
        assert len(line) <= WIDTH, line
        assert line == line.rstrip()


def test_long_names_are_never_cut_short() -> None:
    record = count(read_blt(DATA / "ballots" / "renfrewshire_2017_ward3.blt"), "scottish-stv")
    text = sheet(record)
    assert "Jennifer Marion ADAM-MCGREGOR (SNP)\n" in text
    assert "…" not in text


def test_ties_in_plain_words() -> None:
    record = count(read_blt(DATA / "ballots" / "renfrewshire_2017_ward3.blt"), "scottish-stv")
    assert len(record.ties) == 2
    words = [tie_in_words(t) for t in record.ties]
    assert words[0] == (
        "At stage 6, Neill GRAHAM (C) and JIM SHARKEY (Lab) were tied with equal votes, so "
        "the order of their election had to be decided. JIM SHARKEY (Lab) was taken as "
        "elected first, decided by their votes at the latest earlier stage at which they "
        "differed: JIM SHARKEY (Lab) had the most votes at stage 5."
    )
    assert words[1].startswith("At stage 7, JIM SHARKEY (Lab) and Neill GRAHAM (C) were tied")
    flat = " ".join(sheet(record).split())
    assert " ".join(words[0].split()) in flat


def test_tie_by_lot_and_decision_in_words() -> None:
    lot = TieBreak(3, "exclusion", ("A", "B", "C"), "B", "by lot", "seed 7")
    assert tie_in_words(lot) == (
        "At stage 3, A, B and C were tied for exclusion, with the fewest votes. "
        "B was excluded, decided by lot: seed 7."
    )
    ro = TieBreak(2, "last seat", ("A", "B"), "A", "returning officer's decision")
    assert tie_in_words(ro) == (
        "At stage 2, A and B were tied for the last seat. A took the last seat, decided by "
        "the returning officer's decision."
    )


def test_scores_of_a_single_poll_are_printed() -> None:
    record = CountRecord(
        method="block-vote",
        title="Block vote",
        rule_text="test",
        candidates=("A", "B", "C"),
        seats=2,
        elected=("A", "C"),
        stages=(
            Stage(
                number=1,
                action="poll",
                extra={"scores": {"A": Fraction(10), "B": Fraction(3), "C": Fraction(7)}},
            ),
        ),
        places=None,
        valid=Fraction(10),
        ballots_read=Fraction(10),
    )
    text = sheet(record)
    assert "  A 10 *" in text and "  B  3\n" in text and "  C  7 *" in text
