"""The small path: a ward read and counted without numpy, with exactly the same result.

The Gregory engine does its few operations on papers (next continuing preference, grouping
by it, counting, the Dáil sample) either on numpy arrays or in plain Python
(``rules/stv/_arrays.py``).  Here real files are counted both ways, each forced, and the
whole records must be identical: winners, every stage's totals, transfers, exhausted papers,
events, ties and the JSON report.  The careful BLT reader's shortcuts (a small file decoded
at once, plain ballot lines taken at once) must give the profile it gives line by line.
And a ward counted by the command line must not import numpy at all.
"""

from __future__ import annotations

import contextlib
import json
import random
import subprocess
import sys
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from tallyroom.ballots.formats.blt import FAST_BYTES, read_blt, read_blt_careful
from tallyroom.ballots.formats.blt import careful as blt
from tallyroom.ballots.model import BallotRules, Candidate, Election, Profile
from tallyroom.errors import BallotFileError, TallyroomError
from tallyroom.record import CountRecord
from tallyroom.reports import render
from tallyroom.rules import count
from tallyroom.rules.stv import _arrays

DATA = Path(__file__).parent / "data"
SCOTLAND = sorted((DATA / "scotland" / "ballots").glob("*.blt"))
#: every 15th ward, and the biggest files (most unique ballots)
WARDS = sorted(set(SCOTLAND[::15]) | set(sorted(SCOTLAND, key=lambda p: p.stat().st_size)[-4:]))
DROOP = sorted((DATA / "droop" / "blt").rglob("*.blt"))
DUBLIN = DATA / "ireland" / "dublin_north_2002.blt"
GREGORY = ["scottish-stv", "ers97-stv", "wigm-stv", "minneapolis-stv", "dail-stv"]


@contextlib.contextmanager
def implementation(name: str) -> Iterator[None]:
    token = _arrays.IMPLEMENTATION.set(name)
    try:
        yield
    finally:
        _arrays.IMPLEMENTATION.reset(token)


def _count(profile: Profile, method: str, how: str, **options: Any) -> CountRecord | str:
    with implementation(how):
        try:
            return count(profile, method, **options)
        except TallyroomError as e:
            return f"{type(e).__name__}: {e}"


def assert_same_count(profile: Profile, method: str, **options: Any) -> CountRecord | str:
    """Count both ways; the records (or the errors) must be identical."""
    a = _count(profile, method, "numpy", **options)
    b = _count(profile, method, "python", **options)
    if isinstance(a, str) or isinstance(b, str):
        assert a == b
        return a
    assert a.elected == b.elected
    assert a.stages == b.stages
    assert a.ties == b.ties
    assert a == b
    assert render([a], "json") == render([b], "json")
    assert render([a], "text") == render([b], "text")
    return a


def _name(p: Path) -> str:
    return str(p.relative_to(DATA))


# -- which implementation is used --------------------------------------------------------------
def test_the_implementations_are_the_ones_forced(monkeypatch: pytest.MonkeyPatch) -> None:
    from tallyroom.ballots.formats.blt import read_blt_fast

    p = read_blt(WARDS[0])
    with implementation("numpy"):
        assert _arrays.ballots_for(p).name == "numpy"
    with implementation("python"):
        assert _arrays.ballots_for(p).name == "python"
    # by default: a ward in plain Python; a profile with arrays, or a big one, on numpy
    assert _arrays.ballots_for(p).name == "python"
    assert _arrays.ballots_for(read_blt_fast(WARDS[0])).name == "numpy"
    monkeypatch.setattr(_arrays, "SMALL_UNIQUE", p.unique)
    assert _arrays.ballots_for(p).name == "numpy"


def test_a_ward_file_is_read_carefully() -> None:
    biggest = max(SCOTLAND, key=lambda p: p.stat().st_size)
    assert biggest.stat().st_size < FAST_BYTES
    assert read_blt(biggest).arrays is None


# -- real files, both ways ---------------------------------------------------------------------
@pytest.mark.parametrize("path", WARDS, ids=_name)
def test_scottish_wards(path: Path) -> None:
    r = assert_same_count(read_blt(path), "scottish-stv")
    assert isinstance(r, CountRecord) and len(r.elected) == r.seats


