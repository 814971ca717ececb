"""The fast BLT path gives exactly the profile the careful reader gives, or hands over to it."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from tallyroom.ballots.formats.blt import FAST_BYTES, read_blt, read_blt_careful, read_blt_fast
from tallyroom.ballots.model import BallotRules
from tallyroom.errors import BallotFileError
from tallyroom.rules import count
from tallyroom.rules.stv.gregory import BallotArrays

DATA = Path(__file__).parent / "data"
CORPUS = sorted(DATA.glob("scotland/**/*.blt")) + sorted(DATA.glob("droop/**/*.blt"))
CORPUS += sorted(DATA.glob("ireland/**/*.blt")) + sorted(DATA.glob("blt-dialects/**/*.blt"))


def same(a, b) -> None:  # type: ignore[no-untyped-def]
    assert a.election == b.election
    assert tuple(a.ballots) == tuple(b.ballots)
    assert a.weights == b.weights
    assert dict(a.invalid) == dict(b.invalid)
    assert a.rules == b.rules and a.source == b.source and a.kind == b.kind
    assert a == b


def test_corpus_is_there() -> None:
    assert len(CORPUS) > 100


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: str(p.relative_to(DATA)))
def test_same_profile_as_careful_reader(path: Path) -> None:
    try:
        careful = read_blt_careful(path)
    except BallotFileError as e:
        with pytest.raises(BallotFileError) as fast_error:
            read_blt_fast(path)
        assert str(fast_error.value) == str(e)
        return
    fast = read_blt_fast(path)
    same(fast, careful)
    if fast.arrays is not None:
        prefs, w = fast.arrays
        assert prefs.dtype == np.int32 and w.dtype == np.int64
        slow = BallotArrays.of(careful)
        assert np.array_equal(prefs, slow.prefs) and np.array_equal(w, slow.weights)


def test_scottish_wards_take_the_fast_path() -> None:
    taken = [p for p in CORPUS if "scotland" in str(p) and read_blt_fast(p).arrays is not None]
    assert len(taken) > 50


def _plain_file(tmp_path: Path, rng: random.Random, n: int, ncand: int = 7) -> Path:
    lines = [f"{ncand} {min(3, ncand)}"]
    if rng.random() < 0.5:
        lines.append("-2")
    for _ in range(n):
        k = rng.randrange(0, ncand + 1)
        prefs = rng.sample(range(1, ncand + 1), k)
        w = rng.choice([1, 1, 1, 2, 17])
        lines.append(" ".join(map(str, [w, *prefs, 0])))
    lines.append("0")
    lines += [f'"Cand {i}"' for i in range(1, ncand + 1)]
    lines.append('"A title"')
    path = tmp_path / f"plain{n}.blt"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("seed", range(6))
def test_random_plain_files(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    path = _plain_file(tmp_path, rng, rng.choice([1, 50, 3000]), ncand=rng.choice([2, 7, 15, 20]))
    fast = read_blt_fast(path)
    assert fast.arrays is not None  # plain: the fast path was taken
    same(fast, read_blt_careful(path))
    rules = BallotRules(duplicates="exhaust")
    same(read_blt_fast(path, rules), read_blt_careful(path, rules))


def test_chunk_boundaries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tallyroom.ballots.formats.blt.fast as fb

    monkeypatch.setattr(fb, "_CHUNK", 97)
    path = _plain_file(tmp_path, random.Random(3), 2000)
    same(read_blt_fast(path), read_blt_careful(path))


@pytest.mark.parametrize(
    "ballot, why",
    [
        ("1 2 2 0", "a repeated candidate"),
        ("1 2=3 0", "an equal ranking"),
        ("1 2 - 3 0", "a skipped rank"),
        ("(7) 1 2 0", "a ballot id"),
        ("1.5 2 0", "a decimal weight"),
        ("1 2 0 # note", "a comment"),
    ],
)
def test_unusual_lines_go_to_the_careful_reader(tmp_path: Path, ballot: str, why: str) -> None:
    path = _plain_file(tmp_path, random.Random(1), 200)
    lines = path.read_text().splitlines()
    lines.insert(100, ballot)
    path.write_text("\n".join(lines) + "\n")
    fast = read_blt_fast(path)
    assert fast.arrays is None, why
    same(fast, read_blt_careful(path))


@pytest.mark.parametrize(
    "ballot, col",
    [("1 9 0", 3), ("0 2 0", 1), ("1 2 3", None), ("1 x 0", 3)],
)
def test_errors_keep_their_line_numbers(tmp_path: Path, ballot: str, col: int | None) -> None:
    path = _plain_file(tmp_path, random.Random(2), 5000)
    lines = path.read_text().splitlines()
    at = 3000
    lines.insert(at, ballot)
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(BallotFileError) as careful:
        read_blt_careful(path)
    with pytest.raises(BallotFileError) as fast:
        read_blt_fast(path)
    assert str(fast.value) == str(careful.value)
    assert f":{at + 1}" in str(fast.value)


def test_crlf_and_tabs(tmp_path: Path) -> None:
    path = _plain_file(tmp_path, random.Random(4), 300)
    text = path.read_text().replace(" ", "\t", 50).replace("\n", "\r\n")
    path.write_bytes(text.encode())
    fast = read_blt_fast(path)
    same(fast, read_blt_careful(path))


def test_read_blt_dispatches_big_files(tmp_path: Path) -> None:
    path = _plain_file(tmp_path, random.Random(5), 60000)
    assert path.stat().st_size >= FAST_BYTES
    p = read_blt(path)
    assert p.arrays is not None
    same(p, read_blt_careful(path))


def test_read_blt_reads_small_files_carefully(tmp_path: Path) -> None:
    # a ward's file is read without numpy: the fast reader is for big files only
    path = _plain_file(tmp_path, random.Random(5), 3000)
    assert path.stat().st_size < FAST_BYTES
    p = read_blt(path)
    assert p.arrays is None
    same(p, read_blt_fast(path))


@pytest.mark.parametrize("method", ["scottish-stv", "ers97-stv", "meek-stv", "irv", "block-vote"])
def test_counts_agree(tmp_path: Path, method: str) -> None:
    path = _plain_file(tmp_path, random.Random(6), 3000)
    fast, careful = read_blt_fast(path), read_blt_careful(path)
    if method == "irv":
        fast = fast.with_election(fast.election.with_changes(seats=1))
        careful = careful.with_election(careful.election.with_changes(seats=1))
    a, b = count(fast, method), count(careful, method)
    assert a.elected == b.elected
    assert a.stages == b.stages


@pytest.mark.parametrize(
    "body",
    [
        "0\n",  # no ballots
        "99999999999999999999 1 0\n0\n",  # a weight beyond 64 bits
        "1 1 0\n0\n",  # too few names: the error's line number must be the file's
    ],
)
def test_edge_files(tmp_path: Path, body: str) -> None:
    names = '"A"\n"B"\n"C"\n' if "too few" not in body else ""
    text = "3 1\n" + body + (names if not body.startswith("1 1 0") else '"A"\n')
    path = tmp_path / "edge.blt"
    path.write_text(text)
    try:
        careful = read_blt_careful(path)
    except BallotFileError as e:
        with pytest.raises(BallotFileError) as fast:
            read_blt_fast(path)
        assert str(fast.value) == str(e)
        return
    same(read_blt_fast(path), careful)


def _file(tmp_path: Path, ncand: int, lines: list[str], name: str = "f.blt") -> Path:
    names = "".join(f'"C{i}"\n' for i in range(1, ncand + 1))
    path = tmp_path / name
    path.write_text(f"{ncand} 2\n" + "\n".join(lines) + "\n0\n" + names + '"T"\n')
    return path


@pytest.mark.parametrize("ncand", [12, 15, 120])
def test_numbers_of_many_digits(tmp_path: Path, ncand: int) -> None:
    """Weights (and candidate numbers) of three digits and more take the general tokeniser;
    15 candidates decode their keys in 64-bit halves, 120 take byte-string keys."""
    rng = random.Random(ncand)
    lines = []
    for _ in range(4000):
        prefs = rng.sample(range(1, ncand + 1), rng.randrange(0, min(ncand, 15)))
        w = rng.choice([1, 7, 123, 45678, 999_999_999])
        lines.append(" ".join(map(str, [w, *prefs, 0])))
    path = _file(tmp_path, ncand, lines)
    fast = read_blt_fast(path)
    assert fast.arrays is not None
    same(fast, read_blt_careful(path))


@pytest.mark.parametrize("ncand", [7, 40, 70])
def test_a_repeat_on_a_short_paper_goes_to_the_careful_reader(tmp_path: Path, ncand: int) -> None:
    """A repeated candidate is found on the merged rankings (bit masks up to 62 candidates,
    a sort beyond); the ballot rules then decide, as the careful reader applies them."""
    rng = random.Random(ncand)
    lines = [" ".join(map(str, [1, *rng.sample(range(1, ncand + 1), 5), 0])) for _ in range(3000)]
    lines.insert(2500, f"2 3 {ncand} 3 0")
    path = _file(tmp_path, ncand, lines)
    assert read_blt_fast(path).arrays is None  # the careful reader read it
    for rules in (BallotRules(), BallotRules(duplicates="exhaust")):
        same(read_blt_fast(path, rules), read_blt_careful(path, rules))


def test_parallel_merge_and_decode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Big files merge two ranges of keys and decode blocks of rows on two cores; forced
    here on a small file, the profile is the careful reader's all the same."""
    import tallyroom.ballots.formats.blt.fast as fb
    import tallyroom.ballots.formats.blt.merge as mb

    monkeypatch.setattr(fb, "_CHUNK", 4096)
    monkeypatch.setattr(mb, "_PARALLEL_PAPERS", 0)
    monkeypatch.setattr(mb, "_PARALLEL_ROWS", 0)
    monkeypatch.setattr(mb, "threads", lambda: 2)
    calls = {"_merge_range": 0, "_decode": 0}
    for fn in calls:
        real = getattr(mb, fn)

        def counted(*a, _real=real, _fn=fn):  # type: ignore[no-untyped-def]
            calls[_fn] += 1
            return _real(*a)

        monkeypatch.setattr(mb, fn, counted)
    path = _plain_file(tmp_path, random.Random(11), 20000, ncand=9)
    fast = read_blt_fast(path)
    assert fast.arrays is not None  # the fast path, not the careful reader
    assert calls == {"_merge_range": 2, "_decode": 2}  # two key ranges, two row blocks
    same(fast, read_blt_careful(path))


