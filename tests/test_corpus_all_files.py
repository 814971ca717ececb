"""Every ballot file of the corpus: it parses, every paper is accounted for, it counts, and
BLT -> JSON -> BLT gives back the same profile."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from tallyroom.ballots.formats import read
from tallyroom.ballots.formats.blt import read_blt, write_blt
from tallyroom.ballots.formats.json_format import write_json
from tallyroom.rules import count

DATA = Path(__file__).parent / "data"
SCOTLAND = sorted((DATA / "scotland" / "ballots").glob("*.blt"))
DROOP = sorted((DATA / "droop" / "blt").rglob("*.blt"))


def test_the_whole_scottish_set_is_here() -> None:
    assert len(SCOTLAND) == 1100


@pytest.mark.slow
@pytest.mark.corpus
@pytest.mark.parametrize("path", SCOTLAND + DROOP, ids=lambda p: p.name)
def test_parse_count_and_round_trip(path: Path) -> None:
    profile = read_blt(path)
    assert profile.ballots_read == profile.valid + sum(profile.invalid.values())
    assert profile.valid > 0

    record = count(profile, "scottish-stv")
    record.check_balance()
    assert len(record.elected) == profile.election.seats

    as_json = io.StringIO()
    write_json(profile, as_json)
    back = read(io.BytesIO(as_json.getvalue().encode()), "json")
    as_blt = io.StringIO()
    write_blt(back, as_blt)
    again = read_blt(io.BytesIO(as_blt.getvalue().encode()))
    assert again.same_as(profile)
    assert again.election.title == profile.election.title