@pytest.mark.parametrize("path", WARDS[::4], ids=_name)
@pytest.mark.parametrize("method", ["ers97-stv", "wigm-stv", "minneapolis-stv", "dail-stv"])
def test_wards_under_the_other_gregory_rules(path: Path, method: str) -> None:
    assert_same_count(read_blt(path), method)


@pytest.mark.parametrize("path", DROOP, ids=_name)
@pytest.mark.parametrize("method", GREGORY)
def test_droop_corpus(path: Path, method: str) -> None:
    assert_same_count(read_blt(path), method)


@pytest.mark.parametrize("seed", [2002, 1, 7])
def test_dublin_north_dail_sample(seed: int) -> None:
    p = read_blt(DUBLIN)
    r = assert_same_count(p, "dail-stv", seed=seed)
    assert isinstance(r, CountRecord)
    # papers were drawn at random (fewer drawn than could be): the draw itself was compared
    samples = [s.extra["sample"] for s in r.stages if "sample" in s.extra]
    assert any(sum(s["papers_drawn"].values()) < s["transferable_papers"] for s in samples)


def test_dublin_north_other_rules() -> None:
    p = read_blt(DUBLIN)
    for method in ("scottish-stv", "ers97-stv"):
        assert_same_count(p, method)


def test_profiles_from_the_fast_reader() -> None:
    # a profile that carries numpy arrays, counted in plain Python from its tuples
    from tallyroom.ballots.formats.blt import read_blt_fast

    for path in (DUBLIN, WARDS[-1]):
        p = read_blt_fast(path)
        assert p.arrays is not None
        assert_same_count(p, "dail-stv", seed=3)
        assert_same_count(p, "scottish-stv")


def test_minneapolis_park_board_2013() -> None:
    from tallyroom.ballots.formats.ess import read_ess

    base = DATA / "rctab" / "test_data"
    rules = BallotRules(overvote="skip", skipped_ranks=2, duplicates="skip")
    p = read_ess(base / "_shared" / "2013_minneapolis_park_cvr.xlsx", rules, seats=3)
    r = assert_same_count(p, "minneapolis-stv")
    assert isinstance(r, CountRecord)
    assert r.elected == ("JOHN ERWIN", "ANNIE YOUNG", "MEG FORNEY")


@pytest.mark.parametrize(
    ("name", "changes"),
    [
        ("test_set_multi_winner_whole_threshold", {}),
        ("test_set_multi_winner_fractional_threshold", {"quota_form": "places-plus-unit"}),
    ],
)
def test_rctab_multi_winner_sets(name: str, changes: dict[str, Any]) -> None:
    from tallyroom.ballots.cdf import read_cdf_json

    d = DATA / "rctab" / "test_data" / name
    config = json.loads((d / f"{name}_config.json").read_text())
    rules = config["rules"]
    p = read_cdf_json(
        d / f"{name}_cvr.json",
        BallotRules(overvote="skip", skipped_ranks=int(rules["maxSkippedRanksAllowed"])),
        seats=int(rules["numberOfWinners"]),
        max_rankings=int(rules["maxRankingsAllowed"]),
    )
    order = [c["name"] for c in config["candidates"]]
    assert_same_count(p, "minneapolis-stv", tie_order=order, **changes)


# -- made-up profiles: fractional weights, equal rankings, withdrawals, options, constraints -----
def _random_profile(rng: random.Random) -> Profile:
    n = rng.randint(2, 9)
    seats = rng.randint(1, max(1, n - 1))
    genders = ["woman", "man"]
    candidates = tuple(Candidate(f"C{i}", {"gender": genders[rng.randrange(2)]}) for i in range(n))
    withdrawn = frozenset(rng.sample(range(n), rng.randint(0, 1))) if n - seats > 1 else frozenset()
    election = Election(candidates, seats, withdrawn=withdrawn)
    fractional = rng.random() < 0.3
    ballots: list[tuple[tuple, Any]] = []
    for _ in range(rng.randint(1, 60)):
        ranking: list[Any] = rng.sample(range(n), rng.randint(0, n))
        if len(ranking) >= 2 and rng.random() < 0.1:
            ranking[0:2] = [tuple(ranking[0:2])]  # an equal ranking
        w: Any = Fraction(rng.randint(1, 40), rng.choice([1, 2, 3, 10, 100])) if fractional else 1
        if not fractional and rng.random() < 0.3:
            w = rng.randint(1, 500)
        ballots.append((tuple(ranking), w))
    rules = BallotRules(overvote=rng.choice(["exhaust", "skip"]))
    return Profile.build(election, [(b, w) for b, w in ballots if b], rules=rules)