def test_a_zero_line_among_the_ballots(tmp_path: Path) -> None:
    """The end line is searched for in the file's last MB; a bare 0 line further up (here
    more than 1 MB before the end) must still end the ballots where the careful reader
    says: the fast reader hands the file over."""
    lines = [f"1 {1 + i % 3} 0" for i in range(300000)]
    lines.insert(100, " 0 ")
    path = _file(tmp_path, 3, lines)
    assert path.stat().st_size > 1 << 20
    assert read_blt_fast(path).arrays is None
    try:
        careful = read_blt_careful(path)
    except BallotFileError as e:
        with pytest.raises(BallotFileError) as fast:
            read_blt_fast(path)
        assert str(fast.value) == str(e)
        return
    same(read_blt_fast(path), careful)


def test_keep_freed_memory_is_asked_for_not_imposed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The glibc tuning is for a program that owns its process (the CLI asks for it with
    ``own_process=True``); reading never does it otherwise, nor for a file the fast path
    does not read, and a MALLOC_* setting of the user's wins."""
    import os
    import subprocess
    import sys

    import tallyroom.ballots.formats.blt.memory as memory
    from tallyroom.ballots.formats import read

    probe = "import tallyroom.ballots.formats.blt as b\nprint(b.keep_freed_memory())\n"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True)
    expect = "True" if sys.platform.startswith("linux") and _is_glibc() else "False"
    assert out.stdout.strip() == expect
    env["MALLOC_TRIM_THRESHOLD_"] = "131072"
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == "False"

    asked: list[str] = []
    monkeypatch.setattr(memory, "_glibc", lambda: asked.append("glibc"))  # returns None
    for k in ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_"):
        monkeypatch.delenv(k, raising=False)
    big = _plain_file(tmp_path, random.Random(5), 60000)
    assert big.stat().st_size >= FAST_BYTES
    small = tmp_path / "small.blt"
    small.write_text('2 1\n1 1 0\n0\n"A"\n"B"\n')
    read_blt(big)
    read(big)
    read_blt_fast(big)
    read(small, own_process=True)
    assert asked == []  # not asked, or not the fast path
    read_blt(big, own_process=True)
    assert asked == ["glibc"]
    read(big, own_process=True)
    assert asked == ["glibc"] * 2


