"""The audit bundle: everything needed to re-run a count elsewhere, with hashes."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from tallyroom.ballots.formats.blt import read_blt
from tallyroom.cli import cli
from tallyroom.reports.audit import rerun, sha256_file, verify_bundle, write_bundle
from tallyroom.reports.json import to_dict
from tallyroom.rules import count

DATA = Path(__file__).parent / "data" / "scotland" / "ballots"
WARD = DATA / "renfrewshire_2017_ward3.blt"


def _same_count(a: dict, b: dict) -> None:
    for key in ("method", "options", "seats", "candidates", "elected", "stages", "ties", "quota"):
        assert a[key] == b[key], key


def test_sha256() -> None:
    assert sha256_file(WARD) == hashlib.sha256(WARD.read_bytes()).hexdigest()
    # the record carries the digest of its input (taken as the file was read): no report
    # reads the file again
    assert count(read_blt(WARD), "scottish-stv").source_sha256 == sha256_file(WARD)


def test_bundle_reruns_to_the_same_result(tmp_path: Path) -> None:
    profile = read_blt(WARD)
    given = {"seed": 42}
    record = count(profile, "scottish-stv", **given)
    sums = write_bundle(tmp_path / "audit", profile, record, given)
    d = sums.parent
    assert sorted(p.name for p in d.iterdir()) == [
        "SHA256SUMS",
        "ballots.blt",
        "count.json",
        "result.json",
    ]
    # SHA256SUMS is in the format `sha256sum -c` reads
    for line in sums.read_text().splitlines():
        digest, name = line.split("  ")
        assert digest == hashlib.sha256((d / name).read_bytes()).hexdigest()
    assert verify_bundle(d) == []
    settings = json.loads((d / "count.json").read_text())
    assert settings["method"] == "scottish-stv"
    assert settings["options"] == {"seed": 42}
    assert settings["resolved_options"]["seed"] == 42
    assert settings["source"] == {"name": str(WARD), "sha256": sha256_file(WARD)}
    assert settings["ballots"] == {"read": "4804", "valid": "4804", "invalid": {}}
    assert settings["rerun"] == "tallyroom count ballots.blt --method scottish-stv --seed 42"
    # counting the bundle's ballots under its options gives the same count, ties included
    again = rerun(d)
    assert again.ties == record.ties
    _same_count(to_dict(again), json.loads((d / "result.json").read_text()))
    # moved elsewhere, it still checks and re-runs
    moved = tmp_path / "elsewhere"
    shutil.copytree(d, moved)
    assert verify_bundle(moved) == [] and rerun(moved).elected == record.elected


def test_a_changed_file_is_caught(tmp_path: Path) -> None:
    profile = read_blt(WARD)
    record = count(profile, "scottish-stv")
    d = write_bundle(tmp_path, profile, record).parent
    blt = d / "ballots.blt"
    blt.write_text(blt.read_text().replace("\n1 ", "\n2 ", 1))
    assert verify_bundle(d) == ["ballots.blt: SHA-256 differs from SHA256SUMS"]


def test_bundle_is_reproducible(tmp_path: Path) -> None:
    profile = read_blt(WARD)
    record = count(profile, "scottish-stv")
    a = write_bundle(tmp_path / "a", profile, record).read_text()
    b = write_bundle(tmp_path / "b", profile, record).read_text()
    assert a == b


def test_cli_audit_and_html(tmp_path: Path) -> None:
    out = tmp_path / "result.html"
    audit = tmp_path / "audit"
    r = CliRunner().invoke(
        cli,
        [
            "count",
            str(WARD),
            "--method",
            "scottish-stv",
            "--seed",
            "3",
            "--format",
            "html",
            "-o",
            str(out),
            "--audit",
            str(audit),
        ],
    )
    assert r.exit_code == 0, r.output
    assert out.read_text().startswith("<!DOCTYPE html>")
    assert verify_bundle(audit) == []
    assert json.loads((audit / "count.json").read_text())["options"] == {"seed": 3}
    _same_count(to_dict(rerun(audit)), json.loads((audit / "result.json").read_text()))


def test_cli_audit_of_several_files(tmp_path: Path) -> None:
    other = DATA / "aberdeen_2017_ward1.blt"
    r = CliRunner().invoke(
        cli,
        ["count", str(WARD), str(other), "-m", "scottish-stv", "--audit", str(tmp_path)],
    )
    assert r.exit_code == 0, r.output
    for f in (WARD, other):
        assert verify_bundle(tmp_path / f.name) == []


def test_bundle_replays_a_count_with_group_quotas(tmp_path: Path) -> None:
    from tallyroom.ballots.model import Candidate, Election, Profile
    from tallyroom.reports.audit import rerun, verify_bundle, write_bundle
    from tallyroom.rules import count as run

    g = {"A": "man", "B": "man", "C": "woman", "D": "man"}
    names = list(g)
    e = Election(tuple(Candidate(n, {"gender": g[n]}) for n in names), 2)
    p = Profile.build(e, [((0, 1), 40), ((1,), 30), ((2,), 10), ((3, 2), 20)])
    given = {"seed": 1, "constraints": ["gender=woman:min=1"]}
    record = run(p, "scottish-stv", **given)
    assert "C" in record.elected
    write_bundle(tmp_path, p, record, given)
    assert (tmp_path / "candidates.csv").read_text().splitlines()[0] == "name,gender"
    assert verify_bundle(tmp_path) == []
    again = rerun(tmp_path)
    assert again.elected == record.elected
    settings = json.loads((tmp_path / "count.json").read_text())
    assert "--candidates candidates.csv" in settings["rerun"]
    assert "--constraint gender=woman:min=1" in settings["rerun"]