@pytest.mark.parametrize("seed", range(40))
def test_random_profiles(seed: int) -> None:
    rng = random.Random(seed)
    p = _random_profile(rng)
    for method in GREGORY:
        assert_same_count(p, method, seed=seed)
    # options that change which paper operations are used
    assert_same_count(p, "ers97-stv", surplus="uigm", tv_divisor="papers")
    assert_same_count(p, "ers97-stv", surplus="uigm", tv_divisor="votes")
    assert_same_count(p, "scottish-stv", surpluses_per_stage="all", transfer_final_surplus=True)
    if p.election.seats >= 2:
        assert_same_count(p, "scottish-stv", constraints=["gender=woman:min=1"])
        assert_same_count(
            p, "wigm-stv", constraints=["gender=man:max=1"], constraint_method="exclude-lowest"
        )


# -- the careful BLT reader's shortcuts give the line-by-line profile ---------------------------
BLT_CORPUS = SCOTLAND[::4] + DROOP + sorted((DATA / "blt-dialects").glob("*.blt")) + [DUBLIN]


def _read_or_error(path: Path) -> Profile | str:
    try:
        return read_blt_careful(path)
    except BallotFileError as e:
        return str(e)


@pytest.mark.parametrize("path", BLT_CORPUS, ids=_name)
def test_reader_shortcuts(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    quick = _read_or_error(path)
    monkeypatch.setattr(blt, "_small_file_lines", lambda stream: None)
    monkeypatch.setattr(blt._Lines, "next_after_plain", lambda self, ncand, raw: self.next())
    slow = _read_or_error(path)
    assert quick == slow
    if isinstance(quick, Profile) and isinstance(slow, Profile):
        assert tuple(quick.ballots) == tuple(slow.ballots) and quick.weights == slow.weights


@pytest.mark.parametrize(
    "line",
    [
        "1 2 2 0",  # a repeated candidate: clean_ranking's business
        "0 1 2 0",  # weight 0: an error, on its line
        "1 9 0",  # no candidate 9: an error, on its line
        "1 01 2 0",  # a number written with a leading zero
        "3 0",  # a paper with no preference (blank)
        "1 2 3 0 # a comment",
        "1 2=3 0",
        "1 2 - 3 0",
        "2\t3  1   0  ",
        "1 ١ 0",  # an Arabic-Indic digit is not a candidate number
        "(4) 1 2 0",
    ],
)
def test_reader_shortcuts_on_odd_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, line: str
) -> None:
    body = ["4 2", "1 1 2 0", line, "2 3 1 0", "1 1 2 0", "0", '"A"', '"B"', '"C"', '"D"', '"T"']
    path = tmp_path / "odd.blt"
    path.write_text("\n".join(body) + "\n", encoding="utf-8")
    test_reader_shortcuts(path, monkeypatch)


