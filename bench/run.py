"""Time parse + count and peak memory, tallyroom beside the PyPI tools, in one run.

    uv sync --extra bench --extra dask
    uv run --frozen python bench/run.py                      # 10k 100k 1m, all rules
    uv run --frozen python bench/run.py --sizes 10k 100k 1m 10m --dask

Every measurement is a fresh process (imports included: that is what a user waits for),
its wall time taken here and its peak memory (ru_maxrss) reported by itself.  A peer's time
is quoted only when it elected the same candidates as tallyroom; otherwise the table says
what it elected.  The floor is polars reading the file and merging identical ballot lines,
doing nothing else.  Peers get the ballots already merged by tallyroom's reader (their own
parsers would only be slower) and are timed on conversion + count; their whole-process time
includes that read.  Results: bench/README.md (the table between the markers) and
bench/results/raw/*.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
RAW = HERE / "results" / "raw"
METHODS = ["scottish-stv", "ers97-stv", "meek-stv", "irv", "block-vote"]
#: which peer counts which tallyroom rule (the nearest rule each offers; the check of the
#: elected candidates decides whether a time is quoted)
PEERS: dict[str, list[str]] = {
    "scottish-stv": ["pyrankvote", "votelib", "votekit"],
    "ers97-stv": ["pyrankvote", "votelib", "votekit"],
    "meek-stv": [],
    "irv": ["pyrankvote", "pref_voting", "votekit"],
    "block-vote": ["votekit"],
}
SEATS = {"irv": 1}


# -- jobs: each runs in its own process ------------------------------------------------------
def _peak_mb() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss it does not carry the
    parent's peak over fork + exec)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def job_floor(path: str) -> dict[str, Any]:
    import polars as pl

    t = time.perf_counter()
    df = pl.read_csv(
        path,
        has_header=False,
        separator="\x1f",
        new_columns=["line"],
        skip_rows=1,
        quote_char=None,
        schema_overrides={"line": pl.Utf8},
    )
    g = df.group_by("line").len()
    return {"unique_lines": len(g), "parse_s": time.perf_counter() - t}


def _read(path: str, method: str):  # type: ignore[no-untyped-def]
    from tallyroom.ballots.formats import read

    # as the tallyroom command does (the process is ours: a big file may tune the allocator)
    return read(path, seats=SEATS.get(method), own_process=True)


def job_tallyroom(path: str, method: str) -> dict[str, Any]:
    from tallyroom.rules import count

    t0 = time.perf_counter()
    p = _read(path, method)
    t1 = time.perf_counter()
    rec = count(p, method)
    t2 = time.perf_counter()
    return {"elected": list(rec.elected), "parse_s": t1 - t0, "count_s": t2 - t1}


def job_cli(path: str, method: str) -> dict[str, Any]:
    """The ``tallyroom count`` command itself, as a user runs it (text sheet to /dev/null)."""
    import contextlib

    from tallyroom.cli import main

    with open(os.devnull, "w") as out, contextlib.redirect_stdout(out):
        seats = ["--seats", str(SEATS[method])] if method in SEATS else []
        try:
            main(["count", path, "--method", method, *seats])
        except SystemExit as e:
            if e.code:
                raise
    return {}


def job_dask(path: str, method: str, workers: int, processes: bool = False) -> dict[str, Any]:
    from distributed import Client

    from tallyroom.ballots.formats.blt import keep_freed_memory
    from tallyroom.ballots.sharded import local_cluster, read_sharded
    from tallyroom.rules import count

    keep_freed_memory()  # as the tallyroom command does with --dask
    t0 = time.perf_counter()
    with (
        local_cluster(workers, processes) as cl,  # as `tallyroom count --dask local` does
        Client(cl) as client,
    ):
        t1 = time.perf_counter()
        p = read_sharded(path, client=client, seats=SEATS.get(method))
        t2 = time.perf_counter()
    rec = count(p, method)
    t3 = time.perf_counter()
    return {
        "elected": list(rec.elected),
        "cluster_s": t1 - t0,
        "parse_s": t2 - t1,
        "count_s": t3 - t2,
    }


def job_peer(tool: str, path: str, method: str) -> dict[str, Any]:
    p = _read(path, method)
    names = p.election.names
    seats = p.election.seats
    ballots = [tuple(names[c] for c in b) for b in p.ballots]
    weights = list(p.weights)
    t0 = time.perf_counter()
    elected: list[str]
    if tool == "pyrankvote":
        import pyrankvote
        from pyrankvote import Ballot, Candidate

        cands = {n: Candidate(n) for n in names}
        papers = []
        for b, w in zip(ballots, weights):
            papers += [Ballot(ranked_candidates=[cands[n] for n in b])] * w
        t1 = time.perf_counter()
        if method == "irv":
            res = pyrankvote.instant_runoff_voting(list(cands.values()), papers)
        else:
            res = pyrankvote.single_transferable_vote(
                list(cands.values()), papers, number_of_seats=seats
            )
        elected = [c.name for c in res.get_winners()]
    elif tool == "votelib":
        from votelib.evaluate.sequential import TransferableVoteSelector

        votes = dict(zip(ballots, weights))
        t1 = time.perf_counter()
        sel = TransferableVoteSelector(quota_function="droop", transferer="Gregory")
        elected = list(sel.evaluate(votes, seats))
    elif tool == "pref_voting":
        from pref_voting.iterative_methods import instant_runoff_for_truncated_linear_orders
        from pref_voting.profiles_with_ties import ProfileWithTies

        rankings = [{n: i + 1 for i, n in enumerate(b)} for b in ballots]
        prof = ProfileWithTies(rankings, rcounts=weights, candidates=list(names))
        t1 = time.perf_counter()
        elected = list(instant_runoff_for_truncated_linear_orders(prof))
    elif tool == "votekit":
        from votekit.ballot import RankBallot
        from votekit.elections import IRV, BlockPlurality, FastSTV
        from votekit.pref_profile import RankProfile

        vb = [RankBallot(ranking=[{n} for n in b], weight=w) for b, w in zip(ballots, weights)]
        prof = RankProfile(ballots=vb, candidates=list(names), max_ranking_length=len(names))
        t1 = time.perf_counter()
        if method == "irv":
            e: Any = IRV(prof)
        elif method == "block-vote":
            e = BlockPlurality(prof, n_seats=seats)
        else:
            e = FastSTV(prof, n_seats=seats)
        elected = [c for s in e.get_elected() for c in sorted(s)]
    else:
        raise SystemExit(f"unknown tool {tool}")
    t2 = time.perf_counter()
    return {"elected": elected, "load_s": t1 - t0, "count_s": t2 - t1}


def _job(argv: list[str]) -> None:
    kind, *args = argv
    if kind == "floor":
        out = job_floor(args[0])
    elif kind == "tallyroom":
        out = job_tallyroom(args[0], args[1])
    elif kind == "cli":
        out = job_cli(args[0], args[1])
    elif kind == "dask":
        out = job_dask(args[0], args[1], int(args[2]), args[3:] == ["processes"])
    else:
        out = job_peer(kind, args[0], args[1])
    out["peak_mb"] = _peak_mb()
    print("RESULT " + json.dumps(out))


# -- the driver ----------------------------------------------------------------------------
#: each job runs as an installed program would: its modules byte-compiled once and cached
#: (some machines set PYTHONDONTWRITEBYTECODE, which would compile tallyroom anew each run)
_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run(args: list[str], timeout: float, repeat: int = 1) -> dict[str, Any]:
    """Run a job ``repeat`` times, each in a fresh process; the run of median wall time."""
    runs = [_run_once(args, timeout) for _ in range(repeat)]
    ok = sorted((r for r in runs if "error" not in r), key=lambda r: r["wall_s"])
    if len(ok) < len(runs):
        return next(r for r in runs if "error" in r)
    out = ok[(len(ok) - 1) // 2]
    if repeat > 1:
        out["walls"] = [round(r["wall_s"], 3) for r in runs]
    return out


def _run_once(args: list[str], timeout: float) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--job", *args]
    t = time.perf_counter()
    try:
        cp = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=_ENV)
    except subprocess.TimeoutExpired:
        return {"error": f"over {timeout:.0f} s"}
    wall = time.perf_counter() - t
    for line in cp.stdout.splitlines():
        if line.startswith("RESULT "):
            out = json.loads(line[7:])
            out["wall_s"] = wall
            return out
    tail = (cp.stderr.strip().splitlines() or ["no output"])[-1]
    return {"error": tail[:120]}


def size_label(n: str) -> str:
    return n.lower()


def fmt_s(x: float | None) -> str:
    return "–" if x is None else (f"{x:.2f}" if x < 10 else f"{x:.1f}")


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--job"]:
        _job(argv[1:])
        return
    ap = argparse.ArgumentParser(description="tallyroom benchmark")
    ap.add_argument("--sizes", nargs="+", default=["10k", "100k", "1m"])
    ap.add_argument("--methods", nargs="+", default=METHODS)
    ap.add_argument("--peers-up-to", default="1m", help="largest size the peers are run on")
    ap.add_argument(
        "--fastest-peer-up-to",
        default="10m",
        help="largest size pyrankvote, the fastest peer, is run on",
    )
    ap.add_argument("--repeat", type=int, default=1, help="runs per job; the median is quoted")
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--dask", action="store_true", help="also time the Dask path on shards")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--no-readme", action="store_true")
    a = ap.parse_args(argv)

    from generate import main as generate
    from generate import size_of

    sizes = [size_label(s) for s in a.sizes]
    generate(sizes)
    if a.dask:
        for s in sizes:
            generate([s, "--format", "parquet", "--shards", "20"])
    peers_max = size_of(a.peers_up_to)
    fastest_max = size_of(a.fastest_peer_up_to)
    rows: list[dict[str, Any]] = []
    RAW.mkdir(parents=True, exist_ok=True)
    for s in sizes:
        blt = str(DATA / f"ballots-{s}.blt")
        floor = run(["floor", blt], a.timeout, a.repeat)
        rows.append({"size": s, "method": "(read + merge only)", "tool": "polars floor", **floor})
        print(json.dumps(rows[-1]), flush=True)
        for m in a.methods:
            ours = run(["tallyroom", blt, m], a.timeout, a.repeat)
            rows.append({"size": s, "method": m, "tool": "tallyroom", **ours})
            print(json.dumps(rows[-1]), flush=True)
            if m == "scottish-stv":
                cli = run(["cli", blt, m], a.timeout, a.repeat)
                rows.append({"size": s, "method": m, "tool": "`tallyroom count` command", **cli})
                print(json.dumps(rows[-1]), flush=True)
            if a.dask and m == "scottish-stv":
                shards = str(DATA / f"shards-{s}")
                for kind in ("threads", "processes"):
                    job = ["dask", shards, m, str(a.workers), kind]
                    d = run(job, a.timeout, a.repeat)
                    tool = f"tallyroom --dask local ({a.workers} worker {kind}, 20 shards)"
                    rows.append({"size": s, "method": m, "tool": tool, **d})
                    print(json.dumps(rows[-1]), flush=True)
            for peer in PEERS.get(m, []):
                limit = fastest_max if peer == "pyrankvote" else peers_max
                if size_of(s) > limit:
                    continue
                r = run([peer, blt, m], a.timeout)
                rows.append({"size": s, "method": m, "tool": peer, **r})
                print(json.dumps(rows[-1]), flush=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (RAW / f"run-{stamp}.json").write_text(json.dumps(rows, indent=1))
    table = render(rows)
    print(table)
    if not a.no_readme:
        write_readme(table, " ".join(argv))


def render(rows: list[dict[str, Any]]) -> str:
    ours: dict[tuple[str, str], dict[str, Any]] = {
        (r["size"], r["method"]): r for r in rows if r["tool"] == "tallyroom"
    }
    floors = {r["size"]: r for r in rows if r["tool"] == "polars floor"}
    out = [
        "| ballots | rule | tool | whole process (s) | count (s) | peak MB | × tallyroom | × floor | elected |",
        "|---:|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        base = ours.get((r["size"], r["method"]))
        floor = floors.get(r["size"])
        if "error" in r:
            out.append(
                f"| {r['size']} | {r['method']} | {r['tool']} | – | – | – | – | – | {r['error']} |"
            )
            continue
        same = ""
        wall = r.get("wall_s")
        ratio = fl = "–"
        if r["tool"] != "polars floor" and base and "elected" in r and "elected" in base:
            if sorted(r["elected"]) == sorted(base["elected"]):
                same = "same"
                if r["tool"] != "tallyroom":
                    ratio = f"{wall / base['wall_s']:.1f}×"
            else:
                same = "DIFFERENT: " + ", ".join(sorted(r["elected"]))
                wall = None  # never quote the time of a different result
        if r["tool"] == "tallyroom":
            same = ", ".join(sorted(r.get("elected", [])))
        if floor and wall is not None and "wall_s" in floor:
            fl = f"{wall / floor['wall_s']:.2f}×"
        out.append(
            f"| {r['size']} | {r['method']} | {r['tool']} | {fmt_s(wall)} | "
            f"{fmt_s(r.get('count_s'))} | {r.get('peak_mb', 0):.0f} | {ratio} | {fl} | {same} |"
        )
    return "\n".join(out)


def write_readme(table: str, args: str) -> None:
    path = HERE / "README.md"
    text = path.read_text() if path.exists() else ""
    start, end = "<!-- results:start -->", "<!-- results:end -->"
    info = (
        f"Measured {time.strftime('%Y-%m-%d')} on {os.cpu_count()} cores, "
        f"`python bench/run.py {args}`.\n\n"
    )
    block = f"{start}\n{info}{table}\n{end}"
    if start in text and end in text:
        text = text[: text.index(start)] + block + text[text.index(end) + len(end) :]
    else:
        text += "\n" + block + "\n"
    path.write_text(text)


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    main()
