"""The record is self-sufficient: its JSON (``tallyroom.result/1``) holds every number
exactly and loads back into an equal :class:`CountRecord`, and the reports rendered from
the loaded record are byte-identical to those from the original -- with the ballot file
gone in between (a report reads only the record; a ballot box has no file)."""

from __future__ import annotations

import hashlib
import json
import shutil
from fractions import Fraction
from pathlib import Path

import pytest

import tallyroom
from tallyroom.ballots.formats import read
from tallyroom.ballots.model import Candidate, Election, Profile
from tallyroom.errors import RecordError, TallyroomError
from tallyroom.record import CountRecord
from tallyroom.reports import render
from tallyroom.reports.json import dumps, exact_number
from tallyroom.rules import count, rules

DATA = Path(__file__).parent / "data"
WARD = Path(tallyroom.__file__).parent / "examples" / "aberdeen_2017_ward1.blt"
SCOTLAND = sorted((DATA / "scotland" / "ballots").glob("*.blt"))
#: every other ranked ballot file of the corpus, in each format tallyroom reads
OTHERS = sorted(
    [p for p in DATA.rglob("*.blt") if "scotland" not in p.parts]
    + list((DATA / "blt-dialects").glob("*.stv"))
    + list(DATA.rglob("*.soi"))
)
REPORTS = ("text", "csv", "html", "json")


def _round_trip(records: list[CountRecord], remove: list[Path]) -> None:
    before = {fmt: render(records, fmt) for fmt in REPORTS}
    for path in remove:
        path.unlink()
    loaded = [CountRecord.from_json(dumps(r)) for r in records]
    for original, back in zip(records, loaded):
        assert back == original
    for fmt in REPORTS:
        assert render(loaded, fmt) == before[fmt], fmt


def _copied(paths: list[Path], tmp_path: Path) -> list[Path]:
    out = []
    for k, p in enumerate(paths):
        target = tmp_path / f"{k}-{p.name}"
        shutil.copyfile(p, target)
        out.append(target)
    return out


def test_numbers_are_exact() -> None:
    assert exact_number(Fraction(1322), 5) == "1322.00000"
    assert exact_number(Fraction(1, 3), 5) == "1/3"
    assert exact_number(Fraction(1, 3), None) == "1/3"
    assert exact_number(Fraction(1, 8), 2) == "0.125"  # more places where the value needs them
    assert exact_number(Fraction(-7, 4), None) == "-1.750000000"
    # a finite decimal of 40 places is written in full, not rounded to 9
    assert len(exact_number(Fraction(5, 2**40), None)) == len("0.") + 40
    assert Fraction(exact_number(Fraction(5, 2**40), None)) == Fraction(5, 2**40)


def test_an_exact_count_is_written_exactly() -> None:
    # wigm-stv counts in exact rationals: its transfer values and transfers are not decimals
    record = count(read(WARD), "wigm-stv")
    doc = json.loads(dumps(record))
    values = [
        v
        for s in doc["stages"]
        for v in (*s["totals"].values(), *s["transfers"].values(), s["exhausted"], s["loss"])
    ]
    assert any("/" in v for v in values)
    back = CountRecord.from_json(doc)
    assert back == record
    assert [dict(s.transfers) for s in back.stages] == [dict(s.transfers) for s in record.stages]


def test_the_record_names_its_input_and_election(tmp_path: Path) -> None:
    ward = _copied([WARD], tmp_path)[0]
    record = count(read(ward), "scottish-stv")
    assert record.source_sha256 == hashlib.sha256(WARD.read_bytes()).hexdigest()
    assert record.election_title  # the BLT's title line
    doc = json.loads(dumps(record))
    assert doc["input"]["sha256"] == record.source_sha256
    assert doc["election"]["title"] == record.election_title
    # the HTML report shows the digest from the record, the file gone
    ward.unlink()
    assert record.source_sha256 in render([record], "html")


def test_a_ballot_box_has_the_digest_of_its_ballots() -> None:
    e = Election((Candidate("A"), Candidate("B"), Candidate("C")), 1, title="Chair")
    one = Profile.build(e, [((0, 1), 3), ((1,), 2), ((2, 0), 4)])
    other = Profile.build(e, [((2, 0), 4), ((0, 1), 3), ((1,), 2)])
    changed = Profile.build(e, [((0, 1), 3), ((1,), 2), ((2, 0), 5)])
    r = count(one, "irv")
    assert r.source_sha256 and r.source_sha256 == count(other, "irv").source_sha256
    assert r.source_sha256 != count(changed, "irv").source_sha256
    assert CountRecord.from_json(dumps(r)) == r


def test_load_result(tmp_path: Path) -> None:
    record = count(read(WARD), "ers97-stv")
    path = tmp_path / "result.json"
    path.write_text(render([record], "json"), encoding="utf-8")
    assert tallyroom.load_result(path) == record
    with path.open(encoding="utf-8") as f:
        assert tallyroom.load_result(f) == record


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[]",
        '{"format": "tallyroom.result/2"}',
        '{"format": "tallyroom.result/1", "method": "x"}',
        # a float where an exact number belongs
        '{"format": "tallyroom.result/1", "method": "m", "title": "t", "seats": 1,'
        ' "candidates": ["A"], "stages": [{"number": 1, "action": "a", "totals": {"A": 1.5}}]}',
    ],
)
def test_not_a_record_is_refused(text: str) -> None:
    with pytest.raises(RecordError):
        CountRecord.from_json(text)


def _every_rule_records() -> list[CountRecord]:
    ranked = read(WARD)
    e = Election(tuple(Candidate(n) for n in "ABCDE"), 2, title="Committee")
    approval = Profile.build(e, [((0, 1), 5), ((1, 2), 3), ((3,), 4), ((0, 4), 2)], kind="approval")
    single = ranked.with_election(ranked.election.with_changes(seats=1))
    out = []
    for rule in rules():
        for p in (ranked, single, approval):
            try:
                out.append(count(p, rule.id))
            except TallyroomError:
                continue
            break
        else:
            raise AssertionError(f"no profile here that {rule.id} counts")
    return out


def test_every_rule_round_trips() -> None:
    records = _every_rule_records()
    assert {r.method for r in records} == {r.id for r in rules()}
    _round_trip(records, [])


def test_party_list_tables_round_trip() -> None:
    from tallyroom.ballots.votetable import read_votetable
    from tallyroom.rules.lists import count_table

    table = read_votetable(DATA / "list-pr" / "cz_psp_2017.csv")
    r = count_table(table, "dhondt", 200, threshold="5%", apportionment="hare-lr")
    _round_trip([r], [])


@pytest.mark.corpus
def test_other_corpus_files_round_trip_without_the_file(tmp_path: Path) -> None:
    paths = _copied(OTHERS, tmp_path)
    records = []
    for p in paths:
        profile = read(p)
        if not profile.election.seats_given:
            # the file holds no seat count (PrefLib, CSV): multi-seat rules ask for one,
            # as `--seats 1` gives it on the command line
            profile = read(p, seats=1)
        method = "scottish-stv" if profile.election.seats > 1 else "irv"
        records.append(count(profile, method))
        records.append(count(profile, "meek-stv"))
    _round_trip(records, paths)


@pytest.mark.slow
@pytest.mark.corpus
@pytest.mark.parametrize("part", range(10))
def test_every_scottish_count_round_trips_without_the_file(tmp_path: Path, part: int) -> None:
    paths = _copied(SCOTLAND[part::10], tmp_path)
    records = [count(read(p), "scottish-stv") for p in paths]
    _round_trip(records, paths)
