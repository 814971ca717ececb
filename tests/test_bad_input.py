"""Bad ballot files: each refused with one line naming the file, line, column and problem."""

from __future__ import annotations

import io
import tracemalloc
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import pytest

from tallyroom.ballots.formats import read
from tallyroom.ballots.formats.blt import read_blt
from tallyroom.ballots.formats.csv import read_csv, read_long_csv, read_wide_csv
from tallyroom.ballots.formats.json_format import read_json
from tallyroom.ballots.formats.preflib import read_preflib
from tallyroom.ballots.formats.stv import read_stv
from tallyroom.errors import BallotFileError, ElectionError

TWO_GB = 2 * 1024**3


def _file(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


def _refused(
    fn: Callable[[], object],
    path: Path | str,
    line: int | None,
    column: int | None = None,
    *words: str,
) -> BallotFileError:
    """The call fails with a one-line message: file, line (and column), found, expected."""
    with pytest.raises(BallotFileError) as info:
        fn()
    err = info.value
    msg = str(err)
    assert "\n" not in msg
    assert err.path == str(path)
    assert err.line == line, msg
    where = str(path)
    if line is not None:
        where += f":{line}"
        if column is not None:
            assert err.column == column, msg
            where += f":{column}"
    assert msg.startswith(where + ": found "), msg
    assert "; expected " in msg
    for w in words:
        assert w in msg, msg
    return err


BLT_NAMES = '"A"\n"B"\n"C"\n"Title"\n'


# -- BLT ---------------------------------------------------------------------------------------
def test_blt_truncated_file(tmp_path: Path) -> None:
    path = _file(tmp_path, "cut.blt", "3 1\n2 1 2 0\n1 3 0\n")
    _refused(lambda: read(path), path, 4, None, "the end of the file", "end-of-ballots line '0'")


def test_blt_truncated_mid_line(tmp_path: Path) -> None:
    path = _file(tmp_path, "cut.blt", "3 1\n2 1 2 0\n1 3")
    _refused(lambda: read(path), path, 3, 4, "the end of the line", "0 to end the ballot")


def test_blt_missing_end_of_ballots_marker(tmp_path: Path) -> None:
    path = _file(tmp_path, "noend.blt", "3 1\n2 1 2 0\n1 3 0\n" + BLT_NAMES)
    _refused(
        lambda: read(path),
        path,
        4,
        1,
        "'\"A\"'",
        "the end-of-ballots line '0' before the candidate names",
    )


def test_blt_missing_names(tmp_path: Path) -> None:
    path = _file(tmp_path, "nonames.blt", '3 1\n2 1 2 0\n0\n"A"\n')
    _refused(lambda: read(path), path, 5, None, "1 name line", "3 candidate names")


def test_blt_garbled_number(tmp_path: Path) -> None:
    path = _file(tmp_path, "garbled.blt", "3 1\n2 1 2x 0\n0\n" + BLT_NAMES)
    _refused(lambda: read(path), path, 2, 5, "'2x'", "candidate number from 1 to 3")


def test_blt_garbled_header(tmp_path: Path) -> None:
    path = _file(tmp_path, "header.blt", "three 1\n0\n" + BLT_NAMES)
    _refused(lambda: read(path), path, 1, 1, "'three 1'", "number of candidates")


def test_blt_negative_weight(tmp_path: Path) -> None:
    path = _file(tmp_path, "neg.blt", "3 1\n-2 1 2 0\n0\n" + BLT_NAMES)
    _refused(lambda: read(path), path, 2, 1, "a negative weight")


def test_blt_takes_decimal_weights(tmp_path: Path) -> None:
    path = _file(tmp_path, "dec.blt", "3 1\n2.5 1 2 0\n0\n" + BLT_NAMES)
    assert read(path).weights == (Fraction(5, 2),)


def test_blt_candidate_out_of_range(tmp_path: Path) -> None:
    path = _file(tmp_path, "range.blt", "3 1\n2 1 4 0\n0\n" + BLT_NAMES)
    _refused(lambda: read(path), path, 2, 5, "candidate number 4", "from 1 to 3")


def test_blt_more_seats_than_candidates(tmp_path: Path) -> None:
    path = _file(tmp_path, "seats.blt", "3 4\n2 1 2 0\n0\n" + BLT_NAMES)
    _refused(lambda: read(path), path, 1, 3, "4 seats for 3 candidates")


def test_blt_binary_junk(tmp_path: Path) -> None:
    path = _file(tmp_path, "junk.blt", b"3 1\n\x00\x01\x02\xff\xfe junk\n")
    _refused(lambda: read(path), path, 2, 1, "binary data")


def test_blt_empty_file(tmp_path: Path) -> None:
    path = _file(tmp_path, "empty.blt", "")
    _refused(lambda: read(path), path, None, None, "an empty file")


# -- PrefLib -----------------------------------------------------------------------------------
PREFLIB_HEAD = """\
# TITLE: t
# DATA TYPE: soi
# NUMBER ALTERNATIVES: 3
# NUMBER VOTERS: 5
# NUMBER UNIQUE ORDERS: 2
# ALTERNATIVE NAME 1: A
# ALTERNATIVE NAME 2: B
# ALTERNATIVE NAME 3: C
"""


def test_preflib_truncated_file(tmp_path: Path) -> None:
    path = _file(tmp_path, "cut.soi", PREFLIB_HEAD + "3: 1,2\n")
    _refused(
        lambda: read(path), path, 4, None, "3 voters in the file", "5 as this header line says"
    )


def test_preflib_garbled_count(tmp_path: Path) -> None:
    path = _file(tmp_path, "garbled.soi", PREFLIB_HEAD + "3: 1,2\nx2: 3\n")
    _refused(lambda: read(path), path, 10, 1, "'x2'", "a count of voters")


def test_preflib_garbled_order(tmp_path: Path) -> None:
    path = _file(tmp_path, "garbled.soi", PREFLIB_HEAD + "3: 1,2\n2: 3;1\n")
    _refused(lambda: read(path), path, 10, 4, "'3;1'", "alternative number")


def test_preflib_negative_count(tmp_path: Path) -> None:
    path = _file(tmp_path, "neg.soi", PREFLIB_HEAD + "3: 1,2\n-2: 3\n")
    _refused(lambda: read(path), path, 10, 1, "a negative count")


def test_preflib_fractional_count(tmp_path: Path) -> None:
    path = _file(tmp_path, "frac.soi", PREFLIB_HEAD + "3: 1,2\n2.5: 3\n")
    _refused(lambda: read(path), path, 10, 1, "a fractional count '2.5'", "whole number")


def test_preflib_candidate_out_of_range(tmp_path: Path) -> None:
    path = _file(tmp_path, "range.soi", PREFLIB_HEAD + "3: 1,2\n2: 3,4\n")
    _refused(lambda: read(path), path, 10, 6, "alternative number 4", "from 1 to 3")


def test_preflib_unclosed_brace(tmp_path: Path) -> None:
    path = _file(tmp_path, "brace.toi", PREFLIB_HEAD + "3: 1,{2,3\n2: 3\n")
    _refused(lambda: read(path), path, 9, 6, "'{' never closed")


def test_preflib_missing_name(tmp_path: Path) -> None:
    head = PREFLIB_HEAD.replace("# ALTERNATIVE NAME 2: B\n", "")
    path = _file(tmp_path, "names.soi", head + "3: 1,2\n2: 3\n")
    _refused(lambda: read(path), path, 3, None, "no name for alternative 2")


def test_preflib_more_seats_than_candidates(tmp_path: Path) -> None:
    path = _file(tmp_path, "ok.soi", PREFLIB_HEAD + "3: 1,2\n2: 3\n")
    with pytest.raises(ElectionError, match=r"ok\.soi: 4 seats for 3 candidates"):
        read(path, seats=4)
    with pytest.raises(ElectionError, match="4 seats for 3 candidates"):
        read_preflib(path, seats=4)


def test_preflib_binary_junk(tmp_path: Path) -> None:
    path = _file(tmp_path, "junk.soi", PREFLIB_HEAD.encode() + b"3: 1,2\x00\x00\n")
    _refused(lambda: read(path), path, 9, 7, "binary data")


def test_preflib_empty_file(tmp_path: Path) -> None:
    path = _file(tmp_path, "empty.soi", "\n\n")
    _refused(lambda: read(path), path, None, None, "an empty file")


# -- CSV ---------------------------------------------------------------------------------------
WIDE_HEAD = "id,Rank 1,Rank 2,Weight\n"


def test_csv_fractional_weight(tmp_path: Path) -> None:
    path = _file(tmp_path, "frac.csv", WIDE_HEAD + "1,Amy,Bob,2\n2,Bob,,1.5\n")
    _refused(lambda: read(path), path, 3, 8, "a fractional weight '1.5'", "whole number of papers")


def test_csv_whole_weight_written_with_decimals(tmp_path: Path) -> None:
    path = _file(tmp_path, "ok.csv", WIDE_HEAD + "1,Amy,Bob,2.0\n")
    assert read(path).weights == (2,)


def test_csv_negative_weight(tmp_path: Path) -> None:
    path = _file(tmp_path, "neg.csv", WIDE_HEAD + "1,Amy,Bob,-2\n")
    _refused(lambda: read(path), path, 2, 11, "a negative weight '-2'")


def test_csv_garbled_weight(tmp_path: Path) -> None:
    path = _file(tmp_path, "garbled.csv", WIDE_HEAD + "1,Amy,Bob,two\n")
    _refused(lambda: read(path), path, 2, 11, "'two' in column 'Weight'")


def test_csv_unknown_candidate(tmp_path: Path) -> None:
    path = _file(tmp_path, "unknown.csv", WIDE_HEAD + '1,Amy,"Zed, Z.",1\n')
    _refused(
        lambda: read_wide_csv(path, candidates=["Amy", "Bob"]),
        path,
        2,
        7,
        "'Zed, Z.'",
        "Amy, Bob",
    )


def test_csv_too_many_fields(tmp_path: Path) -> None:
    path = _file(tmp_path, "wide.csv", WIDE_HEAD + "1,Amy,Bob,1,Chuck\n")
    _refused(lambda: read(path), path, 2, 13, "5 fields", "at most 4")


def test_csv_unclosed_quote(tmp_path: Path) -> None:
    path = _file(tmp_path, "quote.csv", WIDE_HEAD + '1,"Amy,Bob,1\n' + "2,Amy,Bob,1\n" * 30000)
    _refused(lambda: read(path), path, 2, None, "quote that never closes")


def test_csv_approval_bad_mark(tmp_path: Path) -> None:
    path = _file(tmp_path, "approval.csv", "Amy,Bob,Chuck\n1,,X\n1,maybe,\n")
    _refused(lambda: read(path), path, 3, 3, "'maybe' in the column of 'Bob'", "1 or X")


def test_csv_long_ballot_rows_apart(tmp_path: Path) -> None:
    text = "ballot_id,rank,choice\nb1,1,Amy\nb2,1,Bob\nb1,2,Bob\n"
    path = _file(tmp_path, "long.csv", text)
    _refused(
        lambda: read(path), path, 4, 1, "ballot 'b1' again", "all the rows of a ballot together"
    )


def test_csv_long_garbled_rank(tmp_path: Path) -> None:
    path = _file(tmp_path, "long.csv", "ballot_id,rank,choice\nb1,1,Amy\nb1,second,Bob\n")
    _refused(lambda: read(path), path, 3, 4, "'second'", "a rank number")


def test_csv_long_missing_column(tmp_path: Path) -> None:
    path = _file(tmp_path, "long.csv", "ballot_id,rank,choice\nb1,1,Amy\n")
    _refused(
        lambda: read_long_csv(_file(tmp_path, "bad.csv", "ballot_id,choice\nb1,Amy\n")),
        tmp_path / "bad.csv",
        1,
        1,
        "a rank column",
    )
    assert read(path).valid == 1


def test_csv_votekit_unknown_prefix(tmp_path: Path) -> None:
    text = (
        "VoteKit RankProfile\nCandidates\n(AMY A:AMY),(BOB B:BOB)\nMax Ranking Length\n2\n"
        "Includes Voter Set\nFalse\n=,=,=,=,=,=,=,=,=,=\nRanking_1,Ranking_2,&,Weight,&\n"
        "{'AMY'},{'BOB'},&,1.0,&\n{'AMY'},{'ZED'},&,1.0,&\n"
    )
    path = _file(tmp_path, "vk.csv", text)
    _refused(lambda: read(path), path, 11, 9, "the prefix 'ZED'", "AMY, BOB")
    bad_weight = text.replace("&,1.0,&\n{'AMY'},{'ZED'}", "&,0.5,&\n{'AMY'},{'BOB'}")
    path2 = _file(tmp_path, "vk2.csv", bad_weight)
    _refused(lambda: read(path2), path2, 10, 19, "a fractional weight '0.5'")


def test_csv_no_rank_columns(tmp_path: Path) -> None:
    path = _file(tmp_path, "nothing.csv", "id,weight\n1,1\n")
    _refused(lambda: read(path), path, 1, 1, "no candidate column")
    _refused(lambda: read_wide_csv(path), path, 1, 1, "rank columns")


def test_csv_more_seats_than_candidates(tmp_path: Path) -> None:
    path = _file(tmp_path, "ok.csv", WIDE_HEAD + "1,Amy,Bob,1\n")
    with pytest.raises(ElectionError, match=r"ok\.csv: 3 seats for 2 candidates"):
        read(path, seats=3)
    with pytest.raises(ElectionError, match="3 seats for 2 candidates"):
        read_csv(path, seats=3)


def test_csv_binary_junk(tmp_path: Path) -> None:
    path = _file(tmp_path, "junk.csv", WIDE_HEAD.encode() + b"1,Amy\x00\x07,Bob,1\n")
    _refused(lambda: read(path), path, 2, 6, "binary data")


def test_csv_empty_file(tmp_path: Path) -> None:
    path = _file(tmp_path, "empty.csv", "")
    _refused(lambda: read(path), path, None, None, "an empty file")


# -- JSON --------------------------------------------------------------------------------------
JSON_OK = """\
{
  "format": "tallyroom.ballots/1",
  "seats": 1,
  "candidates": [{"name": "Amy"}, {"name": "Bob"}],
  "ballots": [
    {"ranking": [["Amy"], ["Bob"]], "weight": "2"},
    {"ranking": [["Bob"]], "weight": "1"}
  ]
}
"""


def test_json_malformed(tmp_path: Path) -> None:
    path = _file(tmp_path, "bad.json", JSON_OK.replace('"weight": "1"}', '"weight": "1",}'))
    _refused(lambda: read(path), path, 7, 42, "malformed JSON")


def test_json_truncated(tmp_path: Path) -> None:
    path = _file(tmp_path, "cut.json", JSON_OK[:200])
    _refused(lambda: read(path), path, 7, 28, "malformed JSON")


def test_json_float_weight(tmp_path: Path) -> None:
    path = _file(tmp_path, "float.json", JSON_OK.replace('"weight": "2"', '"weight": 2.5'))
    _refused(
        lambda: read(path), path, 6, 5, "a JSON number with a fraction", 'as a string such as "3"'
    )


def test_json_negative_weight(tmp_path: Path) -> None:
    path = _file(tmp_path, "neg.json", JSON_OK.replace('"weight": "1"', '"weight": "-1"'))
    _refused(lambda: read(path), path, 7, 5, "a negative weight")


def test_json_decimal_weight_is_taken(tmp_path: Path) -> None:
    path = _file(tmp_path, "dec.json", JSON_OK.replace('"weight": "1"', '"weight": "0.75"'))
    assert Fraction(3, 4) in read(path).weights


def test_json_unknown_candidate(tmp_path: Path) -> None:
    path = _file(tmp_path, "zed.json", JSON_OK.replace('[["Bob"]]', '[["Zed"]]'))
    _refused(lambda: read(path), path, 7, 5, "the name 'Zed'", "a name from the candidates")


def test_json_more_seats_than_candidates(tmp_path: Path) -> None:
    path = _file(tmp_path, "seats.json", JSON_OK.replace('"seats": 1', '"seats": 3'))
    _refused(lambda: read(path), path, 3, 12, "3 seats for 2 candidates")
    ok = _file(tmp_path, "ok.json", JSON_OK)
    with pytest.raises(ElectionError, match=r"ok\.json: 3 seats for 2 candidates"):
        read(ok, seats=3)


def test_json_wrong_format(tmp_path: Path) -> None:
    path = _file(tmp_path, "other.json", JSON_OK.replace("tallyroom.ballots/1", "other/2"))
    _refused(lambda: read(path), path, 2, 13, 'format "other/2"', "tallyroom.ballots/1")


def test_json_binary_junk(tmp_path: Path) -> None:
    path = _file(tmp_path, "junk.json", b"\x00\x01\x02" * 100)
    _refused(lambda: read(path), path, 1, 1, "binary data")
    path2 = _file(tmp_path, "junk2.json", JSON_OK.encode().replace(b'"Amy"}', b'"A\x00my"}', 1))
    _refused(lambda: read(path2), path2, 4, 29, "binary data (byte 0x00)")


def test_json_empty_file(tmp_path: Path) -> None:
    path = _file(tmp_path, "empty.json", "  \n")
    _refused(lambda: read(path), path, None, None, "an empty file")


# -- STV.pm ------------------------------------------------------------------------------------
STV_HEAD = "title=t\nseats=1\ncandidate=a Amy\ncandidate=b Bob\n"


def test_stv_truncated_file(tmp_path: Path) -> None:
    path = _file(tmp_path, "cut.stv", STV_HEAD + "ballots=3\na b\n2X b\n")
    _refused(
        lambda: read(path), path, 8, None, "the end of the file", "'end' after the 3 ballot lines"
    )


def test_stv_ballot_count_mismatch(tmp_path: Path) -> None:
    path = _file(tmp_path, "count.stv", STV_HEAD + "ballots=3\na b\n2X b\nend\n")
    _refused(lambda: read(path), path, 8, 1, "'end' after 2 ballot lines", "3 ballot lines")


def test_stv_unknown_code(tmp_path: Path) -> None:
    path = _file(tmp_path, "code.stv", STV_HEAD + "ballots=2\na b\n2X b z\nend\n")
    _refused(lambda: read(path), path, 7, 6, "the code 'z'", "a candidate code")


def test_stv_negative_multiplier(tmp_path: Path) -> None:
    path = _file(tmp_path, "neg.stv", STV_HEAD + "ballots=1\n-2X a\nend\n")
    _refused(lambda: read(path), path, 6, 1, "a negative count '-2X'")


def test_stv_garbled_seats(tmp_path: Path) -> None:
    path = _file(
        tmp_path, "seats.stv", STV_HEAD.replace("seats=1", "seats=two") + "ballots=0\nend\n"
    )
    _refused(lambda: read(path), path, 2, 7, "'two'", "a number of seats")


def test_stv_more_seats_than_candidates(tmp_path: Path) -> None:
    path = _file(
        tmp_path, "seats.stv", STV_HEAD.replace("seats=1", "seats=3") + "ballots=1\na\nend\n"
    )
    _refused(lambda: read(path), path, None, None, "3 seats for 2 candidates")
    ok = _file(tmp_path, "ok.stv", STV_HEAD + "ballots=1\na\nend\n")
    with pytest.raises(ElectionError, match=r"ok\.stv: 3 seats for 2 candidates"):
        read(ok, seats=3)


def test_stv_embedded_blt_error_has_the_file_line(tmp_path: Path) -> None:
    text = 'method=blt\nballots=blt\n2 1\n1 1 2 0\n1 3 0\n0\n"A"\n"B"\n'
    path = _file(tmp_path, "emb.stv", text)
    _refused(lambda: read(path), path, 5, 3, "candidate number 3")


def test_stv_binary_junk(tmp_path: Path) -> None:
    path = _file(tmp_path, "junk.stv", STV_HEAD.encode() + b"ballots=1\n\x1b[2J\nend\n")
    _refused(lambda: read(path), path, 6, 1, "binary data (byte 0x1b)")


def test_stv_empty_file(tmp_path: Path) -> None:
    path = _file(tmp_path, "empty.stv", "# only a comment\n")
    _refused(lambda: read(path), path, None, None, "an empty file")


# -- the registry ------------------------------------------------------------------------------
def test_unknown_format_name(tmp_path: Path) -> None:
    path = _file(tmp_path, "x.blt", '1 1\n0\n"A"\n')
    _refused(lambda: read(path, "nonsense"), path, None, None, "'nonsense'", "blt")


def test_unknown_content(tmp_path: Path) -> None:
    path = _file(tmp_path, "letter.txt", "Dear returning officer\nplease count this\n")
    _refused(lambda: read(path), path, 1, None, "no ballot format known here")


def test_binary_junk_without_extension(tmp_path: Path) -> None:
    path = _file(tmp_path, "junk.dat", b"\x89PNG\r\n\x1a\n\x00\x00")
    _refused(lambda: read(path), path, 2, 1, "binary data (byte 0x1a)")


def test_empty_file_without_extension(tmp_path: Path) -> None:
    path = _file(tmp_path, "nothing", "")
    _refused(lambda: read(path), path, None, None, "an empty file")


def test_more_seats_than_candidates_on_request() -> None:
    blt = io.BytesIO(b'2 1\n1 1 2 0\n0\n"A"\n"B"\n')
    with pytest.raises(ElectionError, match="3 seats for 2 candidates"):
        read(blt, "blt", seats=3)


# -- a 2 GB garbage file: refused at once, in bounded memory ---------------------------------------
class Garbage(io.RawIOBase):
    """2 GB of junk made up as it is read, counting what the reader took."""

    def __init__(self, fill: bytes, size: int = TWO_GB) -> None:
        self.fill = fill
        self.left = size
        self.served = 0
        self.name = "garbage-stream"

    def readable(self) -> bool:
        return True

    def readinto(self, b):  # type: ignore[no-untyped-def]
        n = min(len(b), self.left)
        chunk = (self.fill * (n // len(self.fill) + 1))[:n]
        b[:n] = chunk
        self.left -= n
        self.served += n
        return n


def _bounded(fn: Callable[[], object]) -> tuple[BallotFileError, int]:
    tracemalloc.start()
    try:
        with pytest.raises(BallotFileError) as info:
            fn()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "\n" not in str(info.value)
    return info.value, peak


@pytest.mark.parametrize("ext", ["blt", "soi", "csv", "json", "stv", "dat"])
def test_two_gigabyte_sparse_file(tmp_path: Path, ext: str) -> None:
    path = tmp_path / f"huge.{ext}"
    with open(path, "wb") as f:
        f.truncate(TWO_GB)  # sparse: no disk blocks are written
    err, peak = _bounded(lambda: read(path))
    assert err.path == str(path)
    assert peak < 16 << 20, f"{peak:,} bytes"
    if ext == "json":
        assert "a file of 2,147,483,648 bytes" in str(err)
    elif ext == "dat":
        assert err.line == 1 and err.column == 1 and "binary data" in str(err)
    else:
        assert err.line == 1 and "a line longer than 1 MiB" in str(err)


@pytest.mark.parametrize(
    "fill", [b"x", b"\x00", b"garbage, line\n"], ids=["text", "zeros", "lines"]
)
@pytest.mark.parametrize(
    "fmt", ["blt", "preflib", "csv", "csv-long", "votekit-csv", "json", "stv", None]
)
def test_two_gigabyte_garbage_stream(fmt: str | None, fill: bytes) -> None:
    stream = Garbage(fill)
    err, peak = _bounded(lambda: read(stream, fmt))  # type: ignore[arg-type]
    assert err.path == "garbage-stream"
    assert stream.served < 8 << 20, f"read {stream.served:,} bytes"
    assert peak < 16 << 20, f"{peak:,} bytes"


@pytest.mark.parametrize(
    "reader", [read_blt, read_preflib, read_csv, read_json, read_stv], ids=lambda f: f.__name__
)
def test_readers_let_no_raw_exception_escape(reader: Callable[..., object]) -> None:
    junk = [
        b"",
        b"\xff\xfe\x00junk",
        b"1 2 3\n{{{",
        b"# NUMBER ALTERNATIVES: x\n1: 1",
        b'{"format": "tallyroom.ballots/1", "candidates": [1], "seats": "x"}',
        b"ballots=blt\n2 1\n1 1 2\n",
        b"a,b\n" + b'"' * 300000,
        b"VoteKit RankProfile\n",
        "ünïcode,ñame\n1,\u2028\n".encode(),
        b"[" * 100000,
    ]
    for data in junk:
        try:
            reader(io.BytesIO(data))
        except (BallotFileError, ElectionError):
            pass


def test_blt_lone_equals_sign() -> None:
    with pytest.raises(BallotFileError, match=r":2:3: found '='; expected candidates ranked equal"):
        read_blt(io.BytesIO(b'2 1\n1 = 0\n0\n"A"\n"B"\n'))


def test_a_reader_bug_is_still_one_line_naming_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    # read() turns any exception a reader lets slip into a BallotFileError naming the file
    import tallyroom.ballots.formats.blt as blt_module  # the registered reader's module

    def broken(*args: object, **kwargs: object) -> None:
        raise IndexError("tuple index out of range")

    monkeypatch.setattr(blt_module, "read_blt", broken)
    blt = io.BytesIO(b'2 1\n1 1 0\n0\n"A"\n"B"\n')
    blt.name = "eq.blt"  # type: ignore[attr-defined]
    with pytest.raises(BallotFileError, match=r"^eq\.blt: found ") as info:
        read(blt, "blt")
    assert "\n" not in str(info.value)
    monkeypatch.undo()
    stv = io.BytesIO(b'ballots=blt\n2 1\n1 = 0\n0\n"A"\n"B"\n')
    stv.name = "eq.stv"  # type: ignore[attr-defined]
    with pytest.raises(BallotFileError, match=r"^eq\.stv"):
        read_stv(stv)


def test_ratio_over_zero(tmp_path: Path) -> None:
    path = _file(tmp_path, "zero.json", JSON_OK.replace('"weight": "1"', '"weight": "1/0"'))
    _refused(lambda: read(path), path, 7, 5, "weight '1/0'")
    path2 = _file(tmp_path, "zero.stv", STV_HEAD + "ballots=1\n3/0X a\nend\n")
    _refused(lambda: read(path2), path2, 6, 1, "a ratio over 0 '3/0X'")
