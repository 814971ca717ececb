"""Sharded ballot sets: many files of one election merged into one profile, with Dask.

Each shard is read where it lies, by a Dask worker: its papers become integer keys (the
preferences as digits in base ``candidates + 1``) and are merged there, so only the unique
rankings of each shard, with their weights, travel to the client.  The client merges the
shards in the order given, so the profile is exactly the one read from the shards one after
another (same unique ballots in the same first-seen order, same weights, same invalid
papers) -- and the count is the single-machine count.

Shards:

* **Parquet** (``.parquet``/``.pq``): columns ``rank1``, ``rank2`` ... holding candidate
  numbers from 1 (null or 0: no mark at that rank), one row per paper, or an optional
  ``weight`` column of whole numbers.  The candidate names and seats come from the file's
  metadata (``tallyroom.candidates``, one per line; ``tallyroom.seats``) or from the caller.
* **BLT** (``.blt``): each shard a whole BLT file of the same election.

``address`` is a Dask scheduler (``tcp://host:8786``); ``"local"`` (or None with
``local=True``) starts a :class:`distributed.LocalCluster` on this machine for the read.
Without Dask (``address=None``) the shards are read here, one after another: the same code.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Callable, Iterable, Sequence
from typing import Any, cast

import numpy as np

from tallyroom.ballots.arrays import LIMIT, fits_int64
from tallyroom.ballots.model import (
    BLANK,
    BallotRules,
    Candidate,
    Election,
    Profile,
    clean_ranking,
)
from tallyroom.errors import BallotFileError

#: one shard merged, as the fast BLT reader merges a chunk (:mod:`~tallyroom.ballots.formats.blt.merge`): its unique keys (ascending),
#: the row of each one's first paper, their weights, the number of rows, and the invalid
#: papers by reason
ShardResult = tuple[np.ndarray, np.ndarray, np.ndarray, int, dict[str, int]]


def shard_paths(pattern: str | os.PathLike[str] | Iterable[str | os.PathLike[str]]) -> list[str]:
    """The shard files: glob patterns, directories (their shard files, sorted) or paths."""
    items = [pattern] if isinstance(pattern, (str, os.PathLike)) else list(pattern)
    found: list[str] = []
    for item in items:
        p = os.fspath(item)
        if os.path.isdir(p):
            found += sorted(
                os.path.join(p, f)
                for f in os.listdir(p)
                if f.lower().endswith((".parquet", ".pq", ".blt"))
            )
        elif glob.has_magic(p):
            found += sorted(glob.glob(p))
        else:
            found.append(p)
    if not found:
        raise BallotFileError(str(pattern), None, None, "no files", "one or more ballot shards")
    return found


def parquet_election(path: str, seats: int | None = None) -> Election:
    """The election recorded in a Parquet shard's metadata (seats may be overridden)."""
    import pyarrow.parquet as pq

    meta = pq.read_schema(path).metadata or {}
    names_raw = meta.get(b"tallyroom.candidates")
    if names_raw is None:
        raise BallotFileError(
            path, None, None, "no candidate list", "Parquet metadata 'tallyroom.candidates'"
        )
    names = names_raw.decode().split("\n")
    seats = seats or int(meta.get(b"tallyroom.seats", b"1"))
    return Election(candidates=tuple(Candidate(n) for n in names), seats=seats)


