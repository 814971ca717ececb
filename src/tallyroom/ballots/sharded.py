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

from tallyroom.ballots.model import (
    BLANK,
    BallotRules,
    Candidate,
    Election,
    Profile,
    clean_ranking,
)
from tallyroom.errors import BallotFileError

#: (unique keys in first-seen order, weights, invalid papers by reason)
ShardResult = tuple[np.ndarray, np.ndarray, dict[str, int]]


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
    marked = mat > 0
    n = marked.sum(axis=1)
    # regular papers: marks without gaps, no candidate twice -- the common case, vectorised
    gapless = ~(marked[:, 1:] & ~marked[:, :-1]).any(axis=1) if mat.shape[1] > 1 else n >= 0
    bits = np.where(marked, np.left_shift(np.int64(1), np.maximum(mat.astype(np.int64) - 1, 0)), 0)
    nodup = np.bitwise_or.reduce(bits, axis=1) == bits.sum(axis=1)
    regular = gapless & nodup & (n <= width)
    key = np.zeros(len(mat), dtype=np.int64)
    for j in range(ncand):
        key *= base
        if j < mat.shape[1]:
            key += np.where(regular, mat[:, j], 0)
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
    key, w = key[keep], w[keep]
    uniq, first, inv = np.unique(key, return_index=True, return_inverse=True)
    tot = np.zeros(len(uniq), dtype=np.int64)
    np.add.at(tot, inv.ravel(), w)
    order = np.argsort(first, kind="stable")
    return uniq[order], tot[order], invalid


def read_parquet_shard(path: str, ncand: int, rules: BallotRules = BallotRules()) -> ShardResult:
    """One Parquet shard, merged (runs on a Dask worker)."""
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    cols = sorted(
        (c for c in table.column_names if c.lower().startswith("rank")),
        key=lambda c: int("".join(ch for ch in c if ch.isdigit()) or 0),
    )
    if not cols:
        raise BallotFileError(path, None, None, "no rank columns", "columns rank1, rank2 ...")
    mat = np.zeros((table.num_rows, len(cols)), dtype=np.int16)
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
    return keys, np.array(p.weights, dtype=np.int64), {k: int(v) for k, v in p.invalid.items()}


def _reader(path: str) -> Callable[[str, int, BallotRules], ShardResult]:
    return read_blt_shard if path.lower().endswith(".blt") else read_parquet_shard


def merge(
    election: Election, parts: Sequence[ShardResult], rules: BallotRules, source: str
) -> Profile:
    """The profile of the shards, in the order given."""
    from tallyroom.ballots.formats.fastblt import _profile

    ncand = len(election.candidates)
    key = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.int64)
    weight = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, np.int64)
    profile = _profile(election, key, weight, ncand, ncand + 1, True, rules, source)
    invalid: dict[str, Any] = dict(profile.invalid)
    for p in parts:
        for reason, n in p[2].items():
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


def read_sharded(
    shards: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    address: str | None = None,
    election: Election | None = None,
    seats: int | None = None,
    rules: BallotRules = BallotRules(),
    client: Any = None,
    progress: Callable[[int, int], None] | None = None,
) -> Profile:
    """Read a sharded ballot set into one profile.

    ``address``: a Dask scheduler address, or ``"local"`` for a local cluster started (and
    stopped) here; None reads the shards in this process.  ``client``: an existing
    :class:`distributed.Client` to use instead.  ``election``: the candidates and seats when
    the shards do not record them (BLT shards always do).
    """
    paths = shard_paths(shards)
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

    from distributed import Client, LocalCluster, as_completed

    cluster = None
    own_client = client is None
    if client is None:
        if address in ("local", ""):
            workers = max(1, min(os.cpu_count() or 1, 8))
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, dashboard_address=None)
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
