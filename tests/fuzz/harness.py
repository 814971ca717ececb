"""A seeded fuzzer for the ballot readers (issue 13).

Why a seeded random mutator and not hypothesis: every input is run in a worker process
under a memory limit and killed when it passes the time bound, so a hang or a run-away
allocation is an *outcome* to count, not a crash of the test run; hypothesis' shrinking
and example database assume the test function returns.  An input is rebuilt exactly from
``(seed, index)``, which is all a report needs to reproduce it.

Each input is one of

* a mutation of a real file from ``tests/data`` (every format: BLT, CSV wide/long/VoteKit,
  PrefLib, ``.stv``, tallyroom JSON, NIST CDF JSON, ES&S ``.xlsx``, candidates and
  constraints files), or
* a generated file with known totals (random ballots written by tallyroom's writers, then
  padded with hostile but legal variations), whose profile must give back those totals, or
* an ``--option`` call (``count small.blt -m RULE --option K=V ...`` with odd keys and
  values) through the command line's own entry point, in about one input in ten.

Every accepted profile that is small (at most 300 unique ballots, 12 candidates) is then
counted under a rule of one family or another (:data:`COUNT_RULES`): a count that ends in
anything but a result or a clean refusal is a failure too (``unbalanced`` when the count's
own check of its books fails).

Outcomes: ``accepted`` (books balanced: ``ballots_read == valid + sum(invalid)``, every
ballot's candidates in range, every weight positive, and for generated files the known
totals), ``refused`` (a TallyroomError whose message is one line, at most
:data:`MAX_MESSAGE` characters, with no control or bidi character and no "bug in
tallyroom"), or a failure: ``bug`` (another exception, or a refusal that breaks those
rules), ``unbalanced``, ``hang`` (over the time bound) and ``memory`` (MemoryError under the
worker's address-space limit, or the worker killed).

Per format the run reports inputs, outcomes, the inputs over 5 s (``over_5s``, apart from
hangs, which pass ``--bound``) and the peak resident memory an input of that format took
the worker to.  A long run, one process, ending by a given time:
``python tests/fuzz/harness.py --seed 13 --inputs 200000 --bound 30 --until 18:00
--log fail.jsonl --out result.json``; ``--save N`` writes input N to a file.  The test
suite runs a short seeded one (``tests/test_fuzz.py``; ``TALLYROOM_FUZZ=N`` makes it N
inputs).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import select
import subprocess
import sys
import tempfile
import time
import unicodedata
from fractions import Fraction
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
MAX_MESSAGE = 1000  # tallyroom.errors.MESSAGE_LIMIT
TIME_BOUND = 5.0
MEMORY_BOUND = 2 << 30  # address space of a worker (numpy and openpyxl included)
SEED_BYTES = 64 << 10  # seeds longer than this are cut (at a line end) to keep inputs quick

# -- seeds -------------------------------------------------------------------------------------


def _cut(data: bytes, limit: int = SEED_BYTES) -> bytes:
    if len(data) <= limit:
        return data
    end = data.rfind(b"\n", 0, limit)
    return data[: end + 1] if end > 0 else data[:limit]


def seeds() -> dict[str, list[tuple[str, bytes]]]:
    """Real files from tests/data, by the reader they are for: format -> [(name, bytes)]."""
    out: dict[str, list[tuple[str, bytes]]] = collections.defaultdict(list)
    blts = sorted(DATA.rglob("*.blt"))
    for p in blts[:: max(1, len(blts) // 60)]:
        out["blt"].append((p.name, _cut(p.read_bytes())))
    for p in sorted(DATA.rglob("*.stv")):
        out["stv"].append((p.name, p.read_bytes()))
    for p in sorted(DATA.rglob("*.soi")):
        out["preflib"].append((p.name, _cut(p.read_bytes(), 16 << 10)))
        # the full header with a few ballots: the counts stay consistent
    out["csv"].append(
        ("albany", _cut((DATA / "albany-2022" / "albany_profile.csv").read_bytes(), 16 << 10))
    )
    burl = DATA / "burlington-2009" / "us_vt_btv_2009_03_mayor.normalized.csv"
    out["csv"].append(("burlington", _cut(burl.read_bytes(), 16 << 10)))
    for p in sorted(DATA.rglob("*_cvr.json"))[:20]:
        if p.stat().st_size < 200_000:
            out["cdf"].append((p.name, p.read_bytes()))
    for p in sorted(DATA.rglob("*_cvr.xlsx")):
        if p.stat().st_size < 100_000:
            out["ess"].append((p.name, p.read_bytes()))
    cands = DATA / "nec" / "2016_candidates.csv"
    if cands.exists():
        out["candidates"].append((cands.name, cands.read_bytes()))
    out["candidates"].append(
        ("small", b"name,gender,party\nAlice,f,Red\nBob,m,Blue\nCarol,f,Red\n")
    )
    out["constraints"].append(("c.csv", b"attribute,value,min,max\ngender,f,1,\nparty,Red,,2\n"))
    out["constraints"].append(
        ("c.toml", b'[[constraint]]\nattribute = "gender"\nvalue = "f"\nmin = 1\n')
    )
    return out


# -- generated files with known totals ---------------------------------------------------------

GEN_FORMATS = ("blt", "json", "csv-wide", "csv-long", "preflib")


def generated(rng: random.Random) -> tuple[str, bytes, dict[str, Any]]:
    """A random election written by tallyroom's writer in a random format, with its totals."""
    sys.path.insert(0, str(ROOT / "src"))
    import io

    from tallyroom.ballots.formats import write
    from tallyroom.ballots.model import Candidate, Election, Profile

    n = rng.randint(2, 9)
    names = [f"{rng.choice(['Ann', 'Bo', 'Cy', 'Di', 'Ed', 'Flo'])} {i}" for i in range(n)]
    fmt = rng.choice(GEN_FORMATS)
    ballots: dict[tuple[int, ...], int] = {}
    for _ in range(rng.randint(1, 40)):
        b = tuple(rng.sample(range(n), rng.randint(1, n)))
        if fmt != "csv-long":
            w = rng.choice([1, 1, 2, 3, 17, 10 ** rng.randint(1, 30)])
        else:
            w = 1  # long CSV: one row set per paper; keep the file small
        ballots[b] = ballots.get(b, 0) + w
    e = Election(tuple(Candidate(x) for x in names), seats=rng.randint(1, n))
    profile = Profile.build(e, list(ballots.items()))
    buf = io.StringIO()
    write(profile, buf, fmt)
    total = int(sum(ballots.values()))
    if fmt == "csv-long" and total > 200:
        total = total  # pragma: no cover
    return fmt, buf.getvalue().encode("utf-8"), {"ballots_read": total, "valid": total}


