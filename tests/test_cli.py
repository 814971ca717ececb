"""The command line: what returning officers type, and what they see when a file is bad."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tallyroom.cli import main

DATA = Path(__file__).parent / "data"
WARD = DATA / "scotland" / "ballots" / "aberdeen_2017_ward1.blt"
WARD2 = DATA / "scotland" / "ballots" / "aberdeen_2017_ward2.blt"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_:
        main([str(a) for a in args])
    out = capsys.readouterr()
    return int(exit_.value.code or 0), out.out, out.err


def test_count_prints_the_official_result_sheet(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "count", WARD, "--method", "scottish-stv")
    assert code == 0
    assert "Quota:        1322.00000" in out
    # official stage 6 figures of Aberdeen ward 1 (tests/data/scotland/official-2017)
    assert "1483.79014" in out and "1317.90720" in out
    assert "1.  Avril MACKENZIE (Con) (stage 1)" in out


def test_count_json_contract(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "count", WARD, "-m", "scottish-stv", "--format", "json")
    assert code == 0
    d = json.loads(out)
    assert d["format"] == "tallyroom.result/1"
    assert d["source"] == str(WARD)
    assert d["method"] == "scottish-stv" and d["seats"] == 4
    assert d["quota"] == "1322.00000"
    assert d["candidates"][0] == "Barney CROCKETT (Lab)"
    assert d["elected"] == [
        "Avril MACKENZIE (Con)",
        "Neil MACGREGOR (SNP)",
        "Barney CROCKETT (Lab)",
        "Gill SAMARAI (SNP)",
    ]
    s2 = d["stages"][1]
    assert (
        s2["number"] == 2
        and s2["action"] == "surplus"
        and s2["subjects"] == ["Avril MACKENZIE (Con)"]
    )
    assert s2["totals"]["Barney CROCKETT (Lab)"] == "806.07214"
    assert {"exhausted", "loss"} <= set(s2)
    assert d["ties"] == []


def test_count_several_files_jsonl(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "count", WARD, WARD2, "-m", "scottish-stv", "--format", "jsonl")
    lines = out.splitlines()
    assert code == 0 and len(lines) == 2
    assert [json.loads(x)["source"] for x in lines] == [str(WARD), str(WARD2)]


def test_count_csv_and_output_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "r.csv"
    code, _, _ = run(capsys, "count", WARD, "-m", "scottish-stv", "--format", "csv", "-o", target)
    assert code == 0
    rows = target.read_text().splitlines()
    assert rows[0].startswith("source,method,stage,action")
    assert any("Barney CROCKETT (Lab),62.07214,806.07214" in r for r in rows)


def test_withdraw_and_countback(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "count",
        WARD,
        "-m",
        "scottish-stv",
        "--withdraw",
        "Avril MACKENZIE (Con)",
        "--format",
        "json",
    )
    d = json.loads(out)
    assert (
        code == 0
        and "Avril MACKENZIE (Con)" not in d["elected"]
        and d["withdrawn"] == ["Avril MACKENZIE (Con)"]
    )
    code, out, _ = run(
        capsys,
        "count",
        WARD,
        "-m",
        "scottish-stv",
        "--countback",
        "Gill SAMARAI (SNP)",
        "--format",
        "json",
    )
    d = json.loads(out)
    assert code == 0
    cb = d["extra"]["countback"]
    assert cb["vacated_by"] == "Gill SAMARAI (SNP)"
    assert set(d["elected"]) == {
        "Avril MACKENZIE (Con)",
        "Neil MACGREGOR (SNP)",
        "Barney CROCKETT (Lab)",
        cb["filled_by"],
    }


def test_inspect_jsonl(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "inspect", WARD, WARD2, "--format", "jsonl")
    assert code == 0
    first = json.loads(out.splitlines()[0])
    assert first["source"] == str(WARD)
    assert first["seats"] == 4 and first["ballots"] == 6608 and first["valid"] == 6608
    assert first["invalid"] == {}
    assert first["first_preferences"]["Avril MACKENZIE (Con)"] == 2012
    assert first["candidates"][0] == "Barney CROCKETT (Lab)"


def test_convert_round_trip(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "ward.json"
    code, _, _ = run(capsys, "convert", WARD, target)
    assert code == 0
    code, out, _ = run(capsys, "count", target, "-m", "scottish-stv", "--format", "json")
    assert json.loads(out)["stages"][-1]["totals"]["Gill SAMARAI (SNP)"] == "1317.90720"


def test_methods_lists_every_rule(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "methods")
    assert code == 0
    for rule in ("scottish-stv", "ers97-stv", "meek-stv", "block-vote", "irv", "schulze", "dhondt"):
        assert rule in out


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "empty file"),
        (b"3 1\n1 1 2 0\n", "end of the file"),
        (b"3 1\n1 1 9 0\n0\n", "candidate number 9"),
        (b"\x00\x01\x02junk", "binary data"),
    ],
)
def test_bad_file_is_one_line_and_non_zero(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: bytes, expected: str
) -> None:
    bad = tmp_path / "bad.blt"
    bad.write_bytes(content)
    code, out, err = run(capsys, "count", bad, "-m", "scottish-stv")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert str(bad) in err and expected in err


def test_unknown_rule_and_unknown_candidate(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "count", WARD, "-m", "no-such-rule")
    assert code == 2 and "unknown counting rule 'no-such-rule'" in err
    code, _, err = run(capsys, "count", WARD, "-m", "scottish-stv", "--withdraw", "Nobody")
    assert code == 2 and "no candidate named 'Nobody'" in err


def test_more_seats_than_candidates(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "count", WARD, "-m", "scottish-stv", "--seats", "9")
    assert code == 2 and "seats" in err
