"""Sharded ballot sets read with Dask give the single-machine profile and count."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("distributed")
pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

from tallyroom.ballots.formats.blt import read_blt_careful  # noqa: E402
from tallyroom.ballots.sharded import read_sharded  # noqa: E402
from tallyroom.rules import count  # noqa: E402

NAMES = [f"{s}{i}" for s in "ABC" for i in range(1, 5)]


def _ballots(n: int, seed: int) -> np.ndarray:
    """Papers as a matrix of candidate numbers (0: no mark), with a few odd papers."""
    rng = np.random.default_rng(seed)
    slate = rng.integers(0, 3, n)
    score = (np.repeat(np.arange(3), 4)[None, :] == slate[:, None]) * 2.0
    order = np.argsort(-(score + rng.gumbel(size=(n, 12))), axis=1) + 1
    length = np.minimum(rng.geometric(0.3, n), 12)
    mat = np.where(np.arange(12)[None, :] < length[:, None], order, 0)
    mat[::97] = 0  # blank papers
    mat[5::211, 1] = 0  # a skipped rank
    mat[7::307, 2] = mat[7::307, 0]  # a candidate twice
    return mat


def _write(tmp_path: Path, shards: int, n: int) -> tuple[list[Path], Path]:
    mat = _ballots(n, 8)
    meta = {b"tallyroom.candidates": "\n".join(NAMES).encode(), b"tallyroom.seats": b"6"}
    paths = []
    for s, part in enumerate(np.array_split(mat, shards)):
        cols = {f"rank{j + 1}": pa.array(part[:, j], mask=part[:, j] == 0) for j in range(12)}
        table = pa.table(cols).replace_schema_metadata(meta)
        path = tmp_path / f"part-{s:02d}.parquet"
        pq.write_table(table, path)
        paths.append(path)
    # the same papers as one BLT file, for the careful reader
    blt = tmp_path / "all.blt"
    lines = ["12 6"]
    for row in mat.tolist():
        marks = " ".join("-" if c == 0 else str(c) for c in row).rstrip(" -").strip()
        lines.append(f"1 {marks} 0" if marks else "1 0")
    lines.append("0")
    lines += [f'"{n}"' for n in NAMES]
    blt.write_text("\n".join(lines) + "\n")
    return paths, blt


@pytest.fixture(scope="module")
def client():  # type: ignore[no-untyped-def]
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        Client(cluster) as c,
    ):
        yield c


def test_local_cluster_gives_the_single_machine_profile(tmp_path: Path, client) -> None:  # type: ignore[no-untyped-def]
    paths, blt = _write(tmp_path, 5, 6000)
    here = read_sharded([str(p) for p in paths])
    dask = read_sharded(str(tmp_path / "*.parquet"), client=client)
    careful = read_blt_careful(blt)
    for p in (here, dask):
        assert tuple(p.ballots) == tuple(careful.ballots)
        assert p.weights == careful.weights
        assert dict(p.invalid) == dict(careful.invalid)
        assert p.election.names == careful.election.names
        assert p.election.seats == careful.election.seats
    for method in ("scottish-stv", "meek-stv"):
        a, b = count(dask, method), count(careful.with_election(dask.election), method)
        assert a.elected == b.elected
        assert a.stages == b.stages


def test_blt_shards(tmp_path: Path, client) -> None:  # type: ignore[no-untyped-def]
    paths, blt = _write(tmp_path, 1, 3000)
    text = blt.read_text().splitlines()
    body = text[1 : 1 + 3000]
    tail = text[1 + 3000 :]
    shard_paths = []
    for s in range(3):
        part = tmp_path / f"s{s}.blt"
        part.write_text("\n".join([text[0], *body[s * 1000 : (s + 1) * 1000], *tail]) + "\n")
        shard_paths.append(str(part))
    dask = read_sharded(shard_paths, client=client)
    careful = read_blt_careful(blt)
    assert tuple(dask.ballots) == tuple(careful.ballots)
    assert dask.weights == careful.weights
    assert dict(dask.invalid) == dict(careful.invalid)
    assert count(dask, "scottish-stv").elected == count(careful, "scottish-stv").elected
