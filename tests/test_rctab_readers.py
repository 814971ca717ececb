"""The ES&S and NIST CDF JSON readers against RCTab's regression sets (issue 12) and
hostile input (issue 13): every refusal is a BallotFileError naming what was wrong."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from tallyroom.ballots.cdf import read_cdf_json
from tallyroom.ballots.formats import read
from tallyroom.ballots.formats.ess import read_ess
from tallyroom.ballots.model import BallotRules
from tallyroom.errors import BallotFileError
from tallyroom.rules import count

RCTAB = Path(__file__).parent / "data" / "rctab" / "test_data"
MPLS17 = RCTAB / "2017_minneapolis_mayor"
FRDT = RCTAB / "first_round_determines_threshold_test"
MULTI = RCTAB / "test_set_8_multi_cdf"


def _expected(d: Path) -> dict:
    return json.loads((d / f"{d.name}_expected_detailed_report.json").read_text())


# -- ES&S ---------------------------------------------------------------------------------
def test_ess_count_column_is_not_a_candidate() -> None:
    # The 2017 sheet heads its weight column "Count": it is no rank (no candidate "1") and
    # the official round-1 threshold is 52,243 (RCTab's expected report), not 52,249.
    p = read_ess(MPLS17 / "2017_minneapolis_mayor_cvr.xlsx", BallotRules("skip", skipped_ranks=1))
    names = [c.name for c in p.election.candidates]
    assert "1" not in names
    want = _expected(MPLS17)
    assert p.ballots_read == int(want["summary"]["totalNumBallots"])
    r = count(p, "irv", batch=True, rctab=True)
    assert r.stages[0].quota == int(want["results"][0]["threshold"]) == 52243


def test_ess_empty_rows_are_not_papers() -> None:
    # dimension A1:R1048576, <row> elements 1-18 and 1048575-1048576: RCTab counts 19
    # papers, 3 of them undervotes (its summary), not a million blank papers
    p = read_ess(
        FRDT / f"{FRDT.name}_cvr.xlsx",
        BallotRules("exhaust", skipped_ranks=1),
        first_vote_column=4,
        max_rankings=15,
    )
    want = _expected(FRDT)["summary"]
    assert p.ballots_read == int(want["totalNumBallots"]) == 19
    assert p.ballots_read - p.valid == want["undervotes"] == 3


@pytest.mark.parametrize(
    "kw", [{"first_vote_column": 0}, {"first_vote_row": 0}, {"max_rankings": 0}]
)
def test_ess_bad_positions_refused(kw: dict) -> None:
    with pytest.raises(BallotFileError, match="1 or more"):
        read_ess(MPLS17 / "2017_minneapolis_mayor_cvr.xlsx", **kw)


def _xlsx(tmp_path: Path, sheet: bytes, strings: bytes | None = None) -> Path:
    """A minimal workbook with the given sheet XML (and shared strings)."""
    path = tmp_path / "cvr.xlsx"
    ct = (
        b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        b'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats'
        b'-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        b'<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
        b'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
        b'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
        b'worksheet+xml"/></Types>'
    )
    rels = (
        b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
        b'2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
        b'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
        b"</Relationships>"
    )
    wb = (
        b'<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
        b'2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        b'<sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    wbrels = (
        b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
        b'2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
        b'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
        b"</Relationships>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", ct)
        z.writestr("_rels/.rels", rels)
        z.writestr("xl/workbook.xml", wb)
        z.writestr("xl/_rels/workbook.xml.rels", wbrels)
        z.writestr("xl/worksheets/sheet1.xml", sheet)
        if strings is not None:
            z.writestr("xl/sharedStrings.xml", strings)
    return path


NS = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'


def _sheet(rows: bytes, dimension: bytes = b"A1:C3") -> bytes:
    return (
        NS
        + b'<dimension ref="'
        + dimension
        + b'"/><sheetData>'
        + rows
        + b"</sheetData></worksheet>"
    )


ROWS = (
    b'<row r="1"><c r="A1" t="inlineStr"><is><t>P</t></is></c>'
    b'<c r="B1" t="inlineStr"><is><t>R1</t></is></c></row>'
    b'<row r="2"><c r="A2" t="inlineStr"><is><t>p1</t></is></c>'
    b'<c r="B2" t="inlineStr"><is><t>Ann</t></is></c></row>'
)


def test_ess_minimal_workbook_reads(tmp_path: Path) -> None:
    p = read_ess(_xlsx(tmp_path, _sheet(ROWS)))
    assert [c.name for c in p.election.candidates] == ["Ann"] and p.ballots_read == 1


def test_ess_huge_dimension_is_not_trusted(tmp_path: Path) -> None:
    # a dimension claiming every row and column: the rows are read as they are
    p = read_ess(_xlsx(tmp_path, _sheet(ROWS, b"A1:XFD1048576")))
    assert p.ballots_read == 1


@pytest.mark.parametrize(
    "sheet",
    [
        NS + b"<sheetData><row r='1'><c r='A1' t='inlineStr'><is><t>x",  # cut short
        NS + b"<sheetData><row r='x'/></sheetData></worksheet>",  # a row number not a number
        NS + b"<sheetData><row r='2'><c r='!!' t='n'><v>1</v></c></row></sheetData></worksheet>",
        NS + b"<sheetData><row r='2'><c r='B2' t='n'><v>zz</v></c></row></sheetData></worksheet>",
        b"\x00\x01 not xml",
    ],
)
def test_ess_damaged_sheet_refused(tmp_path: Path, sheet: bytes) -> None:
    with pytest.raises(BallotFileError):
        read_ess(_xlsx(tmp_path, sheet))


def test_ess_giant_cell_refused_before_unpacking(tmp_path: Path) -> None:
    # 65 MB of one shared string packs to about 64 KB: refused from the zip directory
    big = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>'
    big += b"a" * (65 << 20) + b"</t></si></sst>"
    path = _xlsx(tmp_path, _sheet(ROWS), big)
    assert path.stat().st_size < 1 << 20
    with pytest.raises(BallotFileError, match="unpacked"):
        read_ess(path)


def test_ess_long_cell_refused(tmp_path: Path) -> None:
    rows = ROWS + (
        b'<row r="3"><c r="A3" t="inlineStr"><is><t>p</t></is></c><c r="B3" t="inlineStr">'
        b"<is><t>" + b"b" * 20_000 + b"</t></is></c></row>"
    )
    with pytest.raises(BallotFileError, match="20,000 characters"):
        read_ess(_xlsx(tmp_path, _sheet(rows)))


# -- NIST CDF JSON ------------------------------------------------------------------------
CVR1 = MULTI / "test_set_8_multi_cdf_cvr_1.json"


def test_cdf_registered_for_inspect_count_convert() -> None:
    p = read(CVR1, "cdf-json")
    assert p.ballots_read == read_cdf_json(CVR1).ballots_read == 12
    # a stream is sniffed by content (the tallyroom JSON sniff sees "{" first only by
    # extension: a stream has none)
    with open(CVR1, "rb") as f:
        assert read(io.BytesIO(f.read()), "cdf-json").ballots_read == 12


def test_cdf_unknown_contest_refused_naming_the_known() -> None:
    with pytest.raises(BallotFileError, match="no contest 'nope'.*one of the file's contests"):
        read_cdf_json(CVR1, contest="nope")


@pytest.mark.parametrize("bad", [-1, 0, True])
def test_cdf_max_rankings_refused(bad: int) -> None:
    with pytest.raises(BallotFileError, match="ranks of 1 or more"):
        read_cdf_json(CVR1, max_rankings=bad)


def _mutated(tmp_path: Path, doc: object) -> Path:
    path = tmp_path / "m.json"
    path.write_text(json.dumps(doc))
    return path


def test_cdf_mutations_refused_with_a_json_path(tmp_path: Path) -> None:
    base = json.loads(CVR1.read_text())

    def mut(f) -> dict:  # noqa: ANN001
        doc = json.loads(json.dumps(base))
        f(doc)
        return doc

    cases = [
        (lambda d: d.__setitem__("Election", 3), "Election"),
        (lambda d: d["Election"].__setitem__(0, "x"), r"Election\[0\]"),
        (lambda d: d["Election"][0]["Candidate"][0].pop("@id"), r"Candidate\[0\]\.@id"),
        (lambda d: d["CVR"].__setitem__(0, []), r"CVR\[0\]"),
        (lambda d: d["CVR"][0].__setitem__("CVRSnapshot", {}), r"CVR\[0\]\.CVRSnapshot"),
        (
            lambda d: d["CVR"][0]["CVRSnapshot"][0]["CVRContest"][0]["CVRContestSelection"][0][
                "SelectionPosition"
            ][0].__setitem__("Rank", "one"),
            r"\.Rank",
        ),
        (
            lambda d: d["CVR"][0]["CVRSnapshot"][0]["CVRContest"][0]["CVRContestSelection"][0][
                "SelectionPosition"
            ][0].__setitem__("Rank", 10**9),
            r"at most 10,000",
        ),
        (
            lambda d: d["CVR"][0]["CVRSnapshot"][0]["CVRContest"][0]["CVRContestSelection"][
                0
            ].__setitem__("ContestSelectionId", None),
            r"ContestSelectionId",
        ),
    ]
    for f, where in cases:
        with pytest.raises(BallotFileError, match=where):
            read_cdf_json(_mutated(tmp_path, mut(f)))


def test_cdf_not_utf8_and_deep_nesting_refused(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    path.write_bytes(b'{"CVR": [], "Election": ["\xff"]}')
    with pytest.raises(BallotFileError, match="not UTF-8"):
        read_cdf_json(path)
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(BallotFileError):
        read_cdf_json(path)
