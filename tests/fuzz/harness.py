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
  padded with hostile but legal variations), whose profile must give back those totals.

Outcomes: ``accepted`` (books balanced: ``ballots_read == valid + sum(invalid)``, every
ballot's candidates in range, every weight positive, and for generated files the known
totals), ``refused`` (a TallyroomError whose message is one line, at most
:data:`MAX_MESSAGE` characters, with no control or bidi character and no "bug in
tallyroom"), or a failure: ``bug`` (another exception, or a refusal that breaks those
rules), ``unbalanced``, ``hang`` (over the time bound) and ``memory`` (MemoryError under the
worker's address-space limit, or the worker killed).

Run ``python tests/fuzz/harness.py --inputs 100000 --jobs 2`` for a long run; the test suite
runs a short seeded one (``tests/test_fuzz.py``; ``TALLYROOM_FUZZ=N`` makes it N inputs).
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
}


def make_input(seed: int, index: int, pool: dict[str, list[tuple[str, bytes]]]) -> dict[str, Any]:
    """The input number ``index`` of the run seeded ``seed`` (rebuilt the same every time)."""
    rng = random.Random(f"{seed}:{index}")
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


def run_one(task: dict[str, Any]) -> dict[str, Any]:
    from tallyroom.errors import TallyroomError

    fmt, path, known = task["format"], task["path"], task.get("known")
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
    return check_profile(profile, known)


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

    for line in sys.stdin:
        task = json.loads(line)
        try:
            result = run_one(task)
        except MemoryError:
            result = {"outcome": "memory", "what": "MemoryError"}
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


def campaign(
    seed: int, count: int, *, start: int = 0, bound: float = TIME_BOUND, log: Any = None
) -> dict[str, Any]:
    """Run inputs ``start .. start+count`` of the run ``seed``; counts per format and outcome."""
    pool_files = seeds()
    counts: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    failures: list[dict[str, Any]] = []
    workers = Pool()
    with tempfile.TemporaryDirectory(prefix="tallyroom-fuzz-") as tmp:
        try:
            for index in range(start, start + count):
                inp = make_input(seed, index, pool_files)
                path = os.path.join(tmp, f"input{inp.get('ext', EXT[inp['format']])}")
                with open(path, "wb") as f:
                    f.write(inp["data"])
                task = {"format": inp["format"], "path": path, "known": inp["known"]}
                result, _ = workers.run(task, bound)
                key = inp["origin"].split()[0] if inp["known"] is None else "generated"
                fmt_key = f"{key}:{inp['format']}" if key == "generated" else inp["format"]
                counts[fmt_key][result["outcome"]] += 1
                if result["outcome"] not in ("accepted", "refused"):
                    fail = {"seed": seed, "index": index, "origin": inp["origin"], **result}
                    failures.append(fail)
                    if log is not None:
                        log.write(json.dumps(fail) + "\n")
                        log.flush()
        finally:
            workers.close()
    return {"counts": {k: dict(v) for k, v in counts.items()}, "failures": failures}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--inputs", type=int, default=1000)
    ap.add_argument("--start", type=int, default=0)
    ap.add_argument("--bound", type=float, default=TIME_BOUND)
    ap.add_argument("--log", help="append each failure as a JSON line here")
    ap.add_argument("--save", help="write the input number N of the run to this file", type=int)
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
    result = campaign(args.seed, args.inputs, start=args.start, bound=args.bound, log=log)
    print(json.dumps(result["counts"], indent=1, sort_keys=True))
    print(f"{len(result['failures'])} failures")
    for f in result["failures"][:50]:
        print(json.dumps(f)[:400])


if __name__ == "__main__":
    main()
