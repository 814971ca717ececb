"""The election file (TOML) and the named presets: a published count is one command.

Facts checked are published ones: the official 2017 stage sheet of Aberdeen ward 1
(tests/data/scotland/official-2017, gerrymulvenna/council17) and the official Minneapolis
rounds that RCTab's expected reports hold (tests/data/rctab, BrightSpots/rcv).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from fractions import Fraction
from pathlib import Path

import pytest

from tallyroom import CountRecord
from tallyroom.cli import main
from tallyroom.errors import ElectionFileError
from tallyroom.reports import render
from tallyroom.rules.election_file import count_election, load_election
from tallyroom.rules.election_presets import PRESETS

ROOT = Path(__file__).parent.parent
DATA = Path(__file__).parent / "data"
RCTAB = DATA / "rctab" / "test_data"
EXAMPLE = ROOT / "src" / "tallyroom" / "examples" / "aberdeen_2017_ward1.toml"
OFFICIAL_WARD1 = DATA / "scotland" / "official-2017" / "aberdeen_2017_ward1.expected.json"
WARD = DATA / "scotland" / "ballots" / "aberdeen_2017_ward1.blt"


def run(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_:
        main([str(a) for a in args])
    out = capsys.readouterr()
    return int(exit_.value.code or 0), out.out, out.err


def _same_as_rctab(record: CountRecord, expected: dict) -> None:  # type: ignore[type-arg]
    """Every round's tallies, threshold and eliminations as RCTab's report gives them."""
    results = expected["results"]
    assert len(record.stages) == len(results)
    for stage, want in zip(record.stages, results):
        assert dict(stage.totals) == {k: Fraction(v) for k, v in want["tally"].items()}
        assert stage.quota == Fraction(want["threshold"])
        out = sorted(t["eliminated"] for t in want["tallyResults"] if "eliminated" in t)
        assert sorted(stage.excluded) == out, stage.number
    winners = [t["elected"] for r in results for t in r["tallyResults"] if "elected" in t]
    assert list(record.elected) == winners


# ------------------------------------------------------------------ the shipped example


def test_the_shipped_example_gives_the_official_result() -> None:
    official = json.loads(OFFICIAL_WARD1.read_text())
    record = count_election(EXAMPLE)
    assert record.seats == official["seats"] == 4
    assert record.valid == official["valid_poll"] and record.quota == official["quota"]
    assert [(n, record.election_reasons()[n][0]) for n in record.elected] == [
        (e["name"], e["count"]) for e in official["elected_in_order"]
    ]
    for stage, want in zip(record.stages, official["stages"], strict=True):
        assert {n: str(v) for n, v in stage.totals.items()} == {
            n: str(Fraction(v)) for n, v in want["totals"].items()
        }, stage.number
    # the file's own facts, on the record and in the JSON contract
    assert record.election_title == "Dyce/Bucksburn/Danestone (Ward 1)"
    assert (record.organisation, record.office, record.date) == (
        "Aberdeen City Council",
        "Councillor",
        "2017-05-04",
    )
    assert record.election_file == str(EXAMPLE)
    assert record.election_file_sha256 == hashlib.sha256(EXAMPLE.read_bytes()).hexdigest()
    again = CountRecord.from_json(render([record], "json"))
    assert again == record


def test_count_takes_the_election_file_and_keeps_it_with_the_result(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = run(capsys, "count", EXAMPLE, "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["election"]["title"] == "Dyce/Bucksburn/Danestone (Ward 1)"
    assert doc["input"]["election_file"] == str(EXAMPLE)
    assert doc["input"]["election_file_sha256"] == hashlib.sha256(EXAMPLE.read_bytes()).hexdigest()
    assert doc["elected"][-1] == "Gill SAMARAI (SNP)"
    code, out, _ = run(capsys, "count", EXAMPLE)
    assert out.startswith("Dyce/Bucksburn/Danestone (Ward 1)\n")
    assert "Aberdeen City Council · Councillor · 2017-05-04" in out
    assert "Election file: " in out
    assert f"SHA-256:       {hashlib.sha256(EXAMPLE.read_bytes()).hexdigest()}" in out


def test_options_beside_an_election_file_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "count", EXAMPLE, "-m", "irv", "--seats", "3")
    assert code == 2
    assert "--method, --seats: an election file says how it is counted" in err
    code, _, err = run(capsys, "count", EXAMPLE, WARD, "-m", "scottish-stv")
    assert code == 2 and "not both" in err
    # how the result is written is not the count's business: allowed
    code, out, _ = run(capsys, "count", EXAMPLE, "--format", "csv")
    assert code == 0 and out.startswith("source,method,stage")


# ------------------------------------------------------------------ Minneapolis


def test_minneapolis_2013_mayor_is_one_command(capsys: pytest.CaptureFixture[str]) -> None:
    # docs/examples/minneapolis-2013-mayor.toml, the preset minneapolis-irv-2013:
    # the official 33 rounds (RCTab's expected report of the city's count)
    example = ROOT / "docs" / "examples" / "minneapolis-2013-mayor.toml"
    d = RCTAB / "2013_minneapolis_mayor"
    expected = json.loads((d / "2013_minneapolis_mayor_expected_detailed_report.json").read_text())
    code, out, err = run(capsys, "count", example, "--format", "json")
    assert code == 0, err
    record = CountRecord.from_json(out)
    assert record.preset == "minneapolis-irv-2013"
    assert record.ballots_read == int(expected["summary"]["totalNumBallots"]) == 80101
    assert record.election_title == expected["config"]["contest"] == "2013 Minneapolis Mayor"
    _same_as_rctab(record, expected)


def test_minneapolis_2017_mayor_with_the_preset_on_the_command_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    d = RCTAB / "2017_minneapolis_mayor"
    expected = json.loads((d / "2017_minneapolis_mayor_expected_detailed_report.json").read_text())
    code, out, err = run(
        capsys,
        "count",
        d / "2017_minneapolis_mayor_cvr.xlsx",
        "--preset",
        "minneapolis-irv-2017",
        "--format",
        "json",
    )
    assert code == 0, err
    record = CountRecord.from_json(out)
    assert record.preset == "minneapolis-irv-2017"
    assert dict(record.ballot_rules) == {
        "overvote": "skip",
        "skipped_ranks": 1,
        "duplicates": "skip",
    }
    _same_as_rctab(record, expected)
    assert record.elected == ("Jacob Frey",)
    # the preset names the rule: -m beside it is refused
    code, _, err = run(
        capsys,
        "count",
        d / "2017_minneapolis_mayor_cvr.xlsx",
        "--preset",
        "minneapolis-irv-2017",
        "-m",
        "irv",
    )
    assert code == 2 and "--preset names the rule" in err


def test_minneapolis_2013_park_board_example() -> None:
    example = ROOT / "docs" / "examples" / "minneapolis-2013-park-board.toml"
    expected = json.loads(
        (
            RCTAB / "2013_minneapolis_park" / "2013_minneapolis_park_expected_detailed_report.json"
        ).read_text()
    )
    winners = [
        t["elected"] for r in expected["results"] for t in r["tallyResults"] if "elected" in t
    ]
    record = count_election(example)
    assert list(record.elected) == winners == ["JOHN ERWIN", "ANNIE YOUNG", "MEG FORNEY"]
    assert record.seats == 3 and record.places == 4


def test_every_preset_is_a_rule_with_options_it_takes() -> None:
    from tallyroom.ballots.model import BallotRules
    from tallyroom.rules import get

    for p in PRESETS.values():
        rule = get(p.rule)
        assert rule.check_options(dict(p.options)) == dict(p.options)
        BallotRules(**p.ballot_rules)
        assert p.summary and p.source and p.reproduces


# ------------------------------------------------------------------ what the file may say


def _election(tmp_path: Path, body: str) -> Path:
    shutil.copy(WARD, tmp_path / "ward.blt")
    path = tmp_path / "election.toml"
    path.write_text('ballots = "ward.blt"\n' + body, encoding="utf-8")
    return path


def test_withdrawals_ties_candidates_and_constraints(tmp_path: Path) -> None:
    path = _election(
        tmp_path,
        """