def test_reader_shortcuts_on_latin1_and_bom(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = '3 1\n1 1 2 0\n2 3 0\n0\n"Ren\xe9"\n"B"\n"C"\n'
    latin = tmp_path / "latin.blt"
    latin.write_bytes(body.encode("latin-1"))
    bom = tmp_path / "bom.blt"
    bom.write_bytes(b"\xef\xbb\xbf" + body.encode("utf-8").replace(b"\n", b"\r\n"))
    for path in (latin, bom):
        test_reader_shortcuts(path, monkeypatch)
        monkeypatch.undo()
    assert read_blt_careful(latin).election.names[0] == "René"


# -- the command line does not import numpy for a ward --------------------------------------------
_NO_NUMPY = """
import contextlib, io, sys
from tallyroom.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out):
    try:
        main(["count", sys.argv[1], "--method", sys.argv[2], "--format", sys.argv[3]])
    except SystemExit as e:
        assert e.code in (0, None), e.code
assert "Elected" in out.getvalue() or '"elected"' in out.getvalue(), out.getvalue()[:500]
heavy = ("numpy", "pandas", "plotly", "openpyxl", "dask", "pyarrow",
         "tallyroom.rules.stv.meek", "tallyroom.rules.majority", "tallyroom.rules.plurality",
         "tallyroom.ballots.formats.blt.fast", "tallyroom.ballots.formats.blt.merge", "tallyroom.analysis.compare")
loaded = sorted(m for m in heavy if m in sys.modules)
print(" ".join(loaded))
"""


def _ward_like_file(tmp_path: Path, papers: int = 10_000) -> Path:
    rng = random.Random(10)
    lines = ["12 6"]
    for _ in range(papers):
        k = rng.randint(1, 12)
        lines.append(" ".join(map(str, [1, *rng.sample(range(1, 13), k), 0])))
    lines += ["0", *[f'"Candidate {i}"' for i in range(1, 13)], '"A ward of 10,000 papers"']
    path = tmp_path / "ward10k.blt"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("method", ["scottish-stv", "ers97-stv", "wigm-stv"])
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_ward_is_counted_without_numpy(tmp_path: Path, method: str, fmt: str) -> None:
    files = [max(SCOTLAND, key=lambda p: p.stat().st_size), _ward_like_file(tmp_path)]
    for path in files:
        done = subprocess.run(
            [sys.executable, "-c", _NO_NUMPY, str(path), method, fmt],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "", f"{path.name}: imported {done.stdout.strip()}"


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_not_even_on_a_terminal(tmp_path: Path) -> None:
    # on a terminal the command shows progress bars; the fast reader's (numpy) only for big files
    import os
    import pty

    leader, follower = pty.openpty()
    try:
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                _NO_NUMPY,
                str(_ward_like_file(tmp_path)),
                "scottish-stv",
                "text",
            ],
            stdout=subprocess.PIPE,
            stderr=follower,
            text=True,
            check=False,
        )
    finally:
        os.close(follower)
        os.close(leader)
    assert done.returncode == 0
    assert done.stdout.strip() == "", f"imported {done.stdout.strip()}"


def test_methods_still_lists_every_rule() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "from tallyroom.cli import main; main(['methods'])"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    from tallyroom.rules import rules

    for rule in rules():
        assert rule.id in done.stdout
    for rule_id in ("scottish-stv", "meek-stv", "warren-stv", "irv", "block-vote"):
        assert rule_id in done.stdout


@pytest.mark.parametrize("seed", range(5))
def test_from_marks_shortcut_is_clean_ranking(seed: int) -> None:
    """``Profile.from_marks`` takes papers of distinct whole candidate numbers as they are;
    on every other paper it applies ``clean_ranking``. Both must give the same profile."""
    from tallyroom.ballots.model import OVERVOTE, clean_ranking

    rng = random.Random(seed)
    e = Election(candidates=tuple(Candidate(f"C{i}") for i in range(6)), seats=2)
    raw: dict[tuple, int] = {}
    for _ in range(400):
        marks: list[Any] = [rng.randrange(6) for _ in range(rng.randrange(0, 7))]
        if rng.random() < 0.2 and marks:
            marks[rng.randrange(len(marks))] = rng.choice([None, OVERVOTE, (1, 2)])
        raw[tuple(marks)] = raw.get(tuple(marks), 0) + rng.randrange(1, 4)
    for rules in (BallotRules(), BallotRules(duplicates="exhaust", overvote="skip")):
        got = Profile.from_marks(e, raw, rules)
        cleaned, bad = [], {}
        for marks, w in raw.items():
            ballot, reason = clean_ranking(marks, rules)
            if reason is None:
                cleaned.append((ballot, w))
            else:
                bad[reason] = bad.get(reason, 0) + w
        assert got == Profile.build(e, cleaned, invalid=bad, rules=rules)