def _keys_of(
    mat: np.ndarray, w: np.ndarray, ncand: int, rules: BallotRules, name: str
) -> ShardResult:
    """Merge one shard's papers (a matrix of candidate numbers, 0 = no mark)."""
    base = ncand + 1
    if base**ncand >= 2**62:
        raise BallotFileError(name, None, None, f"{ncand} candidates", "at most 15 candidates")
    width = min(mat.shape[1], ncand)
    if (mat < 0).any() or (mat > ncand).any():
        row, col = np.argwhere((mat < 0) | (mat > ncand))[0]
        raise BallotFileError(
            name,
            int(row) + 1,
            int(col) + 1,
            f"candidate number {mat[row, col]}",
            f"a candidate number from 1 to {ncand}",
        )
    if not fits_int64(w):
        raise BallotFileError(
            name, None, None, "weights totalling 2**62 or more", "a total 64-bit sums can hold"
        )
    # regular papers -- marks without gaps, no candidate twice, the common case -- found a
    # column at a time (contiguous when the matrix is column-major, as the Parquet reader
    # makes it); their keys are the preferences as digits in base ncand + 1 (the odd
    # papers' keys are made again below, by the ballot rules)
    rows = len(mat)
    key = np.zeros(rows, dtype=np.int64)
    seen = np.zeros(rows, dtype=np.int32)  # candidate c marked: bit c - 1
    odd = np.zeros(rows, dtype=bool)
    blank = np.zeros(rows, dtype=bool)  # a rank left blank so far
    nmarks = np.zeros(rows, dtype=np.int32)
    for j in range(mat.shape[1]):
        col = mat[:, j].astype(np.int32)
        marked = col > 0
        odd |= blank & marked  # a mark after a blank rank
        blank |= ~marked
        bit = np.left_shift(1, col) >> 1
        odd |= (seen & bit) != 0  # a candidate again
        seen |= bit
        nmarks += marked
        if j < ncand:
            key *= base
            key += col
    for _ in range(mat.shape[1], ncand):
        key *= base
    regular = ~odd & (nmarks <= width)
    del seen, odd, blank, nmarks
    invalid: dict[str, int] = {}
    odd = np.flatnonzero(~regular)
    if len(odd):
        # the ballot rules decide these papers, one by one, as the careful readers do
        for i in odd.tolist():
            marks = [int(c) - 1 if c > 0 else None for c in mat[i].tolist()]
            while marks and marks[-1] is None:
                marks.pop()
            ballot, reason = clean_ranking(marks, rules)
            if reason is not None:
                invalid[reason] = invalid.get(reason, 0) + int(w[i])
                key[i] = -1
                continue
            k = 0
            for j in range(ncand):
                k = k * base + (cast(int, ballot[j]) + 1 if j < len(ballot) else 0)
            key[i] = k
    blank = key == 0
    if blank.any():
        invalid[BLANK] = invalid.get(BLANK, 0) + int(w[blank].sum())
    keep = key > 0
    return _merged(key[keep], w[keep], ncand, invalid)


def _merged(key: np.ndarray, w: np.ndarray, ncand: int, invalid: dict[str, int]) -> ShardResult:
    from tallyroom.ballots.formats.blt.merge import dedupe

    uniq, first, tot, rows = dedupe(key, w, ncand, ncand + 1, True)
    return uniq, first, tot, rows, invalid


def read_parquet_shard(path: str, ncand: int, rules: BallotRules = BallotRules()) -> ShardResult:
    """One Parquet shard, merged (runs on a Dask worker)."""
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    cols = sorted(
        (c for c in table.column_names if c.lower().startswith("rank")),
        key=lambda c: int("".join(ch for ch in c if "0" <= ch <= "9") or 0),
    )
    if not cols:
        raise BallotFileError(path, None, None, "no rank columns", "columns rank1, rank2 ...")
    # column-major: each rank's column contiguous, as _keys_of walks them
    mat = np.zeros((len(cols), table.num_rows), dtype=np.int16).T
    for j, c in enumerate(cols):
        col = table.column(c)
        mat[:, j] = col.fill_null(0).to_numpy().astype(np.int16)
    if "weight" in table.column_names:
        w = table.column("weight").to_numpy().astype(np.int64)
        if (w <= 0).any():
            row = int(np.flatnonzero(w <= 0)[0])
            raise BallotFileError(path, row + 1, None, f"weight {w[row]}", "a positive weight")
    else:
        w = np.ones(table.num_rows, dtype=np.int64)
    return _keys_of(mat, w, ncand, rules, path)


def read_blt_shard(path: str, ncand: int, rules: BallotRules = BallotRules()) -> ShardResult:
    """One BLT shard, merged (runs on a Dask worker)."""
    from tallyroom.ballots.formats.blt import read_blt

    p = read_blt(path, rules)
    if len(p.election.candidates) != ncand:
        raise BallotFileError(
            path,
            1,
            None,
            f"{len(p.election.candidates)} candidates",
            f"{ncand}, as the first shard",
        )
    if not p.is_strict or not all(isinstance(w, int) for w in p.weights):
        raise BallotFileError(
            path, None, None, "equal rankings or decimal weights", "plain ballots"
        )
    base = ncand + 1
    keys = np.empty(len(p.ballots), dtype=np.int64)
    for i, b in enumerate(p.ballots):
        k = 0
        for j in range(ncand):
            k = k * base + (b[j] + 1 if j < len(b) else 0)
        keys[i] = k
    weights = np.array(p.weights, dtype=np.int64)
    return _merged(keys, weights, ncand, {k: int(v) for k, v in p.invalid.items()})


def _reader(path: str) -> Callable[[str, int, BallotRules], ShardResult]:
    return read_blt_shard if path.lower().endswith(".blt") else read_parquet_shard