rule = "block-vote"
withdrawn = ["Coral DUTHIE (Ind)"]
[ties]
seed = 7
[candidates."Gill SAMARAI (SNP)"]
party = "SNP"
[candidates."Neil MACGREGOR (SNP)"]
party = "SNP"
[[constraint]]
party = "SNP"
max = 1
""",
    )
    e = load_election(path)
    assert e.request.withdrawn == ("Coral DUTHIE (Ind)",)
    assert e.request.ties.seed == 7
    assert [c.describe() for c in e.request.constraints] == ["party=SNP:max=1"]
    record = count_election(path)
    assert record.withdrawn == ("Coral DUTHIE (Ind)",)
    # at most one of the two SNP candidates among the four elected (the constraint held)
    snp = {"Gill SAMARAI (SNP)", "Neil MACGREGOR (SNP)"}
    assert len(snp & set(record.elected)) == 1 and len(record.elected) == 4


@pytest.mark.parametrize(
    ("body", "key", "expected"),
    [
        ('rule = "scottish-stv"\ntitel = "x"\n', "titel", "title (the nearest)"),
        ('rule = "scotish-stv"\n', "rule", "scottish-stv (the nearest)"),
        ("", "rule", 'rule = "RULE" or preset = "NAME"'),
        ('preset = "minneapolis"\n', "preset", "minneapolis-irv-2013"),
        ('rule = "irv"\npreset = "minneapolis-irv-2013"\n', "rule", "no rule beside preset"),
        ('rule = "irv"\n[options]\nbatch = "maybe"\n', "options.batch", "true or false"),
        ('rule = "irv"\n[options]\nbach = true\n', "options.bach", "batch (the nearest)"),
        ('rule = "dhondt"\n[options]\nthreshold = 0.05\n', "options.threshold", "an exact number"),
        ('rule = "scottish-stv"\nseats = 0\n', "seats", "1 or more"),
        ('rule = "scottish-stv"\nseats = "four"\n', "seats", "a whole number of seats"),
        ('rule = "scottish-stv"\ndate = 2017\n', "date", "text in double quotes"),
        ('rule = "irv"\n[ballot_rules]\novervote = "ignore"\n', "ballot_rules.overvote", "skip"),
        ('rule = "irv"\n[ballot_rules]\nskip = 1\n', "ballot_rules.skip", "skipped_ranks"),
        ('rule = "irv"\n[ties]\nseed = "x"\n', "ties.seed", "a whole number"),
        ('rule = "irv"\ncandidates = "nope.csv"\n', "candidates", "no file at"),
        (
            'rule = "block-vote"\n[[constraint]]\nparty = "SNP"\nmn = 1\n',
            "[[constraint]] 1",
            "min = N and/or max = N",
        ),
        ('rule = "irv"\nformat = "bltt"\n', "format", "one of the formats"),
    ],
)
def test_a_bad_election_file_is_refused_naming_the_key(
    tmp_path: Path, body: str, key: str, expected: str
) -> None:
    path = _election(tmp_path, body)
    with pytest.raises(ElectionFileError) as e:
        load_election(path)
    assert e.value.path == str(path) and e.value.key == key
    assert str(e.value).startswith(f"{path}: {key}: found ")
    assert expected in e.value.expected


def test_a_name_the_ballot_file_does_not_know(tmp_path: Path) -> None:
    path = _election(tmp_path, 'rule = "scottish-stv"\nwithdrawn = ["Nobody"]\n')
    with pytest.raises(ElectionFileError) as e:
        count_election(path)
    assert e.value.key == "withdrawn"
    assert "'Nobody', not a candidate of ward.blt" in str(e.value)


def test_toml_syntax_errors_name_the_line_and_column(tmp_path: Path) -> None:
    path = _election(tmp_path, 'rule = "scottish-stv\n')
    with pytest.raises(ElectionFileError) as e:
        load_election(path)
    assert (e.value.line, e.value.column) == (2, 21)
    assert str(e.value).startswith(f"{path}:2:21: found text that is not TOML")


def test_a_missing_ballot_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "e.toml"
    path.write_text('ballots = "gone.blt"\nrule = "irv"\n')
    code, _, err = run(capsys, "count", path)
    assert code == 2
    assert err.startswith(f"tallyroom: error: {path}: ballots: found text 'gone.blt'; expected")