def _is_glibc() -> bool:
    import platform

    return platform.libc_ver()[0] == "glibc"


def test_sharded_weights_that_could_overflow_are_refused() -> None:
    """Totals are int64: weights whose total could wrap are refused, never summed."""
    from tallyroom.ballots.model import Candidate, Election
    from tallyroom.ballots.sharded import _keys_of, merge

    e = Election(candidates=(Candidate("A"), Candidate("B")), seats=1)
    mat = np.array([[1, 2], [1, 2]], dtype=np.int16)
    with pytest.raises(BallotFileError, match="2\\*\\*62"):
        _keys_of(mat, np.array([2**62, 2**62], dtype=np.int64), 2, BallotRules(), "s")
    half = _keys_of(mat, np.array([2**60, 2**60], dtype=np.int64), 2, BallotRules(), "s")
    with pytest.raises(BallotFileError, match="2\\*\\*62"):
        merge(e, [half, half], BallotRules(), "s")
    ok = merge(e, [half], BallotRules(), "s")
    assert ok.weights == (2**61,) and ok.ballots == ((0, 1),)


def test_progress_is_told_as_a_big_file_is_read(tmp_path: Path) -> None:
    """``progress(done, in all)``: the bytes of the ballot section read so far, rising to all
    of them; a file read carefully (small) tells nothing."""
    from tallyroom.ballots.formats import read

    big = _plain_file(tmp_path, random.Random(5), 60000)
    told: list[tuple[int, int]] = []
    p = read(big, progress=lambda done, total: told.append((done, total)))
    assert p.arrays is not None
    assert told and len({t for _, t in told}) == 1
    done = [d for d, _ in told]
    assert done == sorted(done) and done[-1] == told[0][1]
    # the ballot section: from the line after the header ("7 3", maybe "-2") to the end line
    text = big.read_bytes()
    start = text.index(b"\n", text.index(b"\n") + 1 if text.split(b"\n")[1] == b"-2" else 0) + 1
    assert told[0][1] == text.index(b"\n0\n") + 1 - start
    small = _plain_file(tmp_path, random.Random(5), 3000)
    told.clear()
    read_blt(small, progress=lambda done, total: told.append((done, total)))
    assert told == []
