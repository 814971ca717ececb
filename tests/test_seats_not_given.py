"""Silent defaults that changed results (issue 12): a file without a seat count, ``convert``
writing a seat count it was never told, ``convert X X``, and ``--format json`` for several
files.

The ward is Aberdeen 2017 ward 1 (4 seats; its official result in
``tests/data/scotland/official-2017/aberdeen_2017_ward1.expected.json``), written to a wide
CSV, which holds no seats.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tallyroom.ballots.formats import read, write
from tallyroom.ballots.inspect import summary
from tallyroom.cli import main
from tallyroom.errors import BallotFileError, ElectionError
from tallyroom.rules import count

DATA = Path(__file__).parent / "data"
WARD = DATA / "scotland" / "ballots" / "aberdeen_2017_ward1.blt"
OFFICIAL = DATA / "scotland" / "official-2017" / "aberdeen_2017_ward1.expected.json"


def run(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_:
        main([str(a) for a in args])
    out = capsys.readouterr()
    return int(exit_.value.code or 0), out.out, out.err


@pytest.fixture
def ward_csv(tmp_path: Path) -> Path:
    path = tmp_path / "ward1.csv"
    write(read(WARD), path)
    return path


def official_elected() -> list[str]:
    sheet = json.loads(OFFICIAL.read_text())
    return [e["name"] for e in sheet["elected_in_order"]]


def test_a_multi_seat_rule_refuses_a_file_without_seats(ward_csv: Path) -> None:
    p = read(ward_csv)
    assert not p.election.seats_given
    for rule in ("scottish-stv", "meek-stv", "block-vote", "limited-vote"):
        with pytest.raises(ElectionError, match=r"does not say how many.*--seats N"):
            count(p, rule)
    # with the seats given, the official result
    r = count(read(ward_csv, seats=4), "scottish-stv")
    assert list(r.elected) == official_elected()


def test_an_approval_committee_refuses_a_file_without_seats(tmp_path: Path) -> None:
    path = tmp_path / "approval.csv"
    path.write_text("A,B,C\n1,1,0\n0,1,1\n1,0,0\n")
    p = read(path, "csv-approval")
    assert p.kind == "approval" and not p.election.seats_given
    with pytest.raises(ElectionError, match="--seats N"):
        count(p, "pav")
    assert count(read(path, "csv-approval", seats=2), "pav").seats == 2


def test_a_single_seat_rule_needs_no_seats(ward_csv: Path) -> None:
    assert count(read(ward_csv), "irv").seats == 1


def test_a_file_that_gives_seats_is_counted_as_before() -> None:
    p = read(WARD)
    assert p.election.seats_given and p.election.seats == 4
    assert list(count(p, "scottish-stv").elected) == official_elected()


def test_inspect_says_seats_not_given(capsys: pytest.CaptureFixture[str], ward_csv: Path) -> None:
    assert summary(read(ward_csv))["seats"] is None
    code, out, _ = run(capsys, "inspect", ward_csv)
    assert code == 0 and "seats:          not given" in out
    code, out, _ = run(capsys, "inspect", ward_csv, "--seats", "4")
    assert "seats:          4" in out


def test_cli_count_requires_seats(capsys: pytest.CaptureFixture[str], ward_csv: Path) -> None:
    code, _, err = run(capsys, "count", ward_csv, "-m", "scottish-stv")
    assert code == 2 and "--seats N" in err and "Traceback" not in err
    code, out, _ = run(capsys, "count", ward_csv, "-m", "scottish-stv", "--seats", "4")
    assert code == 0 and "Gill SAMARAI (SNP)" in out


def test_convert_to_blt_needs_seats_and_keeps_the_title(
    capsys: pytest.CaptureFixture[str], ward_csv: Path, tmp_path: Path
) -> None:
    target = tmp_path / "out.blt"
    code, _, err = run(capsys, "convert", ward_csv, target)
    assert code == 2 and "no seat count" in err and not target.exists()
    code, _, _ = run(capsys, "convert", ward_csv, target, "--seats", "4")
    assert code == 0 and read(target).election.seats == 4
    # PrefLib's title is carried into the BLT
    soc = tmp_path / "t.soc"
    soc.write_text(
        "# FILE NAME: t.soc\n# TITLE: Test 2016\n# DATA TYPE: soc\n"
        "# NUMBER ALTERNATIVES: 2\n# NUMBER VOTERS: 3\n# NUMBER UNIQUE ORDERS: 2\n"
        "# ALTERNATIVE NAME 1: A\n# ALTERNATIVE NAME 2: B\n2: 1,2\n1: 2,1\n"
    )
    code, _, _ = run(capsys, "convert", soc, tmp_path / "t.blt", "--seats", "1")
    assert code == 0 and read(tmp_path / "t.blt").election.title == "Test 2016"


def test_convert_refuses_to_overwrite_its_input(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    src = tmp_path / "w.blt"
    src.write_bytes(WARD.read_bytes())
    code, _, err = run(capsys, "convert", src, tmp_path / "." / "w.blt")
    assert code == 2 and "the source file itself" in err
    assert src.read_bytes() == WARD.read_bytes()


def test_write_leaves_no_partial_file(tmp_path: Path, ward_csv: Path) -> None:
    target = tmp_path / "keep.blt"
    target.write_text("old")
    with pytest.raises(BallotFileError):
        write(read(ward_csv), target)  # refused: the CSV gives no seats
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".tallyroom-")] == []
    write(read(ward_csv, seats=4), target)
    assert read(target).election.seats == 4


def test_count_json_of_several_files_is_a_list(capsys: pytest.CaptureFixture[str]) -> None:
    # docs/json-result.md: "`json` with several files: a list"
    code, out, _ = run(capsys, "count", WARD, WARD, "-m", "scottish-stv", "--format", "json")
    doc = json.loads(out)
    assert code == 0 and isinstance(doc, list) and len(doc) == 2
    assert all(d["elected"] == official_elected() for d in doc)