def merge(
    election: Election, parts: Sequence[ShardResult], rules: BallotRules, source: str
) -> Profile:
    """The profile of the shards, in the order given (merged as the fast BLT reader merges
    its chunks: the same code)."""
    from tallyroom.ballots.formats.blt.merge import build_profile
    from tallyroom.ballots.formats.blt.merge import merge as merge_parts

    ncand = len(election.candidates)
    if sum(int(p[2].sum()) for p in parts) >= LIMIT:
        raise BallotFileError(
            source, None, None, "weights totalling 2**62 or more", "a total 64-bit sums can hold"
        )
    empty = np.zeros(0, np.int64)
    merged = merge_parts([p[:4] for p in parts]) if parts else (empty, empty, empty, 0)
    profile = build_profile(election, merged, ncand, ncand + 1, True, rules, source)
    invalid: dict[str, Any] = dict(profile.invalid)
    for p in parts:
        for reason, n in p[4].items():
            invalid[reason] = invalid.get(reason, 0) + n
    return Profile(
        election=profile.election,
        ballots=profile.ballots,
        weights=profile.weights,
        invalid=invalid,
        rules=rules,
        source=source,
        arrays=profile.arrays,
    )


def local_cluster(workers: int, processes: bool = False) -> Any:
    """A :class:`distributed.LocalCluster` of ``workers`` one-thread workers, for one read.

    By default the workers are threads of this process: on one machine that spares
    starting processes, importing numpy and pyarrow in each, and copying every shard's
    merged rankings between processes, and the work (numpy, pyarrow) lets go of the GIL.
    The scheduler and the tasks are those a real cluster runs.

    With ``processes=True`` the workers are processes, as on a cluster of machines.  Dask
    starts those with ``MALLOC_TRIM_THRESHOLD_=65536``, so that long-lived workers hand
    memory back to the system quickly; then every shard's arrays take fresh pages from the
    kernel, which doubled the time a shard took here.  These workers live only for this
    read, so they keep freed memory as the ``tallyroom`` command does
    (:func:`~tallyroom.ballots.formats.blt.keep_freed_memory`).  A cluster of your own
    (``--dask ADDRESS``) is left as it is configured.
    """
    import dask
    from distributed import LocalCluster

    environ = "distributed.nanny.pre-spawn-environ"
    with dask.config.set(
        {
            f"{environ}.MALLOC_TRIM_THRESHOLD_": 1 << 30,
            f"{environ}.MALLOC_MMAP_THRESHOLD_": 32 << 20,
        }
    ):
        return LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=processes,
            dashboard_address=None,
        )


def read_sharded(
    shards: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    address: str | None = None,
    election: Election | None = None,
    seats: int | None = None,
    rules: BallotRules = BallotRules(),
    client: Any = None,
    progress: Callable[[int, int], None] | None = None,
    own_process: bool = False,
) -> Profile:
    """Read a sharded ballot set into one profile.

    ``address``: a Dask scheduler address, or ``"local"`` for a local cluster started (and
    stopped) here; None reads the shards in this process.  ``client``: an existing
    :class:`distributed.Client` to use instead.  ``election``: the candidates and seats when
    the shards do not record them (BLT shards always do).  ``progress(shards done, shards)``
    is told as each shard is merged.  ``own_process``: the caller owns this process (a
    command-line program), so the allocator is tuned for the big arrays the shards are
    merged in (:func:`~tallyroom.ballots.formats.blt.keep_freed_memory`, for the life of
    the process).
    """
    paths = shard_paths(shards)
    if own_process:
        from tallyroom.ballots.formats.blt.memory import keep_freed_memory

        keep_freed_memory()
    first = paths[0]
    if election is None:
        if first.lower().endswith(".blt"):
            from tallyroom.ballots.formats.blt import read_blt

            election = read_blt(first, rules).election
        else:
            election = parquet_election(first, seats)
    if seats is not None and election.seats != seats:
        election = election.with_changes(seats=seats)
    ncand = len(election.candidates)
    source = shards if isinstance(shards, str) else f"{first} (+{len(paths) - 1} shards)"
    source = os.fspath(source)  # type: ignore[arg-type]

    if client is None and address is None:
        parts: list[ShardResult] = []
        for i, p in enumerate(paths):
            parts.append(_reader(p)(p, ncand, rules))
            if progress:
                progress(i + 1, len(paths))
        return merge(election, parts, rules, source)

    from distributed import Client, as_completed

    cluster = None
    own_client = client is None
    if client is None:
        if address in ("local", ""):
            cluster = local_cluster(max(1, min(os.cpu_count() or 1, 8)))
            client = Client(cluster)
        else:
            client = Client(address)
    try:
        futures = [client.submit(_reader(p), p, ncand, rules, pure=False) for p in paths]
        done = 0
        for _ in as_completed(futures):
            done += 1
            if progress:
                progress(done, len(paths))
        parts = client.gather(futures)
        return merge(election, parts, rules, source)
    finally:
        if own_client:
            client.close()
        if cluster is not None:
            cluster.close()
