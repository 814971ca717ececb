"""The US cast-vote-record readers of issue 19 (NIST CDF XML, Dominion, Hart, Clear Ballot,
RCTab's generic CSV) and the CDF JSON / RCTab CSV writers: what they read from RCTab's
regression data (compared with RCTab's expected reports), and how they refuse a malformed
file (file:line or the XML path, and what was expected)."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest

from tallyroom.ballots.formats import read
from tallyroom.ballots.formats.cdf_xml import read_cdf_xml
from tallyroom.errors import BallotFileError

RCTAB = Path(__file__).parent / "data" / "rctab" / "test_data"
UNISYN = RCTAB / "unisyn_cvrs" / "101-RCV-CVT_TEST_3_UNIOVS2103-2.xml"


def _expected(folder: str) -> dict:
    return json.loads((RCTAB / folder / f"{folder}_expected_detailed_report.json").read_text())


# -- NIST CDF XML -------------------------------------------------------------------------
def test_cdf_xml_unisyn_first_round() -> None:
    p = read_cdf_xml(UNISYN, contest="For City C Mayor (1/3)", max_rankings=4)
    want = _expected("unisyn_xml_cdf_city_mayor")
    assert p.ballots_read == int(want["summary"]["totalNumBallots"])
    got = {k: v for k, v in p.first_preferences().items() if v}
    assert got == {k: int(v) for k, v in want["results"][0]["tally"].items() if v != "0"}
    assert p.unique < p.ballots_read  # identical papers merged


def test_cdf_xml_by_format_name() -> None:
    with pytest.raises(BallotFileError, match="one contest named"):
        read(UNISYN)  # eight contests, none named


CVR = b"""<?xml version="1.0"?>
<CastVoteRecordReport xmlns="NIST_V0_cast_vote_records.xsd">
  <CVR><CurrentSnapshotId>s1</CurrentSnapshotId>
    <CVRSnapshot ObjectId="s1"><CVRContest><ContestId>C1</ContestId>
      <CVRContestSelection><ContestSelectionId>%s</ContestSelectionId>
        <SelectionPosition><HasIndication>yes</HasIndication><Rank>%s</Rank></SelectionPosition>
      </CVRContestSelection></CVRContest></CVRSnapshot></CVR>
  <Election ObjectId="E"><Candidate ObjectId="A"><Name>Ann</Name></Candidate>
    <Contest ObjectId="C1"><Name>Mayor</Name>
      <ContestSelection ObjectId="SA"><CandidateIds>A</CandidateIds></ContestSelection>
    </Contest></Election>