# -- mutations ---------------------------------------------------------------------------------

TOKENS = [
    b"0",
    b"-1",
    b"1e9",
    b"1000000000",
    b"9" * 5000,
    b"18446744074",
    b"9223372036854775807",
    b"1/3",
    b"7/3",
    b"0.000001",
    b"NaN",
    b"inf",
    b'"',
    b'""',
    b",",
    b";",
    b"\t",
    b"\n",
    b"\r",
    b"\x00",
    b"\xff\xfe",
    b"\xe2\x80\xae",
    b"\xe2\x80\x8b",
    b'=HYPERLINK("x")',
    b"{",
    b"}",
    b"[",
    b"]",
    b"=",
    b"#",
    b"-",
    b"$OVERVOTE",
    b"$UNDERVOTE",
    b"null",
    b"true",
    b"{}",
    b"[]",
    b"\\",
    b"'",
    b"\xc3\xa9",
    b"e\xcc\x81",
    b" " * 100,
    b"x" * 100_000,
    b"1" * 4301,
]


def mutate(data: bytes, rng: random.Random) -> bytes:
    b = bytearray(data)
    for _ in range(rng.choice([1, 1, 1, 2, 3, 8])):
        op = rng.randrange(9)
        pos = rng.randrange(len(b) + 1)
        if op == 0 and b:  # flip a byte
            b[min(pos, len(b) - 1)] = rng.randrange(256)
        elif op == 1:  # insert a hostile token
            b[pos:pos] = rng.choice(TOKENS)
        elif op == 2 and b:  # delete a range
            b[pos : pos + rng.randint(1, 64)] = b""
        elif op == 3 and b:  # duplicate a range
            chunk = b[pos : pos + rng.randint(1, 256)]
            b[pos:pos] = chunk * rng.randint(1, 50)
        elif op == 4:  # truncate
            del b[pos:]
        elif op == 5:  # replace a number by a big or odd one
            digits = [i for i in range(len(b)) if 48 <= b[i] <= 57]
            if digits:
                i = rng.choice(digits)
                j = i
                while j < len(b) and 48 <= b[j] <= 57:
                    j += 1
                b[i:j] = rng.choice(TOKENS[:10])
        elif op == 6:  # swap two lines
            lines = bytes(b).split(b"\n")
            if len(lines) > 2:
                i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
                lines[i], lines[j] = lines[j], lines[i]
                b = bytearray(b"\n".join(lines))
        elif op == 7:  # a huge header number in the first line
            nl = b.find(b"\n")
            first = bytes(b[: nl if nl >= 0 else len(b)])
            b[: len(first)] = first.replace(b"1", rng.choice([b"1000000000", b"100000000"]), 1)
        else:  # insert a random short byte string
            b[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
    return bytes(b)


def _mutate_zip(data: bytes, rng: random.Random) -> bytes:
    """Mutate an xlsx: either its raw bytes, or one XML member rewritten inside a good zip."""
    import io
    import zipfile

    if rng.random() < 0.3:
        return mutate(data, rng)
    src = zipfile.ZipFile(io.BytesIO(data))
    members = src.namelist()
    target = rng.choice([m for m in members if m.endswith(".xml")] or members)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for m in members:
            body = src.read(m)
            if m == target:
                body = mutate(body, rng)
            z.writestr(m, body)
    return out.getvalue()


# -- one input ---------------------------------------------------------------------------------

EXT = {
    "blt": ".blt",
    "stv": ".stv",
    "preflib": ".soi",
    "csv": ".csv",
    "csv-wide": ".csv",
    "csv-long": ".csv",
    "json": ".json",
    "cdf": ".json",
    "ess": ".xlsx",
    "candidates": ".csv",
    "constraints": ".csv",
    "option": ".json",
}


# -- --option calls ----------------------------------------------------------------------------

#: rules an ``--option`` input is tried on (every family), and the option names they take
OPTION_RULES = (
    "scottish-stv",
    "ers97-stv",
    "meek-stv",
    "warren-stv",
    "dail-stv",
    "minneapolis-stv",
    "wigm-stv",
    "irv",
    "bucklin",
    "coombs",
    "block-vote",
    "limited-vote",
    "cumulative-vote",
    "borda",
    "schulze",
    "dhondt",
    "sainte-lague",
    "hare-lr",
    "pav",
    "mes",
    "approval",
)
OPTION_KEYS = (
    "places",
    "arithmetic",
    "quota",
    "quota_form",
    "quota_base",
    "surplus",
    "surplus_order",
    "exclusion",
    "bulk_margin",
    "defer_surpluses",
    "elect_on",
    "tie_fallback",
    "tie_history",
    "omega_places",
    "max_iterations",
    "keep_rounding",
    "variant",
    "batch",
    "rctab",
    "continue_until_two",
    "threshold",
    "votes",
    "advance",
    "quota_rounding",
    "seed",
    "nonsense",
)
OPTION_VALUES = (
    "-1",
    "0",
    "1",
    "2",
    "5",
    "9" * 50,
    "9" * 5000,
    "nope",
    "banana",
    "true",
    "false",
    "",
    "1.5",
    "1/3",
    "NaN",
    "inf",
    "exact",
    "fixed",
    "droop",
    "hare",
    "lot",
    "order",
    "backward",
    "forward",
    "\u202e",
    "=HYPERLINK(1)",
    "a=b",
    " ",
)

#: the small election an --option call counts (ties at stage one, a surplus, an exclusion)
OPTION_BLT = b'4 2\n3 1 2 0\n3 2 1 0\n2 3 4 0\n2 4 3 0\n1 1 3 0\n0\n"A"\n"B"\n"C"\n"D"\n"t"\n'


def option_input(rng: random.Random) -> dict[str, Any]:
    """``count small.blt -m RULE --option K=V ...`` with odd keys and values."""
    rule = rng.choice(OPTION_RULES)
    items = []
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        key = rng.choice(OPTION_KEYS)
        if rng.random() < 0.1:
            key = key.replace("_", "-").upper()
        value = rng.choice(OPTION_VALUES)
        items.append(f"{key}={value}" if rng.random() < 0.97 else key)
    data = json.dumps({"rule": rule, "options": items}).encode()
    return {
        "format": "option",
        "data": data,
        "known": None,
        "origin": f"option {rule}",
        "ext": ".json",
    }


def make_input(seed: int, index: int, pool: dict[str, list[tuple[str, bytes]]]) -> dict[str, Any]:
    """The input number ``index`` of the run seeded ``seed`` (rebuilt the same every time).

    (The ``--option`` inputs draw from a stream of their own, so the reader inputs of a
    seed stay those of earlier runs.)"""
    rng = random.Random(f"{seed}:{index}")
    if random.Random(f"{seed}:{index}:option").random() < 0.1:
        return option_input(random.Random(f"{seed}:{index}:option:draw"))
    if rng.random() < 0.2:
        fmt, data, known = generated(rng)
        if rng.random() < 0.5:
            # a harmless variation: a trailing newline or CRLF line ends; totals unchanged
            data = data.replace(b"\n", b"\r\n") if rng.random() < 0.5 else data + b"\n"
        return {"format": fmt, "data": data, "known": known, "origin": f"generated {fmt}"}
    fmt = rng.choice(sorted(pool))
    name, data = rng.choice(pool[fmt])
    if fmt == "ess":
        data = _mutate_zip(data, rng)
    else:
        data = mutate(data, rng)
    ext = EXT[fmt]
    if fmt == "constraints" and name.endswith(".toml"):
        ext = ".toml"
    return {"format": fmt, "data": data, "known": None, "origin": f"{fmt} {name}", "ext": ext}


# -- the worker --------------------------------------------------------------------------------

_BIDI_OR_CONTROL = {"Cc", "Cf"}


def _message_ok(msg: str) -> str | None:
    if "\n" in msg or "\r" in msg:
        return "a message of more than one line"
    if len(msg) > MAX_MESSAGE:
        return f"a message of {len(msg)} characters"
    if "bug in tallyroom" in msg:
        return "an internal error dressed as a refusal"
    for ch in msg:
        if unicodedata.category(ch) in _BIDI_OR_CONTROL:
            return f"a message with the character U+{ord(ch):04X} unescaped"
    return None


def run_option(task: dict[str, Any]) -> dict[str, Any]:
    """An ``--option`` call through the command line's own entry point: exit 0 is
    accepted, a non-zero exit with a one-line message refused, an exception a bug."""
    import contextlib
    import io

    from tallyroom.cli import main

    call = json.loads(Path(task["path"]).read_text())
    argv = ["count", task["ballots"], "-m", call["rule"]]
    for item in call["options"]:
        argv += ["--option", item]
    err = io.StringIO()
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
            main(argv)
    except SystemExit as e:
        if not e.code:
            return {"outcome": "accepted"}
        msg = err.getvalue().strip()
        if msg.startswith("Usage:"):
            # click's usage error: a usage line, a hint, then the one-line error
            msg = msg.splitlines()[-1]
        bad = _message_ok(msg) if msg else "no message"
        if bad:
            return {"outcome": "bug", "what": f"{str(call)[:200]}: {bad}: {msg[:300]!r}"}
        return {"outcome": "refused"}
    except MemoryError:
        return {"outcome": "memory", "what": "MemoryError"}
    except Exception as e:  # noqa: BLE001 -- what the fuzzer is for
        what = f"{str(call)[:200]}: {type(e).__name__}: {str(e)[:300]!r}"
        return {"outcome": "bug", "what": what}
    return {"outcome": "accepted"}  # pragma: no cover -- main always exits


#: rules an accepted profile is counted under (small profiles only): every family's
#: engine, so that a reader's odd but legal profile cannot hang or break a count
COUNT_RULES = (
    "irv",
    "scottish-stv",
    "ers97-stv",
    "meek-stv",
    "coombs",
    "bucklin",
    "schulze",
    "block-vote",
    "borda",
    "minneapolis-stv",
)


def count_profile(profile: Any, rule: str) -> dict[str, Any] | None:
    """Count an accepted profile; None when the count ended well (a result, or a clean
    refusal such as more seats than candidates), else the failure."""
    from tallyroom import count
    from tallyroom.errors import CountError, TallyroomError

    try:
        count(profile, rule)
    except CountError as e:
        return {"outcome": "unbalanced", "what": f"count {rule}: {str(e)[:300]}"}
    except TallyroomError as e:
        bad = _message_ok(str(e))
        if bad:
            return {"outcome": "bug", "what": f"count {rule}: {bad}: {str(e)[:300]!r}"}
    except MemoryError:
        return {"outcome": "memory", "what": f"count {rule}: MemoryError"}
    except Exception as e:  # noqa: BLE001
        return {"outcome": "bug", "what": f"count {rule}: {type(e).__name__}: {str(e)[:300]!r}"}
    return None


def run_one(task: dict[str, Any]) -> dict[str, Any]:
    from tallyroom.errors import TallyroomError

    fmt, path, known = task["format"], task["path"], task.get("known")
    if fmt == "option":
        return run_option(task)
    try:
        if fmt == "candidates":
            from tallyroom.ballots.candidates_file import read_candidates_file

            read_candidates_file(path)
            return {"outcome": "accepted"}
        if fmt == "constraints":
            from tallyroom.rules.constraints import read_constraints_file

            read_constraints_file(path)
            return {"outcome": "accepted"}
        if fmt == "cdf":
            from tallyroom.ballots.cdf import read_cdf_json

            profile = read_cdf_json(path)
        else:
            from tallyroom.ballots.formats import read

            profile = read(path, None if fmt == "csv" else fmt)
    except TallyroomError as e:
        bad = _message_ok(str(e))
        if bad:
            return {"outcome": "bug", "what": f"{bad}: {str(e)[:300]!r}"}
        return {"outcome": "refused"}
    except MemoryError:
        return {"outcome": "memory", "what": "MemoryError"}
    except Exception as e:  # noqa: BLE001 -- what the fuzzer is for
        return {"outcome": "bug", "what": f"{type(e).__name__}: {str(e)[:300]!r}"}
    result = check_profile(profile, known)
    rule = task.get("count")
    if (
        result["outcome"] == "accepted"
        and rule
        and profile.unique <= 300
        and len(profile.election.candidates) <= 12
    ):
        failed = count_profile(profile, rule)
        if failed is not None:
            return failed
        result["counted"] = rule
    return result


def check_profile(profile: Any, known: dict[str, Any] | None) -> dict[str, Any]:
    n = len(profile.election.candidates)
    for b, w in zip(profile.ballots, profile.weights):
        if not (isinstance(w, (int, Fraction)) and w > 0):
            return {"outcome": "unbalanced", "what": f"weight {w!r}"}
        for p in b:
            for c in p if isinstance(p, tuple) else (p,):
                if not 0 <= c < n:
                    return {"outcome": "unbalanced", "what": f"candidate index {c} of {n}"}
    read_ = profile.ballots_read
    if read_ != profile.valid + sum(profile.invalid.values(), 0):
        return {"outcome": "unbalanced", "what": "ballots_read != valid + invalid"}
    from tallyroom.ballots.model import name_problem

    for name in profile.election.names:
        # no empty name, no newline, ESC, bidi override or zero-width character (the C1
        # controls of Latin-1-read council files that no terminal acts on aside)
        if not name.strip() or name_problem(name) is not None or "\u202e" in name:
            return {"outcome": "bug", "what": f"accepted the candidate name {name!r}"}
    if known is not None:
        if read_ != known["ballots_read"] or profile.valid != known["valid"]:
            return {
                "outcome": "unbalanced",
                "what": f"read {read_} valid {profile.valid}; written {known}",
            }
    return {"outcome": "accepted"}


def worker() -> None:
    """Read tasks (JSON lines) from stdin, answer each with one JSON line on stdout."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BOUND, MEMORY_BOUND))
    sys.path.insert(0, str(ROOT / "src"))
    import tallyroom.ballots.formats  # noqa: F401  -- imported before the first timing

    sys.stdout.write("ready\n")  # the parent starts the clock only after this
    sys.stdout.flush()
    for line in sys.stdin:
        task = json.loads(line)
        try:
            result = run_one(task)
        except MemoryError:
            result = {"outcome": "memory", "what": "MemoryError"}
        # the worker's peak resident memory so far (KB): a high-water mark, so the input
        # that raised it is the one that took that much
        result["rss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        sys.stdout.write(json.dumps(result) + "\n")
        sys.stdout.flush()


class Pool:
    """One worker process, restarted after a hang or a crash."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen[str] | None = None

    def _start(self) -> subprocess.Popen[str]:
        env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
        return subprocess.Popen(
            [sys.executable, __file__, "--worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
        )

    def run(self, task: dict[str, Any], bound: float) -> tuple[dict[str, Any], float]:
        if self.proc is None or self.proc.poll() is not None:
            self.proc = self._start()
            assert self.proc.stdout
            # the worker's imports are not the input's time: on a loaded machine they
            # alone can take seconds, and were once counted as a "hang" of the next input
            ready, _, _ = select.select([self.proc.stdout], [], [], 300)
            if not ready or self.proc.stdout.readline() != "ready\n":
                self.close()
                raise RuntimeError("the fuzz worker did not start")
        assert self.proc.stdin and self.proc.stdout
        start = time.monotonic()
        self.proc.stdin.write(json.dumps(task) + "\n")
        self.proc.stdin.flush()
        ready, _, _ = select.select([self.proc.stdout], [], [], bound)
        elapsed = time.monotonic() - start
        if not ready:
            self.close()
            return {"outcome": "hang", "what": f"over {bound:g} s"}, elapsed
        line = self.proc.stdout.readline()
        if not line:
            self.close()
            return {"outcome": "memory", "what": "worker died"}, elapsed
        return json.loads(line), elapsed

    def close(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


SLOW = 5.0  # the bound: an input over it is counted as slow (and re-timed alone)


def campaign(
    seed: int,
    count: int,
    *,
    start: int = 0,
    bound: float = TIME_BOUND,
    log: Any = None,
    progress: str | None = None,
    deadline: float | None = None,
) -> dict[str, Any]:
    """Run inputs ``start .. start+count`` of the run ``seed``; counts per format and outcome.

    ``bound`` is when an input is called a hang and its worker killed; inputs over
    :data:`SLOW` seconds are counted apart (``over_5s``) with their numbers, and the peak
    resident memory reached by an input of each format is kept (``rss_kb``).  With
    ``deadline`` (a ``time.time()``), the run stops there and reports what it did."""
    pool_files = seeds()
    counts: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    rss: dict[str, int] = {}
    failures: list[dict[str, Any]] = []
    slow: list[dict[str, Any]] = []
    workers = Pool()
    last_rss = 0
    with tempfile.TemporaryDirectory(prefix="tallyroom-fuzz-") as tmp:
        small = os.path.join(tmp, "small.blt")
        Path(small).write_bytes(OPTION_BLT)
        try:
            for index in range(start, start + count):
                if deadline is not None and time.time() > deadline:
                    break
                inp = make_input(seed, index, pool_files)
                path = os.path.join(tmp, f"input{inp.get('ext', EXT[inp['format']])}")
                with open(path, "wb") as f:
                    f.write(inp["data"])
                rule = random.Random(f"{seed}:{index}:count").choice(COUNT_RULES)
                task = {
                    "format": inp["format"],
                    "path": path,
                    "known": inp["known"],
                    "ballots": small,
                    "count": rule,
                }
                result, elapsed = workers.run(task, bound)
                key = inp["origin"].split()[0] if inp["known"] is None else "generated"
                fmt_key = f"{key}:{inp['format']}" if key == "generated" else inp["format"]
                c = counts[fmt_key]
                c[result["outcome"]] += 1
                if result.get("counted"):
                    c["counted"] += 1
                if elapsed > SLOW and result["outcome"] != "hang":
                    c["over_5s"] += 1
                    slow.append({"index": index, "origin": inp["origin"], "seconds": elapsed})
                now = int(result.get("rss_kb", 0))
                if now > last_rss:
                    rss[fmt_key] = max(rss.get(fmt_key, 0), now)
                last_rss = now if "rss_kb" in result else 0  # a killed worker starts afresh
                done = index - start + 1
                if progress is not None and (done % 1000 == 0 or done == count):
                    # the counts so far, so that a long run cut short still reports
                    snapshot = {
                        "seed": seed,
                        "start": start,
                        "done": done,
                        "counts": counts,
                        "rss_kb": rss,
                        "slow": slow,
                        "failures": len(failures),
                    }
                    Path(progress).write_text(json.dumps(snapshot, sort_keys=True))
                if result["outcome"] not in ("accepted", "refused"):
                    fail = {"seed": seed, "index": index, "origin": inp["origin"], **result}
                    fail["seconds"] = round(elapsed, 2)
                    failures.append(fail)
                    if log is not None:
                        log.write(json.dumps(fail) + "\n")
                        log.flush()
        finally:
            workers.close()
    return {
        "counts": {k: dict(v) for k, v in counts.items()},
        "failures": failures,
        "rss_kb": rss,
        "slow": slow,
    }


def retime(seed: int, indices: list[int], bound: float = 60.0) -> list[tuple[int, float, str]]:
    """Run each input again alone, in a fresh worker: (index, seconds, outcome).  Tells an
    input that is slow from one that met a loaded machine."""
    pool_files = seeds()
    out = []
    with tempfile.TemporaryDirectory(prefix="tallyroom-fuzz-") as tmp:
        small = os.path.join(tmp, "small.blt")
        Path(small).write_bytes(OPTION_BLT)
        for index in indices:
            inp = make_input(seed, index, pool_files)
            path = os.path.join(tmp, f"input{inp.get('ext', EXT[inp['format']])}")
            Path(path).write_bytes(inp["data"])
            rule = random.Random(f"{seed}:{index}:count").choice(COUNT_RULES)
            task = {"format": inp["format"], "path": path, "known": inp["known"]}
            task.update(ballots=small, count=rule)
            workers = Pool()
            try:
                result, elapsed = workers.run(task, bound)
            finally:
                workers.close()
            out.append((index, round(elapsed, 2), result["outcome"]))
    return out


def table(result: dict[str, Any]) -> str:
    """The outcomes per format as a Markdown table."""
    cols = ("accepted", "counted", "refused", "bug", "unbalanced", "hang", "memory", "over_5s")
    lines = [
        "| format | inputs | " + " | ".join(cols) + " | peak RSS |",
        "|---|" + "---:|" * (len(cols) + 2),
    ]
    totals: collections.Counter[str] = collections.Counter()
    for fmt in sorted(result["counts"]):
        c = result["counts"][fmt]
        n = sum(v for k, v in c.items() if k not in ("counted", "over_5s"))
        totals.update(c)
        totals["inputs"] += n
        peak = result["rss_kb"].get(fmt)
        mem = f"{peak / 1024:.0f} MB" if peak else "-"
        lines.append(
            f"| {fmt} | {n:,} | " + " | ".join(f"{c.get(k, 0):,}" for k in cols) + f" | {mem} |"
        )
    lines.append(
        f"| all | {totals['inputs']:,} | "
        + " | ".join(f"{totals.get(k, 0):,}" for k in cols)
        + " | |"
    )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--inputs", type=int, default=1000)
    ap.add_argument("--start", type=int, default=0)
    ap.add_argument("--bound", type=float, default=TIME_BOUND)
    ap.add_argument("--log", help="append each failure as a JSON line here")
    ap.add_argument("--progress", help="rewrite the counts so far here every 1000 inputs")
    ap.add_argument("--save", help="write the input number N of the run to this file", type=int)
    ap.add_argument("--until", help="stop at this UTC time (HH:MM) and report what was run")
    ap.add_argument("--out", help="write the whole result (counts, failures, slow) as JSON")
    args = ap.parse_args()
    if args.worker:
        worker()
        return
    if args.save is not None:
        inp = make_input(args.seed, args.save, seeds())
        out = f"fuzz-{args.seed}-{args.save}{inp.get('ext', EXT[inp['format']])}"
        Path(out).write_bytes(inp["data"])
        print(out, inp["format"], inp["origin"], inp["known"])
        return
    log = open(args.log, "a") if args.log else None  # noqa: SIM115
    deadline = None
    if args.until:
        import datetime as dt

        hh, mm = (int(x) for x in args.until.split(":"))
        now = dt.datetime.now(dt.UTC)
        deadline = now.replace(hour=hh, minute=mm, second=0, microsecond=0).timestamp()
    result = campaign(
        args.seed,
        args.inputs,
        start=args.start,
        bound=args.bound,
        log=log,
        progress=args.progress,
        deadline=deadline,
    )
    if args.out:
        Path(args.out).write_text(json.dumps(result, sort_keys=True, indent=1))
    print(table(result))
    print(f"{len(result['failures'])} failures, {len(result['slow'])} inputs over {SLOW:g} s")
    for f in result["failures"][:50]:
        print(json.dumps(f)[:400])


if __name__ == "__main__":
    main()
