"""The US cast-vote-record readers of issue 19 (NIST CDF XML, Dominion, Hart, Clear Ballot,
RCTab's generic CSV) and the CDF JSON / RCTab CSV writers: what they read from RCTab's
regression data (compared with RCTab's expected reports), and how they refuse a malformed
file (file:line or the XML path, and what was expected)."""

from __future__ import annotations

import json
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