</CastVoteRecordReport>
"""


def test_cdf_xml_small(tmp_path: Path) -> None:
    f = tmp_path / "cvr.xml"
    f.write_bytes(CVR % (b"SA", b"1"))
    p = read(f)
    assert p.election.names == ("Ann",) and p.ballots == ((0,),)


@pytest.mark.parametrize(
    "sel, rank, match",
    [
        (b"SX", b"1", r"cvr.xml:5: found CVR\[1\]/.*ContestSelectionId: 'SX'"),
        (b"SA", b"x", r"cvr.xml:6: found CVR\[1\]/.*/Rank: 'x'; expected a rank"),
    ],
)
def test_cdf_xml_refusals(tmp_path: Path, sel: bytes, rank: bytes, match: str) -> None:
    f = tmp_path / "cvr.xml"
    f.write_bytes(CVR % (sel, rank))
    with pytest.raises(BallotFileError, match=match):
        read_cdf_xml(f)


def test_cdf_xml_refuses_a_dtd_and_broken_xml(tmp_path: Path) -> None:
    f = tmp_path / "cvr.xml"
    f.write_bytes(
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>\n<CastVoteRecordReport/>'
    )
    with pytest.raises(BallotFileError, match="document type declaration"):
        read_cdf_xml(f)
    f.write_bytes((CVR % (b"SA", b"1")).replace(b"</CVR>", b"</CVX>"))
    with pytest.raises(BallotFileError, match=r"cvr.xml:7:58: found mismatched tag"):
        read_cdf_xml(f)


# -- Dominion -------------------------------------------------------------------------------
DOMINION = RCTAB / "dominion_wyoming" / "wyoming_input_data"


def test_dominion_by_format_detection() -> None:
    # a CvrExport.json is Dominion's, not tallyroom's JSON: the content decides
    p = read(DOMINION / "CvrExport.json")
    want = _expected("dominion_wyoming")
    assert p.ballots_read == int(want["summary"]["totalNumBallots"]) == 1000
    assert p.invalid["blank"] == want["summary"]["undervotes"] == 57


def test_dominion_partial_count_ballots_left_out() -> None:
    # Alaska 2024: 197 papers carry contest 7, 73 of them "InvalidContest" (outstack 7)
    from tallyroom.ballots.formats.dominion import read_dominion

    p = read_dominion(RCTAB / "2024_alaska_dominion" / "partial_cvr", contest="7")
    want = _expected("2024_alaska_dominion")
    assert p.ballots_read == int(want["summary"]["totalNumBallots"]) == 124


def _copy_export(tmp_path: Path) -> Path:
    import shutil

    out = tmp_path / "export"
    shutil.copytree(DOMINION, out)
    return out


def test_dominion_refusals(tmp_path: Path) -> None:
    from tallyroom.ballots.formats.dominion import read_dominion

    out = _copy_export(tmp_path)
    with pytest.raises(BallotFileError, match="no contest '99'; expected one contest named"):
        read_dominion(out, contest="99")
    doc = json.loads((out / "CvrExport.json").read_text())
    doc["Sessions"][4]["Original"]["Cards"][0]["Contests"][0]["Marks"][0]["Rank"] = "one"
    (out / "CvrExport.json").write_text(json.dumps(doc))
    with pytest.raises(
        BallotFileError,
        match=r"CvrExport.json: found Sessions\[4\].Original.Cards\[0\].Contests\[0\].Marks\[0\]"
        r".Rank: 'one'; expected a rank",
    ):
        read_dominion(out, contest="1")
    (out / "CvrExport.json").write_text('{"Sessions": [')
    with pytest.raises(BallotFileError, match=r"CvrExport.json:1:15: found Expecting value"):
        read_dominion(out, contest="1")


# -- the command line -----------------------------------------------------------------------
def test_cli_count_rctab_config() -> None:
    from click.testing import CliRunner

    from tallyroom.cli import cli

    folder = "multi_seat_bottoms_up_with_cutoff_eliminate"
    config = RCTAB / folder / f"{folder}_config.json"
    got = CliRunner().invoke(cli, ["count", "--rctab-config", str(config), "--format", "json"])
    assert got.exit_code == 0, got.output
    result = json.loads(got.output)
    want = _expected(folder)
    winners = [t["elected"] for r in want["results"] for t in r["tallyResults"] if "elected" in t]
    assert result["elected"] == winners == ["A", "B"]
    bad = CliRunner().invoke(cli, ["count", "--rctab-config", str(config), "-m", "irv"])
    assert bad.exit_code == 2 and "no FILES or -m" in bad.output


def test_cli_contest_option() -> None:
    from click.testing import CliRunner

    from tallyroom.cli import cli

    got = CliRunner().invoke(
        cli, ["inspect", str(UNISYN), "--contest", "For City C Mayor (1/3)", "--format", "json"]
    )
    assert got.exit_code == 0, got.output
    want = _expected("unisyn_xml_cdf_city_mayor")
    assert json.loads(got.output)["ballots"] == int(want["summary"]["totalNumBallots"])


# -- RCTab's detailed report layout -----------------------------------------------------------
@pytest.mark.parametrize(
    "folder",
    [
        "2013_minneapolis_mayor",  # irv, batch elimination, 33 rounds (official)
        "2013_minneapolis_park",  # minneapolis-stv: exclusions one stage later in the record
        "2013_minneapolis_park_bottoms_up",
        "tiebreak_seed_test",
    ],
)
def test_rctab_json_report_matches_rctab(folder: str) -> None:
    from tallyroom.rctab import count_config, load_config
    from tallyroom.reports import render

    got = json.loads(
        render([count_config(load_config(RCTAB / folder / f"{folder}_config.json"))], "rctab-json")
    )
    want = _expected(folder)
    for key in ("totalNumBallots", "numWinners", "numCandidates", "finalThreshold"):
        assert got["summary"][key] == want["summary"][key], key
    assert len(got["results"]) == len(want["results"])
    for g, w in zip(got["results"], want["results"]):
        assert g["round"] == w["round"]
        assert Fraction(g["threshold"]) == Fraction(w["threshold"])
        assert {k: Fraction(v) for k, v in g["tally"].items() if Fraction(v)} == {
            k: Fraction(v) for k, v in w["tally"].items() if Fraction(v)
        }
        for kind in ("eliminated", "elected"):
            assert sorted(t[kind] for t in g["tallyResults"] if kind in t) == sorted(
                t[kind] for t in w["tallyResults"] if kind in t
            ), (w["round"], kind)
        # a single elimination's transfers, to the vote
        one = [t for t in w["tallyResults"] if "eliminated" in t]
        if len(one) == 1 and folder != "2013_minneapolis_park":
            mine = next(t for t in g["tallyResults"] if "eliminated" in t)
            assert {k: Fraction(v) for k, v in mine["transfers"].items()} == {
                k: Fraction(v) for k, v in one[0]["transfers"].items() if Fraction(v)
            }, w["round"]


# -- RCTab generic CSV: read, write, read again ----------------------------------------------
def test_rctab_csv_round_trip(tmp_path: Path) -> None:
    from tallyroom.ballots.formats import write
    from tallyroom.ballots.formats.rctab_csv import read_rctab_csv

    folder = RCTAB / "generic_csv_test"
    p = read_rctab_csv(folder / "generic_csv_test_cvr.csv", first_vote_column=4)
    want = _expected("generic_csv_test")
    assert p.ballots_read == int(want["summary"]["totalNumBallots"])
    out = tmp_path / "out.csv"
    write(p, out, "rctab-csv")
    again = read(out, "rctab-csv")
    assert again.same_as(p) and again.invalid == p.invalid


def test_rctab_csv_refuses_a_rank_past_the_rankings_allowed(tmp_path: Path) -> None:
    from tallyroom.ballots.formats.rctab_csv import read_rctab_csv

    f = tmp_path / "cvr.csv"
    f.write_text("id,A,B,C\n1,1,2,\n2,1,2,3\n3,x,,\n")
    with pytest.raises(
        BallotFileError, match=r"cvr.csv:3:4: found rank 3; expected a rank of at most 2"
    ):
        read_rctab_csv(f, max_rankings=2)
    with pytest.raises(BallotFileError, match=r"cvr.csv:4:2: found 'x'"):
        read_rctab_csv(f)


def test_cli_convert_rctab_config(tmp_path: Path) -> None:
    # RCTab's conversions from the command line; what they write is checked against RCTab's
    # expected files in tests/test_rctab_suite.py (convertToRctabCvrFromEss ...)
    from click.testing import CliRunner

    from tallyroom.cli import cli

    folder = RCTAB / "conversions_from_ess"
    config = folder / "conversions_from_ess_config.json"
    out = tmp_path / "cvr.csv"
    got = CliRunner().invoke(
        cli, ["convert", str(config), str(out), "--rctab-config", "--to", "rctab-cvr"]
    )
    assert got.exit_code == 0, got.output
    assert out.read_text() == (folder / "conversions_from_ess_expected.csv").read_text()
    cdf = tmp_path / "cvr.json"
    got = CliRunner().invoke(
        cli, ["convert", str(config), str(cdf), "--rctab-config", "--to", "cdf-json"]
    )
    assert got.exit_code == 0, got.output
    report = json.loads(cdf.read_text())
    assert len(report["CVR"]) == 10 and report["GeneratedDate"]
    bad = CliRunner().invoke(
        cli, ["convert", str(config), str(cdf), "--rctab-config", "--to", "blt"]
    )
    assert bad.exit_code != 0 and "rctab-cvr" in bad.output


def test_cli_count_rctab_csv_stv_and_multi_pass(capsys: pytest.CaptureFixture[str]) -> None:
    # an STV count is laid out (tests/test_rctab_suite.py compares it with RCTab's CSV); a
    # multi-pass count is refused clearly: RCTab writes a report per pass
    from tallyroom.cli import main

    folder = "test_set_multi_winner_whole_threshold"
    config = RCTAB / folder / f"{folder}_config.json"
    with pytest.raises(SystemExit) as exit_:
        main(["count", "--rctab-config", str(config), "--format", "rctab-csv"])
    assert exit_.value.code == 0
    assert "Type of Election,Multi-Winner" in capsys.readouterr().out
    folder = "sequential_with_batch"
    config = RCTAB / folder / f"{folder}_config.json"
    with pytest.raises(SystemExit) as exit_:
        main(["count", "--rctab-config", str(config), "--format", "rctab-csv"])
    err = capsys.readouterr().err
    assert exit_.value.code != 0 and "one pass at a time" in err
    assert "Traceback" not in err


def test_cdf_json_round_trip(tmp_path: Path) -> None:
    # a profile written as NIST CDF JSON reads back as the same profile (a CVR per paper,
    # each selection one the Election declares)
    from tallyroom.ballots.formats import write
    from tallyroom.ballots.model import BallotRules

    folder = RCTAB / "test_set_0_skipped_first_choice"
    source = folder / "test_set_0_skipped_first_choice_cvr.json"
    rules = BallotRules(overvote="exhaust", skipped_ranks=4)
    p = read(source, "cdf-json", rules=rules)
    out = tmp_path / "out.json"
    write(p, out, "cdf-json")
    doc = json.loads(out.read_text())
    declared = {s["@id"] for s in doc["Election"][0]["Contest"][0]["ContestSelection"]}
    used = {
        s["ContestSelectionId"]
        for cvr in doc["CVR"]
        for s in cvr["CVRSnapshot"][0]["CVRContest"][0]["CVRContestSelection"]
    }
    assert used <= declared
    assert len(doc["CVR"]) == p.valid + p.invalid.get("blank", 0)
    back = read(out, "cdf-json", rules=rules)
    assert dict(zip(back.ballots, back.weights)) == dict(zip(p.ballots, p.weights))
    assert back.election.names == p.election.names
