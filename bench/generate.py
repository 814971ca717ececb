"""Seeded generator of the benchmark ballot files (issue 8).

12 candidates in three slates of four (A, B, C), 6 seats, partial rankings: each voter
leans to one slate, ranks candidates by slate loyalty plus candidate popularity plus noise,
and stops after a random number of preferences.  About 2 million distinct rankings in 10
million ballots.  One line per paper (weight 1), as real exports have.

    uv run --frozen python bench/generate.py 10k 100k 1m 10m          # BLT
    uv run --frozen python bench/generate.py 1m --format csv parquet
    uv run --frozen python bench/generate.py 10m --shards 20           # parquet shards

Files go to bench/data/ (gitignored): ``ballots-1m.blt``, ``ballots-1m.csv``,
``ballots-1m.parquet`` and ``shards-10m/part-00.parquet`` ...
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
NCAND, SEATS = 12, 6
NAMES = [f"{s}{i}" for s in "ABC" for i in range(1, 5)]
SLATE = np.repeat(np.arange(3), 4)
SLATE_SHARE = np.array([0.44, 0.36, 0.20])
POPULARITY = np.array([1.2, 0.9, 0.5, 0.2, 1.0, 0.8, 0.6, 0.1, 1.1, 0.5, 0.3, 0.0])
CHUNK = 1_000_000


def size_of(text: str) -> int:
    t = text.lower().replace("_", "")
    mult = {"k": 1_000, "m": 1_000_000}.get(t[-1], 1)
    return int(float(t[:-1] if t[-1] in "km" else t) * mult)


def label(n: int) -> str:
    if n % 1_000_000 == 0:
        return f"{n // 1_000_000}m"
    if n % 1_000 == 0:
        return f"{n // 1_000}k"
    return str(n)


def rankings(n: int, seed: int = 8) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Chunks of (prefs, lengths): prefs (rows, 12) int8 candidate numbers 1..12 ordered by
    preference, lengths = how many of them the voter marked (1..12)."""
    rng = np.random.default_rng(seed)
    done = 0
    while done < n:
        m = min(CHUNK, n - done)
        slate = rng.choice(3, size=m, p=SLATE_SHARE)
        score = (SLATE[None, :] == slate[:, None]) * 3.0 + POPULARITY[None, :]
        score = score + rng.gumbel(size=(m, NCAND)) * 1.3
        order = np.argsort(-score, axis=1).astype(np.int8) + 1
        # partial rankings: many stop within the slate, some go all the way
        length = np.minimum(rng.geometric(0.17, size=m), NCAND).astype(np.int8)
        yield order, length
        done += m


def blt_lines(order: np.ndarray, length: np.ndarray) -> bytes:
    out: list[bytes] = []
    rows = order.tolist()
    for row, k in zip(rows, length.tolist()):
        out.append(("1 " + " ".join(map(str, row[:k])) + " 0\n").encode())
    return b"".join(out)


def write_blt(n: int, path: Path, seed: int) -> None:
    with open(path, "wb") as f:
        f.write(f"{NCAND} {SEATS}\n".encode())
        for order, length in rankings(n, seed):
            f.write(blt_lines(order, length))
        f.write(b"0\n")
        for name in NAMES:
            f.write(f'"{name}"\n'.encode())
        f.write(f'"Bench {label(n)}"\n'.encode())


def write_csv(n: int, path: Path, seed: int) -> None:
    names = np.array([""] + NAMES, dtype=object)
    with open(path, "w") as f:
        f.write(",".join(f"Rank {i}" for i in range(1, NCAND + 1)) + "\n")
        for order, length in rankings(n, seed):
            mask = np.arange(NCAND)[None, :] < length[:, None]
            cells = names[np.where(mask, order, 0)]
            f.write("\n".join(",".join(r) for r in cells.tolist()) + "\n")


def _table(order: np.ndarray, length: np.ndarray):  # type: ignore[no-untyped-def]
    import pyarrow as pa

    mask = np.arange(NCAND)[None, :] < length[:, None]
    cols = {}
    for j in range(NCAND):
        cols[f"rank{j + 1}"] = pa.array(order[:, j].astype(np.int8), mask=~mask[:, j])
    return pa.table(cols)


def write_parquet(n: int, path: Path, seed: int, shards: int = 1) -> None:
    """Ballots as Parquet: columns rank1..rank12 (candidate number 1..12, null when not
    marked), one row per paper; the candidate names and seats in the file's metadata."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    meta = {b"tallyroom.candidates": "\n".join(NAMES).encode(), b"tallyroom.seats": b"6"}
    if shards == 1:
        writer = None
        for order, length in rankings(n, seed):
            t = _table(order, length)
            t = t.replace_schema_metadata(meta)
            writer = writer or pq.ParquetWriter(path, t.schema)
            writer.write_table(t)
        if writer:
            writer.close()
        return
    path.mkdir(parents=True, exist_ok=True)
    tables = [_table(o, k) for o, k in rankings(n, seed)]
    whole = pa.concat_tables(tables)
    bounds = np.linspace(0, n, shards + 1).astype(int)
    for s in range(shards):
        part = whole.slice(bounds[s], bounds[s + 1] - bounds[s]).replace_schema_metadata(meta)
        pq.write_table(part, path / f"part-{s:02d}.parquet")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("sizes", nargs="+", help="10k 100k 1m 10m ...")
    ap.add_argument("--format", nargs="+", default=["blt"], choices=["blt", "csv", "parquet"])
    ap.add_argument("--shards", type=int, default=0, help="also write N parquet shards")
    ap.add_argument("--seed", type=int, default=8)
    ap.add_argument("--force", action="store_true", help="rewrite existing files")
    a = ap.parse_args(argv)
    DATA.mkdir(parents=True, exist_ok=True)
    for text in a.sizes:
        n = size_of(text)
        for fmt in a.format:
            path = DATA / f"ballots-{label(n)}.{fmt}"
            if path.exists() and not a.force:
                continue
            tmp = path.with_suffix(path.suffix + ".tmp")
            {"blt": write_blt, "csv": write_csv, "parquet": write_parquet}[fmt](n, tmp, a.seed)
            os.replace(tmp, path)
            print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
        if a.shards:
            path = DATA / f"shards-{label(n)}"
            if not path.exists() or a.force:
                write_parquet(n, path, a.seed, a.shards)
                print(f"wrote {path}/ ({a.shards} shards)")


if __name__ == "__main__":
    main()
